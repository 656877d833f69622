"""The government portals' shapes (IRP, GSTR-1, e-way bill; docs/domain.md, "Portals"): JSON with exact
amounts (Decimal written digit for digit, never through float) and the portals' ways of writing dates."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from o2c.india.calendar import IST, require_aware

PORTAL_DATETIME = "%d/%m/%Y %I:%M:%S %p"


def _encode(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite amount: {value}")
        return format(value, "f")
    if isinstance(value, int | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, date):
        raise TypeError("format dates as the portal expects (dd/mm/yyyy or dd-mm-yyyy) before encoding")
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__} for a portal")


def dumps(document: Mapping[str, Any]) -> str:
    """Compact JSON text; Decimal amounts keep every digit (`1234.50` stays `1234.50`)."""
    return _encode(document)


def portal_datetime(instant: datetime) -> str:
    """The NIC portal's way of writing an instant: IST, `16/09/2022 07:29:00 PM`."""
    return require_aware(instant).astimezone(IST).strftime(PORTAL_DATETIME)


def parse_portal_datetime(text: str) -> datetime:
    """`29/09/2022 11:59:00 PM` (IST) → an aware instant."""
    return datetime.strptime(text.strip(), PORTAL_DATETIME).replace(tzinfo=IST)


def portal_date(on: date) -> str:
    """`dd/mm/yyyy`, as the e-way bill and IRP portals write a date."""
    return on.strftime("%d/%m/%Y")
