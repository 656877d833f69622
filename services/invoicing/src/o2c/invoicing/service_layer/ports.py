"""What invoicing's use cases need from the outside: one unit of work holding the repositories of one
transaction and the messages the work causes (written to the outbox with the transaction's changes), and the IRP.

The SQL implementation is `o2c.invoicing.adapters.unit_of_work.SqlUnitOfWork` (wired in `o2c.invoicing.bootstrap`),
the IRP's `o2c.invoicing.adapters.irp`; the use cases' unit tests run on in-memory ones
(`o2c.testsupport.invoicing.invoicing_fakes`). A `for_update` / `lock` method holds what it read until the
transaction ends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from o2c.contracts.envelope import Message
from o2c.contracts.v1 import invoicing as ci
from o2c.india.gst_rates import GstRate, GstRateSchedule
from o2c.invoicing.domain.numbering import DocumentSeries
from o2c.kit.auth import Principal


class IrnStatus(StrEnum):
    NOT_REQUIRED = "not_required"  # B2C, or the supplier is below the e-invoicing threshold
    PENDING = "pending"  # waiting for the registration worker
    REGISTERING = "registering"  # claimed by a worker (reclaimed when stale)
    REGISTERED = "registered"
    REJECTED = "rejected"  # a visible exception: corrected, then retried
    VOID = "void"  # the invoice was cancelled before it was registered


@dataclass
class InvoiceRecord:
    id: str
    issued: ci.InvoiceIssued
    irn_status: IrnStatus
    irn: ci.IrnDetails | None = None
    irn_error_code: str | None = None
    irn_error_message: str | None = None
    irn_attempts: int = 0
    ewaybill_no: str | None = None
    ewaybill_active: bool = False
    dispatched_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    cancel_remarks: str | None = None
    irn_cancelled: bool = False
    revision: int = 1
    """Grows with every change that shows on the printed invoice (the PDF cache key)."""
    ready: dict[str, Any] | None = None
    """The ShipmentReady payload it was issued from: a re-issue after cancellation starts from it."""
    shipment_cancelled: bool = False
    """Dispatch cancelled the shipment (PickListCancelled): the invoice is never re-issued."""

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


@dataclass
class CreditNoteRecord:
    id: str
    invoice_id: str
    issued: ci.CreditNoteIssued
    irn_status: IrnStatus = IrnStatus.NOT_REQUIRED
    irn: ci.IrnDetails | None = None
    irn_error_code: str | None = None
    irn_error_message: str | None = None


@dataclass
class ReturnRecord:
    return_id: str
    return_no: str
    invoice_id: str
    customer_id: str
    status: str  # authorised | credited | refused
    credit_note_id: str | None = None
    reason: str = ""


@dataclass
class RefusedShipment:
    """A ready shipment invoicing refused, kept until it can be invoiced."""

    shipment_id: str
    order_id: str
    refusal: str
    reason: str
    message: dict[str, Any]
    refused_at: datetime
    attempts: int = 1


class Invoices(Protocol):
    """Tax invoices, one live per shipment (a cancelled one stays, its number used)."""

    async def by_shipment(self, shipment_id: str) -> InvoiceRecord | None:
        """The shipment's live invoice, else its latest cancelled one."""
        ...

    async def of_shipment_for_update(self, shipment_id: str) -> list[InvoiceRecord]:
        """Every invoice of the shipment (cancelled ones too), locked."""
        ...

    async def get(self, invoice_id: str, *, for_update: bool = False) -> InvoiceRecord | None: ...

    async def get_many(self, invoice_ids: Sequence[str]) -> list[InvoiceRecord]: ...

    async def add(self, record: InvoiceRecord) -> None: ...

    async def update(self, record: InvoiceRecord) -> None:
        """Write the mutable columns back (IRN, e-way bill, dispatch, cancellation, revision)."""
        ...

    async def search(self, *, order_id: str | None, customer_id: str | None, limit: int,
                     visible_to: Principal | None = None) -> list[InvoiceRecord]:
        """Newest first; `visible_to`: only the customers this caller may see (o2c.kit.scope)."""
        ...

    async def issued_between(self, supplier_gstin: str, first: date, last: date) -> list[InvoiceRecord]:
        """The GSTIN's invoices dated within the days (cancelled ones too), by number."""
        ...


class CreditNotes(Protocol):
    async def of_invoice(self, invoice_id: str) -> list[CreditNoteRecord]:
        """Oldest first."""
        ...

    async def get(self, credit_note_id: str, *, for_update: bool = False) -> CreditNoteRecord | None: ...

    async def add(self, record: CreditNoteRecord) -> None: ...

    async def update(self, record: CreditNoteRecord) -> None:
        """Write the IRN columns back."""
        ...

    async def issued_between(self, supplier_gstin: str, first: date, last: date) -> list[CreditNoteRecord]: ...


