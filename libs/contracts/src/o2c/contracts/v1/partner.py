"""v1 partner order-status messages: what a partner system learns about the orders of the customers it serves.

Notify publishes them on the partner's own topic (`o2c.partner.<partner>.order-status.v1`, keyed by order id, in
the order they happened) for every customer the sales head bound to that partner. They carry only what the
customer may see on its own documents: its order, quantities, promised and expected dates, its invoices' numbers
and amounts, the e-way bill and the vehicle. Never the credit limit, exposure, holds, warehouses' stock or any
internal id beyond the order and customer references the customer already knows.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from o2c.contracts.envelope import Message
from o2c.contracts.topics import PARTNER_TOPIC
from o2c.contracts.types import DocumentNumber, EwayBillNumber, Money, Quantity
from o2c.contracts.v1.common import Part, TransportMode
from o2c.contracts.v1.sales import CancellationReason
from pydantic import AwareDatetime, Field


class OrderedQuantity(Part):
    """A quantity of one order line."""

    line_no: int = Field(ge=1)
    item_code: str
    quantity: Quantity


class StatusLine(OrderedQuantity):
    """One order line as the customer knows it, with the item's name."""

    item_name: str = ""


class PromisedLine(StatusLine):
    """An ordered line with its price before GST and the date it was promised for."""

    unit_price: Money = Field(description="Per unit, before discount, excluding GST")
    promised_date: date


class WaitingLine(OrderedQuantity):
    """A quantity of a line that waits for stock, with the date it is expected when known."""

    expected_date: date | None = None


class _OrderStatus(Message):
    """Base of the partner feed: one order of one customer, keyed by order id."""

    TOPIC: ClassVar[str] = PARTNER_TOPIC
    CONSUMERS: ClassVar[tuple[str, ...]] = ()  # partner systems, not o2c services

    order_id: str = Field(description="The order's reference (the record key; the same on every status)")
    order_no: str = Field(description="The order number on the customer's documents")
    customer_id: str = Field(description="The customer's reference, as the partner's API calls name it")


class PartnerOrderConfirmed(_OrderStatus):
    """The customer's order was confirmed: its lines, prices and promised dates, and its value. The partner's
    system opens the order; credit and stock are checked next (the feed says released, backordered or cancelled)."""

    TYPE: ClassVar[str] = "PartnerOrderConfirmed"

    order_date: date
    customer_po_no: str | None = None
    lines: list[PromisedLine] = Field(min_length=1)
    taxable_value: Money
    tax_amount: Money = Field(description="GST estimated at the rates in force when the order was priced")
    gross_value: Money
    confirmed_at: AwareDatetime


class PartnerOrderReleased(_OrderStatus):
    """The order was released to the warehouses to be picked and shipped (a later release after a backorder
    has a higher `release_no`). The partner's system shows the order as in preparation."""

    TYPE: ClassVar[str] = "PartnerOrderReleased"

    release_no: int = Field(ge=1)
    shipments: int = Field(ge=1, description="How many shipments (one per warehouse) this release makes")
    lines: list[StatusLine] = Field(min_length=1, description="What this release ships")
    backordered: list[WaitingLine] = Field(default_factory=list, description="What waits for stock")
    released_at: AwareDatetime


class PartnerOrderBackordered(_OrderStatus):
    """Some or all of the order waits for stock, with expected dates where known. The partner's system tells
    its customer; a later release (PartnerOrderReleased) ships it."""

    TYPE: ClassVar[str] = "PartnerOrderBackordered"

    lines: list[WaitingLine] = Field(min_length=1)
    backordered_at: AwareDatetime


class PartnerOrderInvoiced(_OrderStatus):
    """A shipment of the order was invoiced (GST tax invoice): its number, date and amount with GST. The
    partner's system books the invoice; it is told when the shipment leaves the warehouse."""

    TYPE: ClassVar[str] = "PartnerOrderInvoiced"

    shipment_no: str
    invoice_no: DocumentNumber
    invoice_date: date
    amount: Money = Field(description="The invoice's grand total, GST included")


class PartnerEwayBillGenerated(_OrderStatus):
    """The shipment's goods travel under an e-way bill: its number and until when it is valid. The partner's
    system keeps it for the consignee's checks (no message when no e-way bill was required)."""

    TYPE: ClassVar[str] = "PartnerEwayBillGenerated"

    shipment_no: str
    ewaybill_no: EwayBillNumber
    valid_until: AwareDatetime | None = None


class PartnerShipmentDispatched(_OrderStatus):
    """A shipment left the warehouse: the vehicle, the transporter's receipt and the expected delivery date.
    The partner's system tells its customer the goods are on the way."""

    TYPE: ClassVar[str] = "PartnerShipmentDispatched"

    shipment_no: str
    invoice_no: DocumentNumber
    ewaybill_no: EwayBillNumber | None = Field(default=None, description="None when no e-way bill was required")
    mode: TransportMode = TransportMode.ROAD
    vehicle_no: str | None = None
    transporter_name: str | None = None
    lr_no: str | None = Field(default=None, description="The transporter's lorry receipt number")
    lines: list[StatusLine] = Field(min_length=1)
    expected_delivery_date: date | None = None
    dispatched_at: AwareDatetime


class PartnerOrderClosed(_OrderStatus):
    """Every shipment of the order left and nothing waits for stock: the order is complete. Terminal; the
    partner's system closes the order."""

    TYPE: ClassVar[str] = "PartnerOrderClosed"

    invoice_nos: list[DocumentNumber] = Field(default_factory=list)
    closed_at: AwareDatetime


class PartnerOrderCancelled(_OrderStatus):
    """The order, or what had not left yet, was cancelled, with the reason. The partner's system cancels the
    order (or those lines); nothing more of them ships."""

    TYPE: ClassVar[str] = "PartnerOrderCancelled"

    reason: CancellationReason
    cancelled_lines: list[OrderedQuantity] = Field(
        default_factory=list, description="Empty when nothing had shipped: the whole order is cancelled"
    )
    cancelled_at: AwareDatetime


PartnerStatus = (PartnerOrderConfirmed | PartnerOrderReleased | PartnerOrderBackordered | PartnerOrderInvoiced
                 | PartnerEwayBillGenerated | PartnerShipmentDispatched | PartnerOrderClosed | PartnerOrderCancelled)
"""Any status of the feed (a partner's handler narrows on it)."""

PARTNER_STATUSES: tuple[type[PartnerStatus], ...] = (
    PartnerOrderConfirmed, PartnerOrderReleased, PartnerOrderBackordered, PartnerOrderInvoiced,
    PartnerEwayBillGenerated, PartnerShipmentDispatched, PartnerOrderClosed, PartnerOrderCancelled,
)
"""The feed's v1 status types, in the order an order's life goes through them."""
