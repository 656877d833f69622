"""Pick lists and pick confirmations. A pick list names bin, batch and quantity for every line, in walking
order. Each line is confirmed by the picker (bin and batch scanned and checked, never more than allocated); a
short pick records the shortfall and its reason and stays open until it is accepted as a backorder (the
coordinator re-reserves it elsewhere, in a release of its own). All lines confirmed and no shortfall open →
picked."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from o2c.dispatch.domain.bins import walking_key
from o2c.dispatch.domain.business_time import require_aware
from o2c.dispatch.domain.errors import ConflictingState, InvalidValue

NIL = Decimal(0)


def _quantity(value: Decimal | int | str, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InvalidValue(field, f"quantity must be a Decimal, int or decimal string, not {type(value).__name__}")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value)
    except InvalidOperation as exc:
        raise InvalidValue(field, f"not a number: {value!r}") from exc
    if not amount.is_finite() or amount < 0:
        raise InvalidValue(field, f"must be a quantity ≥ 0, got {value!r}")
    return amount


class ShortReason(StrEnum):
    BIN_SHORT = "bin_short"
    DAMAGED = "damaged"
    EXPIRED = "expired"
    WRONG_ITEM_IN_BIN = "wrong_item_in_bin"
    OTHER = "other"


@dataclass(frozen=True)
class PickRequest:
    """One reserved allocation of an order line, as inventory reserved it."""

    order_line_no: int
    item_code: str
    item_name: str
    quantity: Decimal
    bin_code: str | None = None
    batch_no: str | None = None
    expiry_date: date | None = None
    unit: str = "NOS"

    def __post_init__(self) -> None:
        if _quantity(self.quantity, "quantity") <= 0:
            raise InvalidValue("quantity", "a pick line picks something")


@dataclass(frozen=True)
class PickConfirmation:
    pick_line_no: int
    picked: Decimal
    short: Decimal
    reason: ShortReason | None
    note: str
    picked_by: str
    confirmed_at: datetime


@dataclass
class PickLine:
    pick_line_no: int
    request: PickRequest
    confirmation: PickConfirmation | None = None
    accepted_short: Decimal = NIL
    put_back: Decimal = NIL
    """Picked, then put back on the shelf before gate-out (the re-issued invoice was for less)."""

    @property
    def quantity(self) -> Decimal:
        return self.request.quantity

    @property
    def picked(self) -> Decimal:
        """What of the line the shipment carries: confirmed, less anything put back since."""
        return self.confirmation.picked - self.put_back if self.confirmation else NIL

    @property
    def open_shortfall(self) -> Decimal:
        """Short and not accepted as a backorder yet."""
        if self.confirmation is None:
            return NIL
        return self.confirmation.short - self.accepted_short


@dataclass(frozen=True)
class PickedBatch:
    bin_code: str | None
    batch_no: str | None
    expiry_date: date | None
    quantity: Decimal


@dataclass(frozen=True)
class PickedLine:
    """An order line as picked: what was released, what was picked (from which bins and batches), and the
    shortfall accepted as a backorder."""

    order_line_no: int
    item_code: str
    item_name: str
    unit: str
    released: Decimal
    picked: Decimal
    backordered: Decimal
    batches: tuple[PickedBatch, ...]


@dataclass
class PickList:
    pick_list_id: str
    shipment_id: str
    warehouse_code: str
    issued_at: datetime
    lines: list[PickLine] = field(default_factory=list)

    @classmethod
    def issue(cls, pick_list_id: str, shipment_id: str, warehouse_code: str, requests: Sequence[PickRequest],
              issued_at: datetime) -> PickList:
        """Lines numbered 1..n in walking order of their bins."""
        if not requests:
            raise InvalidValue("lines", "a pick list needs at least one line")
        ordered = sorted(requests, key=lambda r: (walking_key(r.bin_code), r.order_line_no, r.batch_no or ""))
        lines = [PickLine(n, request) for n, request in enumerate(ordered, start=1)]
        return cls(pick_list_id, shipment_id, warehouse_code, require_aware(issued_at, "issued_at"), lines)

    def line(self, pick_line_no: int) -> PickLine:
        for line in self.lines:
            if line.pick_line_no == pick_line_no:
                return line
        raise InvalidValue("pick_line_no", f"pick list {self.pick_list_id} has no line {pick_line_no}")

    def confirm(
        self,
        pick_line_no: int,
        picked: Decimal | int | str,
        picked_by: str,
        at: datetime,
        *,
        bin_code: str | None = None,
        batch_no: str | None = None,
        reason: ShortReason | None = None,
        note: str = "",
    ) -> PickConfirmation:
        """Confirm one line. Scanned bin and batch, when given, must be the ones on the list; over-picking is
        refused; a short pick needs a reason. The same confirmation again changes nothing."""
        line = self.line(pick_line_no)
        quantity = _quantity(picked, "picked")
        if bin_code is not None and bin_code.strip().upper() != (line.request.bin_code or "").upper():
            raise InvalidValue("bin_code", f"scanned {bin_code}, the list says {line.request.bin_code}")
        if batch_no is not None and batch_no.strip().upper() != (line.request.batch_no or "").upper():
            raise InvalidValue("batch_no", f"scanned batch {batch_no}, the list says {line.request.batch_no}")
        if quantity > line.quantity:
            raise InvalidValue("picked", f"{quantity} is more than the {line.quantity} on the list (over-pick)")
        short = line.quantity - quantity
        if short > 0 and reason is None:
            raise InvalidValue("reason", f"short by {short}: say why")
        confirmation = PickConfirmation(pick_line_no, quantity, short, reason if short > 0 else None, note,
                                        picked_by, require_aware(at, "confirmed_at"))
        if line.confirmation is not None:
            previous = line.confirmation
            if (previous.picked, previous.reason) == (confirmation.picked, confirmation.reason):
                return previous
            raise ConflictingState(f"line {pick_line_no} was already confirmed with {previous.picked}")
        line.confirmation = confirmation
        return confirmation

    def accept_shortfall(self, pick_line_no: int) -> Decimal:
        """What is still short becomes a backorder. Returns that quantity (zero on a repeat)."""
        line = self.line(pick_line_no)
        open_short = line.open_shortfall
        line.accepted_short += open_short
        return open_short

    def put_back(self, order_line_no: int, quantity: Decimal) -> list[tuple[PickLine, Decimal]]:
        """Take `quantity` of an order line off the shipment, back to the bins it was picked from (the last
        picked first). Returns each pick line with what went back from it."""
        amount = _quantity(quantity, "quantity")
        lines = [ln for ln in self.lines if ln.request.order_line_no == order_line_no and ln.picked > 0]
        if amount > sum((ln.picked for ln in lines), NIL):
            raise InvalidValue("quantity", f"line {order_line_no}: cannot put back {amount}, more than was picked")
        taken: list[tuple[PickLine, Decimal]] = []
        for line in reversed(lines):
            if amount <= 0:
                break
            take = min(amount, line.picked)
            line.put_back += take
            amount -= take
            taken.append((line, take))
        return taken

    # --- reading -------------------------------------------------------------------------------

    @property
    def open_shortfalls(self) -> list[PickLine]:
        return [line for line in self.lines if line.open_shortfall > 0]

    @property
    def unconfirmed(self) -> list[PickLine]:
        return [line for line in self.lines if line.confirmation is None]

    @property
    def is_complete(self) -> bool:
        return not self.unconfirmed and not self.open_shortfalls

    def picked_lines(self) -> list[PickedLine]:
        """Per order line: released, picked with batches, backordered. What ShipmentReady and the invoice use."""
        grouped: dict[int, list[PickLine]] = defaultdict(list)
        for line in self.lines:
            grouped[line.request.order_line_no].append(line)
        result = []
        for order_line_no in sorted(grouped):
            lines = grouped[order_line_no]
            first = lines[0].request
            batches = tuple(
                PickedBatch(ln.request.bin_code, ln.request.batch_no, ln.request.expiry_date, ln.picked)
                for ln in lines if ln.picked > 0
            )
            result.append(PickedLine(
                order_line_no, first.item_code, first.item_name, first.unit,
                released=sum((ln.quantity for ln in lines), NIL),
                picked=sum((ln.picked for ln in lines), NIL),
                backordered=sum((ln.accepted_short for ln in lines), NIL),
                batches=batches,
            ))
        return result
