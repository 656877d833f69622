"""GST document numbers (docs/domain.md, "Document numbers"): at most 16 characters, only letters, digits,
`/` and `-`, not starting with `0`, `/` or `-`; unique per supplier GSTIN within a financial year. Series read
`PREFIX/26-27/000042`."""

from __future__ import annotations

import re

from o2c.india.calendar import FinancialYear

GST_DOCUMENT_NUMBER_MAX = 16
GST_DOCUMENT_NUMBER_PATTERN = r"^[A-Za-z1-9][A-Za-z0-9/-]{0,15}$"
"""The same rule as a regular expression, for schemas (o2c.contracts.types.DocumentNumber)."""
_ALLOWED = re.compile(r"[A-Za-z0-9/-]+")
_TRAILING_SEQUENCE = re.compile(r"^(?P<series>.*?)(?P<sequence>[0-9]+)$")


class InvalidDocumentNumber(ValueError):
    """A number that breaks the GST document-number rule."""


def gst_document_number_problem(text: str) -> str | None:
    """Why `text` breaks the GST document-number rule, or None."""
    if not text:
        return "is empty"
    if len(text) > GST_DOCUMENT_NUMBER_MAX:
        return f"has {len(text)} characters; at most {GST_DOCUMENT_NUMBER_MAX} are allowed"
    if not _ALLOWED.fullmatch(text):
        return "may hold only letters, digits, '/' and '-'"
    if text[0] in "0/-":
        return f"must not start with {text[0]!r}"
    return None


def validated_document_number(text: str) -> str:
    problem = gst_document_number_problem(text)
    if problem is not None:
        raise InvalidDocumentNumber(f"document number {text!r} {problem}")
    return text


def series_number(prefix: str, financial_year: FinancialYear | str, sequence: int, width: int = 6) -> str:
    """`INV`, `2026-27`, 123 → `INV/26-27/000123` (not validated: see `validated_document_number`)."""
    year = financial_year if isinstance(financial_year, FinancialYear) else FinancialYear.parse(financial_year)
    return f"{prefix}/{year.short}/{sequence:0{width}d}"


def parse_series_number(text: str) -> tuple[str, FinancialYear, int, int]:
    """`QTN/26-27/000042` → (`QTN`, FinancialYear(2026), 42, 6); InvalidDocumentNumber otherwise."""
    validated_document_number(text)
    match = re.fullmatch(r"(.+)/([0-9]{2})-([0-9]{2})/([0-9]+)", text)
    if not match:
        raise InvalidDocumentNumber(f"{text!r} is not of the form PREFIX/YY-YY/NNNNNN")
    start = 2000 + int(match.group(2))
    if (start + 1) % 100 != int(match.group(3)):
        raise InvalidDocumentNumber(f"{text!r} names no financial year")
    digits = match.group(4)
    return match.group(1), FinancialYear(start), int(digits), len(digits)


def split_series(number: str) -> tuple[str, int]:
    """`INV/26-27/000123` → (`INV/26-27/`, 123): the series part and the trailing sequence."""
    found = _TRAILING_SEQUENCE.match(number)
    if not found:
        raise InvalidDocumentNumber(f"document number {number!r} does not end in a sequence")
    return found.group("series"), int(found.group("sequence"))
