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
    HoldReason,
    InvalidValue,
    NotAuthorised,
    Receivable,
    Role,
    SanctionPolicy,
    SanctionRequest,
    SanctionStatus,
)

TODAY = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 11, 0, tzinfo=IST)


@pytest.fixture
def held(account: Callable[..., CustomerAccount], post: Callable[..., Receivable]) -> tuple[CustomerAccount,
                                                                                         SanctionRequest]:
    acct = account("1000000")
    assert acct.check_order("SO-OPEN", Decimal("300000"), TODAY).approved
    post(acct, "i-old", "50000", days_old=75, terms=30)
    post(acct, "i-new", "550000", days_old=5)
    decision = acct.check_order("SO-9", Decimal("150000"), TODAY)
    request = SanctionRequest.raise_for(
        sanction_id="S-1", order_id="SO-9", customer_id="C1", order_revision=1, decision=decision,
        ageing=acct.ageing(TODAY), oldest_overdue=acct.oldest_overdue(TODAY),
        payment_history=acct.payment_history(), requested_at=NOW,
    )
    return acct, request


def test_request_shows_order_exposure_limit_headroom_and_ageing(held: tuple[CustomerAccount,
                                                                            SanctionRequest]) -> None:
    _, request = held
    assert request.amount == Decimal("150000.00")
    assert request.exposure.total == Decimal("900000.00")
    assert request.exposure_with_order == Decimal("1050000.00")
    assert request.credit_limit == Decimal("1000000.00")
    assert request.headroom == Decimal("100000.00")
    assert request.ageing.days_61_90 == Decimal("50000.00")
    assert request.ageing.days_0_30 == Decimal("550000.00")
    assert request.oldest_overdue is not None and request.oldest_overdue.invoice_no == "INV/26-27/i-old"
    assert set(request.reasons) == {HoldReason.OVER_LIMIT, HoldReason.OVERDUE}
    assert request.status is SanctionStatus.PENDING


def test_escalation_is_due_after_four_hours_by_default(held: tuple[CustomerAccount, SanctionRequest]) -> None:
    _, request = held
    assert not request.is_escalation_due(NOW + timedelta(hours=3, minutes=59))
    assert request.escalate(NOW + timedelta(hours=4))
    assert not request.escalate(NOW + timedelta(hours=5))  # once
    assert request.escalated_at == NOW + timedelta(hours=4)


def test_escalation_time_is_configurable(account: Callable[..., CustomerAccount]) -> None:
    acct = account("0")
    decision = acct.check_order("SO-1", Decimal("10"), TODAY)
    request = SanctionRequest.raise_for(
        sanction_id="S", order_id="SO-1", customer_id="C1", order_revision=1, decision=decision,
        ageing=acct.ageing(TODAY), oldest_overdue=None, requested_at=NOW,
        policy=SanctionPolicy(escalate_after=timedelta(hours=1), hold_period=timedelta(hours=8)),
    )
    assert request.is_escalation_due(NOW + timedelta(hours=1))
    assert request.expires_at == NOW + timedelta(hours=8)


def test_undecided_request_expires_at_the_end_of_the_hold_period(
    held: tuple[CustomerAccount, SanctionRequest], head: Actor
) -> None:
    _, request = held
    assert not request.is_expiry_due(request.expires_at - timedelta(seconds=1))
    assert request.expire(request.expires_at)
    assert request.status is SanctionStatus.EXPIRED
    assert not request.expire(request.expires_at + timedelta(hours=1))
    with pytest.raises(ConflictingState):
        request.approve(head, request.expires_at + timedelta(minutes=1))


def test_decision_after_the_hold_period_is_refused_even_before_the_sweeper_ran(
    held: tuple[CustomerAccount, SanctionRequest], head: Actor
) -> None:
    _, request = held
    with pytest.raises(ConflictingState):
        request.approve(head, request.expires_at)
    assert request.is_pending


