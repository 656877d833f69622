"""Pincode-to-pincode distance estimate: India's rule (o2c.india.distance, the same the e-way bill checks
declared distances with) over the India Post directory's centroids."""

from __future__ import annotations

from o2c.dispatch.service_layer.ports import RoadDistances
from o2c.india.pincode_directory import india_post_distance


class IndiaPostDistances(RoadDistances):
    def estimate(self, from_pincode: str, to_pincode: str) -> int | None:
        return india_post_distance(from_pincode, to_pincode)
