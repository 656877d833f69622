"""GST document numbers: one gap-free series per supplier GSTIN, document kind and financial year.

`next_number` is pure: it takes the series as last persisted and returns the number to issue and the
advanced series. The database layer serialises calls (row lock on the series) so that concurrent
invoices get consecutive numbers and none is skipped; a cancelled number stays used."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from o2c.india.documents import (
    InvalidDocumentNumber,
    series_number,
    split_series,
    validated_document_number,
)

__all__ = ["DocumentSeries", "InvalidDocumentNumber", "IssuedNumber", "SeriesExhausted",
           "format_document_number", "next_number", "split_series", "validated_document_number"]

_PREFIX = re.compile(r"^[A-Za-z1-9][A-Za-z0-9]*$")


class SeriesExhausted(RuntimeError):
    """The series has used every number its width allows: start a new prefix, never wrap around."""


@dataclass(frozen=True, slots=True)
class DocumentSeries:
    """A numbering series as persisted: `last_sequence` is the sequence of the last number issued."""

    supplier_gstin: str
    financial_year: str
    prefix: str = "INV"
    width: int = 6
    last_sequence: int = 0

    def __post_init__(self) -> None:
        if not _PREFIX.match(self.prefix):
            raise InvalidDocumentNumber(f"series prefix {self.prefix!r} must be letters and digits, not starting 0")
        if self.width < 1 or self.last_sequence < 0:
            raise ValueError("width must be positive and last_sequence not negative")
        # The longest number this series can produce must still be a valid document number.
        validated_document_number(
            format_document_number(self.prefix, self.financial_year, 10**self.width - 1, self.width)
        )


@dataclass(frozen=True, slots=True)
class IssuedNumber:
    number: str
    sequence: int


def format_document_number(prefix: str, financial_year: str, sequence: int, width: int = 6) -> str:
    """`INV`, `2026-27`, 123 → `INV/26-27/000123`."""
    return series_number(prefix, financial_year, sequence, width)


def next_number(series: DocumentSeries) -> tuple[IssuedNumber, DocumentSeries]:
    """The next number of the series and the series advanced past it."""
    sequence = series.last_sequence + 1
    if sequence >= 10**series.width:
        raise SeriesExhausted(f"series {series.prefix} {series.financial_year} of {series.supplier_gstin} is full")
    number = validated_document_number(
        format_document_number(series.prefix, series.financial_year, sequence, series.width)
    )
    return IssuedNumber(number=number, sequence=sequence), replace(series, last_sequence=sequence)

