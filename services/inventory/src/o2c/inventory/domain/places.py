"""Warehouses and where they are: state, pincode, the company's GSTIN registered in that state, and
coordinates for distances (great-circle, haversine). Coordinates come from outside (the pincode directory);
the domain only does arithmetic on them."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

from o2c.contracts.gstin import is_valid_gstin
from o2c.inventory.domain.errors import InvalidValue

STATE_CODES: dict[str, str] = {
    "01": "Jammu & Kashmir", "02": "Himachal Pradesh", "03": "Punjab", "04": "Chandigarh", "05": "Uttarakhand",
    "06": "Haryana", "07": "Delhi", "08": "Rajasthan", "09": "Uttar Pradesh", "10": "Bihar", "11": "Sikkim",
    "12": "Arunachal Pradesh", "13": "Nagaland", "14": "Manipur", "15": "Mizoram", "16": "Tripura",
    "17": "Meghalaya", "18": "Assam", "19": "West Bengal", "20": "Jharkhand", "21": "Odisha", "22": "Chhattisgarh",
    "23": "Madhya Pradesh", "24": "Gujarat", "26": "Dadra & Nagar Haveli and Daman & Diu", "27": "Maharashtra",
    "29": "Karnataka", "30": "Goa", "31": "Lakshadweep", "32": "Kerala", "33": "Tamil Nadu", "34": "Puducherry",
    "35": "Andaman & Nicobar", "36": "Telangana", "37": "Andhra Pradesh", "38": "Ladakh", "97": "Other territory",
}

_PINCODE = re.compile(r"^[1-9][0-9]{5}$")
EARTH_RADIUS_KM = 6371.0088


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
    lat1, lon1, lat2, lon2 = (math.radians(float(v)) for v in (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    km = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))
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
