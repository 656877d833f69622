"""Warehouses and where they are: state, pincode, the company's GSTIN registered in that state, and
coordinates for distances (great-circle, haversine). Coordinates come from outside (the pincode directory);
the domain only does arithmetic on them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from o2c.india.distance import great_circle_km
from o2c.india.gstin import is_valid_gstin
from o2c.india.states import OTHER_COUNTRIES, STATE_NAMES
from o2c.inventory.domain.errors import InvalidValue

STATE_CODES: dict[str, str] = {code: name for code, name in STATE_NAMES.items() if code != OTHER_COUNTRIES}
"""Where a warehouse can be: the GST state codes (o2c.india.states) of places in India."""

_PINCODE = re.compile(r"^[1-9][0-9]{5}$")


@dataclass(frozen=True)
class Coordinates:
    latitude: Decimal
    longitude: Decimal

    def __post_init__(self) -> None:
        if isinstance(self.latitude, float) or isinstance(self.longitude, float):
            raise InvalidValue("coordinates", "give coordinates as Decimal or strings, not floats")
        object.__setattr__(self, "latitude", Decimal(self.latitude))
        object.__setattr__(self, "longitude", Decimal(self.longitude))
        if not -90 <= self.latitude <= 90:
            raise InvalidValue("latitude", f"must be between -90 and 90, got {self.latitude}")
        if not -180 <= self.longitude <= 180:
            raise InvalidValue("longitude", f"must be between -180 and 180, got {self.longitude}")


def distance_km(a: Coordinates, b: Coordinates) -> Decimal:
    """Great-circle (haversine) distance, to 0.1 km. Road distance is longer; this is for ranking."""
    km = great_circle_km((float(a.latitude), float(a.longitude)), (float(b.latitude), float(b.longitude)))
    return Decimal(repr(km)).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Warehouse:
    """A place stock is kept and shipped from. Its GSTIN is the company's registration in the warehouse's
    state: that is the supplier GSTIN of every invoice for goods dispatched from here."""

    code: str
    name: str
    state_code: str
    pincode: str
    gstin: str
    coordinates: Coordinates | None = None

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise InvalidValue("code", "required")
        if self.state_code not in STATE_CODES:
            raise InvalidValue("state_code", f"unknown GST state code {self.state_code!r}")
        if not _PINCODE.match(self.pincode):
            raise InvalidValue("pincode", "six digits, not starting with 0")
        if not is_valid_gstin(self.gstin):
            raise InvalidValue("gstin", f"{self.gstin!r} is not a valid GSTIN (pattern or check character)")
        if self.gstin[:2] != self.state_code:
            raise InvalidValue(
                "gstin", f"registered in state {self.gstin[:2]}, but the warehouse is in state {self.state_code}"
            )

    def distance_to(self, place: Coordinates | None) -> Decimal | None:
        if self.coordinates is None or place is None:
            return None
        return distance_km(self.coordinates, place)
