"""Business calendar: Indian Standard Time dates and the April–March financial year."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")


def require_aware(instant: datetime) -> datetime:
    """Refuse naive datetimes: an instant without a zone cannot be placed on the IST calendar."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"instant must carry a time zone: {instant!r}")
    return instant


def business_date(instant: datetime) -> date:
    """The IST calendar date of an instant (invoice date, e-way bill date, ageing)."""
    return require_aware(instant).astimezone(IST).date()


def to_utc(instant: datetime) -> datetime:
    """Instants are stored in UTC."""
    return require_aware(instant).astimezone(UTC)


def financial_year(on: date) -> str:
    """The financial year of a date, written `2026-27` (April to March)."""
    start = on.year if on.month >= 4 else on.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def financial_year_start(financial_year_label: str) -> date:
    start = int(financial_year_label[:4])
    if financial_year_label != f"{start}-{(start + 1) % 100:02d}":
        raise ValueError(f"not a financial year like 2026-27: {financial_year_label!r}")
    return date(start, 4, 1)


def financial_year_end(financial_year_label: str) -> date:
    start = financial_year_start(financial_year_label)
    return date(start.year + 1, 4, 1) - timedelta(days=1)


def short_financial_year(financial_year_label: str) -> str:
    """`2026-27` → `26-27`, the form used inside document numbers."""
    financial_year_start(financial_year_label)
    return financial_year_label[2:]
