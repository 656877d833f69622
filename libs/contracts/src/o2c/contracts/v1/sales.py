"""v1 messages sales publishes: customer and item master, quotations, the order's life, and the order saga
coordinator's commands to credit, inventory and dispatch (sales is the only service that sends commands)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from o2c.contracts.envelope import Kind, Message
from o2c.contracts.topics import GST_RATES_TOPIC, Service, commands_topic, events_topic
from o2c.contracts.types import DecimalStr, DocumentNumber, Gstin, HsnCode, Money, Pincode, Quantity, StateCode, Uqc
from o2c.contracts.v1.common import (
    Address,
    Contact,
    LineQuantity,
    OrderLine,
    OrderTotals,
    Part,
    ShipmentLine,
    ShipPolicy,
    ShortagePolicy,
    SupplyType,
    TaxRegime,
)
from o2c.contracts.v1.parking import KeyParked, KeyReleased
from o2c.india.gst_rates import HSN_PREFIX_PATTERN
from pydantic import AwareDatetime, Field

EVENTS = events_topic(Service.SALES)
GST_RATES = GST_RATES_TOPIC


# --- customer master (key: customer id) ----------------------------------------------------------


class CustomerAddress(Part):
    """One of the customer's addresses; a customer registered in several states has a GSTIN per address."""

    address_id: str
    address: Address
    is_billing: bool = True
    is_shipping: bool = True


class _CustomerFacts(Message):
    KEY_FIELD: ClassVar[str] = "customer_id"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (
        Service.CREDIT, Service.INVENTORY, Service.DISPATCH, Service.INVOICING, Service.EWAYBILL, Service.NOTIFY,
    )

    customer_id: str
    customer_code: str = Field(description="Human-readable customer reference")
    name: str
    pan: str | None = Field(default=None, description="PAN, when known (TDS u/s 194Q, GSTIN cross-check)")
    addresses: list[CustomerAddress] = Field(min_length=1)
    default_bill_to: str = Field(description="address_id of the default billing address")
    default_ship_to: str = Field(description="address_id of the default shipping address")
    payment_terms_days: int = Field(ge=0)
    credit_grace_days: int = Field(default=0, ge=0, description="Overdue days tolerated before credit holds")
    proposed_credit_limit: Money | None = Field(
        default=None, description="Limit the sales head proposes; credit owns the actual credit profile"
    )
    ship_policy: ShipPolicy = ShipPolicy.SHIP_PARTIAL
    shortage_policy: ShortagePolicy = ShortagePolicy.BACKORDER
    contacts: list[Contact] = Field(default_factory=list)
    active: bool = True
    revision: int = Field(default=1, ge=1, description="Increases with each change; readers keep the highest")
    sales_owner: str | None = Field(
        default=None, description="The sales owner (coordinator scope); every service holding the customer's "
        "documents keeps it to limit a coordinator to their customers"
    )
    partner_ids: list[str] = Field(
        default_factory=list, description="Partner systems that serve this customer (set by the sales head); "
        "a partner token sees only these customers' documents"
    )


class CustomerApproved(_CustomerFacts):
    """Sales approved a new customer (the full master record). Credit opens a credit profile; notify
    keeps the contacts; every service holding the customer's documents keeps its scope (owner, partners)."""

    TYPE: ClassVar[str] = "CustomerApproved"

    approved_at: AwareDatetime


class CustomerUpdated(_CustomerFacts):
    """A customer's master record changed (full record, not a diff). Credit and notify refresh their
    replicas; a record with a lower revision than the one held is ignored."""

    TYPE: ClassVar[str] = "CustomerUpdated"

    updated_at: AwareDatetime
    changed_fields: list[str] = Field(default_factory=list, description="Names of the fields that changed")


# --- item master (key: item code) ----------------------------------------------------------------


class _ItemFacts(Message):
    KEY_FIELD: ClassVar[str] = "item_code"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.INVENTORY,)

    item_code: str
    name: str
    hsn: HsnCode
    unit: Uqc
    product_line: str
    batch_tracked: bool = False
    shelf_life_days: int | None = Field(default=None, ge=1, description="For batch-tracked items with expiry")
    stocked: bool = Field(default=True, description="False: not held in stock, promised by lead time")
    lead_time_days: int = Field(default=0, ge=0)
    gst_rate: DecimalStr = Field(description="GST rate in percent in force now (rates are effective-dated)")
    cess_rate: DecimalStr = Decimal("0")
    active: bool = True
    revision: int = Field(default=1, ge=1)


