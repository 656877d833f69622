"""Vehicle numbers as the e-way bill portal accepts them (303 required, 304 invalid format)."""

from __future__ import annotations

import re
from enum import StrEnum

from o2c.ewaybill.domain.errors import INVALID_VEHICLE_FORMAT, VEHICLE_REQUIRED, PortalError, portal_error


class TransportMode(StrEnum):
    """NIC transMode: 1 road, 2 rail, 3 air, 4 ship."""

    ROAD = "1"
    RAIL = "2"
    AIR = "3"
    SHIP = "4"


_FORMATS = tuple(
    re.compile(pattern)
    for pattern in (
        r"^[A-Z]{2}[0-9]{2}[0-9]{4}$",  # AB121234
        r"^[A-Z]{2}[0-9]{2}[A-Z][0-9]{4}$",  # AB12A1234
        r"^[A-Z]{2}[0-9]{2}[A-Z]{2}[0-9]{4}$",  # AB12AB1234
        r"^[A-Z]{3}[0-9]{4}$",  # ABC1234
        r"^[A-Z]{2}[0-9]{3}[A-Z][0-9]{4}$",  # AB123A1234
        r"^[A-Z]{2}[0-9]{2}[A-Z]{3}[0-9]{4}$",  # AB12ABC1234
        r"^(TM|DF|BP|NP)[A-Z0-9]+$",  # temporary, defence, Bhutan, Nepal
    )
)
MIN_LENGTH, MAX_LENGTH = 7, 15


def normalised_vehicle_number(vehicle_no: str) -> str:
    """Upper case without spaces or hyphens: `ka 01 ab-1234` → `KA01AB1234`."""
    return re.sub(r"[\s-]", "", vehicle_no).upper()


def is_valid_vehicle_number(vehicle_no: str) -> bool:
    number = normalised_vehicle_number(vehicle_no)
    return MIN_LENGTH <= len(number) <= MAX_LENGTH and any(pattern.match(number) for pattern in _FORMATS)


def vehicle_number_error(vehicle_no: str | None, mode: TransportMode = TransportMode.ROAD) -> PortalError | None:
    """The portal's objection to a vehicle number, or None. Only road movements need one."""
    if not vehicle_no or not vehicle_no.strip():
        return portal_error(VEHICLE_REQUIRED) if mode is TransportMode.ROAD else None
    if not is_valid_vehicle_number(vehicle_no):
        return portal_error(INVALID_VEHICLE_FORMAT, vehicle_no)
    return None
