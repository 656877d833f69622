"""The order saga coordinator's use cases: feed replies into the saga, act on its decisions.

For each incoming message the saga row is locked (inside the consumer's batch transaction), the reply is
applied with the pure functions of `domain.saga`, `advance` gives the decisions, and each decision becomes an
outgoing message in the same transaction (commands carry the decision key as `request_id`). The periodic
`tick` re-decides sagas whose wait has a deadline and re-sends commands whose reply never came.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from o2c.contracts.catalog import message_class
from o2c.contracts.envelope import Message
from o2c.contracts.types import Quantity
from o2c.contracts.v1 import common, credit, dispatch, ewaybill, inventory, invoicing, notify, sales
from o2c.india.gstin import state_code_of
from o2c.sales.domain import saga as sg
from o2c.sales.domain.customer import GstCategory
from o2c.sales.domain.geography import StateCode
from o2c.sales.domain.order import OrderStatus, SalesOrder
from o2c.sales.service_layer import facts
from o2c.sales.service_layer.ports import OrderHandle, SagaRecord, SentCommand, UnitOfWork

log = logging.getLogger("o2c.sales.saga")


@dataclass(frozen=True)
class CoordinatorPolicy:
    hold_period: timedelta = sg.DEFAULT_HOLD_PERIOD
    command_retry_after: timedelta = timedelta(seconds=60)
    command_max_attempts: int = 5


# --- starting ---------------------------------------------------------------------------------------


def saga_lines(order: SalesOrder) -> list[sg.SagaLine]:
    return [
        sg.SagaLine(line.line_no, line.item.code, facts.ship_quantity(line.priced), line.gross_value)
        for line in order.lines
    ]


def start_saga(order: SalesOrder, policy: CoordinatorPolicy) -> SagaRecord:
    saga = sg.start(
        order_id=order.order_id, customer_id=order.customer_id, revision=order.revision, lines=saga_lines(order),
        ship_policy=order.ship_policy, shortage_policy=order.shortage_policy, hold_period=policy.hold_period,
    )
    return SagaRecord(saga=saga, waiting_for="credit decision and stock reservation")


# --- applying replies --------------------------------------------------------------------------------


def _qty(q: Quantity) -> Decimal:
    return Decimal(q.value)


def _reservation(message: Message, at: datetime) -> sg.Reservation:
    def shipments(allocations: Sequence[common.WarehouseAllocation]) -> list[sg.ReservedShipment]:
        return [
            sg.ReservedShipment(a.warehouse_id, tuple(sg.LineQuantity(x.line_no, _qty(x.quantity)) for x in a.lines))
            for a in allocations
        ]

    def shortfalls(items: Sequence[common.Shortfall]) -> list[sg.Shortfall]:
        return [sg.Shortfall(s.line_no, _qty(s.short), s.expected_date) for s in items]

    if isinstance(message, inventory.StockReserved):
        return sg.Reservation.full(shipments(message.allocations), at)
    if isinstance(message, inventory.StockPartiallyReserved):
        return sg.Reservation.partial(shipments(message.allocations), shortfalls(message.shortfalls), at)
    assert isinstance(message, inventory.StockReservationFailed)
    return sg.Reservation.failed(shortfalls(message.shortfalls), at)


@dataclass(frozen=True)
class Reply:
    """What a reply handler knows besides the message: its id (a backorder fill is named by it) and the time."""

    message_id: str
    now: datetime


Apply = Callable[[SagaRecord, Any, Reply], SagaRecord]
F = TypeVar("F", bound=Apply)

REPLIES: dict[type[Message], Apply] = {}
"""How each reply the coordinator follows changes the saga record: one handler per message type (registered
with `@applies`). Unknown, late or repeated replies change nothing (the pure functions of `domain.saga` ignore
them)."""


def applies(*classes: type[Message]) -> Callable[[F], F]:
    """Register the handler of these reply types (a second handler for a type is a mistake, refused at import)."""
    def register(fn: F) -> F:
        for cls in classes:
            if cls in REPLIES:
                raise ValueError(f"{cls.TYPE} already has a handler: {REPLIES[cls].__name__}")
            REPLIES[cls] = fn
        return fn
    return register


def apply_reply(record: SagaRecord, message: Message, message_id: str, now: datetime) -> tuple[SagaRecord, list[str]]:
    """The saga after this reply, and the request ids it answers."""
    request_id = getattr(message, "request_id", None)
    handler = REPLIES.get(type(message))
    if handler is not None:
        record = handler(record, message, Reply(message_id, now))
    return record, [str(request_id)] if request_id else []


def _saga(record: SagaRecord, saga: sg.OrderSaga) -> SagaRecord:
    return record if saga is record.saga else replace(record, saga=saga)


_CREDIT = {
    credit.CreditApproved: sg.CreditOutcome.APPROVED,
    credit.CreditHeld: sg.CreditOutcome.HELD,
    credit.CreditSanctioned: sg.CreditOutcome.SANCTIONED,
    credit.CreditRejected: sg.CreditOutcome.REJECTED,
}


@applies(credit.CreditApproved, credit.CreditHeld, credit.CreditSanctioned, credit.CreditRejected)
def _credit_decided(record: SagaRecord, message: credit.CreditApproved | credit.CreditHeld
                    | credit.CreditSanctioned | credit.CreditRejected, _: Reply) -> SagaRecord:
    outcome = _CREDIT[type(message)]
    if isinstance(message, credit.CreditRejected) and message.reason is credit.RejectionReason.SANCTION_EXPIRED:
        outcome = sg.CreditOutcome.EXPIRED
    return _saga(record, sg.credit_decided(record.saga, outcome, revision=message.order_revision,
                                           request_id=message.request_id))


@applies(inventory.StockReserved, inventory.StockPartiallyReserved, inventory.StockReservationFailed)
def _stock_reserved(record: SagaRecord, message: inventory.StockReserved | inventory.StockPartiallyReserved
                    | inventory.StockReservationFailed, _: Reply) -> SagaRecord:
    reservation = _reservation(message, message.decided_at)
    saga = sg.stock_reserved(record.saga, reservation, revision=message.order_revision,
                             request_id=message.request_id)
    if saga is record.saga:
        return record
    if isinstance(message, inventory.StockReservationFailed):
        return replace(record, saga=saga)
    target = next(r for r in saga.rounds if r.reservation is reservation)
    return replace(record, saga=saga, allocations={
        **record.allocations, str(target.number): [a.model_dump(mode="json") for a in message.allocations]})


@applies(inventory.BackorderFilled)
def _backorder_filled(record: SagaRecord, message: inventory.BackorderFilled, reply: Reply) -> SagaRecord:
    saga = sg.backorder_filled(
        record.saga, fill_id=reply.message_id,
        shipments=[sg.ReservedShipment(a.warehouse_id, tuple(sg.LineQuantity(x.line_no, _qty(x.quantity))
                                                              for x in a.lines)) for a in message.allocations],
        remaining=[sg.Shortfall(s.line_no, _qty(s.short), s.expected_date) for s in message.remaining],
        at=message.filled_at,
    )
    if saga is record.saga:
        return record
    return replace(record, saga=saga, allocations={
        **record.allocations, str(saga.rounds[-1].number): [a.model_dump(mode="json") for a in message.allocations]})


@applies(inventory.ReservationReleased, credit.CreditExposureReleased)
def _compensated(record: SagaRecord, message: inventory.ReservationReleased | credit.CreditExposureReleased,
                 _: Reply) -> SagaRecord:
    request_id = getattr(message, "request_id", None)
    return _saga(record, sg.reply_received(record.saga, str(request_id))) if request_id else record


@applies(dispatch.PickConfirmed, dispatch.PickListConfirmed)
def _picked(record: SagaRecord, message: dispatch.PickConfirmed | dispatch.PickListConfirmed, _: Reply
            ) -> SagaRecord:
    saga = record.saga
    for line in message.per_line() if isinstance(message, dispatch.PickListConfirmed) else [message]:
        if _qty(line.short) > 0:
            saga = sg.pick_short(saga, shipment_id=line.shipment_id, line_no=line.line_no, quantity=_qty(line.short))
    return _saga(record, saga)


@applies(dispatch.ShipmentReduced)
def _shipment_reduced(record: SagaRecord, message: dispatch.ShipmentReduced, _: Reply) -> SagaRecord:
    return _put_back(record, message)


@applies(dispatch.ShipmentDispatched)
def _shipment_dispatched(record: SagaRecord, message: dispatch.ShipmentDispatched, _: Reply) -> SagaRecord:
    record = _saga(record, sg.shipment_dispatched(record.saga, message.shipment_id))
    return _with_invoice(record, message.invoice_id, shipment_id=message.shipment_id,
                         invoice_no=message.invoice_no, invoice_date=message.invoice_date.isoformat(),
                         warehouse_id=message.warehouse_id, dispatched_at=message.dispatched_at.isoformat())


@applies(dispatch.PickListCancelled)
def _pick_list_cancelled(record: SagaRecord, message: dispatch.PickListCancelled, _: Reply) -> SagaRecord:
    documents = sg.DocumentUndo.of(message.shipment_id, message.invoice_id, message.invoice_no or "",
                                   message.ewaybill_no) if message.invoice_id else None
    saga = sg.pick_list_cancelled(record.saga, message.shipment_id, documents)
    if documents is None:  # dispatch had not read the invoice yet; the coordinator may have
        known = next((i for i in reversed(record.invoices) if i.get("shipment_id") == message.shipment_id
                      and "dispatched_at" not in i), None)
        if known is not None:
            saga = sg.late_invoice(saga, message.shipment_id, known["invoice_id"], known.get("invoice_no", ""))
    return _saga(record, saga)


@applies(dispatch.PickListCancellationRefused)
def _pick_list_stands(record: SagaRecord, message: dispatch.PickListCancellationRefused, _: Reply) -> SagaRecord:
    return _saga(record, sg.pick_list_cancellation_refused(record.saga, message.shipment_id))


@applies(ewaybill.EwayBillCancelled)
def _ewaybill_cancelled(record: SagaRecord, message: ewaybill.EwayBillCancelled, _: Reply) -> SagaRecord:
    if not message.request_id:
        return record
    return _saga(record, sg.ewaybill_undone(record.saga, message.request_id, cancelled=True,
                                            outcome=f"e-way bill {message.ewaybill_no} cancelled"))


@applies(ewaybill.EwayBillCancellationRefused)
def _ewaybill_stands(record: SagaRecord, message: ewaybill.EwayBillCancellationRefused, _: Reply) -> SagaRecord:
    return _saga(record, sg.ewaybill_undone(
        record.saga, message.request_id, cancelled=False,
        outcome=f"e-way bill {message.ewaybill_no} not cancelled: {message.reason}"))


@applies(invoicing.InvoiceCancelled)
def _invoice_cancelled(record: SagaRecord, message: invoicing.InvoiceCancelled, _: Reply) -> SagaRecord:
    if not message.request_id:
        return record
    return _saga(record, sg.invoice_undone(record.saga, message.request_id,
                                           outcome=f"invoice {message.invoice_no} cancelled"
                                           + (" with its IRN" if message.irn_cancelled else "")))


@applies(invoicing.CreditNoteIssued)
def _credited(record: SagaRecord, message: invoicing.CreditNoteIssued, _: Reply) -> SagaRecord:
    if not message.request_id:
        return record
    return _saga(record, sg.invoice_undone(record.saga, message.request_id,
                                           outcome=f"credit note {message.credit_note_no} "
                                           f"for all of invoice {message.original_invoice_no}"))


@applies(invoicing.InvoiceUndoRefused)
def _invoice_stands(record: SagaRecord, message: invoicing.InvoiceUndoRefused, _: Reply) -> SagaRecord:
    return _saga(record, sg.invoice_undone(record.saga, message.request_id, refused=True,
                                           outcome=f"invoice {message.invoice_no} neither cancelled nor credited: "
                                           f"{message.reason}"))


@applies(notify.CustomerNotified)
def _customer_notified(record: SagaRecord, message: notify.CustomerNotified, _: Reply) -> SagaRecord:
    if message.subject is not notify.NotificationSubject.SHIPMENT_DISPATCHED or not message.shipment_id:
        return record
    return _saga(record, sg.customer_notified(record.saga, message.shipment_id))


@applies(notify.CustomerNotificationFailed)
def _customer_not_told(record: SagaRecord, message: notify.CustomerNotificationFailed, reply: Reply) -> SagaRecord:
    return _exception(record, f"customer not told about {message.subject.value}: {message.reason}", reply.now)


@applies(invoicing.InvoiceIssued)
def _invoiced(record: SagaRecord, message: invoicing.InvoiceIssued, _: Reply) -> SagaRecord:
    record = _with_invoice(record, message.invoice_id, invoice_no=message.invoice_no,
                           invoice_date=message.invoice_date.isoformat(), shipment_id=message.shipment_id,
                           warehouse_id=message.warehouse_id)
    return _saga(record, sg.late_invoice(record.saga, message.shipment_id, message.invoice_id, message.invoice_no))


@applies(invoicing.InvoiceRefused)
def _not_invoiced(record: SagaRecord, message: invoicing.InvoiceRefused, _: Reply) -> SagaRecord:
    """The saga waits as it was; `handle_reply` raises the exception a person clears (`_raised`)."""
    return record


@applies(invoicing.IrnRejected)
def _irn_rejected(record: SagaRecord, message: invoicing.IrnRejected, _: Reply) -> SagaRecord:
    return _with_invoice(record, message.invoice_id, invoice_no=message.invoice_no,
                         irn_rejected_at=message.rejected_at.isoformat(),
                         irn_rejection=f"{message.code}: {message.message}")


@applies(ewaybill.EwayBillRejected)
def _ewaybill_rejected(record: SagaRecord, message: ewaybill.EwayBillRejected, reply: Reply) -> SagaRecord:
    return _exception(
        record, f"e-way bill for invoice {message.invoice_no} rejected ({message.code}: {message.message})",
        reply.now)


HANDLED_TYPES = tuple(cls.TYPE for cls in REPLIES)
"""The message types the coordinator's consumer subscribes its handler to."""


