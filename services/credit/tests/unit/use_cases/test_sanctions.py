"""The finance queue: sanctioning within authority, temporary increases, rejections, escalation and expiry
(on the in-memory unit of work)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from o2c.contracts.v1 import credit as c
from o2c.credit.domain import ConflictingState, InvalidValue, NotAuthorised
from o2c.credit.service_layer import use_cases as uc
from o2c.testsupport.credit.credit_builders import T0
from o2c.testsupport.credit.fakes import FakeUnitOfWork
from o2c.testsupport.credit.steps import EXEC, HEAD, POLICY, account_with_exposure, decide

D = Decimal


async def test_an_executive_above_her_limit_is_refused_and_the_head_sanctions() -> None:
    uow = FakeUnitOfWork()
    await account_with_exposure(uow)
    await decide(uow, "O-C", "C1", "150000.00")
    with pytest.raises(NotAuthorised):
        await uc.approve_sanction(uow, "san-O-C-r1", EXEC, T0 + timedelta(minutes=5))
    done = await uc.approve_sanction(uow, "san-O-C-r1", HEAD, T0 + timedelta(minutes=6), "good payer")
    assert done.status.value == "approved"
    (sanctioned,) = uow.of_type(c.CreditSanctioned)
    assert (sanctioned.order_id, sanctioned.sanctioned_by, sanctioned.amount) == ("O-C", "meera", D("150000.00"))
    record = await uow.accounts.get("C1")
    assert record is not None and record.account.exposure().total == D("1050000.00")
    with pytest.raises(ConflictingState):
        await uc.reject_sanction(uow, "san-O-C-r1", HEAD, T0 + timedelta(minutes=7), "too late")


async def test_approval_with_a_temporary_increase_raises_the_limit_until_a_date() -> None:
    uow = FakeUnitOfWork()
    await account_with_exposure(uow)
    await decide(uow, "O-C", "C1", "150000.00")
    await uc.approve_sanction(uow, "san-O-C-r1", HEAD, T0, "festive season",
                              uc.TemporaryIncreaseRequest(D("100000"), date(2026, 7, 31)))
    record = await uow.accounts.get("C1")
    assert record is not None and record.account.profile is not None
    assert record.account.profile.effective_limit(date(2026, 7, 1)) == D("1100000.00")
    await decide(uow, "O-E", "C1", "40000.00")
    assert [a.order_id for a in uow.of_type(c.CreditApproved)] == ["O-E"]


async def test_rejection_needs_a_note_and_frees_the_order() -> None:
    uow = FakeUnitOfWork()
    await account_with_exposure(uow)
    await decide(uow, "O-C", "C1", "150000.00")
    with pytest.raises(InvalidValue) as err:
        await uc.reject_sanction(uow, "san-O-C-r1", HEAD, T0, "  ")
    assert err.value.field == "note"
    await uc.reject_sanction(uow, "san-O-C-r1", HEAD, T0, "overdue elsewhere")
    (rejected,) = uow.of_type(c.CreditRejected)
    assert rejected.reason is c.RejectionReason.REJECTED_BY_FINANCE and rejected.rejected_by == "meera"


async def test_escalation_at_four_hours_and_expiry_at_the_hold_period() -> None:
    uow = FakeUnitOfWork()
    await account_with_exposure(uow)
    await decide(uow, "O-C", "C1", "150000.00")
    assert await uow.sanctions.due(T0 + timedelta(hours=3, minutes=59), 10) == []
    due = await uow.sanctions.due(T0 + timedelta(hours=4), 10)
    assert await uc.expire_or_escalate(uow, due[0], T0 + timedelta(hours=4)) == "escalated"
    assert await uow.sanctions.due(T0 + timedelta(hours=5), 10) == []
    assert not uow.of_type(c.CreditRejected)
    at = T0 + POLICY.hold_period
    (due_id,) = await uow.sanctions.due(at, 10)
    assert await uc.expire_or_escalate(uow, due_id, at) == "expired"
    (rejected,) = uow.of_type(c.CreditRejected)
    assert rejected.reason is c.RejectionReason.SANCTION_EXPIRED and rejected.rejected_by is None
    record = await uow.accounts.get("C1")
    assert record is not None and record.account.exposure().total == D("900000.00")
