"""The order saga coordinator's decisions: when to release an order to the warehouses, and what to undo.

Pure logic, no I/O. The service layer keeps one `OrderSaga` per order (persisted with `version` for optimistic
locking), applies each incoming reply with the event functions below (`credit_decided`, `stock_reserved`, …),
then calls `decide(saga, now)` and `record(saga, decisions)` in the same transaction that writes the outbox.
Every decision carries a `key`, stable for the same state, used as the command's `request_id`: deciding twice
before recording gives the same keys (the outbox drops the repeat), and once recorded a decision is never
made again. Duplicate or late replies (an older revision, an unknown request id, an outcome that would go
backwards) change nothing.

Gate: an order (or a later part of it) is released when credit is cleared (approved or sanctioned) AND stock
is reserved — all of it, or part of it for a ship-partial customer.

Compensation (docs/flow.md) and how each row is decided here:

- credit rejected, or the sanction expired → `ReleaseReservation`, order cancelled with the reason kept
  (notify tells the customer from `OrderCancelled`). Credit releases the exposure itself, so no
  `ReleaseCreditExposure` is sent.
- reservation failed (nothing anywhere) → `ReleaseCreditExposure`, then backordered with the expected dates
  or cancelled, per the customer's shortage policy.
- partial reservation, ship-complete → the reservation is held for `hold_period`; then `ReleaseReservation`,
  `ReleaseCreditExposure` and the whole order backordered.
- partial reservation, ship-partial → `ReleaseCreditExposure` for the unreserved part; released for what is
  reserved, backordered for the rest.
- customer cancels before gate-out → `CancelPickList` for released shipments, `ReleaseReservation`,
  `ReleaseCreditExposure`; order cancelled.
- short pick not re-reservable → `ReserveStock` is tried first; if it fails, `ReleaseCreditExposure` for the
  shortfall, the shipment goes short and the shortfall is backordered.

`ReleaseCreditExposure` is never decided row by row: the saga keeps the quantities credit counts as open for
the order (`exposure`) and releases whatever exceeds what is still meant to ship (released, undispatched
shipments and rounds still waiting). That one rule produces every exposure row of the table and cannot
release the same rupee twice.

Gaps in docs/flow.md, decided here:

1. A credit-held order whose reservation then fails: the order is backordered or cancelled at once (per the
   shortage policy) and its exposure released; a sanction or rejection arriving later changes nothing for
   the backordered part, because a refill always re-checks credit. Credit should treat a whole-order
   `ReleaseCreditExposure` as withdrawing the pending sanction request (open question for credit).
2. Reservation failed while credit has not answered yet: the order is backordered/cancelled at once, but
   `ReleaseCreditExposure` waits for credit's answer — commands and events travel on different topics, so a
   release could overtake the `OrderConfirmed` credit has not counted yet. If credit then rejects, nothing
   is sent (credit released it).
3. Credit refused while the reservation has not answered: `ReleaseReservation` goes at once for the lines
   asked for; if a reservation still arrives afterwards it is released again under its own key.
4. Backorder refills (`BackorderFilled`): the filled part is re-checked with `RecheckCredit` only once it is
   releasable (ship-complete customers need the whole backorder filled; a partial fill is held like any
   partial reservation and then released back). A refused re-check releases the fill and cancels the
   backordered remainder; shipments already out continue and the order closes when they are done.
5. Amendment after release but before gate-out: open shipments get `CancelPickList` (inventory re-reserves
   from `OrderAmended` itself); the new revision is released only when those cancellations are confirmed and
   credit and stock answered for the new revision. A pick-list cancellation refused because the goods left
   is raised as an exception for a person.
6. Customer cancellation: a released shipment's reservation and exposure are released only after dispatch
   confirms `PickListCancelled` (if the truck already left, the goods are invoiced and count as receivable).
   A refusal is raised as an exception (arrange a return).
7. Closing requires every shipment dispatched (or cancelled) and notified, nothing backordered, no round
   waiting and no compensation awaiting its reply. Re-opening a closed order starts a new round that sends
   `RecheckCredit` and `ReserveStock`; earlier approvals never count for it.
8. A short pick under ship-complete still ships short (the goods are picked; the table says so).
9. Reservation outcomes only improve: a FULL outcome may replace a PARTIAL one for the same round (stock
   topped up during the ship-complete hold); anything else repeated is ignored.
10. Undo after documents exist (issue 21): a shipment cancelled before gate-out after it was invoiced (the
   order cancelled or amended) has its documents undone by their owners, in the law's order: `CancelEwayBill`
   first (within the portal's 24 hours; refused past it, the bill lapses unused), then `UndoInvoice`
   (cancelled with its IRN within the IRP's 24 hours, otherwise a credit note). The shipment's exposure is
   released only once its invoice is undone (a cancelled or undo-credited invoice puts its amount back on the
   open order at credit); the reservation goes back as for any cancelled shipment. An order reduced this way
   releases no exposure: credit counts the new revision itself. An invoice that can be neither cancelled nor
   credited fails the saga: a failed compensation for a person.
11. Goods put back before gate-out (issue 21): a cancelled invoice re-issued for fewer units makes dispatch put
   the difference back on the shelf (`ShipmentReduced`). It stays reserved for the order, so `goods_put_back` takes
   it off its shipment and opens a `PUT_BACK` round with that reservation already in hand and credit cleared:
   released at once as a shipment of its own from the same warehouse; its exposure stays counted.

Quantities are units to ship (ordered plus scheme free units); the gross value of a part of a line is the
line's gross value pro rata, rounded to the paisa.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from o2c.sales.domain.customer import ShipPolicy, ShortagePolicy
from o2c.sales.domain.errors import InvalidValue, RuleViolation
from o2c.sales.domain.money import ZERO, Money, to_paise

DEFAULT_HOLD_PERIOD = timedelta(hours=48)
_MAX_STEPS = 20


# --- outcomes the saga listens to ---------------------------------------------------------------


class CreditOutcome(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    HELD = "held"
    SANCTIONED = "sanctioned"
    REJECTED = "rejected"
    EXPIRED = "expired"  # the sanction was not decided within the hold period

    @property
    def is_cleared(self) -> bool:
        return self in (CreditOutcome.APPROVED, CreditOutcome.SANCTIONED)

    @property
    def is_refused(self) -> bool:
        return self in (CreditOutcome.REJECTED, CreditOutcome.EXPIRED)

    @property
    def is_counted(self) -> bool:
        """Credit counts the amount as open exposure (a held order counts while it waits)."""
        return self in (CreditOutcome.APPROVED, CreditOutcome.HELD, CreditOutcome.SANCTIONED)


_CREDIT_MOVES: Mapping[CreditOutcome, frozenset[CreditOutcome]] = {
    CreditOutcome.PENDING: frozenset(set(CreditOutcome) - {CreditOutcome.PENDING}),
    CreditOutcome.HELD: frozenset({CreditOutcome.SANCTIONED, CreditOutcome.REJECTED, CreditOutcome.EXPIRED}),
    CreditOutcome.APPROVED: frozenset(),
    CreditOutcome.SANCTIONED: frozenset(),
    CreditOutcome.REJECTED: frozenset(),
    CreditOutcome.EXPIRED: frozenset(),
}


class ReservationOutcome(StrEnum):
    FULL = "full"
    PARTIAL = "partial"
    FAILED = "failed"


class CancellationReason(StrEnum):
    """Same values as the v1 contract's CancellationReason."""

    CREDIT_REJECTED = "credit_rejected"
    SANCTION_TIMEOUT = "sanction_timeout"
    OUT_OF_STOCK = "out_of_stock"
    CUSTOMER_REQUEST = "customer_request"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class LineQuantity:
    line_no: int
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Shortfall:
    """A quantity of a line that waits for stock, with the date inventory expects it (None: unplanned)."""

    line_no: int
    quantity: Decimal
    expected_date: date | None = None


