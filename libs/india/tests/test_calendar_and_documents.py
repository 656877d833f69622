"""IST business dates, the financial year and the GST document-number rule (docs/domain.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from o2c.india.calendar import (
    IST,
    FinancialYear,
    InvalidFinancialYear,
    NaiveInstant,
    at_ist,
    business_date,
    financial_year,
    financial_year_end,
    financial_year_start,
    in_ist,
    short_financial_year,
    start_of_business_day,
    to_utc,
)
from o2c.india.documents import (
    InvalidDocumentNumber,
    gst_document_number_problem,
    parse_series_number,
    series_number,
    split_series,
    validated_document_number,
)


def test_ist_is_five_and_a_half_hours_ahead_of_utc_all_year() -> None:
    for month in (1, 7):
        assert datetime(2026, month, 1, tzinfo=IST).utcoffset() == timedelta(hours=5, minutes=30)


def test_business_date_is_the_ist_day_of_an_instant() -> None:
    assert business_date(datetime(2027, 3, 31, 18, 29, tzinfo=UTC)) == date(2027, 3, 31)
    assert business_date(datetime(2027, 3, 31, 18, 30, tzinfo=UTC)) == date(2027, 4, 1)
    new_york = timezone(timedelta(hours=-5))
    assert business_date(datetime(2027, 3, 31, 14, 0, tzinfo=new_york)) == date(2027, 4, 1)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(NaiveInstant, match="time zone"):
        business_date(datetime(2026, 4, 1, 12, 0))
    with pytest.raises(NaiveInstant):
        to_utc(datetime(2026, 4, 1, 12, 0))


def test_instants_move_between_utc_and_ist_unchanged() -> None:
    instant = datetime(2026, 9, 16, 13, 59, tzinfo=UTC)
    assert in_ist(instant).hour == 19 and in_ist(instant).minute == 29
    assert to_utc(in_ist(instant)) == instant
    assert start_of_business_day(date(2026, 4, 1)) == datetime(2026, 3, 31, 18, 30, tzinfo=UTC)
    assert at_ist(date(2026, 4, 1), time(23, 59)).astimezone(UTC).hour == 18


@pytest.mark.parametrize(
    ("day", "label"),
    [(date(2026, 4, 1), "2026-27"), (date(2027, 3, 31), "2026-27"), (date(2026, 3, 31), "2025-26"),
     (date(2099, 12, 1), "2099-00")],
)  # fmt: skip
def test_the_financial_year_runs_april_to_march(day: date, label: str) -> None:
    assert financial_year(day) == label == str(FinancialYear.of(day))
    assert FinancialYear.parse(label).contains(day)


def test_a_financial_year_has_first_and_last_days_and_a_short_form() -> None:
    assert financial_year_start("2026-27") == date(2026, 4, 1)
    assert financial_year_end("2026-27") == date(2027, 3, 31)
    assert short_financial_year("2026-27") == "26-27" == FinancialYear(2026).short
    assert FinancialYear.of_instant(datetime(2027, 3, 31, 19, 0, tzinfo=UTC)) == FinancialYear(2027)


@pytest.mark.parametrize("text", ["2026-28", "26-27", "2026/27", "", "2026-2027"])
def test_a_financial_year_not_written_like_2026_27_is_refused(text: str) -> None:
    with pytest.raises(InvalidFinancialYear):
        FinancialYear.parse(text)


@pytest.mark.parametrize(
    ("number", "valid"),
    [("INV/26-27/000123", True), ("A", True), ("1NV-1", True), ("ABCDEFGHIJKLMNOP", True),
     ("ABCDEFGHIJKLMNOPQ", False), ("0INV/1", False), ("/INV1", False), ("-INV1", False), ("INV 1", False),
     ("INV_1", False), ("", False)],
)  # fmt: skip
def test_the_gst_document_number_rule(number: str, valid: bool) -> None:
    assert (gst_document_number_problem(number) is None) is valid


def test_series_numbers_carry_prefix_short_year_and_padded_sequence() -> None:
    assert series_number("QTN", FinancialYear(2026), 42) == "QTN/26-27/000042"
    assert series_number("INV", "2026-27", 7, width=4) == "INV/26-27/0007"
    assert parse_series_number("SO/26-27/000042") == ("SO", FinancialYear(2026), 42, 6)
    assert split_series("INV/26-27/000123") == ("INV/26-27/", 123)
    with pytest.raises(InvalidDocumentNumber, match="names no financial year"):
        parse_series_number("SO/26-28/000042")
    with pytest.raises(InvalidDocumentNumber, match="at most 16"):
        validated_document_number("INVOICE/2026-27/000000001")
