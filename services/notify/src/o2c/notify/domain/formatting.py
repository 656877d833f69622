"""How amounts and moments read in a message: rupees in lakhs and crores, dates and times in IST."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from o2c.contracts.rupees import format_inr as rupees

__all__ = ["IST", "day", "moment", "rupees"]

IST = ZoneInfo("Asia/Kolkata")


def day(on: date) -> str:
    """`29 Sep 2022`."""
    return f"{on.day} {on:%b %Y}"


def moment(instant: datetime) -> str:
    """`29 Sep 2022, 11:59 PM IST` for any aware instant."""
    if instant.tzinfo is None:
        raise ValueError("an instant needs a time zone to be shown in IST")
    local = instant.astimezone(IST)
    return f"{day(local.date())}, {local:%I:%M %p} IST"


def ist_date(instant: datetime) -> date:
    if instant.tzinfo is None:
        raise ValueError("an instant needs a time zone to be placed on the IST calendar")
    return instant.astimezone(IST).date()
