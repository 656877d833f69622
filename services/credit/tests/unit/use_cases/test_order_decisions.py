"""Credit decisions on orders: approved at once or held with a sanction request, amendments, rechecks and
cancellations (on the in-memory unit of work)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from o2c.contracts.v1 import credit as c
from o2c.credit.domain import ConflictingState, SanctionStatus
from o2c.credit.service_layer import use_cases as uc
from o2c.testsupport.credit.credit_builders import T0, customer, invoice, release
from o2c.testsupport.credit.fakes import FakeUnitOfWork
from o2c.testsupport.credit.steps import HEAD, POLICY, account_with_exposure, decide

D = Decimal


async def test_over_limit_is_held_with_the_exposure_shown_and_a_small_order_is_approved() -> None:
    uow = FakeUnitOfWork()
    await account_with_exposure(uow)
    await decide(uow, "O-C", "C1", "150000.00")
    held = uow.of_type(c.CreditHeld)
    assert len(held) == 1 and held[0].reasons == [c.HoldReason.OVER_LIMIT]
    assert held[0].exposure.total == D("1050000.00")
    assert (held[0].exposure.receivables, held[0].exposure.open_orders) == (D("600000.00"), D("300000.00"))
    assert held[0].hold_expires_at == T0 + POLICY.hold_period and held[0].sanction_due_by == T0 + timedelta(hours=4)
    queue = json.loads(await uow.sanctions.queue_json("pending", 10, 0))
    assert [s["order"]["order_id"] for s in queue] == ["O-C"]
    await decide(uow, "O-D", "C1", "50000.00")
    approved = uow.of_type(c.CreditApproved)
    assert [a.order_id for a in approved] == ["O-D"] and approved[0].exposure.total == D("950000.00")


async def test_overdue_beyond_grace_holds_even_within_limit_and_ageing_shows_61_to_90() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C2", "1000000.00", terms=30, grace=15), T0)
    await decide(uow, "O-1", "C2", "100000.00")
    await uc.post_invoice(uow, invoice("inv-old", "O-1", "C2", "100000.00", invoice_date=date(2026, 4, 16)), T0)
    await decide(uow, "O-2", "C2", "10000.00")
    held = uow.of_type(c.CreditHeld)
    assert held[0].reasons == [c.HoldReason.OVERDUE]
    assert held[0].exposure.ageing.days_61_90 == D("100000.00") and held[0].exposure.max_days_overdue == 45
    (request,) = uow.sanctions.every(SanctionStatus.PENDING)
    assert request.oldest_overdue is not None and request.oldest_overdue.invoice_id == "inv-old"


async def test_an_amendment_supersedes_the_pending_request_and_is_decided_afresh() -> None:
    uow = FakeUnitOfWork()
    await account_with_exposure(uow)
    await decide(uow, "O-C", "C1", "150000.00")
    await decide(uow, "O-C", "C1", "90000.00", revision=2)
    approved = uow.of_type(c.CreditApproved)
    assert [(a.order_id, a.order_revision) for a in approved] == [("O-C", 2)]
    statuses = {s.sanction_id: s.status.value for s in uow.sanctions.every()}
    assert statuses == {"san-O-C-r1": "superseded"}
    await decide(uow, "O-C", "C1", "150000.00", revision=1)  # a stale revision changes nothing
    assert len(uow.messages) == 2


async def test_recheck_decides_again_for_the_amount_and_echoes_the_request() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C8", "100000.00"), T0)
    await decide(uow, "O-1", "C8", "80000.00")
    await uc.release_exposure(uow, release("O-1", "C8", "30000.00", "rq-bo"), T0)
    await decide(uow, "O-2", "C8", "40000.00")  # fits only because the backorder was released
    await decide(uow, "O-1", "C8", "30000.00", request_id="rc-1")
    held = uow.of_type(c.CreditHeld)
    assert [(h.order_id, h.request_id) for h in held] == [("O-1", "rc-1")]
    assert held[0].exposure.total == D("120000.00")
    await uc.approve_sanction(uow, "san-O-1-rq-rc-1", HEAD, T0, "refill")
    (sanctioned,) = uow.of_type(c.CreditSanctioned)
    assert sanctioned.request_id == "rc-1"
    record = await uow.accounts.get("C8")
    assert record is not None and record.account.exposure().total == D("120000.00")


async def test_a_refused_recheck_leaves_the_counted_part_alone_and_a_reopened_order_starts_afresh() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C9", "100000.00"), T0)
    await decide(uow, "O-1", "C9", "80000.00")
    await decide(uow, "O-1", "C9", "30000.00", request_id="rc-1")
    await uc.reject_sanction(uow, "san-O-1-rq-rc-1", HEAD, T0, "no more this month")
    record = await uow.accounts.get("C9")
    assert record is not None and record.account.exposure().total == D("80000.00")
    await decide(uow, "O-2", "C9", "90000.00")  # held: 80k + 90k
    await uc.reject_sanction(uow, "san-O-2-r1", HEAD, T0, "over limit")
    await decide(uow, "O-2", "C9", "20000.00", request_id="reopen-1")  # re-opened for 20k: only 20k counts
    approved = uow.of_type(c.CreditApproved)
    assert [(a.order_id, a.request_id, a.exposure.total) for a in approved][-1] == ("O-2", "reopen-1", D("100000.00"))


async def test_a_cancelled_order_leaves_the_queue_and_cannot_be_sanctioned_later() -> None:
    from o2c.contracts.samples import sample
    from o2c.contracts.v1.sales import OrderCancelled

    uow = FakeUnitOfWork()
    await account_with_exposure(uow)
    await decide(uow, "O-C", "C1", "150000.00")
    cancelled = sample(OrderCancelled).model_copy(update={"order_id": "O-C", "customer_id": "C1",
                                                          "cancelled_lines": []})
    assert await uc.withdraw_cancelled_order(uow, cancelled, T0) == 1
    assert uow.sanctions.every(SanctionStatus.PENDING) == []
    with pytest.raises(ConflictingState):
        await uc.approve_sanction(uow, "san-O-C-r1", HEAD, T0)
