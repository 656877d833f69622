"""How amounts and moments read in a message: rupees in lakhs and crores, dates and times in IST."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")


def rupees(amount: Decimal) -> str:
    """`Decimal("153100.5")` → `₹1,53,100.50`: the last three digits, then groups of two."""
    exact = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if exact < 0 else ""
    whole, _, paise = f"{abs(exact):.2f}".partition(".")
    head, groups = whole[:-3], [whole[-3:]]
    while head:
        groups.insert(0, head[-2:])
        head = head[:-2]
    return f"{sign}₹{','.join(groups)}.{paise}"


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
