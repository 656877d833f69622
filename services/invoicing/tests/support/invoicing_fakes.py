"""An in-memory invoicing for the use cases' unit tests (`o2c.testsupport.invoicing.invoicing_fakes`): every
repository port kept in dicts behind one unit of work, and an IRP that answers from memory.

Each repository hands out copies and keeps copies, as a database would: a use case that changes a record and
never writes it back changes nothing. The invoices keep PostgreSQL's rule of one live invoice per shipment
(`invoice_live_per_shipment`); the rate replica starts as sales' master replayed (`RATE_MASTER`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from o2c.india.gst_rates import GstRate, GstRateSchedule
from o2c.invoicing.domain.numbering import DocumentSeries
from o2c.invoicing.service_layer.ports import (
    CreditNoteRecord,
    CreditNotes,
    DocumentSeriesBook,
    InvoiceRecord,
    Invoices,
    IrnQueue,
    IrnStatus,
    IrpAck,
    IrpGateway,
    IrpRefusal,
    IrpUnavailable,
    PrintedInvoices,
    RateReplica,
    RefusedShipment,
    RefusedShipments,
    ReturnRecord,
    Returns,
    UnitOfWork,
)
from o2c.kit.auth import Principal
from o2c.kit.policy import confinement
from o2c.testsupport.invoicing.invoicing_rate_master import RATE_MASTER


class InMemoryInvoices(Invoices):
    def __init__(self) -> None:
        self.rows: dict[str, InvoiceRecord] = {}

    def _of(self, shipment_id: str) -> list[InvoiceRecord]:
        return [r for r in self.rows.values() if r.issued.shipment_id == shipment_id]

    async def by_shipment(self, shipment_id: str) -> InvoiceRecord | None:
        mine = self._of(shipment_id)
        live = [r for r in mine if not r.is_cancelled]
        found = (live or mine or [None])[-1]
        return replace(found) if found else None

    async def of_shipment_for_update(self, shipment_id: str) -> list[InvoiceRecord]:
        return [replace(r) for r in self._of(shipment_id)]

    async def get(self, invoice_id: str, *, for_update: bool = False) -> InvoiceRecord | None:
        found = self.rows.get(invoice_id)
        return replace(found) if found else None

    async def get_many(self, invoice_ids: Sequence[str]) -> list[InvoiceRecord]:
        return [replace(self.rows[i]) for i in invoice_ids if i in self.rows]

    async def add(self, record: InvoiceRecord) -> None:
        assert record.id not in self.rows
        assert all(r.is_cancelled for r in self._of(record.issued.shipment_id)), "one live invoice per shipment"
        self.rows[record.id] = replace(record)

    async def update(self, record: InvoiceRecord) -> None:
        assert record.id in self.rows
        self.rows[record.id] = replace(record)

    async def search(self, *, order_id: str | None, customer_id: str | None, limit: int,
                     visible_to: Principal | None = None) -> list[InvoiceRecord]:
        reach = confinement(visible_to) if visible_to is not None else None
        found = [r for r in reversed(self.rows.values())
                 if (not order_id or r.issued.order_id == order_id)
                 and (not customer_id or r.issued.customer_id == customer_id)
                 and (reach is None or reach.everyone or r.issued.customer_id == reach.customer_id)]
        return [replace(r) for r in found[:limit]]

    async def issued_between(self, supplier_gstin: str, first: date, last: date) -> list[InvoiceRecord]:
        return sorted((replace(r) for r in self.rows.values()
                       if r.issued.supplier_gstin == supplier_gstin and first <= r.issued.invoice_date <= last),
                      key=lambda r: r.issued.invoice_no)


class InMemoryCreditNotes(CreditNotes):
    def __init__(self) -> None:
        self.rows: dict[str, CreditNoteRecord] = {}

    async def of_invoice(self, invoice_id: str) -> list[CreditNoteRecord]:
        return [replace(n) for n in self.rows.values() if n.invoice_id == invoice_id]

    async def get(self, credit_note_id: str, *, for_update: bool = False) -> CreditNoteRecord | None:
        found = self.rows.get(credit_note_id)
        return replace(found) if found else None

    async def add(self, record: CreditNoteRecord) -> None:
        assert record.id not in self.rows
        self.rows[record.id] = replace(record)

    async def update(self, record: CreditNoteRecord) -> None:
        assert record.id in self.rows
        self.rows[record.id] = replace(record)

    async def issued_between(self, supplier_gstin: str, first: date, last: date) -> list[CreditNoteRecord]:
        return sorted((replace(n) for n in self.rows.values()
                       if n.issued.supplier_gstin == supplier_gstin and first <= n.issued.credit_note_date <= last),
                      key=lambda n: n.issued.credit_note_no)


class InMemoryDocumentSeriesBook(DocumentSeriesBook):
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], DocumentSeries] = {}

    async def lock(self, supplier_gstin: str, financial_year: str, prefix: str) -> DocumentSeries:
        key = (supplier_gstin, financial_year, prefix)
        return self.rows.setdefault(key, DocumentSeries(supplier_gstin, financial_year, prefix))

    async def save(self, series: DocumentSeries) -> None:
        self.rows[(series.supplier_gstin, series.financial_year, series.prefix)] = series


class InMemoryRateReplica(RateReplica):
    def __init__(self, rates: Sequence[GstRate] = RATE_MASTER) -> None:
        self.rows: dict[tuple[str, date], tuple[GstRate, int]] = {(r.hsn_prefix, r.effective_from): (r, 1)
                                                                  for r in rates}

    async def schedule(self) -> GstRateSchedule:
        return GstRateSchedule(rate for rate, _ in self.rows.values())

    async def keep(self, rate: GstRate, version: int) -> bool:
        key = (rate.hsn_prefix, rate.effective_from)
        if key in self.rows and self.rows[key][1] >= version:
            return False
        self.rows[key] = (rate, version)
        return True


class InMemoryRefusedShipments(RefusedShipments):
    def __init__(self) -> None:
        self.rows: dict[str, RefusedShipment] = {}

    async def get(self, shipment_id: str) -> RefusedShipment | None:
        found = self.rows.get(shipment_id)
        return replace(found) if found else None

    async def keep(self, refused: RefusedShipment) -> None:
        self.rows[refused.shipment_id] = replace(refused)

    async def drop(self, shipment_id: str) -> None:
        self.rows.pop(shipment_id, None)

    async def every(self, refusal: str | None = None) -> list[RefusedShipment]:
        return sorted((replace(r) for r in self.rows.values() if refusal is None or r.refusal == refusal),
                      key=lambda r: r.refused_at)


class InMemoryReturns(Returns):
    def __init__(self) -> None:
        self.rows: dict[str, ReturnRecord] = {}

    async def get(self, return_id: str) -> ReturnRecord | None:
        found = self.rows.get(return_id)
        return replace(found) if found else None

    async def save(self, record: ReturnRecord) -> None:
        self.rows[record.return_id] = replace(record)

    async def of_invoice(self, invoice_id: str) -> list[ReturnRecord]:
        return [replace(r) for r in self.rows.values() if r.invoice_id == invoice_id]


@dataclass
class Claim:
    at: datetime
    claimant: str


class InMemoryIrnQueue(IrnQueue):
    """Claims on the documents of the invoice and credit-note repositories it is given."""

    def __init__(self, invoices: InMemoryInvoices, notes: InMemoryCreditNotes) -> None:
        self.invoices, self.notes = invoices, notes
        self.claims: dict[str, Claim] = {}

    def _claimable(self, document_id: str, status: IrnStatus, stale_before: datetime) -> bool:
        claim = self.claims.get(document_id)
        return status is IrnStatus.PENDING or (
            status is IrnStatus.REGISTERING and claim is not None and claim.at < stale_before)

    async def claim_invoices(self, now: datetime, stale_before: datetime, limit: int, claimant: str
                             ) -> list[InvoiceRecord]:
        claimed = [r for r in self.invoices.rows.values()
                   if self._claimable(r.id, r.irn_status, stale_before)][:limit]
        for r in claimed:
            r.irn_status, r.irn_attempts = IrnStatus.REGISTERING, r.irn_attempts + 1
            self.claims[r.id] = Claim(now, claimant)
        return [replace(r) for r in claimed]

    async def claim_credit_notes(self, now: datetime, stale_before: datetime, limit: int, claimant: str
                                 ) -> list[CreditNoteRecord]:
        claimed = [n for n in self.notes.rows.values()
                   if self._claimable(n.id, n.irn_status, stale_before)][:limit]
        for n in claimed:
            n.irn_status = IrnStatus.REGISTERING
            self.claims[n.id] = Claim(now, claimant)
        return [replace(n) for n in claimed]

    async def take_back(self, claimant: str) -> int:
        mine = [i for i, claim in self.claims.items() if claim.claimant == claimant]
        released = 0
        for document in [*self.invoices.rows.values(), *self.notes.rows.values()]:
            if document.id in mine and document.irn_status is IrnStatus.REGISTERING:
                document.irn_status = IrnStatus.PENDING
                released += 1
        for document_id in mine:
            del self.claims[document_id]
        return released

    async def issued_trace(self, invoice_id: str) -> dict[str, str]:
        return {}  # no outbox here, so no trace to continue


class InMemoryPrintedInvoices(PrintedInvoices):
    def __init__(self, invoices: InMemoryInvoices) -> None:
        self.invoices = invoices
        self.rows: dict[str, tuple[int, bytes]] = {}

    async def cached(self, invoice_id: str, revision: int) -> bytes | None:
        found = self.rows.get(invoice_id)
        return found[1] if found and found[0] == revision else None

    async def save(self, invoice_id: str, revision: int, content: bytes) -> None:
        if invoice_id not in self.rows or self.rows[invoice_id][0] < revision:
            self.rows[invoice_id] = (revision, content)

    async def unrendered(self, limit: int) -> list[str]:
        return [r.id for r in self.invoices.rows.values()
                if r.id not in self.rows or self.rows[r.id][0] < r.revision][:limit]


class InMemoryUnitOfWork(UnitOfWork):
    """One unit of work over fresh in-memory repositories; a test runs its use cases one after another on it
    (each as if committed: what one wrote the next reads) and reads what they published in `messages`."""

    invoices: InMemoryInvoices
    credit_notes: InMemoryCreditNotes
    series: InMemoryDocumentSeriesBook
    rates: InMemoryRateReplica
    refused: InMemoryRefusedShipments
    returns: InMemoryReturns
    irn_queue: InMemoryIrnQueue
    printed: InMemoryPrintedInvoices

    def __init__(self) -> None:
        invoices, notes = InMemoryInvoices(), InMemoryCreditNotes()
        super().__init__(invoices=invoices, credit_notes=notes, series=InMemoryDocumentSeriesBook(),
                         rates=InMemoryRateReplica(), refused=InMemoryRefusedShipments(), returns=InMemoryReturns(),
                         irn_queue=InMemoryIrnQueue(invoices, notes), printed=InMemoryPrintedInvoices(invoices))


class FakeIrp(IrpGateway):
    """The IRP in memory: registers (or refuses with `refuse_with`, or is away while `down`), answers a lookup of
    what it registered, cancels."""

    def __init__(self) -> None:
        self.generated: list[dict[str, Any]] = []
        self.cancelled: list[str] = []
        self.refuse_with: IrpRefusal | None = None
        self.down = False
        self.known: dict[str, IrpAck] = {}

    async def generate(self, payload: dict[str, Any], supplier_gstin: str) -> IrpAck:
        if self.down:
            raise IrpUnavailable("timeout")
        self.generated.append(payload)
        if self.refuse_with:
            raise self.refuse_with
        ack = IrpAck(irn="a" * 64, ack_no="1001", ack_date=datetime.now(UTC), signed_qr_code="qr")
        self.known[ack.irn] = ack
        return ack

    async def get_by_irn(self, irn: str, supplier_gstin: str) -> IrpAck:
        return self.known[irn]

    async def cancel(self, irn: str, reason_code: str, remarks: str, supplier_gstin: str) -> datetime:
        self.cancelled.append(irn)
        return datetime.now(UTC)