def _put_back(record: SagaRecord, message: dispatch.ShipmentReduced) -> SagaRecord:
    """The put-back units become a round of their own, reserved where they lie: its allocation is the
    shipment's warehouse (as inventory described it for the shipment's round) with the bins they went back to."""
    before = record.saga
    saga = sg.goods_put_back(before, shipment_id=message.shipment_id, source_id=f"put-back:{message.invoice_id}",
                             lines=[sg.LineQuantity(x.line_no, _qty(x.quantity)) for x in message.lines],
                             at=message.put_back_at)
    if saga is before:
        return record
    shipment = next(s for s in before.shipments if s.shipment_id == message.shipment_id)
    known = [common.WarehouseAllocation.model_validate(a) for a in record.allocations.get(str(shipment.round_no), [])]
    source = next((a for a in known if a.warehouse_id == message.warehouse_id), None)
    if source is None:  # not expected: every released shipment came from an allocation of its round
        raise LookupError(f"no allocation of round {shipment.round_no} at {message.warehouse_id}")
    allocation = source.model_copy(update={"lines": [
        common.ReservedLine(line_no=x.line_no, item_code=x.item_code, quantity=x.quantity,
                            allocations=list(x.allocations)) for x in message.lines]})
    return replace(record, saga=saga, allocations={
        **record.allocations, str(saga.rounds[-1].number): [allocation.model_dump(mode="json")]})


