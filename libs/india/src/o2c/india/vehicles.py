"""Vehicle numbers as the e-way bill portal accepts them (docs/domain.md, "Vehicles"): normalised to upper case
without spaces, hyphens or dots, 7 to 15 characters, in one of the portal's formats."""

from __future__ import annotations

import re

VEHICLE_FORMATS = tuple(
    re.compile(pattern)
    for pattern in (
        r"^[A-Z]{2}[0-9]{2}[0-9]{4}$",  # AB121234
        r"^[A-Z]{2}[0-9]{2}[A-Z][0-9]{4}$",  # AB12A1234
        r"^[A-Z]{2}[0-9]{2}[A-Z]{2}[0-9]{4}$",  # AB12AB1234
        r"^[A-Z]{3}[0-9]{4}$",  # ABC1234
        r"^[A-Z]{2}[0-9]{3}[A-Z][0-9]{4}$",  # AB123A1234
        r"^[A-Z]{2}[0-9]{2}[A-Z]{3}[0-9]{4}$",  # AB12ABC1234
        r"^(TM|DF|BP|NP)[A-Z0-9]+$",  # temporary registration, defence, Bhutan, Nepal
    )
)
VEHICLE_MIN_LENGTH, VEHICLE_MAX_LENGTH = 7, 15


def normalised_vehicle_number(vehicle_no: str) -> str:
    """Upper case without spaces, hyphens or dots: `mh 12 ab-1234` → `MH12AB1234`."""
    return re.sub(r"[\s.\-]", "", vehicle_no).upper()


def is_valid_vehicle_number(vehicle_no: str) -> bool:
    number = normalised_vehicle_number(vehicle_no)
    return VEHICLE_MIN_LENGTH <= len(number) <= VEHICLE_MAX_LENGTH and any(p.match(number) for p in VEHICLE_FORMATS)
