"""Quotation and order numbers come from a sequence per series: a placement that has taken a number and not yet
committed holds up no other placement; the series still counts up from the first number of the year."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from o2c.kit.testing import ServiceHarness
from o2c.sales.adapters.repository import SqlRepository
from o2c.sales.app import DEFINITION
from o2c.sales.domain.numbering import ORDER_SERIES, QUOTATION_SERIES, FinancialYear

pytestmark = pytest.mark.integration


async def test_a_number_taken_in_an_open_transaction_holds_up_no_other(harness: ServiceHarness) -> None:
    svc = await harness.start(DEFINITION, consumer=False, relay=False)
    year = FinancialYear(2026)
    sessions = svc.runtime.sessions
    async with sessions() as first, first.begin():
        taken = await SqlRepository(first).next_number(ORDER_SERIES, year)
        async with sessions() as second, second.begin():
            # With one counter row locked until commit, this waited for `first`.
            await second.execute(sa.text("SET LOCAL lock_timeout = '3s'"))
            other = await asyncio.wait_for(SqlRepository(second).next_number(ORDER_SERIES, year), 10)
    assert (taken.text, other.text) == ("SO/26-27/000001", "SO/26-27/000002")
    async with sessions() as third, third.begin():
        quotation = await SqlRepository(third).next_number(QUOTATION_SERIES, year)
        again = await SqlRepository(third).next_number(ORDER_SERIES, year)
    assert (quotation.text, again.text) == ("QTN/26-27/000001", "SO/26-27/000003")


async def test_the_orders_of_a_quotation_are_found_by_index(harness: ServiceHarness) -> None:
    from o2c.sales.tracking import store

    svc = await harness.start(DEFINITION, consumer=False, relay=False)
    async with svc.runtime.sessions() as session, session.begin():
        await session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        query = sa.select(store.tracking_order.c.order_id).where(store.QUOTATION_OF_ORDER == "qtn-1")
        compiled = query.compile(compile_kwargs={"literal_binds": True})
        plan = "\n".join(r[0] for r in await session.execute(sa.text(f"EXPLAIN {compiled}")))
        assert "Seq Scan" not in plan, plan
        assert await store.orders_of_quotation(session, "qtn-1") == []
