from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from o2c.credit.domain import (
    IST,
    Actor,
    ConflictingState,
    CreditProfile,
    CustomerAccount,
    Exposure,
    HoldReason,
    OpenOrder,
    OpenOrderStatus,
    Receivable,
    check_credit,
)

TODAY = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 11, 0, tzinfo=IST)


def approved_order(order_id: str, gross: str) -> OpenOrder:
    return OpenOrder(order_id, "C1", Decimal(gross), OpenOrderStatus.APPROVED)


def test_order_over_the_limit_is_held_showing_the_exposure(
    profile: Callable[..., CreditProfile], invoice: Callable[..., Receivable]
) -> None:
    receivables = [invoice("600000", days_old=10)]
    exposure = Exposure.of(receivables, [approved_order("SO-1", "300000")])

    decision = check_credit(profile("1000000"), exposure, Decimal("150000"), receivables, TODAY)

    assert not decision.approved
    assert decision.reasons == (HoldReason.OVER_LIMIT,)
    assert decision.exposure_after == Decimal("1050000.00")
    assert decision.excess == Decimal("50000.00")
    assert decision.headroom == Decimal("100000.00")
    assert "₹10,50,000.00" in decision.holds[0].explanation
    assert "by ₹50,000.00" in decision.holds[0].explanation


def test_order_within_headroom_is_approved_at_once(
    profile: Callable[..., CreditProfile], invoice: Callable[..., Receivable]
) -> None:
    receivables = [invoice("600000", days_old=10)]
    exposure = Exposure.of(receivables, [approved_order("SO-1", "300000")])

    decision = check_credit(profile("1000000"), exposure, Decimal("50000"), receivables, TODAY)

    assert decision.approved
    assert decision.exposure_after == Decimal("950000.00")


def test_order_exactly_at_the_limit_is_approved(profile: Callable[..., CreditProfile]) -> None:
    decision = check_credit(profile("100000"), Exposure(), Decimal("100000"), [], TODAY)
    assert decision.approved


def test_invoice_overdue_beyond_terms_and_grace_holds_even_within_limit(
    profile: Callable[..., CreditProfile], invoice: Callable[..., Receivable]
) -> None:
    old = invoice("40000", days_old=75, terms=30)
    receivables = [old]

    decision = check_credit(profile("1000000", terms=30, grace=15), Exposure.of(receivables, []),
                            Decimal("10000"), receivables, TODAY)

    assert decision.reasons == (HoldReason.OVERDUE,)
    assert [(o.invoice_no, o.days_overdue, o.outstanding) for o in decision.overdue] == [
        (old.invoice_no, 45, Decimal("40000.00"))
    ]
    assert old.invoice_no in decision.holds[0].explanation


def test_overdue_within_grace_days_does_not_hold(
    profile: Callable[..., CreditProfile], invoice: Callable[..., Receivable]
) -> None:
    receivables = [invoice("40000", days_old=45, terms=30)]  # 15 days overdue, grace is 15
    decision = check_credit(profile(grace=15), Exposure.of(receivables, []), Decimal("1"), receivables, TODAY)
    assert decision.approved


def test_customer_on_hold_is_held_whatever_the_headroom(profile: Callable[..., CreditProfile], head: Actor) -> None:
    p = profile("1000000")
    p.place_on_hold(head, NOW, "cheque bounced")

    decision = check_credit(p, Exposure(), Decimal("1000"), [], TODAY)

    assert decision.reasons == (HoldReason.CUSTOMER_ON_HOLD,)
    assert "cheque bounced" in decision.holds[0].explanation


def test_every_reason_is_given_not_just_the_first(
    profile: Callable[..., CreditProfile], invoice: Callable[..., Receivable], head: Actor
) -> None:
    p = profile("100000")
    p.place_on_hold(head, NOW, "legal notice")
    receivables = [invoice("90000", days_old=120)]

    decision = check_credit(p, Exposure.of(receivables, []), Decimal("20000"), receivables, TODAY)

    assert set(decision.reasons) == {HoldReason.CUSTOMER_ON_HOLD, HoldReason.OVER_LIMIT, HoldReason.OVERDUE}


def test_customer_without_a_credit_profile_waits_for_finance() -> None:
    decision = check_credit(None, Exposure(), Decimal("1000"), [], TODAY)
    assert decision.reasons == (HoldReason.NO_CREDIT_PROFILE,)


