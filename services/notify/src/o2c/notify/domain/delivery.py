"""Expected delivery date from the distance and the transporter's pace, both configurable data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from o2c.notify.domain.formatting import ist_date


@dataclass(frozen=True, slots=True)
class TransitTerms:
    """`days` in transit for every `per_km` kilometres or part of them, plus `handling_days` at the ends."""

    days: int = 1
    per_km: int = 300
    handling_days: int = 0

    def __post_init__(self) -> None:
        if self.days < 1 or self.per_km < 1 or self.handling_days < 0:
            raise ValueError("transit terms need positive days and kilometres and no negative handling")

    def transit_days(self, distance_km: int) -> int:
        if distance_km < 0:
            raise ValueError("distance cannot be negative")
        return max(1, -(-distance_km // self.per_km)) * self.days + self.handling_days


@dataclass(frozen=True, slots=True)
class TransitTable:
    """The default pace and each transporter's own, keyed by transporter id (GSTIN or TRANSIN)."""

    default: TransitTerms = TransitTerms()
    by_transporter: Mapping[str, TransitTerms] = field(default_factory=dict)

    def terms_for(self, transporter_id: str | None) -> TransitTerms:
        if transporter_id is None:
            return self.default
        return self.by_transporter.get(transporter_id, self.default)


def expected_delivery_date(dispatched_at: datetime, distance_km: int, terms: TransitTerms) -> date:
    """IST date of gate-out plus the transit days: never the same day."""
    return ist_date(dispatched_at) + timedelta(days=terms.transit_days(distance_km))
