"""Business dates and document numbers: Indian financial years, IST dates, and GST-valid series numbers.

Instants are stored in UTC; business dates are Indian Standard Time. IST is a fixed UTC+05:30 with no daylight
saving, so a fixed offset is exact and needs no tz database in the container.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from o2c.sales.domain.errors import InvalidValue, RuleViolation

IST = timezone(timedelta(hours=5, minutes=30), "IST")
GST_DOCUMENT_NUMBER_MAX = 16
_GST_DOCUMENT_NUMBER = re.compile(r"[A-Za-z0-9/-]+")
_SERIES_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9/-]*")


def business_date(instant: datetime) -> date:
    """The IST calendar date of an aware instant (a quotation issued at 20:00 UTC on 31 March is 1 April)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidValue("instant", "needs a time zone; store instants in UTC", instant)
    return instant.astimezone(IST).date()


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True, order=True)
class FinancialYear:
    """Indian financial year 1 April – 31 March, written `2026-27`."""

    start_year: int

    @classmethod
    def of(cls, day: date) -> FinancialYear:
        return cls(day.year if day.month >= 4 else day.year - 1)

    @classmethod
    def of_instant(cls, instant: datetime) -> FinancialYear:
        return cls.of(business_date(instant))

    @classmethod
    def parse(cls, text: str, field: str = "financial_year") -> FinancialYear:
        match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", text.strip())
        if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
            raise InvalidValue(field, f"a financial year is written like 2026-27, got {text!r}", text)
        return cls(int(match.group(1)))

    @property
    def first_day(self) -> date:
        return date(self.start_year, 4, 1)

    @property
    def last_day(self) -> date:
        return date(self.start_year + 1, 3, 31)

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    @property
    def short(self) -> str:
        """`26-27`, the form document series carry to stay within 16 characters."""
        return f"{self.start_year % 100:02d}-{(self.start_year + 1) % 100:02d}"

    def __str__(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"


def gst_document_number_problem(text: str) -> str | None:
    """Why `text` breaks the GST document number rule, or None: at most 16 characters, letters, digits, `/` and
    `-` only, not starting with `0`, `/` or `-`."""
    if not text:
        return "is empty"
    if len(text) > GST_DOCUMENT_NUMBER_MAX:
        return f"has {len(text)} characters; at most {GST_DOCUMENT_NUMBER_MAX} are allowed"
    if not _GST_DOCUMENT_NUMBER.fullmatch(text):
        return "may hold only letters, digits, '/' and '-'"
    if text[0] in "0/-":
        return f"must not start with {text[0]!r}"
    return None


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
        validate_gst_document_number(text, field)
        match = re.fullmatch(r"(.+)/([0-9]{2})-([0-9]{2})/([0-9]+)", text)
        if not match:
            raise InvalidValue(field, f"{text!r} is not of the form PREFIX/YY-YY/NNNNNN", text)
        start = 2000 + int(match.group(2))
        if (start + 1) % 100 != int(match.group(3)):
            raise InvalidValue(field, f"{text!r} names no financial year", text)
        digits = match.group(4)
        return cls(match.group(1), FinancialYear(start), int(digits), len(digits))

    @property
    def text(self) -> str:
        return f"{self.prefix}/{self.financial_year.short}/{self.sequence:0{self.width}d}"

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
