from datetime import UTC, datetime
from decimal import Decimal

import pytest
from o2c.india.calendar import (
    business_date,
    financial_year,
    financial_year_end,
    short_financial_year,
    to_utc,
)
from o2c.india.supply import percent_of
from o2c.invoicing.domain.money import amount_in_words, indian_grouping, to_paisa, to_rupee


def test_business_date_is_the_ist_date_of_a_utc_instant() -> None:
    # 19:00 UTC on 21 Sep is 00:30 IST on 22 Sep.
    assert business_date(datetime(2025, 9, 21, 19, 0, tzinfo=UTC)).isoformat() == "2025-09-22"
    assert business_date(datetime(2025, 9, 21, 18, 29, tzinfo=UTC)).isoformat() == "2025-09-21"


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        business_date(datetime(2025, 9, 21, 10, 0))


def test_instants_are_stored_in_utc() -> None:
    assert to_utc(datetime.fromisoformat("2026-11-05T10:00:00+05:30")) == datetime(2026, 11, 5, 4, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "year"),
    [("2026-03-31", "2025-26"), ("2026-04-01", "2026-27"), ("2027-01-15", "2026-27"), ("2099-12-31", "2099-00")],
)
def test_financial_year_runs_april_to_march(day: str, year: str) -> None:
    assert financial_year(datetime.fromisoformat(day).date()) == year


def test_financial_year_end_and_short_form() -> None:
    assert financial_year_end("2024-25").isoformat() == "2025-03-31"
    assert short_financial_year("2026-27") == "26-27"
    with pytest.raises(ValueError):
        short_financial_year("2026-28")


def test_tax_rounds_half_up_to_the_paisa_not_to_even() -> None:
    assert percent_of(Decimal("12.50"), Decimal("9")) == Decimal("1.13")  # 1.125: the lines' tax (o2c.india)
    assert to_paisa(Decimal("2.345")) == Decimal("2.35")
    assert to_paisa(Decimal("2.3449")) == Decimal("2.34")


def test_grand_total_rounds_half_up_to_the_rupee() -> None:
    assert to_rupee(Decimal("2610.50")) == Decimal("2611.00")
    assert to_rupee(Decimal("2610.49")) == Decimal("2610.00")


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "Rupees Zero Only"),
        ("53100", "Rupees Fifty Three Thousand One Hundred Only"),
        ("153100", "Rupees One Lakh Fifty Three Thousand One Hundred Only"),
        ("2611.25", "Rupees Two Thousand Six Hundred Eleven and Twenty Five Paise Only"),
        (
            "123456789.05",
            "Rupees Twelve Crore Thirty Four Lakh Fifty Six Thousand Seven Hundred Eighty Nine and Five Paise Only",
        ),
        ("10000000", "Rupees One Crore Only"),
        ("12345000000", "Rupees One Thousand Two Hundred Thirty Four Crore Fifty Lakh Only"),
        ("-101", "Minus Rupees One Hundred One Only"),
    ],
)
def test_amount_in_words_uses_indian_numbering(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount)) == words


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("0", "0.00"),
        ("999", "999.00"),
        ("1000", "1,000.00"),
        ("153100.5", "1,53,100.50"),
        ("123456789", "12,34,56,789.00"),
    ],
)
def test_amounts_are_grouped_in_lakhs_and_crores(amount: str, shown: str) -> None:
    assert indian_grouping(Decimal(amount)) == shown
