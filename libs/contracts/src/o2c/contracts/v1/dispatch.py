"""v1 messages dispatch publishes: pick lists, pick confirmations, shipments ready with their vehicle,
gate-out, vehicle changes, and the replies to CancelPickList.

Shipment states: picking → picked → ready (vehicle captured) → invoiced → e-way bill generated or not
required → dispatched (gate-out). Goods leave the gate only after invoice and e-way bill exist."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar

from o2c.contracts.envelope import Message
from o2c.contracts.topics import Service, events_topic
from o2c.contracts.types import DocumentNumber, EwayBillNumber, Gstin, Money, Quantity, StateCode
from o2c.contracts.v1.common import (
    Address,
    BatchAllocation,
    Contact,
    Part,
    ShipmentLine,
    SupplyType,
    TaxRegime,
    TransportDetails,
)
from o2c.contracts.v1.parking import KeyParked, KeyReleased
from pydantic import AwareDatetime, Field

EVENTS = events_topic(Service.DISPATCH)


class PickLine(Part):
    line_no: int = Field(ge=1)
    item_code: str
    item_name: str
    quantity: Quantity
    bin_code: str | None = None
    batch_no: str | None = None
    expiry_date: date | None = None


class PickListIssued(Message):
    """Dispatch issued a pick list for a released shipment (bins and batches named, first-expiry-first-out).
    The coordinator shows the shipment as picking."""

    TYPE: ClassVar[str] = "PickListIssued"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    order_id: str
    shipment_id: str
    pick_list_id: str
    pick_list_no: str
    warehouse_id: str
    lines: list[PickLine] = Field(min_length=1)
    issued_at: AwareDatetime


class PickConfirmed(Message):
    """A picker confirmed one line: what was picked, from which batches, and any shortfall. On a short
    pick the coordinator sends ReserveStock (re-reserve from other bins or warehouses) or, if that cannot
    cover it, ReleaseCreditExposure for the shortfall and backorders the rest."""

    TYPE: ClassVar[str] = "PickConfirmed"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES, Service.INVENTORY)

    order_id: str
    shipment_id: str
    pick_list_id: str
    line_no: int = Field(ge=1)
    item_code: str
    requested: Quantity
    picked: Quantity
    short: Quantity = Field(description="requested − picked; zero when the line is complete")
    short_reason: str | None = None
    short_bins: list[str] = Field(default_factory=list, description="Bins found short")
    batches: list[BatchAllocation] = Field(default_factory=list, description="What was actually picked")
    picked_by: str
    confirmed_at: AwareDatetime


class ConfirmedPickLine(Part):
    """One line of a pick list as a PickConfirmed tells it (without the list's ids, picker and time)."""

    line_no: int = Field(ge=1)
    item_code: str
    requested: Quantity
    picked: Quantity
    short: Quantity = Field(description="requested − picked; zero when the line is complete")
    short_reason: str | None = None
    short_bins: list[str] = Field(default_factory=list, description="Bins found short")
    batches: list[BatchAllocation] = Field(default_factory=list, description="What was actually picked")


class PickListConfirmed(Message):
    """A picker confirmed a whole pick list in one request: every line not confirmed before, each as one
    PickConfirmed would tell it (a short line with its reason and bins). Consumers treat it as those
    PickConfirmed in line order (`per_line`); lines confirmed one by one earlier are not repeated."""

    TYPE: ClassVar[str] = "PickListConfirmed"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES, Service.INVENTORY)

    order_id: str
    shipment_id: str
    pick_list_id: str
    lines: list[ConfirmedPickLine] = Field(min_length=1)
    picked_by: str
    confirmed_at: AwareDatetime

    def per_line(self) -> list[PickConfirmed]:
        return [PickConfirmed(order_id=self.order_id, shipment_id=self.shipment_id, pick_list_id=self.pick_list_id,
                              picked_by=self.picked_by, confirmed_at=self.confirmed_at,
                              **{name: getattr(line, name) for name in ConfirmedPickLine.model_fields})
                for line in self.lines]