class ItemCreated(_ItemFacts):
    """Sales created an item. Inventory adds it to its item replica (unit, batch tracking, stocking)."""

    TYPE: ClassVar[str] = "ItemCreated"

    created_at: AwareDatetime


class ItemUpdated(_ItemFacts):
    """An item's master record changed (full record). Inventory refreshes its replica by revision."""

    TYPE: ClassVar[str] = "ItemUpdated"

    updated_at: AwareDatetime
    changed_fields: list[str] = Field(default_factory=list)


# --- quotation (key: customer id: a quotation has no order yet) ----------------------------------


class QuotationIssued(Message):
    """Sales issued a quotation to a customer. Nobody must react; reporting measures quote-to-order time
    (the later OrderConfirmed names the quotation)."""

    TYPE: ClassVar[str] = "QuotationIssued"
    TOPIC: ClassVar[str] = EVENTS
    KEY_FIELD: ClassVar[str] = "customer_id"

    quotation_id: str
    quotation_no: str
    customer_id: str
    customer_name: str
    issued_at: AwareDatetime
    valid_until: date
    lines: list[OrderLine] = Field(min_length=1)
    totals: OrderTotals


# --- the GST rate master (key: rate id; compacted topic) ------------------------------------------


class GstRateRecorded(Message):
    """Sales' GST rate master holds this rate: GST (and compensation cess) for HSN codes starting with
    `hsn_prefix`, in force from `effective_from` (until `effective_to` when given, else until a later rate of the
    same prefix). Sales owns the rates; invoicing keeps a replica and taxes each line at the rate in force on the
    invoice date. One record per rate id on a compacted topic kept forever: a fresh replica replays it from
    offset 0. `version` grows when the same rate is set again (a correction); a replica keeps the highest.
    Added within v1 (additive)."""

    TYPE: ClassVar[str] = "GstRateRecorded"
    TOPIC: ClassVar[str] = GST_RATES
    KEY_FIELD: ClassVar[str] = "rate_id"
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.INVOICING,)

    rate_id: str = Field(description="`<hsn_prefix>@<effective_from>`, the compaction key")
    hsn_prefix: str = Field(pattern=HSN_PREFIX_PATTERN, description="Chapter, heading, sub-heading or item")
    effective_from: date
    effective_to: date | None = None
    rate: DecimalStr = Field(description="GST rate in percent, e.g. 18")
    cess_rate: DecimalStr = Field(default=Decimal(0), description="Compensation cess in percent (ad valorem)")
    description: str = ""
    version: int = Field(ge=1)
    set_at: AwareDatetime


# --- the order (key: order id) -------------------------------------------------------------------


class _OrderFacts(Message):
    """Everything the next steps need about an order, so that no service calls sales back."""

    TOPIC: ClassVar[str] = EVENTS

    order_id: str
    order_no: str = Field(description="Human-readable order reference")
    order_date: date
    revision: int = Field(default=1, ge=1, description="1 at confirmation, +1 per amendment")
    customer_id: str
    customer_name: str
    customer_po_no: str | None = None
    quotation_id: str | None = None
    bill_to: Address
    ship_to: Address
    place_of_supply: StateCode
    supply_type: SupplyType
    lines: list[OrderLine] = Field(min_length=1)
    totals: OrderTotals
    ship_policy: ShipPolicy
    payment_terms_days: int = Field(ge=0)
    preferred_warehouse_id: str | None = None
    contact: Contact | None = None


class QuotedFrom(Part):
    """The quotation an order was converted from, as sales issued it: a reader of the order needs no join with
    the quotation's own `QuotationIssued` (keyed by customer, so on another partition)."""

    quotation_no: DocumentNumber
    issued_at: AwareDatetime = Field(description="When the quoted revision was issued")
    valid_until: date
    gross_value: Money


