"""Use cases of the warehouse floor: warehouses and bins, the item replica, stock movements with their ledger,
available-to-promise for many items, returns received against an authorisation, routing policies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from o2c.contracts.v1.inventory import GoodsCondition, GoodsReturned, ReturnedLine
from o2c.contracts.v1.sales import ItemCreated, ItemUpdated, ReturnAuthorised
from o2c.inventory.adapters import db
from o2c.inventory.adapters.pincodes import coordinates, state_codes_of
from o2c.inventory.adapters.repository import StockRepository
from o2c.inventory.domain import (
    Batch,
    Bin,
    BinKind,
    ConflictingState,
    InvalidValue,
    ItemStock,
    RoutingPolicy,
    RoutingStrategy,
    StockMovement,
    Warehouse,
    business_date,
    qty,
)
from o2c.inventory.service_layer.orders import Emit, ItemInfo, _fill_backorders, load_items, now, quantity
from o2c.inventory.service_layer.places import load_bin, load_site
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession


class NotFoundError(LookupError):
    def __init__(self, what: str, ident: str) -> None:
        super().__init__(f"{what} {ident} does not exist")
        self.what, self.ident = what, ident


# --- warehouses and bins -------------------------------------------------------------------------


@dataclass(frozen=True)
class NewWarehouse:
    code: str
    name: str
    state_code: str
    pincode: str
    gstin: str
    line1: str = ""
    place: str = ""
    district: str = ""
    bins: tuple[tuple[str, BinKind], ...] = ()


async def register_warehouse(session: AsyncSession, new: NewWarehouse) -> dict[str, Any]:
    states = state_codes_of(new.pincode)
    if not states:
        raise InvalidValue("pincode", f"{new.pincode} is not in the India Post directory")
    if new.state_code not in states:
        raise InvalidValue("pincode", f"{new.pincode} lies in state {'/'.join(sorted(states))}, "
                                      f"not {new.state_code}")
    coords, source = coordinates(new.pincode, new.state_code)
    Warehouse(new.code, new.name, new.state_code, new.pincode, new.gstin, coords)  # validates GSTIN and state
    existing = await load_site(session, new.code)
    if existing is not None:
        raise ConflictingState(f"warehouse {new.code} exists already")
    await session.execute(sa.insert(db.warehouse).values(
        warehouse_id=new.code, name=new.name, line1=new.line1, place=new.place, district=new.district,
        state_code=new.state_code, pincode=new.pincode, gstin=new.gstin,
        latitude=coords.latitude if coords else None, longitude=coords.longitude if coords else None,
        coordinates_source=source))
    for seq, (code, kind) in enumerate(new.bins, start=1):
        await add_bin(session, new.code, code, kind, seq)
    return await warehouse_view(session, new.code)


async def add_bin(session: AsyncSession, warehouse_id: str, bin_code: str, kind: BinKind, walk_seq: int = 0) -> None:
    Bin(bin_code, kind)
    if await load_site(session, warehouse_id) is None:
        raise NotFoundError("warehouse", warehouse_id)
    result = await session.execute(pg_insert(db.bin_table).values(
        warehouse_id=warehouse_id, bin_code=bin_code, kind=kind.value, walk_seq=walk_seq).on_conflict_do_nothing())
    if not result.rowcount:  # type: ignore[attr-defined]
        raise ConflictingState(f"bin {bin_code} exists already at {warehouse_id}")


async def warehouse_view(session: AsyncSession, warehouse_id: str) -> dict[str, Any]:
    row = (await session.execute(sa.select(db.warehouse).where(db.warehouse.c.warehouse_id == warehouse_id))
           ).mappings().first()
    if row is None:
        raise NotFoundError("warehouse", warehouse_id)
    bins = (await session.execute(sa.select(db.bin_table.c.bin_code, db.bin_table.c.kind)
                                  .where(db.bin_table.c.warehouse_id == warehouse_id)
                                  .order_by(db.bin_table.c.walk_seq, db.bin_table.c.bin_code))).all()
    return {
        "code": row["warehouse_id"], "name": row["name"], "state_code": row["state_code"], "pincode": row["pincode"],
        "gstin": row["gstin"], "line1": row["line1"], "place": row["place"], "district": row["district"],
        "latitude": str(row["latitude"]) if row["latitude"] is not None else None,
        "longitude": str(row["longitude"]) if row["longitude"] is not None else None,
        "coordinates_source": row["coordinates_source"],
        "bins": [{"code": b.bin_code, "kind": b.kind} for b in bins],
    }


# --- the item replica ----------------------------------------------------------------------------


async def upsert_item(session: AsyncSession, message: ItemCreated | ItemUpdated) -> bool:
    """Keep the highest revision; an older record changes nothing."""
    values = {"item_code": message.item_code, "name": message.name, "hsn": message.hsn, "unit": message.unit.value,
              "product_line": message.product_line, "batch_tracked": message.batch_tracked,
              "shelf_life_days": message.shelf_life_days, "stocked": message.stocked,
              "lead_time_days": message.lead_time_days, "active": message.active, "revision": message.revision}
    ins = pg_insert(db.item).values(**values)
    result = await session.execute(ins.on_conflict_do_update(
        index_elements=["item_code"], set_={k: ins.excluded[k] for k in values if k != "item_code"},
        where=db.item.c.revision < ins.excluded.revision))
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- movements -----------------------------------------------------------------------------------


class MovementKind(StrEnum):
    RECEIPT = "receipt"
    PUTAWAY = "putaway"
    TRANSFER = "transfer"
    ADJUSTMENT = "adjustment"
    COUNT = "count"


@dataclass(frozen=True)
class MovementRequest:
    kind: MovementKind
    warehouse_id: str
    item_code: str
    quantity: Decimal  # receipt/putaway/transfer: moved; adjustment: signed change; count: counted
    bin_code: str  # receipt/adjustment/count: the bin; putaway/transfer: the source bin
    to_bin: str | None = None
    batch_no: str | None = None
    expiry_date: date | None = None
    manufactured_on: date | None = None
    reason: str = ""
    reference: str = ""


def q3(value: Decimal) -> str:
    """Quantities in answers: three decimal places, as stored."""
    return str(Decimal(value).quantize(Decimal("0.001")))


def _movement_json(movement: StockMovement) -> dict[str, Any]:
    return {"type": movement.movement_type.value, "quantity": str(movement.quantity),
            "deltas": [{"bin_code": d.location.bin_code, "batch_no": d.location.batch_no,
                        "confirmed": str(d.confirmed), "expected": str(d.expected)} for d in movement.deltas],
            "at": movement.at.isoformat(), "reference": movement.reference, "reason": movement.reason}


def _batch_for(stock: ItemStock, req: MovementRequest) -> Batch | None:
    if req.batch_no is None:
        return None
    for balance in stock.balances.values():
        if balance.batch is not None and balance.batch.batch_no == req.batch_no:
            if req.expiry_date is None and req.manufactured_on is None:
                return balance.batch
            break
    return Batch(req.batch_no, req.expiry_date, req.manufactured_on)


async def move_stock(session: AsyncSession, req: MovementRequest, actor: str, emit: Emit,
                     at: datetime | None = None) -> dict[str, Any]:
    """One movement of one item at one warehouse, in the ledger; confirmed stock arriving fills backorders."""
    at = at or now()
    site = await load_site(session, req.warehouse_id)
    if site is None:
        raise NotFoundError("warehouse", req.warehouse_id)
    items = await load_items(session, [req.item_code])
    if req.item_code not in items:
        raise InvalidValue("item_code", f"unknown item {req.item_code} (items come from sales' item master)")
    info: ItemInfo = items[req.item_code]
    bin_ = await load_bin(session, req.warehouse_id, req.bin_code)
    if bin_ is None:
        raise InvalidValue("bin_code", f"no bin {req.bin_code} at {req.warehouse_id}")
    target: Bin | None = None
    if req.kind in (MovementKind.PUTAWAY, MovementKind.TRANSFER):
        if not req.to_bin:
            raise InvalidValue("to_bin", "required")
        target = await load_bin(session, req.warehouse_id, req.to_bin)
        if target is None:
            raise InvalidValue("to_bin", f"no bin {req.to_bin} at {req.warehouse_id}")
    repo = StockRepository(session, actor=actor)
    await repo.ensure_slot(req.warehouse_id, req.item_code)
    stocks = await repo.lock_slots([(req.warehouse_id, req.item_code)],
                                   units={info.item_code: (info.unit, info.batch_tracked)})
    stock = stocks[(req.warehouse_id, req.item_code)]
    amount = qty(req.quantity)
    if req.kind is MovementKind.RECEIPT:
        movement = stock.receive(amount, bin_, at, _batch_for(stock, req), req.reference)
    elif req.kind is MovementKind.PUTAWAY:
        assert target is not None
        movement = stock.put_away(amount, bin_.code, target, at, req.batch_no, req.reference)
    elif req.kind is MovementKind.TRANSFER:
        assert target is not None
        movement = stock.transfer(amount, bin_.code, target, at, req.batch_no, req.reference)
    elif req.kind is MovementKind.ADJUSTMENT:
        movement = stock.adjust(amount, bin_, at, req.reason, _batch_for(stock, req), req.reference)
    else:
        movement = stock.count(amount, bin_, at, _batch_for(stock, req), req.reference)
    filled = 0
    if req.kind in (MovementKind.PUTAWAY, MovementKind.ADJUSTMENT, MovementKind.COUNT):
        seq = (await session.execute(sa.select(db.item_stock.c.ledger_seq).where(
            db.item_stock.c.warehouse_id == req.warehouse_id, db.item_stock.c.item_code == req.item_code))).scalar()
        arrival = f"{req.warehouse_id}/{req.item_code}/{int(seq or 0) + movement.seq}"
        filled = await _fill_backorders(session, repo, [stock], arrival, at, emit, items)
    view = _movement_json(movement)
    await repo.save([stock], at)
    on = business_date(at)
    return {"warehouse_id": req.warehouse_id, "item_code": req.item_code, "movement": view,
            "confirmed": q3(stock.confirmed), "expected": q3(stock.expected), "reserved": q3(stock.reserved),
            "available": q3(stock.available_to_promise(on)), "backorders_filled": filled}


async def set_safety_stock(session: AsyncSession, warehouse_id: str, item_code: str, safety: Decimal) -> None:
    if await load_site(session, warehouse_id) is None:
        raise NotFoundError("warehouse", warehouse_id)
    repo = StockRepository(session)
    await repo.ensure_slot(warehouse_id, item_code)
    stocks = await repo.lock_slots([(warehouse_id, item_code)])
    stock = stocks[(warehouse_id, item_code)]
    if safety < 0:
        raise InvalidValue("safety_stock", "must not be negative")
    stock.safety_stock = safety
    await repo.save([stock], now())


async def balances(session: AsyncSession, warehouse_id: str | None, item_code: str | None) -> list[dict[str, Any]]:
    b = db.stock_balance
    query = sa.select(b).order_by(b.c.warehouse_id, b.c.item_code, b.c.bin_code, b.c.batch_key)
    if warehouse_id:
        query = query.where(b.c.warehouse_id == warehouse_id)
    if item_code:
        query = query.where(b.c.item_code == item_code)
    return [{"warehouse_id": r["warehouse_id"], "item_code": r["item_code"], "bin_code": r["bin_code"],
             "bin_kind": r["bin_kind"], "batch_no": r["batch_no"],
             "expiry_date": r["expiry_date"].isoformat() if r["expiry_date"] else None,
             "confirmed": str(r["confirmed"]), "expected": str(r["expected"])}
            for r in (await session.execute(query.limit(5000))).mappings()]


async def movements(session: AsyncSession, warehouse_id: str, item_code: str) -> list[dict[str, Any]]:
    m = db.stock_movement
    rows = (await session.execute(sa.select(m).where(m.c.warehouse_id == warehouse_id, m.c.item_code == item_code)
                                  .order_by(m.c.seq))).mappings()
    return [{"seq": r["seq"], "type": r["movement_type"], "quantity": str(r["quantity"]), "deltas": r["deltas"],
             "at": r["at"].isoformat(), "reference": r["reference"], "reason": r["reason"], "actor": r["actor"]}
            for r in rows]


# --- available to promise ------------------------------------------------------------------------

_ATP_SQL = sa.text("""
WITH wanted AS (
    SELECT item_code, min(ord) AS ord
    FROM unnest(CAST(:items AS text[])) WITH ORDINALITY AS u(item_code, ord) GROUP BY item_code
), bal AS (
    SELECT warehouse_id, item_code, sum(confirmed) AS confirmed, sum(expected) AS expected,
           sum(confirmed) FILTER (
               WHERE bin_kind = 'storage' AND (expiry_date IS NULL OR expiry_date >= :on)) AS promisable
    FROM stock_balance WHERE item_code = ANY(CAST(:items AS text[]))
    GROUP BY warehouse_id, item_code
), res AS (
    SELECT a.warehouse_id, a.item_code, sum(a.quantity) AS reserved,
           sum(a.quantity) FILTER (
               WHERE sb.bin_kind = 'storage' AND (sb.expiry_date IS NULL OR sb.expiry_date >= :on))
               AS reserved_promisable
    FROM reservation_allocation a
    LEFT JOIN stock_balance sb ON sb.warehouse_id = a.warehouse_id AND sb.item_code = a.item_code
         AND sb.bin_code = a.bin_code AND sb.batch_key = a.batch_key
    WHERE a.item_code = ANY(CAST(:items AS text[]))
    GROUP BY a.warehouse_id, a.item_code
), per_warehouse AS (
    SELECT wanted.item_code, wanted.ord, i.unit, coalesce(i.stocked, true) AS stocked,
           coalesce(i.lead_time_days, 0) AS lead_time_days, s.warehouse_id, w.state_code,
           CAST(coalesce(bal.confirmed, 0) AS numeric(18, 3)) AS confirmed,
           CAST(coalesce(bal.expected, 0) AS numeric(18, 3)) AS expected,
           CAST(coalesce(res.reserved, 0) AS numeric(18, 3)) AS reserved,
           CAST(coalesce(s.safety_stock, 0) AS numeric(18, 3)) AS safety,
           CAST(greatest(0, coalesce(bal.promisable, 0) - coalesce(res.reserved_promisable, 0)
                            - coalesce(s.safety_stock, 0)) AS numeric(18, 3)) AS available
    FROM wanted
    LEFT JOIN item i ON i.item_code = wanted.item_code
    LEFT JOIN (item_stock s JOIN warehouse w ON w.warehouse_id = s.warehouse_id AND w.active)
           ON s.item_code = wanted.item_code AND (CAST(:warehouse AS text) IS NULL OR s.warehouse_id = :warehouse)
    LEFT JOIN bal ON bal.warehouse_id = s.warehouse_id AND bal.item_code = s.item_code
    LEFT JOIN res ON res.warehouse_id = s.warehouse_id AND res.item_code = s.item_code
), per_item AS (
    SELECT item_code, ord, unit, stocked, lead_time_days,
           CAST(coalesce(sum(available), 0) AS numeric(18, 3)) AS total,
           coalesce(json_agg(json_build_object(
               'warehouse_id', warehouse_id, 'state_code', state_code, 'confirmed', CAST(confirmed AS text),
               'expected', CAST(expected AS text), 'reserved', CAST(reserved AS text),
               'safety', CAST(safety AS text), 'available', CAST(available AS text)) ORDER BY warehouse_id)
               FILTER (WHERE warehouse_id IS NOT NULL), '[]') AS warehouses
    FROM per_warehouse GROUP BY item_code, ord, unit, stocked, lead_time_days
)
SELECT CAST(coalesce(json_agg(json_build_object(
    'item_code', item_code, 'known', unit IS NOT NULL, 'unit', unit, 'stocked', stocked,
    'lead_time_days', lead_time_days,
    'available', CAST(CASE WHEN stocked THEN total ELSE 0.000 END AS text),
    'promise_date', CASE WHEN stocked AND total > 0 THEN CAST(:on AS date)
                         WHEN lead_time_days > 0 OR NOT stocked THEN CAST(:on AS date) + lead_time_days END,
    'warehouses', CASE WHEN stocked THEN warehouses ELSE '[]'::json END) ORDER BY ord), '[]') AS text)
