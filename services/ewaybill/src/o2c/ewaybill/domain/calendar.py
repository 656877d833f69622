"""Indian Standard Time: e-way bill dates and "midnight" in validity are IST; instants are stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")


def require_aware(instant: datetime) -> datetime:
    """Refuse naive datetimes: an instant without a zone cannot be placed on the IST calendar."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"instant must carry a time zone: {instant!r}")
    return instant


def business_date(instant: datetime) -> date:
    return require_aware(instant).astimezone(IST).date()


def to_utc(instant: datetime) -> datetime:
    return require_aware(instant).astimezone(UTC)


def portal_datetime(instant: datetime) -> str:
    """The NIC portal's way of writing an instant: IST, `16/09/2022 07:29:00 PM`."""
    return require_aware(instant).astimezone(IST).strftime("%d/%m/%Y %I:%M:%S %p")


def parse_portal_datetime(text: str) -> datetime:
    """`29/09/2022 11:59:00 PM` (IST) → an aware instant."""
    return datetime.strptime(text.strip(), "%d/%m/%Y %I:%M:%S %p").replace(tzinfo=IST)


def portal_date(on: date) -> str:
    return on.strftime("%d/%m/%Y")