class OrderConfirmed(_OrderFacts):
    """A customer's order is confirmed (entered or converted from a quotation). Credit checks exposure and
    inventory reserves stock, in parallel; the coordinator waits for both before release."""

    TYPE: ClassVar[str] = "OrderConfirmed"
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.CREDIT, Service.INVENTORY, Service.NOTIFY)

    confirmed_at: AwareDatetime
    quotation: QuotedFrom | None = Field(
        default=None, description="Converted orders: the quotation's number, issue time, validity and value "
                                  "(absent on orders entered directly, and on conversions before this field)")


class OrderAmended(_OrderFacts):
    """The order changed before release (full new version, `revision` increased). Credit re-checks the
    new gross value; inventory adjusts the reservation to the new lines; both reply for this revision."""

    TYPE: ClassVar[str] = "OrderAmended"
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.CREDIT, Service.INVENTORY)

    amended_at: AwareDatetime
    previous_gross_value: Money
    reason: str


class ReleasedShipment(Part):
    """One warehouse's part of a release: a shipment to pick, invoice and dispatch."""

    shipment_id: str
    warehouse_id: str
    warehouse_gstin: Gstin = Field(description="Supplier GSTIN of the invoice: the warehouse's state registration")
    dispatch_from: Address
    lines: list[ShipmentLine] = Field(min_length=1)
    tax_regime: TaxRegime | None = Field(
        default=None, description="The tax split sales decided for this shipment, from the warehouse's state "
        "registration to the order's place of supply (docs/domain.md, \"Place of supply\"); invoicing refuses an "
        "invoice that would split differently. Added within v1 (additive).")


class BackorderedLine(Part):
    line_no: int = Field(ge=1)
    item_code: str
    quantity: Quantity
    expected_date: date | None = None


class OrderReleased(Message):
    """The coordinator released the order to the warehouses: credit is cleared and stock reserved. One
    shipment per warehouse; dispatch issues pick lists; notify tells the partners serving the customer. A later
    fill of a backorder is a new release (`release_no` + 1) with new shipments."""

    TYPE: ClassVar[str] = "OrderReleased"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.DISPATCH, Service.NOTIFY)

    order_id: str
    order_no: str
    order_revision: int = Field(default=1, ge=1)
    release_no: int = Field(default=1, ge=1)
    customer_id: str
    customer_name: str
    customer_po_no: str | None = None
    bill_to: Address
    ship_to: Address
    place_of_supply: StateCode
    supply_type: SupplyType
    payment_terms_days: int = Field(ge=0)
    ship_policy: ShipPolicy
    shipments: list[ReleasedShipment] = Field(min_length=1)
    backordered: list[BackorderedLine] = Field(
        default_factory=list, description="Lines or parts left for later (ship-partial)"
    )
    contact: Contact | None = None
    released_at: AwareDatetime


class OrderBackordered(Message):
    """Some or all of the order waits for stock (with expected dates where known). Inventory fills it
    when stock arrives (BackorderFilled); notify tells the customer."""

    TYPE: ClassVar[str] = "OrderBackordered"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.INVENTORY, Service.NOTIFY)

    order_id: str
    order_no: str
    customer_id: str
    lines: list[BackorderedLine] = Field(min_length=1)
    reason: str = Field(description="e.g. no stock, partial reservation under ship-complete, short pick")
    contact: Contact | None = None
    backordered_at: AwareDatetime


class CancellationReason(StrEnum):
    CREDIT_REJECTED = "credit_rejected"
    SANCTION_TIMEOUT = "sanction_timeout"
    OUT_OF_STOCK = "out_of_stock"
    CUSTOMER_REQUEST = "customer_request"
    OTHER = "other"


class OrderCancelled(Message):
    """The order (or what is left of it before gate-out) is cancelled, the reason kept. The coordinator has
    sent the compensating commands; notify tells the customer; reporting closes the order's measures."""

    TYPE: ClassVar[str] = "OrderCancelled"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.NOTIFY,)

    order_id: str
    order_no: str
    customer_id: str
    reason: CancellationReason
    note: str = ""
    cancelled_lines: list[LineQuantity] = Field(
        default_factory=list, description="Empty when nothing had shipped: the whole order is cancelled"
    )
    contact: Contact | None = None
    cancelled_at: AwareDatetime


