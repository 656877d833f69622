"""Routing an order across warehouses by the strategy configured for the company or the customer, then
reserving it: shipments per warehouse plus a visible backorder for whatever could not be reserved.

- nearest: each line from the nearest warehouse that has it, then the next nearest.
- fewest shipments: the smallest set of warehouses that ships as much as can be shipped at all (one
  warehouse that can ship everything, if there is one); ties go to the nearest.
- fastest promise: warehouses ranked by promised delivery date (handling days + transit days by distance).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import combinations

from o2c.inventory.domain.errors import InvalidValue
from o2c.inventory.domain.places import Coordinates, Warehouse
from o2c.inventory.domain.quantities import NIL, Qty, positive_qty
from o2c.inventory.domain.stock import ItemStock, Reservation, ReservationKey

EXACT_SEARCH_LIMIT = 12  # warehouses; beyond this "fewest shipments" is chosen greedily


class RoutingStrategy(StrEnum):
    NEAREST = "nearest"
    FEWEST_SHIPMENTS = "fewest_shipments"
    FASTEST_PROMISE = "fastest_promise"


@dataclass(frozen=True)
class RoutingPolicy:
    """Configured per company, overridable per customer. Transit is estimated as one day per `km_per_day`
    (part-days count as a day) on top of each warehouse's handling days."""

    strategy: RoutingStrategy = RoutingStrategy.NEAREST
    km_per_day: Decimal = Decimal(300)
    handling_days: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.km_per_day <= 0:
            raise InvalidValue("km_per_day", "must be more than zero")


@dataclass(frozen=True)
class LineRequest:
    line_no: int
    item_code: str
    quantity: Qty

    def __post_init__(self) -> None:
        object.__setattr__(self, "quantity", positive_qty(self.quantity))


@dataclass(frozen=True)
class PlannedLine:
    line_no: int
    item_code: str
    quantity: Qty


@dataclass(frozen=True)
class PlannedShipment:
    warehouse_code: str
    distance_km: Decimal | None
    promise_date: date
    lines: tuple[PlannedLine, ...]


@dataclass(frozen=True)
class Shortfall:
    """What of a line could not be planned or reserved: a backorder, never silent."""

    line_no: int
    item_code: str
    ordered: Qty
    reserved: Qty

    @property
    def short(self) -> Qty:
        return self.ordered - self.reserved


@dataclass(frozen=True)
class RoutePlan:
    strategy: RoutingStrategy
    shipments: tuple[PlannedShipment, ...]
    shortfalls: tuple[Shortfall, ...]


@dataclass(frozen=True)
class _Option:
    warehouse: Warehouse
    distance: Decimal | None
    promise_date: date

    @property
    def nearness(self) -> tuple[int, Decimal, str]:
        # Unknown distances rank after known ones, then by code, so plans are deterministic.
        return (0, self.distance, self.warehouse.code) if self.distance is not None \
            else (1, Decimal(0), self.warehouse.code)


def _options(warehouses: Sequence[Warehouse], ship_to: Coordinates | None, policy: RoutingPolicy,
             on: date) -> list[_Option]:
    options = []
    for warehouse in warehouses:
        distance = warehouse.distance_to(ship_to)
        transit = 0 if distance is None else math.ceil(distance / policy.km_per_day)
        handling = policy.handling_days.get(warehouse.code, 0)
        options.append(_Option(warehouse, distance, on + timedelta(days=handling + transit)))
    return options


def _coverage(codes: Sequence[str], needs: Mapping[str, Qty], atp: Mapping[tuple[str, str], Qty]) -> Qty:
    return sum((min(need, sum((atp.get((c, item), NIL) for c in codes), NIL)) for item, need in needs.items()), NIL)


def _fewest(options: list[_Option], needs: Mapping[str, Qty], atp: Mapping[tuple[str, str], Qty]) -> list[_Option]:
    useful = [o for o in options if any(atp.get((o.warehouse.code, item), NIL) > 0 for item in needs)]
    best = _coverage([o.warehouse.code for o in useful], needs, atp)
    if best <= 0:
        return []
    if len(useful) <= EXACT_SEARCH_LIMIT:
        for size in range(1, len(useful) + 1):
            fits = [combo for combo in combinations(useful, size)
                    if _coverage([o.warehouse.code for o in combo], needs, atp) == best]
            if fits:
                chosen = min(fits, key=lambda combo: sorted(o.nearness for o in combo))
                return sorted(chosen, key=lambda o: o.nearness)
    chosen_list: list[_Option] = []  # greedy: add the warehouse that adds most, nearest on ties
    while _coverage([o.warehouse.code for o in chosen_list], needs, atp) < best:
        rest = [o for o in useful if o not in chosen_list]
        gain = {o.warehouse.code: _coverage([c.warehouse.code for c in [*chosen_list, o]], needs, atp) for o in rest}
        chosen_list.append(min(rest, key=lambda o: (-gain[o.warehouse.code], o.nearness)))
    return sorted(chosen_list, key=lambda o: o.nearness)