class ReadyLine(ShipmentLine):
    """A shipment line as picked: `quantity` is the confirmed (picked) quantity, `allocations` the batches
    picked; `discount` still refers to `released_quantity` (invoicing pro-rates it)."""

    released_quantity: Quantity


class ShipmentReady(Message):
    """Every line of the shipment is confirmed and the vehicle is captured: the shipment is ready to be
    invoiced. Carries every fact the tax invoice and the e-way bill need, so invoicing calls nobody back."""

    TYPE: ClassVar[str] = "ShipmentReady"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.INVOICING, Service.SALES)

    order_id: str
    order_no: str
    order_revision: int = Field(default=1, ge=1)
    shipment_id: str
    shipment_no: str
    pick_list_id: str
    warehouse_id: str
    warehouse_gstin: Gstin
    dispatch_from: Address
    customer_id: str
    customer_name: str
    customer_po_no: str | None = None
    bill_to: Address
    ship_to: Address
    place_of_supply: StateCode
    supply_type: SupplyType
    payment_terms_days: int = Field(ge=0)
    lines: list[ReadyLine] = Field(min_length=1)
    transport: TransportDetails
    packages: int | None = Field(default=None, ge=1)
    contact: Contact | None = None
    ready_at: AwareDatetime
    tax_regime: TaxRegime | None = Field(
        default=None, description="The tax split sales decided for the shipment (OrderReleased), carried for "
        "invoicing to check. Added within v1 (additive).")


class DispatchedLine(Part):
    line_no: int = Field(ge=1)
    item_code: str
    quantity: Quantity
    allocations: list[BatchAllocation] = Field(default_factory=list)


class ShipmentDispatched(Message):
    """Gate-out: the goods left the warehouse with their invoice and e-way bill (or none required).
    Inventory issues the stock once; notify tells the customer; the coordinator moves toward closing."""

    TYPE: ClassVar[str] = "ShipmentDispatched"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.INVENTORY, Service.NOTIFY, Service.SALES)

    order_id: str
    order_no: str
    shipment_id: str
    shipment_no: str
    warehouse_id: str
    customer_id: str
    customer_name: str
    invoice_id: str
    invoice_no: DocumentNumber
    invoice_date: date
    invoice_value: Money = Field(description="Invoice grand total")
    ewaybill_no: EwayBillNumber | None = Field(default=None, description="None when no e-way bill was required")
    ewaybill_valid_until: AwareDatetime | None = None
    transport: TransportDetails
    lines: list[DispatchedLine] = Field(min_length=1)
    gate_pass_no: str | None = None
    expected_delivery_date: date | None = None
    contact: Contact | None = None
    dispatched_at: AwareDatetime


class VehicleChangeReason(StrEnum):
    """E-way bill Part-B update reasons (NIC reasonCode 1–4)."""

    BREAKDOWN = "breakdown"
    TRANSHIPMENT = "transhipment"
    OTHERS = "others"
    FIRST_TIME = "first_time"


class VehicleChanged(Message):
    """After gate-out the goods moved to another vehicle. Ewaybill updates Part B of the e-way bill."""

    TYPE: ClassVar[str] = "VehicleChanged"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.EWAYBILL, Service.SALES)

    order_id: str
    shipment_id: str
    ewaybill_no: EwayBillNumber | None = None
    previous_vehicle_no: str | None = None
    transport: TransportDetails = Field(description="The new vehicle and transport document")
    reason: VehicleChangeReason
    remarks: str = ""
    from_place: str = Field(description="Where the goods are when the vehicle changes")
    from_state_code: StateCode
    changed_at: AwareDatetime


class RestockedLine(Part):
    line_no: int = Field(ge=1)
    item_code: str
    quantity: Quantity
    bin_code: str | None = None
    batch_no: str | None = None