def _with_invoice(record: SagaRecord, invoice_id: str, **facts: str) -> SagaRecord:
    """The order's invoice entry with these facts added (its invoice, gate-out and IRN messages travel on
    different topics, so any of them may come first)."""
    entries = [dict(i) for i in record.invoices]
    entry = next((i for i in entries if i["invoice_id"] == invoice_id), None)
    if entry is None:
        entries.append({"invoice_id": invoice_id, **facts})
    else:
        entry.update({k: v for k, v in facts.items() if k in ("dispatched_at", "irn_rejected_at", "irn_rejection")
                      or k not in entry})
    return replace(record, invoices=entries)


def irn_rejected_after_dispatch(record: SagaRecord) -> list[tuple[str, str]]:
    """(key, reason) per invoice whose IRN the IRP refused after its goods left the gate: the goods travel
    on an invoice that is not valid until the IRN is registered, and only a person can put that right.
    Judged by the two moments, not by the order the messages were read in."""
    found = []
    for entry in record.invoices:
        gone, refused = entry.get("dispatched_at"), entry.get("irn_rejected_at")
        if gone and refused and datetime.fromisoformat(refused) >= datetime.fromisoformat(gone):
            found.append((record.saga.irn_rejected_after_dispatch_key(entry["invoice_id"]),
                          f"IRN of invoice {entry.get('invoice_no', entry['invoice_id'])} rejected after the goods "
                          f"left the gate ({entry.get('irn_rejection', '')}): the invoice is not valid until the "
                          "IRN is registered; correct it and retry the IRN, or cancel it by credit note"))
    return found


