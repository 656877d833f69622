"""Backorders: what an order still waits for. When stock arrives (put away, counted, returned), the oldest
backorder is filled first, by the time its order was confirmed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from o2c.inventory.domain.errors import InvalidValue
from o2c.inventory.domain.quantities import NIL, Qty, positive_qty, require_aware
from o2c.inventory.domain.stock import ItemStock, ReservationKey


@dataclass
class Backorder:
    order_id: str
    line_no: int
    item_code: str
    quantity: Qty
    confirmed_at: datetime
    filled: dict[str, Qty] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.quantity = positive_qty(self.quantity)
        require_aware(self.confirmed_at, "confirmed_at")

    @property
    def key(self) -> ReservationKey:
        return ReservationKey(self.order_id, self.line_no)

    @property
    def remaining(self) -> Qty:
        return self.quantity - sum(self.filled.values(), NIL)

    @property
    def is_filled(self) -> bool:
        return self.remaining <= 0


@dataclass(frozen=True)
class BackorderFill:
    order_id: str
    line_no: int
    item_code: str
    warehouse_code: str
    quantity: Qty
    remaining: Qty


def fill_backorders(
    backorders: Iterable[Backorder], stock: ItemStock, on: date, arrival_id: str
) -> list[BackorderFill]:
    """Reserve newly available stock of one item at one warehouse for backorders, first confirmed first.
    `arrival_id` names the stock arrival (e.g. the putaway), so replaying it fills nothing twice."""
    if not arrival_id:
        raise InvalidValue("arrival_id", "required")
    queue = sorted((b for b in backorders if b.item_code == stock.item_code and not b.is_filled),
                   key=lambda b: (b.confirmed_at, b.order_id, b.line_no))
    fills = []
    for backorder in queue:
        fill_id = f"{arrival_id}@{stock.warehouse_code}"
        if fill_id in backorder.filled:
            continue
        available = stock.available_to_promise(on)
        if available <= 0:
            break
        gained = stock.reserve_more(backorder.key, min(available, backorder.remaining), on, f"backorder:{fill_id}")
        if gained > 0:
            backorder.filled[fill_id] = gained
            fills.append(BackorderFill(backorder.order_id, backorder.line_no, backorder.item_code,
                                       stock.warehouse_code, gained, backorder.remaining))
    return fills
