"""Instants are aware datetimes; business dates are the Indian (IST) calendar day (o2c.india.calendar)."""

from __future__ import annotations

from datetime import datetime

from o2c.dispatch.domain.errors import InvalidValue
from o2c.india.calendar import IST, business_date

__all__ = ["IST", "business_date", "require_aware"]


def require_aware(at: datetime, field: str = "at") -> datetime:
    """A naive timestamp is ambiguous (UTC? IST?), so the domain refuses it, naming the field."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidValue(field, "timestamp must carry a time zone")
    return at
