"""Dispatch details the supervisor captures once per shipment (or once per trip for all its shipments):
vehicle number in a format the e-way bill portal accepts (normalised), driver, transporter (GSTIN or
TRANSIN), lorry receipt, transport mode and the declared distance (within the portal's 10 % rule)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from o2c.dispatch.domain.errors import INVALID_VEHICLE_FORMAT, VEHICLE_REQUIRED, InvalidValue
from o2c.india.distance import DISTANCE_TOLERANCE, MAX_DISTANCE_KM, SAME_PINCODE_LIMIT_KM
from o2c.india.gstin import TRANSIN, is_valid_gstin
from o2c.india.vehicles import is_valid_vehicle_number as is_valid_vehicle_number
from o2c.india.vehicles import normalised_vehicle_number

normalise_vehicle_number = normalised_vehicle_number


class TransportMode(StrEnum):
    """Values as in the v1 contracts."""

    ROAD = "road"
    RAIL = "rail"
    AIR = "air"
    SHIP = "ship"


class VehicleType(StrEnum):
    REGULAR = "R"
    OVER_DIMENSIONAL = "O"


# --- vehicle numbers ---------------------------------------------------------------------------

def vehicle_number(vehicle_no: str | None, mode: TransportMode = TransportMode.ROAD) -> str | None:
    """The normalised vehicle number, or InvalidValue on field `vehicle_no` with the portal's code: 303 when a
    road movement has none, 304 when the format is not one the portal accepts."""
    if vehicle_no is None or not vehicle_no.strip():
        if mode is TransportMode.ROAD:
            raise InvalidValue("vehicle_no", "vehicle number is required for road transport", VEHICLE_REQUIRED)
        return None
    number = normalise_vehicle_number(vehicle_no)
    if not is_valid_vehicle_number(number):
        raise InvalidValue(
            "vehicle_no",
            f"{vehicle_no!r} is not a vehicle number the e-way bill accepts (e.g. MH12AB1234, TM…, DF…)",
            INVALID_VEHICLE_FORMAT,
        )
    return number


# --- transporter, driver, lorry receipt --------------------------------------------------------

_MOBILE = re.compile(r"^[6-9][0-9]{9}$")
_TRANSPORT_DOC = re.compile(r"^[A-Za-z0-9/\-]{1,15}$")
SAME_PINCODE_MAX_KM = SAME_PINCODE_LIMIT_KM


def normalise_transporter_id(value: str | None) -> str | None:
    """A transporter's GSTIN (check character verified) or TRANSIN (state code 88, 15 characters, no check
    character)."""
    if value is None or not value.strip():
        return None
    ident = re.sub(r"\s", "", value).upper()
    if TRANSIN.match(ident) or is_valid_gstin(ident):
        return ident
    raise InvalidValue("transporter_id", f"{value!r} is neither a valid GSTIN nor a TRANSIN (88 + 13 characters)")


def normalise_driver_phone(value: str | None) -> str | None:
    """An Indian mobile number as ten digits (`+91 98450 12345` → `9845012345`)."""
    if value is None or not value.strip():
        return None
    digits = re.sub(r"[\s\-()]", "", value)
    if digits.startswith("+91"):
        digits = digits[3:]
    elif len(digits) == 12 and digits.startswith("91"):
        digits = digits[2:]
    elif len(digits) == 11 and digits.startswith("0"):
        digits = digits[1:]
    if not _MOBILE.match(digits):
        raise InvalidValue("driver_phone", f"{value!r} is not a 10-digit Indian mobile number")
    return digits


def check_declared_distance(distance_km: int, estimated_km: int | None = None, same_pincode: bool = False) -> int:
    """The portal refuses a declared distance more than 10 % above its pincode-to-pincode distance, and more
    than 100 km when both pincodes are the same; 0 lets the portal compute the distance."""
    if isinstance(distance_km, bool) or not isinstance(distance_km, int) or not 0 <= distance_km <= MAX_DISTANCE_KM:
        raise InvalidValue("distance_km", f"must be a whole number of km from 0 to {MAX_DISTANCE_KM}")
    if same_pincode and distance_km > SAME_PINCODE_MAX_KM:
        raise InvalidValue("distance_km", f"same pincode: at most {SAME_PINCODE_MAX_KM} km")
    if estimated_km is not None and distance_km > estimated_km * DISTANCE_TOLERANCE:
        raise InvalidValue(
            "distance_km", f"{distance_km} km is more than 10 % above the estimated {estimated_km} km"
        )
    return distance_km


@dataclass(frozen=True)
class DispatchDetails:
    """Part B of the e-way bill and the facts gate security needs. Build with `capture`, which validates."""

    mode: TransportMode
    vehicle_no: str | None
    vehicle_type: VehicleType
    driver_name: str | None
    driver_phone: str | None
    transporter_id: str | None
    transporter_name: str | None
    lr_no: str | None
    lr_date: date | None
    distance_km: int

    @classmethod
    def capture(
        cls,
        *,
        today: date,
        distance_km: int,
        mode: TransportMode = TransportMode.ROAD,
        vehicle_no: str | None = None,
        vehicle_type: VehicleType = VehicleType.REGULAR,
        driver_name: str | None = None,
        driver_phone: str | None = None,
        transporter_id: str | None = None,
        transporter_name: str | None = None,
        lr_no: str | None = None,
        lr_date: date | None = None,
        estimated_distance_km: int | None = None,
        same_pincode: bool = False,
    ) -> DispatchDetails:
        """Validate and normalise. Road needs a vehicle number (303/304) and a driver with a mobile number;
        rail, air and ship need the transport document (LR/RR/AWB/BL number and date)."""
        number = vehicle_number(vehicle_no, mode)
        name = driver_name.strip() if driver_name and driver_name.strip() else None
        phone = normalise_driver_phone(driver_phone)
        if mode is TransportMode.ROAD and (name is None or phone is None):
            raise InvalidValue("driver_name" if name is None else "driver_phone", "road transport needs the driver")
        doc = lr_no.strip() if lr_no and lr_no.strip() else None
        if doc is not None and not _TRANSPORT_DOC.match(doc):
            raise InvalidValue("lr_no", "at most 15 letters, digits, / or -")
        if doc is not None and lr_date is None:
            raise InvalidValue("lr_date", "a lorry receipt has a date")
        if doc is None and lr_date is not None:
            raise InvalidValue("lr_no", "a date was given without its lorry receipt number")
        if mode is not TransportMode.ROAD and doc is None:
            raise InvalidValue("lr_no", f"{mode.value} transport needs the transport document number")
        if lr_date is not None and lr_date > today:
            raise InvalidValue("lr_date", "cannot be in the future")
        return cls(
            mode=mode,
            vehicle_no=number,
            vehicle_type=vehicle_type,
            driver_name=name,
            driver_phone=phone,
            transporter_id=normalise_transporter_id(transporter_id),
            transporter_name=transporter_name.strip() if transporter_name and transporter_name.strip() else None,
            lr_no=doc,
            lr_date=lr_date,
            distance_km=check_declared_distance(distance_km, estimated_distance_km, same_pincode),
        )

    def for_distance(self, distance_km: int, estimated_km: int | None = None, same_pincode: bool = False
                     ) -> DispatchDetails:
        """The same conveyance to another destination (a trip's other shipments)."""
        return replace(self, distance_km=check_declared_distance(distance_km, estimated_km, same_pincode))