class PickListCancelled(Message):
    """A shipment's pick list was cancelled before gate-out and staged goods went back into their bins.
    Reply to CancelPickList (one per shipment); inventory moves the staged stock back."""

    TYPE: ClassVar[str] = "PickListCancelled"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES, Service.INVENTORY)

    order_id: str
    shipment_id: str
    pick_list_id: str
    request_id: str | None = None
    restocked: list[RestockedLine] = Field(default_factory=list)
    cancelled_at: AwareDatetime
    invoice_id: str | None = Field(default=None, description="The shipment's invoice, to be undone by its owner")
    invoice_no: DocumentNumber | None = None
    ewaybill_no: EwayBillNumber | None = Field(default=None, description="Its active e-way bill, to be cancelled")


class PickListCancellationRefused(Message):
    """Reply to CancelPickList for a shipment that cannot be cancelled any more (already gated out). The
    coordinator handles it as a return, not a cancellation."""

    TYPE: ClassVar[str] = "PickListCancellationRefused"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    order_id: str
    shipment_id: str
    request_id: str
    reason: str = "already dispatched"
    refused_at: AwareDatetime


# --- parked keys (issue 17): the same fields in every service, this service's own types and topic ---------


class DispatchKeyParked(KeyParked):
    """Dispatch dead-lettered a message and holds its key's later messages on that topic behind it."""

    TYPE: ClassVar[str] = "DispatchKeyParked"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)


class DispatchKeyReleased(KeyReleased):
    """Dispatch replayed or discarded the dead letter that parked the key: its held messages ran."""

    TYPE: ClassVar[str] = "DispatchKeyReleased"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)


class ShipmentGateOpened(Message):
    """Ready for the gate: the shipment may leave, its invoice (with the IRN registered where one is required) and
    e-way bill (or the verdict that none is required) exist. It is now on its warehouse's ready-for-gate list."""

    TYPE: ClassVar[str] = "ShipmentGateOpened"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    order_id: str
    shipment_id: str
    shipment_no: str
    warehouse_id: str
    invoice_id: str
    invoice_no: DocumentNumber
    ewaybill_no: EwayBillNumber | None = None
    ewaybill_valid_until: AwareDatetime | None = None
    ready_at: AwareDatetime


class GateClosedReason(StrEnum):
    IRN_PENDING = "irn_pending"
    IRN_REJECTED = "irn_rejected"
    EWAYBILL_CANCELLED = "ewaybill_cancelled"
    EWAYBILL_EXPIRED = "ewaybill_expired"
    INVOICE_CANCELLED = "invoice_cancelled"
    SHIPMENT_CANCELLED = "shipment_cancelled"


class ShipmentGateClosed(Message):
    """A shipment that was ready for the gate may no longer leave: it left the ready-for-gate list, and
    `waiting_for` says what it waits for now (a new e-way bill, a new invoice, the IRN)."""

    TYPE: ClassVar[str] = "ShipmentGateClosed"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    order_id: str
    shipment_id: str
    shipment_no: str
    warehouse_id: str
    reason: GateClosedReason
    detail: str = ""
    waiting_for: list[str] = Field(default_factory=list)
    closed_at: AwareDatetime


class PutBackLine(Part):
    """An order line's goods taken off a shipment and put back on the shelf, and where they went."""

    line_no: int = Field(ge=1)
    item_code: str
    quantity: Quantity
    shipping: Quantity = Field(description="What of the line the shipment carries now")
    allocations: list[BatchAllocation] = Field(default_factory=list, description="Bins (and batches) put back to")


class ShipmentReduced(Message):
    """A shipment still at the warehouse now carries less than was picked: its invoice was cancelled and
    re-issued for fewer units (issue 21), so the difference went back to the bins it was picked from (still
    reserved for the order: inventory's books never moved it). Goods and documents agree again; the
    coordinator releases the put-back units as a shipment of their own."""

    TYPE: ClassVar[str] = "ShipmentReduced"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    order_id: str
    shipment_id: str
    shipment_no: str
    pick_list_id: str
    warehouse_id: str
    invoice_id: str = Field(description="The re-issued invoice the shipment now carries")
    invoice_no: DocumentNumber
    replaces_invoice_no: DocumentNumber | None = None
    lines: list[PutBackLine] = Field(min_length=1)
    put_back_at: AwareDatetime
