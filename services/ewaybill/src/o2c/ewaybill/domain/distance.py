"""The portal's answer to a declared distance (the rule itself, 10 % over the pincode distance and 100 km within
one pincode, is India's: o2c.india.distance)."""

from __future__ import annotations

from o2c.ewaybill.domain.errors import DISTANCE_TOO_HIGH, PortalError, portal_error
from o2c.india.distance import SAME_PINCODE_LIMIT_KM, longest_allowed_distance

__all__ = ["distance_error", "longest_allowed_distance"]


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
