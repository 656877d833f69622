"""Use cases of stock moving between warehouses and coming in from suppliers (docs/domain.md, "Stock transfers"
and "Receipts from suppliers"): the finance head's transfer price list, a transfer dispatched (stock leaves the
source's bins into transit, a delivery challan or a branch transfer with every fact of its tax invoice and e-way
bill on `StockTransferDispatched`), the backorders it will fill told their new date, the transfer received
(shortage and damage per line, what arrived put away, backorders filled), and receipts against a purchase order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from o2c.contracts.v1 import common
from o2c.contracts.v1.inventory import (
    BackorderRescheduled,
    StockTransferDispatched,
    TransferredLine,
)
from o2c.contracts.v1.inventory import TransferKind as ContractTransferKind
from o2c.india.calendar import FinancialYear
from o2c.india.distance import pincode_distance
from o2c.india.documents import series_number
from o2c.india.effective import row_in_force
from o2c.india.gstin import is_valid_gstin
from o2c.india.supply import Party, place_of_supply, tax_regime
from o2c.inventory.domain import (
    NIL,
    Allocation,
    Batch,
    Bin,
    ConflictingState,
    InvalidValue,
    ItemStock,
    Qty,
    business_date,
)
from o2c.inventory.domain.transfers import (
    ArrivalCount,
    PurchaseLineCount,
    TransferKind,
    TransferPrice,
    expected_arrival,
    taxable_value,
    transfer_kind,
)
from o2c.inventory.service_layer.orders import batch_allocations, fill_from, now, quantity, shortfall
from o2c.inventory.service_layer.places import WarehouseSite, load_site, routing_policy_for
from o2c.inventory.service_layer.ports import (
    ItemInfo,
    PurchaseReceiptRecord,
    Slot,
    TransferRecord,
    UnitOfWork,
)
from o2c.inventory.service_layer.stock import NotFoundError, q3

TRANSFER_PREFIX = "TRF"  # transfer documents (delivery challans and branch transfers), per sending GSTIN and year
RECEIPT_PREFIX = "GRN"  # goods received notes against purchase orders, per receiving GSTIN and year


def _units(items: dict[str, ItemInfo]) -> dict[str, tuple[str, bool]]:
    return {code: (i.unit, i.batch_tracked) for code, i in items.items()}


async def _next_no(uow: UnitOfWork, gstin: str, prefix: str, on: date) -> str:
    year = FinancialYear.of(on)
    return series_number(prefix, year, await uow.series.next_number(gstin, prefix, year.label))


def _batch_at(stock: ItemStock, batch_no: str | None, expiry: date | None, made: date | None = None) -> Batch | None:
    """The batch as the warehouse knows it already, else as described."""
    if batch_no is None:
        return None
    for balance in stock.balances.values():
        if balance.batch is not None and balance.batch.batch_no == batch_no:
            return balance.batch
    return Batch(batch_no, expiry, made)


# --- the transfer price list -----------------------------------------------------------------------


async def set_transfer_price(uow: UnitOfWork, price: TransferPrice, actor: str, at: datetime | None = None
                             ) -> dict[str, Any]:
    if not (await uow.items.get([price.item_code])):
        raise InvalidValue("item_code", f"unknown item {price.item_code} (items come from sales' item master)")
    await uow.transfer_prices.set(price, actor, at or now())
    return _price_json(price)


def _price_json(p: TransferPrice) -> dict[str, Any]:
    return {"item_code": p.item_code, "unit_price": str(p.unit_price), "effective_from": p.effective_from.isoformat(),
            "effective_to": p.effective_to.isoformat() if p.effective_to else None}


async def transfer_prices(uow: UnitOfWork, item_code: str | None) -> list[dict[str, Any]]:
    return [_price_json(p) for p in await uow.transfer_prices.every(item_code, 2000)]


# --- dispatching a transfer ------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferLineRequest:
    item_code: str
    quantity: Decimal
    bin_code: str | None = None
    batch_no: str | None = None


@dataclass(frozen=True)
class TransferRequest:
    from_warehouse_id: str
    to_warehouse_id: str
    lines: Sequence[TransferLineRequest]
    expected_arrival: date | None = None


async def _site(uow: UnitOfWork, warehouse_id: str, field: str) -> WarehouseSite:
    site = await load_site(uow, warehouse_id)
    if site is None:
        raise InvalidValue(field, f"no warehouse {warehouse_id}")
    return site


def _distance(uow: UnitOfWork, a: str, b: str) -> int | None:
    def locate(pincode: str) -> tuple[float, float] | None:
        coords, _ = uow.directory.coordinates(pincode)
        return (float(coords.latitude), float(coords.longitude)) if coords else None
    return pincode_distance(a, b, locate)


async def dispatch_transfer(uow: UnitOfWork, req: TransferRequest, actor: str, at: datetime | None = None
                            ) -> dict[str, Any]:
    """Stock leaves the source's bins into transit under a transfer document numbered in the sending GSTIN's
    series; `StockTransferDispatched` says it (with the tax facts of a branch transfer), and each order whose
    backorder this transfer fills sooner than expected hears the new date (`BackorderRescheduled`)."""
    at = at or now()
    on = business_date(at)
    if not req.lines:
        raise InvalidValue("lines", "at least one line")
    source = await _site(uow, req.from_warehouse_id, "from_warehouse_id")
    target = await _site(uow, req.to_warehouse_id, "to_warehouse_id")
    if source.code == target.code:
        raise InvalidValue("to_warehouse_id", "is the sending warehouse")
    kind = transfer_kind(source.warehouse.gstin, target.warehouse.gstin)
    items = await uow.items.get({ln.item_code for ln in req.lines})
    prices = await uow.transfer_prices.of_items(items)
    for i, line in enumerate(req.lines):
        if line.item_code not in items:
            raise InvalidValue(f"lines.{i}.item_code", f"unknown item {line.item_code}")
        if kind is TransferKind.BRANCH_TRANSFER and _price_on(prices, line.item_code, on) is None:
            raise InvalidValue(f"lines.{i}.item_code", f"no transfer price of {line.item_code} in force on "
                                                       f"{on.isoformat()}: the finance head sets one first")
        if line.bin_code is not None and await uow.warehouses.bin(source.code, line.bin_code) is None:
            raise InvalidValue(f"lines.{i}.bin_code", f"no bin {line.bin_code} at {source.code}")
    slots: list[Slot] = sorted({(source.code, ln.item_code) for ln in req.lines})
    stocks = await uow.stocks.lock_slots(slots, units=_units(items))
    transfer_id = f"trf-{uuid.uuid4().hex[:16]}"
    sent: list[tuple[TransferLineRequest, list[Allocation]]] = []
    for i, line in enumerate(req.lines):
        stock = stocks.get((source.code, line.item_code))
        if stock is None:
            raise ConflictingState(f"{source.code} holds no {line.item_code}")
        try:
            sent.append((line, stock.send_out(line.quantity, at, transfer_id, line.bin_code, line.batch_no)))
        except InvalidValue as exc:
            raise InvalidValue(f"lines.{i}.{exc.field}", exc.detail) from exc
    await uow.stocks.save(stocks.values(), at, actor)

    transfer_no = await _next_no(uow, source.warehouse.gstin, TRANSFER_PREFIX, on)
    distance = _distance(uow, source.warehouse.pincode, target.warehouse.pincode)
    policy = await routing_policy_for(uow, None)
    arrival = req.expected_arrival or expected_arrival(on, distance, policy.km_per_day)
    if arrival < on:
        raise InvalidValue("expected_arrival", "cannot be before the transfer date")
    place = place_of_supply(Party(target.warehouse.state_code, target.warehouse.gstin),
                            Party(target.warehouse.state_code, target.warehouse.gstin))
    regime = tax_regime(source.warehouse.state_code, place) if kind is TransferKind.BRANCH_TRANSFER else None
    out_lines: list[TransferredLine] = []
    stored: list[dict[str, Any]] = []
    for n, (line, allocations) in enumerate(sent, start=1):
        info = items[line.item_code]
        price = _price_on(prices, line.item_code, on)
        value = taxable_value(line.quantity, price.unit_price) if price else None
        out_lines.append(TransferredLine(
            line_no=n, item_code=line.item_code, item_name=info.name or line.item_code, hsn=info.hsn,
            quantity=quantity(line.quantity, info.unit), batches=batch_allocations(allocations, info.unit),
            unit_value=price.unit_price if price else None, taxable_value=value))
        stored.append({"line_no": n, "item_code": line.item_code, "unit": info.unit, "sent": str(line.quantity),
                       "batches": [{"bin_code": a.bin_code, "batch_no": a.batch_no,
                                    "expiry_date": a.expiry_date.isoformat() if a.expiry_date else None,
                                    "quantity": str(a.quantity)} for a in allocations],
                       "received": None, "damaged": None, "short": None})
    values = [ln.taxable_value for ln in out_lines]
    total = sum((v for v in values if v is not None), Decimal(0)) if all(v is not None for v in values) else None
    message = StockTransferDispatched(
        transfer_id=transfer_id, transfer_no=transfer_no, kind=ContractTransferKind(kind.value), transfer_date=on,
        from_warehouse_id=source.code, to_warehouse_id=target.code, supplier=source.address,
        recipient=target.address, place_of_supply=place, tax_regime=regime, lines=out_lines,
        total_taxable_value=total, from_pincode=source.warehouse.pincode, to_pincode=target.warehouse.pincode,
        distance_km=distance, expected_arrival=arrival, dispatched_at=at, dispatched_by=actor)
    record = TransferRecord(transfer_id, transfer_no, kind.value, source.code, target.code, "in_transit", stored,
                            message.model_dump(mode="json"), at, actor, arrival)
    await uow.transfers.add(record)
    uow.publish(message)
    await _reschedule_backorders(uow, record, items, at)
    return transfer_view(record)


def _price_on(prices: Sequence[TransferPrice], item_code: str, on: date) -> TransferPrice | None:
    return row_in_force((p for p in prices if p.item_code == item_code), on)


async def _reschedule_backorders(uow: UnitOfWork, transfer: TransferRecord, items: dict[str, ItemInfo],
                                 at: datetime) -> None:
    """The goods on their way go to the oldest open backorders of each item (as they will when they arrive):
    a backorder expected later than the transfer's arrival, or with no date, now expects that arrival."""
    on = business_date(at)
    sent: dict[str, Qty] = {}
    for line in transfer.lines:
        sent[line["item_code"]] = sent.get(line["item_code"], NIL) + Decimal(line["sent"])
    by_order: dict[str, list[common.Shortfall]] = {}
    for row in await uow.backorders.open_for_items_for_update(sent):
        left = sent[row.item_code]
        if left <= 0:
            continue
        sent[row.item_code] = left - row.remaining
        if row.expected_date is not None and row.expected_date <= transfer.expected_arrival:
            continue  # expected as soon already: these goods still count against it, first come first served
        await uow.backorders.reschedule(row.order_id, row.line_no, transfer.expected_arrival)
        moved = shortfall(row.line_no, row.item_code, row.quantity, row.quantity - row.remaining,
                          items.get(row.item_code), on)
        by_order.setdefault(row.order_id, []).append(moved.model_copy(update={
            "expected_date": transfer.expected_arrival}))
    for order_id, lines in sorted(by_order.items()):
        uow.publish(BackorderRescheduled(order_id=order_id, lines=lines, transfer_id=transfer.transfer_id,
                                         transfer_no=transfer.transfer_no, rescheduled_at=at))


