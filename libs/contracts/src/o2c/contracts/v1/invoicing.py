"""v1 messages invoicing publishes: GST tax invoices (with IRN when applicable), IRN outcomes,
cancellations and credit notes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from o2c.contracts.envelope import Message
from o2c.contracts.topics import Service, events_topic
from o2c.contracts.types import (
    DecimalStr,
    DocumentNumber,
    FinancialYear,
    Gstin,
    HsnCode,
    Irn,
    Money,
    Quantity,
    StateCode,
)
from o2c.contracts.v1.common import Address, BatchAllocation, Contact, Part, SupplyType, TransportDetails
from o2c.contracts.v1.parking import KeyParked, KeyReleased
from pydantic import AwareDatetime, Field

EVENTS = events_topic(Service.INVOICING)


class InvoiceRefusal(StrEnum):
    NO_GST_RATE = "no_gst_rate"
    """An HSN of the shipment has no GST rate in force on the invoice date in sales' rate master."""
    PLACE_OF_SUPPLY = "place_of_supply"
    """The place of supply the order carries is not the one India's rule gives for its addresses, or the tax split
    sales decided for the shipment is not the one from the dispatching registration to that place."""
    INVALID_SHIPMENT = "invalid_shipment"
    """Any other fact of the shipment an invoice cannot be built from."""


class InvoiceRefused(Message):
    """Invoicing could not invoice a ready shipment and will not guess: no invoice number is used. The sales
    coordinator raises it on the order for a person (`OrderExceptionRaised`). Added within v1 (additive)."""

    TYPE: ClassVar[str] = "InvoiceRefused"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    order_id: str
    order_no: str
    shipment_id: str
    customer_id: str
    refusal: InvoiceRefusal
    reason: str
    refused_at: AwareDatetime

_ZERO = Decimal("0")


class InvoiceLine(Part):
    """One line of a tax invoice or credit note, tax computed on the taxable value and rounded to the paisa.
    Intra-state: CGST + SGST (or UTGST), each half the rate; inter-state, SEZ, export: IGST."""

    line_no: int = Field(ge=1)
    order_line_no: int | None = Field(default=None, ge=1)
    item_code: str
    item_name: str
    hsn: HsnCode
    quantity: Quantity
    unit_price: Money
    discount: Money = _ZERO
    taxable_value: Money
    gst_rate: DecimalStr = Field(description="Total GST rate in percent")
    cgst_rate: DecimalStr = _ZERO
    sgst_rate: DecimalStr = _ZERO
    utgst_rate: DecimalStr = _ZERO
    igst_rate: DecimalStr = _ZERO
    cess_rate: DecimalStr = _ZERO
    cgst_amount: Money = _ZERO
    sgst_amount: Money = _ZERO
    utgst_amount: Money = _ZERO
    igst_amount: Money = _ZERO
    cess_amount: Money = _ZERO
    line_total: Money = Field(description="taxable value + all taxes of the line")
    batches: list[BatchAllocation] = Field(default_factory=list)


class InvoiceTotals(Part):
    taxable_value: Money
    discount: Money = _ZERO
    cgst: Money = _ZERO
    sgst: Money = _ZERO
    utgst: Money = _ZERO
    igst: Money = _ZERO
    cess: Money = _ZERO
    round_off: Money = Field(default=_ZERO, description="Explicit rounding of the grand total to the rupee")
    grand_total: Money = Field(description="taxable value + taxes + round-off")


class IrnDetails(Part):
    """What the invoice registration portal (IRP) returned."""

    irn: Irn
    ack_no: str
    ack_date: AwareDatetime
    signed_qr_code: str = Field(description="Signed QR code (JWT) to print on the invoice")


class InvoiceIssued(Message):
    """A GST tax invoice was issued for a ready shipment, from the pick-confirmed quantities, before the
    goods move. Carries all the invoice, GSTR-1 and the e-way bill's Part A and Part B need. Ewaybill
    generates the e-way bill (or decides none is needed); credit posts the receivable; sales shows it.
    `irn` is set when the invoice was registered at issue; a later registration is IrnRegistered."""

    TYPE: ClassVar[str] = "InvoiceIssued"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.EWAYBILL, Service.CREDIT, Service.DISPATCH, Service.SALES)

    invoice_id: str
    invoice_no: DocumentNumber
    invoice_date: date
    financial_year: FinancialYear
    supplier_gstin: Gstin = Field(description="Registration of the state the goods are dispatched from")
    supplier_state_code: StateCode
    supplier: Address = Field(description="Supplier's registered address in that state")
    dispatch_from: Address
    customer_id: str
    customer_name: str
    buyer_gstin: Gstin | None = Field(description="None for an unregistered buyer (B2C)")
    bill_to: Address
    ship_to: Address
    place_of_supply: StateCode
    supply_type: SupplyType
    reverse_charge: bool = False
    lines: list[InvoiceLine] = Field(min_length=1)
    totals: InvoiceTotals
    order_id: str
    order_no: str
    customer_po_no: str | None = None
    shipment_id: str
    warehouse_id: str
    payment_terms_days: int = Field(ge=0)
    due_date: date
    transport: TransportDetails
    irn_required: bool = Field(description="B2B/SEZ/export above the e-invoicing turnover threshold")
    irn: IrnDetails | None = None
    contact: Contact | None = None
    issued_at: AwareDatetime
    replaces_invoice_id: str | None = Field(
        default=None, description="Re-issue: the cancelled invoice of the same shipment this one replaces")
    replaces_invoice_no: DocumentNumber | None = None