def _exception(record: SagaRecord, reason: str, now: datetime, key: str | None = None) -> SagaRecord:
    if key is not None and any(e.get("key") == key for e in record.exceptions):
        return record
    return replace(record, exceptions=[*record.exceptions, {"key": key, "reason": reason, "at": now.isoformat()}])


# --- acting on decisions -------------------------------------------------------------------------------


def _line_quantities(order: SalesOrder, lines: Sequence[sg.LineQuantity],
                     warehouse: str | None = None) -> list[common.LineQuantity]:
    by_no = {line.line_no: line for line in order.lines}
    out = []
    for x in lines:
        line = by_no.get(x.line_no)
        if line is None:
            continue
        out.append(common.LineQuantity(line_no=x.line_no, item_code=line.item.code,
                                       quantity=Quantity(value=x.quantity, unit=line.item.unit.value),
                                       warehouse_id=warehouse))
    return out


def _backordered(order: SalesOrder, shortfalls: Sequence[sg.Shortfall]) -> list[sales.BackorderedLine]:
    by_no = {line.line_no: line for line in order.lines}
    return [
        sales.BackorderedLine(line_no=s.line_no, item_code=by_no[s.line_no].item.code,
                              quantity=Quantity(value=s.quantity, unit=by_no[s.line_no].item.unit.value),
                              expected_date=s.expected_date)
        for s in shortfalls if s.line_no in by_no
    ]


