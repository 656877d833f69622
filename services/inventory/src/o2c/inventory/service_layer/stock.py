"""Use cases of the warehouse floor: warehouses and bins, the item replica, stock movements with their ledger,
available-to-promise for many items, returns received against an authorisation, routing policies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from o2c.contracts.v1.inventory import GoodsCondition, GoodsReturned, ReturnedLine
from o2c.contracts.v1.sales import ItemCreated, ItemUpdated, ReturnAuthorised
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
from o2c.inventory.service_layer.orders import fill_from, now, quantity
from o2c.inventory.service_layer.places import load_site
from o2c.inventory.service_layer.ports import (
    ItemInfo,
    ItemRecord,
    RoutingPolicyRecord,
    UnitOfWork,
    WarehouseRecord,
)


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


async def register_warehouse(uow: UnitOfWork, new: NewWarehouse) -> dict[str, Any]:
    states = uow.directory.state_codes_of(new.pincode)
    if not states:
        raise InvalidValue("pincode", f"{new.pincode} is not in the India Post directory")
    if new.state_code not in states:
        raise InvalidValue("pincode", f"{new.pincode} lies in state {'/'.join(sorted(states))}, "
                                      f"not {new.state_code}")
    coords, source = uow.directory.coordinates(new.pincode, new.state_code)
    Warehouse(new.code, new.name, new.state_code, new.pincode, new.gstin, coords)  # validates GSTIN and state
    if await uow.warehouses.get(new.code) is not None:
        raise ConflictingState(f"warehouse {new.code} exists already")
    await uow.warehouses.add(WarehouseRecord(
        warehouse_id=new.code, name=new.name, line1=new.line1, place=new.place, district=new.district,
        state_code=new.state_code, pincode=new.pincode, gstin=new.gstin,
        latitude=coords.latitude if coords else None, longitude=coords.longitude if coords else None,
        coordinates_source=source))
    for seq, (code, kind) in enumerate(new.bins, start=1):
        await add_bin(uow, new.code, code, kind, seq)
    return await warehouse_view(uow, new.code)


async def add_bin(uow: UnitOfWork, warehouse_id: str, bin_code: str, kind: BinKind, walk_seq: int = 0) -> None:
    bin_ = Bin(bin_code, kind)
    if await uow.warehouses.get(warehouse_id) is None:
        raise NotFoundError("warehouse", warehouse_id)
    if not await uow.warehouses.add_bin(warehouse_id, bin_, walk_seq):
        raise ConflictingState(f"bin {bin_code} exists already at {warehouse_id}")


def _warehouse_json(row: WarehouseRecord, bins: list[Bin]) -> dict[str, Any]:
    return {
        "code": row.warehouse_id, "name": row.name, "state_code": row.state_code, "pincode": row.pincode,
        "gstin": row.gstin, "line1": row.line1, "place": row.place, "district": row.district,
        "latitude": str(row.latitude) if row.latitude is not None else None,
        "longitude": str(row.longitude) if row.longitude is not None else None,
        "coordinates_source": row.coordinates_source,
        "bins": [{"code": b.code, "kind": b.kind.value} for b in bins],
    }


async def warehouse_view(uow: UnitOfWork, warehouse_id: str) -> dict[str, Any]:
    row = await uow.warehouses.get(warehouse_id)
    if row is None:
        raise NotFoundError("warehouse", warehouse_id)
    return _warehouse_json(row, await uow.warehouses.bins(warehouse_id))


async def warehouse_views(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every warehouse, inactive ones too, by code."""
    return [_warehouse_json(row, await uow.warehouses.bins(row.warehouse_id))
            for row in await uow.warehouses.every(active_only=False)]


# --- the item replica ----------------------------------------------------------------------------


async def upsert_item(uow: UnitOfWork, message: ItemCreated | ItemUpdated) -> bool:
    """Keep the highest revision; an older record changes nothing."""
    return await uow.items.upsert(ItemRecord(
        item_code=message.item_code, name=message.name, hsn=message.hsn, unit=message.unit.value,
        product_line=message.product_line, batch_tracked=message.batch_tracked,
        shelf_life_days=message.shelf_life_days, stocked=message.stocked, lead_time_days=message.lead_time_days,
        active=message.active, revision=message.revision))


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


