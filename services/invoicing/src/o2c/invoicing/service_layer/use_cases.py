"""Use cases: open nothing themselves — they get a unit of work (one transaction), load, call the
domain, write, and add the messages they cause. Entry points own the transaction and the clock."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from o2c.contracts.v1 import invoicing as ci
from o2c.contracts.v1.common import Address
from o2c.contracts.v1.dispatch import ShipmentDispatched, ShipmentReady
from o2c.contracts.v1.ewaybill import EwayBillCancelled, EwayBillGenerated
from o2c.contracts.v1.inventory import GoodsReturned
from o2c.contracts.v1.sales import GstRateRecorded, ReturnAuthorised, UndoInvoice
from o2c.india.calendar import business_date, financial_year
from o2c.india.gst_rates import GstRate, NoRateInForce
from o2c.invoicing.domain import cancellation as dc
from o2c.invoicing.domain.credit_note import (
    CreditNote,
    ReturnedLine,
    ReturnRefused,
    issue_credit_note,
    returnable_quantities,
)
from o2c.invoicing.domain.einvoice import (
    DocumentType,
    EInvoiceThreshold,
    credit_note_irp_payload,
    irn_for,
    irp_payload,
    is_einvoice_required,
)
from o2c.invoicing.domain.gstr1 import (
    B2clThreshold,
    build_gstr1,
    filing_period,
    register_totals,
    reported_totals,
)
from o2c.invoicing.domain.invoice import PlaceOfSupplyDisagrees, issue_tax_invoice
from o2c.invoicing.domain.numbering import next_number
from o2c.invoicing.domain.seed import SEED_B2CL_THRESHOLDS, SEED_EINVOICE_THRESHOLDS
from o2c.invoicing.service_layer import mapping
from o2c.invoicing.service_layer.ports import (
    DUPLICATE_IRN,
    CreditNoteRecord,
    InvoiceRecord,
    IrnStatus,
    IrpAck,
    IrpGateway,
    IrpRefusal,
    IrpUnavailable,
    RefusedShipment,
    ReturnRecord,
    UnitOfWork,
)


class NotFound(LookupError):
    def __init__(self, what: str, ident: str) -> None:
        super().__init__(f"{what} {ident} does not exist")
        self.what, self.ident = what, ident


class Refused(Exception):
    """A request that the rules refuse now (409): the reason says why and what to do instead."""


class InvalidShipment(ValueError):
    """A ShipmentReady that can never be invoiced as sent (permanent: dead-lettered, the gate stays shut)."""


@dataclass(frozen=True)
class Policy:
    """Settings the rules need; thresholds are effective-dated data."""

    aggregate_turnover: Decimal = Decimal("500000000")
    invoice_prefix: str = "INV"
    credit_note_prefix: str = "CRN"
    einvoice_thresholds: tuple[EInvoiceThreshold, ...] = SEED_EINVOICE_THRESHOLDS
    b2cl_thresholds: tuple[B2clThreshold, ...] = SEED_B2CL_THRESHOLDS
    irn_claim_stale_after: timedelta = field(default=timedelta(seconds=60))


def new_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:16]}"


# --- issue ----------------------------------------------------------------------------------------


async def issue_invoice(uow: UnitOfWork, msg: ShipmentReady, *, now: datetime, policy: Policy
                        ) -> InvoiceRecord | None:
    """One tax invoice per shipment from the pick-confirmed quantities; a repeat returns the first one.

    Each line is taxed at the rate in force on the invoice date for its HSN in the replica of sales' rate master,
    at the place of supply sales decided. A line with no rate in force, or a place of supply India's rule does not
    give, is refused: `InvoiceRefused` for a person, no number used, None returned (never a guessed rate).

    The number series row of (supplier GSTIN, FY, prefix) is locked first: it serialises every invoice of
    that GSTIN, so the repeat check after it sees a concurrent copy of the same shipment, and the number is
    taken only by the transaction that commits the invoice (no gaps). The consumer's inbox already drops a
    redelivered record; this check catches a ShipmentReady re-sent under a new message id."""
    fy = financial_year(business_date(now))
    series = await uow.series.lock(msg.warehouse_gstin, fy, policy.invoice_prefix)
    existing = await uow.invoices.by_shipment(msg.shipment_id)
    if existing is not None:
        return existing
    issued_number, advanced = next_number(series)
    try:
        invoice = issue_tax_invoice(mapping.ready_shipment(msg), issued_number.number, now, await uow.rates.schedule())
    except (NoRateInForce, PlaceOfSupplyDisagrees) as exc:
        await _refuse(uow, msg, exc, now)
        return None
    except ValueError as exc:
        raise InvalidShipment(f"shipment {msg.shipment_id} cannot be invoiced: {exc}") from exc
    required = is_einvoice_required(
        invoice.supply_type, policy.aggregate_turnover, invoice.invoice_date, policy.einvoice_thresholds
    )
    invoice_id = new_id("inv")
    record = InvoiceRecord(
        id=invoice_id,
        issued=mapping.invoice_issued(invoice, msg, invoice_id, irn_required=required),
        irn_status=IrnStatus.PENDING if required else IrnStatus.NOT_REQUIRED,
        ready=msg.model_dump(mode="json"),
    )
    await uow.invoices.add(record)
    await uow.series.save(advanced)
    await uow.refused.drop(msg.shipment_id)
    uow.publish(record.issued)
    return record


async def _refuse(uow: UnitOfWork, msg: ShipmentReady, exc: Exception, now: datetime) -> None:
    """Keep the shipment for a retry and tell sales (an exception on the order for a person) — once per
    reason: a retry refused for the same reason says nothing new."""
    if isinstance(exc, NoRateInForce):
        refusal = ci.InvoiceRefusal.NO_GST_RATE
        reason = (f"{exc}: the sales head enters the rate in the GST rate master (POST /gst-rates) and the "
                  "shipment is invoiced as soon as invoicing has it")
    else:
        refusal, reason = ci.InvoiceRefusal.PLACE_OF_SUPPLY, str(exc)
    kept = await uow.refused.get(msg.shipment_id)
    await uow.refused.keep(RefusedShipment(
        shipment_id=msg.shipment_id, order_id=msg.order_id, refusal=refusal.value, reason=reason,
        message=msg.model_dump(mode="json"), refused_at=kept.refused_at if kept else now,
        attempts=kept.attempts + 1 if kept else 1))
    if kept is None or (kept.refusal, kept.reason) != (refusal.value, reason):
        uow.publish(ci.InvoiceRefused(
            order_id=msg.order_id, order_no=msg.order_no, shipment_id=msg.shipment_id, customer_id=msg.customer_id,
            refusal=refusal, reason=reason, refused_at=now))


async def invoice_refused_shipment(uow: UnitOfWork, shipment_id: str, *, now: datetime, policy: Policy
                                   ) -> InvoiceRecord:
    """A person asks for a refused shipment to be invoiced now (after putting the cause right): the invoice, or
    Refused naming what still stands in the way (the caller's transaction is then rolled back: nothing changes)."""
    kept = await uow.refused.get(shipment_id)
    if kept is None:
        existing = await uow.invoices.by_shipment(shipment_id)
        if existing is not None:
            return existing
        raise NotFound("refused shipment", shipment_id)
    record = await issue_invoice(uow, ShipmentReady.model_validate(kept.message), now=now, policy=policy)
    if record is None:
        after = await uow.refused.get(shipment_id)
        raise Refused(f"shipment {shipment_id} is still not invoiced: {after.reason if after else kept.reason}")
    return record


async def retry_refused(uow: UnitOfWork, *, now: datetime, policy: Policy, hsn_prefix: str) -> None:
    """Invoice the shipments refused for want of a GST rate with a line under `hsn_prefix` again: each is taxed
    at the rate in force on its new invoice date, or stays refused."""
    for kept in await uow.refused.every(ci.InvoiceRefusal.NO_GST_RATE.value):
        msg = ShipmentReady.model_validate(kept.message)
        if not any(line.hsn.startswith(hsn_prefix) for line in msg.lines):
            continue
        try:
            await issue_invoice(uow, msg, now=now, policy=policy)
        except InvalidShipment:
            continue  # it stays refused, for a person; the rate that arrived is kept all the same


# --- facts from other services ---------------------------------------------------------------------


async def record_gst_rate(uow: UnitOfWork, msg: GstRateRecorded, *, now: datetime, policy: Policy) -> bool:
    """Keep sales' rate in the replica (the highest version of each rate id wins); whether it changed. A changed
    rate retries the shipments refused for want of a rate for its HSN."""
    changed = await uow.rates.keep(
        GstRate(msg.hsn_prefix, msg.rate, msg.effective_from, cess_rate=msg.cess_rate, effective_to=msg.effective_to,
                description=msg.description),
        msg.version,
    )
    if changed:
        await retry_refused(uow, now=now, policy=policy, hsn_prefix=msg.hsn_prefix)
    return changed


async def record_ewaybill(uow: UnitOfWork, msg: EwayBillGenerated) -> None:
    record = await uow.invoices.get(msg.invoice_id, for_update=True)
    if record is None:
        raise InvalidShipment(f"e-way bill {msg.ewaybill_no} names unknown invoice {msg.invoice_id}")
    if record.ewaybill_no == msg.ewaybill_no and record.ewaybill_active:
        return
    record.ewaybill_no, record.ewaybill_active = msg.ewaybill_no, True
    record.revision += 1
    await uow.invoices.update(record)


async def record_ewaybill_cancelled(uow: UnitOfWork, msg: EwayBillCancelled) -> None:
    record = await uow.invoices.get(msg.invoice_id, for_update=True)
    if record is None or record.ewaybill_no != msg.ewaybill_no or not record.ewaybill_active:
        return
    record.ewaybill_active = False
    record.revision += 1
    await uow.invoices.update(record)


async def record_shipment_cancelled(uow: UnitOfWork, shipment_id: str) -> None:
    """Dispatch cancelled the shipment before gate-out: its invoices are never re-issued."""
    for record in await uow.invoices.of_shipment_for_update(shipment_id):
        if not record.shipment_cancelled:
            record.shipment_cancelled = True
            await uow.invoices.update(record)


async def record_dispatched(uow: UnitOfWork, msg: ShipmentDispatched) -> None:
    record = await uow.invoices.get(msg.invoice_id, for_update=True)
    if record is None or record.dispatched_at is not None:
        return
    record.dispatched_at = msg.dispatched_at
    if msg.ewaybill_no and not record.ewaybill_no:
        record.ewaybill_no, record.ewaybill_active = msg.ewaybill_no, True
        record.revision += 1
    await uow.invoices.update(record)


# --- the IRN --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IrnOutcome:
    ack: IrpAck | None = None
    code: str | None = None
    message: str = ""
    retry_later: bool = False


async def _register(gateway: IrpGateway, payload: dict[str, Any], supplier_gstin: str, irn: str) -> IrnOutcome:
    """Send the IRP JSON; a duplicate (2150) means an earlier attempt got through: fetch that registration
    rather than create another."""
    try:
        return IrnOutcome(ack=await gateway.generate(payload, supplier_gstin))
    except IrpUnavailable as exc:
        return IrnOutcome(retry_later=True, message=str(exc))
    except IrpRefusal as refusal:
        if refusal.code != DUPLICATE_IRN:
            return IrnOutcome(code=refusal.code, message=refusal.message)
        if refusal.existing is not None and refusal.existing.signed_qr_code:
            return IrnOutcome(ack=refusal.existing)
        # NIC's DUPIRN info names the IRN and ack only: fetch the registration for its signed QR code.
        try:
            return IrnOutcome(ack=await gateway.get_by_irn(
                refusal.existing.irn if refusal.existing else irn, supplier_gstin))
        except IrpUnavailable as exc:
            return IrnOutcome(retry_later=True, message=str(exc))
        except IrpRefusal as again:
            return IrnOutcome(code=again.code, message=again.message)


async def register_at_irp(gateway: IrpGateway, record: InvoiceRecord) -> IrnOutcome:
    invoice = mapping.tax_invoice(record.issued)
    irn = irn_for(invoice.supplier_gstin, invoice.financial_year, DocumentType.INVOICE, invoice.invoice_no)
    return await _register(gateway, irp_payload(invoice), invoice.supplier_gstin, irn)


async def register_credit_note_at_irp(
    gateway: IrpGateway, note: CreditNoteRecord, original: InvoiceRecord
) -> IrnOutcome:
    """A credit note to a registered buyer is reported as document type CRN, referencing its invoice."""
    credit = mapping.credit_note(note.issued, mapping.tax_invoice(original.issued))
    irn = irn_for(credit.supplier_gstin, credit.financial_year, DocumentType.CREDIT_NOTE, credit.credit_note_no)
    return await _register(gateway, credit_note_irp_payload(credit), credit.supplier_gstin, irn)


async def record_credit_note_irn_outcome(uow: UnitOfWork, credit_note_id: str, outcome: IrnOutcome) -> None:
    """Kept on the credit note (shown at /credit-notes/{id}); a rejection is an exception for the accountant."""
    note = await uow.credit_notes.get(credit_note_id, for_update=True)
    if note is None or note.irn_status is not IrnStatus.REGISTERING:
        return
    if outcome.ack is not None:
        ack = outcome.ack
        note.irn = ci.IrnDetails(irn=ack.irn, ack_no=ack.ack_no, ack_date=ack.ack_date,
                                 signed_qr_code=ack.signed_qr_code)
        note.irn_status, note.irn_error_code, note.irn_error_message = IrnStatus.REGISTERED, None, None
    elif outcome.retry_later:
        note.irn_status, note.irn_error_message = IrnStatus.PENDING, outcome.message
    else:
        note.irn_status, note.irn_error_code, note.irn_error_message = (
            IrnStatus.REJECTED, outcome.code, outcome.message)
    await uow.credit_notes.update(note)


async def record_irn_outcome(uow: UnitOfWork, invoice_id: str, outcome: IrnOutcome, *, now: datetime) -> None:
    record = await uow.invoices.get(invoice_id, for_update=True)
    if record is None or record.irn_status is not IrnStatus.REGISTERING:
        return
    issued = record.issued
    if outcome.ack is not None:
        ack = outcome.ack
        record.irn = ci.IrnDetails(irn=ack.irn, ack_no=ack.ack_no, ack_date=ack.ack_date,
                                   signed_qr_code=ack.signed_qr_code)
        record.irn_status, record.irn_error_code, record.irn_error_message = IrnStatus.REGISTERED, None, None
        record.revision += 1
        await uow.invoices.update(record)
        uow.publish(ci.IrnRegistered(order_id=issued.order_id, invoice_id=record.id,
                                           invoice_no=issued.invoice_no, irn=record.irn, registered_at=now))
    elif outcome.retry_later:
        record.irn_status, record.irn_error_message = IrnStatus.PENDING, outcome.message
        await uow.invoices.update(record)
    else:
        record.irn_status = IrnStatus.REJECTED
        record.irn_error_code, record.irn_error_message = outcome.code, outcome.message
        await uow.invoices.update(record)
        uow.publish(ci.IrnRejected(order_id=issued.order_id, invoice_id=record.id,
                                         invoice_no=issued.invoice_no, code=outcome.code or "", message=outcome.message,
                                         retryable=False, rejected_at=now))


async def retry_irn(uow: UnitOfWork, invoice_id: str) -> InvoiceRecord:
    """After the cause of a rejection was corrected (master data at the portal, the IRP's outage):
    queue the invoice for registration again."""
    record = await uow.invoices.get(invoice_id, for_update=True)
    if record is None:
        raise NotFound("invoice", invoice_id)
    if record.is_cancelled:
        raise Refused(f"invoice {record.issued.invoice_no} is cancelled")
    if record.irn_status is not IrnStatus.REJECTED:
        raise Refused(f"invoice {record.issued.invoice_no} has IRN status {record.irn_status.value}: nothing to retry")
    record.irn_status = IrnStatus.PENDING
    await uow.invoices.update(record)
    return record


# --- cancel ---------------------------------------------------------------------------------------


async def cancel_invoice(
    uow: UnitOfWork, invoice_id: str, reason: ci.InvoiceCancelReason, remarks: str, *, now: datetime,
    gateway: IrpGateway | None, request_id: str | None = None,
) -> InvoiceRecord:
    record = await uow.invoices.get(invoice_id, for_update=True)
    if record is None:
        raise NotFound("invoice", invoice_id)
    if record.irn_status is IrnStatus.REGISTERING and not record.is_cancelled:
        raise Refused(f"invoice {record.issued.invoice_no} is being registered at the IRP right now: try again "
                      "in a moment (its IRN, if granted, is then cancelled with it)")
    standing = dc.InvoiceStanding(
        invoice_no=record.issued.invoice_no, is_cancelled=record.is_cancelled,
        goods_dispatched=record.dispatched_at is not None, has_active_ewaybill=record.ewaybill_active,
        irn_acknowledged_at=record.irn.ack_date if record.irn else None,
    )
    try:
        cancellation = dc.cancel_invoice(standing, dc.InvoiceCancelReason(reason.value), remarks, now)
    except dc.CancellationRefused as refused:
        raise Refused(refused.reason) from refused
    if cancellation.cancel_irn:
        assert record.irn is not None
        if gateway is None:
            raise Refused("the IRN cannot be cancelled: no IRP gateway is configured")
        try:
            await gateway.cancel(record.irn.irn, cancellation.reason.irp_code, cancellation.remarks or reason.value,
                                 record.issued.supplier_gstin)
        except IrpRefusal as refusal:
            raise Refused(f"the IRP refused to cancel the IRN: {refusal.code} {refusal.message}") from refusal
        record.irn_cancelled = True
    if record.irn_status in (IrnStatus.PENDING, IrnStatus.REJECTED):
        record.irn_status = IrnStatus.VOID
    record.cancelled_at, record.cancel_reason, record.cancel_remarks = (
        cancellation.cancelled_at, reason.value, cancellation.remarks)
    record.revision += 1
    await uow.invoices.update(record)
    issued = record.issued
    uow.publish(ci.InvoiceCancelled(
        order_id=issued.order_id, customer_id=issued.customer_id, shipment_id=issued.shipment_id,
        invoice_id=record.id, invoice_no=issued.invoice_no, invoice_date=issued.invoice_date,
        grand_total=issued.totals.grand_total, reason=reason, remarks=cancellation.remarks,
        irn_cancelled=record.irn_cancelled, cancelled_at=cancellation.cancelled_at, request_id=request_id,
    ))
    return record


# --- undo and re-issue (issue 21) ------------------------------------------------------------------


def _cancelled_event(record: InvoiceRecord, request_id: str | None) -> ci.InvoiceCancelled:
    issued = record.issued
    assert record.cancelled_at is not None
    return ci.InvoiceCancelled(
        order_id=issued.order_id, customer_id=issued.customer_id, shipment_id=issued.shipment_id,
        invoice_id=record.id, invoice_no=issued.invoice_no, invoice_date=issued.invoice_date,
        grand_total=issued.totals.grand_total, reason=ci.InvoiceCancelReason(record.cancel_reason or "other"),
        remarks=record.cancel_remarks or "", irn_cancelled=record.irn_cancelled, cancelled_at=record.cancelled_at,
        request_id=request_id)


async def undo_invoice(uow: UnitOfWork, command: UndoInvoice, *, now: datetime, policy: Policy,
                       gateway: IrpGateway | None) -> str:
    """The coordinator undoes the invoice of a shipment cancelled before gate-out: cancelled with its IRN while
    the rules allow (within the IRP's 24 hours, its e-way bill cancelled); otherwise a credit note for all of it
    — the same document, series, IRN and GSTR-1 path as a return's. Every delivery of the command is answered
    (a repeat with the outcome already reached). Returns what was done: cancelled, credited, refused, waiting."""
    record = await uow.invoices.get(command.invoice_id, for_update=True)

    async def refuse(reason: str) -> str:
        uow.publish(ci.InvoiceUndoRefused(
            order_id=command.order_id, shipment_id=command.shipment_id, invoice_id=command.invoice_id,
            invoice_no=record.issued.invoice_no if record else "UNKNOWN", request_id=command.request_id,
            reason=reason, refused_at=now))
        return "refused"

    if record is None:
        return await refuse(f"invoice {command.invoice_id} is not known to invoicing")
    if record.is_cancelled:
        uow.publish(_cancelled_event(record, command.request_id))
        return "cancelled"
    for earlier_note in await uow.credit_notes.of_invoice(record.id):
        if earlier_note.issued.request_id == command.request_id:
            uow.publish(earlier_note.issued)
            return "credited"
    if record.dispatched_at is not None:
        return await refuse(f"the goods of invoice {record.issued.invoice_no} have left the gate: arrange a return "
                            "(POST /returns in sales); its credit note follows the goods received")
    if record.irn_status is IrnStatus.REGISTERING:
        return "waiting"  # the IRP call in flight decides; the coordinator re-sends the command
    if command.ewaybill_cancelled and record.ewaybill_no == command.ewaybill_cancelled and record.ewaybill_active:
        record.ewaybill_active = False  # EwayBillCancelled may reach us after the coordinator's command
        await uow.invoices.update(record)
    try:
        await cancel_invoice(uow, record.id, ci.InvoiceCancelReason.ORDER_CANCELLED, command.reason[:100],
                             now=now, gateway=gateway, request_id=command.request_id)
        return "cancelled"
    except Refused as refused:
        why = str(refused)
    invoice = mapping.tax_invoice(record.issued)
    earlier = [mapping.credit_note(n.issued, invoice) for n in await uow.credit_notes.of_invoice(record.id)]
    remaining = [ReturnedLine(no, qty) for no, qty in returnable_quantities(invoice, earlier).items() if qty > 0]
    series = await uow.series.lock(invoice.supplier_gstin, financial_year(business_date(now)),
                                     policy.credit_note_prefix)
    number, advanced = next_number(series)
    try:
        note = issue_credit_note(invoice, remaining, earlier, number.number, now,
                                 reason=f"Order cancelled before dispatch ({command.reason[:60]})")
    except ReturnRefused as exc:
        return await refuse(f"cannot be cancelled ({why}) nor credited ({exc.reason})")
    note_id = new_id("crn")
    issued = mapping.credit_note_issued(note, credit_note_id=note_id, invoice=record.issued, return_id=None)
    issued = issued.model_copy(update={"request_id": command.request_id})
    await uow.credit_notes.add(CreditNoteRecord(
        id=note_id, invoice_id=record.id, issued=issued,
        irn_status=IrnStatus.PENDING if record.issued.irn_required else IrnStatus.NOT_REQUIRED))
    await uow.series.save(advanced)
    uow.publish(issued)
    return "credited"


@dataclass(frozen=True)
class BuyerCorrection:
    """What the accountant corrects before re-issuing (the GST rate is corrected in sales' rate master and
    read again from the replica). `quantities` per order line may only lower what was picked (the goods the
    invoice no longer carries go back to the shelf at dispatch); more goods need a pick list."""

    customer_name: str | None = None
    bill_to: Address | None = None
    quantities: dict[int, Decimal] = field(default_factory=dict)


def _lowered(ready: ShipmentReady, quantities: dict[int, Decimal]) -> ShipmentReady:
    """The shipment's facts with lower quantities on the named lines (a line at zero leaves the invoice); the
    batches picked are trimmed from the last, as dispatch puts the goods back."""
    unknown = sorted(set(quantities) - {line.line_no for line in ready.lines})
    if unknown:
        raise Refused(f"the shipment has no line {', '.join(map(str, unknown))}")
    lines = []
    for line in ready.lines:
        wanted = quantities.get(line.line_no, line.quantity.value)
        if wanted < 0 or wanted > line.quantity.value:
            raise Refused(f"line {line.line_no}: {wanted} is not within the {line.quantity.value} picked; a "
                          "re-issue may only carry less (more goods need a pick list)")
        if wanted == 0:
            continue
        left, allocations = wanted, []
        for batch in line.allocations:
            if left <= 0:
                break
            take = min(left, batch.quantity.value)
            allocations.append(batch.model_copy(update={"quantity": batch.quantity.model_copy(update={"value": take})}))
            left -= take
        lines.append(line.model_copy(update={"quantity": line.quantity.model_copy(update={"value": wanted}),
                                             "allocations": allocations}))
    if not lines:
        raise Refused("a re-issued invoice carries at least one line: cancel the order (or amend it) instead")
    return ready.model_copy(update={"lines": lines})


async def reissue_invoice(uow: UnitOfWork, invoice_id: str, correction: BuyerCorrection, *, now: datetime,
                          policy: Policy) -> InvoiceRecord:
    """A cancelled invoice's shipment, still at the warehouse, invoiced again: the next number of the gap-free
    series, the rate in force today, the corrected buyer and quantities; then its own IRN and e-way bill as any
    invoice. Dispatch puts back on the shelf what a lowered quantity no longer carries."""
    old = await uow.invoices.get(invoice_id, for_update=True)
    if old is None:
        raise NotFound("invoice", invoice_id)
    if not old.is_cancelled:
        raise Refused(f"invoice {old.issued.invoice_no} is not cancelled: cancel it before re-issuing")
    if old.dispatched_at is not None:
        raise Refused(f"the goods of invoice {old.issued.invoice_no} left the gate: a credit note corrects it")
    if old.ready is None:
        raise Refused(f"invoice {old.issued.invoice_no} was issued before re-issue was possible: ask support")
    ready = ShipmentReady.model_validate(old.ready)
    updates: dict[str, Any] = {}
    if correction.customer_name:
        updates["customer_name"] = correction.customer_name
    if correction.bill_to is not None:
        updates["bill_to"] = correction.bill_to
    ready = ready.model_copy(update=updates)
    if correction.quantities:
        ready = _lowered(ready, correction.quantities)
    series = await uow.series.lock(ready.warehouse_gstin, financial_year(business_date(now)),
                                     policy.invoice_prefix)
    live = await uow.invoices.by_shipment(ready.shipment_id)
    if live is not None and not live.is_cancelled:
        if live.issued.replaces_invoice_id == old.id:
            return live  # the same re-issue again
        raise Refused(f"shipment {ready.shipment_id} already has invoice {live.issued.invoice_no}")
    if old.shipment_cancelled:
        raise Refused(f"shipment {ready.shipment_id} was cancelled: nothing to invoice")
    issued_number, advanced = next_number(series)
    try:
        invoice = issue_tax_invoice(mapping.ready_shipment(ready), issued_number.number, now,
                                    await uow.rates.schedule())
    except (NoRateInForce, PlaceOfSupplyDisagrees) as exc:
        raise Refused(f"cannot re-issue: {exc}") from exc
    except ValueError as exc:
        raise Refused(f"cannot re-issue: {exc}") from exc
    required = is_einvoice_required(
        invoice.supply_type, policy.aggregate_turnover, invoice.invoice_date, policy.einvoice_thresholds)
    new = new_id("inv")
    issued = mapping.invoice_issued(invoice, ready, new, irn_required=required).model_copy(
        update={"replaces_invoice_id": old.id, "replaces_invoice_no": old.issued.invoice_no})
    record = InvoiceRecord(id=new, issued=issued, ready=ready.model_dump(mode="json"),
                           irn_status=IrnStatus.PENDING if required else IrnStatus.NOT_REQUIRED)
    await uow.invoices.add(record)
    await uow.series.save(advanced)
    uow.publish(issued)
    return record


# --- returns --------------------------------------------------------------------------------------


async def record_return_authorised(uow: UnitOfWork, msg: ReturnAuthorised) -> None:
    if await uow.returns.get(msg.return_id) is None:
        await uow.returns.save(ReturnRecord(
            return_id=msg.return_id, return_no=msg.return_no, invoice_id=msg.invoice_id,
            customer_id=msg.customer_id, status="authorised"))


async def credit_goods_returned(
    uow: UnitOfWork, msg: GoodsReturned, *, now: datetime, policy: Policy
) -> CreditNoteRecord | None:
    """A credit note for returned goods against the original invoice; None when the return is refused
    (recorded on the return, visible at /returns, so the order's later messages are not held up)."""
    known = await uow.returns.get(msg.return_id)
    if known is not None and known.status in ("credited", "refused"):
        return await uow.credit_notes.get(known.credit_note_id) if known.credit_note_id else None
    ret = known or ReturnRecord(return_id=msg.return_id, return_no=msg.return_no, invoice_id=msg.invoice_id,
                                customer_id=msg.customer_id, status="authorised")
    record = await uow.invoices.get(msg.invoice_id, for_update=True)  # serialises the returns of one invoice
    refusal: str | None = None
    if record is None:
        refusal = f"invoice {msg.invoice_id} ({msg.invoice_no}) is not known to invoicing"
    elif record.is_cancelled:
        refusal = f"invoice {record.issued.invoice_no} is cancelled: nothing to credit"
    if record is None or refusal is not None:
        ret.status, ret.reason = "refused", refusal or ""
        await uow.returns.save(ret)
        return None
    invoice = mapping.tax_invoice(record.issued)
    earlier = [mapping.credit_note(n.issued, invoice) for n in await uow.credit_notes.of_invoice(record.id)]
    series = await uow.series.lock(invoice.supplier_gstin, financial_year(business_date(now)),
                                     policy.credit_note_prefix)
    number, advanced = next_number(series)
    try:
        note = issue_credit_note(
            invoice, [ReturnedLine(line.invoice_line_no, line.quantity.value) for line in msg.lines], earlier,
            number.number, now, reason=f"Goods returned ({msg.return_no})", return_id=msg.return_id,
        )
    except ReturnRefused as refused:
        ret.status, ret.reason = "refused", refused.reason
        await uow.returns.save(ret)
        return None
    note_id = new_id("crn")
    issued = mapping.credit_note_issued(note, credit_note_id=note_id, invoice=record.issued, return_id=msg.return_id)
    note_record = CreditNoteRecord(
        id=note_id, invoice_id=record.id, issued=issued,
        irn_status=IrnStatus.PENDING if record.issued.irn_required else IrnStatus.NOT_REQUIRED)
    await uow.credit_notes.add(note_record)
    await uow.series.save(advanced)
    ret.status, ret.credit_note_id, ret.reason = "credited", note_id, ""
    await uow.returns.save(ret)
    uow.publish(issued)
    return note_record


# --- GSTR-1 ---------------------------------------------------------------------------------------


async def gstr1(uow: UnitOfWork, gstin: str, period: str, *, policy: Policy) -> dict[str, Any]:
    """GSTR-1 JSON for a GSTIN and month, from the invoice register."""
    first, last, _ = filing_period(period)
    invoices, notes, cancelled = await register(uow, gstin, first, last)
    domain_invoices = [mapping.tax_invoice(r.issued) for r in invoices]
    report = build_gstr1(gstin, period, domain_invoices, notes, cancelled, policy.b2cl_thresholds)
    return report


async def register(uow: UnitOfWork, gstin: str, first: date, last: date) -> tuple[
        list[InvoiceRecord], list[CreditNote], set[str]]:
    """The month's invoices (cancelled ones too), its credit notes rebuilt with their invoices, and the
    numbers of the cancelled documents."""
    invoices = await uow.invoices.issued_between(gstin, first, last)
    note_records = await uow.credit_notes.issued_between(gstin, first, last)
    originals = {r.id: r for r in await uow.invoices.get_many(sorted({n.invoice_id for n in note_records}))}
    notes = [mapping.credit_note(n.issued, mapping.tax_invoice(originals[n.invoice_id].issued)) for n in note_records]
    cancelled = {r.issued.invoice_no for r in invoices if r.is_cancelled}
    return invoices, notes, cancelled


async def invoice_register(uow: UnitOfWork, gstin: str, period: str, *, policy: Policy) -> dict[str, Any]:
    """The register of documents for a month and the check that GSTR-1 reports exactly its totals."""
    first, last, _ = filing_period(period)
    invoices, notes, cancelled = await register(uow, gstin, first, last)
    domain_invoices = [mapping.tax_invoice(r.issued) for r in invoices]
    report = build_gstr1(gstin, period, domain_invoices, notes, cancelled, policy.b2cl_thresholds)
    books, reported = register_totals(domain_invoices, notes, cancelled), reported_totals(report)
    rows = [
        {"document": "invoice", "id": r.id, "number": r.issued.invoice_no, "date": r.issued.invoice_date.isoformat(),
         "buyer_gstin": r.issued.buyer_gstin, "place_of_supply": r.issued.place_of_supply,
         "taxable_value": str(r.issued.totals.taxable_value), "grand_total": str(r.issued.totals.grand_total),
         "cancelled": r.is_cancelled}
        for r in invoices
    ] + [
        {"document": "credit_note", "number": n.credit_note_no, "date": n.credit_note_date.isoformat(),
         "buyer_gstin": n.buyer_gstin, "place_of_supply": n.place_of_supply, "original": n.original_invoice_no,
         "taxable_value": str(-n.totals.taxable_value), "grand_total": str(-n.totals.grand_total),
         "cancelled": False}
        for n in notes
    ]

    def as_json(t: Any) -> dict[str, str]:
        return {k: str(getattr(t, k)) for k in ("taxable_value", "igst", "cgst", "sgst", "cess")}

    return {"gstin": gstin, "period": period, "documents": rows, "register_totals": as_json(books),
            "gstr1_totals": as_json(reported), "reconciled": books == reported}
