"""v1 messages inventory publishes: reservation outcomes (per order, one allocation per warehouse),
releases, backorder fills and their new dates, stock issued at gate-out, goods returned, and stock transfers
between warehouses (delivery challans within a GSTIN, branch transfers between two GSTINs of one PAN)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar

from o2c.contracts.envelope import Message
from o2c.contracts.topics import Service, events_topic
from o2c.contracts.types import DocumentNumber, HsnCode, Money, Pincode, Quantity, StateCode
from o2c.contracts.v1.common import (
    Address,
    BatchAllocation,
    LineQuantity,
    Part,
    Shortfall,
    TaxRegime,
    WarehouseAllocation,
)
from o2c.contracts.v1.parking import KeyParked, KeyReleased
from pydantic import AwareDatetime, Field

EVENTS = events_topic(Service.INVENTORY)


class _ReservationOutcome(Message):
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    order_id: str
    order_revision: int = Field(default=1, ge=1, description="The order revision this outcome is for")
    request_id: str | None = Field(
        default=None, description="ReserveStock request answered; None for the reservation on OrderConfirmed"
    )
    decided_at: AwareDatetime


class StockReserved(_ReservationOutcome):
    """Every line is reserved, routed to one or more warehouses (one allocation per future shipment, with
    batches and bins). The coordinator counts stock as ready for this revision."""

    TYPE: ClassVar[str] = "StockReserved"

    allocations: list[WarehouseAllocation] = Field(min_length=1)


class StockPartiallyReserved(_ReservationOutcome):
    """Part is reserved, the rest is short (with expected dates). The coordinator applies the customer's
    ship policy: hold then backorder (ship-complete), or release what is reserved (ship-partial)."""

    TYPE: ClassVar[str] = "StockPartiallyReserved"

    allocations: list[WarehouseAllocation] = Field(min_length=1)
    shortfalls: list[Shortfall] = Field(min_length=1)


class StockReservationFailed(_ReservationOutcome):
    """Nothing could be reserved anywhere. The coordinator releases credit exposure and backorders or
    cancels the order per the customer's shortage policy."""

    TYPE: ClassVar[str] = "StockReservationFailed"

    shortfalls: list[Shortfall] = Field(min_length=1)
    reason: str = "no stock available to promise"


class ReservationReleased(Message):
    """Reply to ReleaseReservation: the reserved quantities are available again (idempotent per
    request_id; an order with nothing reserved replies with no lines). The coordinator ticks it off."""

    TYPE: ClassVar[str] = "ReservationReleased"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    order_id: str
    request_id: str | None = None
    lines: list[LineQuantity] = Field(default_factory=list, description="What was released, per warehouse")
    released_at: AwareDatetime


class BackorderFilled(Message):
    """Stock arrived for a backordered order and inventory reserved it (oldest backorder first). The
    coordinator re-checks credit if needed and releases a new shipment."""

    TYPE: ClassVar[str] = "BackorderFilled"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    order_id: str
    allocations: list[WarehouseAllocation] = Field(min_length=1)
    remaining: list[Shortfall] = Field(default_factory=list, description="Still short after this fill")
    filled_at: AwareDatetime


class BackorderRescheduled(Message):
    """Stock on its way fills these backordered lines: their expected date is now the arrival of the transfer
    that carries it (docs/domain.md, "Stock transfers"). The order page shows the new date. Added within v1."""

    TYPE: ClassVar[str] = "BackorderRescheduled"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    order_id: str
    lines: list[Shortfall] = Field(min_length=1, description="Each line still short, with its new expected_date")
    transfer_id: str
    transfer_no: DocumentNumber
    rescheduled_at: AwareDatetime


class IssuedLine(Part):
    line_no: int = Field(ge=1)
    item_code: str
    quantity: Quantity
    allocations: list[BatchAllocation] = Field(default_factory=list)


class StockIssued(Message):
    """The shipment's goods left the warehouse at gate-out: on-hand and reservation were reduced, once.
    Reporting and the coordinator see stock movement confirmed."""

    TYPE: ClassVar[str] = "StockIssued"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    order_id: str
    shipment_id: str
    warehouse_id: str
    lines: list[IssuedLine] = Field(min_length=1)
    issued_at: AwareDatetime