# --- receiving a transfer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ArrivalLine:
    line_no: int
    received: Decimal
    bin_code: str
    damaged: Decimal = NIL
    damaged_bin_code: str | None = None


async def transfer_warehouses(uow: UnitOfWork, transfer_id: str) -> tuple[str, str]:
    """(sending, receiving) warehouse of a transfer, for the caller's warehouse scope."""
    found = await uow.transfers.get(transfer_id)
    if found is None:
        raise NotFoundError("transfer", transfer_id)
    return found.from_warehouse_id, found.to_warehouse_id


async def receive_transfer(uow: UnitOfWork, transfer_id: str, arrivals: Sequence[ArrivalLine], actor: str,
                           at: datetime | None = None) -> dict[str, Any]:
    """The receiving warehouse confirms what arrived: per line received (put away in the bin named), damaged
    (into a quarantine or returns bin) and short (the rest). Only now is the stock promisable, and it fills
    backorders, oldest first."""
    at = at or now()
    transfer = await uow.transfers.get(transfer_id, for_update=True)
    if transfer is None:
        raise NotFoundError("transfer", transfer_id)
    if transfer.status != "in_transit":
        raise ConflictingState(f"transfer {transfer.transfer_no} was received already")
    lines = {ln["line_no"]: ln for ln in transfer.lines}
    given = {a.line_no for a in arrivals}
    for i, arrival in enumerate(arrivals):
        if arrival.line_no not in lines:
            raise InvalidValue(f"lines.{i}.line_no", f"transfer {transfer.transfer_no} has no line {arrival.line_no}")
    if len(given) != len(arrivals) or given != set(lines):
        raise InvalidValue("lines", f"count every line of the transfer once: lines {sorted(lines)}")
    warehouse = transfer.to_warehouse_id
    items = await uow.items.get({ln["item_code"] for ln in transfer.lines})
    bins: list[tuple[Bin, Bin | None]] = []
    counts: list[ArrivalCount] = []
    for i, arrival in enumerate(arrivals):
        line = lines[arrival.line_no]
        try:
            counts.append(ArrivalCount(Decimal(line["sent"]), arrival.received, arrival.damaged))
        except InvalidValue as exc:
            raise InvalidValue(f"lines.{i}.{exc.field}", exc.detail) from exc
        good = await uow.warehouses.bin(warehouse, arrival.bin_code)
        if good is None:
            raise InvalidValue(f"lines.{i}.bin_code", f"no bin {arrival.bin_code} at {warehouse}")
        bad = None
        if arrival.damaged > 0:
            if not arrival.damaged_bin_code:
                raise InvalidValue(f"lines.{i}.damaged_bin_code", "damaged goods need a quarantine or returns bin")
            bad = await uow.warehouses.bin(warehouse, arrival.damaged_bin_code)
            if bad is None:
                raise InvalidValue(f"lines.{i}.damaged_bin_code", f"no bin {arrival.damaged_bin_code} at {warehouse}")
            if bad.is_pickable:
                raise InvalidValue(f"lines.{i}.damaged_bin_code", "damaged goods go to a quarantine or returns bin")
        bins.append((good, bad))
    slots: list[Slot] = sorted({(warehouse, ln["item_code"]) for ln in transfer.lines})
    for slot in slots:
        await uow.stocks.ensure(slot)
    stocks = await uow.stocks.lock_slots(slots, units=_units(items))
    new_lines = []
    for arrival, count, (good, bad) in zip(arrivals, counts, bins, strict=True):
        line = dict(lines[arrival.line_no])
        stock = stocks[(warehouse, line["item_code"])]
        # The batches that left, in order: what arrived in good order first, then the damaged goods.
        batches = [(b["batch_no"], date.fromisoformat(b["expiry_date"]) if b["expiry_date"] else None,
                    Decimal(b["quantity"])) for b in line["batches"]]
        for amount, bin_, why in ((count.received, good, "received"), (count.damaged, bad, "damaged")):
            left = amount
            for k, (batch_no, expiry, held) in enumerate(batches):
                take = min(left, held)
                if take <= 0 or bin_ is None:
                    continue
                stock.receive_transferred(take, bin_, at, _batch_at(stock, batch_no, expiry), transfer.transfer_no,
                                          f"{why} from {transfer.from_warehouse_id}")
                batches[k] = (batch_no, expiry, held - take)
                left -= take
        line.update(received=str(count.received), damaged=str(count.damaged), short=str(count.short),
                    bin_code=arrival.bin_code, damaged_bin_code=arrival.damaged_bin_code)
        new_lines.append(line)
    filled = await fill_from(uow, stocks.values(), f"transfer:{transfer.transfer_no}", at, items)
    await uow.stocks.save(stocks.values(), at, actor)
    received = replace(transfer, lines=sorted(new_lines, key=lambda x: x["line_no"]), status="received",
                       received_at=at, received_by=actor)
    await uow.transfers.record_receipt(received)
    return transfer_view(received) | {"backorders_filled": filled}