@dataclass(frozen=True, slots=True)
class ReservedShipment:
    """What one warehouse reserved: one future shipment."""

    warehouse_id: str
    lines: tuple[LineQuantity, ...]


@dataclass(frozen=True, slots=True)
class Reservation:
    """Inventory's answer for one round: reserved shipments per warehouse and the shortfalls."""

    outcome: ReservationOutcome
    shipments: tuple[ReservedShipment, ...]
    shortfalls: tuple[Shortfall, ...]
    received_at: datetime

    @classmethod
    def full(cls, shipments: Iterable[ReservedShipment], at: datetime) -> Reservation:
        return cls(ReservationOutcome.FULL, tuple(shipments), (), at)

    @classmethod
    def partial(
        cls, shipments: Iterable[ReservedShipment], shortfalls: Iterable[Shortfall], at: datetime
    ) -> Reservation:
        return cls(ReservationOutcome.PARTIAL, tuple(shipments), tuple(shortfalls), at)

    @classmethod
    def failed(cls, shortfalls: Iterable[Shortfall], at: datetime) -> Reservation:
        return cls(ReservationOutcome.FAILED, (), tuple(shortfalls), at)

    @property
    def reserved_lines(self) -> tuple[LineQuantity, ...]:
        return _sum_lines(line for shipment in self.shipments for line in shipment.lines)

    def expected_date(self, line_no: int) -> date | None:
        return next((s.expected_date for s in self.shortfalls if s.line_no == line_no), None)


# --- quantities by line --------------------------------------------------------------------------


def _sum_lines(lines: Iterable[LineQuantity]) -> tuple[LineQuantity, ...]:
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[line.line_no] += line.quantity
    return tuple(LineQuantity(no, qty) for no, qty in sorted(totals.items()) if qty != 0)


def _minus(left: Iterable[LineQuantity], right: Iterable[LineQuantity]) -> tuple[LineQuantity, ...]:
    """Per line, what `left` has beyond `right` (never negative)."""
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for line in left:
        totals[line.line_no] += line.quantity
    for line in right:
        totals[line.line_no] -= line.quantity
    return tuple(LineQuantity(no, qty) for no, qty in sorted(totals.items()) if qty > 0)


# --- the saga's own state --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SagaLine:
    """An order line as the saga sees it: units to ship and the line's gross value (with GST)."""

    line_no: int
    item_code: str
    quantity: Decimal
    gross_value: Money

    def gross_for(self, quantity: Decimal) -> Money:
        if quantity == self.quantity:
            return self.gross_value
        return to_paise(self.gross_value * quantity / self.quantity)


class RoundKind(StrEnum):
    ORDER = "order"  # the order as confirmed or amended: credit and inventory react to the order event
    REFILL = "refill"  # a backorder filled by inventory: credit is re-checked for the filled part
    SHORT_PICK = "short_pick"  # a short pick to re-reserve elsewhere: exposure is still counted
    PUT_BACK = "put_back"  # goods put back on the shelf before gate-out, still reserved: shipped on their own


class Settlement(StrEnum):
    RELEASED = "released"
    BACKORDERED = "backordered"
    CANCELLED = "cancelled"  # the whole order was cancelled while this round waited
    REFUSED = "refused"  # credit refused this round
    SUPERSEDED = "superseded"  # an amendment replaced the revision this round served


@dataclass(frozen=True, slots=True)
class Round:
    """One attempt to release (part of) the order: its credit outcome and its reservation."""

    number: int
    kind: RoundKind
    revision: int
    lines: tuple[LineQuantity, ...]
    credit: CreditOutcome = CreditOutcome.PENDING
    reservation: Reservation | None = None
    recheck_lines: tuple[LineQuantity, ...] = ()
    settlement: Settlement | None = None
    source_id: str | None = None

    @property
    def is_open(self) -> bool:
        return self.settlement is None

    @property
    def asks_stock(self) -> bool:
        """Whether the saga itself asks inventory (ReserveStock) rather than inventory reacting to the order."""
        return self.kind is RoundKind.SHORT_PICK


class ShipmentState(StrEnum):
    RELEASED = "released"
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"
    DISPATCHED = "dispatched"


@dataclass(frozen=True, slots=True)
class ShipmentProgress:
    shipment_id: str
    round_no: int
    warehouse_id: str
    lines: tuple[LineQuantity, ...]
    state: ShipmentState = ShipmentState.RELEASED
    notified: bool = False
    cancelled_for_amendment: bool = False

    @property
    def is_open(self) -> bool:
        """Released and not yet through the gate (its pick list can still be cancelled)."""
        return self.state is ShipmentState.RELEASED


class UndoState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class DocumentUndo:
    """The documents of a shipment cancelled before gate-out after it was invoiced, and how their undo went."""

    shipment_id: str
    invoice_id: str
    invoice_no: str
    ewaybill_no: str | None = None
    ewaybill: UndoState = UndoState.PENDING
    ewaybill_outcome: str = ""
    invoice: UndoState = UndoState.PENDING
    invoice_outcome: str = ""

    @classmethod
    def of(cls, shipment_id: str, invoice_id: str, invoice_no: str, ewaybill_no: str | None) -> DocumentUndo:
        if ewaybill_no is None:
            return cls(shipment_id, invoice_id, invoice_no, None, UndoState.DONE, "no e-way bill to cancel")
        return cls(shipment_id, invoice_id, invoice_no, ewaybill_no)


