"""How long an e-way bill is valid (CGST Rule 138(10); docs/domain.md, "E-way bills").

Regular cargo gets one day for every 200 km or part of it, over-dimensional cargo one day for every 20 km or
part of it, and at least one day. The Rule counts each day as "the period expiring at midnight of the day
immediately following the date of generation", so:

    valid_until = IST date of generation + max(1, ceil(km / slab)) days, at 23:59 IST

Checked against the published example: generated 16/09/2022 19:29 for 2,467 km → ceil(2467 / 200) = 13 days
→ 29/09/2022 23:59. The day of generation is not a day of validity: the first day ends at midnight of the
following day (10 km from 25/02/2024 11:10 → 26/02/2024 23:59). Extensions are computed the same way from the
moment of extension for the remaining distance.

Whether a movement needs one: its consignment value (taxable value plus taxes) exceeds the threshold in force —
national by default (₹50,000), with per-state overrides for movements starting in that state, all effective-dated
data (`ewaybill_requirement`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from o2c.india.calendar import at_ist, business_date

END_OF_DAY = time(23, 59)


class VehicleType(StrEnum):
    """NIC vehicleType: R regular, O over-dimensional cargo."""

    REGULAR = "R"
    OVER_DIMENSIONAL = "O"

    @property
    def km_per_day(self) -> int:
        return 200 if self is VehicleType.REGULAR else 20


def validity_days(distance_km: int, vehicle_type: VehicleType = VehicleType.REGULAR) -> int:
    if distance_km < 0:
        raise ValueError("distance cannot be negative")
    return max(1, -(-distance_km // vehicle_type.km_per_day))


def valid_until(generated_at: datetime, distance_km: int, vehicle_type: VehicleType = VehicleType.REGULAR
                ) -> datetime:
    """The instant the e-way bill stops being valid: 23:59 IST of the last day (an aware datetime in IST)."""
    last_day = business_date(generated_at) + timedelta(days=validity_days(distance_km, vehicle_type))
    return at_ist(last_day, END_OF_DAY)


class Movement(StrEnum):
    INTRA_STATE = "intra_state"
    INTER_STATE = "inter_state"


@dataclass(frozen=True, slots=True)
class EwayBillThreshold:
    """An e-way bill is required when the consignment value exceeds `value_above`.

    `state_code` None is the national rule; a state row overrides it for movements starting in that
    state. `movement` None applies to both intra- and inter-state movements."""

    value_above: Decimal
    effective_from: date
    effective_to: date | None = None
    state_code: str | None = None
    movement: Movement | None = None

    def applies_to(self, from_state_code: str, movement: Movement, on: date) -> bool:
        return (
            self.effective_from <= on
            and (self.effective_to is None or on <= self.effective_to)
            and self.state_code in (None, from_state_code)
            and self.movement in (None, movement)
        )


class NoThresholdInForce(LookupError):
    """No threshold row applies: the table needs data before e-way bills can be decided."""


def movement_between(from_state_code: str, to_state_code: str) -> Movement:
    return Movement.INTRA_STATE if from_state_code == to_state_code else Movement.INTER_STATE


def threshold_in_force(
    rows: Iterable[EwayBillThreshold], from_state_code: str, to_state_code: str, on: date
) -> EwayBillThreshold:
    """The most specific row in force: a state row before the national one, a row for this kind of
    movement before one for any movement, the latest effective date last."""
    movement = movement_between(from_state_code, to_state_code)
    candidates = [row for row in rows if row.applies_to(from_state_code, movement, on)]
    if not candidates:
        raise NoThresholdInForce(f"no e-way bill threshold in force on {on.isoformat()} for state {from_state_code}")
    return max(candidates, key=lambda row: (row.state_code is not None, row.movement is not None, row.effective_from))


@dataclass(frozen=True, slots=True)
class EwayBillRequirement:
    required: bool
    consignment_value: Decimal
    threshold: Decimal
    movement: Movement

    @property
    def reason(self) -> str:
        relation = "exceeds" if self.required else "does not exceed"
        return (
            f"consignment value ₹{self.consignment_value} {relation} the {self.movement.value.replace('_', '-')} "
            f"threshold of ₹{self.threshold}"
        )


def ewaybill_requirement(
    consignment_value: Decimal,
    from_state_code: str,
    to_state_code: str,
    on: date,
    rows: Iterable[EwayBillThreshold],
) -> EwayBillRequirement:
    """`consignment_value` is the taxable value plus CGST, SGST/UTGST, IGST and cess (Rule 138)."""
    row = threshold_in_force(rows, from_state_code, to_state_code, on)
    return EwayBillRequirement(
        required=consignment_value > row.value_above,
        consignment_value=consignment_value,
        threshold=row.value_above,
        movement=movement_between(from_state_code, to_state_code),
    )
