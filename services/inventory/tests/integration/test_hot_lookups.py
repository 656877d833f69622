"""The reservation load, run for every reservation, pick and gate-out, reaches its rows by index: with sequential
scans forbidden, its plan holds no sequential scan of reservation or stock_issue (a plan that needs one cannot
avoid it and still shows it)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from o2c.inventory.adapters.repository import _LOAD_SQL
from o2c.inventory.app import DEFINITION
from o2c.kit.testing import ServiceHarness

pytestmark = pytest.mark.integration


async def test_the_reservation_load_reads_no_table_whole(harness: ServiceHarness) -> None:
    svc = await harness.start(DEFINITION, consumer=False, relay=False)
    async with svc.runtime.sessions() as session, session.begin():
        await session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in await session.execute(sa.text("EXPLAIN " + _LOAD_SQL.text), {
            "items": ["BOLT-1", "NUT-2"], "orders": ["ord-1"], "with_issues": True}))
    assert "Seq Scan on reservation " not in plan and "Seq Scan on reservation\n" not in plan, plan
    assert "Seq Scan on stock_issue" not in plan, plan
