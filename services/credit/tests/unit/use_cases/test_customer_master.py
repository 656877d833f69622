"""Sales' customer master on credit's side: the profile it opens and follows, and the block it puts on a
customer sales deactivates (on the in-memory unit of work)."""

from __future__ import annotations

from decimal import Decimal

from o2c.contracts.v1 import credit as c
from o2c.credit.service_layer import use_cases as uc
from o2c.testsupport.credit.credit_builders import T0, customer
from o2c.testsupport.credit.fakes import FakeUnitOfWork
from o2c.testsupport.credit.steps import HEAD, decide

D = Decimal


async def test_customer_master_opens_a_profile_from_the_proposed_limit_and_keeps_a_finance_limit() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C1", "500000.00", terms=45, grace=7), T0)
    record = await uow.accounts.get("C1")
    assert record is not None and record.account.profile is not None
    assert (record.account.profile.credit_limit, record.account.profile.payment_terms_days,
            record.account.profile.grace_days) == (D("500000.00"), 45, 7)
    await uc.update_profile(uow, "C1", uc.ProfileUpdate(credit_limit=D("800000")), HEAD, T0)
    assert await uc.apply_customer_master(uow, customer("C1", "900000.00", terms=60, revision=2), T0)
    assert not await uc.apply_customer_master(uow, customer("C1", "100.00", revision=2), T0)  # same revision
    record = await uow.accounts.get("C1")
    assert record is not None and record.account.profile is not None
    profile = record.account.profile
    assert profile.credit_limit == D("800000.00") and profile.proposed_limit == D("900000.00")
    assert profile.payment_terms_days == 60


async def test_a_customer_deactivated_by_sales_is_blocked_until_reactivated() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C10"), T0)
    await uc.apply_customer_master(uow, customer("C10", revision=2).model_copy(update={"active": False}), T0)
    await decide(uow, "O-1", "C10", "1000.00")
    assert uow.of_type(c.CreditHeld)[0].reasons == [c.HoldReason.CUSTOMER_BLOCKED]
    await uc.apply_customer_master(uow, customer("C10", revision=3), T0)
    await decide(uow, "O-2", "C10", "1000.00")
    assert [a.order_id for a in uow.of_type(c.CreditApproved)] == ["O-2"]