def test_finance_head_approves_any_amount(held: tuple[CustomerAccount, SanctionRequest], head: Actor) -> None:
    acct, request = held
    request.approve(head, NOW + timedelta(hours=1), "long-standing customer, cheque in transit")
    acct.sanction_order(request.order_id)

    assert (request.status, request.decided_by) == (SanctionStatus.APPROVED, "meera")
    assert acct.exposure().open_orders == Decimal("450000.00")


def test_finance_executive_approves_only_up_to_her_approval_limit(
    held: tuple[CustomerAccount, SanctionRequest],
) -> None:
    _, request = held
    small = Actor("farah", Role.FINANCE_EXECUTIVE, approval_limit=Decimal("100000"))
    with pytest.raises(NotAuthorised) as refused:
        request.approve(small, NOW)
    assert "₹1,00,000.00" in str(refused.value)
    assert request.is_pending

    enough = Actor("farah", Role.FINANCE_EXECUTIVE, approval_limit=Decimal("150000"))
    request.approve(enough, NOW)
    assert request.status is SanctionStatus.APPROVED


def test_sales_cannot_sanction_or_reject(held: tuple[CustomerAccount, SanctionRequest], sales: Actor) -> None:
    _, request = held
    with pytest.raises(NotAuthorised):
        request.approve(sales, NOW)
    with pytest.raises(NotAuthorised):
        request.reject(sales, NOW, "no")


def test_approve_with_temporary_limit_increase_raises_the_limit_until_a_date(
    held: tuple[CustomerAccount, SanctionRequest], head: Actor
) -> None:
    acct, request = held
    assert acct.profile is not None

    grant = request.approve_with_temporary_increase(head, NOW, acct.profile, Decimal("100000"),
                                                    TODAY + timedelta(days=30), "Diwali stocking")
    acct.sanction_order(request.order_id)

    assert request.temporary_increase == grant
    assert acct.profile.effective_limit(TODAY) == Decimal("1100000.00")
    assert acct.profile.changes[-1].what == "temporary_increase"


def test_temporary_increase_is_not_granted_when_the_sanction_cannot_be_decided(
    held: tuple[CustomerAccount, SanctionRequest], head: Actor
) -> None:
    acct, request = held
    assert acct.profile is not None
    request.reject(head, NOW, "overdue too long")
    with pytest.raises(ConflictingState):
        request.approve_with_temporary_increase(head, NOW, acct.profile, Decimal("1"), TODAY)
    assert acct.profile.temporary_increases == []


def test_rejection_needs_a_note_and_is_final(held: tuple[CustomerAccount, SanctionRequest], head: Actor) -> None:
    acct, request = held
    with pytest.raises(InvalidValue):
        request.reject(head, NOW, "")
    request.reject(head, NOW, "61–90 bucket unpaid; ask for payment first")
    acct.reject_order(request.order_id)

    assert request.status is SanctionStatus.REJECTED
    with pytest.raises(ConflictingState):
        request.approve(head, NOW)


def test_approved_order_cannot_become_a_sanction_request(account: Callable[..., CustomerAccount]) -> None:
    acct = account("1000")
    decision = acct.check_order("SO-1", Decimal("10"), TODAY)
    with pytest.raises(ConflictingState):
        SanctionRequest.raise_for(sanction_id="S", order_id="SO-1", customer_id="C1", order_revision=1,
                                  decision=decision, ageing=acct.ageing(TODAY), oldest_overdue=None,
                                  requested_at=NOW)


def test_hold_period_shorter_than_escalation_is_refused() -> None:
    with pytest.raises(InvalidValue):
        SanctionPolicy(escalate_after=timedelta(hours=5), hold_period=timedelta(hours=4))


def test_profile_of_another_customer_cannot_take_the_increase(
    held: tuple[CustomerAccount, SanctionRequest], head: Actor, profile: Callable[..., CreditProfile]
) -> None:
    _, request = held
    with pytest.raises(InvalidValue):
        request.approve_with_temporary_increase(head, NOW, profile(customer="C2"), Decimal("1"), TODAY)
