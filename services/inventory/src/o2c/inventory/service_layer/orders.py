"""Use cases driven by the order flow: reserve on OrderConfirmed / OrderAmended, release and re-reserve on the
coordinator's commands, fill backorders when stock arrives, issue at gate-out, correct short picks.

Every use case runs in the caller's unit of work (the consumer's batch, or an HTTP request), locks the
item-stock rows it touches through its repository, calls the domain, saves, and publishes what it causes on the
unit of work (the outbox, in the same transaction)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from o2c.contracts.envelope import Message
from o2c.contracts.types import Quantity, Uqc
from o2c.contracts.v1 import common
from o2c.contracts.v1.dispatch import PickConfirmed, ShipmentDispatched
from o2c.contracts.v1.inventory import (
    BackorderFilled,
    IssuedLine,
    ReservationReleased,
    StockIssued,
    StockPartiallyReserved,
    StockReservationFailed,
    StockReserved,
)
from o2c.contracts.v1.sales import (
    OrderAmended,
    OrderBackordered,
    OrderCancelled,
    OrderConfirmed,
    ReleaseReservation,
    ReserveStock,
)
from o2c.inventory.domain import (
    NIL,
    Allocation,
    AllocationOutcome,
    Backorder,
    Bin,
    BinKind,
    ItemStock,
    LineRequest,
    Location,
    OrderAllocation,
    Qty,
    ReservationKey,
    StockBalance,
    allocate_order,
    business_date,
    fill_backorders,
    plan_route,
)
from o2c.inventory.service_layer.places import WarehouseSite, load_sites, routing_policy_for
from o2c.inventory.service_layer.ports import (
    BackorderRecord,
    ItemInfo,
    OrderAllocationRecord,
    Slot,
    UnitOfWork,
    Units,
)

log = logging.getLogger("o2c.inventory")

ORDER_FLOW = "order-flow"  # the ledger's actor for what orders do to stock


def _units(items: dict[str, ItemInfo]) -> Units:
    return {code: (i.unit, i.batch_tracked) for code, i in items.items()}


def quantity(value: Qty, unit: str) -> Quantity:
    try:
        uqc = Uqc(unit)
    except ValueError:
        uqc = Uqc("NOS")
    return Quantity(value=value, unit=uqc)


def batch_allocations(allocations: Iterable[Allocation], unit: str) -> list[common.BatchAllocation]:
    return [common.BatchAllocation(quantity=quantity(a.quantity, unit), batch_no=a.batch_no,
                                   expiry_date=a.expiry_date, bin_code=a.bin_code) for a in allocations]


def expected_date(item: ItemInfo | None, on: date) -> date | None:
    if item is None or item.lead_time_days <= 0:
        return None
    return on + timedelta(days=item.lead_time_days)


def shortfall(line_no: int, item_code: str, ordered: Qty, reserved: Qty, item: ItemInfo | None,
              on: date) -> common.Shortfall:
    unit = item.unit if item else "NOS"
    return common.Shortfall(line_no=line_no, item_code=item_code, ordered=quantity(ordered, unit),
                            reserved=quantity(reserved, unit), short=quantity(ordered - reserved, unit),
                            expected_date=expected_date(item, on))


def warehouse_allocation(site: WarehouseSite, lines: list[common.ReservedLine]) -> common.WarehouseAllocation:
    return common.WarehouseAllocation(warehouse_id=site.code, warehouse_gstin=site.warehouse.gstin,
                                      dispatch_from=site.address, lines=lines)


def allocation_messages(allocation: OrderAllocation, sites: dict[str, WarehouseSite],
                        items: dict[str, ItemInfo]) -> list[common.WarehouseAllocation]:
    out = []
    for shipment in allocation.shipments:
        lines = []
        for res in sorted(shipment.reservations, key=lambda r: r.key.line_no):
            unit = items[res.item_code].unit if res.item_code in items else "NOS"
            lines.append(common.ReservedLine(line_no=res.key.line_no, item_code=res.item_code,
                                             quantity=quantity(res.quantity, unit),
                                             allocations=batch_allocations(res.allocations, unit)))
        if lines:
            out.append(warehouse_allocation(sites[shipment.warehouse_code], lines))
    return out


def outcome_message(order_id: str, revision: int, request_id: str | None,
                    allocations: list[common.WarehouseAllocation], shortfalls: list[common.Shortfall],
                    at: datetime) -> Message:
    if not allocations:
        return StockReservationFailed(order_id=order_id, order_revision=revision, request_id=request_id,
                                      decided_at=at, shortfalls=shortfalls)
    if shortfalls:
        return StockPartiallyReserved(order_id=order_id, order_revision=revision, request_id=request_id,
                                      decided_at=at, allocations=allocations, shortfalls=shortfalls)
    return StockReserved(order_id=order_id, order_revision=revision, request_id=request_id, decided_at=at,
                         allocations=allocations)


def now() -> datetime:
    return datetime.now(UTC)


# --- reservation on confirmation (and amendment) ---------------------------------------------------


async def reserve_order(uow: UnitOfWork, order: OrderConfirmed | OrderAmended, at: datetime | None = None
                        ) -> Message:
    at = at or now()
    on = business_date(at)
    existing = await uow.allocations.revision_for_update(order.order_id)
    amended = isinstance(order, OrderAmended)
    if existing is not None and existing > order.revision:
        log.info("order %s revision %d is older than the one reserved (%d): ignored", order.order_id,
                 order.revision, existing)
        return StockReservationFailed(order_id=order.order_id, order_revision=order.revision, decided_at=at,
                                      shortfalls=[shortfall(ln.line_no, ln.item_code, ln.quantity.value, NIL, None, on)
                                                  for ln in order.lines], reason="superseded revision")
    item_codes = {ln.item_code for ln in order.lines}
    if amended and existing is not None:
        item_codes |= {item for _, item in await uow.stocks.slots_of_order(order.order_id)}  # lines dropped, too
    # Everything that needs no lock is read first: the item-stock locks are held as briefly as possible.
    items = await uow.items.get(item_codes)
    sites = await load_sites(uow)
    ship_to, source = uow.directory.coordinates(order.ship_to.pincode, order.ship_to.state_code)
    if source in ("state_capital", "none"):
        log.warning("ship-to pincode %s of order %s has no coordinates in the directory: routed by %s",
                    order.ship_to.pincode, order.order_id,
                    "its state capital" if source == "state_capital" else "warehouse code (no distance)")
    policy = await routing_policy_for(uow, order.customer_id)
    stocks = await uow.stocks.lock_items(item_codes, order_ids=[order.order_id], units=_units(items),
                                         with_issues=existing is not None)

    released_before: dict[tuple[Slot, ReservationKey], Any] = {}
    if amended and existing is not None and existing < order.revision:
        # A new revision replaces the reservation: give everything back, then route the new lines afresh.
        for slot, stock in stocks.items():
            for key in [k for k in stock.reservations if k.order_id == order.order_id]:
                stock.release(key)
                released_before[(slot, key)] = stock.reservations.pop(key)
        await uow.backorders.drop_open(order.order_id)

    stocked_lines = [ln for ln in order.lines if items.get(ln.item_code, ItemInfo(ln.item_code)).stocked]
    requests = [LineRequest(ln.line_no, ln.item_code, ln.quantity.value) for ln in stocked_lines]
    allocation = allocate_order(order.order_id, requests, ship_to, [s.warehouse for s in sites.values()],
                                stocks, policy, on) if requests else OrderAllocation(order.order_id, (), ())
    for (slot, key), res in released_before.items():
        stocks[slot].reservations.setdefault(key, res)
    await uow.stocks.save(stocks.values(), at, ORDER_FLOW)

    shortfalls = [shortfall(s.line_no, s.item_code, s.ordered, s.reserved, items.get(s.item_code), on)
                  for s in allocation.shortfalls]
    shortfalls += [shortfall(ln.line_no, ln.item_code, ln.quantity.value, NIL, items.get(ln.item_code), on)
                   for ln in order.lines if ln not in stocked_lines]
    shortfalls.sort(key=lambda s: s.line_no)
    confirmed_at = order.confirmed_at if isinstance(order, OrderConfirmed) else order.amended_at
    await uow.backorders.add([
        BackorderRecord(order.order_id, s.line_no, s.item_code, s.short.value, s.short.value, "open", confirmed_at,
                        s.expected_date) for s in shortfalls])
    message = outcome_message(order.order_id, order.revision, None, allocation_messages(allocation, sites, items),
                              shortfalls, at)
    await uow.allocations.record(OrderAllocationRecord(
        order_id=order.order_id, revision=order.revision, customer_id=order.customer_id,
        ship_to_pincode=order.ship_to.pincode, ship_to_state=order.ship_to.state_code,
        strategy=policy.strategy.value, outcome=allocation.outcome.value,
        lines=[{"line_no": ln.line_no, "item_code": ln.item_code, "quantity": str(ln.quantity.value)}
               for ln in order.lines], confirmed_at=confirmed_at, decided_at=at))
    if allocation.repeated:
        log.info("order %s was reserved before: outcome repeated, nothing changed", order.order_id)
    uow.publish(message)
    return message


# --- the coordinator's commands ----------------------------------------------------------------


async def release_reservation(uow: UnitOfWork, command: ReleaseReservation, at: datetime | None = None, *,
                              reply_to_sender: bool = True) -> Message:
    at = at or now()
    stored = await uow.replies.get(command.request_id)
    if stored is not None:
        uow.publish(stored)  # the coordinator re-sent the command: same answer, nothing released twice
        return stored
    slots = await uow.stocks.slots_of_order(command.order_id)
    items = await uow.items.get({s[1] for s in slots})
    stocks = await uow.stocks.lock_slots(slots, order_ids=[command.order_id], units=_units(items))
    released: list[common.LineQuantity] = []

    def unit_of(code: str) -> str:
        return items[code].unit if code in items else "NOS"

    if not command.lines:
        for (warehouse_id, item_code), stock in sorted(stocks.items()):
            for key in sorted(k for k in stock.reservations if k.order_id == command.order_id):
                freed = stock.release(key)
                if freed > 0:
                    released.append(common.LineQuantity(line_no=key.line_no, item_code=item_code,
                                                        quantity=quantity(freed, unit_of(item_code)),
                                                        warehouse_id=warehouse_id))
    else:
        for line in command.lines:
            key = ReservationKey(command.order_id, line.line_no)
            wanted = line.quantity.value
            for (warehouse_id, item_code), stock in sorted(stocks.items()):
                if wanted <= 0:
                    break
                if item_code != line.item_code or key not in stock.reservations:
                    continue
                if line.warehouse_id and line.warehouse_id != warehouse_id:
                    continue
                take = min(wanted, stock.reservations[key].quantity)
                if take <= 0:
                    continue
                freed = stock.release(key, take, f"{command.request_id}@{warehouse_id}")
                wanted -= freed
                if freed > 0:
                    released.append(common.LineQuantity(line_no=line.line_no, item_code=item_code,
                                                        quantity=quantity(freed, unit_of(item_code)),
                                                        warehouse_id=warehouse_id))
    await fill_from(uow, stocks.values(), f"release:{command.request_id}", at, items, skip_order=command.order_id)
    await uow.stocks.save(stocks.values(), at, ORDER_FLOW)
    reply = ReservationReleased(order_id=command.order_id, request_id=command.request_id, lines=released,
                                released_at=at)
    if reply_to_sender:
        await uow.replies.add("ReleaseReservation", command.order_id, command.request_id, reply)
        uow.publish(reply)
    return reply


async def reserve_stock(uow: UnitOfWork, command: ReserveStock, at: datetime | None = None) -> Message:
    """Reserve more for the listed lines (a backorder retried, a short pick to cover). What a short pick
    already re-reserved from another bin of the same warehouse counts first (inventory re-reserves on
    PickConfirmed); only the rest is routed afresh."""
    at = at or now()
    on = business_date(at)
    stored = await uow.replies.get(command.request_id)
    if stored is not None:
        uow.publish(stored)
        return stored
    item_codes = {ln.item_code for ln in command.lines}
    items = await uow.items.get(item_codes)
    sites = await load_sites(uow)
    policy = await routing_policy_for(uow, await uow.allocations.customer_of(command.order_id))
    ship_to, _ = uow.directory.coordinates(command.ship_to_pincode)
    stocks = await uow.stocks.lock_items(item_codes, order_ids=[command.order_id], units=_units(items))
    before = {(slot, key): len(res.allocations) for slot, stock in stocks.items()
              for key, res in stock.reservations.items() if key.order_id == command.order_id}
    gained: dict[int, Qty] = {}
    claimed: dict[tuple[Slot, ReservationKey], list[Allocation]] = {}
    requests: list[LineRequest] = []
    for line in command.lines:
        key = ReservationKey(command.order_id, line.line_no)
        wanted = line.quantity.value
        got = NIL
        if command.exclude_bins:
            for slot, stock in sorted(stocks.items()):
                res = stock.reservations.get(key)
                if res is None or slot[1] != line.item_code:
                    continue
                for report_id, outcome in sorted(res.short_picks.items()):
                    mark = f"claimed:{report_id}"
                    if mark in res.handled or outcome.reallocated <= 0 or got >= wanted:
                        continue
                    res.handled[mark] = outcome.reallocated
                    got += outcome.reallocated
                    claimed.setdefault((slot, key), []).extend(outcome.replacements)
        gained[line.line_no] = got
        if wanted - got > 0:
            requests.append(LineRequest(line.line_no, line.item_code, wanted - got))
    by_line = {ln.line_no: ln for ln in command.lines}
    candidates = [s.warehouse for s in sites.values()]
    if command.preferred_warehouse_id and command.preferred_warehouse_id in sites:
        candidates = [sites[command.preferred_warehouse_id].warehouse]
    fixed = [r for r in requests if by_line[r.line_no].warehouse_id]
    free = [r for r in requests if not by_line[r.line_no].warehouse_id]
    planned: list[tuple[str, int, str, Qty]] = []
    for r in fixed:
        planned.append((by_line[r.line_no].warehouse_id or "", r.line_no, r.item_code, r.quantity))
    with _bins_excluded(stocks.values(), command.exclude_bins):
        if free:
            atp = {slot: s.available_to_promise(on) for slot, s in stocks.items()}
            plan = plan_route(free, ship_to, candidates, atp, policy, on)
            for shipment in plan.shipments:
                planned += [(shipment.warehouse_code, pl.line_no, pl.item_code, pl.quantity)
                            for pl in shipment.lines]
        for warehouse_id, line_no, item_code, amount in planned:
            target = stocks.get((warehouse_id, item_code))
            if target is None or amount <= 0:
                continue
            got = target.reserve_more(ReservationKey(command.order_id, line_no), amount, on,
                                     f"{command.request_id}@{warehouse_id}")
            gained[line_no] = gained.get(line_no, NIL) + got
    await uow.stocks.save(stocks.values(), at, ORDER_FLOW)

    per_site: dict[str, list[common.ReservedLine]] = {}
    for (slot, key), res in ((sk, stocks[sk[0]].reservations[sk[1]])
                             for sk in sorted({(slot, key) for slot, stock in stocks.items()
                                               for key in stock.reservations if key.order_id == command.order_id})):
        new = res.allocations[before.get((slot, key), 0):] + claimed.get((slot, key), [])
        if key.line_no not in by_line or not new:
            continue
        unit = items[slot[1]].unit if slot[1] in items else "NOS"
        amount = sum((a.quantity for a in new), NIL)
        per_site.setdefault(slot[0], []).append(common.ReservedLine(
            line_no=key.line_no, item_code=slot[1], quantity=quantity(amount, unit),
            allocations=batch_allocations(new, unit)))
    allocations = [warehouse_allocation(sites[w], lines) for w, lines in sorted(per_site.items()) if w in sites]
    shortfalls = [shortfall(ln.line_no, ln.item_code, ln.quantity.value, gained.get(ln.line_no, NIL),
                            items.get(ln.item_code), on)
                  for ln in command.lines if gained.get(ln.line_no, NIL) < ln.quantity.value]
    await _reduce_backorders(uow, command.order_id, gained, command.request_id)
    reply = outcome_message(command.order_id, command.order_revision, command.request_id, allocations, shortfalls, at)
    await uow.replies.add("ReserveStock", command.order_id, command.request_id, reply)
    uow.publish(reply)
    return reply


@contextlib.contextmanager
def _bins_excluded(stocks: Iterable[ItemStock], bins: Sequence[str]) -> Iterator[None]:
    """Bins found short at picking take no new reservation while the command is served: they count as
    quarantine for the moment (their stock and reservations are untouched; nothing of this is saved)."""
    swapped: list[tuple[StockBalance, Bin]] = []
    try:
        for stock in stocks:
            for balance in stock.balances.values():
                if balance.bin.code in bins and balance.bin.is_pickable:
                    swapped.append((balance, balance.bin))
                    balance.bin = Bin(balance.bin.code, BinKind.QUARANTINE)
        yield
    finally:
        for balance, original in swapped:
            balance.bin = original


async def _reduce_backorders(uow: UnitOfWork, order_id: str, gained: dict[int, Qty], fill_id: str) -> None:
    for row in await uow.backorders.open_of_order_for_update(order_id):
        got = gained.get(row.line_no, NIL)
        if got <= 0 or fill_id in row.filled:
            continue
        row.filled[fill_id] = got
        row.remaining = max(NIL, row.remaining - got)
        row.status = "filled" if row.remaining <= 0 else "open"
        await uow.backorders.record_fill(row)


# --- backorders ----------------------------------------------------------------------------------


async def fill_from(uow: UnitOfWork, stocks: Iterable[ItemStock], arrival_id: str, at: datetime,
                    items: dict[str, ItemInfo], skip_order: str | None = None) -> int:
    """Newly available stock goes to open backorders of the same item, oldest confirmation first (never back to
    the order that just gave it up)."""
    on = business_date(at)
    stocks = [s for s in stocks if s.available_to_promise(on) > 0]
    if not stocks:
        return 0
    rows = await uow.backorders.open_for_items_for_update({s.item_code for s in stocks}, skip_order=skip_order)
    if not rows:
        return 0
    records = {(r.order_id, r.line_no): r for r in rows}
    backorders = {(r.order_id, r.line_no): Backorder(r.order_id, r.line_no, r.item_code, r.quantity, r.confirmed_at,
                                                     dict(r.filled))
                  for r in rows}
    sites = await load_sites(uow, active_only=False)
    count = 0
    for stock in stocks:
        keys = [ReservationKey(o, n) for (o, n), bo in backorders.items() if bo.item_code == stock.item_code]
        # (the repository loaded the reservations of backordered lines with the stock, released ones too)
        before = {k: len(stock.reservations[k].allocations) if k in stock.reservations else 0 for k in keys}
        fills = fill_backorders(list(backorders.values()), stock, on, arrival_id)
        unit = items[stock.item_code].unit if stock.item_code in items else stock.unit
        for fill in fills:
            count += 1
            key = ReservationKey(fill.order_id, fill.line_no)
            bo = backorders[(fill.order_id, fill.line_no)]
            new = stock.reservations[key].allocations[before.get(key, 0):]
            record = records[(fill.order_id, fill.line_no)]
            record.filled, record.remaining = dict(bo.filled), bo.remaining
            record.status = "filled" if bo.is_filled else "open"
            await uow.backorders.record_fill(record)
            others = [x for x in backorders.values() if x.order_id == fill.order_id and not x.is_filled]
            site = sites[stock.warehouse_code]
            uow.publish(BackorderFilled(
                order_id=fill.order_id,
                allocations=[warehouse_allocation(site, [common.ReservedLine(
                    line_no=fill.line_no, item_code=stock.item_code, quantity=quantity(fill.quantity, unit),
                    allocations=batch_allocations(new, unit))])],
                remaining=[shortfall(x.line_no, x.item_code, x.quantity, x.quantity - x.remaining,
                                     items.get(x.item_code), on) for x in others],
                filled_at=at))
    return count


async def note_backorder(uow: UnitOfWork, message: OrderBackordered) -> None:
    """The coordinator backordered lines (e.g. released a ship-complete hold): make sure inventory waits for
    at least that much of each line."""
    for line in message.lines:
        row = await uow.backorders.get_for_update(message.order_id, line.line_no)
        wanted = line.quantity.value
        if row is None:
            await uow.backorders.add([BackorderRecord(message.order_id, line.line_no, line.item_code, wanted, wanted,
                                                      "open", message.backordered_at, line.expected_date)])
        elif row.status != "cancelled" and row.remaining < wanted:
            filled = row.quantity - row.remaining
            await uow.backorders.resize(message.order_id, line.line_no, filled + wanted, wanted)


async def cancel_order(uow: UnitOfWork, message: OrderCancelled) -> None:
    """The order (or the listed remainder) is cancelled: whatever is still reserved for it is released, so no
    stock stays promised to a cancelled order (e.g. a backorder filled between a failed reservation and the
    cancellation), and its backorders close. The coordinator's own ReleaseReservation, if it comes, then finds
    nothing left and says so. Item-stock rows are locked before backorder rows, as everywhere else."""
    internal = ReleaseReservation(
        order_id=message.order_id, request_id=f"cancelled:{message.order_id}:{message.cancelled_at.isoformat()}",
        reason=f"order cancelled ({message.reason.value})", requested_at=message.cancelled_at,
        lines=list(message.cancelled_lines))
    await release_reservation(uow, internal, message.cancelled_at, reply_to_sender=False)
    await uow.backorders.cancel_open(message.order_id, [ln.line_no for ln in message.cancelled_lines] or None)


# --- gate-out and picking ------------------------------------------------------------------------


async def issue_shipment(uow: UnitOfWork, message: ShipmentDispatched) -> StockIssued | None:
    """Stock leaves at gate-out, once per shipment: a repeated ShipmentDispatched moves nothing and says nothing."""
    at = message.dispatched_at
    items = await uow.items.get({ln.item_code for ln in message.lines})
    slots = [(message.warehouse_id, ln.item_code) for ln in message.lines]
    stocks = await uow.stocks.lock_slots(slots, order_ids=[message.order_id], units=_units(items))
    issued: list[IssuedLine] = []
    for line in message.lines:
        found = stocks.get((message.warehouse_id, line.item_code))
        key = ReservationKey(message.order_id, line.line_no)
        res = found.reservations.get(key) if found else None
        if found is None or res is None:
            log.warning("gate-out of %s: no reservation for order %s line %d at %s; nothing issued",
                        message.shipment_id, message.order_id, line.line_no, message.warehouse_id)
            continue
        if message.shipment_id in res.issues:
            continue
        amount = min(line.quantity.value, res.quantity)
        if amount <= 0:
            continue
        if amount < line.quantity.value:
            log.warning("gate-out of %s line %d: %s dispatched, only %s reserved; issued what was reserved",
                        message.shipment_id, line.line_no, line.quantity.value, res.quantity)
        issue = found.issue(key, message.shipment_id, at, amount)
        unit = items[line.item_code].unit if line.item_code in items else found.unit
        issued.append(IssuedLine(line_no=line.line_no, item_code=line.item_code,
                                 quantity=quantity(issue.quantity, unit),
                                 allocations=batch_allocations(issue.allocations, unit)))
    await uow.stocks.save(stocks.values(), at, f"gate-out {message.shipment_id}")
    if not issued:
        return None
    out = StockIssued(order_id=message.order_id, shipment_id=message.shipment_id, warehouse_id=message.warehouse_id,
                      lines=issued, issued_at=at)
    uow.publish(out)
    return out


async def correct_short_pick(uow: UnitOfWork, message: PickConfirmed) -> Qty:
    """A picker found less in a bin than was reserved there: the bin's book follows the count, and the line is
    re-reserved from another bin of the same warehouse where possible (the rest is released: a backorder).
    Returns what was re-reserved. The coordinator's ReserveStock for the same short pick finds it."""
    if message.short.value <= 0:
        return NIL
    at = message.confirmed_at
    on = business_date(at)
    items = await uow.items.get([message.item_code])
    stocks = await uow.stocks.lock_items([message.item_code], order_ids=[message.order_id], units=_units(items))
    key = ReservationKey(message.order_id, message.line_no)
    holders = [s for s in stocks.values() if key in s.reservations and s.reservations[key].quantity > 0]
    bins = set(message.short_bins)
    targets: list[tuple[ItemStock, Location, Qty]] = []
    for stock in holders:
        for allocation in stock.reservations[key].allocations:
            if not bins or allocation.bin_code in bins:
                targets.append((stock, allocation.location, allocation.quantity))
    if not bins:
        targets.sort(key=lambda t: t[1], reverse=True)
    left = message.short.value
    regained = NIL
    for stock, location, held in targets:
        if left <= 0:
            break
        take = min(left, held)
        outcome = stock.report_short_pick(key, location.bin_code, location.batch_no, take, at, on,
                                          f"{message.pick_list_id}:{message.line_no}:{location.bin_code}:"
                                          f"{location.batch_no or ''}", message.short_reason or "short pick")
        left -= take
        regained += outcome.reallocated
    if left > 0:
        log.warning("short pick on %s line %d: %s short not found among the reserved bins",
                    message.pick_list_id, message.line_no, left)
    await uow.stocks.save(stocks.values(), at, f"pick {message.pick_list_id}")
    return regained


def ordered_slots(slots: Sequence[Slot]) -> list[Slot]:
    return sorted(set(slots))


__all__ = ["AllocationOutcome", "ItemInfo", "cancel_order", "correct_short_pick", "fill_from", "issue_shipment",
           "note_backorder", "release_reservation", "reserve_order", "reserve_stock"]
