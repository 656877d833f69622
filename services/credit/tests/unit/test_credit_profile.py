from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from o2c.credit.domain import IST, Actor, CreditProfile, InvalidValue, NotAuthorised

TODAY = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 11, 0, tzinfo=IST)


def test_temporary_increase_adds_headroom_only_until_it_expires(
    profile: Callable[..., CreditProfile], head: Actor
) -> None:
    p = profile("1000000")
    p.grant_temporary_increase(Decimal("200000"), TODAY + timedelta(days=7), head, NOW, "festival season")

    assert p.effective_limit(TODAY) == Decimal("1200000.00")
    assert p.effective_limit(TODAY + timedelta(days=7)) == Decimal("1200000.00")
    assert p.effective_limit(TODAY + timedelta(days=8)) == Decimal("1000000.00")
    assert p.effective_limit(TODAY - timedelta(days=1)) == Decimal("1000000.00")


def test_effective_limit_at_an_instant_uses_the_indian_day(profile: Callable[..., CreditProfile], head: Actor) -> None:
    p = profile("100000")
    p.grant_temporary_increase(Decimal("50000"), TODAY, head, NOW)
    late_on_expiry_day_in_india = datetime(2026, 6, 30, 23, 0, tzinfo=IST)
    already_next_day_in_india = datetime(2026, 6, 30, 19, 0, tzinfo=UTC)  # 00:30 IST on 1 July

    assert p.effective_limit(late_on_expiry_day_in_india) == Decimal("150000.00")
    assert p.effective_limit(already_next_day_in_india) == Decimal("100000.00")


def test_every_change_is_audited_with_who_when_and_why(
    profile: Callable[..., CreditProfile], head: Actor, sales: Actor
) -> None:
    p = profile("500000")
    p.propose_limit(Decimal("800000"), sales, NOW, "new distributor in Pune")
    p.set_limit(Decimal("750000"), head, NOW, "trade references checked")
    p.set_terms(45, 10, head, NOW, "annual review")
    p.place_on_hold(head, NOW, "cheque bounced")

    assert [(c.what, c.old, c.new, c.changed_by) for c in p.changes] == [
        ("proposed_limit", "None", "800000.00", "sanjay"),
        ("credit_limit", "500000.00", "750000.00", "meera"),
        ("payment_terms_days", "30", "45", "meera"),
        ("grace_days", "15", "10", "meera"),
        ("on_hold", "False", "True", "meera"),
    ]
    assert p.proposed_limit is None  # the proposal was decided
    assert p.on_hold and p.hold_reason == "cheque bounced"


def test_sales_proposes_but_only_a_finance_head_sets_the_limit(
    profile: Callable[..., CreditProfile], sales: Actor, executive: Actor
) -> None:
    p = profile("500000")
    with pytest.raises(NotAuthorised):
        p.set_limit(Decimal("900000"), sales, NOW)
    with pytest.raises(NotAuthorised):
        p.set_limit(Decimal("900000"), executive, NOW)
    assert p.credit_limit == Decimal("500000.00")
    assert p.changes == []


def test_finance_executive_grants_temporary_increase_only_within_her_approval_limit(
    profile: Callable[..., CreditProfile], executive: Actor
) -> None:
    p = profile()
    p.grant_temporary_increase(Decimal("200000"), TODAY, executive, NOW)
    with pytest.raises(NotAuthorised):
        p.grant_temporary_increase(Decimal("200000.01"), TODAY, executive, NOW)


def test_temporary_increase_cannot_expire_in_the_past(profile: Callable[..., CreditProfile], head: Actor) -> None:
    with pytest.raises(InvalidValue) as refused:
        profile().grant_temporary_increase(Decimal("1000"), TODAY - timedelta(days=1), head, NOW)
    assert refused.value.field == "valid_until"


def test_negative_limit_or_days_are_refused() -> None:
    with pytest.raises(InvalidValue):
        CreditProfile("C1", Decimal("-1"))
    with pytest.raises(InvalidValue):
        CreditProfile("C1", Decimal("1"), grace_days=-3)


def test_unchanged_values_leave_no_audit_noise(profile: Callable[..., CreditProfile], head: Actor) -> None:
    p = profile("500000", terms=30, grace=15)
    p.set_limit(Decimal("500000"), head, NOW)
    p.set_terms(30, 15, head, NOW)
    p.release_hold(head, NOW)
    assert p.changes == []


def test_hold_needs_a_reason(profile: Callable[..., CreditProfile], head: Actor) -> None:
    with pytest.raises(InvalidValue):
        profile().place_on_hold(head, NOW, "  ")