FROM per_item
""")


async def available_to_promise_json(session: AsyncSession, item_codes: list[str], warehouse_id: str | None,
                                    at: datetime | None = None) -> str:
    """ATP as a JSON array, built by PostgreSQL in one round trip whatever the number of items (the hot path
    of quotations). Per item: per warehouse confirmed, expected, reserved, safety and available (= confirmed
    in storage bins and unexpired batches − reserved there − safety, never below zero), the total available,
    and the promise date: today when anything is available, otherwise today + the item's lead time (null when
    no lead time is known); an item not stocked promises by lead time only."""
    on = business_date(at or now())
    codes = [c for c in item_codes if c]
    return str((await session.execute(_ATP_SQL, {"items": codes, "on": on, "warehouse": warehouse_id})).scalar())


async def available_to_promise(session: AsyncSession, item_codes: list[str], warehouse_id: str | None,
                               at: datetime | None = None) -> list[dict[str, Any]]:
    import json

    loaded: list[dict[str, Any]] = json.loads(await available_to_promise_json(session, item_codes, warehouse_id, at))
    return loaded


# --- reservations and backorders views -------------------------------------------------------------


async def reservations_of(session: AsyncSession, order_id: str) -> list[dict[str, Any]]:
    r, a = db.reservation, db.reservation_allocation
    rows = (await session.execute(sa.select(r).where(r.c.order_id == order_id)
                                  .order_by(r.c.line_no, r.c.warehouse_id))).mappings().all()
    allocs = (await session.execute(sa.select(a).where(a.c.order_id == order_id)
                                    .order_by(a.c.expiry_date.nulls_last(), a.c.bin_code))).mappings().all()
    out = []
    for row in rows:
        out.append({
            "order_id": row["order_id"], "line_no": row["line_no"], "warehouse_id": row["warehouse_id"],
            "item_code": row["item_code"], "requested": str(row["requested"]), "reserved": str(row["reserved"]),
            "released": str(row["released"]), "issued": str(row["issued"]), "status": row["status"],
            "allocations": [{"bin_code": x["bin_code"], "batch_no": x["batch_no"],
                             "expiry_date": x["expiry_date"].isoformat() if x["expiry_date"] else None,
                             "quantity": str(x["quantity"])}
                            for x in allocs if x["line_no"] == row["line_no"]
                            and x["warehouse_id"] == row["warehouse_id"]],
        })
    return out


async def backorders(session: AsyncSession, status: str | None = "open", item_code: str | None = None,
                     order_id: str | None = None) -> list[dict[str, Any]]:
    b = db.backorder
    query = sa.select(b).order_by(b.c.confirmed_at, b.c.order_id, b.c.line_no)
    if status:
        query = query.where(b.c.status == status)
    if item_code:
        query = query.where(b.c.item_code == item_code)
    if order_id:
        query = query.where(b.c.order_id == order_id)
    return [{"order_id": r["order_id"], "line_no": r["line_no"], "item_code": r["item_code"],
             "quantity": str(r["quantity"]), "remaining": str(r["remaining"]), "status": r["status"],
             "confirmed_at": r["confirmed_at"].isoformat(),
             "expected_date": r["expected_date"].isoformat() if r["expected_date"] else None}
            for r in (await session.execute(query.limit(2000))).mappings()]


# --- routing policy ------------------------------------------------------------------------------


async def set_routing_policy(session: AsyncSession, scope: str, policy: RoutingPolicy, actor: str) -> None:
    values = {"scope": scope, "strategy": policy.strategy.value, "km_per_day": policy.km_per_day,
              "handling_days": dict(policy.handling_days), "updated_by": actor, "updated_at": now()}
    ins = pg_insert(db.routing_policy).values(**values)
    await session.execute(ins.on_conflict_do_update(index_elements=["scope"], set_={
        k: ins.excluded[k] for k in values if k != "scope"}))


async def routing_policies(session: AsyncSession) -> list[dict[str, Any]]:
    return [{"scope": r["scope"], "strategy": RoutingStrategy(r["strategy"]).value, "km_per_day": str(r["km_per_day"]),
             "handling_days": r["handling_days"], "updated_by": r["updated_by"]}
            for r in (await session.execute(sa.select(db.routing_policy).order_by(db.routing_policy.c.scope)
                                            )).mappings()]


# --- returns -------------------------------------------------------------------------------------


async def note_return(session: AsyncSession, message: ReturnAuthorised) -> None:
    await session.execute(pg_insert(db.return_authorisation).values(
        return_id=message.return_id, order_id=message.order_id, warehouse_id=message.warehouse_id,
        payload=message.model_dump(mode="json"), status="authorised").on_conflict_do_nothing())


@dataclass(frozen=True)
class ReturnReceiptLine:
    invoice_line_no: int
    quantity: Decimal
    condition: GoodsCondition
    bin_code: str
    batch_no: str | None = None
    expiry_date: date | None = None


async def receive_return(session: AsyncSession, return_id: str, lines: list[ReturnReceiptLine], actor: str,
                         emit: Emit, at: datetime | None = None) -> GoodsReturned:
    """Goods of an authorised return arrive: each line is received into its bin as expected stock (saleable goods
    are promised again once put away; damaged and expired ones belong in a quarantine bin) and GoodsReturned
    tells invoicing to issue the credit note."""
    at = at or now()
    row = (await session.execute(sa.select(db.return_authorisation).where(
        db.return_authorisation.c.return_id == return_id).with_for_update())).mappings().first()
    if row is None:
        raise NotFoundError("return authorisation", return_id)
    if row["status"] != "authorised":
        raise ConflictingState(f"return {return_id} was received already")
    auth = ReturnAuthorised.model_validate(row["payload"])
    by_line = {ln.invoice_line_no: ln for ln in auth.lines}
    items = await load_items(session, {ln.item_code for ln in auth.lines})
    repo = StockRepository(session, actor=actor)
    out: list[ReturnedLine] = []
    touched: dict[tuple[str, str], ItemStock] = {}
    for i, line in enumerate(lines):
        authorised = by_line.get(line.invoice_line_no)
        if authorised is None:
            raise InvalidValue(f"lines.{i}.invoice_line_no",
                               f"line {line.invoice_line_no} is not in return {return_id}")
        if line.quantity > authorised.quantity.value:
            raise InvalidValue(f"lines.{i}.quantity", f"more than the {authorised.quantity.value} authorised")
        bin_ = await load_bin(session, auth.warehouse_id, line.bin_code)
        if bin_ is None:
            raise InvalidValue(f"lines.{i}.bin_code", f"no bin {line.bin_code} at {auth.warehouse_id}")
        if line.condition is not GoodsCondition.SALEABLE and bin_.is_pickable:
            raise InvalidValue(f"lines.{i}.bin_code", f"{line.condition.value} goods go to a returns or quarantine bin")
        slot = (auth.warehouse_id, authorised.item_code)
        if slot not in touched:
            info = items.get(authorised.item_code, ItemInfo(authorised.item_code))
            await repo.ensure_slot(*slot)
            touched.update(await repo.lock_slots([slot], units={info.item_code: (info.unit, info.batch_tracked)}))
        stock = touched[slot]
        batch_no = line.batch_no or authorised.batch_no
        batch = None
        if stock.batch_tracked:
            if not batch_no:
                raise InvalidValue(f"lines.{i}.batch_no", f"item {authorised.item_code} is batch-tracked")
            batch = _batch_for(stock, MovementRequest(MovementKind.RECEIPT, slot[0], slot[1], line.quantity,
                                                      line.bin_code, batch_no=batch_no, expiry_date=line.expiry_date))
        stock.receive_return(line.quantity, bin_, at, batch, return_id, f"{line.condition.value} return")
        unit = items[authorised.item_code].unit if authorised.item_code in items else stock.unit
        out.append(ReturnedLine(invoice_line_no=line.invoice_line_no, item_code=authorised.item_code,
                                quantity=quantity(line.quantity, unit), batch_no=batch_no, condition=line.condition))
    if not out:
        raise InvalidValue("lines", "at least one line")
    await repo.save(touched.values(), at)
    await session.execute(sa.update(db.return_authorisation).where(db.return_authorisation.c.return_id == return_id)
                          .values(status="received", received_at=at))
    message = GoodsReturned(return_id=auth.return_id, return_no=auth.return_no, order_id=auth.order_id,
                            customer_id=auth.customer_id, invoice_id=auth.invoice_id, invoice_no=auth.invoice_no,
                            invoice_date=auth.invoice_date, warehouse_id=auth.warehouse_id, lines=out,
                            received_at=at)
    await emit(message)
    return message