class IrnRegistered(Message):
    """The IRP registered the invoice after issue (it was down, or registration is asynchronous). Sales
    shows it; the printed invoice gets the QR code."""

    TYPE: ClassVar[str] = "IrnRegistered"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES, Service.DISPATCH)

    order_id: str
    invoice_id: str
    invoice_no: DocumentNumber
    irn: IrnDetails
    registered_at: AwareDatetime


class IrnRejected(Message):
    """The IRP refused the invoice (code and message as returned). An exception for the accountant; a
    retryable rejection is retried by invoicing, within the 30-day reporting limit."""

    TYPE: ClassVar[str] = "IrnRejected"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES, Service.DISPATCH)

    order_id: str
    invoice_id: str
    invoice_no: DocumentNumber
    code: str
    message: str
    retryable: bool = False
    rejected_at: AwareDatetime


class InvoiceCancelReason(StrEnum):
    """E-invoice cancellation reasons (CnlRsn 1–4)."""

    DUPLICATE = "duplicate"
    DATA_ENTRY_MISTAKE = "data_entry_mistake"
    ORDER_CANCELLED = "order_cancelled"
    OTHER = "other"


class InvoiceCancelled(Message):
    """An invoice was cancelled before the goods left (its number stays used; IRN cancelled within 24 h,
    after its e-way bill). Credit reverses the receivable; sales shows it."""

    TYPE: ClassVar[str] = "InvoiceCancelled"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.CREDIT, Service.SALES)

    order_id: str
    customer_id: str
    shipment_id: str
    invoice_id: str
    invoice_no: DocumentNumber
    invoice_date: date
    grand_total: Money
    reason: InvoiceCancelReason
    remarks: str = ""
    irn_cancelled: bool = False
    cancelled_at: AwareDatetime
    request_id: str | None = Field(default=None, description="The coordinator's UndoInvoice it answers, if any")


class CreditNoteIssued(Message):
    """A GST credit note was issued against an original invoice (a return, or a price correction). Credit
    applies it to the customer's receivables; sales shows it on the order."""

    TYPE: ClassVar[str] = "CreditNoteIssued"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.CREDIT, Service.SALES)

    credit_note_id: str
    credit_note_no: DocumentNumber
    credit_note_date: date
    financial_year: FinancialYear
    order_id: str
    customer_id: str
    return_id: str | None = None
    original_invoice_id: str
    original_invoice_no: DocumentNumber
    original_invoice_date: date
    reason: str
    supplier_gstin: Gstin
    supplier_state_code: StateCode
    buyer_gstin: Gstin | None
    place_of_supply: StateCode
    supply_type: SupplyType
    lines: list[InvoiceLine] = Field(min_length=1)
    totals: InvoiceTotals
    irn: IrnDetails | None = None
    issued_at: AwareDatetime
    request_id: str | None = Field(default=None, description="The coordinator's UndoInvoice it answers, if any")


class InvoiceUndoRefused(Message):
    """Reply to UndoInvoice when the invoice can be neither cancelled nor credited (e.g. past the s.34(2) time
    limit, or the IRP refused): the coordinator raises a failed compensation for a person."""

    TYPE: ClassVar[str] = "InvoiceUndoRefused"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    order_id: str
    shipment_id: str
    invoice_id: str
    invoice_no: DocumentNumber
    request_id: str
    reason: str
    refused_at: AwareDatetime


# --- parked keys (issue 17): the same fields in every service, this service's own types and topic ---------


class InvoicingKeyParked(KeyParked):
    """Invoicing dead-lettered a message and holds its key's later messages on that topic behind it."""

    TYPE: ClassVar[str] = "InvoicingKeyParked"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)


class InvoicingKeyReleased(KeyReleased):
    """Invoicing replayed or discarded the dead letter that parked the key: its held messages ran."""

    TYPE: ClassVar[str] = "InvoicingKeyReleased"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)