def _shipments(order: SalesOrder, record: SagaRecord, decision: sg.ReleaseShipments) -> list[sales.ReleasedShipment]:
    allocations = [common.WarehouseAllocation.model_validate(a)
                   for a in record.allocations.get(str(decision.round_no), [])]
    by_wh = {a.warehouse_id: a for a in allocations}
    by_no = {line.line_no: line for line in order.lines}
    out = []
    for shipment in decision.shipments:
        allocation = by_wh.get(shipment.warehouse_id)
        if allocation is None:
            raise LookupError(f"no allocation of round {decision.round_no} at {shipment.warehouse_id}")
        reserved = {x.line_no: x for x in allocation.lines}
        lines = []
        for x in shipment.lines:
            line = by_no[x.line_no]
            share = x.quantity / facts.ship_quantity(line.priced)
            discount = (facts.line_discount(line.priced) * share).quantize(Decimal("0.01"))
            held = reserved.get(x.line_no)
            lines.append(common.ShipmentLine(
                line_no=x.line_no, item_code=line.item.code, item_name=line.item.name, hsn=line.item.hsn.value,
                quantity=Quantity(value=x.quantity, unit=line.item.unit.value), unit_price=line.priced.unit_price,
                discount=discount, scheme_code=line.priced.scheme.code if line.priced.scheme else None,
                gst_rate=line.priced.gst.rate, cess_rate=line.priced.gst.cess_rate, promised_date=line.committed_date,
                batch_tracked=line.item.batch_tracked, allocations=list(held.allocations) if held else [],
            ))
        out.append(sales.ReleasedShipment(
            shipment_id=shipment.shipment_id, warehouse_id=shipment.warehouse_id,
            warehouse_gstin=allocation.warehouse_gstin, dispatch_from=allocation.dispatch_from, lines=lines,
            tax_regime=order.terms.regime_from(_registration_state(allocation)),
        ))
    return out


def _registration_state(allocation: common.WarehouseAllocation) -> StateCode:
    """The state the goods leave from: the warehouse's GSTIN is the company's registration there."""
    return StateCode(state_code_of(allocation.warehouse_gstin))


def dispatch_states(record: SagaRecord, decision: sg.ReleaseShipments) -> dict[int, StateCode]:
    """Per released line, the state its goods leave from; a line split between warehouses in different states
    keeps its estimate (its invoices each follow their own shipment)."""
    by_wh = {a["warehouse_id"]: common.WarehouseAllocation.model_validate(a)
             for a in record.allocations.get(str(decision.round_no), [])}
    seen: dict[int, set[StateCode]] = {}
    for shipment in decision.shipments:
        allocation = by_wh.get(shipment.warehouse_id)
        if allocation is not None:
            for x in shipment.lines:
                seen.setdefault(x.line_no, set()).add(_registration_state(allocation))
    return {line_no: next(iter(states)) for line_no, states in seen.items() if len(states) == 1}


def _cleared_revision(saga: sg.OrderSaga, handle: OrderHandle) -> int | None:
    """The order revision credit has cleared: the current one once credit approved or sanctioned a round of it
    (a short pick's or put-back's round is approved by the saga, not by credit, and does not count)."""
    if any(r.revision == handle.revision and r.credit.is_cleared and r.kind not in _SAGA_APPROVED
           for r in saga.rounds):
        return handle.revision
    return handle.credit_cleared_revision


