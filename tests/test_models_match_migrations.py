"""Every service's table models say what its migrations build: a fresh database migrated to head compares clean
against the service's metadata (what `alembic check` does, with server defaults compared too)."""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING, Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from o2c.kit.db import sync_url, upgrade_to_head
from sqlalchemy import Connection, Index, MetaData, create_engine, text
from sqlalchemy.schema import CreateIndex

if TYPE_CHECKING:
    from o2c.kit.service import ServiceDefinition
    from o2c.kit.testing import TestDatabases

pytestmark = pytest.mark.integration

SERVICES = ("sales", "credit", "inventory", "dispatch", "invoicing", "ewaybill", "notify")


def _index_definitions(conn: Connection, model: Index) -> tuple[str | None, str]:
    """PostgreSQL's definition of the migrated index of the model index's name (None: no such index) and of the
    model's index, built under another name in a transaction that is rolled back (pg_get_indexdef, both)."""
    ddl = str(CreateIndex(model).compile(dialect=conn.dialect))
    probe = "models_match_probe"
    trans = conn.begin()
    try:
        conn.execute(text(ddl.replace(f"INDEX {model.name} ", f"INDEX {probe} ", 1)))
        migrated, built = (
            conn.execute(text("SELECT pg_get_indexdef(to_regclass(:name))"), {"name": name}).scalar_one()
            for name in (str(model.name), probe)
        )
    finally:
        trans.rollback()
    return migrated, built.replace(f"INDEX {probe} ", f"INDEX {model.name} ", 1)


def _differences(url: str, metadata: MetaData) -> list[Any]:
    """Alembic's comparison, with PostgreSQL judging the indexes.

    Alembic compares an index's columns and expressions but not its predicate (`postgresql_where`), and compares
    an expression by its text, which PostgreSQL stores in its own spelling (`doc -> 'quotation' ->> 'quotation_id'`
    comes back as `((doc -> 'quotation'::text) ->> 'quotation_id'::text)`): such an index is reported as removed
    and added again though it is the same. So every model index is also built beside the migrated one and the two
    definitions compared as PostgreSQL prints them; a same-named pair alembic reports as removed and added is
    dropped only when PostgreSQL's definitions are equal."""
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
            found = list(compare_metadata(context, metadata))
            conn.rollback()
            same: set[str] = set()
            for table in metadata.tables.values():
                for index in table.indexes:
                    migrated, built = _index_definitions(conn, index)
                    if migrated == built:
                        same.add(str(index.name))
                    elif migrated is not None:
                        found.append(("index definition differs", index.name, migrated, built))
            return [d for d in found if not (isinstance(d, tuple) and d[0] in ("add_index", "remove_index")
                                             and d[1].name in same)]
    finally:
        engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
async def test_models_match_migrations(service: str, scratch_databases: TestDatabases) -> None:
    definition: ServiceDefinition = importlib.import_module(f"o2c.{service}.app").DEFINITION
    url = await scratch_databases.create(f"models_{service}")
    await asyncio.to_thread(upgrade_to_head, url, definition.versions_dir, definition.metadata)
    differences = await asyncio.to_thread(_differences, url, definition.metadata)
    assert not differences, f"{service}: models and migrations differ:\n" + "\n".join(map(repr, differences))