class DocumentSeriesBook(Protocol):
    """The gap-free number series per (supplier GSTIN, financial year, prefix)."""

    async def lock(self, supplier_gstin: str, financial_year: str, prefix: str) -> DocumentSeries:
        """The series, created if missing, locked until the transaction ends (it serialises the GSTIN's
        documents of that prefix)."""
        ...

    async def save(self, series: DocumentSeries) -> None:
        """Store the number taken; it commits (or not) with the document that carries it."""
        ...


class RateReplica(Protocol):
    """Invoicing's replica of sales' GST rate master."""

    async def schedule(self) -> GstRateSchedule: ...

    async def keep(self, rate: GstRate, version: int) -> bool:
        """Keep the rate unless a higher version of it is kept already; whether anything changed."""
        ...


class RefusedShipments(Protocol):
    """Ready shipments invoicing would not invoice, kept until they can be."""

    async def get(self, shipment_id: str) -> RefusedShipment | None: ...

    async def keep(self, refused: RefusedShipment) -> None:
        """Insert, or update the refusal, reason and attempts of the shipment already kept."""
        ...

    async def drop(self, shipment_id: str) -> None: ...

    async def every(self, refusal: str | None = None) -> list[RefusedShipment]:
        """Oldest first."""
        ...


class Returns(Protocol):
    """Sales' returns as invoicing knows them: authorised, credited or refused (with the reason)."""

    async def get(self, return_id: str) -> ReturnRecord | None: ...

    async def save(self, record: ReturnRecord) -> None: ...

    async def of_invoice(self, invoice_id: str) -> list[ReturnRecord]: ...


class IrnQueue(Protocol):
    """The documents waiting for their IRN, claimed by one process instance for the IRP call."""

    async def claim_invoices(self, now: datetime, stale_before: datetime, limit: int, claimant: str
                             ) -> list[InvoiceRecord]:
        """Pending (or stale registering) invoices, oldest first, marked registering by `claimant` (the process
        instance), skipping rows others hold."""
        ...

    async def claim_credit_notes(self, now: datetime, stale_before: datetime, limit: int, claimant: str
                                 ) -> list[CreditNoteRecord]: ...

    async def take_back(self, claimant: str) -> int:
        """Invoices and credit notes left `registering` by an earlier run of this instance (it died during
        the IRP call) become pending again at once, not after the stale window. How many."""
        ...

    async def issued_trace(self, invoice_id: str) -> dict[str, str]:
        """The trace headers the invoice was issued under (its registration continues that trace)."""
        ...


class PrintedInvoices(Protocol):
    """The rendered PDF of each invoice, cached per invoice revision."""

    async def cached(self, invoice_id: str, revision: int) -> bytes | None: ...

    async def save(self, invoice_id: str, revision: int, content: bytes) -> None:
        """Keep it unless a later revision's is kept already."""
        ...

    async def unrendered(self, limit: int) -> list[str]:
        """Invoices whose cached PDF is missing or older than the invoice, oldest first."""
        ...


class UnitOfWork:
    """One transaction's repositories and the messages it causes. The caller owns the transaction: it commits
    the changes together with `messages` (the outbox) or rolls both back."""

    def __init__(self, *, invoices: Invoices, credit_notes: CreditNotes, series: DocumentSeriesBook,
                 rates: RateReplica, refused: RefusedShipments, returns: Returns, irn_queue: IrnQueue,
                 printed: PrintedInvoices) -> None:
        self.invoices = invoices
        self.credit_notes = credit_notes
        self.series = series
        self.rates = rates
        self.refused = refused
        self.returns = returns
        self.irn_queue = irn_queue
        self.printed = printed
        self.messages: list[Message] = []

    def publish(self, message: Message) -> None:
        """Send `message` when (and only if) the transaction commits, after those published before it."""
        self.messages.append(message)


# --- the IRP --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IrpAck:
    irn: str
    ack_no: str
    ack_date: datetime
    signed_qr_code: str
    signed_invoice: str = ""


class IrpRefusal(Exception):
    """The IRP refused the document (code and message as returned). `existing` is set for a duplicate
    IRN (2150) when the IRP said which registration already exists."""

    def __init__(self, code: str, message: str, existing: IrpAck | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.existing = code, message, existing


class IrpUnavailable(Exception):
    """Timeout, connection failure or a 5xx: try again later, nothing was decided."""


DUPLICATE_IRN = "2150"


class IrpGateway(Protocol):
    async def generate(self, payload: dict[str, Any], supplier_gstin: str) -> IrpAck: ...

    async def get_by_irn(self, irn: str, supplier_gstin: str) -> IrpAck: ...

    async def cancel(self, irn: str, reason_code: str, remarks: str, supplier_gstin: str) -> datetime: ...