_SAGA_APPROVED = (sg.RoundKind.SHORT_PICK, sg.RoundKind.PUT_BACK)


def _order_status(saga: sg.OrderSaga, cleared: bool) -> OrderStatus | None:
    """The order's status as the saga stands (None: the saga failed, a person decides). Shipments of an older
    revision (their pick lists being cancelled for an amendment) do not release a revision credit has not
    cleared: that order waits."""
    status = saga.status
    released = status in (sg.SagaStatus.RELEASED, sg.SagaStatus.PARTIALLY_RELEASED)
    if status in (sg.SagaStatus.WAITING, sg.SagaStatus.HOLDING) or (released and not cleared):
        open_rounds = [r for r in saga.rounds if r.is_open]
        if any(r.credit is sg.CreditOutcome.HELD for r in open_rounds):
            return OrderStatus.CREDIT_HELD
        return OrderStatus.CONFIRMED
    return {
        sg.SagaStatus.RELEASED: OrderStatus.RELEASED,
        sg.SagaStatus.PARTIALLY_RELEASED: OrderStatus.PARTIALLY_RELEASED,
        sg.SagaStatus.BACKORDERED: OrderStatus.BACKORDERED,
        sg.SagaStatus.CANCELLED: OrderStatus.CANCELLED,
        sg.SagaStatus.CLOSED: OrderStatus.CLOSED,
    }.get(status)


# The order's transition for each status the saga gives it (each refuses a move its lifecycle does not allow).
_FOLLOW: dict[OrderStatus, Callable[[SalesOrder, str], None]] = {
    OrderStatus.CONFIRMED: SalesOrder.wait_for_release,
    OrderStatus.CREDIT_HELD: SalesOrder.hold_for_credit,
    OrderStatus.RELEASED: lambda order, reason: order.release(partially=False, reason=reason),
    OrderStatus.PARTIALLY_RELEASED: lambda order, reason: order.release(partially=True, reason=reason),
    OrderStatus.BACKORDERED: SalesOrder.backorder,
    OrderStatus.CANCELLED: SalesOrder.withdraw,
    OrderStatus.CLOSED: SalesOrder.close,
}


async def _follow_saga(uow: UnitOfWork, handle: OrderHandle, saga: sg.OrderSaga, cancelled: str | None) -> None:
    """Move the order as the saga decided, through the order's own transitions, and store its status facts.
    Judged first on the handle's columns: the order is loaded only when its status moves. A cancelled order
    stays cancelled while its compensations run."""
    cleared = _cleared_revision(saga, handle)
    wanted = OrderStatus.CANCELLED if cancelled is not None else _order_status(saga, cleared == handle.revision)
    if handle.status is OrderStatus.CANCELLED or wanted is None:
        wanted = handle.status
    if wanted is handle.status and cleared == handle.credit_cleared_revision:
        return
    if wanted is handle.status and handle.order is None and cleared == handle.revision:
        # Credit cleared the current revision and the status stays (credit answered before inventory): recorded
        # by the rule of the order's `credit_cleared` (the current revision only) from the handle's columns,
        # without decoding the whole order for it.
        await uow.repo.save_credit_clearance(handle.order_id, cleared)
        return
    order = await handle.get(uow)
    if cleared is not None:
        order.credit_cleared(cleared)
    if wanted is not order.status:
        _FOLLOW[wanted](order, cancelled or f"saga: {saga.status.value}")
    await uow.repo.save_order_status(order)


