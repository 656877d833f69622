"""Stock of one item in one warehouse, per bin and batch, with physically confirmed quantities kept apart from
expected (received or returned but not yet put away or counted), a movement ledger in which every movement
records exactly what it did to confirmed and expected, and the reservations that promise confirmed stock to
order lines first-expiry-first-out.

One ItemStock is the unit the service layer locks: every reservation of an item at a warehouse goes through
it, so two orders can never be promised the same units."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple

from o2c.inventory.domain.errors import ConflictingState, InvalidValue
from o2c.inventory.domain.quantities import NIL, Qty, non_negative_qty, positive_qty, qty, require_aware

# --- places inside a warehouse and batches -----------------------------------------------------


class BinKind(StrEnum):
    """Only storage bins hold promisable stock; the others hold goods on their way in or out of use."""

    STORAGE = "storage"
    RECEIVING = "receiving"
    RETURNS = "returns"
    QUARANTINE = "quarantine"


@dataclass(frozen=True)
class Bin:
    code: str
    kind: BinKind = BinKind.STORAGE

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise InvalidValue("bin_code", "required")

    @property
    def is_pickable(self) -> bool:
        return self.kind is BinKind.STORAGE


@dataclass(frozen=True)
class Batch:
    batch_no: str
    expiry_date: date | None = None
    manufactured_on: date | None = None

    def __post_init__(self) -> None:
        if not self.batch_no.strip():
            raise InvalidValue("batch_no", "required")
        if self.expiry_date and self.manufactured_on and self.expiry_date < self.manufactured_on:
            raise InvalidValue("expiry_date", "cannot be before the manufacture date")

    def is_expired(self, on: date) -> bool:
        """Usable through its expiry date; expired from the day after."""
        return self.expiry_date is not None and self.expiry_date < on


_Where = tuple[str, str | None]


class Location(NamedTuple):
    """Where stock sits: a bin, and the batch for batch-tracked items. A tuple, since it keys every lookup."""

    bin_code: str
    batch_no: str | None = None


@dataclass
class StockBalance:
    bin: Bin
    batch: Batch | None
    confirmed: Qty = NIL
    expected: Qty = NIL

    @property
    def location(self) -> Location:
        return Location(self.bin.code, self.batch.batch_no if self.batch else None)

    def is_promisable(self, on: date) -> bool:
        return self.bin.is_pickable and not (self.batch is not None and self.batch.is_expired(on))


# --- the movement ledger ---------------------------------------------------------------------


@dataclass(frozen=True)
class MovementEffect:
    """Signs applied to the moved quantity at the source and the target location."""

    source_confirmed: int
    source_expected: int
    target_confirmed: int
    target_expected: int
    meaning: str


class MovementType(StrEnum):
    RECEIPT = "receipt"
    PUTAWAY = "putaway"
    BIN_TRANSFER = "bin_transfer"
    ADJUSTMENT = "adjustment"
    CYCLE_COUNT = "cycle_count"
    RETURN_RECEIPT = "return_receipt"
    ISSUE = "issue"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    PURCHASE_RECEIPT = "purchase_receipt"

    @property
    def effect(self) -> MovementEffect:
        return MOVEMENT_EFFECTS[self]


MOVEMENT_EFFECTS: Mapping[MovementType, MovementEffect] = {
    MovementType.RECEIPT: MovementEffect(0, 0, 0, +1, "goods arrived: expected at the bin, not yet promisable"),
    MovementType.PUTAWAY: MovementEffect(0, -1, +1, 0, "expected goods put away: physically confirmed in a bin"),
    MovementType.BIN_TRANSFER: MovementEffect(-1, 0, +1, 0, "confirmed goods moved from one bin to another"),
    MovementType.ADJUSTMENT: MovementEffect(0, 0, +1, 0, "confirmed quantity corrected by a signed quantity"),
    MovementType.CYCLE_COUNT: MovementEffect(
        0, 0, +1, 0, "count replaces confirmed (signed difference); the counted bin holds nothing expected"
    ),
    MovementType.RETURN_RECEIPT: MovementEffect(0, 0, 0, +1, "returned goods received: expected until put away"),
    MovementType.ISSUE: MovementEffect(-1, 0, 0, 0, "goods left the warehouse at gate-out against a reservation"),
    MovementType.TRANSFER_OUT: MovementEffect(-1, 0, 0, 0, "unreserved goods left for another warehouse (in transit)"),
    MovementType.TRANSFER_IN: MovementEffect(
        0, 0, +1, 0, "goods of a transfer arrived and were put away: confirmed in the bin named at receipt"),
    MovementType.PURCHASE_RECEIPT: MovementEffect(
        0, 0, 0, +1, "goods from a supplier against a purchase order: expected until put away"),
}


@dataclass(frozen=True)
class LocationDelta:
    location: Location
    confirmed: Qty = NIL
    expected: Qty = NIL


@dataclass(frozen=True)
class StockMovement:
    seq: int
    movement_type: MovementType
    warehouse_code: str
    item_code: str
    quantity: Qty
    deltas: tuple[LocationDelta, ...]
    at: datetime
    reference: str = ""
    reason: str = ""


# --- reservations ----------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class ReservationKey:
    """One order line. With the warehouse (one ItemStock) it identifies one reservation."""

    order_id: str
    line_no: int


@dataclass(frozen=True)
class Allocation:
    bin_code: str
    batch_no: str | None
    expiry_date: date | None
    quantity: Qty

    @property
    def location(self) -> Location:
        return Location(self.bin_code, self.batch_no)


class ReservationStatus(StrEnum):
    OPEN = "open"
    RELEASED = "released"
    ISSUED = "issued"


@dataclass(frozen=True)
class StockIssue:
    """Goods of one reservation that left with one shipment. `first_time` is False on a repeat, which then
    changes nothing: stock leaves exactly once per shipment."""

    shipment_id: str
    key: ReservationKey
    allocations: tuple[Allocation, ...]
    at: datetime
    first_time: bool = True

    @property
    def quantity(self) -> Qty:
        return sum((a.quantity for a in self.allocations), NIL)


@dataclass
class Reservation:
    key: ReservationKey
    warehouse_code: str
    item_code: str
    requested: Qty
    allocations: list[Allocation] = field(default_factory=list)
    released: Qty = NIL
    issues: dict[str, StockIssue] = field(default_factory=dict)
    handled: dict[str, Qty] = field(default_factory=dict)
    short_picks: dict[str, ShortPickOutcome] = field(default_factory=dict)

    @property
    def quantity(self) -> Qty:
        """Currently reserved (neither released nor issued)."""
        return sum((a.quantity for a in self.allocations), NIL)

    @property
    def issued(self) -> Qty:
        return sum((i.quantity for i in self.issues.values()), NIL)

    @property
    def status(self) -> ReservationStatus:
        if self.allocations:
            return ReservationStatus.OPEN
        return ReservationStatus.ISSUED if self.issues else ReservationStatus.RELEASED

    def allocated_at(self, location: Location) -> Qty:
        return sum((a.quantity for a in self.allocations if a.location == location), NIL)


@dataclass(frozen=True)
class ShortPickOutcome:
    """A picker found less than reserved in a bin: what could be re-reserved from other bins of the same
    warehouse, and what was released (it becomes a backorder)."""

    key: ReservationKey
    short: Qty
    replacements: tuple[Allocation, ...]
    released: Qty

    @property
    def reallocated(self) -> Qty:
        return sum((a.quantity for a in self.replacements), NIL)


def _fefo(balance: StockBalance) -> tuple[date, str, str]:
    expiry = balance.batch.expiry_date if balance.batch and balance.batch.expiry_date else date.max
    return (expiry, balance.bin.code, balance.batch.batch_no if balance.batch else "")


# --- the aggregate -----------------------------------------------------------------------------


@dataclass
class ItemStock:
    warehouse_code: str
    item_code: str
    unit: str = "NOS"
    batch_tracked: bool = False
    safety_stock: Qty = NIL
    balances: dict[Location, StockBalance] = field(default_factory=dict)
    reservations: dict[ReservationKey, Reservation] = field(default_factory=dict)
    ledger: list[StockMovement] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.safety_stock = non_negative_qty(self.safety_stock, "safety_stock")

    # --- reading -------------------------------------------------------------------------------

    @property
    def confirmed(self) -> Qty:
        return sum((b.confirmed for b in self.balances.values()), NIL)

    @property
    def expected(self) -> Qty:
        return sum((b.expected for b in self.balances.values()), NIL)

    @property
    def reserved(self) -> Qty:
        return sum((r.quantity for r in self.reservations.values()), NIL)

    def _allocated_by_location(self) -> dict[_Where, Qty]:
        held: dict[_Where, Qty] = {}
        for reservation in self.reservations.values():
            for allocation in reservation.allocations:
                # A plain tuple equals (and hashes like) the Location NamedTuple, and is much cheaper to build.
                where = (allocation.bin_code, allocation.batch_no)
                held[where] = held.get(where, NIL) + allocation.quantity
        return held

    def free_at(self, location: Location) -> Qty:
        """Confirmed in a bin and batch that no reservation holds (negative when the bin was found short)."""
        balance = self.balances.get(location)
        return (balance.confirmed if balance else NIL) - self._allocated_by_location().get(location, NIL)

    def available_to_promise(self, on: date) -> Qty:
        """Confirmed on-hand in storage bins and unexpired batches − reserved there − safety stock; never
        the expected quantity, never below zero."""
        return self._atp(on, self._allocated_by_location())

    def _atp(self, on: date, held: Mapping[_Where, Qty]) -> Qty:
        promisable = [b for b in self.balances.values() if b.is_promisable(on)]
        on_hand = sum((b.confirmed for b in promisable), NIL)
        reserved_there = sum((held.get(b.location, NIL) for b in promisable), NIL)
        return max(NIL, on_hand - reserved_there - self.safety_stock)

    def over_allocations(self) -> dict[Location, Qty]:
        """Locations where reservations exceed what is confirmed (after a count or adjustment found less)."""
        found = {Location(*loc): held - (self.balances[loc].confirmed if loc in self.balances else NIL)
                 for loc, held in self._allocated_by_location().items()}
        return {loc: short for loc, short in found.items() if short > 0}

    def replay_ledger(self) -> dict[Location, tuple[Qty, Qty]]:
        """Confirmed and expected per location rebuilt from the ledger alone (balances must agree)."""
        totals: dict[Location, tuple[Qty, Qty]] = {}
        for movement in self.ledger:
            for delta in movement.deltas:
                confirmed, expected = totals.get(delta.location, (NIL, NIL))
                totals[delta.location] = (confirmed + delta.confirmed, expected + delta.expected)
        return totals

    # --- movements -----------------------------------------------------------------------------

    def _check_batch(self, batch: Batch | None) -> None:
        if self.batch_tracked and batch is None:
            raise InvalidValue("batch_no", f"item {self.item_code} is batch-tracked: name the batch")
        if not self.batch_tracked and batch is not None:
            raise InvalidValue("batch_no", f"item {self.item_code} is not batch-tracked")

    def _batch(self, batch_no: str | None) -> Batch | None:
        if batch_no is None:
            self._check_batch(None)
            return None
        for balance in self.balances.values():
            if balance.batch is not None and balance.batch.batch_no == batch_no:
                return balance.batch
        raise ConflictingState(f"batch {batch_no} of {self.item_code} is not in warehouse {self.warehouse_code}")

    def _at(self, bin_: Bin, batch: Batch | None) -> StockBalance:
        self._check_batch(batch)
        location = Location(bin_.code, batch.batch_no if batch else None)
        balance = self.balances.get(location)
        if balance is None:
            for other in self.balances.values():
                if batch is not None and other.batch is not None and other.batch.batch_no == batch.batch_no \
                        and other.batch != batch:
                    raise ConflictingState(f"batch {batch.batch_no} is already known with other dates")
            balance = StockBalance(bin_, batch)
            self.balances[location] = balance
        elif balance.bin.kind is not bin_.kind:
            raise ConflictingState(f"bin {bin_.code} is a {balance.bin.kind.value} bin, not {bin_.kind.value}")
        return balance

    def _existing(self, bin_code: str, batch_no: str | None) -> StockBalance:
        balance = self.balances.get(Location(bin_code, batch_no))
        if balance is None:
            what = f"batch {batch_no} in bin {bin_code}" if batch_no else f"bin {bin_code}"
            raise ConflictingState(f"no {self.item_code} in {what} at {self.warehouse_code}")
        return balance

    def _record(
        self, kind: MovementType, quantity: Qty, deltas: Iterable[tuple[StockBalance, Qty, Qty]],
        at: datetime, reference: str, reason: str,
    ) -> StockMovement:
        at = require_aware(at)
        rows = []
        for balance, confirmed, expected in deltas:
            balance.confirmed += confirmed
            balance.expected += expected
            rows.append(LocationDelta(balance.location, confirmed, expected))
        movement = StockMovement(len(self.ledger) + 1, kind, self.warehouse_code, self.item_code, quantity,
                                 tuple(rows), at, reference, reason)
        self.ledger.append(movement)
        return movement

    def _move(self, kind: MovementType, quantity: Qty, source: StockBalance | None, target: StockBalance | None,
              at: datetime, reference: str, reason: str = "") -> StockMovement:
        effect = kind.effect
        deltas = []
        if source is not None:
            deltas.append((source, effect.source_confirmed * quantity, effect.source_expected * quantity))
        if target is not None:
            deltas.append((target, effect.target_confirmed * quantity, effect.target_expected * quantity))
        return self._record(kind, quantity, deltas, at, reference, reason)

    def receive(self, quantity: Qty, to_bin: Bin, at: datetime, batch: Batch | None = None,
                reference: str = "") -> StockMovement:
        """Goods arrived: expected, not promised until put away (or counted)."""
        amount = positive_qty(quantity)
        return self._move(MovementType.RECEIPT, amount, None, self._at(to_bin, batch), at, reference)

    def receive_return(self, quantity: Qty, to_bin: Bin, at: datetime, batch: Batch | None = None,
                       reference: str = "", reason: str = "") -> StockMovement:
        """Returned goods: expected until inspected and put away (damaged ones go to a quarantine bin)."""
        amount = positive_qty(quantity)
        return self._move(MovementType.RETURN_RECEIPT, amount, None, self._at(to_bin, batch), at, reference, reason)

    def put_away(self, quantity: Qty, from_bin: str, to_bin: Bin, at: datetime, batch_no: str | None = None,
                 reference: str = "") -> StockMovement:
        amount = positive_qty(quantity)
        source = self._existing(from_bin, batch_no)
        if source.expected < amount:
            raise ConflictingState(f"bin {from_bin} expects {source.expected} {self.unit}, cannot put away {amount}")
        target = self._at(to_bin, source.batch)
        return self._move(MovementType.PUTAWAY, amount, source, target, at, reference)

    def transfer(self, quantity: Qty, from_bin: str, to_bin: Bin, at: datetime, batch_no: str | None = None,
                 reference: str = "") -> StockMovement:
        """Move confirmed goods between bins; reserved goods stay where their pick list says they are."""
        amount = positive_qty(quantity)
        source = self._existing(from_bin, batch_no)
        if self.free_at(source.location) < amount:
            raise ConflictingState(
                f"bin {from_bin} has {max(NIL, self.free_at(source.location))} {self.unit} unreserved; "
                f"cannot move {amount}"
            )
        if to_bin.code == from_bin:
            raise InvalidValue("to_bin", "is the same bin")
        target = self._at(to_bin, source.batch)
        return self._move(MovementType.BIN_TRANSFER, amount, source, target, at, reference)

    def adjust(self, change: Qty, bin_: Bin, at: datetime, reason: str, batch: Batch | None = None,
               reference: str = "") -> StockMovement:
        """Correct confirmed stock by a signed quantity (damage, found goods). Physical truth wins: a bin may
        end up holding less than is reserved there; `over_allocations()` shows it for re-reservation."""
        delta = qty(change, "change")
        if delta == 0:
            raise InvalidValue("change", "an adjustment changes something")
        if not reason.strip():
            raise InvalidValue("reason", "an adjustment needs a reason")
        balance = self._at(bin_, batch)
        if balance.confirmed + delta < 0:
            raise ConflictingState(f"bin {bin_.code} holds {balance.confirmed}; cannot take away {-delta}")
        return self._move(MovementType.ADJUSTMENT, delta, None, balance, at, reference, reason)

    def count(self, counted: Qty, bin_: Bin, at: datetime, batch: Batch | None = None,
              reference: str = "") -> StockMovement:
        """A cycle count: what was counted is what is confirmed; nothing in the bin is merely expected any more."""
        amount = non_negative_qty(counted, "counted")
        balance = self._at(bin_, batch)
        return self._record(MovementType.CYCLE_COUNT, amount,
                            [(balance, amount - balance.confirmed, -balance.expected)], at, reference,
                            f"counted {amount}, book {balance.confirmed}")

    def send_out(self, quantity: Qty, at: datetime, reference: str, bin_code: str | None = None,
                 batch_no: str | None = None) -> list[Allocation]:
        """Unreserved goods leave for another warehouse (a stock transfer): from the named bin and batch, or
        first-expiry-first-out over storage bins. They are in transit from here on, promised nowhere."""
        amount = positive_qty(quantity)
        held = self._allocated_by_location()
        if bin_code is not None:
            sources = [self._existing(bin_code, batch_no)]
        else:
            sources = sorted((b for b in self.balances.values() if b.bin.is_pickable), key=_fefo)
        taken: list[tuple[StockBalance, Qty]] = []
        wanted = amount
        for balance in sources:
            if wanted <= 0:
                break
            take = min(wanted, balance.confirmed - held.get(balance.location, NIL))
            if take > 0:
                taken.append((balance, take))
                wanted -= take
        if wanted > 0:
            where = f"bin {bin_code}" if bin_code else f"the storage bins of {self.warehouse_code}"
            raise ConflictingState(f"{where} hold only {amount - wanted} {self.unit} of {self.item_code} "
                                   f"unreserved; cannot send {amount}")
        self._record(MovementType.TRANSFER_OUT, amount, [(b, -take, NIL) for b, take in taken], at, reference,
                     "stock transfer")
        return [Allocation(b.bin.code, b.batch.batch_no if b.batch else None,
                           b.batch.expiry_date if b.batch else None, take) for b, take in taken]

    def receive_transferred(self, quantity: Qty, to_bin: Bin, at: datetime, batch: Batch | None, reference: str,
                            reason: str = "") -> StockMovement:
        """Goods of a transfer arrived and are put away where the receiver says (damaged ones in a quarantine
        bin): confirmed there at once, promisable when the bin is a storage bin."""
        amount = positive_qty(quantity)
        return self._move(MovementType.TRANSFER_IN, amount, None, self._at(to_bin, batch), at, reference, reason)

    def receive_purchase(self, quantity: Qty, to_bin: Bin, at: datetime, batch: Batch | None, reference: str,
                         reason: str = "") -> StockMovement:
        """Goods from a supplier: expected at the bin until put away (as any receipt)."""
        amount = positive_qty(quantity)
        return self._move(MovementType.PURCHASE_RECEIPT, amount, None, self._at(to_bin, batch), at, reference,
                          reason)

    # --- reservations --------------------------------------------------------------------------

    def _allocate(self, quantity: Qty, on: date) -> list[Allocation]:
        """First-expiry-first-out over promisable bins, never more than available to promise."""
        held = self._allocated_by_location()
        wanted = min(quantity, self._atp(on, held))
        taken: list[Allocation] = []
        for balance in sorted((b for b in self.balances.values() if b.is_promisable(on)), key=_fefo):
            if wanted <= 0:
                break
            take = min(wanted, balance.confirmed - held.get(balance.location, NIL))
            if take <= 0:
                continue
            batch = balance.batch
            taken.append(Allocation(balance.bin.code, batch.batch_no if batch else None,
                                    batch.expiry_date if batch else None, take))
            wanted -= take
        return taken

    def reserve(self, key: ReservationKey, quantity: Qty, on: date) -> Reservation:
        """Reserve an order line here, as much as is available to promise (possibly less, possibly nothing:
        the caller sees `quantity` and makes the rest a backorder). Repeating the key changes nothing."""
        existing = self.reservations.get(key)
        if existing is not None:
            return existing
        requested = positive_qty(quantity)
        reservation = Reservation(key, self.warehouse_code, self.item_code, requested, self._allocate(requested, on))
        self.reservations[key] = reservation
        return reservation

    def reserve_more(self, key: ReservationKey, quantity: Qty, on: date, request_id: str) -> Qty:
        """Add to a line's reservation here (a backorder filled, a re-reservation). Idempotent per request."""
        reservation = self.reservations.get(key)
        if reservation is not None and request_id in reservation.handled:
            return reservation.handled[request_id]
        wanted = positive_qty(quantity)
        if reservation is None:
            reservation = Reservation(key, self.warehouse_code, self.item_code, NIL)
            self.reservations[key] = reservation
        added = self._allocate(wanted, on)
        reservation.allocations.extend(added)
        reservation.requested += wanted
        gained = sum((a.quantity for a in added), NIL)
        reservation.handled[request_id] = gained
        return gained

    def release(self, key: ReservationKey, quantity: Qty | None = None, request_id: str | None = None) -> Qty:
        """Give reserved units back. None releases everything (repeating releases nothing more); a partial
        release needs a request id, so a repeated command releases once. Latest expiry is released first."""
        reservation = self.reservations.get(key)
        if reservation is None:
            return NIL
        if quantity is None:
            freed = reservation.quantity
            reservation.allocations.clear()
            reservation.released += freed
            return freed
        if request_id is None:
            raise InvalidValue("request_id", "a partial release needs a request id to be repeatable")
        if request_id in reservation.handled:
            return reservation.handled[request_id]
        wanted = min(positive_qty(quantity), reservation.quantity)
        freed = self._take_back(reservation, wanted)
        reservation.released += freed
        reservation.handled[request_id] = freed
        return freed

    def _take_back(self, reservation: Reservation, quantity: Qty) -> Qty:
        remaining = quantity
        kept: list[Allocation] = []
        for allocation in sorted(reservation.allocations, key=lambda a: (a.expiry_date or date.max, a.bin_code),
                                 reverse=True):
            take = min(remaining, allocation.quantity)
            remaining -= take
            if allocation.quantity - take > 0:
                kept.append(replace(allocation, quantity=allocation.quantity - take))
        reservation.allocations[:] = sorted(kept, key=lambda a: (a.expiry_date or date.max, a.bin_code))
        return quantity - remaining

    def report_short_pick(
        self, key: ReservationKey, bin_code: str, batch_no: str | None, short: Qty, at: datetime, on: date,
        report_id: str, reason: str = "short pick",
    ) -> ShortPickOutcome:
        """The picker found `short` units fewer in a bin than reserved there. The bin's confirmed stock is
        corrected (the physical count wins), the line is re-reserved from other bins of this warehouse as far
        as possible, and the rest of the reservation is released to become a backorder. Idempotent per report."""
        reservation = self.reservations.get(key)
        if reservation is None:
            raise ConflictingState(f"no reservation for order {key.order_id} line {key.line_no} here")
        known = reservation.short_picks.get(report_id)
        if known is not None:
            return known
        missing = positive_qty(short, "short")
        location = Location(bin_code, batch_no)
        if reservation.allocated_at(location) < missing:
            raise ConflictingState(
                f"bin {bin_code} holds {reservation.allocated_at(location)} reserved for this line; "
                f"cannot be short by {missing}"
            )
        # 1. the allocation shrinks to what was really there
        self._shrink(reservation, location, missing)
        # 2. the bin's book quantity follows the physical truth
        balance = self._existing(bin_code, batch_no)
        correction = min(missing, balance.confirmed)
        if correction > 0:
            self._record(MovementType.ADJUSTMENT, -correction, [(balance, -correction, NIL)], at, key.order_id,
                         f"{reason} (order {key.order_id} line {key.line_no})")
        # 3. re-reserve from elsewhere in this warehouse
        replacements = self._allocate(missing, on)
        reservation.allocations.extend(replacements)
        found = sum((a.quantity for a in replacements), NIL)
        released = missing - found
        reservation.released += released
        outcome = ShortPickOutcome(key, missing, tuple(replacements), released)
        reservation.short_picks[report_id] = outcome
        return outcome

    def _shrink(self, reservation: Reservation, location: Location, quantity: Qty) -> None:
        remaining = quantity
        kept: list[Allocation] = []
        for allocation in reservation.allocations:
            if allocation.location == location and remaining > 0:
                take = min(remaining, allocation.quantity)
                remaining -= take
                if allocation.quantity - take > 0:
                    kept.append(replace(allocation, quantity=allocation.quantity - take))
            else:
                kept.append(allocation)
        reservation.allocations[:] = kept

    # --- leaving ---------------------------------------------------------------------------------

    def issue(self, key: ReservationKey, shipment_id: str, at: datetime, quantity: Qty | None = None) -> StockIssue:
        """Gate-out: the reserved goods leave (confirmed and reservation both reduced) exactly once per
        shipment; a repeat returns the first issue with `first_time=False` and moves nothing."""
        reservation = self.reservations.get(key)
        if reservation is None:
            raise ConflictingState(f"no reservation for order {key.order_id} line {key.line_no} to issue from")
        done = reservation.issues.get(shipment_id)
        if done is not None:
            return replace(done, first_time=False)
        wanted = reservation.quantity if quantity is None else positive_qty(quantity)
        if wanted > reservation.quantity:
            raise ConflictingState(f"only {reservation.quantity} {self.unit} reserved; cannot issue {wanted}")
        issued: list[Allocation] = []
        remaining = wanted
        for allocation in sorted(reservation.allocations, key=lambda a: (a.expiry_date or date.max, a.bin_code)):
            if remaining <= 0:
                break
            take = min(remaining, allocation.quantity)
            issued.append(replace(allocation, quantity=take))
            remaining -= take
        for allocation in issued:
            balance = self._existing(allocation.bin_code, allocation.batch_no)
            if balance.confirmed < allocation.quantity:
                raise ConflictingState(
                    f"bin {allocation.bin_code} shows {balance.confirmed} confirmed but {allocation.quantity} "
                    "is leaving: count the bin"
                )
        self._record(MovementType.ISSUE, wanted,
                     [(self._existing(a.bin_code, a.batch_no), -a.quantity, NIL) for a in issued],
                     at, shipment_id, f"order {key.order_id} line {key.line_no}")
        for allocation in issued:
            self._shrink(reservation, allocation.location, allocation.quantity)
        result = StockIssue(shipment_id, key, tuple(issued), require_aware(at))
        reservation.issues[shipment_id] = result
        return result
