"""The first migration creates exactly the tables adapters/db.py declares (no drift between the two)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata, produce_migrations
from alembic.migration import MigrationContext
from o2c.inventory.adapters.db import SERVICE_TABLES
from o2c.inventory.app import DEFINITION
from o2c.kit.db import sync_url
from o2c.kit.testing import ServiceHarness

pytestmark = pytest.mark.integration


async def test_migrated_schema_matches_the_declared_tables(harness: ServiceHarness) -> None:
    await harness.start(DEFINITION, consumer=False, relay=False)
    declared = sa.MetaData()
    for table in SERVICE_TABLES:
        table.to_metadata(declared)
    engine = sa.create_engine(sync_url(harness.urls["inventory"]))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "include_name": lambda name, kind, parent: kind != "table" or name in declared.tables,
                "compare_server_default": False})
            diff = produce_migrations(context, declared).upgrade_ops
    finally:
        engine.dispose()
    assert diff is not None and diff.is_empty(), diff.as_diffs() if diff else None


async def test_alembic_finds_no_difference_between_the_models_and_the_migrations(harness: ServiceHarness) -> None:
    """`alembic check` in a test: every table of the service's metadata (its SQLModel models, the kit's messaging,
    scope and idempotency tables), server defaults included, against a database migrated to head."""
    await harness.start(DEFINITION, consumer=False, relay=False)
    engine = sa.create_engine(sync_url(harness.urls["inventory"]))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_server_default": True,
                "include_name": lambda name, kind, parent: kind != "table" or name != "alembic_version"})
            diff = compare_metadata(context, DEFINITION.metadata)
    finally:
        engine.dispose()
    assert diff == []