async def act(
    uow: UnitOfWork, record: SagaRecord, handle: OrderHandle, now: datetime,
    *, replied: Sequence[str] = (), faults: Any = None,
) -> SagaRecord:
    """Decide, turn the decisions into messages, and store the saga (the caller holds its row lock)."""
    saga, decisions = sg.advance(record.saga, now)
    record = replace(record, saga=saga)
    sent: list[SentCommand] = []
    waits: list[sg.Wait] = []
    cancelled: str | None = None  # the whole order cancelled by a decision: why
    for decision in decisions:
        if isinstance(decision, sg.Wait):
            waits.append(decision)
            continue
        if isinstance(decision, sg.RaiseException):
            if not any(e.get("key") == decision.key for e in record.exceptions):
                order = await handle.get(uow)
                failed = decision.key == saga.key("failed")
                uow.publish(sales.OrderExceptionRaised(
                    order_id=order.order_id, order_no=order.number.text, customer_id=order.customer_id,
                    key=decision.key, reason=decision.reason, raised_at=now,
                    kind=sales.OrderExceptionKind.FAILED_COMPENSATION if failed
                    else sales.OrderExceptionKind.SAGA_PROBLEM))
            record = _exception(record, decision.reason, now, decision.key)
            continue
        if isinstance(decision, sg.ReleaseShipments) and faults is not None:
            faults.hit("saga.before_release")
        order = await handle.get(uow)
        if isinstance(decision, sg.ReleaseShipments) and order.taxed_from(dispatch_states(record, decision)):
            await uow.repo.save_order(order, lines=True)
        for message in _messages(decision, order, record, handle.category, now):
            uow.publish(message)
            if message.KIND == "command":
                sent.append(SentCommand(decision.key, handle.order_id, message.TYPE,
                                        message.model_dump(mode="json"), 1, now))
        if isinstance(decision, sg.MarkCancelled) and decision.round_no is None:
            cancelled = decision.reason.value
    deadlines = [w.until for w in waits if w.until is not None]
    record = replace(record, waiting_for="; ".join(dict.fromkeys(w.reason for w in waits)),
                     next_check_at=min(deadlines) if deadlines else None)
    await uow.repo.record_commands(sent)
    await uow.repo.mark_replied(list(replied), now)
    await _follow_saga(uow, handle, saga, cancelled)
    await uow.repo.save_saga(record, now)
    return record


def _messages(decision: sg.Decision, order: SalesOrder, record: SagaRecord, category: GstCategory,
              now: datetime) -> list[Message]:
    saga = record.saga
    base = {"order_id": order.order_id, "order_no": order.number.text, "customer_id": order.customer_id}
    if isinstance(decision, sg.ReleaseShipments):
        out: list[Message] = [sales.OrderReleased(
            **base, order_revision=order.revision, release_no=decision.round_no, customer_name=order.customer_name,
            customer_po_no=order.customer_po_no, bill_to=facts.address(order.bill_to),
            ship_to=facts.address(order.ship_to), place_of_supply=order.place_of_supply.value,
            supply_type=facts.supply_type(category), payment_terms_days=order.payment_terms_days,
            ship_policy=common.ShipPolicy(order.ship_policy.value), shipments=_shipments(order, record, decision),
            backordered=_backordered(order, decision.backordered), contact=facts.contact(order.contact),
            released_at=now,
        )]
        if decision.backordered:
            out.append(sales.OrderBackordered(**base, lines=_backordered(order, decision.backordered),
                                              reason="partly reserved: the rest waits for stock",
                                              contact=facts.contact(order.contact), backordered_at=now))
        return out
    if isinstance(decision, sg.MarkBackordered):
        return [sales.OrderBackordered(**base, lines=_backordered(order, decision.lines), reason=decision.reason,
                                       contact=facts.contact(order.contact), backordered_at=now)]
    if isinstance(decision, sg.MarkCancelled):
        return [sales.OrderCancelled(
            **base, reason=sales.CancellationReason(decision.reason.value), note=decision.note,
            cancelled_lines=[] if decision.whole_order else _line_quantities(order, decision.lines),
            contact=facts.contact(order.contact), cancelled_at=now,
        )]
    if isinstance(decision, sg.CloseOrder):
        shipped = [s.shipment_id for s in saga.shipments if s.state is sg.ShipmentState.DISPATCHED]
        return [sales.OrderClosed(**base, shipment_ids=shipped,
                                  invoice_nos=[i["invoice_no"] for i in record.invoices], closed_at=now)]
    command = {"order_id": order.order_id, "request_id": decision.key, "requested_at": now}
    if isinstance(decision, sg.SendReleaseReservation):
        return [inventory_release(order, decision, command)]
    if isinstance(decision, sg.SendReleaseCreditExposure):
        # Never sent while credit's answer for the latest revision is pending: this is the revision it counts.
        return [sales.ReleaseCreditExposure(**command, reason=decision.reason, customer_id=order.customer_id,
                                            amount=decision.amount, order_revision=order.revision,
                                            lines=_line_quantities(order, decision.lines))]
    if isinstance(decision, sg.SendRecheckCredit):
        return [sales.RecheckCredit(**command, reason=decision.reason, customer_id=order.customer_id,
                                    order_revision=order.revision, amount=decision.amount)]
    if isinstance(decision, sg.SendReserveStock):
        pincode = order.ship_to.pincode.value if order.ship_to.pincode else facts.ABROAD_PINCODE
        return [sales.ReserveStock(**command, reason=decision.reason, order_revision=order.revision,
                                   lines=_line_quantities(order, decision.lines), ship_to_pincode=pincode)]
    if isinstance(decision, sg.SendCancelPickList):
        return [sales.CancelPickList(**command, reason=decision.reason, shipment_ids=[decision.shipment_id])]
    if isinstance(decision, sg.SendCancelEwayBill):
        return [sales.CancelEwayBill(**command, reason=decision.reason, shipment_id=decision.shipment_id,
                                     invoice_id=decision.invoice_id, ewaybill_no=decision.ewaybill_no)]
    if isinstance(decision, sg.SendUndoInvoice):
        return [sales.UndoInvoice(**command, reason=decision.reason, shipment_id=decision.shipment_id,
                                  invoice_id=decision.invoice_id, ewaybill_cancelled=decision.ewaybill_cancelled)]
    return []