class GoodsCondition(StrEnum):
    SALEABLE = "saleable"
    DAMAGED = "damaged"
    EXPIRED = "expired"


class ReturnedLine(Part):
    invoice_line_no: int = Field(ge=1)
    item_code: str
    quantity: Quantity
    batch_no: str | None = None
    condition: GoodsCondition


class GoodsReturned(Message):
    """Returned goods were received at the warehouse (saleable goods back into stock). Invoicing issues
    the credit note against the original invoice; sales closes the return."""

    TYPE: ClassVar[str] = "GoodsReturned"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.INVOICING, Service.SALES)

    return_id: str
    return_no: str
    order_id: str
    customer_id: str
    invoice_id: str
    invoice_no: DocumentNumber
    invoice_date: date
    warehouse_id: str
    lines: list[ReturnedLine] = Field(min_length=1)
    received_at: AwareDatetime


class TransferKind(StrEnum):
    DELIVERY_CHALLAN = "delivery_challan"
    """Between two warehouses of one GSTIN: not a supply; the goods travel under a delivery challan."""
    BRANCH_TRANSFER = "branch_transfer"
    """Between two GSTINs of one PAN (distinct persons): a taxable supply, a tax invoice from the sending GSTIN."""


class TransferredLine(Part):
    line_no: int = Field(ge=1)
    item_code: str
    item_name: str
    hsn: HsnCode
    quantity: Quantity
    batches: list[BatchAllocation] = Field(default_factory=list, description="Bins and batches it left from")
    unit_value: Money | None = Field(default=None, description="Transfer price per unit in force on the "
                                     "transfer date; None on a challan when no transfer price is set")
    taxable_value: Money | None = Field(default=None, description="quantity × unit_value, to the paisa")


class StockTransferDispatched(Message):
    """Stock left one warehouse for another and is in transit (promised nowhere until received). A branch
    transfer carries every fact of its tax invoice and e-way bill: the sending GSTIN's address as supplier, the
    receiving GSTIN's as recipient (the buyer in GSTR-1), the place of supply and its tax regime (decided by
    `o2c.india.supply`), HSN lines with taxable values from the finance head's transfer price list, and the
    distance inputs. Keyed by transfer id. Added within v1."""

    TYPE: ClassVar[str] = "StockTransferDispatched"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.INVOICING,)
    KEY_FIELD: ClassVar[str] = "transfer_id"

    transfer_id: str
    transfer_no: DocumentNumber = Field(description="Inventory's transfer series per sending GSTIN and year")
    kind: TransferKind
    transfer_date: date = Field(description="IST business date of dispatch")
    from_warehouse_id: str
    to_warehouse_id: str
    supplier: Address = Field(description="The sending warehouse, with its GSTIN")
    recipient: Address = Field(description="The receiving warehouse, with its GSTIN")
    place_of_supply: StateCode = Field(description="The receiving warehouse's state (goods end their movement there)")
    tax_regime: TaxRegime | None = Field(default=None, description="Branch transfer: from the sending state to the "
                                         "place of supply; None for a challan (no supply)")
    lines: list[TransferredLine] = Field(min_length=1)
    total_taxable_value: Money | None = None
    from_pincode: Pincode
    to_pincode: Pincode
    distance_km: int | None = Field(default=None, ge=1, description="Road estimate between the pincodes "
                                    "(docs/domain.md, \"Distances\"); None within one pincode or without coordinates")
    expected_arrival: date
    dispatched_at: AwareDatetime
    dispatched_by: str = ""


# --- parked keys (issue 17): the same fields in every service, this service's own types and topic ---------


class InventoryKeyParked(KeyParked):
    """Inventory dead-lettered a message and holds its key's later messages on that topic behind it."""

    TYPE: ClassVar[str] = "InventoryKeyParked"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)


class InventoryKeyReleased(KeyReleased):
    """Inventory replayed or discarded the dead letter that parked the key: its held messages ran."""

    TYPE: ClassVar[str] = "InventoryKeyReleased"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)
