"""Business dates are Indian Standard Time (o2c.india.calendar): instants are aware datetimes, the calendar
day is taken in IST."""

from __future__ import annotations

from datetime import date, datetime

from o2c.credit.domain.errors import InvalidValue
from o2c.india.calendar import IST, business_date, start_of_business_day

__all__ = ["IST", "as_business_date", "business_date", "require_aware", "start_of_business_day"]


def require_aware(at: datetime, field: str = "at") -> datetime:
    """A naive timestamp is ambiguous (UTC? IST?), so the domain refuses it, naming the field."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidValue(field, "timestamp must carry a time zone")
    return at


def as_business_date(at: date) -> date:
    """Accept a business date or an instant (converted to its IST day)."""
    return business_date(require_aware(at)) if isinstance(at, datetime) else at
