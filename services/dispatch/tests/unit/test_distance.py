"""The road-distance adapter: India's rule over the India Post directory."""

from __future__ import annotations

from o2c.dispatch.adapters.distance import IndiaPostDistances


def test_pincode_distance_estimate() -> None:
    distances = IndiaPostDistances()
    pune_mumbai = distances.estimate("411001", "400001")
    assert pune_mumbai is not None and 130 <= pune_mumbai <= 200  # road: ~150 km
    assert distances.estimate("411001", "411001") is None
