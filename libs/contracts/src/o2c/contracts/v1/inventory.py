"""v1 messages inventory publishes: reservation outcomes (per order, one allocation per warehouse),
releases, backorder fills, stock issued at gate-out and goods returned."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar

from o2c.contracts.envelope import Message
from o2c.contracts.topics import Service, events_topic
from o2c.contracts.types import DocumentNumber, Quantity
from o2c.contracts.v1.common import BatchAllocation, LineQuantity, Part, Shortfall, WarehouseAllocation
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