# --- reading transfers -----------------------------------------------------------------------------


def transfer_view(t: TransferRecord) -> dict[str, Any]:
    facts = t.facts
    view: dict[str, Any] = {
        "transfer_id": t.transfer_id, "transfer_no": t.transfer_no, "kind": t.kind, "status": t.status,
        "from_warehouse_id": t.from_warehouse_id, "to_warehouse_id": t.to_warehouse_id,
        "transfer_date": facts["transfer_date"], "expected_arrival": t.expected_arrival.isoformat(),
        "dispatched_at": t.dispatched_at.isoformat(), "dispatched_by": t.dispatched_by,
        "received_at": t.received_at.isoformat() if t.received_at else None, "received_by": t.received_by,
        "lines": [dict(ln) for ln in t.lines],
        "place_of_supply": facts["place_of_supply"], "tax_regime": facts["tax_regime"],
        "total_taxable_value": facts["total_taxable_value"], "distance_km": facts["distance_km"],
    }
    if t.kind == TransferKind.DELIVERY_CHALLAN.value:
        view["challan"] = delivery_challan(facts)
    else:
        # Invoicing and ewaybill do not consume StockTransferDispatched yet (docs/domain.md, "Stock transfers").
        view["tax_invoice"] = {"status": "not yet raised", "facts_event": "StockTransferDispatched"}
    return view