def inventory_release(order: SalesOrder, decision: sg.SendReleaseReservation,
                      command: dict[str, Any]) -> sales.ReleaseReservation:
    return sales.ReleaseReservation(**command, reason=decision.reason,
                                    lines=_line_quantities(order, decision.lines))


# --- the use cases -----------------------------------------------------------------------------------


async def handle_reply(uow: UnitOfWork, message: Message, message_id: str, now: datetime,
                       *, faults: Any = None) -> None:
    order_id = str(getattr(message, "order_id", ""))
    record = await uow.repo.get_saga(order_id, lock=True)
    if record is None:
        log.warning("%s for unknown order %s ignored", message.TYPE, order_id)
        return
    handle = await uow.repo.order_handle(order_id)
    assert handle is not None
    record, replied = apply_reply(record, message, message_id, now)
    if isinstance(message, dispatch.ShipmentDispatched):
        order = await handle.get(uow)
        order.record_dispatch(message.shipment_id)
        await uow.repo.save_order(order)
    raise_now = irn_rejected_after_dispatch(record)
    if isinstance(message, invoicing.InvoiceRefused):
        # Invoicing will not guess a rate or a place of supply: a person fixes the rate master (or the order)
        # and has the shipment invoiced.
        raise_now.append((sg.invoice_refused_key(message.order_id, message.shipment_id),
                          f"shipment {message.shipment_id} not invoiced ({message.refusal.value}): {message.reason}"))
    for key, reason in raise_now:
        if not any(e.get("key") == key for e in record.exceptions):
            order = await handle.get(uow)
            uow.publish(sales.OrderExceptionRaised(
                order_id=order.order_id, order_no=order.number.text, customer_id=order.customer_id, key=key,
                kind=sales.OrderExceptionKind.SAGA_PROBLEM, reason=reason, raised_at=now))
            record = _exception(record, reason, now, key)
    await act(uow, record, handle, now, replied=replied, faults=faults)


async def recheck(uow: UnitOfWork, order_id: str, now: datetime) -> None:
    """Re-decide one saga whose wait had a deadline (the ship-complete hold period)."""
    record = await uow.repo.get_saga(order_id, lock=True)
    handle = await uow.repo.order_handle(order_id)
    if record is None or handle is None:
        return
    await act(uow, record, handle, now)


async def resend_unanswered(uow: UnitOfWork, now: datetime, policy: CoordinatorPolicy, limit: int = 100) -> int:
    """Commands whose reply never came go again with the same request id; after the last attempt the saga
    is failed and shown as an exception, never silently dropped."""
    resent = 0
    for command in await uow.repo.unanswered_commands(now - policy.command_retry_after, limit):
        record = await uow.repo.get_saga(command.order_id, lock=True)
        if record is None or command.request_id not in record.saga.awaiting:
            await uow.repo.mark_replied([command.request_id], now)  # answered in a way that needs no reply
            continue
        if command.attempts >= policy.command_max_attempts:
            handle = await uow.repo.order_handle(command.order_id)
            assert handle is not None
            failed = replace(record, saga=sg.compensation_failed(
                record.saga, command.request_id, f"no reply to {command.type} after {command.attempts} attempts"))
            await uow.repo.mark_replied([command.request_id], now)
            await act(uow, failed, handle, now)
            continue
        uow.publish(message_class(command.type, 1).model_validate(command.payload))
        await uow.repo.command_resent(command.request_id, now)
        resent += 1
    return resent
