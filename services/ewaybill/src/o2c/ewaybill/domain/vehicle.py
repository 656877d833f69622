"""Vehicle numbers as the e-way bill portal accepts them (303 required, 304 invalid format)."""

from __future__ import annotations

from enum import StrEnum

from o2c.ewaybill.domain.errors import INVALID_VEHICLE_FORMAT, VEHICLE_REQUIRED, PortalError, portal_error
from o2c.india.vehicles import is_valid_vehicle_number, normalised_vehicle_number

__all__ = ["TransportMode", "is_valid_vehicle_number", "normalised_vehicle_number", "vehicle_number_error"]


class TransportMode(StrEnum):
    """NIC transMode: 1 road, 2 rail, 3 air, 4 ship."""

    ROAD = "1"
    RAIL = "2"
    AIR = "3"
    SHIP = "4"



def vehicle_number_error(vehicle_no: str | None, mode: TransportMode = TransportMode.ROAD) -> PortalError | None:
    """The portal's objection to a vehicle number, or None. Only road movements need one."""
    if not vehicle_no or not vehicle_no.strip():
        return portal_error(VEHICLE_REQUIRED) if mode is TransportMode.ROAD else None
    if not is_valid_vehicle_number(vehicle_no):
        return portal_error(INVALID_VEHICLE_FORMAT, vehicle_no)
    return None