def delivery_challan(facts: dict[str, Any]) -> dict[str, Any]:
    """The challan as printed (CGST Rules, rule 55: goods moved other than by way of supply), in triplicate."""
    return {
        "title": "Delivery challan", "challan_no": facts["transfer_no"], "challan_date": facts["transfer_date"],
        "reason": "Transfer of stock between two places of business of one registration (not a supply)",
        "consignor": facts["supplier"], "consignee": facts["recipient"],
        "place_of_supply": facts["place_of_supply"],
        "lines": [{"sl_no": ln["line_no"], "description": ln["item_name"], "item_code": ln["item_code"],
                   "hsn": ln["hsn"], "quantity": ln["quantity"]["value"], "unit": ln["quantity"]["unit"],
                   "batches": ln["batches"], "value": ln["taxable_value"]} for ln in facts["lines"]],
        "total_value": facts["total_taxable_value"],
        "copies": ["Original for consignee", "Duplicate for transporter", "Triplicate for consignor"],
        "distance_km": facts["distance_km"], "expected_arrival": facts["expected_arrival"],
    }


async def transfer(uow: UnitOfWork, transfer_id: str) -> dict[str, Any]:
    found = await uow.transfers.get(transfer_id)
    if found is None:
        raise NotFoundError("transfer", transfer_id)
    return transfer_view(found)