def plan_route(
    lines: Sequence[LineRequest],
    ship_to: Coordinates | None,
    warehouses: Sequence[Warehouse],
    atp: Mapping[tuple[str, str], Qty],
    policy: RoutingPolicy,
    on: date,
) -> RoutePlan:
    """Split the order into shipments per warehouse from available-to-promise figures (warehouse, item)."""
    if len({line.line_no for line in lines}) != len(lines):
        raise InvalidValue("lines", "line numbers must be unique")
    options = _options(warehouses, ship_to, policy, on)
    needs: dict[str, Qty] = defaultdict(lambda: NIL)
    for line in lines:
        needs[line.item_code] += line.quantity

    if policy.strategy is RoutingStrategy.FEWEST_SHIPMENTS:
        ranked = _fewest(options, needs, atp)
    elif policy.strategy is RoutingStrategy.FASTEST_PROMISE:
        ranked = sorted(options, key=lambda o: (o.promise_date, o.nearness))
    else:
        ranked = sorted(options, key=lambda o: o.nearness)

    left = dict(atp)
    planned: dict[str, list[PlannedLine]] = defaultdict(list)
    shortfalls = []
    for line in sorted(lines, key=lambda ln: ln.line_no):
        remaining = line.quantity
        order = ranked
        if policy.strategy is RoutingStrategy.FEWEST_SHIPMENTS:
            # Within the chosen warehouses, a line one of them can ship whole is not split across shipments.
            whole = [o for o in ranked if left.get((o.warehouse.code, line.item_code), NIL) >= line.quantity]
            order = whole[:1] + [o for o in ranked if o not in whole[:1]]
        for option in order:
            if remaining <= 0:
                break
            slot = (option.warehouse.code, line.item_code)
            take = min(remaining, left.get(slot, NIL))
            if take > 0:
                planned[option.warehouse.code].append(PlannedLine(line.line_no, line.item_code, take))
                left[slot] = left.get(slot, NIL) - take
                remaining -= take
        if remaining > 0:
            shortfalls.append(Shortfall(line.line_no, line.item_code, line.quantity, line.quantity - remaining))
    shipments = tuple(
        PlannedShipment(o.warehouse.code, o.distance, o.promise_date, tuple(planned[o.warehouse.code]))
        for o in ranked if planned.get(o.warehouse.code)
    )
    return RoutePlan(policy.strategy, shipments, tuple(shortfalls))


# --- routing and reserving together ------------------------------------------------------------


class AllocationOutcome(StrEnum):
    """Maps to StockReserved / StockPartiallyReserved / StockReservationFailed."""

    RESERVED = "reserved"
    PARTIALLY_RESERVED = "partially_reserved"
    FAILED = "failed"


@dataclass(frozen=True)
class ShipmentAllocation:
    warehouse_code: str
    reservations: tuple[Reservation, ...]


@dataclass(frozen=True)
class OrderAllocation:
    order_id: str
    shipments: tuple[ShipmentAllocation, ...]
    shortfalls: tuple[Shortfall, ...]
    repeated: bool = False

    @property
    def outcome(self) -> AllocationOutcome:
        if not self.shipments:
            return AllocationOutcome.FAILED
        return AllocationOutcome.PARTIALLY_RESERVED if self.shortfalls else AllocationOutcome.RESERVED


def _existing_allocation(order_id: str, lines: Sequence[LineRequest],
                         stocks: Mapping[tuple[str, str], ItemStock]) -> OrderAllocation | None:
    """The order's reservations as they stand, if it was allocated before; None if it never was."""
    seen = False
    by_warehouse: dict[str, list[Reservation]] = defaultdict(list)
    reserved: dict[int, Qty] = defaultdict(lambda: NIL)
    for line in sorted(lines, key=lambda ln: ln.line_no):
        key = ReservationKey(order_id, line.line_no)
        for (warehouse_code, item_code), stock in sorted(stocks.items()):
            found = stock.reservations.get(key) if item_code == line.item_code else None
            if found is None:
                continue
            seen = True
            reserved[line.line_no] += found.quantity
            if found.quantity > 0:
                by_warehouse[warehouse_code].append(found)
    if not seen:
        return None
    shortfalls = tuple(Shortfall(ln.line_no, ln.item_code, ln.quantity, reserved[ln.line_no])
                       for ln in sorted(lines, key=lambda ln: ln.line_no) if reserved[ln.line_no] < ln.quantity)
    shipments = tuple(ShipmentAllocation(code, tuple(rs)) for code, rs in by_warehouse.items())
    return OrderAllocation(order_id, shipments, shortfalls, repeated=True)


def allocate_order(
    order_id: str,
    lines: Sequence[LineRequest],
    ship_to: Coordinates | None,
    warehouses: Sequence[Warehouse],
    stocks: Mapping[tuple[str, str], ItemStock],
    policy: RoutingPolicy,
    on: date,
) -> OrderAllocation:
    """Route and reserve an order (stocks keyed by (warehouse, item), loaded and locked by the caller). A
    repeated order finds its reservations and changes nothing, even if stock has moved since."""
    existing = _existing_allocation(order_id, lines, stocks)
    if existing is not None:
        return existing
    atp = {slot: stock.available_to_promise(on) for slot, stock in stocks.items()}
    plan = plan_route(lines, ship_to, warehouses, atp, policy, on)
    reserved: dict[int, Qty] = defaultdict(lambda: NIL)
    shipments = []
    for shipment in plan.shipments:
        reservations = []
        for planned in shipment.lines:
            stock = stocks[(shipment.warehouse_code, planned.item_code)]
            reservation = stock.reserve(ReservationKey(order_id, planned.line_no), planned.quantity, on)
            reserved[planned.line_no] += reservation.quantity
            if reservation.quantity > 0:
                reservations.append(reservation)
        if reservations:
            shipments.append(ShipmentAllocation(shipment.warehouse_code, tuple(reservations)))
    shortfalls = tuple(Shortfall(ln.line_no, ln.item_code, ln.quantity, reserved[ln.line_no])
                       for ln in sorted(lines, key=lambda ln: ln.line_no) if reserved[ln.line_no] < ln.quantity)
    return OrderAllocation(order_id, tuple(shipments), shortfalls)
