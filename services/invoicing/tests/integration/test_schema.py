"""The migrations build exactly the tables `adapters/db.py` declares (no drift between the two)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from o2c.invoicing.adapters.db import metadata
from o2c.invoicing.app import DEFINITION
from o2c.kit.db import sync_url
from sqlalchemy import create_engine

pytestmark = pytest.mark.integration


async def test_migrated_schema_matches_the_declared_tables(harness: Any) -> None:
    await harness.start(DEFINITION, consumer=False, relay=False, irp_mode="off")

    def differences() -> list[Any]:
        engine = create_engine(sync_url(harness.urls["invoicing"]))
        try:
            with engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                return [d for d in compare_metadata(context, metadata)
                        if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")]
        finally:
            engine.dispose()

    assert await asyncio.to_thread(differences) == []
