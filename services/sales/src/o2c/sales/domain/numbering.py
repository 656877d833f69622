"""Sales' document series: quotations and orders numbered `QTN/26-27/000042` and `SO/26-27/000042`.

The financial year, business dates and the GST document-number rule are India's rules (o2c.india); this module
only wraps them in the sales domain's errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from o2c.india.calendar import FinancialYear, business_date
from o2c.india.documents import (
    GST_DOCUMENT_NUMBER_MAX,
    InvalidDocumentNumber,
    gst_document_number_problem,
    parse_series_number,
    series_number,
)
from o2c.sales.domain.errors import InvalidValue, RuleViolation

__all__ = ["GST_DOCUMENT_NUMBER_MAX", "ORDER_SERIES", "QUOTATION_SERIES", "DocumentNumber", "DocumentSeries",
           "FinancialYear", "business_date", "gst_document_number_problem", "now_utc",
           "validate_gst_document_number"]

_SERIES_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9/-]*")


def now_utc() -> datetime:
    return datetime.now(UTC)


def validate_gst_document_number(text: str, field: str = "document_number") -> str:
    problem = gst_document_number_problem(text)
    if problem is not None:
        raise InvalidValue(field, f"document number {text!r} {problem}", text)
    return text


@dataclass(frozen=True, slots=True)
class DocumentNumber:
    """A series number such as `QTN/26-27/000042`: prefix, financial year, zero-padded sequence."""

    prefix: str
    financial_year: FinancialYear
    sequence: int
    width: int = 6

    def __post_init__(self) -> None:
        if not _SERIES_PREFIX.fullmatch(self.prefix):
            raise InvalidValue("prefix", f"a series prefix starts with a letter, got {self.prefix!r}", self.prefix)
        if self.sequence < 1:
            raise InvalidValue("sequence", "sequences start at 1", self.sequence)
        if len(str(self.sequence)) > self.width:
            raise RuleViolation(f"series {self.prefix}/{self.financial_year.short} is exhausted at {self.sequence}")
        validate_gst_document_number(self.text)

    @classmethod
    def build(cls, prefix: str, financial_year: FinancialYear, sequence: int, width: int = 6) -> DocumentNumber:
        return cls(prefix, financial_year, sequence, width)

    @classmethod
    def parse(cls, text: str, field: str = "document_number") -> DocumentNumber:
        try:
            prefix, year, sequence, width = parse_series_number(text)
        except InvalidDocumentNumber as problem:
            raise InvalidValue(field, str(problem), text) from None
        return cls(prefix, year, sequence, width)

    @property
    def text(self) -> str:
        return series_number(self.prefix, self.financial_year, self.sequence, self.width)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class DocumentSeries:
    """The gapless counter of one series in one financial year; the repository keeps `last_issued` under a
    row lock and a cancelled number stays used (no reuse)."""

    prefix: str
    financial_year: FinancialYear
    last_issued: int = 0
    width: int = 6

    def issue(self) -> tuple[DocumentSeries, DocumentNumber]:
        """The next number and the series advanced past it."""
        number = DocumentNumber(self.prefix, self.financial_year, self.last_issued + 1, self.width)
        return DocumentSeries(self.prefix, self.financial_year, number.sequence, self.width), number


QUOTATION_SERIES = "QTN"
ORDER_SERIES = "SO"
