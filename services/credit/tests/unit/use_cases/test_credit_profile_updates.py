"""Finance changing a customer's credit profile (PUT /credit-profiles): every change audited, holds that block
orders until released, a finance limit that sales' proposals no longer move (on the in-memory unit of work)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from o2c.contracts.v1 import credit as c
from o2c.credit.domain import InvalidValue, NotAuthorised
from o2c.credit.service_layer import use_cases as uc
from o2c.testsupport.credit.credit_builders import T0, customer
from o2c.testsupport.credit.fakes import FakeUnitOfWork
from o2c.testsupport.credit.steps import EXEC, HEAD, decide

D = Decimal


async def test_a_finance_hold_holds_every_order_until_finance_releases_it() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C30"), T0)
    await uc.update_profile(uow, "C30", uc.ProfileUpdate(on_hold=True, hold_reason="cheque bounced"), EXEC, T0)
    await decide(uow, "O-1", "C30", "1000.00")
    (held,) = uow.of_type(c.CreditHeld)
    assert held.reasons == [c.HoldReason.CUSTOMER_BLOCKED]
    await uc.apply_customer_master(uow, customer("C30", revision=2), T0)  # sales' master: active, as before
    record = await uow.accounts.get("C30")
    assert record is not None and record.account.profile is not None and record.account.profile.on_hold
    await uc.update_profile(uow, "C30", uc.ProfileUpdate(on_hold=False, reason="cleared"), EXEC, T0)
    await decide(uow, "O-2", "C30", "1000.00")
    assert [a.order_id for a in uow.of_type(c.CreditApproved)] == ["O-2"]
    record = await uow.accounts.get("C30")
    assert record is not None and record.account.profile is not None
    assert [(ch.what, ch.new, ch.changed_by) for ch in record.account.profile.changes if ch.what == "on_hold"] == [
        ("on_hold", "True", "farah"), ("on_hold", "False", "farah")]


async def test_terms_and_grace_change_together_and_only_a_finance_head_sets_the_limit() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C31", "200000.00", terms=30, grace=0), T0)
    await uc.update_profile(uow, "C31", uc.ProfileUpdate(payment_terms_days=45, reason="annual review"), EXEC, T0)
    record = await uow.accounts.get("C31")
    assert record is not None and record.account.profile is not None
    assert (record.account.profile.payment_terms_days, record.account.profile.grace_days) == (45, 0)
    with pytest.raises(NotAuthorised):
        await uc.update_profile(uow, "C31", uc.ProfileUpdate(credit_limit=D("900000")), EXEC, T0)
    with pytest.raises(InvalidValue) as err:
        await uc.update_profile(uow, "C31", uc.ProfileUpdate(credit_limit=D("-1")), HEAD, T0)
    assert err.value.field == "credit_limit"
    record = await uow.accounts.get("C31")
    assert record is not None and not record.limit_set_by_finance
    await uc.update_profile(uow, "C31", uc.ProfileUpdate(credit_limit=D("300000")), HEAD, T0)
    record = await uow.accounts.get("C31")
    assert record is not None and record.limit_set_by_finance


async def test_a_temporary_increase_adds_headroom_until_its_date_only() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C32", "100000.00"), T0)
    increase = uc.TemporaryIncreaseRequest(D("50000"), date(2026, 7, 5), "festival stock")
    await uc.update_profile(uow, "C32", uc.ProfileUpdate(temporary_increase=increase), HEAD, T0)
    record = await uow.accounts.get("C32")
    assert record is not None and record.account.profile is not None
    profile = record.account.profile
    assert profile.effective_limit(date(2026, 7, 5)) == D("150000.00")
    assert profile.effective_limit(date(2026, 7, 6)) == D("100000.00")
    await decide(uow, "O-1", "C32", "140000.00")
    assert [a.order_id for a in uow.of_type(c.CreditApproved)] == ["O-1"]


async def test_a_profile_is_opened_by_finance_for_a_customer_sales_has_not_sent_yet() -> None:
    uow = FakeUnitOfWork()
    record = await uc.update_profile(uow, "C33", uc.ProfileUpdate(credit_limit=D("50000")), HEAD, T0)
    assert record.account.profile is not None and record.account.profile.credit_limit == D("50000.00")
    stored = await uow.accounts.get("C33")
    assert stored is not None and stored.limit_set_by_finance and stored.master_revision == 0