class OrderClosed(Message):
    """Every shipment of the order was dispatched and the customer notified, and nothing is backordered.
    Terminal; reporting counts order-to-dispatch cycle time; notify tells the partners serving the customer."""

    TYPE: ClassVar[str] = "OrderClosed"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.NOTIFY,)

    order_id: str
    order_no: str
    customer_id: str
    shipment_ids: list[str]
    invoice_nos: list[DocumentNumber]
    closed_at: AwareDatetime


class OrderExceptionKind(StrEnum):
    FAILED_COMPENSATION = "failed_compensation"
    """A compensating command (release a reservation, release credit exposure, cancel a pick list) got no
    reply after its retries: stock or credit may still be held for a cancelled order."""
    SAGA_PROBLEM = "saga_problem"
    """The coordinator met a state it cannot settle alone (e.g. a cancellation racing the gate-out, or invoicing
    refusing a shipment it cannot tax: `InvoiceRefused`)."""


class OrderExceptionRaised(Message):
    """The order saga needs a person: an open exception on the order's page and in the SRE's failed-saga
    queue. A saga problem ends with the order (closed or cancelled); a failed compensation stays open, since
    stock or credit may still be held, until someone releases it by hand. Added within v1 (additive)."""

    TYPE: ClassVar[str] = "OrderExceptionRaised"
    TOPIC: ClassVar[str] = EVENTS

    order_id: str
    order_no: str
    customer_id: str
    key: str = Field(description="stable per exception: the same problem raised again carries the same key")
    kind: OrderExceptionKind
    reason: str
    raised_at: AwareDatetime


# --- returns (key: order id of the original order) ----------------------------------------------


class ReturnReason(StrEnum):
    DAMAGED = "damaged"
    EXPIRED = "expired"
    WRONG_ITEM = "wrong_item"
    EXCESS_SUPPLY = "excess_supply"
    QUALITY = "quality"
    OTHER = "other"


class ReturnLine(Part):
    invoice_line_no: int = Field(ge=1, description="Line of the original invoice")
    item_code: str
    hsn: HsnCode
    quantity: Quantity
    batch_no: str | None = None
    reason: ReturnReason


class ReturnAuthorised(Message):
    """Sales authorised the customer to return goods of an invoice (RMA). Inventory expects them at the
    warehouse and receives them (GoodsReturned); invoicing then issues the credit note."""

    TYPE: ClassVar[str] = "ReturnAuthorised"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.INVENTORY, Service.INVOICING)

    return_id: str
    return_no: str
    order_id: str
    customer_id: str
    invoice_id: str
    invoice_no: DocumentNumber
    invoice_date: date
    warehouse_id: str = Field(description="Where the goods come back to")
    pickup_pincode: Pincode | None = None
    lines: list[ReturnLine] = Field(min_length=1)
    authorised_at: AwareDatetime


# --- the coordinator's commands (sales is their only sender) -------------------------------------


class _Command(Message):
    """A command: imperative, addressed to one service, idempotent by `request_id`; the receiver replies
    with a named event on its own events topic, carrying the same `request_id`."""

    KIND: ClassVar[Kind] = "command"

    order_id: str
    request_id: str = Field(description="Idempotency key of this command (stable across retries)")
    reason: str
    requested_at: AwareDatetime


class ReleaseReservation(_Command):
    """Inventory must release the order's reservation (all of it, or the listed lines). Sent on credit
    rejection, sanction timeout, customer cancellation, ship-complete hold expiry. Reply: ReservationReleased."""

    TYPE: ClassVar[str] = "ReleaseReservation"
    TOPIC: ClassVar[str] = commands_topic(Service.INVENTORY)
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.INVENTORY,)

    lines: list[LineQuantity] = Field(default_factory=list, description="Empty: release everything reserved")


