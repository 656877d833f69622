"""Business dates are Indian Standard Time: instants are aware datetimes, the calendar day is taken in IST."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from o2c.credit.domain.errors import InvalidValue

IST = ZoneInfo("Asia/Kolkata")


def require_aware(at: datetime, field: str = "at") -> datetime:
    """A naive timestamp is ambiguous (UTC? IST?), so the domain refuses it."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidValue(field, "timestamp must carry a time zone")
    return at


def business_date(at: datetime) -> date:
    """The IST calendar day of an instant: 2026-03-31T20:00Z is already 1 April in India."""
    return require_aware(at).astimezone(IST).date()


def as_business_date(at: date) -> date:
    """Accept a business date or an instant (converted to its IST day)."""
    return business_date(at) if isinstance(at, datetime) else at


def start_of_business_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=IST)