async def move_stock(uow: UnitOfWork, req: MovementRequest, actor: str, at: datetime | None = None
                     ) -> dict[str, Any]:
    """One movement of one item at one warehouse, in the ledger; confirmed stock arriving fills backorders."""
    at = at or now()
    site = await load_site(uow, req.warehouse_id)
    if site is None:
        raise NotFoundError("warehouse", req.warehouse_id)
    items = await uow.items.get([req.item_code])
    if req.item_code not in items:
        raise InvalidValue("item_code", f"unknown item {req.item_code} (items come from sales' item master)")
    info: ItemInfo = items[req.item_code]
    bin_ = await uow.warehouses.bin(req.warehouse_id, req.bin_code)
    if bin_ is None:
        raise InvalidValue("bin_code", f"no bin {req.bin_code} at {req.warehouse_id}")
    target: Bin | None = None
    if req.kind in (MovementKind.PUTAWAY, MovementKind.TRANSFER):
        if not req.to_bin:
            raise InvalidValue("to_bin", "required")
        target = await uow.warehouses.bin(req.warehouse_id, req.to_bin)
        if target is None:
            raise InvalidValue("to_bin", f"no bin {req.to_bin} at {req.warehouse_id}")
    slot = (req.warehouse_id, req.item_code)
    await uow.stocks.ensure(slot)
    stocks = await uow.stocks.lock_slots([slot], units={info.item_code: (info.unit, info.batch_tracked)})
    stock = stocks[slot]
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
        arrival = f"{req.warehouse_id}/{req.item_code}/{uow.stocks.ledger_length(slot) + movement.seq}"
        filled = await fill_from(uow, [stock], arrival, at, items)
    view = _movement_json(movement)
    await uow.stocks.save([stock], at, actor)
    on = business_date(at)
    return {"warehouse_id": req.warehouse_id, "item_code": req.item_code, "movement": view,
            "confirmed": q3(stock.confirmed), "expected": q3(stock.expected), "reserved": q3(stock.reserved),
            "available": q3(stock.available_to_promise(on)), "backorders_filled": filled}


async def set_safety_stock(uow: UnitOfWork, warehouse_id: str, item_code: str, safety: Decimal) -> None:
    if await load_site(uow, warehouse_id) is None:
        raise NotFoundError("warehouse", warehouse_id)
    slot = (warehouse_id, item_code)
    await uow.stocks.ensure(slot)
    stocks = await uow.stocks.lock_slots([slot])
    stock = stocks[slot]
    if safety < 0:
        raise InvalidValue("safety_stock", "must not be negative")
    stock.safety_stock = safety
    await uow.stocks.save([stock], now(), "")


async def balances(uow: UnitOfWork, warehouse_id: str | None, item_code: str | None) -> list[dict[str, Any]]:
    return await uow.views.balances(warehouse_id, item_code, 5000)


async def movements(uow: UnitOfWork, warehouse_id: str, item_code: str) -> list[dict[str, Any]]:
    return await uow.views.movements(warehouse_id, item_code)


# --- available to promise ------------------------------------------------------------------------

async def available_to_promise_json(uow: UnitOfWork, item_codes: list[str], warehouse_id: str | None,
                                    at: datetime | None = None) -> str:
    """ATP as a JSON array, built by PostgreSQL in one round trip whatever the number of items (the hot path
    of quotations). Per item: per warehouse confirmed, expected, reserved, safety and available (= confirmed
    in storage bins and unexpired batches − reserved there − safety, never below zero), the total available,
    and the promise date: today when anything is available, otherwise today + the item's lead time (null when
    no lead time is known); an item not stocked promises by lead time only."""
    on = business_date(at or now())
    codes = [c for c in item_codes if c]
    return await uow.views.available_to_promise_json(codes, warehouse_id, on)


async def available_to_promise(uow: UnitOfWork, item_codes: list[str], warehouse_id: str | None,
                               at: datetime | None = None) -> list[dict[str, Any]]:
    import json

    loaded: list[dict[str, Any]] = json.loads(await available_to_promise_json(uow, item_codes, warehouse_id, at))
    return loaded


# --- reservations and backorders views -------------------------------------------------------------


async def reservations_of(uow: UnitOfWork, order_id: str) -> list[dict[str, Any]]:
    return await uow.views.reservations_of(order_id)