class ReserveStock(_Command):
    """Inventory must (re-)reserve these lines: a backorder to retry, or a short pick to cover from other
    bins or warehouses. Reply: StockReserved / StockPartiallyReserved / StockReservationFailed."""

    TYPE: ClassVar[str] = "ReserveStock"
    TOPIC: ClassVar[str] = commands_topic(Service.INVENTORY)
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.INVENTORY,)

    order_revision: int = Field(default=1, ge=1)
    lines: list[LineQuantity] = Field(min_length=1)
    ship_to_pincode: Pincode
    exclude_bins: list[str] = Field(default_factory=list, description="Bins found short at picking")
    preferred_warehouse_id: str | None = None


class ReleaseCreditExposure(_Command):
    """Credit must stop counting this (gross) amount of the order as open exposure: cancelled, unreserved,
    short-picked or backordered remainders. Reply: CreditExposureReleased."""

    TYPE: ClassVar[str] = "ReleaseCreditExposure"
    TOPIC: ClassVar[str] = commands_topic(Service.CREDIT)
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.CREDIT,)

    customer_id: str
    amount: Money = Field(description="Gross amount (with GST) to release")
    lines: list[LineQuantity] = Field(default_factory=list, description="Empty: the whole order")
    order_revision: int | None = Field(
        default=None, ge=1, description="The order revision whose exposure this releases: credit ignores a "
        "release of a revision older than the one it counts (an amendment counts the whole new order). None: "
        "the revision credit counts now. Added within v1 (additive).")


class RecheckCredit(_Command):
    """Credit must decide again for this gross amount (a backorder about to ship, a re-opened order), so
    no order slips past the check. Reply: CreditApproved / CreditHeld (then Sanctioned / Rejected)."""

    TYPE: ClassVar[str] = "RecheckCredit"
    TOPIC: ClassVar[str] = commands_topic(Service.CREDIT)
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.CREDIT,)

    customer_id: str
    order_revision: int = Field(default=1, ge=1)
    amount: Money = Field(description="Gross amount (with GST) to be decided")


class CancelPickList(_Command):
    """Dispatch must cancel the order's pick lists not yet gated out and put staged goods back into their
    bins. Reply: PickListCancelled, or PickListCancellationRefused when the goods already left."""

    TYPE: ClassVar[str] = "CancelPickList"
    TOPIC: ClassVar[str] = commands_topic(Service.DISPATCH)
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.DISPATCH,)

    shipment_ids: list[str] = Field(default_factory=list, description="Empty: every open shipment of the order")


# --- parked keys (issue 17): the same fields in every service, this service's own types and topic ---------


class SalesKeyParked(KeyParked):
    """Sales dead-lettered a message and holds its key's later messages on that topic behind it."""

    TYPE: ClassVar[str] = "SalesKeyParked"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = ()


class SalesKeyReleased(KeyReleased):
    """Sales replayed or discarded the dead letter that parked the key: its held messages ran."""

    TYPE: ClassVar[str] = "SalesKeyReleased"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = ()


class CancelEwayBill(_Command):
    """Ewaybill must cancel the e-way bill of a shipment whose pick list was cancelled after invoicing (an order
    cancelled or reduced before gate-out). Reply: EwayBillCancelled, or EwayBillCancellationRefused (outside
    the portal's 24-hour window: the bill lapses unused, the invoice is undone by credit note)."""

    TYPE: ClassVar[str] = "CancelEwayBill"
    TOPIC: ClassVar[str] = commands_topic(Service.EWAYBILL)
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.EWAYBILL,)

    shipment_id: str
    invoice_id: str
    ewaybill_no: str


class UndoInvoice(_Command):
    """Invoicing must undo the invoice of a shipment whose pick list was cancelled before gate-out: cancel it
    (with its IRN, within the IRP's 24 hours) or, when it can no longer be cancelled, issue a credit note for
    all of it. Reply: InvoiceCancelled or CreditNoteIssued (with this request id), or InvoiceUndoRefused."""

    TYPE: ClassVar[str] = "UndoInvoice"
    TOPIC: ClassVar[str] = commands_topic(Service.INVOICING)
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.INVOICING,)

    shipment_id: str
    invoice_id: str
    ewaybill_cancelled: str | None = Field(
        default=None, description="The invoice's e-way bill the coordinator saw cancelled (EwayBillCancelled may "
        "reach invoicing after this command)")
