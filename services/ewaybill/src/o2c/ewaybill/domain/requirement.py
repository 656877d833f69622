"""Whether a movement needs an e-way bill: its consignment value (taxable value plus taxes) exceeds
the threshold in force — national by default, with per-state overrides for intra-state movements,
all effective-dated data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


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
