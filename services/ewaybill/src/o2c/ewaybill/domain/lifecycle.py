"""What may happen to a generated e-way bill and when: cancel within 24 hours of generation, extend
only from 8 hours before to 8 hours after expiry, change the vehicle (Part B) while it is valid.
Each action outside its window is refused with a reason a dispatcher can act on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from o2c.ewaybill.domain.errors import (
    EXTENSION_WINDOW,
    NOT_ACTIVE,
    PLACE_FROM_REQUIRED,
    REMAINING_DISTANCE_REQUIRED,
    REMAINING_DISTANCE_TOO_LONG,
    VEHICLE_VALIDITY_LAPSED,
)
from o2c.ewaybill.domain.vehicle import TransportMode, normalised_vehicle_number, vehicle_number_error
from o2c.india.calendar import IST, require_aware, to_utc
from o2c.india.ewaybill import VehicleType, valid_until

CANCELLATION_WINDOW = timedelta(hours=24)
EXTENSION_MARGIN = timedelta(hours=8)


class EwayBillStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class CancelReason(StrEnum):
    """NIC cancelRsnCode."""

    DUPLICATE = "1"
    ORDER_CANCELLED = "2"
    DATA_ENTRY_MISTAKE = "3"
    OTHERS = "4"


class VehicleChangeReason(StrEnum):
    """NIC reasonCode for a Part-B update."""

    BREAKDOWN = "1"
    TRANSHIPMENT = "2"
    OTHERS = "3"
    FIRST_TIME = "4"


class ExtensionReason(StrEnum):
    """NIC extnRsnCode."""

    NATURAL_CALAMITY = "1"
    LAW_AND_ORDER = "2"
    TRANSHIPMENT = "4"
    ACCIDENT = "5"
    OTHERS = "99"


class ActionRefused(ValueError):
    """An action on an e-way bill that the rules (or the portal) refuse; `reason` says why."""

    def __init__(self, reason: str, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True, slots=True)
class VehicleMovement:
    """One Part-B entry: the vehicle carrying the goods from a place, and why it was entered."""

    vehicle_no: str | None
    mode: TransportMode
    from_place: str
    from_state_code: str
    entered_at: datetime
    reason: VehicleChangeReason
    remarks: str = ""
    transport_doc_no: str | None = None


@dataclass(frozen=True, slots=True)
class EwayBill:
    ebn: str
    generated_at: datetime
    valid_until: datetime
    distance_km: int
    vehicle_type: VehicleType
    movements: tuple[VehicleMovement, ...]
    status: EwayBillStatus = EwayBillStatus.ACTIVE
    cancelled_at: datetime | None = None
    cancel_reason: CancelReason | None = None
    cancel_remarks: str = ""
    extensions: int = 0

    @property
    def vehicle_no(self) -> str | None:
        return self.movements[-1].vehicle_no if self.movements else None

    def is_valid_at(self, at: datetime) -> bool:
        return self.status is EwayBillStatus.ACTIVE and self.generated_at <= at <= self.valid_until


def _ist(instant: datetime) -> str:
    return instant.astimezone(IST).strftime("%d/%m/%Y %H:%M")


def _require_active(bill: EwayBill) -> None:
    if bill.status is not EwayBillStatus.ACTIVE:
        raise ActionRefused(f"e-way bill {bill.ebn} is cancelled", NOT_ACTIVE)


def cancel(bill: EwayBill, reason: CancelReason, remarks: str, at: datetime) -> EwayBill:
    """Cancel within 24 hours of generation."""
    _require_active(bill)
    deadline = bill.generated_at + CANCELLATION_WINDOW
    if require_aware(at) > deadline:
        raise ActionRefused(
            f"e-way bill {bill.ebn} was generated on {_ist(bill.generated_at)}: it could be cancelled only "
            f"within 24 hours, until {_ist(deadline)} IST"
        )
    if reason is CancelReason.OTHERS and not remarks.strip():
        raise ActionRefused("a cancellation for other reasons needs remarks")
    return replace(
        bill,
        status=EwayBillStatus.CANCELLED,
        cancelled_at=to_utc(at),
        cancel_reason=reason,
        cancel_remarks=remarks.strip(),
    )


def extension_window(bill: EwayBill) -> tuple[datetime, datetime]:
    return bill.valid_until - EXTENSION_MARGIN, bill.valid_until + EXTENSION_MARGIN


def extend(
    bill: EwayBill,
    remaining_km: int,
    current_place: str,
    current_pincode: str,
    reason: ExtensionReason,
    remarks: str,
    at: datetime,
) -> EwayBill:
    """Extend from 8 hours before to 8 hours after expiry, for the remaining distance from where the
    goods are. The new validity runs from the moment of extension like a new generation, and never
    shortens the current one."""
    _require_active(bill)
    opens, closes = extension_window(bill)
    if not opens <= require_aware(at) <= closes:
        raise ActionRefused(
            f"e-way bill {bill.ebn} expires {_ist(bill.valid_until)} IST: it can be extended only between "
            f"{_ist(opens)} and {_ist(closes)} IST",
            EXTENSION_WINDOW,
        )
    if remaining_km <= 0:
        raise ActionRefused("the remaining distance is required to extend", REMAINING_DISTANCE_REQUIRED)
    if remaining_km > bill.distance_km:
        raise ActionRefused(
            f"remaining distance {remaining_km} km is more than the e-way bill's {bill.distance_km} km",
            REMAINING_DISTANCE_TOO_LONG,
        )
    if not current_place.strip() or not current_pincode.strip():
        raise ActionRefused("the current place and pincode of the goods are required to extend", PLACE_FROM_REQUIRED)
    if reason is ExtensionReason.OTHERS and not remarks.strip():
        raise ActionRefused("an extension for other reasons needs remarks")
    extended = valid_until(at, remaining_km, bill.vehicle_type)
    return replace(bill, valid_until=max(extended, bill.valid_until), extensions=bill.extensions + 1)


def update_vehicle(
    bill: EwayBill,
    vehicle_no: str | None,
    reason: VehicleChangeReason,
    remarks: str,
    from_place: str,
    from_state_code: str,
    at: datetime,
    mode: TransportMode = TransportMode.ROAD,
    transport_doc_no: str | None = None,
) -> EwayBill:
    """Part-B update while the e-way bill is valid, with a reason code."""
    _require_active(bill)
    if not bill.is_valid_at(require_aware(at)):
        if at < bill.generated_at:
            raise ActionRefused("the vehicle cannot change before the e-way bill exists")
        raise ActionRefused(
            f"e-way bill {bill.ebn} expired {_ist(bill.valid_until)} IST: extend it before changing the vehicle",
            VEHICLE_VALIDITY_LAPSED,
        )
    problem = vehicle_number_error(vehicle_no, mode)
    if problem:
        raise ActionRefused(problem.message, problem.code)
    if not from_place.strip():
        raise ActionRefused("the place the vehicle changes at is required", PLACE_FROM_REQUIRED)
    if reason is VehicleChangeReason.OTHERS and not remarks.strip():
        raise ActionRefused("a vehicle change for other reasons needs remarks")
    movement = VehicleMovement(
        vehicle_no=normalised_vehicle_number(vehicle_no) if vehicle_no else None,
        mode=mode,
        from_place=from_place.strip(),
        from_state_code=from_state_code,
        entered_at=to_utc(at),
        reason=reason,
        remarks=remarks.strip(),
        transport_doc_no=transport_doc_no,
    )
    return replace(bill, movements=(*bill.movements, movement))


def expiring_soon(bills: Iterable[EwayBill], now: datetime, within: timedelta = EXTENSION_MARGIN) -> list[EwayBill]:
    """Active bills whose validity ends within `within` from `now` (or ended less than 8 hours ago,
    so can still be extended), soonest first. The caller passes bills of undelivered shipments."""
    require_aware(now)
    due = [
        bill
        for bill in bills
        if bill.status is EwayBillStatus.ACTIVE and now - EXTENSION_MARGIN <= bill.valid_until <= now + within
    ]
    return sorted(due, key=lambda bill: bill.valid_until)
