"""Use cases driven by the order flow: reserve on OrderConfirmed / OrderAmended, release and re-reserve on the
coordinator's commands, fill backorders when stock arrives, issue at gate-out, correct short picks.

Every use case runs in the caller's transaction (the consumer's batch, or an HTTP request), locks the
item-stock rows it touches through the repository, calls the domain, saves, and hands what it causes to
`emit` (the outbox, in the same transaction)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
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
from o2c.inventory.adapters import db
from o2c.inventory.adapters.pincodes import coordinates
from o2c.inventory.adapters.repository import Slot, StockRepository
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
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("o2c.inventory")

Emit = Callable[[Message], Awaitable[Any]]


@dataclass(frozen=True)
class ItemInfo:
    item_code: str
    unit: str = "NOS"
    batch_tracked: bool = False
    stocked: bool = True
    lead_time_days: int = 0


async def load_items(session: AsyncSession, codes: Iterable[str]) -> dict[str, ItemInfo]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = await session.execute(sa.text(
        "SELECT item_code, unit, batch_tracked, stocked, lead_time_days FROM item "
        "WHERE item_code = ANY(CAST(:codes AS text[]))"), {"codes": wanted})
    return {r.item_code: ItemInfo(r.item_code, r.unit, r.batch_tracked, r.stocked, r.lead_time_days) for r in rows}


def _units(items: dict[str, ItemInfo]) -> dict[str, tuple[str, bool]]:
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


async def reserve_order(session: AsyncSession, order: OrderConfirmed | OrderAmended, emit: Emit,
                        at: datetime | None = None) -> Message:
    at = at or now()
    on = business_date(at)
    existing = (await session.execute(
        sa.select(db.order_allocation.c.revision).where(db.order_allocation.c.order_id == order.order_id)
        .with_for_update())).first()
    amended = isinstance(order, OrderAmended)
    if existing is not None and existing.revision > order.revision:
        log.info("order %s revision %d is older than the one reserved (%d): ignored", order.order_id,
                 order.revision, existing.revision)
        return StockReservationFailed(order_id=order.order_id, order_revision=order.revision, decided_at=at,
                                      shortfalls=[shortfall(ln.line_no, ln.item_code, ln.quantity.value, NIL, None, on)
                                                  for ln in order.lines], reason="superseded revision")
    item_codes = {ln.item_code for ln in order.lines}
    if amended and existing is not None:
        item_codes |= {item for _, item in await _order_slots(session, order.order_id)}  # lines dropped, too
    # Everything that needs no lock is read first: the item-stock locks are held as briefly as possible.
    items = await load_items(session, item_codes)
    sites = await load_sites(session)
    ship_to, source = coordinates(order.ship_to.pincode, order.ship_to.state_code)
    if source in ("state_capital", "none"):
        log.warning("ship-to pincode %s of order %s has no coordinates in the directory: routed by %s",
                    order.ship_to.pincode, order.order_id,
                    "its state capital" if source == "state_capital" else "warehouse code (no distance)")
    policy = await routing_policy_for(session, order.customer_id)
    repo = StockRepository(session, actor="order-flow")
    stocks = await repo.lock_items(item_codes, order_ids=[order.order_id], units=_units(items),
                                   with_issues=existing is not None)

    released_before: dict[tuple[Slot, ReservationKey], Any] = {}
    if amended and existing is not None and existing.revision < order.revision:
        # A new revision replaces the reservation: give everything back, then route the new lines afresh.
        for slot, stock in stocks.items():
            for key in [k for k in stock.reservations if k.order_id == order.order_id]:
                stock.release(key)
                released_before[(slot, key)] = stock.reservations.pop(key)
        await session.execute(sa.delete(db.backorder).where(db.backorder.c.order_id == order.order_id,
                                                            db.backorder.c.status == "open"))

    stocked_lines = [ln for ln in order.lines if items.get(ln.item_code, ItemInfo(ln.item_code)).stocked]
    requests = [LineRequest(ln.line_no, ln.item_code, ln.quantity.value) for ln in stocked_lines]
    allocation = allocate_order(order.order_id, requests, ship_to, [s.warehouse for s in sites.values()],
                                stocks, policy, on) if requests else OrderAllocation(order.order_id, (), ())
    for (slot, key), res in released_before.items():
        stocks[slot].reservations.setdefault(key, res)
    await repo.save(stocks.values(), at)

    shortfalls = [shortfall(s.line_no, s.item_code, s.ordered, s.reserved, items.get(s.item_code), on)
                  for s in allocation.shortfalls]
    shortfalls += [shortfall(ln.line_no, ln.item_code, ln.quantity.value, NIL, items.get(ln.item_code), on)
                   for ln in order.lines if ln not in stocked_lines]
    shortfalls.sort(key=lambda s: s.line_no)
    confirmed_at = order.confirmed_at if isinstance(order, OrderConfirmed) else order.amended_at
    if shortfalls:
        await session.execute(pg_insert(db.backorder).on_conflict_do_nothing(), [
            {"order_id": order.order_id, "line_no": s.line_no, "item_code": s.item_code, "quantity": s.short.value,
             "remaining": s.short.value, "status": "open", "confirmed_at": confirmed_at,
             "expected_date": s.expected_date} for s in shortfalls])
    message = outcome_message(order.order_id, order.revision, None, allocation_messages(allocation, sites, items),
                              shortfalls, at)
    row = {"order_id": order.order_id, "revision": order.revision, "customer_id": order.customer_id,
           "ship_to_pincode": order.ship_to.pincode, "ship_to_state": order.ship_to.state_code,
           "strategy": policy.strategy.value, "outcome": allocation.outcome.value,
           "lines": [{"line_no": ln.line_no, "item_code": ln.item_code, "quantity": str(ln.quantity.value)}
                     for ln in order.lines], "confirmed_at": confirmed_at, "decided_at": at}
    ins = pg_insert(db.order_allocation).values(**row)
    await session.execute(ins.on_conflict_do_update(index_elements=["order_id"], set_={
        k: ins.excluded[k] for k in row if k != "order_id"}))
    if allocation.repeated:
        log.info("order %s was reserved before: outcome repeated, nothing changed", order.order_id)
    await emit(message)
    return message


# --- the coordinator's commands ----------------------------------------------------------------


async def _stored_reply(session: AsyncSession, request_id: str) -> Message | None:
    from o2c.contracts.catalog import message_class

    row = (await session.execute(sa.select(db.command_reply).where(db.command_reply.c.request_id == request_id))
           ).mappings().first()
    if row is None:
        return None
    cls = message_class(row["reply_type"], 1)
    return cls.model_validate(row["reply"])


async def _store_reply(session: AsyncSession, command: str, order_id: str, request_id: str, reply: Message) -> None:
    await session.execute(pg_insert(db.command_reply).values(
        request_id=request_id, command=command, order_id=order_id, reply_type=reply.TYPE,
        reply=reply.model_dump(mode="json")).on_conflict_do_nothing())


async def _order_slots(session: AsyncSession, order_id: str) -> list[Slot]:
    r = db.reservation
    rows = await session.execute(sa.select(r.c.warehouse_id, r.c.item_code).where(r.c.order_id == order_id).distinct())
    return [(row.warehouse_id, row.item_code) for row in rows]


async def release_reservation(session: AsyncSession, command: ReleaseReservation, emit: Emit,
                              at: datetime | None = None, *, reply_to_sender: bool = True) -> Message:
    at = at or now()
    stored = await _stored_reply(session, command.request_id)
    if stored is not None:
        await emit(stored)  # the coordinator re-sent the command: same answer, nothing released twice
        return stored
    slots = await _order_slots(session, command.order_id)
    items = await load_items(session, {s[1] for s in slots})
    repo = StockRepository(session, actor="order-flow")
    stocks = await repo.lock_slots(slots, order_ids=[command.order_id], units=_units(items))
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
    fills = await _fill_backorders(session, repo, stocks.values(), f"release:{command.request_id}", at, emit, items,
                                   skip_order=command.order_id)
    del fills
    await repo.save(stocks.values(), at)
    reply = ReservationReleased(order_id=command.order_id, request_id=command.request_id, lines=released,
                                released_at=at)
    if reply_to_sender:
        await _store_reply(session, "ReleaseReservation", command.order_id, command.request_id, reply)
        await emit(reply)
    return reply


async def reserve_stock(session: AsyncSession, command: ReserveStock, emit: Emit, at: datetime | None = None
                        ) -> Message:
    """Reserve more for the listed lines (a backorder retried, a short pick to cover). What a short pick
    already re-reserved from another bin of the same warehouse counts first (inventory re-reserves on
    PickConfirmed); only the rest is routed afresh."""
    at = at or now()
    on = business_date(at)
    stored = await _stored_reply(session, command.request_id)
    if stored is not None:
        await emit(stored)
        return stored
    item_codes = {ln.item_code for ln in command.lines}
    items = await load_items(session, item_codes)
    sites = await load_sites(session)
    order_row = (await session.execute(sa.select(db.order_allocation.c.customer_id).where(
        db.order_allocation.c.order_id == command.order_id))).first()
    policy = await routing_policy_for(session, order_row.customer_id if order_row else None)
    ship_to, _ = coordinates(command.ship_to_pincode)
    repo = StockRepository(session, actor="order-flow")
    stocks = await repo.lock_items(item_codes, order_ids=[command.order_id], units=_units(items))
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
    await repo.save(stocks.values(), at)

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
    await _reduce_backorders(session, command.order_id, gained, command.request_id)
    reply = outcome_message(command.order_id, command.order_revision, command.request_id, allocations, shortfalls, at)
    await _store_reply(session, "ReserveStock", command.order_id, command.request_id, reply)
    await emit(reply)
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


async def _reduce_backorders(session: AsyncSession, order_id: str, gained: dict[int, Qty], fill_id: str) -> None:
    b = db.backorder
    rows = (await session.execute(sa.select(b).where(b.c.order_id == order_id, b.c.status == "open")
                                  .with_for_update())).mappings().all()
    for row in rows:
        got = gained.get(row["line_no"], NIL)
        if got <= 0 or fill_id in row["filled"]:
            continue
        remaining = max(NIL, Decimal(row["remaining"]) - got)
        await session.execute(sa.update(b).where(b.c.order_id == order_id, b.c.line_no == row["line_no"]).values(
            filled={**row["filled"], fill_id: str(got)}, remaining=remaining,
            status="filled" if remaining <= 0 else "open"))


# --- backorders ----------------------------------------------------------------------------------


async def _fill_backorders(session: AsyncSession, repo: StockRepository, stocks: Iterable[ItemStock],
                           arrival_id: str, at: datetime, emit: Emit, items: dict[str, ItemInfo],
                           skip_order: str | None = None) -> int:
    """Newly available stock goes to open backorders of the same item, oldest confirmation first (never back to
    the order that just gave it up)."""
    on = business_date(at)
    stocks = [s for s in stocks if s.available_to_promise(on) > 0]
    if not stocks:
        return 0
    b = db.backorder
    rows = (await session.execute(
        sa.select(b).where(b.c.status == "open", b.c.item_code.in_({s.item_code for s in stocks}),
                           b.c.order_id != (skip_order or ""))
        .order_by(b.c.confirmed_at, b.c.order_id, b.c.line_no).with_for_update()
    )).mappings().all()
    if not rows:
        return 0
    backorders = {(r["order_id"], r["line_no"]): Backorder(r["order_id"], r["line_no"], r["item_code"],
                                                           Decimal(r["quantity"]), r["confirmed_at"],
                                                           {k: Decimal(v) for k, v in r["filled"].items()})
                  for r in rows}
    sites = await load_sites(session, active_only=False)
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
            await session.execute(sa.update(b).where(b.c.order_id == fill.order_id, b.c.line_no == fill.line_no)
                                  .values(filled={k: str(v) for k, v in bo.filled.items()}, remaining=bo.remaining,
                                          status="filled" if bo.is_filled else "open"))
            others = [x for x in backorders.values() if x.order_id == fill.order_id and not x.is_filled]
            site = sites[stock.warehouse_code]
            await emit(BackorderFilled(
                order_id=fill.order_id,
                allocations=[warehouse_allocation(site, [common.ReservedLine(
                    line_no=fill.line_no, item_code=stock.item_code, quantity=quantity(fill.quantity, unit),
                    allocations=batch_allocations(new, unit))])],
                remaining=[shortfall(x.line_no, x.item_code, x.quantity, x.quantity - x.remaining,
                                     items.get(x.item_code), on) for x in others],
                filled_at=at))
    return count


async def note_backorder(session: AsyncSession, message: OrderBackordered) -> None:
    """The coordinator backordered lines (e.g. released a ship-complete hold): make sure inventory waits for
    at least that much of each line."""
    b = db.backorder
    for line in message.lines:
        row = (await session.execute(sa.select(b).where(b.c.order_id == message.order_id,
                                                        b.c.line_no == line.line_no).with_for_update())
               ).mappings().first()
        wanted = line.quantity.value
        if row is None:
            await session.execute(pg_insert(b).values(
                order_id=message.order_id, line_no=line.line_no, item_code=line.item_code, quantity=wanted,
                remaining=wanted, status="open", confirmed_at=message.backordered_at,
                expected_date=line.expected_date).on_conflict_do_nothing())
        elif row["status"] != "cancelled" and Decimal(row["remaining"]) < wanted:
            filled = Decimal(row["quantity"]) - Decimal(row["remaining"])
            await session.execute(sa.update(b).where(b.c.order_id == message.order_id, b.c.line_no == line.line_no)
                                  .values(quantity=filled + wanted, remaining=wanted, status="open"))


async def cancel_order(session: AsyncSession, message: OrderCancelled, emit: Emit) -> None:
    """The order (or the listed remainder) is cancelled: whatever is still reserved for it is released, so no
    stock stays promised to a cancelled order (e.g. a backorder filled between a failed reservation and the
    cancellation), and its backorders close. The coordinator's own ReleaseReservation, if it comes, then finds
    nothing left and says so. Item-stock rows are locked before backorder rows, as everywhere else."""
    internal = ReleaseReservation(
        order_id=message.order_id, request_id=f"cancelled:{message.order_id}:{message.cancelled_at.isoformat()}",
        reason=f"order cancelled ({message.reason.value})", requested_at=message.cancelled_at,
        lines=list(message.cancelled_lines))
    await release_reservation(session, internal, emit, message.cancelled_at, reply_to_sender=False)
    b = db.backorder
    query = sa.update(b).where(b.c.order_id == message.order_id, b.c.status == "open")
    if message.cancelled_lines:
        query = query.where(b.c.line_no.in_([ln.line_no for ln in message.cancelled_lines]))
    await session.execute(query.values(status="cancelled"))


# --- gate-out and picking ------------------------------------------------------------------------


async def issue_shipment(session: AsyncSession, message: ShipmentDispatched, emit: Emit) -> StockIssued | None:
    """Stock leaves at gate-out, once per shipment: a repeated ShipmentDispatched moves nothing and says nothing."""
    at = message.dispatched_at
    items = await load_items(session, {ln.item_code for ln in message.lines})
    repo = StockRepository(session, actor=f"gate-out {message.shipment_id}")
    slots = [(message.warehouse_id, ln.item_code) for ln in message.lines]
    stocks = await repo.lock_slots(slots, order_ids=[message.order_id], units=_units(items))
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
    await repo.save(stocks.values(), at)
    if not issued:
        return None
    out = StockIssued(order_id=message.order_id, shipment_id=message.shipment_id, warehouse_id=message.warehouse_id,
                      lines=issued, issued_at=at)
    await emit(out)
    return out


async def correct_short_pick(session: AsyncSession, message: PickConfirmed) -> Qty:
    """A picker found less in a bin than was reserved there: the bin's book follows the count, and the line is
    re-reserved from another bin of the same warehouse where possible (the rest is released: a backorder).
    Returns what was re-reserved. The coordinator's ReserveStock for the same short pick finds it."""
    if message.short.value <= 0:
        return NIL
    at = message.confirmed_at
    on = business_date(at)
    items = await load_items(session, [message.item_code])
    repo = StockRepository(session, actor=f"pick {message.pick_list_id}")
    stocks = await repo.lock_items([message.item_code], order_ids=[message.order_id], units=_units(items))
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
    await repo.save(stocks.values(), at)
    return regained


def ordered_slots(slots: Sequence[Slot]) -> list[Slot]:
    return sorted(set(slots))


__all__ = ["AllocationOutcome", "Emit", "ItemInfo", "cancel_order", "correct_short_pick", "issue_shipment",
           "load_items", "note_backorder", "release_reservation", "reserve_order", "reserve_stock"]
