"""The customer-scope replica on real PostgreSQL: the highest revision wins, and the document check, the list
filter and the partner check read the same rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from o2c.kit.auth import Principal, Role
from o2c.kit.db import make_engine, make_sessionmaker
from o2c.kit.problems import Problem
from o2c.kit.scope import (
    SCOPE,
    customer_scope_table,
    ensure_customer_visible,
    partner_serves,
    record_customer_scope,
    visible_customer_ids,
    visible_customers,
)

if TYPE_CHECKING:
    from o2c.kit.testing import TestDatabases

pytestmark = pytest.mark.integration


async def test_replica_keeps_the_highest_revision_and_every_check_reads_it(scratch_databases: TestDatabases) -> None:
    engine = make_engine(await scratch_databases.create("scope"))
    sessions = make_sessionmaker(engine)
    documents = sa.Table("document", sa.MetaData(), sa.Column("id", sa.Text, primary_key=True),
                         sa.Column("customer_id", sa.Text))
    try:
        async with engine.begin() as conn:
            metadata = sa.MetaData()
            customer_scope_table(metadata)
            await conn.run_sync(metadata.create_all)
            await conn.run_sync(documents.create)
            await conn.execute(documents.insert(), [{"id": "d-a", "customer_id": "cus-a"},
                                                    {"id": "d-b", "customer_id": "cus-b"}])
        async with sessions() as session, session.begin():
            await record_customer_scope(session, "cus-a", "SC01", ["P-1"], 2)
            await record_customer_scope(session, "cus-a", "SC09", ["P-9"], 1)  # late and older: ignored
            await record_customer_scope(session, "cus-b", "SC02", ["P-2", "P-2"], 1)
        async with sessions() as session:
            rows = (await session.execute(sa.select(SCOPE.c.customer_id, SCOPE.c.sales_owner, SCOPE.c.partner_ids,
                                                    SCOPE.c.revision).order_by(SCOPE.c.customer_id))).all()
        assert [tuple(r) for r in rows] == [("cus-a", "SC01", ["P-1"], 2), ("cus-b", "SC02", ["P-2"], 1)]

        partner = Principal(subject="erp", roles=frozenset({Role.PARTNER}), partner_id="P-1")
        coordinator = Principal(subject="SC02", roles=frozenset({Role.SALES_COORDINATOR}), sales_owner="SC02")
        await ensure_customer_visible(sessions, partner, "cus-a")
        with pytest.raises(Problem):
            await ensure_customer_visible(sessions, partner, "cus-b")
        with pytest.raises(Problem):
            await ensure_customer_visible(sessions, partner, "cus-unknown")
        assert await partner_serves(sessions, "P-1", "cus-a") and not await partner_serves(sessions, "P-1", "cus-b")
        assert not await partner_serves(sessions, "", "cus-a")
        assert await visible_customer_ids(sessions, coordinator, {"cus-a", "cus-b", "cus-x"}) == {"cus-b"}
        async with sessions() as session:
            for who, expected in ((partner, ["d-a"]), (coordinator, ["d-b"])):
                found = (await session.execute(sa.select(documents.c.id).where(
                    visible_customers(who, documents.c.customer_id)))).scalars().all()
                assert list(found) == expected
    finally:
        await engine.dispose()
