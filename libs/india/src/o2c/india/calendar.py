"""Indian Standard Time and the business calendar (docs/domain.md, "Dates").

Instants are stored in UTC; a business date is the IST calendar day of an instant. IST is a fixed UTC+05:30
with no daylight saving, so a fixed offset is exact and needs no time-zone database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

IST = timezone(timedelta(hours=5, minutes=30), "IST")
"""The one definition of Indian Standard Time."""
IST_ZONE_NAME = "Asia/Kolkata"
"""IST as PostgreSQL names it (for `timezone(...)` in SQL)."""


class NaiveInstant(ValueError):
    """An instant without a time zone: it cannot be placed on the IST calendar."""


def require_aware(instant: datetime) -> datetime:
    """The instant itself, or NaiveInstant: a naive timestamp is ambiguous (UTC? IST?)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise NaiveInstant(f"instant must carry a time zone: {instant!r}")
    return instant


def business_date(instant: datetime) -> date:
    """The IST calendar day of an aware instant (20:00 UTC on 31 March is already 1 April in India)."""
    return require_aware(instant).astimezone(IST).date()


def in_ist(instant: datetime) -> datetime:
    """The same instant on the IST clock."""
    return require_aware(instant).astimezone(IST)


def to_utc(instant: datetime) -> datetime:
    return require_aware(instant).astimezone(UTC)


def start_of_business_day(day: date) -> datetime:
    """00:00 IST of a business date."""
    return datetime.combine(day, time.min, tzinfo=IST)


def at_ist(day: date, clock: time) -> datetime:
    """A wall-clock time on a business date, in IST."""
    return datetime.combine(day, clock, tzinfo=IST)


class InvalidFinancialYear(ValueError):
    """Text that does not name a financial year like 2026-27."""


@dataclass(frozen=True, slots=True, order=True)
class FinancialYear:
    """The Indian financial year, 1 April to 31 March, written `2026-27` (`26-27` inside document numbers)."""

    start_year: int

    @classmethod
    def of(cls, day: date) -> FinancialYear:
        return cls(day.year if day.month >= 4 else day.year - 1)

    @classmethod
    def of_instant(cls, instant: datetime) -> FinancialYear:
        return cls.of(business_date(instant))

    @classmethod
    def parse(cls, text: str) -> FinancialYear:
        """`2026-27` → FinancialYear(2026); InvalidFinancialYear otherwise."""
        match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", text.strip())
        if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
            raise InvalidFinancialYear(f"a financial year is written like 2026-27, got {text!r}")
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
        """`26-27`: the form document series carry to stay within 16 characters."""
        return f"{self.start_year % 100:02d}-{(self.start_year + 1) % 100:02d}"

    @property
    def label(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    def __str__(self) -> str:
        return self.label


def financial_year(on: date) -> str:
    """The financial year of a date as its label, `2026-27`."""
    return FinancialYear.of(on).label


def financial_year_start(label: str) -> date:
    """`2026-27` → 1 April 2026; InvalidFinancialYear for anything else."""
    return FinancialYear.parse(label).first_day


def financial_year_end(label: str) -> date:
    """`2026-27` → 31 March 2027."""
    return FinancialYear.parse(label).last_day


def short_financial_year(label: str) -> str:
    """`2026-27` → `26-27`, the form used inside document numbers."""
    return FinancialYear.parse(label).short
