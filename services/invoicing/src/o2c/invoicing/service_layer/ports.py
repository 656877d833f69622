"""What the use cases need from the outside world: a unit of work over the invoice store (plus the
outbox), and the IRP gateway. Adapters implement them on PostgreSQL and HTTP; tests on fakes."""

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


class InvoiceStore(Protocol):
    async def lock_series(self, supplier_gstin: str, financial_year: str, prefix: str) -> DocumentSeries:
        """The series row, created if missing, locked until the transaction ends."""
        ...

    async def save_series(self, series: DocumentSeries) -> None: ...

    async def rates(self) -> GstRateSchedule: ...

    async def save_rate(self, rate: GstRate, version: int) -> bool:
        """Keep the rate unless a higher version of it is kept already; whether anything changed."""
        ...

    async def by_shipment(self, shipment_id: str) -> InvoiceRecord | None: ...

    async def refused(self, shipment_id: str) -> RefusedShipment | None: ...

    async def keep_refused(self, refused: RefusedShipment) -> None:
        """Insert, or update the refusal, reason and attempts of the shipment already kept."""

    async def drop_refused(self, shipment_id: str) -> None: ...

    async def refused_shipments(self, refusal: str | None = None) -> list[RefusedShipment]:
        """Oldest first."""

    async def of_shipment(self, shipment_id: str) -> list[InvoiceRecord]:
        """Every invoice of the shipment (cancelled ones too), locked."""
        ...

    async def get(self, invoice_id: str, *, for_update: bool = False) -> InvoiceRecord | None: ...

    async def get_many(self, invoice_ids: Sequence[str]) -> list[InvoiceRecord]: ...

    async def add(self, record: InvoiceRecord) -> None: ...

    async def update(self, record: InvoiceRecord) -> None:
        """Write the mutable columns back (IRN, e-way bill, dispatch, cancellation, revision)."""
        ...

    async def search(self, *, order_id: str | None, customer_id: str | None, limit: int) -> list[InvoiceRecord]: ...

    async def invoices_between(self, supplier_gstin: str, first: date, last: date) -> list[InvoiceRecord]: ...

    async def claim_for_registration(self, now: datetime, stale_before: datetime, limit: int,
                                     claimant: str = "") -> list[InvoiceRecord]:
        """Pending (or stale registering) invoices, marked registering by `claimant` (the process instance),
        skipping rows others hold."""
        ...

    async def take_back_claims(self, claimant: str) -> int:
        """Invoices and credit notes left `registering` by an earlier run of this instance (it died during
        the IRP call) become pending again at once, not after the stale window. How many."""
        ...

    async def credit_notes_of(self, invoice_id: str) -> list[CreditNoteRecord]: ...

    async def credit_note_for_update(self, credit_note_id: str) -> CreditNoteRecord | None: ...

    async def update_credit_note(self, record: CreditNoteRecord) -> None:
        """Write the IRN columns back."""
        ...

    async def claim_credit_notes_for_registration(
        self, now: datetime, stale_before: datetime, limit: int, claimant: str = ""
    ) -> list[CreditNoteRecord]: ...

    async def credit_note(self, credit_note_id: str) -> CreditNoteRecord | None: ...

    async def add_credit_note(self, record: CreditNoteRecord) -> None: ...

    async def credit_notes_between(self, supplier_gstin: str, first: date, last: date) -> list[CreditNoteRecord]: ...

    async def get_return(self, return_id: str) -> ReturnRecord | None: ...

    async def save_return(self, record: ReturnRecord) -> None: ...

    async def returns_of(self, invoice_id: str) -> list[ReturnRecord]: ...

    async def cached_pdf(self, invoice_id: str, revision: int) -> bytes | None: ...

    async def save_pdf(self, invoice_id: str, revision: int, content: bytes) -> None: ...


class UnitOfWork(Protocol):
    """One transaction: the store and the messages it causes commit together."""

    @property
    def store(self) -> InvoiceStore: ...

    async def publish(self, message: Message) -> None: ...


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
