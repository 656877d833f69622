"""Order tracking, the pure part: how each chain message changes an order's timeline, and the rules for
its open exceptions, backorders and the expected dispatch date per shipment.

The view is a plain JSON document (it is stored as JSONB and cached in Redis as is). `apply` folds one
message into it; `derive` recomputes what depends on the day (status, expected dispatch dates, risk).
No I/O here: the handlers load, apply, derive and store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from o2c.contracts.envelope import Message
from o2c.contracts.topics import Service
from o2c.contracts.v1 import credit, dispatch, ewaybill, inventory, invoicing, notify, sales
from o2c.contracts.v1.parking import parking_type_names
from o2c.india.calendar import IST, business_date, in_ist
from o2c.india.rupees import format_inr
from o2c.sales.domain.saga import IRN_AFTER_DISPATCH, invoice_refused_key, irn_rejected_after_dispatch_key

View = dict[str, Any]
ist_date = business_date
"""The business date (IST) of an instant."""

# Messages the projection folds in, by type name (the consumer routes by the envelope's type).
ORDER_MESSAGES: tuple[type[Message], ...] = (
    sales.OrderConfirmed, sales.OrderAmended, sales.OrderReleased, sales.OrderBackordered, sales.OrderCancelled,
    sales.OrderClosed, sales.ReturnAuthorised, sales.OrderExceptionRaised,
    credit.CreditApproved, credit.CreditHeld, credit.CreditSanctioned, credit.CreditRejected,
    credit.ReceivablePosted, credit.OrderSettled, credit.CreditExposureReleased, credit.InvoiceSettled,
    inventory.StockReserved, inventory.StockPartiallyReserved, inventory.StockReservationFailed,
    inventory.ReservationReleased, inventory.BackorderFilled, inventory.StockIssued, inventory.GoodsReturned,
    inventory.BackorderRescheduled,
    dispatch.PickListIssued, dispatch.PickConfirmed, dispatch.PickListConfirmed, dispatch.ShipmentReady,
    dispatch.ShipmentDispatched, dispatch.VehicleChanged, dispatch.PickListCancelled,
    dispatch.PickListCancellationRefused,
    invoicing.InvoiceIssued, invoicing.IrnRegistered, invoicing.IrnRejected, invoicing.InvoiceCancelled,
    invoicing.CreditNoteIssued,
    ewaybill.EwayBillGenerated, ewaybill.EwayBillNotRequired, ewaybill.EwayBillRejected, ewaybill.EwayBillUpdated,
    ewaybill.EwayBillCancelled, ewaybill.EwayBillExtended,
    notify.CustomerNotified, notify.CustomerNotificationFailed,
    # undo after documents exist, and the gate (issue 21)
    ewaybill.EwayBillCancellationRefused, invoicing.InvoiceUndoRefused, dispatch.ShipmentGateOpened,
    dispatch.ShipmentGateClosed, dispatch.ShipmentReduced,
)
# Keyed by customer, but they name the order(s) they touch.
PAYMENT_MESSAGES: tuple[type[Message], ...] = (credit.PaymentReceived,)
QUOTATION_MESSAGES: tuple[type[Message], ...] = (sales.QuotationIssued,)
ALL_MESSAGES = ORDER_MESSAGES + PAYMENT_MESSAGES + QUOTATION_MESSAGES

NOT_TRACKED: Mapping[str, str] = {
    "CustomerApproved": "customer master data, not an order's step",
    "CustomerUpdated": "customer master data, not an order's step",
    "ItemCreated": "catalogue master data",
    "ItemUpdated": "catalogue master data",
    "InvoiceRefused": "the coordinator answers it with OrderExceptionRaised, which the page shows",
    "PaymentReversed": "not folded on the order page yet (issue 24: sales' part, to show a bounced cheque)",
    "UnappliedCreditRefunded": "a customer's refund of unapplied credit, not an order's step",
    "StockTransferDispatched": "a transfer between warehouses, keyed by transfer: the orders whose backorders it "
                               "fills hear BackorderRescheduled",
    **{name: "a parked key shows on the page from the dead letters and the parked_elsewhere replica, not the view"
       for s in Service for name in parking_type_names(s)},
}
"""Types on the chain's events topics the projection leaves out on purpose, with why (none is dropped silently:
`tests/unit/tracking/test_folds.py`)."""


@dataclass(frozen=True)
class LeadTimes:
    """How long the remaining steps take, in days (business rules the dispatch desk agreed)."""

    release_days: int = 0
    """Reserved and cleared → pick list issued: same day."""
    pick_days: int = 1
    """Pick list issued (or about to be) → every line confirmed."""
    documents_days: int = 0
    """Picked → vehicle, invoice, e-way bill, gate-out: same day."""
    rejection_days: int = 1
    """An IRN or e-way bill rejection costs a day to correct and resubmit."""
    pick_days_by_warehouse: Mapping[str, int] = field(default_factory=dict)
    """A site that picks slower (or faster) than `pick_days`."""

    def pick_days_at(self, warehouse_id: str | None) -> int:
        return self.pick_days_by_warehouse.get(warehouse_id or "", self.pick_days)


DEFAULT_LEAD_TIMES = LeadTimes()


def _iso(at: datetime | date | None) -> str | None:
    return at.isoformat() if at is not None else None


def _q(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def new_view(order_id: str) -> View:
    return {
        "order_id": order_id, "order_no": None, "revision": 0, "status": "unknown", "order_date": None,
        "customer": {"customer_id": None, "name": None, "gstin": None}, "customer_po_no": None,
        "quotation": None, "ship_policy": None, "gross_value": None, "committed_date": None,
        "confirmed_at": None, "lines": [],
        "credit": {"status": "pending"}, "reservations": [], "shortfalls": [], "shipments": [],
        "backorders": [], "receivables": [], "payments": [], "notifications": [], "credit_notes": [],
        "returns": [], "exceptions": [], "steps": [],
        "cancelled": None, "closed_at": None, "settled_on": None, "updated_at": None,
    }


# --- small document helpers ---------------------------------------------------------------------


FOLLOWS: dict[str, frozenset[str]] = {
    "invoice_settled": frozenset({"receivable_posted", "payment_received"}),
    "order_settled": frozenset({"receivable_posted", "payment_received", "invoice_settled"}),
}
"""Facts known only by their date (a settlement's date), placed by what they mean: on their day (IST), but never
before the steps that caused them (the receivable and the payments it settles)."""


def _instant(value: str) -> datetime:
    """A step's time as an instant: a full timestamp as written (any offset), a date as the start of that day
    in IST."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=IST)


def _placed(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The timeline in time order: instants compared as instants (not as text, where +05:30 and +00:00 or a
    missing fraction of a second sort wrongly); a date-only step after the steps it follows; ties in the order
    they were folded."""
    timed = [(_instant(s["at"]) if s["at"] else datetime.min.replace(tzinfo=UTC), s) for s in steps]

    def key(pair: tuple[datetime, dict[str, Any]]) -> tuple[datetime, int]:
        at, step = pair
        follows = FOLLOWS.get(step["kind"])
        if follows and len(step["at"] or "") == len("yyyy-mm-dd"):
            # At the same instant as a step it follows, after it (an order's settlement after its invoices').
            return max([at, *(t for t, other in timed if other["kind"] in follows)]), len(follows)
        return at, 0

    return [step for _, step in sorted(timed, key=key)]


def _step(view: View, at: datetime | date, kind: str, title: str, actor: str, ref: str | None = None,
          detail: str = "", shipment_id: str | None = None) -> None:
    """One step of the timeline; `at` is an instant, or a date for a fact known only by its day."""
    view["steps"].append({"at": _iso(at), "kind": kind, "title": title, "actor": actor, "ref": ref,
                          "detail": detail, "shipment_id": shipment_id})
    view["steps"] = _placed(view["steps"])
    if isinstance(at, datetime) and (view["updated_at"] is None or at > _instant(view["updated_at"])):
        view["updated_at"] = _iso(at)


def _open_exception(view: View, key: str, kind: str, detail: str, since: datetime, ref: str | None = None,
                    shipment_id: str | None = None) -> None:
    for exc in view["exceptions"]:
        if exc["key"] == key:
            exc.update(open=True, detail=detail, since=_iso(since), closed_at=None)
            return
    view["exceptions"].append({"key": key, "kind": kind, "detail": detail, "since": _iso(since), "ref": ref,
                               "shipment_id": shipment_id, "open": True, "closed_at": None})


def _close_exception(view: View, key: str, at: datetime) -> None:
    for exc in view["exceptions"]:
        if exc["key"] == key and exc["open"]:
            exc.update(open=False, closed_at=_iso(at))


def _close_saga_exceptions(view: View, at: datetime) -> None:
    """A saga exception is open until the order ends (closed or wholly cancelled): then it needs no one."""
    for exc in view["exceptions"]:
        if exc["key"].startswith("saga:") and exc["open"] and exc["kind"] != "failed_compensation" \
                and IRN_AFTER_DISPATCH not in exc["key"]:
            exc.update(open=False, closed_at=_iso(at))


def _undo_outcome(shp: dict[str, Any], document: str, number: str | None, outcome: str) -> None:
    """A document's undo outcome (document: "invoice" or "ewaybill"). The owners' answers come on other topics than
    dispatch's PickListCancelled, which opens the undo, and may be folded before it: an outcome read first is kept
    on the shipment and applied when the undo opens."""
    if number is None:
        return
    shp.setdefault("undo_outcomes", {})[f"{document}:{number}"] = outcome
    undo = shp.get("undo")
    if undo and undo.get(f"{document}_no") == number:
        undo[document] = outcome


def _shipment(view: View, shipment_id: str, warehouse_id: str | None = None) -> dict[str, Any]:
    for shp in view["shipments"]:
        if shp["shipment_id"] == shipment_id:
            if warehouse_id and not shp.get("warehouse_id"):
                shp["warehouse_id"] = warehouse_id
            found: dict[str, Any] = shp
            return found
    shp = {
        "shipment_id": shipment_id, "shipment_no": None, "warehouse_id": warehouse_id, "status": "released",
        "release_no": None, "released_at": None, "committed_date": None, "pick_list_id": None,
        "pick_list_no": None, "lines": [], "transport": None, "invoice": None, "ewaybill": None,
        "ready_at": None, "dispatched_at": None, "notified_at": None, "stock_issued_at": None,
        "expected_dispatch_date": None, "at_risk": False, "risk": None,
    }
    view["shipments"].append(shp)
    return shp


def _line(shp: dict[str, Any], line_no: int, item_code: str, item_name: str = "") -> dict[str, Any]:
    for line in shp["lines"]:
        if line["line_no"] == line_no:
            existing: dict[str, Any] = line
            return existing
    line = {"line_no": line_no, "item_code": item_code, "item_name": item_name, "unit": None, "released": None,
            "picked": None, "short": None, "short_reason": None, "confirmed": False, "picked_by": None,
            "promised_date": None}
    shp["lines"].append(line)
    shp["lines"].sort(key=lambda x: x["line_no"])
    return line


def _transport(t: Any) -> dict[str, Any]:
    return {"mode": t.mode.value, "vehicle_no": t.vehicle_no, "driver_name": t.driver_name,
            "transporter_id": t.transporter_id, "transporter_name": t.transporter_name, "lr_no": t.lr_no,
            "lr_date": _iso(t.lr_date), "distance_km": t.distance_km}


def _money(value: Decimal) -> str:
    return format(value, "f")


def _day(value: date) -> str:
    return value.strftime("%d %b %Y")


def _when(at: datetime) -> str:
    """An instant as people read it here: IST."""
    return in_ist(at).strftime("%d %b %Y, %H:%M IST")


def _order_facts(view: View, m: sales.OrderConfirmed | sales.OrderAmended) -> None:
    view.update(
        order_no=m.order_no, revision=m.revision, order_date=_iso(m.order_date), customer_po_no=m.customer_po_no,
        ship_policy=m.ship_policy.value, gross_value=_money(m.totals.gross_value),
        customer={"customer_id": m.customer_id, "name": m.customer_name,
                  "gstin": m.bill_to.gstin or m.ship_to.gstin,
                  # A proprietor's legal name is a person's; the business is known by the bill-to name.
                  "trade_name": m.bill_to.name if m.bill_to.name != m.customer_name else None},
        lines=[{"line_no": ln.line_no, "item_code": ln.item_code, "item_name": ln.item_name,
                "quantity": _q(ln.quantity.value), "unit": ln.quantity.unit.value,
                "promised_date": _iso(ln.promised_date)} for ln in m.lines],
        committed_date=_iso(min(ln.promised_date for ln in m.lines)),
        ship_to={"name": m.ship_to.name, "place": m.ship_to.place, "state_code": m.ship_to.state_code,
                 "pincode": m.ship_to.pincode},
    )
    if m.quotation_id and not view["quotation"]:
        view["quotation"] = {"quotation_id": m.quotation_id, "quotation_no": None}


def _promised(view: View, line_no: int) -> str | None:
    for line in view["lines"]:
        if line["line_no"] == line_no:
            return str(line["promised_date"])
    return None


def _reservations(view: View, allocations: list[Any], at: datetime) -> None:
    """Reservations per warehouse: the future shipments until the release names them."""
    for alloc in allocations:
        entry = next((r for r in view["reservations"] if r["warehouse_id"] == alloc.warehouse_id), None)
        if entry is None:
            entry = {"warehouse_id": alloc.warehouse_id, "lines": [], "at": _iso(at), "released": False}
            view["reservations"].append(entry)
        entry["at"] = _iso(at)
        by_line = {ln["line_no"]: ln for ln in entry["lines"]}
        for rl in alloc.lines:
            by_line[rl.line_no] = {"line_no": rl.line_no, "item_code": rl.item_code,
                                   "quantity": _q(rl.quantity.value), "unit": rl.quantity.unit.value}
        entry["lines"] = sorted(by_line.values(), key=lambda x: x["line_no"])


def _shortfalls(view: View, shortfalls: list[Any]) -> None:
    view["shortfalls"] = [{"line_no": s.line_no, "item_code": s.item_code, "short": _q(s.short.value),
                           "unit": s.short.unit.value, "expected_date": _iso(s.expected_date)} for s in shortfalls]


def _find_by_invoice(view: View, invoice_id: str) -> dict[str, Any] | None:
    for shp in view["shipments"]:
        if shp["invoice"] and shp["invoice"]["invoice_id"] == invoice_id:
            found: dict[str, Any] = shp
            return found
    return None


# --- folding one message in ---------------------------------------------------------------------

M = TypeVar("M", bound=Message)
Fold = Callable[[View, Any], None]

FOLDS: dict[type[Message], Fold] = {}
"""How each tracked message type changes a view: one small fold per type, named for the event (registered with
`@folds`; `tests/unit/tracking/test_folds.py` checks every type the projection subscribes to has exactly one)."""


def folds(cls: type[M]) -> Callable[[Callable[[View, M], None]], Callable[[View, M], None]]:
    """Register the fold of one message type (a second fold for the same type is a mistake, refused at import)."""
    def register(fold: Callable[[View, M], None]) -> Callable[[View, M], None]:
        if cls in FOLDS:
            raise ValueError(f"{cls.TYPE} already has a fold: {FOLDS[cls].__name__}")
        FOLDS[cls] = fold
        return fold
    return register



def _confirm_line(view: View, m: dispatch.PickConfirmed) -> str:
    """One line's confirmation on the view (a short line opens its exception); returns the line's detail."""
    shp = _shipment(view, m.shipment_id)
    line = _line(shp, m.line_no, m.item_code)
    line.update(picked=_q(m.picked.value), short=_q(m.short.value), short_reason=m.short_reason,
                confirmed=True, picked_by=m.picked_by, unit=m.picked.unit.value)
    if line["released"] is None:
        line["released"] = _q(m.requested.value)
    if all(ln["confirmed"] for ln in shp["lines"]) and shp["status"] in ("released", "picking"):
        shp["status"] = "picked"
    detail = f"{_q(m.picked.value)} of {_q(m.requested.value)} {m.picked.unit.value}"
    if m.short.value > 0:
        detail += f", short {_q(m.short.value)}" + (f" ({m.short_reason})" if m.short_reason else "")
        _open_exception(view, f"short_pick:{m.shipment_id}:{m.line_no}", "short_pick",
                        f"line {m.line_no} {m.item_code}: short {_q(m.short.value)} {m.short.unit.value}"
                        + (f" ({m.short_reason})" if m.short_reason else ""), m.confirmed_at,
                        shp["pick_list_no"], m.shipment_id)
    return detail


def apply(view: View, m: Message) -> View:
    """Fold one chain message into the order's view by its type (`FOLDS`; idempotency is the consumer inbox's
    job). A type with no fold leaves the view as it is."""
    fold = FOLDS.get(type(m))
    if fold is not None:
        fold(view, m)
    return view


@folds(sales.OrderConfirmed)
def _order_confirmed(view: View, m: sales.OrderConfirmed) -> None:
    _order_facts(view, m)
    view["confirmed_at"] = _iso(m.confirmed_at)
    if m.quotation is not None and m.quotation_id:
        q = m.quotation
        _quoted(view, m.quotation_id, q.quotation_no, q.issued_at, q.valid_until, q.gross_value)
    _step(view, m.confirmed_at, "order_confirmed", f"Order {m.order_no} confirmed", "sales", m.order_no,
          f"{len(m.lines)} lines, {format_inr(m.totals.gross_value)}"
          + (f", PO {m.customer_po_no}" if m.customer_po_no else ""))


@folds(sales.OrderAmended)
def _order_amended(view: View, m: sales.OrderAmended) -> None:
    _order_facts(view, m)
    _step(view, m.amended_at, "order_amended", f"Order amended (revision {m.revision})", "sales",
          m.order_no, m.reason)


@folds(sales.OrderReleased)
def _order_released(view: View, m: sales.OrderReleased) -> None:
    for s in m.shipments:
        shp = _shipment(view, s.shipment_id, s.warehouse_id)
        shp.update(release_no=m.release_no, released_at=_iso(m.released_at),
                   committed_date=_iso(min(ln.promised_date for ln in s.lines)))
        for ln in s.lines:
            line = _line(shp, ln.line_no, ln.item_code, ln.item_name)
            line.update(released=_q(ln.quantity.value), unit=ln.quantity.unit.value,
                        promised_date=_iso(ln.promised_date))
        for r in view["reservations"]:
            if r["warehouse_id"] == s.warehouse_id:
                r["released"] = True
    view["backorders"] = [{"line_no": b.line_no, "item_code": b.item_code, "quantity": _q(b.quantity.value),
                           "unit": b.quantity.unit.value, "expected_date": _iso(b.expected_date),
                           "promised_date": _promised(view, b.line_no)} for b in m.backordered]
    _step(view, m.released_at, "order_released", f"Released to {len(m.shipments)} warehouse(s)", "sales",
          m.order_no, ", ".join(f"{s.warehouse_id}: {len(s.lines)} lines" for s in m.shipments))


@folds(sales.OrderBackordered)
def _order_backordered(view: View, m: sales.OrderBackordered) -> None:
    existing = {b["line_no"]: b for b in view["backorders"]}
    for b in m.lines:
        existing[b.line_no] = {"line_no": b.line_no, "item_code": b.item_code, "quantity": _q(b.quantity.value),
                               "unit": b.quantity.unit.value, "expected_date": _iso(b.expected_date),
                               "promised_date": _promised(view, b.line_no)}
    view["backorders"] = sorted(existing.values(), key=lambda x: x["line_no"])
    _step(view, m.backordered_at, "order_backordered", f"{len(m.lines)} line(s) backordered", "sales",
          m.order_no, m.reason)


@folds(sales.OrderCancelled)
def _order_cancelled(view: View, m: sales.OrderCancelled) -> None:
    view["cancelled"] = {"reason": m.reason.value, "note": m.note, "at": _iso(m.cancelled_at),
                         "partial": bool(m.cancelled_lines)}
    _step(view, m.cancelled_at, "order_cancelled", "Order cancelled" if not m.cancelled_lines
          else f"{len(m.cancelled_lines)} line(s) cancelled", "sales", m.order_no, m.reason.value
          + (f": {m.note}" if m.note else ""))
    _close_exception(view, "credit_hold", m.cancelled_at)
    if not m.cancelled_lines:
        _close_saga_exceptions(view, m.cancelled_at)


@folds(sales.OrderExceptionRaised)
def _order_exception_raised(view: View, m: sales.OrderExceptionRaised) -> None:
    _open_exception(view, f"saga:{m.key}", m.kind.value, m.reason, m.raised_at)
    _step(view, m.raised_at, m.kind.value, "Compensation failing" if m.kind is
          sales.OrderExceptionKind.FAILED_COMPENSATION else "Needs a person", "sales (saga)", None, m.reason)


@folds(sales.OrderClosed)
def _order_closed(view: View, m: sales.OrderClosed) -> None:
    view["closed_at"] = _iso(m.closed_at)
    _close_saga_exceptions(view, m.closed_at)
    _step(view, m.closed_at, "order_closed", "Order closed", "sales", m.order_no,
          "every shipment dispatched and notified")


@folds(sales.ReturnAuthorised)
def _return_authorised(view: View, m: sales.ReturnAuthorised) -> None:
    view["returns"].append({"return_id": m.return_id, "return_no": m.return_no, "invoice_no": m.invoice_no,
                            "status": "authorised", "at": _iso(m.authorised_at)})
    _step(view, m.authorised_at, "return_authorised", f"Return {m.return_no} authorised", "sales",
          m.return_no, f"against {m.invoice_no}")


@folds(credit.CreditApproved)
def _credit_approved(view: View, m: credit.CreditApproved) -> None:
    view["credit"] = {"status": "approved", "amount": _money(m.amount), "decided_at": _iso(m.decided_at),
                      "decided_by": "credit (automatic)", "revision": m.order_revision}
    _step(view, m.decided_at, "credit_approved", "Credit approved", "credit", None,
          f"{format_inr(m.amount)} within limit {format_inr(m.exposure.credit_limit)}")


@folds(credit.CreditHeld)
def _credit_held(view: View, m: credit.CreditHeld) -> None:
    view["credit"] = {"status": "held", "amount": _money(m.amount), "reasons": [r.value for r in m.reasons],
                      "held_at": _iso(m.decided_at), "sanction_due_by": _iso(m.sanction_due_by),
                      "hold_expires_at": _iso(m.hold_expires_at), "revision": m.order_revision,
                      "exposure_total": _money(m.exposure.total), "credit_limit": _money(m.exposure.credit_limit)}
    reasons = ", ".join(r.value.replace("_", " ") for r in m.reasons)
    _step(view, m.decided_at, "credit_held", "Credit hold: awaiting sanction", "credit", None,
          f"{reasons}; exposure {format_inr(m.exposure.total)} vs limit {format_inr(m.exposure.credit_limit)}")
    _open_exception(view, "credit_hold", "credit_hold", f"awaiting finance sanction ({reasons})", m.decided_at)


@folds(credit.CreditSanctioned)
def _credit_sanctioned(view: View, m: credit.CreditSanctioned) -> None:
    view["credit"].update(status="sanctioned", decided_at=_iso(m.decided_at), decided_by=m.sanctioned_by,
                          note=m.note, amount=_money(m.amount))
    _step(view, m.decided_at, "credit_sanctioned", "Credit sanctioned", m.sanctioned_by, None,
          m.note or "sanctioned")
    _close_exception(view, "credit_hold", m.decided_at)


@folds(credit.CreditRejected)
def _credit_rejected(view: View, m: credit.CreditRejected) -> None:
    view["credit"].update(status="rejected", decided_at=_iso(m.decided_at), decided_by=m.rejected_by or "credit",
                          note=m.note, reason=m.reason.value)
    _step(view, m.decided_at, "credit_rejected", "Credit rejected", m.rejected_by or "credit", None,
          m.reason.value + (f": {m.note}" if m.note else ""))
    _close_exception(view, "credit_hold", m.decided_at)


@folds(credit.ReceivablePosted)
def _receivable_posted(view: View, m: credit.ReceivablePosted) -> None:
    view["receivables"].append({"invoice_id": m.invoice_id, "invoice_no": m.invoice_no,
                                "amount": _money(m.amount), "due_date": _iso(m.due_date),
                                "posted_at": _iso(m.posted_at), "settled": False})
    _step(view, m.posted_at, "receivable_posted", f"Receivable {m.invoice_no}", "credit", m.invoice_no,
          f"{format_inr(m.amount)} due {_day(m.due_date)}", m.shipment_id)


@folds(credit.InvoiceSettled)
def _invoice_settled(view: View, m: credit.InvoiceSettled) -> None:
    for r in view["receivables"]:
        if r["invoice_id"] == m.invoice_id:
            r["settled"] = True
    _step(view, m.settled_on, "invoice_settled",
          f"Invoice {m.invoice_no} settled", "credit", m.invoice_no, f"paid {format_inr(m.paid_amount)}")


@folds(credit.OrderSettled)
def _order_settled(view: View, m: credit.OrderSettled) -> None:
    view["settled_on"] = _iso(m.settled_on)
    _step(view, m.settled_on, "order_settled", "Order paid",
          "credit", None, f"{format_inr(m.invoiced_amount)} across {len(m.invoice_nos)} invoice(s)")


@folds(credit.CreditExposureReleased)
def _credit_exposure_released(view: View, m: credit.CreditExposureReleased) -> None:
    _step(view, m.released_at, "exposure_released", "Credit exposure released", "credit", m.request_id,
          f"{format_inr(m.released_amount)}")


@folds(credit.PaymentReceived)
def _payment_received(view: View, m: credit.PaymentReceived) -> None:
    for a in m.allocations:
        if a.order_id == view["order_id"]:
            view["payments"].append({"receipt_no": m.receipt_no, "invoice_no": a.invoice_no,
                                     "amount": _money(a.amount), "received_on": _iso(m.received_on),
                                     "mode": m.mode.value})
            _step(view, m.recorded_at, "payment_received", f"Payment {m.receipt_no}", "credit", m.receipt_no,
                  f"{format_inr(a.amount)} against {a.invoice_no} ({m.mode.value})")


@folds(inventory.StockReserved)
def _stock_reserved(view: View, m: inventory.StockReserved) -> None:
    _reservations(view, list(m.allocations), m.decided_at)
    view["shortfalls"] = []
    _step(view, m.decided_at, "stock_reserved", "Stock reserved", "inventory", None,
          ", ".join(a.warehouse_id for a in m.allocations))


@folds(inventory.StockPartiallyReserved)
def _stock_partially_reserved(view: View, m: inventory.StockPartiallyReserved) -> None:
    _reservations(view, list(m.allocations), m.decided_at)
    _shortfalls(view, list(m.shortfalls))
    _step(view, m.decided_at, "stock_partially_reserved", "Stock partly reserved", "inventory", None,
          f"{len(m.shortfalls)} line(s) short")


@folds(inventory.StockReservationFailed)
def _stock_reservation_failed(view: View, m: inventory.StockReservationFailed) -> None:
    _shortfalls(view, list(m.shortfalls))
    _step(view, m.decided_at, "stock_reservation_failed", "No stock to reserve", "inventory", None, m.reason)


@folds(inventory.ReservationReleased)
def _reservation_released(view: View, m: inventory.ReservationReleased) -> None:
    _step(view, m.released_at, "reservation_released", "Reservation released", "inventory", m.request_id,
          f"{len(m.lines)} line(s)")


@folds(inventory.BackorderFilled)
def _backorder_filled(view: View, m: inventory.BackorderFilled) -> None:
    _reservations(view, list(m.allocations), m.filled_at)
    _step(view, m.filled_at, "backorder_filled", "Backorder filled", "inventory", None,
          f"{len(m.remaining)} line(s) still short")


@folds(inventory.BackorderRescheduled)
def _backorder_rescheduled(view: View, m: inventory.BackorderRescheduled) -> None:
    """Stock on its way (a transfer) fills these backordered lines: they expect its arrival."""
    dates = {ln.line_no: _iso(ln.expected_date) for ln in m.lines}
    # Kept apart as well: a later release rewrites the backorders with the dates sales knew (derive reapplies).
    arrivals = view.setdefault("backorder_arrivals", {})
    for b in view["backorders"] + view["shortfalls"]:
        if b["line_no"] in dates:
            b["expected_date"] = dates[b["line_no"]]
    arrivals.update({str(n): d for n, d in dates.items()})
    _step(view, m.rescheduled_at, "backorder_rescheduled", f"Stock on its way: transfer {m.transfer_no}",
          "inventory", m.transfer_no, ", ".join(f"line {n} expected {d}" for n, d in sorted(dates.items())))


@folds(inventory.StockIssued)
def _stock_issued(view: View, m: inventory.StockIssued) -> None:
    _shipment(view, m.shipment_id, m.warehouse_id)["stock_issued_at"] = _iso(m.issued_at)
    _step(view, m.issued_at, "stock_issued", "Stock issued", "inventory", None, m.warehouse_id, m.shipment_id)


@folds(inventory.GoodsReturned)
def _goods_returned(view: View, m: inventory.GoodsReturned) -> None:
    for r in view["returns"]:
        if r["return_id"] == m.return_id:
            r["status"] = "received"
    _step(view, m.received_at, "goods_returned", f"Return {m.return_no} received", "inventory", m.return_no,
          m.warehouse_id)


@folds(dispatch.PickListIssued)
def _pick_list_issued(view: View, m: dispatch.PickListIssued) -> None:
    shp = _shipment(view, m.shipment_id, m.warehouse_id)
    shp.update(pick_list_id=m.pick_list_id, pick_list_no=m.pick_list_no)
    if shp["status"] == "released":
        shp["status"] = "picking"
    for pl in m.lines:
        line = _line(shp, pl.line_no, pl.item_code, pl.item_name)
        if line["released"] is None:
            line.update(released=_q(pl.quantity.value), unit=pl.quantity.unit.value)
    _step(view, m.issued_at, "pick_list_issued", f"Pick list {m.pick_list_no}", "dispatch", m.pick_list_no,
          f"{m.warehouse_id}, {len(m.lines)} lines", m.shipment_id)


@folds(dispatch.PickConfirmed)
def _pick_confirmed(view: View, m: dispatch.PickConfirmed) -> None:
    detail = _confirm_line(view, m)
    _step(view, m.confirmed_at, "pick_confirmed", f"Line {m.line_no} picked", m.picked_by,
          _shipment(view, m.shipment_id)["pick_list_no"], f"{m.item_code}: {detail}", m.shipment_id)


@folds(dispatch.PickListConfirmed)
def _pick_list_confirmed(view: View, m: dispatch.PickListConfirmed) -> None:
    lines = m.per_line()
    for confirmed in lines:
        _confirm_line(view, confirmed)
    shorts = sum(1 for confirmed in lines if confirmed.short.value > 0)
    _step(view, m.confirmed_at, "pick_confirmed", f"{len(lines)} lines picked", m.picked_by,
          _shipment(view, m.shipment_id)["pick_list_no"],
          f"{shorts} short" if shorts else "every line as listed", m.shipment_id)


@folds(dispatch.ShipmentReady)
def _shipment_ready(view: View, m: dispatch.ShipmentReady) -> None:
    shp = _shipment(view, m.shipment_id, m.warehouse_id)
    shp.update(shipment_no=m.shipment_no, transport=_transport(m.transport), ready_at=_iso(m.ready_at))
    if shp["status"] in ("released", "picking", "picked"):
        shp["status"] = "ready"
    for ln in m.lines:
        line = _line(shp, ln.line_no, ln.item_code, ln.item_name)
        line.update(picked=_q(ln.quantity.value), released=_q(ln.released_quantity.value), confirmed=True)
    _step(view, m.ready_at, "shipment_ready", f"Shipment {m.shipment_no} ready", "dispatch", m.shipment_no,
          f"vehicle {m.transport.vehicle_no or '—'}, LR {m.transport.lr_no or '—'}", m.shipment_id)


@folds(dispatch.ShipmentDispatched)
def _shipment_dispatched(view: View, m: dispatch.ShipmentDispatched) -> None:
    shp = _shipment(view, m.shipment_id, m.warehouse_id)
    shp.update(status="dispatched", shipment_no=m.shipment_no, dispatched_at=_iso(m.dispatched_at),
               transport=_transport(m.transport))
    if shp["ewaybill"] is None and m.ewaybill_no:
        shp["ewaybill"] = {"ewaybill_no": m.ewaybill_no, "valid_until": _iso(m.ewaybill_valid_until),
                           "status": "generated"}
    for key in [e["key"] for e in view["exceptions"] if e.get("shipment_id") == m.shipment_id
                and e["kind"] == "short_pick"]:
        _close_exception(view, key, m.dispatched_at)
    _step(view, m.dispatched_at, "shipment_dispatched", f"Shipment {m.shipment_no} left the gate", "dispatch",
          m.gate_pass_no or m.shipment_no,
          f"invoice {m.invoice_no}, e-way bill {m.ewaybill_no or 'not required'}, "
          f"vehicle {m.transport.vehicle_no or '—'}", m.shipment_id)


@folds(dispatch.VehicleChanged)
def _vehicle_changed(view: View, m: dispatch.VehicleChanged) -> None:
    shp = _shipment(view, m.shipment_id)
    shp["transport"] = _transport(m.transport)
    _step(view, m.changed_at, "vehicle_changed", "Vehicle changed", "dispatch", m.transport.vehicle_no,
          f"{m.previous_vehicle_no or '—'} → {m.transport.vehicle_no or '—'} ({m.reason.value})", m.shipment_id)


@folds(dispatch.PickListCancelled)
def _pick_list_cancelled(view: View, m: dispatch.PickListCancelled) -> None:
    shp = _shipment(view, m.shipment_id)
    shp["status"] = "cancelled"
    detail = f"{len(m.restocked)} line(s) restocked"
    if m.invoice_id:
        # Each document's undo is shown as its owner answers (e-way bill first, then the invoice).
        seen = shp.get("undo_outcomes") or {}
        shp["undo"] = {"invoice_no": m.invoice_no, "ewaybill_no": m.ewaybill_no,
                       "ewaybill": seen.get(f"ewaybill:{m.ewaybill_no}", "pending") if m.ewaybill_no else "none",
                       "invoice": seen.get(f"invoice:{m.invoice_no}", "pending")}
        detail += f"; to undo: {'e-way bill ' + m.ewaybill_no + ', ' if m.ewaybill_no else ''}" \
                  f"invoice {m.invoice_no}"
    _step(view, m.cancelled_at, "pick_list_cancelled", "Pick list cancelled", "dispatch", m.pick_list_id,
          detail, m.shipment_id)


@folds(dispatch.ShipmentReduced)
def _goods_put_back(view: View, m: dispatch.ShipmentReduced) -> None:
    """An invoice re-issued for fewer units: the shipment carries less, the rest went back to its bins."""
    shp = _shipment(view, m.shipment_id, m.warehouse_id)
    for x in m.lines:
        line = _line(shp, x.line_no, x.item_code)
        line["picked"], line["put_back"] = _q(x.shipping.value), _q(x.quantity.value)
    put = ", ".join(f"{_q(x.quantity.value)} {x.quantity.unit.value} of line {x.line_no} to "
                    f"{', '.join(a.bin_code or '?' for a in x.allocations) or 'its bin'}" for x in m.lines)
    _step(view, m.put_back_at, "goods_put_back", f"Goods put back from shipment {m.shipment_no}", "dispatch",
          m.invoice_no, f"invoice re-issued as {m.invoice_no} for less: {put}; they ship on their own", m.shipment_id)


@folds(dispatch.ShipmentGateOpened)
def _shipment_gate_opened(view: View, m: dispatch.ShipmentGateOpened) -> None:
    shp = _shipment(view, m.shipment_id, m.warehouse_id)
    shp["gate"] = {"open": True, "reason": None, "detail": "", "waiting_for": [], "at": _iso(m.ready_at)}
    _step(view, m.ready_at, "ready_for_gate", f"Shipment {m.shipment_no} ready for the gate", "dispatch",
          m.shipment_no, f"invoice {m.invoice_no}, e-way bill {m.ewaybill_no or 'not required'}", m.shipment_id)


@folds(dispatch.ShipmentGateClosed)
def _shipment_gate_closed(view: View, m: dispatch.ShipmentGateClosed) -> None:
    shp = _shipment(view, m.shipment_id, m.warehouse_id)
    shp["gate"] = {"open": False, "reason": m.reason.value, "detail": m.detail,
                   "waiting_for": list(m.waiting_for), "at": _iso(m.closed_at)}
    _step(view, m.closed_at, "gate_closed", f"Gate closed for shipment {m.shipment_no}", "dispatch",
          m.shipment_no, m.detail, m.shipment_id)


@folds(dispatch.PickListCancellationRefused)
def _pick_list_cancellation_refused(view: View, m: dispatch.PickListCancellationRefused) -> None:
    _step(view, m.refused_at, "pick_list_cancellation_refused", "Cancellation refused", "dispatch", None,
          m.reason, m.shipment_id)


@folds(invoicing.InvoiceIssued)
def _invoice_issued(view: View, m: invoicing.InvoiceIssued) -> None:
    shp = _shipment(view, m.shipment_id, m.warehouse_id)
    shp["invoice"] = {"invoice_id": m.invoice_id, "invoice_no": m.invoice_no,
                      "invoice_date": _iso(m.invoice_date), "grand_total": _money(m.totals.grand_total),
                      "irn": m.irn.irn if m.irn else None,
                      "irn_status": "registered" if m.irn else ("pending" if m.irn_required else "not_required"),
                      "cancelled": False}
    if shp["status"] in ("released", "picking", "picked", "ready", "waiting_for_invoice"):
        shp["status"] = "invoiced"
    _close_exception(view, "saga:" + invoice_refused_key(m.order_id, m.shipment_id), m.issued_at)
    title = f"Invoice {m.invoice_no}" + (f" re-issued (replaces {m.replaces_invoice_no})"
                                         if m.replaces_invoice_no else "")
    _step(view, m.issued_at, "invoice_reissued" if m.replaces_invoice_no else "invoice_issued", title,
          "invoicing", m.invoice_no,
          f"{format_inr(m.totals.grand_total)}" + (", IRN registered" if m.irn else ""), m.shipment_id)


@folds(invoicing.IrnRegistered)
def _irn_registered(view: View, m: invoicing.IrnRegistered) -> None:
    found = _find_by_invoice(view, m.invoice_id)
    if found:
        found["invoice"].update(irn=m.irn.irn, irn_status="registered")
    _close_exception(view, f"irn_rejected:{m.invoice_id}", m.registered_at)
    _close_exception(view, "saga:" + irn_rejected_after_dispatch_key(m.order_id, m.invoice_id), m.registered_at)
    _step(view, m.registered_at, "irn_registered", f"IRN registered for {m.invoice_no}", "invoicing",
          m.invoice_no, m.irn.ack_no, found["shipment_id"] if found else None)


@folds(invoicing.IrnRejected)
def _irn_rejected(view: View, m: invoicing.IrnRejected) -> None:
    found = _find_by_invoice(view, m.invoice_id)
    if found:
        found["invoice"]["irn_status"] = "rejected"
    _open_exception(view, f"irn_rejected:{m.invoice_id}", "irn_rejected", f"{m.code}: {m.message}",
                    m.rejected_at, m.invoice_no, found["shipment_id"] if found else None)
    _step(view, m.rejected_at, "irn_rejected", f"IRN rejected for {m.invoice_no}", "invoicing", m.invoice_no,
          f"{m.code}: {m.message}", found["shipment_id"] if found else None)


@folds(invoicing.InvoiceCancelled)
def _invoice_cancelled(view: View, m: invoicing.InvoiceCancelled) -> None:
    shp = _shipment(view, m.shipment_id)
    if shp.get("invoice") and shp["invoice"].get("invoice_id") == m.invoice_id:
        shp["invoice"]["cancelled"] = True
    detail = m.reason.value + (", IRN cancelled" if m.irn_cancelled else "")
    if m.request_id or (shp.get("undo") or {}).get("invoice_no") == m.invoice_no:  # the coordinator's undo
        _undo_outcome(shp, "invoice", m.invoice_no, "cancelled")
    elif shp["status"] not in ("cancelled", "dispatched"):
        shp["status"] = "waiting_for_invoice"  # the accountant corrects and re-issues; the gate stays shut
        detail += "; the shipment waits for a new invoice"
    _step(view, m.cancelled_at, "invoice_cancelled", f"Invoice {m.invoice_no} cancelled", "invoicing",
          m.invoice_no, detail, m.shipment_id)


@folds(invoicing.InvoiceUndoRefused)
def _invoice_undo_refused(view: View, m: invoicing.InvoiceUndoRefused) -> None:
    shp = _shipment(view, m.shipment_id)
    _undo_outcome(shp, "invoice", m.invoice_no, "refused")
    _open_exception(view, f"invoice_undo_refused:{m.invoice_id}", "failed_compensation", m.reason,
                    m.refused_at, m.invoice_no, m.shipment_id)
    _step(view, m.refused_at, "invoice_undo_refused", f"Invoice {m.invoice_no} could not be undone",
          "invoicing", m.invoice_no, m.reason, m.shipment_id)


@folds(invoicing.CreditNoteIssued)
def _credit_note_issued(view: View, m: invoicing.CreditNoteIssued) -> None:
    for shp in view["shipments"]:
        if m.request_id and (shp.get("invoice") or {}).get("invoice_no") == m.original_invoice_no:
            _undo_outcome(shp, "invoice", m.original_invoice_no, f"credited by {m.credit_note_no}")
    view["credit_notes"].append({"credit_note_no": m.credit_note_no, "original_invoice_no": m.original_invoice_no,
                                 "amount": _money(m.totals.grand_total), "date": _iso(m.credit_note_date)})
    _step(view, m.issued_at, "credit_note_issued", f"Credit note {m.credit_note_no}", "invoicing",
          m.credit_note_no, f"{format_inr(m.totals.grand_total)} against {m.original_invoice_no}")


@folds(ewaybill.EwayBillGenerated)
def _eway_bill_generated(view: View, m: ewaybill.EwayBillGenerated) -> None:
    shp = _shipment(view, m.shipment_id)
    shp["ewaybill"] = {"ewaybill_no": m.ewaybill_no, "valid_until": _iso(m.valid_until), "status": "generated",
                       "vehicle_no": m.vehicle_no}
    if shp["status"] in ("released", "picking", "picked", "ready", "invoiced", "waiting_for_ewaybill"):
        shp["status"] = "ewaybill_ready"
    _close_exception(view, f"ewaybill_rejected:{m.shipment_id}", m.generated_at)
    _step(view, m.generated_at, "ewaybill_generated", f"E-way bill {m.ewaybill_no}"
          + (f" (new bill, replaces {m.replaces_ewaybill_no})" if m.replaces_ewaybill_no else ""), "ewaybill",
          m.ewaybill_no, f"valid until {_when(m.valid_until)}", m.shipment_id)


@folds(ewaybill.EwayBillNotRequired)
def _eway_bill_not_required(view: View, m: ewaybill.EwayBillNotRequired) -> None:
    shp = _shipment(view, m.shipment_id)
    shp["ewaybill"] = {"ewaybill_no": None, "valid_until": None, "status": "not_required",
                       "reason": m.reason.value}
    if shp["status"] in ("released", "picking", "picked", "ready", "invoiced"):
        shp["status"] = "ewaybill_ready"
    _close_exception(view, f"ewaybill_rejected:{m.shipment_id}", m.decided_at)
    _step(view, m.decided_at, "ewaybill_not_required", "No e-way bill needed", "ewaybill", m.invoice_no,
          m.reason.value, m.shipment_id)


@folds(ewaybill.EwayBillRejected)
def _eway_bill_rejected(view: View, m: ewaybill.EwayBillRejected) -> None:
    shp = _shipment(view, m.shipment_id)
    shp["ewaybill"] = {"ewaybill_no": None, "valid_until": None, "status": "rejected", "code": m.code,
                       "message": m.message}
    shp["ewaybill_rejections"] = int(shp.get("ewaybill_rejections") or 0) + 1
    _open_exception(view, f"ewaybill_rejected:{m.shipment_id}", "ewaybill_rejected", f"{m.code}: {m.message}",
                    m.rejected_at, m.invoice_no, m.shipment_id)
    _step(view, m.rejected_at, "ewaybill_rejected", "E-way bill rejected", "ewaybill", m.invoice_no,
          f"{m.code}: {m.message}", m.shipment_id)


@folds(ewaybill.EwayBillUpdated)
def _eway_bill_updated(view: View, m: ewaybill.EwayBillUpdated) -> None:
    shp = _shipment(view, m.shipment_id)
    shp["ewaybill"] = {**(shp["ewaybill"] or {}), "ewaybill_no": m.ewaybill_no,
                       "valid_until": _iso(m.valid_until), "vehicle_no": m.transport.vehicle_no}
    _step(view, m.updated_at, "ewaybill_updated", "E-way bill Part B updated", "ewaybill", m.ewaybill_no,
          f"vehicle {m.transport.vehicle_no or '—'}", m.shipment_id)


@folds(ewaybill.EwayBillCancelled)
def _eway_bill_cancelled(view: View, m: ewaybill.EwayBillCancelled) -> None:
    shp = _shipment(view, m.shipment_id)
    shp["ewaybill"] = {**(shp["ewaybill"] or {}), "status": "cancelled"}
    detail = m.reason.value
    if m.request_id or (shp.get("undo") or {}).get("ewaybill_no") == m.ewaybill_no:  # the coordinator's undo
        _undo_outcome(shp, "ewaybill", m.ewaybill_no, "cancelled")
    elif shp["status"] == "ewaybill_ready":
        shp["status"] = "waiting_for_ewaybill"  # a new bill for the same invoice opens the gate again
        detail += "; the shipment waits for a new e-way bill"
    _step(view, m.cancelled_at, "ewaybill_cancelled", f"E-way bill {m.ewaybill_no} cancelled", "ewaybill",
          m.ewaybill_no, detail, m.shipment_id)


@folds(ewaybill.EwayBillCancellationRefused)
def _eway_bill_cancellation_refused(view: View, m: ewaybill.EwayBillCancellationRefused) -> None:
    shp = _shipment(view, m.shipment_id)
    _undo_outcome(shp, "ewaybill", m.ewaybill_no, "refused")
    _step(view, m.refused_at, "ewaybill_cancellation_refused", f"E-way bill {m.ewaybill_no} not cancelled",
          "ewaybill", m.ewaybill_no, m.reason, m.shipment_id)


@folds(ewaybill.EwayBillExtended)
def _eway_bill_extended(view: View, m: ewaybill.EwayBillExtended) -> None:
    shp = _shipment(view, m.shipment_id)
    shp["ewaybill"] = {**(shp["ewaybill"] or {}), "valid_until": _iso(m.valid_until)}
    _step(view, m.extended_at, "ewaybill_extended", f"E-way bill {m.ewaybill_no} extended", "ewaybill",
          m.ewaybill_no, f"valid until {_when(m.valid_until)}", m.shipment_id)


@folds(notify.CustomerNotified)
def _customer_notified(view: View, m: notify.CustomerNotified) -> None:
    view["notifications"].append({"subject": m.subject.value, "channels": [c.value for c in m.channels],
                                  "at": _iso(m.notified_at), "shipment_id": m.shipment_id})
    if m.shipment_id:
        _shipment(view, m.shipment_id)["notified_at"] = _iso(m.notified_at)
    _step(view, m.notified_at, "customer_notified", f"Customer told: {m.subject.value.replace('_', ' ')}",
          "notify", m.notification_id, ", ".join(c.value for c in m.channels), m.shipment_id)


@folds(notify.CustomerNotificationFailed)
def _customer_notification_failed(view: View, m: notify.CustomerNotificationFailed) -> None:
    _open_exception(view, f"notification_failed:{m.subject.value}:{m.shipment_id or ''}", "notification_failed",
                    m.reason, m.failed_at, None, m.shipment_id)
    _step(view, m.failed_at, "customer_notification_failed", "Telling the customer failed", "notify", None,
          m.reason, m.shipment_id)


def project(order_id: str, messages: Iterable[Message], now: datetime, lead: LeadTimes = DEFAULT_LEAD_TIMES) -> View:
    """An order's page from its messages, folded in the order given and derived as of `now`."""
    view = new_view(order_id)
    for m in messages:
        apply(view, m)
    return derive(view, now, lead)


def apply_quotation(view: View, q: sales.QuotationIssued) -> View:
    _quoted(view, q.quotation_id, q.quotation_no, q.issued_at, q.valid_until, q.totals.gross_value)
    return view


def _quoted(view: View, quotation_id: str, quotation_no: str, issued_at: datetime, valid_until: date,
            gross_value: Decimal) -> None:
    """The quotation the order came from: one step, the revision that was converted (the same quotation folded
    from its order's confirmation and again from its own QuotationIssued stays one step)."""
    view["quotation"] = {"quotation_id": quotation_id, "quotation_no": quotation_no}
    view["steps"] = [s for s in view["steps"] if s["kind"] != "quotation_issued"]
    _step(view, issued_at, "quotation_issued", f"Quotation {quotation_no}", "sales", quotation_no,
          f"valid until {_day(valid_until)}, {format_inr(gross_value)}")


@folds(sales.QuotationIssued)
def _quotation_issued(view: View, m: sales.QuotationIssued) -> None:
    apply_quotation(view, m)


# --- what depends on the day --------------------------------------------------------------------


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def expected_dispatch(view: View, shp: dict[str, Any], today: date,
                      lead: LeadTimes = DEFAULT_LEAD_TIMES) -> tuple[date | None, list[str]]:
    """The expected gate-out date of one shipment (or planned shipment) and what pushes it out.

    Dispatched: the actual date. Otherwise start today (or when a pending sanction is due, if later), add the
    pick lead time while lines are unconfirmed, the release lead time while not yet released, and a day per
    open IRN / e-way bill rejection. The reasons are returned even when the date is still in time.
    """
    if shp.get("dispatched_at"):
        return ist_date(datetime.fromisoformat(shp["dispatched_at"])), []
    if shp.get("status") == "cancelled":
        return None, []
    start = today
    reasons: list[str] = []
    credit_state = view["credit"]
    if credit_state.get("status") == "held":
        due = _dt(credit_state.get("sanction_due_by"))
        if due is not None:
            start = max(start, ist_date(due))
        reasons.append(f"awaiting credit sanction (due by {credit_state.get('sanction_due_by')})")
    elif credit_state.get("status") == "rejected":
        return None, ["credit rejected"]
    days = 0
    if shp.get("planned"):
        days += lead.release_days
        reasons.append("not released to the warehouse yet")
    lines = shp.get("lines") or []
    unconfirmed = [ln for ln in lines if not ln.get("confirmed")]
    if shp.get("planned") or unconfirmed or not lines:
        days += lead.pick_days_at(shp.get("warehouse_id"))
        if not shp.get("planned"):
            confirmed = len(lines) - len(unconfirmed)
            reasons.append(f"picking: {confirmed} of {len(lines)} lines confirmed")
    elif shp.get("status") in ("picked",) and not shp.get("transport"):
        reasons.append("waiting for vehicle details")
    if shp.get("status") == "waiting_for_invoice":
        reasons.append("waiting for a new invoice: the earlier one was cancelled (gate closed)")
    elif shp.get("status") == "waiting_for_ewaybill":
        reasons.append("waiting for a new e-way bill: the earlier one was cancelled (gate closed)")
    days += lead.documents_days
    for exc in view["exceptions"]:
        if exc["open"] and exc.get("shipment_id") == shp.get("shipment_id") and exc["kind"] in (
                "irn_rejected", "ewaybill_rejected"):
            days += lead.rejection_days
            reasons.append(f"{exc['kind'].replace('_', ' ')}: {exc['detail']}")
    return start + timedelta(days=days), reasons


def planned_shipments(view: View) -> list[dict[str, Any]]:
    """Reservations not yet released: the shipments they will become (one per warehouse)."""
    if view["cancelled"] and not view["cancelled"].get("partial"):
        return []
    planned = []
    for r in view["reservations"]:
        if r.get("released"):
            continue
        promised = [_d(_promised(view, ln["line_no"])) for ln in r["lines"]]
        committed = min((p for p in promised if p), default=_d(view["committed_date"]))
        planned.append({"shipment_id": None, "warehouse_id": r["warehouse_id"], "status": "reserved",
                        "planned": True, "committed_date": _iso(committed),
                        "lines": [{**ln, "released": ln["quantity"], "confirmed": False} for ln in r["lines"]]})
    return planned


def order_status(view: View) -> str:
    shipments = [s for s in view["shipments"] if s["status"] != "cancelled"]
    dispatched = [s for s in shipments if s["status"] == "dispatched"]
    if view["cancelled"] and not view["cancelled"].get("partial"):
        return "cancelled"
    if view["settled_on"]:
        return "paid"
    if view["closed_at"]:
        return "closed"
    if shipments and len(dispatched) == len(shipments):
        return "backordered" if view["backorders"] else "dispatched"
    if dispatched:
        return "partially_dispatched"
    if view["credit"].get("status") == "held":
        return "credit_hold"
    if view["credit"].get("status") == "rejected":
        return "credit_rejected"
    if shipments:
        order = ["released", "picking", "picked", "ready", "waiting_for_invoice", "invoiced", "waiting_for_ewaybill",
                 "ewaybill_ready"]
        least = min(shipments, key=lambda s: order.index(s["status"]) if s["status"] in order else 0)
        return str(least["status"])
    if view["backorders"] or (view["shortfalls"] and not view["reservations"]):
        return "backordered"
    if view["reservations"]:
        return "reserved"
    return "confirmed" if view["order_no"] else "unknown"


def derive(view: View, now: datetime, lead: LeadTimes = DEFAULT_LEAD_TIMES) -> View:
    """Recompute status, expected dispatch dates and risk as of `now` (what the page shows)."""
    today = ist_date(now)
    view["status"] = order_status(view)
    view["planned_shipments"] = planned_shipments(view)
    for shp in view["shipments"] + view["planned_shipments"]:
        expected, reasons = expected_dispatch(view, shp, today, lead)
        committed = _d(shp.get("committed_date")) or _d(view["committed_date"])
        shp["expected_dispatch_date"] = _iso(expected)
        late = expected is not None and committed is not None and expected > committed
        shp["at_risk"] = bool(late) and not shp.get("dispatched_at")
        shp["late"] = bool(late)
        if late and expected is not None and committed is not None:
            shp["risk"] = (f"expected {expected.isoformat()}, {(expected - committed).days} day(s) after the "
                           f"committed {committed.isoformat()}" + (": " + "; ".join(reasons) if reasons else ""))
        else:
            shp["risk"] = None
        shp["pending"] = reasons
    arrivals = view.get("backorder_arrivals") or {}
    for b in view["backorders"]:
        if str(b["line_no"]) in arrivals:  # stock on its way to it (BackorderRescheduled)
            b["expected_date"] = arrivals[str(b["line_no"])]
        eta = _d(b.get("expected_date"))
        promised = _d(b.get("promised_date")) or _d(view["committed_date"])
        if eta is None:
            b.update(expected_dispatch_date=None, at_risk=True, risk="no stock receipt planned")
            continue
        expected = max(eta, today) + timedelta(days=lead.pick_days)
        late = promised is not None and expected > promised
        b.update(expected_dispatch_date=expected.isoformat(), at_risk=late,
                 risk=(f"stock expected {eta.isoformat()}; dispatch {expected.isoformat()} after committed "
                       f"{promised.isoformat()}") if late and promised else None)
    dates = [s["expected_dispatch_date"] for s in view["shipments"] + view["planned_shipments"]
             if s["expected_dispatch_date"] and not s.get("dispatched_at")]
    view["next_dispatch_date"] = min(dates) if dates else None
    view["open_exceptions"] = [e for e in view["exceptions"] if e["open"]]
    view["as_of"] = now.astimezone(UTC).isoformat()
    return view


def order_warehouses(view: View) -> set[str]:
    """The warehouses the order is reserved at or shipped from."""
    found = {str(r["warehouse_id"]) for r in view.get("reservations") or [] if r.get("warehouse_id")}
    found |= {str(s["warehouse_id"]) for s in view.get("shipments") or [] if s.get("warehouse_id")}
    return found


def search_terms(view: View) -> list[tuple[str, str]]:
    """(kind, value) pairs a person may search the order by."""
    terms: list[tuple[str, str]] = [("order", view["order_id"])]
    if view["order_no"]:
        terms.append(("order", view["order_no"]))
    if view["quotation"]:
        terms.append(("quotation", view["quotation"]["quotation_id"]))
        if view["quotation"].get("quotation_no"):
            terms.append(("quotation", view["quotation"]["quotation_no"]))
    cust = view["customer"]
    if cust.get("name"):
        terms.append(("customer", cust["name"]))
    if cust.get("trade_name"):
        terms.append(("customer", cust["trade_name"]))
    if (view.get("ship_to") or {}).get("name"):
        terms.append(("customer", view["ship_to"]["name"]))
    if cust.get("gstin"):
        terms.append(("gstin", cust["gstin"]))
    if view.get("customer_po_no"):
        terms.append(("po", view["customer_po_no"]))
    for shp in view["shipments"]:
        if shp.get("shipment_no"):
            terms.append(("shipment", shp["shipment_no"]))
        if shp.get("invoice"):
            terms.append(("invoice", shp["invoice"]["invoice_no"]))
        if shp.get("ewaybill") and shp["ewaybill"].get("ewaybill_no"):
            terms.append(("ewaybill", shp["ewaybill"]["ewaybill_no"]))
        t = shp.get("transport") or {}
        if t.get("lr_no"):
            terms.append(("lr", t["lr_no"]))
        if t.get("vehicle_no"):
            terms.append(("vehicle", t["vehicle_no"]))
    seen: set[tuple[str, str]] = set()
    out = []
    for kind, value in terms:
        if (kind, value) not in seen:
            seen.add((kind, value))
            out.append((kind, value))
    return out


def normalise_term(value: str) -> str:
    """Search is case- and space-insensitive (vehicle numbers are written 'KA 01 AB 1234' and 'KA01AB1234')."""
    return "".join(value.split()).upper()
