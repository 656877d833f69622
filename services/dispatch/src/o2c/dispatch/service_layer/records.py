"""What dispatch keeps per shipment: the domain aggregate plus the release facts it was born from (order,
customer, addresses, the warehouse's GSTIN, the commercial lines), so ShipmentReady and ShipmentDispatched
carry every fact downstream needs without anybody typing it twice."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from o2c.contracts.v1.common import Address, Contact, ShipmentLine, SupplyType
from o2c.contracts.v1.sales import OrderReleased, ReleasedShipment
from o2c.dispatch.domain import InvalidValue, PickRequest, Shipment, ShipmentStatus, Trip
from pydantic import BaseModel, ConfigDict


class Queue(StrEnum):
    """The supervisor's work queues (a view over the shipment states)."""

    PICKING = "picking"
    WAITING_FOR_VEHICLE = "waiting_for_vehicle"
    WAITING_FOR_DOCUMENTS = "waiting_for_documents"
    READY_FOR_GATE = "ready_for_gate"
    DISPATCHED = "dispatched"
    CANCELLED = "cancelled"


class PickListStatus(StrEnum):
    OPEN = "open"
    PICKED = "picked"
    CANCELLED = "cancelled"


class ReleaseFacts(BaseModel):
    """One warehouse's shipment of an OrderReleased, with the order facts it needs later."""

    model_config = ConfigDict(frozen=True)

    order_id: str
    order_no: str
    order_revision: int = 1
    release_no: int = 1
    customer_id: str
    customer_name: str
    customer_po_no: str | None = None
    bill_to: Address
    ship_to: Address
    place_of_supply: str
    supply_type: SupplyType
    payment_terms_days: int
    contact: Contact | None = None
    shipment: ReleasedShipment
    estimated_distance_km: int | None = None
    """Dispatch-from → ship-to estimated from the pincodes when the release was read (None: unknown)."""

    @property
    def same_pincode(self) -> bool:
        return self.shipment.dispatch_from.pincode == self.ship_to.pincode

    @classmethod
    def of(cls, release: OrderReleased, shipment: ReleasedShipment, estimated_distance_km: int | None = None
           ) -> ReleaseFacts:
        return cls(
            order_id=release.order_id, order_no=release.order_no, order_revision=release.order_revision,
            release_no=release.release_no, customer_id=release.customer_id, customer_name=release.customer_name,
            customer_po_no=release.customer_po_no, bill_to=release.bill_to, ship_to=release.ship_to,
            place_of_supply=release.place_of_supply, supply_type=release.supply_type,
            payment_terms_days=release.payment_terms_days, contact=release.contact, shipment=shipment,
            estimated_distance_km=estimated_distance_km,
        )

    def line(self, line_no: int) -> ShipmentLine:
        for line in self.shipment.lines:
            if line.line_no == line_no:
                return line
        raise InvalidValue("line_no", f"shipment {self.shipment.shipment_id} has no order line {line_no}")


def pick_requests(line: ShipmentLine) -> list[PickRequest]:
    """One pick request per reserved bin/batch; whatever the reservation does not place is picked from
    wherever the warehouse keeps it (no bin named, listed last)."""
    unit = line.quantity.unit.value
    allocations = [a for a in line.allocations if a.quantity.value > 0]
    placed = sum((a.quantity.value for a in allocations), Decimal(0))
    if placed > line.quantity.value:
        raise InvalidValue("allocations", f"line {line.line_no}: {placed} allocated for {line.quantity.value}")
    requests = [
        PickRequest(line.line_no, line.item_code, line.item_name, a.quantity.value, a.bin_code, a.batch_no,
                    a.expiry_date, unit)
        for a in allocations
    ]
    if line.quantity.value > placed:
        requests.append(PickRequest(line.line_no, line.item_code, line.item_name, line.quantity.value - placed,
                                    unit=unit))
    return requests


@dataclass
class ShipmentRecord:
    shipment: Shipment
    release: ReleaseFacts
    shipment_no: str
    pick_list_no: str
    version: int = 0

    @property
    def shipment_id(self) -> str:
        return self.shipment.shipment_id

    @property
    def pick_list_id(self) -> str:
        return self.shipment.pick_list.pick_list_id

    @property
    def warehouse_id(self) -> str:
        return self.shipment.warehouse_code

    @property
    def order_id(self) -> str:
        return self.shipment.order_id

    @property
    def queue(self) -> Queue:
        status = self.shipment.status
        if status is ShipmentStatus.CANCELLED:
            return Queue.CANCELLED
        if status is ShipmentStatus.DISPATCHED:
            return Queue.DISPATCHED
        if self.shipment.details is None:
            return Queue.WAITING_FOR_VEHICLE
        if status is ShipmentStatus.PICKING:
            return Queue.PICKING
        if status in (ShipmentStatus.EWAYBILL_GENERATED, ShipmentStatus.EWAYBILL_NOT_REQUIRED) \
                and not self.shipment.irn_pending:
            return Queue.READY_FOR_GATE
        return Queue.WAITING_FOR_DOCUMENTS

    @property
    def pick_list_status(self) -> PickListStatus:
        status = self.shipment.status
        if status is ShipmentStatus.CANCELLED:
            return PickListStatus.CANCELLED
        return PickListStatus.OPEN if status is ShipmentStatus.PICKING else PickListStatus.PICKED


@dataclass
class TripRecord:
    trip: Trip
    trip_no: str
    created_by: str


def waiting_for(record: ShipmentRecord) -> list[str]:
    """What the shipment still needs before it may leave the gate, in the order it is expected."""
    shipment = record.shipment
    if shipment.status in (ShipmentStatus.DISPATCHED, ShipmentStatus.CANCELLED):
        return []
    missing = []
    unconfirmed = [line.pick_line_no for line in shipment.pick_list.unconfirmed]
    if unconfirmed:
        missing.append("pick_confirmation")
    if shipment.details is None:
        missing.append("dispatch_details")
    if shipment.invoice is None:
        missing.append("new_invoice" if shipment.cancelled_invoices else "invoice")
    elif shipment.irn_pending:
        missing.append("irn")
    if shipment.ewaybill is None and shipment.ewaybill_not_required_reason is None:
        missing.append("ewaybill")
    return missing
