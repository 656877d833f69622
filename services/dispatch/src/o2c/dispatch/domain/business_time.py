"""Instants are aware datetimes; business dates are the Indian (IST) calendar day."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from o2c.dispatch.domain.errors import InvalidValue

IST = ZoneInfo("Asia/Kolkata")


def require_aware(at: datetime, field: str = "at") -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidValue(field, "timestamp must carry a time zone")
    return at


def business_date(at: datetime) -> date:
    return require_aware(at).astimezone(IST).date()