async def backorders(uow: UnitOfWork, status: str | None = "open", item_code: str | None = None,
                     order_id: str | None = None) -> list[dict[str, Any]]:
    return [{"order_id": r.order_id, "line_no": r.line_no, "item_code": r.item_code,
             "quantity": str(r.quantity), "remaining": str(r.remaining), "status": r.status,
             "confirmed_at": r.confirmed_at.isoformat(),
             "expected_date": r.expected_date.isoformat() if r.expected_date else None}
            for r in await uow.backorders.find(status, item_code, order_id, 2000)]


# --- routing policy ------------------------------------------------------------------------------


async def set_routing_policy(uow: UnitOfWork, scope: str, policy: RoutingPolicy, actor: str) -> None:
    await uow.routing_policies.set(RoutingPolicyRecord(scope, policy.strategy.value, policy.km_per_day,
                                                       dict(policy.handling_days), actor), now())


async def routing_policies(uow: UnitOfWork) -> list[dict[str, Any]]:
    return [{"scope": r.scope, "strategy": RoutingStrategy(r.strategy).value, "km_per_day": str(r.km_per_day),
             "handling_days": r.handling_days, "updated_by": r.updated_by}
            for r in await uow.routing_policies.every()]


# --- returns -------------------------------------------------------------------------------------


async def note_return(uow: UnitOfWork, message: ReturnAuthorised) -> None:
    await uow.returns.add(message)


async def return_warehouse(uow: UnitOfWork, return_id: str) -> str:
    """Where an authorised return's goods come back to (for the caller's warehouse scope)."""
    warehouse_id = await uow.returns.warehouse_of(return_id)
    if warehouse_id is None:
        raise NotFoundError("return authorisation", return_id)
    return warehouse_id


@dataclass(frozen=True)
class ReturnReceiptLine:
    invoice_line_no: int
    quantity: Decimal
    condition: GoodsCondition
    bin_code: str
    batch_no: str | None = None
    expiry_date: date | None = None


async def receive_return(uow: UnitOfWork, return_id: str, lines: list[ReturnReceiptLine], actor: str,
                         at: datetime | None = None) -> GoodsReturned:
    """Goods of an authorised return arrive: each line is received into its bin as expected stock (saleable goods
    are promised again once put away; damaged and expired ones belong in a quarantine bin) and GoodsReturned
    tells invoicing to issue the credit note."""
    at = at or now()
    row = await uow.returns.get(return_id, for_update=True)
    if row is None:
        raise NotFoundError("return authorisation", return_id)
    if row.status != "authorised":
        raise ConflictingState(f"return {return_id} was received already")
    auth = row.authorisation
    by_line = {ln.invoice_line_no: ln for ln in auth.lines}
    items = await uow.items.get({ln.item_code for ln in auth.lines})
    out: list[ReturnedLine] = []
    touched: dict[tuple[str, str], ItemStock] = {}
    for i, line in enumerate(lines):
        authorised = by_line.get(line.invoice_line_no)
        if authorised is None:
            raise InvalidValue(f"lines.{i}.invoice_line_no",
                               f"line {line.invoice_line_no} is not in return {return_id}")
        if line.quantity > authorised.quantity.value:
            raise InvalidValue(f"lines.{i}.quantity", f"more than the {authorised.quantity.value} authorised")
        bin_ = await uow.warehouses.bin(auth.warehouse_id, line.bin_code)
        if bin_ is None:
            raise InvalidValue(f"lines.{i}.bin_code", f"no bin {line.bin_code} at {auth.warehouse_id}")
        if line.condition is not GoodsCondition.SALEABLE and bin_.is_pickable:
            raise InvalidValue(f"lines.{i}.bin_code", f"{line.condition.value} goods go to a returns or quarantine bin")
        slot = (auth.warehouse_id, authorised.item_code)
        if slot not in touched:
            info = items.get(authorised.item_code, ItemInfo(authorised.item_code))
            await uow.stocks.ensure(slot)
            touched.update(await uow.stocks.lock_slots([slot],
                                                       units={info.item_code: (info.unit, info.batch_tracked)}))
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
    await uow.stocks.save(touched.values(), at, actor)
    await uow.returns.mark_received(return_id, at)
    message = GoodsReturned(return_id=auth.return_id, return_no=auth.return_no, order_id=auth.order_id,
                            customer_id=auth.customer_id, invoice_id=auth.invoice_id, invoice_no=auth.invoice_no,
                            invoice_date=auth.invoice_date, warehouse_id=auth.warehouse_id, lines=out,
                            received_at=at)
    uow.publish(message)
    return message
