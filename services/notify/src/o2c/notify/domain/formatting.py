"""How amounts and moments read in a message: rupees in lakhs and crores, dates and times in IST (both India's
rules, o2c.india)."""

from __future__ import annotations

from datetime import date, datetime

from o2c.india.calendar import IST, in_ist
from o2c.india.calendar import business_date as ist_date
from o2c.india.rupees import format_inr as rupees

__all__ = ["IST", "day", "ist_date", "moment", "rupees"]


def day(on: date) -> str:
    """`29 Sep 2022`."""
    return f"{on.day} {on:%b %Y}"


def moment(instant: datetime) -> str:
    """`29 Sep 2022, 11:59 PM IST` for any aware instant."""
    local = in_ist(instant)
    return f"{day(local.date())}, {local:%I:%M %p} IST"
