"""Distances between pincodes (docs/domain.md, "Distances").

The India Post directory has coordinates, not roads: a pincode-to-pincode distance is the great-circle distance
between the pincodes' centroids times the road factor, rounded to the kilometre (at least 1). Dispatch checks
declared distances and the e-way bill portal sandbox computes its own with this one rule, so a distance
dispatch accepts is one the e-way bill accepts. Coordinates are looked up outside (`Locate`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import ROUND_FLOOR, Decimal

ROAD_FACTOR = 1.25
EARTH_RADIUS_KM = 6371.0088
DISTANCE_TOLERANCE = Decimal("1.10")
"""The portal refuses a declared distance more than 10 % above its pincode-to-pincode distance."""
SAME_PINCODE_LIMIT_KM = 100
"""… and more than 100 km between two addresses in the same pincode."""
MAX_DISTANCE_KM = 4000

Point = tuple[float, float]
Locate = Callable[[str], Point | None]
"""A pincode's centroid (latitude, longitude), or None when the directory has no coordinates."""


def great_circle_km(a: Point, b: Point) -> float:
    """Haversine distance in km between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def road_distance_km(a: Point, b: Point, road_factor: float = ROAD_FACTOR) -> int:
    """The road-distance estimate between two points: great circle × road factor, whole km, at least 1."""
    return max(1, round(great_circle_km(a, b) * road_factor))


def pincode_distance(from_pincode: str, to_pincode: str, locate: Locate, road_factor: float = ROAD_FACTOR
                     ) -> int | None:
    """Road-distance estimate in km between two pincodes; None when they are the same (within one pincode the
    portal allows up to 100 km, whatever the estimate) or when either has no coordinates."""
    if from_pincode == to_pincode:
        return None
    a, b = locate(from_pincode), locate(to_pincode)
    if a is None or b is None:
        return None
    return road_distance_km(a, b, road_factor)


def longest_allowed_distance(pincode_distance_km: int, same_pincode: bool = False) -> int:
    """The most kilometres the portal accepts for a pair of pincodes."""
    if same_pincode:
        return SAME_PINCODE_LIMIT_KM
    return int((Decimal(pincode_distance_km) * DISTANCE_TOLERANCE).to_integral_value(rounding=ROUND_FLOOR))