async def transfers(uow: UnitOfWork, warehouse_ids: Sequence[str] | None, status: str | None
                    ) -> list[dict[str, Any]]:
    return [transfer_view(t) for t in await uow.transfers.find(warehouse_ids, status, 500)]


# --- receipts against a purchase order --------------------------------------------------------------


@dataclass(frozen=True)
class PurchaseLine:
    po_line_no: int
    item_code: str
    ordered: Decimal
    quantity: Decimal
    bin_code: str
    batch_no: str | None = None
    expiry_date: date | None = None
    manufactured_on: date | None = None


@dataclass(frozen=True)
class PurchaseReceipt:
    warehouse_id: str
    supplier_name: str
    po_no: str
    po_date: date
    lines: Sequence[PurchaseLine]
    supplier_gstin: str | None = None


async def receive_purchase(uow: UnitOfWork, req: PurchaseReceipt, actor: str, at: datetime | None = None
                           ) -> dict[str, Any]:
    """Goods from a supplier against a purchase order, each line into the bin named: a storage bin puts them away
    at once (promisable, filling backorders oldest first), a receiving bin keeps them expected until put away. A
    line that brings less than the purchase-order line is a short receipt, recorded with its shortfall."""
    at = at or now()
    on = business_date(at)
    if req.supplier_gstin is not None and not is_valid_gstin(req.supplier_gstin):
        raise InvalidValue("supplier_gstin", f"{req.supplier_gstin!r} is not a valid GSTIN")
    if req.po_date > on:
        raise InvalidValue("po_date", "is after the receipt")
    if not req.lines:
        raise InvalidValue("lines", "at least one line")
    site = await load_site(uow, req.warehouse_id)
    if site is None:
        raise NotFoundError("warehouse", req.warehouse_id)
    items = await uow.items.get({ln.item_code for ln in req.lines})
    counts: list[PurchaseLineCount] = []
    bins: list[Bin] = []
    for i, line in enumerate(req.lines):
        if line.item_code not in items:
            raise InvalidValue(f"lines.{i}.item_code", f"unknown item {line.item_code}")
        try:
            count = PurchaseLineCount(line.ordered, line.quantity)
        except InvalidValue as exc:
            raise InvalidValue(f"lines.{i}.{exc.field}", exc.detail) from exc
        if count.excess > 0:
            raise InvalidValue(f"lines.{i}.quantity", f"{count.excess} more than the purchase-order line's "
                                                      f"{line.ordered}")
        bin_ = await uow.warehouses.bin(site.code, line.bin_code)
        if bin_ is None:
            raise InvalidValue(f"lines.{i}.bin_code", f"no bin {line.bin_code} at {site.code}")
        counts.append(count)
        bins.append(bin_)
    slots: list[Slot] = sorted({(site.code, ln.item_code) for ln in req.lines})
    for slot in slots:
        await uow.stocks.ensure(slot)
    stocks = await uow.stocks.lock_slots(slots, units=_units(items))
    receipt_no = await _next_no(uow, site.warehouse.gstin, RECEIPT_PREFIX, on)
    reason = f"PO {req.po_no} of {req.supplier_name}"
    stored: list[dict[str, Any]] = []
    for i, (line, count, bin_) in enumerate(zip(req.lines, counts, bins, strict=True)):
        stock = stocks[(site.code, line.item_code)]
        try:
            batch = _batch_at(stock, line.batch_no, line.expiry_date, line.manufactured_on)
            stock.receive_purchase(line.quantity, bin_, at, batch, receipt_no, reason)
            if bin_.is_pickable:
                stock.put_away(line.quantity, bin_.code, bin_, at, line.batch_no, receipt_no)
        except InvalidValue as exc:
            raise InvalidValue(f"lines.{i}.{exc.field}", exc.detail) from exc
        stored.append({"po_line_no": line.po_line_no, "item_code": line.item_code,
                       "unit": items[line.item_code].unit, "ordered": q3(line.ordered),
                       "received": q3(line.quantity), "shortfall": q3(count.shortfall), "bin_code": line.bin_code,
                       "batch_no": line.batch_no,
                       "expiry_date": line.expiry_date.isoformat() if line.expiry_date else None,
                       "put_away": bin_.is_pickable})
    filled = await fill_from(uow, stocks.values(), f"receipt:{receipt_no}", at, items)
    await uow.stocks.save(stocks.values(), at, actor)
    record = PurchaseReceiptRecord(f"grn-{uuid.uuid4().hex[:16]}", receipt_no, site.code, req.supplier_gstin,
                                   req.supplier_name, req.po_no, req.po_date, stored, at, actor)
    await uow.receipts.add(record)
    return receipt_view(record) | {"backorders_filled": filled}


def receipt_view(r: PurchaseReceiptRecord) -> dict[str, Any]:
    short = [ln for ln in r.lines if Decimal(ln["shortfall"]) > 0]
    return {"receipt_id": r.receipt_id, "receipt_no": r.receipt_no, "warehouse_id": r.warehouse_id,
            "supplier_gstin": r.supplier_gstin, "supplier_name": r.supplier_name, "po_no": r.po_no,
            "po_date": r.po_date.isoformat(), "received_at": r.received_at.isoformat(), "received_by": r.received_by,
            "lines": r.lines, "short_receipt": bool(short)}


async def purchase_receipt(uow: UnitOfWork, receipt_id: str) -> dict[str, Any]:
    found = await uow.receipts.get(receipt_id)
    if found is None:
        raise NotFoundError("purchase receipt", receipt_id)
    return receipt_view(found)


__all__ = ["ArrivalLine", "PurchaseLine", "PurchaseReceipt", "TransferLineRequest", "TransferRequest",
           "dispatch_transfer", "receive_purchase", "receive_transfer", "set_transfer_price"]
