"""Pincode-to-pincode distance estimate: India's rule (o2c.india.distance, the same the e-way bill checks
declared distances with) over the India Post directory's centroids."""

from __future__ import annotations

from o2c.india.pincode_directory import india_post_distance as pincode_distance

__all__ = ["pincode_distance"]
