from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from o2c.credit.domain import InvalidValue, business_date, format_inr, money
from o2c.credit.domain.business_time import as_business_date


def test_money_rounds_half_up_to_the_paisa() -> None:
    assert money("10.005") == Decimal("10.01")
    assert money(Decimal("2.345")) == Decimal("2.35")
    assert money(7) == Decimal("7.00")


def test_floats_never_become_money() -> None:
    with pytest.raises(InvalidValue) as refused:
        money(0.1)  # type: ignore[arg-type]
    assert refused.value.field == "amount"


def test_garbage_is_not_money() -> None:
    with pytest.raises(InvalidValue):
        money("ten rupees")
    with pytest.raises(InvalidValue):
        money("NaN")


def test_amounts_are_written_in_lakhs_and_crores() -> None:
    assert format_inr(Decimal("1050000")) == "₹10,50,000.00"
    assert format_inr(Decimal("123456789.5")) == "₹12,34,56,789.50"
    assert format_inr(Decimal("999")) == "₹999.00"
    assert format_inr(Decimal("-59000")) == "-₹59,000.00"


def test_business_date_is_the_indian_calendar_day() -> None:
    late_evening_utc = datetime(2026, 3, 31, 20, 0, tzinfo=UTC)
    assert business_date(late_evening_utc) == date(2026, 4, 1)


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        business_date(datetime(2026, 4, 1, 10, 0))
    with pytest.raises(InvalidValue):
        as_business_date(datetime(2026, 4, 1, 10, 0))
