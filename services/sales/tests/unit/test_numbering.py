from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from o2c.sales.domain.errors import InvalidValue, RuleViolation
from o2c.sales.domain.numbering import (
    DocumentNumber,
    DocumentSeries,
    FinancialYear,
    business_date,
    gst_document_number_problem,
    validate_gst_document_number,
)


@pytest.mark.parametrize(
    ("day", "year"),
    [(date(2026, 4, 1), "2026-27"), (date(2027, 3, 31), "2026-27"), (date(2026, 3, 31), "2025-26")],
)
def test_financial_year_runs_april_to_march(day: date, year: str) -> None:
    assert str(FinancialYear.of(day)) == year


def test_financial_year_of_the_century_turn_is_written_with_two_digits() -> None:
    assert str(FinancialYear(2099)) == "2099-00"
    assert FinancialYear(2099).short == "99-00"


def test_business_date_is_the_ist_date_of_a_utc_instant() -> None:
    late_evening_utc = datetime(2027, 3, 31, 19, 0, tzinfo=UTC)  # 00:30 IST on 1 April
    assert business_date(late_evening_utc) == date(2027, 4, 1)
    assert str(FinancialYear.of_instant(late_evening_utc)) == "2027-28"


def test_business_date_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="time zone"):
        business_date(datetime(2026, 4, 1, 12, 0))


def test_financial_year_parses_its_written_form() -> None:
    fy = FinancialYear.parse("2026-27")
    assert fy.first_day == date(2026, 4, 1) and fy.last_day == date(2027, 3, 31)
    assert fy.contains(date(2026, 12, 1)) and not fy.contains(date(2027, 4, 1))
    with pytest.raises(ValueError, match="2026-27"):
        FinancialYear.parse("2026-28")


def test_quotation_number_has_series_year_and_six_digit_sequence() -> None:
    number = DocumentNumber.build("QTN", FinancialYear(2026), 42)
    assert number.text == "QTN/26-27/000042"
    assert len(number.text) == 16


def test_document_number_round_trips_through_text() -> None:
    assert DocumentNumber.parse("INV/26-27/000123") == DocumentNumber("INV", FinancialYear(2026), 123)


def test_too_long_series_prefix_breaks_the_sixteen_character_rule() -> None:
    with pytest.raises(InvalidValue, match="16"):
        DocumentNumber.build("QUOTE", FinancialYear(2026), 1)


def test_exhausted_series_is_refused_rather_than_overflowing() -> None:
    with pytest.raises(RuleViolation, match="exhausted"):
        DocumentNumber.build("SO", FinancialYear(2026), 1_000_000)


def test_series_issues_numbers_without_gaps() -> None:
    series = DocumentSeries("SO", FinancialYear(2026))
    series, first = series.issue()
    series, second = series.issue()
    assert (first.text, second.text) == ("SO/26-27/000001", "SO/26-27/000002")
    assert series.last_issued == 2


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("0INV/1", "must not start with '0'"),
        ("/INV1", "must not start with '/'"),
        ("-INV1", "must not start with '-'"),
        ("INV_2026_1", "only letters"),
        ("INV/2026-27/000001", "at most 16"),
        ("", "empty"),
    ],
)
def test_gst_document_number_rule(text: str, words: str) -> None:
    problem = gst_document_number_problem(text)
    assert problem is not None and words in problem


def test_valid_gst_document_number_passes() -> None:
    assert validate_gst_document_number("2019-20/KA/1") == "2019-20/KA/1"
