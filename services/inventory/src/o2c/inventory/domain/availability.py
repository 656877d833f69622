"""Available-to-promise for many items at once, and the date we can promise: today from confirmed stock,
otherwise (or for items we do not stock) after the replenishment lead time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from o2c.inventory.domain.errors import InvalidValue
from o2c.inventory.domain.quantities import NIL, Qty
from o2c.inventory.domain.stock import ItemStock


@dataclass(frozen=True)
class ItemSupply:
    """How an item is supplied: kept in stock, or bought/made to order with a lead time in days."""

    item_code: str
    stocked: bool = True
    lead_time_days: int = 0

    def __post_init__(self) -> None:
        if self.lead_time_days < 0:
            raise InvalidValue("lead_time_days", "must be ≥ 0")


@dataclass(frozen=True)
class ItemPromise:
    item_code: str
    requested: Qty | None
    available: Qty
    by_warehouse: Mapping[str, Qty] = field(default_factory=dict)
    stocked: bool = True
    promise_date: date | None = None

    @property
    def covers_request(self) -> bool:
        return self.requested is None or self.available >= self.requested


def available_to_promise(stocks: Iterable[ItemStock], on: date) -> dict[tuple[str, str], Qty]:
    """ATP per (warehouse, item)."""
    return {(s.warehouse_code, s.item_code): s.available_to_promise(on) for s in stocks}


def promise(
    requests: Mapping[str, Qty | None],
    stocks: Iterable[ItemStock],
    on: date,
    supplies: Mapping[str, ItemSupply] | None = None,
) -> list[ItemPromise]:
    """For each requested item (quantity or None for "how many can you promise"), what is available per
    warehouse and the promise date: `on` when confirmed stock covers it; `on + lead time` when it does not or
    the item is not stocked; None when a stocked item is short and has no known lead time (lead time 0 means
    none is known)."""
    atp: dict[str, dict[str, Qty]] = {item: {} for item in requests}
    for stock in stocks:
        if stock.item_code in atp:
            atp[stock.item_code][stock.warehouse_code] = stock.available_to_promise(on)
    promises = []
    for item, requested in requests.items():
        supply = (supplies or {}).get(item) or ItemSupply(item)
        by_warehouse = atp[item] if supply.stocked else {}
        available = sum(by_warehouse.values(), NIL)
        covered = available > 0 if requested is None else available >= requested
        if supply.stocked and covered:
            when: date | None = on
        elif supply.lead_time_days > 0 or not supply.stocked:
            when = on + timedelta(days=supply.lead_time_days)
        else:
            when = None
        promises.append(ItemPromise(item, requested, available, dict(by_warehouse), supply.stocked, when))
    return promises