class SagaStatus(StrEnum):
    WAITING = "waiting"  # for credit and/or stock
    HOLDING = "holding"  # partial reservation held for a ship-complete customer
    RELEASED = "released"
    PARTIALLY_RELEASED = "partially_released"
    BACKORDERED = "backordered"
    CANCELLED = "cancelled"
    CLOSED = "closed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class OrderSaga:
    """Everything the coordinator knows about one order. Immutable: every change returns a new saga."""

    order_id: str
    customer_id: str
    revision: int
    ship_policy: ShipPolicy
    shortage_policy: ShortagePolicy
    lines: tuple[SagaLine, ...]
    rounds: tuple[Round, ...]
    hold_period: timedelta = DEFAULT_HOLD_PERIOD
    shipments: tuple[ShipmentProgress, ...] = ()
    backorder: tuple[Shortfall, ...] = ()
    exposure: tuple[LineQuantity, ...] = ()
    exposure_releases: int = 0
    cancel_requested: CancellationReason | None = None
    cancel_note: str = ""
    cancelled: bool = False
    closed: bool = False
    issued: frozenset[str] = frozenset()
    awaiting: frozenset[str] = frozenset()
    problems: tuple[str, ...] = ()
    failure: str | None = None
    parked: str | None = None
    undo: tuple[DocumentUndo, ...] = ()
    version: int = 0

    @property
    def status(self) -> SagaStatus:
        if self.failure is not None:
            return SagaStatus.FAILED
        if self.closed:
            return SagaStatus.CLOSED
        if self.cancelled:
            return SagaStatus.CANCELLED
        released = any(s.state is not ShipmentState.CANCELLED for s in self.shipments)
        if self.backorder:
            return SagaStatus.PARTIALLY_RELEASED if released else SagaStatus.BACKORDERED
        open_rounds = [r for r in self.rounds if r.is_open]
        if open_rounds and not released:
            holding = any(
                r.reservation is not None and r.reservation.outcome is ReservationOutcome.PARTIAL for r in open_rounds
            )
            holding = holding and self.ship_policy is ShipPolicy.SHIP_COMPLETE
            return SagaStatus.HOLDING if holding else SagaStatus.WAITING
        return SagaStatus.RELEASED if released else SagaStatus.WAITING

    @property
    def is_compensating(self) -> bool:
        return (self.cancelled or self.cancel_requested is not None) and bool(self.awaiting)

    def round(self, number: int) -> Round:
        return next(r for r in self.rounds if r.number == number)

    def key(self, tag: str) -> str:
        return f"{self.order_id}:{tag}"

    def irn_rejected_after_dispatch_key(self, invoice_id: str) -> str:
        return irn_rejected_after_dispatch_key(self.order_id, invoice_id)

    def gross_of(self, lines: Iterable[LineQuantity]) -> Money:
        by_no = {line.line_no: line for line in self.lines}
        return sum((by_no[line.line_no].gross_for(line.quantity) for line in lines if line.line_no in by_no), ZERO)


# --- decisions ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShipmentRelease:
    shipment_id: str
    warehouse_id: str
    lines: tuple[LineQuantity, ...]


@dataclass(frozen=True, slots=True)
class ReleaseShipments:
    """Publish `OrderReleased` (release number = round number) with these shipments; backordered lines, if
    any, also go out as `OrderBackordered`."""

    key: str
    round_no: int
    shipments: tuple[ShipmentRelease, ...]
    backordered: tuple[Shortfall, ...] = ()


