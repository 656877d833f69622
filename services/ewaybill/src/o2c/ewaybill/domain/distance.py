"""The portal's distance check: a declared distance may exceed its pincode-to-pincode distance by
at most 10 %, and between two addresses in the same pincode it may be at most 100 km."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from o2c.ewaybill.domain.errors import DISTANCE_TOO_HIGH, PortalError, portal_error

TOLERANCE = Decimal("1.10")
SAME_PINCODE_LIMIT_KM = 100


def longest_allowed_distance(pincode_distance_km: int, same_pincode: bool = False) -> int:
    """The most kilometres the portal accepts for this pair of pincodes."""
    if same_pincode:
        return SAME_PINCODE_LIMIT_KM
    return int((Decimal(pincode_distance_km) * TOLERANCE).to_integral_value(rounding=ROUND_FLOOR))


def distance_error(
    declared_km: int, from_pincode: str, to_pincode: str, pincode_distance_km: int | None
) -> PortalError | None:
    """The portal's objection to a declared distance, or None. An unknown pincode distance is not checked."""
    if declared_km < 0:
        return portal_error(DISTANCE_TOO_HIGH, "distance cannot be negative")
    same = from_pincode == to_pincode
    if same:
        limit = SAME_PINCODE_LIMIT_KM
    elif pincode_distance_km is None:
        return None
    else:
        limit = longest_allowed_distance(pincode_distance_km)
    if declared_km > limit:
        basis = "within one pincode" if same else f"the pincode distance is {pincode_distance_km} km"
        return portal_error(DISTANCE_TOO_HIGH, f"{declared_km} km declared, {basis}, at most {limit} km accepted")
    return None
