import pytest
from o2c.india.documents import gst_document_number_problem as document_number_problem
from o2c.invoicing.domain.numbering import (
    DocumentSeries,
    InvalidDocumentNumber,
    SeriesExhausted,
    next_number,
    split_series,
)

GSTIN = "27AAACO1234C1Z2"


def test_the_first_number_of_a_series_is_1_in_the_fy_style() -> None:
    issued, series = next_number(DocumentSeries(supplier_gstin=GSTIN, financial_year="2026-27"))
    assert issued.number == "INV/26-27/000001"
    assert series.last_sequence == 1


def test_200_numbers_in_a_row_are_consecutive_without_gaps() -> None:
    series = DocumentSeries(supplier_gstin=GSTIN, financial_year="2026-27", last_sequence=122)
    numbers = []
    for _ in range(200):
        issued, series = next_number(series)
        numbers.append(issued)
    assert numbers[0].number == "INV/26-27/000123"
    assert [n.sequence for n in numbers] == list(range(123, 323))
    assert len({n.number for n in numbers}) == 200
    assert all(len(n.number) <= 16 for n in numbers)


def test_next_number_is_pure_the_given_series_is_unchanged() -> None:
    series = DocumentSeries(supplier_gstin=GSTIN, financial_year="2026-27", last_sequence=5)
    assert next_number(series)[0] == next_number(series)[0]
    assert series.last_sequence == 5


def test_series_are_kept_per_gstin_year_and_document_kind() -> None:
    invoices = DocumentSeries(supplier_gstin=GSTIN, financial_year="2026-27")
    notes = DocumentSeries(supplier_gstin=GSTIN, financial_year="2026-27", prefix="CRN")
    assert next_number(invoices)[0].number == "INV/26-27/000001"
    assert next_number(notes)[0].number == "CRN/26-27/000001"


def test_a_prefix_too_long_for_16_characters_is_refused_when_the_series_is_set_up() -> None:
    with pytest.raises(InvalidDocumentNumber, match="at most 16"):
        DocumentSeries(supplier_gstin=GSTIN, financial_year="2026-27", prefix="INVC")
    with pytest.raises(InvalidDocumentNumber):
        DocumentSeries(supplier_gstin=GSTIN, financial_year="2026-27", prefix="0IN")


def test_a_full_series_stops_rather_than_wrapping_around() -> None:
    series = DocumentSeries(supplier_gstin=GSTIN, financial_year="2026-27", prefix="INVOI", width=4, last_sequence=9999)
    with pytest.raises(SeriesExhausted):
        next_number(series)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("INV/26-27/000123", True),
        ("2019-20/KA/1", True),
        ("INV/26-27/0001234", False),  # 17 characters
        ("0INV/1", False),
        ("/INV/1", False),
        ("-INV/1", False),
        ("INV 1", False),
        ("INV_1", False),
    ],
)
def test_gst_document_number_rule(number: str, valid: bool) -> None:
    assert (document_number_problem(number) is None) is valid


def test_a_number_splits_into_its_series_and_sequence() -> None:
    assert split_series("INV/26-27/000123") == ("INV/26-27/", 123)