def test_temporary_increase_lets_an_order_through_while_it_lasts(
    profile: Callable[..., CreditProfile], head: Actor
) -> None:
    p = profile("100000")
    p.grant_temporary_increase(Decimal("50000"), TODAY, head, NOW)

    assert check_credit(p, Exposure(), Decimal("140000"), [], TODAY).approved
    assert not check_credit(p, Exposure(), Decimal("140000"), [], TODAY + timedelta(days=1)).approved


def test_advance_lowers_exposure(profile: Callable[..., CreditProfile]) -> None:
    exposure = Exposure(receivables=Decimal("90000"), open_orders=Decimal("0"), unapplied_credit=Decimal("30000"))
    assert check_credit(profile("100000"), exposure, Decimal("40000"), [], TODAY).approved


# --- on the account: decisions for one customer, serialised ------------------------------------


def test_second_order_cannot_use_the_same_headroom(
    account: Callable[..., CustomerAccount], post: Callable[..., Receivable]
) -> None:
    acct = account("1000000")
    post(acct, "i1", "600000")  # headroom ₹4,00,000

    first = acct.check_order("SO-1", Decimal("300000"), TODAY)
    second = acct.check_order("SO-2", Decimal("300000"), TODAY)

    assert first.approved
    assert second.reasons == (HoldReason.OVER_LIMIT,)
    assert second.exposure_after == Decimal("1200000.00")


def test_held_order_does_not_use_headroom_a_small_order_still_passes(
    account: Callable[..., CustomerAccount], post: Callable[..., Receivable]
) -> None:
    acct = account("1000000")
    post(acct, "i1", "600000")
    assert acct.check_order("SO-OPEN", Decimal("300000"), TODAY).approved

    held = acct.check_order("SO-BIG", Decimal("150000"), TODAY)
    small = acct.check_order("SO-SMALL", Decimal("50000"), TODAY)

    assert not held.approved and held.exposure_after == Decimal("1050000.00")
    assert small.approved and small.exposure_after == Decimal("950000.00")


def test_sanctioned_order_starts_using_headroom(account: Callable[..., CustomerAccount]) -> None:
    acct = account("100000")
    assert not acct.check_order("SO-1", Decimal("150000"), TODAY).approved
    assert acct.exposure().total == Decimal("0.00")

    acct.sanction_order("SO-1")

    assert acct.exposure().total == Decimal("150000.00")
    assert not acct.check_order("SO-2", Decimal("1"), TODAY).approved


def test_redelivered_order_gets_the_same_decision(account: Callable[..., CustomerAccount]) -> None:
    acct = account("100000")
    first = acct.check_order("SO-1", Decimal("80000"), TODAY)
    acct.check_order("SO-2", Decimal("20000"), TODAY)  # uses the rest of the headroom

    again = acct.check_order("SO-1", Decimal("80000"), TODAY)

    assert again is first and again.approved
    assert acct.exposure().total == Decimal("100000.00")


def test_amended_order_is_checked_again_and_counted_once(account: Callable[..., CustomerAccount]) -> None:
    acct = account("100000")
    assert acct.check_order("SO-1", Decimal("60000"), TODAY).approved

    raised = acct.check_order("SO-1", Decimal("90000"), TODAY, revision=2)
    assert raised.approved and raised.exposure_after == Decimal("90000.00")

    too_big = acct.check_order("SO-1", Decimal("120000"), TODAY, revision=3)
    assert not too_big.approved
    assert acct.exposure().open_orders == Decimal("0.00")  # held: no longer counted at its old amount


def test_stale_revision_cannot_reopen_an_order(account: Callable[..., CustomerAccount]) -> None:
    acct = account("100000")
    acct.check_order("SO-1", Decimal("60000"), TODAY, revision=2)
    with pytest.raises(ConflictingState):
        acct.check_order("SO-1", Decimal("10"), TODAY, revision=1)


def test_rejected_order_leaves_exposure(account: Callable[..., CustomerAccount]) -> None:
    acct = account("100000")
    acct.check_order("SO-1", Decimal("150000"), TODAY)
    acct.reject_order("SO-1")
    assert acct.exposure().total == Decimal("0.00")
    assert acct.check_order("SO-2", Decimal("100000"), TODAY).approved