@dataclass(frozen=True, slots=True)
class SendReleaseReservation:
    """Command inventory to release these reserved lines (empty: everything the order holds)."""

    key: str
    lines: tuple[LineQuantity, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class SendReleaseCreditExposure:
    """Command credit to stop counting `amount` (gross) of the order as open exposure."""

    key: str
    amount: Money
    lines: tuple[LineQuantity, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class SendRecheckCredit:
    """Command credit to decide again for `amount` (gross): a filled backorder about to ship."""

    key: str
    round_no: int
    amount: Money
    lines: tuple[LineQuantity, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class SendReserveStock:
    """Command inventory to reserve these lines (a short pick to cover)."""

    key: str
    round_no: int
    lines: tuple[LineQuantity, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class SendCancelPickList:
    """Command dispatch to cancel the shipment's pick list and put staged goods back into their bins."""

    key: str
    shipment_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class SendCancelEwayBill:
    """Command ewaybill to cancel a cancelled shipment's e-way bill."""

    key: str
    shipment_id: str
    invoice_id: str
    ewaybill_no: str
    reason: str


@dataclass(frozen=True, slots=True)
class SendUndoInvoice:
    """Command invoicing to cancel (or, past its window, credit in full) a cancelled shipment's invoice."""

    key: str
    shipment_id: str
    invoice_id: str
    ewaybill_cancelled: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class MarkBackordered:
    """The round's lines wait for stock: publish `OrderBackordered` with the expected dates."""

    key: str
    round_no: int
    lines: tuple[Shortfall, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class MarkCancelled:
    """Publish `OrderCancelled` with the reason. `round_no` None: the order is cancelled (`whole_order` when
    nothing went through the gate; else `lines` is the cancelled remainder). With `round_no`: only that round
    and the backorder are cancelled, and the order closes once its shipments are done."""

    key: str
    reason: CancellationReason
    whole_order: bool
    lines: tuple[LineQuantity, ...] = ()
    round_no: int | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class CloseOrder:
    """Publish `OrderClosed`: every shipment dispatched and notified, nothing backordered."""

    key: str


@dataclass(frozen=True, slots=True)
class RaiseException:
    """Show the order as an exception for a person (compensation failing, a race with the gate)."""

    key: str
    reason: str


@dataclass(frozen=True, slots=True)
class Wait:
    """Nothing to do until a reply comes (or `until`, when the service should call `decide` again)."""

    reason: str
    until: datetime | None = None
    key: str = field(default="", compare=False)


Command = (SendReleaseReservation | SendReleaseCreditExposure | SendRecheckCredit | SendReserveStock
           | SendCancelPickList | SendCancelEwayBill | SendUndoInvoice)
Decision = Command | ReleaseShipments | MarkBackordered | MarkCancelled | CloseOrder | RaiseException | Wait
COMMAND_TYPES = (
    SendReleaseReservation,
    SendReleaseCreditExposure,
    SendRecheckCredit,
    SendReserveStock,
    SendCancelPickList,
    SendCancelEwayBill,
    SendUndoInvoice,
)


def is_command(decision: Decision) -> bool:
    return isinstance(decision, COMMAND_TYPES)


# --- starting and feeding the saga ---------------------------------------------------------------------


def start(
    *,
    order_id: str,
    customer_id: str,
    revision: int,
    lines: Sequence[SagaLine],
    ship_policy: ShipPolicy,
    shortage_policy: ShortagePolicy,
    hold_period: timedelta = DEFAULT_HOLD_PERIOD,
) -> OrderSaga:
    """The saga of a confirmed order: credit and inventory both react to `OrderConfirmed`."""
    if not lines:
        raise InvalidValue("lines", "an order saga needs at least one line")
    numbers = [line.line_no for line in lines]
    if len(set(numbers)) != len(numbers):
        raise InvalidValue("lines", "line numbers must be unique")
    if hold_period <= timedelta(0):
        raise InvalidValue("hold_period", "must be positive")
    first = Round(1, RoundKind.ORDER, revision, tuple(LineQuantity(x.line_no, x.quantity) for x in lines))
    return OrderSaga(
        order_id=order_id,
        customer_id=customer_id,
        revision=revision,
        ship_policy=ship_policy,
        shortage_policy=shortage_policy,
        lines=tuple(lines),
        rounds=(first,),
        hold_period=hold_period,
    )


def _changed(saga: OrderSaga, **changes: object) -> OrderSaga:
    return replace(saga, version=saga.version + 1, **changes)  # type: ignore[arg-type]


def _with_round(saga: OrderSaga, updated: Round, **changes: object) -> OrderSaga:
    rounds = tuple(updated if r.number == updated.number else r for r in saga.rounds)
    return _changed(saga, rounds=rounds, **changes)


def _round_for(saga: OrderSaga, revision: int, request_id: str | None, *, credit: bool) -> Round | None:
    if request_id is not None:
        tag = "recheck-credit" if credit else "reserve-stock"
        return next((r for r in saga.rounds if request_id == saga.key(f"round-{r.number}:{tag}")), None)
    candidates = [r for r in saga.rounds if r.kind is RoundKind.ORDER and r.revision == revision]
    return candidates[-1] if candidates else None


def credit_decided(
    saga: OrderSaga, outcome: CreditOutcome, *, revision: int, request_id: str | None = None
) -> OrderSaga:
    """Credit answered (`CreditApproved/Held/Sanctioned/Rejected`) for a revision or a RecheckCredit request.
    Late, duplicate or backward answers change nothing."""
    target = _round_for(saga, revision, request_id, credit=True)
    if target is None or target.settlement is Settlement.SUPERSEDED:
        return saga
    if outcome not in _CREDIT_MOVES[target.credit]:
        return saga
    exposure = saga.exposure
    if target.kind is RoundKind.ORDER:
        if target.credit is CreditOutcome.PENDING and outcome.is_counted:
            exposure = target.lines  # credit counts the whole revision (it replaces an older one)
        elif outcome.is_refused:
            exposure = ()  # credit released the order's exposure itself
    elif target.credit is CreditOutcome.PENDING and outcome.is_counted:
        exposure = _sum_lines((*saga.exposure, *(target.recheck_lines or target.lines)))
    awaiting = saga.awaiting - {request_id} if request_id else saga.awaiting
    return _with_round(saga, replace(target, credit=outcome), exposure=exposure, awaiting=awaiting)


def stock_reserved(
    saga: OrderSaga, reservation: Reservation, *, revision: int, request_id: str | None = None
) -> OrderSaga:
    """Inventory answered (`StockReserved/PartiallyReserved/ReservationFailed`) for a revision or a
    ReserveStock request. A repeated answer is ignored; FULL may replace PARTIAL (stock topped up)."""
    target = _round_for(saga, revision, request_id, credit=False)
    if target is None or target.settlement is Settlement.SUPERSEDED:
        return saga
    current = target.reservation
    if current is not None and not (
        current.outcome is ReservationOutcome.PARTIAL and reservation.outcome is ReservationOutcome.FULL
    ):
        return saga
    awaiting = saga.awaiting - {request_id} if request_id else saga.awaiting
    return _with_round(saga, replace(target, reservation=reservation), awaiting=awaiting)


def backorder_filled(
    saga: OrderSaga,
    *,
    fill_id: str,
    shipments: Iterable[ReservedShipment],
    remaining: Iterable[Shortfall],
    at: datetime,
) -> OrderSaga:
    """Inventory reserved stock for the backorder (`BackorderFilled`): a new round, re-checked by credit."""
    if saga.cancelled or saga.closed or any(r.source_id == fill_id for r in saga.rounds):
        return saga
    filled = tuple(shipments)
    short = tuple(remaining)
    if not filled:
        return saga
    reserved = _sum_lines(line for s in filled for line in s.lines)
    lines = _sum_lines((*reserved, *(LineQuantity(s.line_no, s.quantity) for s in short)))
    reservation = Reservation.partial(filled, short, at) if short else Reservation.full(filled, at)
    number = len(saga.rounds) + 1
    refill = Round(number, RoundKind.REFILL, saga.revision, lines, reservation=reservation, source_id=fill_id)
    return _changed(saga, rounds=(*saga.rounds, refill), backorder=())


def pick_short(saga: OrderSaga, *, shipment_id: str, line_no: int, quantity: Decimal) -> OrderSaga:
    """A pick confirmation came short: the shipment goes with less and the shortfall is re-reserved."""
    source = f"short:{shipment_id}:{line_no}"
    shipment = next((s for s in saga.shipments if s.shipment_id == shipment_id), None)
    if shipment is None or not shipment.is_open or any(r.source_id == source for r in saga.rounds):
        return saga
    picked = _minus(shipment.lines, [LineQuantity(line_no, quantity)])
    taken = _minus(shipment.lines, picked)
    if not taken:
        return saga
    number = len(saga.rounds) + 1
    cover = Round(number, RoundKind.SHORT_PICK, saga.revision, taken, credit=CreditOutcome.APPROVED, source_id=source)
    shipments = tuple(replace(s, lines=picked) if s.shipment_id == shipment_id else s for s in saga.shipments)
    return _changed(saga, rounds=(*saga.rounds, cover), shipments=shipments)


def goods_put_back(saga: OrderSaga, *, shipment_id: str, source_id: str, lines: Sequence[LineQuantity],
                   at: datetime) -> OrderSaga:
    """A shipment's invoice was re-issued for less before gate-out (issue 21) and dispatch put the difference
    back on the shelf, where it stays reserved for the order: the shipment goes with less, and the put-back
    units are released as a shipment of their own from the same warehouse (no new reservation, credit still
    counts them). Repeats (same `source_id`) change nothing."""
    shipment = next((s for s in saga.shipments if s.shipment_id == shipment_id), None)
    if shipment is None or not shipment.is_open or any(r.source_id == source_id for r in saga.rounds):
        return saga
    carried = _minus(shipment.lines, lines)
    taken = _minus(shipment.lines, carried)
    if not taken:
        return saga
    reservation = Reservation.full([ReservedShipment(shipment.warehouse_id, taken)], at)
    again = Round(len(saga.rounds) + 1, RoundKind.PUT_BACK, saga.revision, taken, credit=CreditOutcome.APPROVED,
                  reservation=reservation, source_id=source_id)
    shipments = tuple(replace(s, lines=carried) if s.shipment_id == shipment_id else s for s in saga.shipments)
    return _changed(saga, rounds=(*saga.rounds, again), shipments=shipments)


def _shipment_update(saga: OrderSaga, shipment_id: str, **changes: object) -> OrderSaga:
    if not any(s.shipment_id == shipment_id for s in saga.shipments):
        return saga
    shipments = tuple(
        replace(s, **changes) if s.shipment_id == shipment_id else s  # type: ignore[arg-type]
        for s in saga.shipments
    )
    return _changed(saga, shipments=shipments)


def shipment_dispatched(saga: OrderSaga, shipment_id: str) -> OrderSaga:
    """Gate-out (`ShipmentDispatched`): the shipment's value moves from open order to receivable."""
    shipment = next((s for s in saga.shipments if s.shipment_id == shipment_id), None)
    if shipment is None or shipment.state is ShipmentState.DISPATCHED:
        return saga
    updated = _shipment_update(saga, shipment_id, state=ShipmentState.DISPATCHED)
    return replace(updated, exposure=_minus(saga.exposure, shipment.lines))


def customer_notified(saga: OrderSaga, shipment_id: str) -> OrderSaga:
    shipment = next((s for s in saga.shipments if s.shipment_id == shipment_id), None)
    if shipment is None or shipment.notified:
        return saga
    return _shipment_update(saga, shipment_id, notified=True)


def pick_list_cancelled(saga: OrderSaga, shipment_id: str, documents: DocumentUndo | None = None) -> OrderSaga:
    """Dispatch confirmed the pick list cancelled and the goods back in their bins; `documents` when the
    shipment was already invoiced (its e-way bill and invoice are then undone by their owners).

    Unasked, it means nothing was picked on any line: dispatch closed the empty shipment after reporting
    every line short (each shortfall already became its own round), so nothing will ship from it.
    """
    if documents is not None and not any(u.shipment_id == shipment_id for u in saga.undo):
        saga = _changed(saga, undo=(*saga.undo, documents))
    shipment = next((s for s in saga.shipments if s.shipment_id == shipment_id), None)
    if shipment is not None and shipment.state is ShipmentState.RELEASED and not shipment.lines:
        return _shipment_update(saga, shipment_id, state=ShipmentState.CANCELLED)
    if shipment is None or shipment.state is not ShipmentState.CANCELLING:
        return saga
    updated = _shipment_update(saga, shipment_id, state=ShipmentState.CANCELLED)
    return replace(updated, awaiting=updated.awaiting - {saga.key(f"shipment-{shipment_id}:cancel-pick-list")})


def pick_list_cancellation_refused(saga: OrderSaga, shipment_id: str) -> OrderSaga:
    """The goods had already left the gate: the shipment stands, and a person must sort it out."""
    shipment = next((s for s in saga.shipments if s.shipment_id == shipment_id), None)
    if shipment is None or shipment.state is not ShipmentState.CANCELLING:
        return saga
    updated = shipment_dispatched(saga, shipment_id)
    why = "an amendment" if shipment.cancelled_for_amendment else "the customer's cancellation"
    problem = (f"shipment {shipment_id} left the gate before {why} reached dispatch: it cannot be undone by "
               "cancelling; arrange a return (POST /returns in sales), whose credit note follows the goods received")
    return replace(
        updated,
        awaiting=updated.awaiting - {saga.key(f"shipment-{shipment_id}:cancel-pick-list")},
        problems=(*updated.problems, problem),
    )


def late_invoice(saga: OrderSaga, shipment_id: str, invoice_id: str, invoice_no: str) -> OrderSaga:
    """An invoice issued for a shipment already cancelled (the cancellation overtook ShipmentReady on its way to
    invoicing): it is undone like any other."""
    shipment = next((s for s in saga.shipments if s.shipment_id == shipment_id), None)
    if shipment is None or shipment.state is not ShipmentState.CANCELLED:
        return saga
    if any(u.shipment_id == shipment_id for u in saga.undo):
        return saga
    return _changed(saga, undo=(*saga.undo, DocumentUndo.of(shipment_id, invoice_id, invoice_no, None)))


def _undo_update(saga: OrderSaga, key: str, suffix: str, **changes: object) -> OrderSaga:
    target = next((u for u in saga.undo if saga.key(f"shipment-{u.shipment_id}:{suffix}") == key), None)
    if target is None:
        return saga
    if (suffix == "cancel-ewaybill" and target.ewaybill is not UndoState.PENDING) or (
            suffix == "undo-invoice" and target.invoice is not UndoState.PENDING):
        return replace(saga, awaiting=saga.awaiting - {key}) if key in saga.awaiting else saga
    updated = replace(target, **changes)  # type: ignore[arg-type]
    return _changed(saga, undo=tuple(updated if u is target else u for u in saga.undo),
                    awaiting=saga.awaiting - {key})


def ewaybill_undone(saga: OrderSaga, key: str, *, cancelled: bool, outcome: str) -> OrderSaga:
    """Ewaybill answered CancelEwayBill: cancelled, or refused (past 24 hours the bill lapses unused; the
    invoice is then undone by credit note)."""
    state = UndoState.DONE if cancelled else UndoState.REFUSED
    return _undo_update(saga, key, "cancel-ewaybill", ewaybill=state, ewaybill_outcome=outcome)


def invoice_undone(saga: OrderSaga, key: str, *, outcome: str, refused: bool = False) -> OrderSaga:
    """Invoicing answered UndoInvoice: cancelled or credited; refused, the saga fails for a person."""
    state = UndoState.REFUSED if refused else UndoState.DONE
    updated = _undo_update(saga, key, "undo-invoice", invoice=state, invoice_outcome=outcome)
    if refused and updated is not saga:
        return compensation_failed(updated, key, outcome)
    return updated


def reply_received(saga: OrderSaga, key: str) -> OrderSaga:
    """A command's reply arrived (`ReservationReleased`, `CreditExposureReleased`, …): stop awaiting it."""
    if key not in saga.awaiting:
        return saga
    return _changed(saga, awaiting=saga.awaiting - {key})


def compensation_failed(saga: OrderSaga, key: str, reason: str) -> OrderSaga:
    """A command kept failing after its retries: the saga is failed and shown as an exception, never silent."""
    if saga.failure is not None:
        return saga
    return _changed(saga, failure=f"{key}: {reason}")


def park(saga: OrderSaga, reason: str) -> OrderSaga:
    """A message of this order was dead-lettered: later messages must not run ahead of it."""
    return _changed(saga, parked=reason)


def unpark(saga: OrderSaga) -> OrderSaga:
    return _changed(saga, parked=None) if saga.parked is not None else saga


def cancellation_requested(
    saga: OrderSaga, reason: CancellationReason = CancellationReason.CUSTOMER_REQUEST, note: str = ""
) -> OrderSaga:
    """The customer cancels (the order aggregate has checked nothing went through the gate)."""
    if saga.closed or saga.cancelled:
        raise RuleViolation(f"order {saga.order_id} is already {saga.status.value}")
    if saga.shipments and all(s.state is ShipmentState.DISPATCHED for s in saga.shipments) and not saga.backorder:
        raise RuleViolation(f"every shipment of order {saga.order_id} has left the gate, so it cannot be undone "
                            "by cancelling: raise a return instead (POST /returns)")
    if saga.cancel_requested is not None:
        return saga
    return _changed(saga, cancel_requested=reason, cancel_note=note)


def order_amended(saga: OrderSaga, *, revision: int, lines: Sequence[SagaLine]) -> OrderSaga:
    """The order changed before dispatch (`OrderAmended`): credit and inventory answer for the new revision;
    open shipments of the old one have their pick lists cancelled first."""
    if revision <= saga.revision:
        return saga  # a repeated or older amendment
    if saga.cancelled or saga.closed:
        raise RuleViolation(f"order {saga.order_id} is {saga.status.value}; it cannot be amended")
    if any(s.state is ShipmentState.DISPATCHED for s in saga.shipments):
        raise RuleViolation(f"order {saga.order_id} has goods through the gate-out; it can no longer be amended")
    rounds = tuple(replace(r, settlement=Settlement.SUPERSEDED) if r.is_open else r for r in saga.rounds)
    shipments = tuple(
        replace(s, state=ShipmentState.CANCELLING, cancelled_for_amendment=True) if s.is_open else s
        for s in saga.shipments
    )
    wanted = tuple(LineQuantity(x.line_no, x.quantity) for x in lines)
    new_round = Round(len(rounds) + 1, RoundKind.ORDER, revision, wanted)
    return _changed(
        saga, revision=revision, lines=tuple(lines), rounds=(*rounds, new_round), shipments=shipments, backorder=()
    )


# --- deciding ------------------------------------------------------------------------------------------


def decide(saga: OrderSaga, now: datetime) -> list[Decision]:
    """Everything the coordinator must do now, in order; `Wait` entries say what it waits for.

    Pure: the same saga gives the same decisions with the same keys. Decisions already recorded are never
    returned again. Apply them with `record`."""
    decisions: list[Decision] = []
    scratch = saga
    for _ in range(_MAX_STEPS):
        step = [d for d in _step(scratch, now) if not isinstance(d, Wait)]
        if not step:
            break
        decisions.extend(step)
        scratch = record(scratch, step)
    else:  # pragma: no cover - a loop here is a bug in the rules, shown rather than hidden
        decisions.append(RaiseException(saga.key("decide-loop"), "the saga did not settle; please investigate"))
    waits = [d for d in _step(scratch, now) if isinstance(d, Wait)]
    return decisions + waits


def advance(saga: OrderSaga, now: datetime) -> tuple[OrderSaga, list[Decision]]:
    """`decide` then `record`: the saga after acting, and what to act on."""
    decisions = decide(saga, now)
    return record(saga, decisions), decisions


def _step(saga: OrderSaga, now: datetime) -> list[Decision]:
    if saga.parked is not None:
        return [Wait(f"parked: {saga.parked}")]
    out: list[Decision] = []
    out += _exceptions(saga)
    if saga.failure is not None or saga.closed:
        return _fresh(saga, out)
    if saga.cancel_requested is not None and not saga.cancelled:
        out.append(
            MarkCancelled(
                saga.key("cancel"),
                saga.cancel_requested,
                whole_order=not any(s.state is ShipmentState.DISPATCHED for s in saga.shipments),
                lines=_undispatched(saga),
                note=saga.cancel_note,
            )
        )
    if not saga.cancelled:
        for open_round in (r for r in saga.rounds if r.is_open):
            out += _decide_round(saga, open_round, now)
    out += _pick_lists_to_cancel(saga)
    out += _documents_to_undo(saga)
    out += _reservations_to_release(saga)
    out += _exposure_to_release(saga)
    out += _closing(saga)
    return _fresh(saga, out)


def _fresh(saga: OrderSaga, decisions: list[Decision]) -> list[Decision]:
    seen: set[str] = set()
    fresh: list[Decision] = []
    for decision in decisions:
        if isinstance(decision, Wait):
            fresh.append(decision)
        elif decision.key not in saga.issued and decision.key not in seen:
            seen.add(decision.key)
            fresh.append(decision)
    return fresh


def _exceptions(saga: OrderSaga) -> list[Decision]:
    out: list[Decision] = [RaiseException(saga.key(f"problem-{i}"), p) for i, p in enumerate(saga.problems)]
    if saga.failure is not None:
        out.append(RaiseException(saga.key("failed"), f"compensation keeps failing: {saga.failure}"))
    return out


def _undispatched(saga: OrderSaga) -> tuple[LineQuantity, ...]:
    dispatched = (line for s in saga.shipments if s.state is ShipmentState.DISPATCHED for line in s.lines)
    return _minus((LineQuantity(x.line_no, x.quantity) for x in saga.lines), dispatched)


def _decide_round(saga: OrderSaga, r: Round, now: datetime) -> list[Decision]:
    tag = f"round-{r.number}"
    if r.credit.is_refused:
        return [_refusal(saga, r)]
    out: list[Decision] = []
    reservation = r.reservation
    if r.asks_stock and reservation is None:
        out.append(SendReserveStock(saga.key(f"{tag}:reserve-stock"), r.number, r.lines, f"{r.kind.value} round"))
    if reservation is None:
        return [*out, Wait("stock reservation")]

    unreserved = _minus(r.lines, reservation.reserved_lines)
    shortfalls = tuple(Shortfall(x.line_no, x.quantity, reservation.expected_date(x.line_no)) for x in unreserved)
    takes_part = saga.ship_policy is ShipPolicy.SHIP_PARTIAL or r.kind in (RoundKind.SHORT_PICK, RoundKind.PUT_BACK)

    if reservation.outcome is ReservationOutcome.FAILED or not reservation.reserved_lines:
        if saga.shortage_policy is ShortagePolicy.CANCEL and r.kind is RoundKind.ORDER:
            return [*out, _cancel_for_shortage(saga, r)]
        return [*out, MarkBackordered(saga.key(f"{tag}:backorder"), r.number, shortfalls, "no stock available")]

    if unreserved and not takes_part:
        until = reservation.received_at + saga.hold_period
        if now < until:
            return [*out, Wait("ship-complete: holding the partial reservation for the rest", until)]
        latest = _latest(shortfalls)
        whole = tuple(Shortfall(x.line_no, x.quantity, reservation.expected_date(x.line_no) or latest) for x in r.lines)
        return [
            *out,
            MarkBackordered(saga.key(f"{tag}:backorder"), r.number, whole, "ship-complete: hold period over"),
        ]

    if any(s.cancelled_for_amendment and s.state is ShipmentState.CANCELLING for s in saga.shipments):
        return [*out, Wait("pick lists of the previous revision to be cancelled")]
    if r.kind is RoundKind.REFILL and r.credit is CreditOutcome.PENDING:
        return [*out, _recheck(saga, r, reservation.reserved_lines), Wait("credit re-check")]
    if r.credit is CreditOutcome.HELD:
        return [*out, Wait("a finance head's sanction")]
    if not r.credit.is_cleared:
        return [*out, Wait("credit decision")]
    releases = tuple(
        ShipmentRelease(f"{saga.order_id}-{r.number}-{i}", s.warehouse_id, s.lines)
        for i, s in enumerate(reservation.shipments, start=1)
        if s.lines
    )
    return [*out, ReleaseShipments(saga.key(f"{tag}:release"), r.number, releases, shortfalls)]


def _latest(shortfalls: Sequence[Shortfall]) -> date | None:
    dates = [s.expected_date for s in shortfalls]
    if not dates or any(d is None for d in dates):
        return None
    return max(d for d in dates if d is not None)


def _recheck(saga: OrderSaga, r: Round, lines: tuple[LineQuantity, ...]) -> SendRecheckCredit:
    return SendRecheckCredit(
        saga.key(f"round-{r.number}:recheck-credit"), r.number, saga.gross_of(lines), lines, f"{r.kind.value} round"
    )


def _refusal(saga: OrderSaga, r: Round) -> MarkCancelled:
    reason = (
        CancellationReason.SANCTION_TIMEOUT if r.credit is CreditOutcome.EXPIRED else CancellationReason.CREDIT_REJECTED
    )
    released = any(s.state in (ShipmentState.RELEASED, ShipmentState.DISPATCHED) for s in saga.shipments)
    if r.kind is RoundKind.ORDER or not released:
        return MarkCancelled(saga.key("cancel"), reason, whole_order=True, lines=_undispatched(saga))
    remainder = _sum_lines((*r.lines, *(LineQuantity(s.line_no, s.quantity) for s in saga.backorder)))
    return MarkCancelled(
        saga.key(f"round-{r.number}:cancel"), reason, whole_order=False, lines=remainder, round_no=r.number
    )


def _cancel_for_shortage(saga: OrderSaga, r: Round) -> MarkCancelled:
    released = any(s.state in (ShipmentState.RELEASED, ShipmentState.DISPATCHED) for s in saga.shipments)
    if not released:
        return MarkCancelled(
            saga.key("cancel"), CancellationReason.OUT_OF_STOCK, whole_order=True, lines=_undispatched(saga)
        )
    return MarkCancelled(
        saga.key(f"round-{r.number}:cancel"),
        CancellationReason.OUT_OF_STOCK,
        whole_order=False,
        lines=r.lines,
        round_no=r.number,
    )


def _pick_lists_to_cancel(saga: OrderSaga) -> list[Decision]:
    return [
        SendCancelPickList(
            saga.key(f"shipment-{s.shipment_id}:cancel-pick-list"),
            s.shipment_id,
            "order amended" if s.cancelled_for_amendment else "order cancelled",
        )
        for s in saga.shipments
        if s.state is ShipmentState.CANCELLING
    ]


def _documents_to_undo(saga: OrderSaga) -> list[Decision]:
    """E-way bill first, then the invoice (an invoice with an active e-way bill cannot be cancelled)."""
    out: list[Decision] = []
    for u in saga.undo:
        tag = f"shipment-{u.shipment_id}"
        why = "order amended" if any(s.shipment_id == u.shipment_id and s.cancelled_for_amendment
                                     for s in saga.shipments) else "order cancelled"
        if u.ewaybill is UndoState.PENDING and u.ewaybill_no is not None:
            out.append(SendCancelEwayBill(saga.key(f"{tag}:cancel-ewaybill"), u.shipment_id, u.invoice_id,
                                          u.ewaybill_no, why))
        elif u.invoice is UndoState.PENDING:
            cancelled = u.ewaybill_no if u.ewaybill is UndoState.DONE else None
            out.append(SendUndoInvoice(saga.key(f"{tag}:undo-invoice"), u.shipment_id, u.invoice_id, cancelled, why))
    return out


def _reservations_to_release(saga: OrderSaga) -> list[Decision]:
    out: list[Decision] = []
    for r in saga.rounds:
        if r.settlement not in (Settlement.BACKORDERED, Settlement.CANCELLED, Settlement.REFUSED):
            continue
        tag = f"round-{r.number}"
        if r.reservation is not None and r.reservation.reserved_lines:
            out.append(
                SendReleaseReservation(
                    saga.key(f"{tag}:release-reservation"), r.reservation.reserved_lines, f"{r.settlement.value}"
                )
            )
        elif r.reservation is None and r.kind in (RoundKind.ORDER, RoundKind.SHORT_PICK):
            # Asked but not answered: release what was asked; a late answer is released under its own key.
            lines = () if r.kind is RoundKind.ORDER and not saga.shipments else r.lines
            out.append(
                SendReleaseReservation(
                    saga.key(f"{tag}:release-reservation-unanswered"), lines, f"{r.settlement.value}"
                )
            )
    for s in saga.shipments:
        # An empty shipment (every line picked short) holds no reservation of its own to release.
        if s.state is ShipmentState.CANCELLED and not s.cancelled_for_amendment and s.lines:
            out.append(
                SendReleaseReservation(saga.key(f"shipment-{s.shipment_id}:release-reservation"), s.lines, "cancelled")
            )
    return out


def _exposure_to_release(saga: OrderSaga) -> list[Decision]:
    latest_order_round = next((r for r in reversed(saga.rounds) if r.kind is RoundKind.ORDER), None)
    if latest_order_round is not None and latest_order_round.credit is CreditOutcome.PENDING:
        return []  # credit is about to (re)count the order; releasing now would race its count
    invoiced = {u.shipment_id for u in saga.undo if u.invoice is not UndoState.DONE}
    wanted = [
        line
        for s in saga.shipments
        if s.state in (ShipmentState.RELEASED, ShipmentState.CANCELLING) or s.shipment_id in invoiced
        for line in s.lines
    ]
    for r in saga.rounds:
        if not r.is_open:
            continue
        if r.kind in (RoundKind.ORDER, RoundKind.SHORT_PICK, RoundKind.PUT_BACK):
            wanted.extend(r.lines)
        elif r.credit.is_counted:
            wanted.extend(r.recheck_lines or r.lines)
    excess = _minus(saga.exposure, wanted)
    if not excess:
        return []
    return [
        SendReleaseCreditExposure(
            saga.key(f"exposure-{saga.exposure_releases + 1}:release"),
            saga.gross_of(excess),
            excess,
            "not going to ship on this order now (unreserved, backordered, short or cancelled)",
        )
    ]


def _closing(saga: OrderSaga) -> list[Decision]:
    if saga.cancelled or saga.backorder or saga.awaiting or any(r.is_open for r in saga.rounds):
        return []
    if saga.cancel_requested is not None:
        return []
    if not any(s.state is ShipmentState.DISPATCHED for s in saga.shipments):
        return []
    if all(
        (s.state is ShipmentState.DISPATCHED and s.notified) or s.state is ShipmentState.CANCELLED
        for s in saga.shipments
    ):
        return [CloseOrder(saga.key(f"close-{len(saga.rounds)}"))]
    return []


# --- recording ------------------------------------------------------------------------------------------


def record(saga: OrderSaga, decisions: Iterable[Decision]) -> OrderSaga:
    """Apply decisions the service has acted on (published, or written to the outbox). Repeats are ignored."""
    current = saga
    for decision in decisions:
        if isinstance(decision, Wait) or decision.key in current.issued:
            continue
        current = _apply(current, decision)
        awaiting = current.awaiting | {decision.key} if is_command(decision) else current.awaiting
        current = replace(current, issued=current.issued | {decision.key}, awaiting=awaiting)
    return current if current is saga else replace(current, version=saga.version + 1)


def _settle(saga: OrderSaga, round_no: int, settlement: Settlement) -> tuple[Round, ...]:
    return tuple(replace(r, settlement=settlement) if r.number == round_no and r.is_open else r for r in saga.rounds)


def _apply(saga: OrderSaga, decision: Decision) -> OrderSaga:
    if isinstance(decision, ReleaseShipments):
        released = tuple(
            ShipmentProgress(s.shipment_id, decision.round_no, s.warehouse_id, s.lines) for s in decision.shipments
        )
        return replace(
            saga,
            rounds=_settle(saga, decision.round_no, Settlement.RELEASED),
            shipments=(*saga.shipments, *released),
            backorder=(*saga.backorder, *decision.backordered),
        )
    if isinstance(decision, MarkBackordered):
        return replace(
            saga,
            rounds=_settle(saga, decision.round_no, Settlement.BACKORDERED),
            backorder=(*saga.backorder, *decision.lines),
        )
    if isinstance(decision, MarkCancelled):
        if decision.round_no is None:  # the order itself is cancelled (what went through the gate stays gone)
            rounds = tuple(replace(r, settlement=Settlement.CANCELLED) if r.is_open else r for r in saga.rounds)
            shipments = tuple(replace(s, state=ShipmentState.CANCELLING) if s.is_open else s for s in saga.shipments)
            return replace(saga, rounds=rounds, shipments=shipments, backorder=(), cancelled=True)
        return replace(saga, rounds=_settle(saga, decision.round_no, Settlement.REFUSED), backorder=())
    if isinstance(decision, SendRecheckCredit):
        rounds = tuple(
            replace(r, recheck_lines=decision.lines) if r.number == decision.round_no else r for r in saga.rounds
        )
        return replace(saga, rounds=rounds)
    if isinstance(decision, SendReleaseCreditExposure):
        return replace(
            saga,
            exposure=_minus(saga.exposure, decision.lines),
            exposure_releases=saga.exposure_releases + 1,
        )
    if isinstance(decision, CloseOrder):
        return replace(saga, closed=True)
    return saga


INVOICE_REFUSED = ":invoice-refused:"


def invoice_refused_key(order_id: str, shipment_id: str) -> str:
    """The exception for a shipment invoicing refused (no GST rate in force, a place of supply the rule does not
    give): open until the shipment is invoiced."""
    return f"{order_id}{INVOICE_REFUSED}{shipment_id}"


IRN_AFTER_DISPATCH = ":irn-rejected-after-dispatch:"


def irn_rejected_after_dispatch_key(order_id: str, invoice_id: str) -> str:
    """The exception for an IRN refused after gate-out: unlike other saga problems it outlives the order's
    end (the goods left on an invoice that is not valid) and closes when the IRN is registered."""
    return f"{order_id}{IRN_AFTER_DISPATCH}{invoice_id}"
