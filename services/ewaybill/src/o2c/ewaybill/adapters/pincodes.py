"""Pincode-to-pincode distance for the portal sandbox: India's rule (o2c.india.distance) over the India Post
directory's centroids."""

from __future__ import annotations

from o2c.india.pincode_directory import india_post_distance as pincode_distance

__all__ = ["pincode_distance"]
