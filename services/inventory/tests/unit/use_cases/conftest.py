"""An in-memory inventory for the use cases' unit tests: every repository port kept in dicts, a small pincode
directory, and a unit of work per transaction sharing them (what one commits the next one reads).

Each repository hands out copies and keeps copies, as a database would: a use case that changes an aggregate
and never saves it changes nothing. Other orders' reservations are kept one by one (the SQL repository sums them
into stand-ins, which the rules treat the same way).

The `inventory` fixture is an `InMemoryInventory`: `uow()` opens a unit of work, and the builders set up
warehouses, items, stock (through the use cases themselves) and the messages that drive the use cases."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from o2c.contracts.envelope import Message
from o2c.contracts.samples import sample
from o2c.contracts.types import Quantity, Uqc
from o2c.contracts.v1.common import Address, LineQuantity, OrderLine
from o2c.contracts.v1.dispatch import DispatchedLine, PickConfirmed, ShipmentDispatched
from o2c.contracts.v1.sales import (
    BackorderedLine,
    ItemCreated,
    OrderAmended,
    OrderBackordered,
    OrderCancelled,
    OrderConfirmed,
    ReleaseReservation,
    ReserveStock,
    ReturnAuthorised,
    ReturnLine,
)
from o2c.inventory.domain import Bin, BinKind, Coordinates, ItemStock, business_date
from o2c.inventory.domain.transfers import TransferPrice
from o2c.inventory.service_layer import stock as floor
from o2c.inventory.service_layer.ports import (
    BackorderRecord,
    Backorders,
    CommandReplies,
    DocumentSeries,
    ItemInfo,
    ItemRecord,
    Items,
    ItemStocks,
    OrderAllocationRecord,
    OrderAllocations,
    PincodeDirectory,
    PurchaseReceiptRecord,
    PurchaseReceipts,
    ReturnAuthorisationRecord,
    ReturnAuthorisations,
    RoutingPolicies,
    RoutingPolicyRecord,
    Slot,
    StockViews,
    TransferPrices,
    TransferRecord,
    Transfers,
    UnitOfWork,
    Units,
    WarehouseRecord,
    Warehouses,
)

NOW = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)  # 10:30 IST, a Monday
TODAY = business_date(NOW)

# pincode → (state, latitude, longitude): the warehouses' cities and a few customers'
PLACES: dict[str, tuple[str, str, str]] = {
    "411001": ("27", "18.5196", "73.8553"),  # Pune
    "400001": ("27", "18.9388", "72.8354"),  # Mumbai
    "380001": ("24", "23.0258", "72.5873"),  # Ahmedabad
    "395003": ("24", "21.1959", "72.8302"),  # Surat
    "560001": ("29", "12.9716", "77.5946"),  # Bengaluru
    "590001": ("29", "15.8497", "74.4977"),  # Belagavi
}
WAREHOUSES = {
    "PNQ": ("Pune DC", "411001", "27AABCR1718E1ZP"),
    "AMD": ("Ahmedabad DC", "380001", "24AABCR1718E1ZV"),
    "BLR": ("Bengaluru DC", "560001", "29AABCR1718E1ZL"),
}
BINS = (("DOCK", BinKind.RECEIVING), ("A-01", BinKind.STORAGE), ("A-02", BinKind.STORAGE),
        ("RET", BinKind.RETURNS), ("QC", BinKind.QUARANTINE))


class SmallDirectory(PincodeDirectory):
    def state_codes_of(self, pincode: str) -> frozenset[str]:
        return frozenset({PLACES[pincode][0]}) if pincode in PLACES else frozenset()

    def coordinates(self, pincode: str, state_code: str | None = None) -> tuple[Coordinates | None, str]:
        if pincode not in PLACES:
            return None, "none"
        _, lat, lon = PLACES[pincode]
        return Coordinates(Decimal(lat), Decimal(lon)), "head_office"


class InMemoryItems(Items):
    def __init__(self) -> None:
        self.rows: dict[str, ItemRecord] = {}

    async def get(self, codes: Iterable[str]) -> dict[str, ItemInfo]:
        return {c: ItemInfo(r.item_code, r.unit, r.batch_tracked, r.stocked, r.lead_time_days, r.hsn, r.name)
                for c in set(codes) if (r := self.rows.get(c)) is not None}

    async def upsert(self, item: ItemRecord) -> bool:
        stored = self.rows.get(item.item_code)
        if stored is not None and stored.revision >= item.revision:
            return False
        self.rows[item.item_code] = item
        return True


class InMemoryWarehouses(Warehouses):
    def __init__(self) -> None:
        self.rows: dict[str, WarehouseRecord] = {}
        self.bin_rows: dict[tuple[str, str], tuple[int, Bin]] = {}

    async def get(self, warehouse_id: str) -> WarehouseRecord | None:
        return self.rows.get(warehouse_id)

    async def every(self, *, active_only: bool = True) -> list[WarehouseRecord]:
        return [r for _, r in sorted(self.rows.items()) if r.active or not active_only]

    async def add(self, warehouse: WarehouseRecord) -> None:
        assert warehouse.warehouse_id not in self.rows, "primary key"
        self.rows[warehouse.warehouse_id] = warehouse

    async def bin(self, warehouse_id: str, bin_code: str) -> Bin | None:
        found = self.bin_rows.get((warehouse_id, bin_code))
        return found[1] if found else None

    async def bins(self, warehouse_id: str) -> list[Bin]:
        return [b for (w, code), (seq, b) in sorted(self.bin_rows.items(), key=lambda kv: (kv[1][0], kv[0][1]))
                if w == warehouse_id]

    async def add_bin(self, warehouse_id: str, bin_: Bin, walk_seq: int) -> bool:
        if (warehouse_id, bin_.code) in self.bin_rows:
            return False
        self.bin_rows[(warehouse_id, bin_.code)] = (walk_seq, bin_)
        return True


class InMemoryRoutingPolicies(RoutingPolicies):
    def __init__(self) -> None:
        self.rows: dict[str, RoutingPolicyRecord] = {}

    async def of_scopes(self, scopes: Sequence[str]) -> dict[str, RoutingPolicyRecord]:
        return {s: self.rows[s] for s in scopes if s in self.rows}

    async def set(self, record: RoutingPolicyRecord, at: datetime) -> None:
        self.rows[record.scope] = record

    async def every(self) -> list[RoutingPolicyRecord]:
        return [r for _, r in sorted(self.rows.items())]


class InMemoryItemStocks(ItemStocks):
    def __init__(self, items: InMemoryItems) -> None:
        self.items = items
        self.rows: dict[Slot, ItemStock] = {}
        self.ledger: dict[Slot, list[dict[str, Any]]] = {}
        self.locked: list[list[Slot]] = []  # the slots of each lock, in the order they were locked

    async def ensure(self, slot: Slot) -> None:
        if slot not in self.rows:
            self.rows[slot] = ItemStock(*slot)
            self.ledger[slot] = []

    async def _lock(self, slots: list[Slot], units: Units | None) -> dict[Slot, ItemStock]:
        if units is None:
            units = {c: (i.unit, i.batch_tracked) for c, i in (await self.items.get(s[1] for s in slots)).items()}
        self.locked.append(slots)
        out = {}
        for slot in slots:
            stock = copy.deepcopy(self.rows[slot])
            stock.unit, stock.batch_tracked = units.get(slot[1], ("NOS", False))
            out[slot] = stock
        return out

    async def lock_slots(self, slots: Iterable[Slot], *, order_ids: Sequence[str] = (), units: Units | None = None,
                         with_issues: bool = True) -> dict[Slot, ItemStock]:
        return await self._lock(sorted(s for s in set(slots) if s in self.rows), units)

    async def lock_items(self, item_codes: Iterable[str], *, order_ids: Sequence[str] = (),
                         units: Units | None = None, with_issues: bool = True) -> dict[Slot, ItemStock]:
        codes = set(item_codes)
        return await self._lock(sorted(s for s in self.rows if s[1] in codes), units)

    def ledger_length(self, slot: Slot) -> int:
        return len(self.ledger[slot])

    async def save(self, stocks: Iterable[ItemStock], at: datetime, actor: str) -> None:
        for stock in stocks:
            slot = (stock.warehouse_code, stock.item_code)
            ledger = self.ledger[slot]
            base = len(ledger)
            for movement in stock.ledger:
                ledger.append({"seq": base + movement.seq, "type": movement.movement_type.value,
                               "quantity": str(movement.quantity),
                               "deltas": [{"bin_code": d.location.bin_code, "batch_no": d.location.batch_no,
                                           "confirmed": str(d.confirmed), "expected": str(d.expected)}
                                          for d in movement.deltas],
                               "at": movement.at.isoformat(), "reference": movement.reference,
                               "reason": movement.reason, "actor": actor})
            stock.ledger.clear()
            self.rows[slot] = copy.deepcopy(stock)

    async def slots_of_order(self, order_id: str) -> list[Slot]:
        return [slot for slot, s in sorted(self.rows.items()) if any(k.order_id == order_id for k in s.reservations)]


class InMemoryOrderAllocations(OrderAllocations):
    def __init__(self) -> None:
        self.rows: dict[str, OrderAllocationRecord] = {}

    async def revision_for_update(self, order_id: str) -> int | None:
        row = self.rows.get(order_id)
        return row.revision if row else None

    async def customer_of(self, order_id: str) -> str | None:
        row = self.rows.get(order_id)
        return row.customer_id if row else None

    async def customers_of(self, order_ids: Iterable[str]) -> dict[str, str]:
        return {o: self.rows[o].customer_id for o in order_ids if o in self.rows}

    async def record(self, allocation: OrderAllocationRecord) -> None:
        self.rows[allocation.order_id] = allocation


def _copy(b: BackorderRecord) -> BackorderRecord:
    return replace(b, filled=dict(b.filled))


class InMemoryBackorders(Backorders):
    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], BackorderRecord] = {}

    def _sorted(self, rows: Iterable[BackorderRecord]) -> list[BackorderRecord]:
        return [_copy(r) for r in sorted(rows, key=lambda r: (r.confirmed_at, r.order_id, r.line_no))]

    async def get_for_update(self, order_id: str, line_no: int) -> BackorderRecord | None:
        row = self.rows.get((order_id, line_no))
        return _copy(row) if row else None

    async def open_of_order_for_update(self, order_id: str) -> list[BackorderRecord]:
        return self._sorted(r for r in self.rows.values() if r.order_id == order_id and r.status == "open")

    async def open_for_items_for_update(self, item_codes: Iterable[str], *, skip_order: str | None = None
                                        ) -> list[BackorderRecord]:
        codes = set(item_codes)
        return self._sorted(r for r in self.rows.values()
                            if r.status == "open" and r.item_code in codes and r.order_id != (skip_order or ""))

    async def add(self, backorders: Sequence[BackorderRecord]) -> None:
        for b in backorders:
            self.rows.setdefault((b.order_id, b.line_no), _copy(b))

    async def record_fill(self, backorder: BackorderRecord) -> None:
        row = self.rows[(backorder.order_id, backorder.line_no)]
        row.filled, row.remaining, row.status = dict(backorder.filled), backorder.remaining, backorder.status

    async def resize(self, order_id: str, line_no: int, quantity: Decimal, remaining: Decimal) -> None:
        row = self.rows[(order_id, line_no)]
        row.quantity, row.remaining, row.status = quantity, remaining, "open"

    async def reschedule(self, order_id: str, line_no: int, expected_date: date) -> None:
        self.rows[(order_id, line_no)].expected_date = expected_date

    async def drop_open(self, order_id: str) -> None:
        for key in [k for k, r in self.rows.items() if r.order_id == order_id and r.status == "open"]:
            del self.rows[key]

    async def cancel_open(self, order_id: str, line_nos: Sequence[int] | None = None) -> None:
        for r in self.rows.values():
            if r.order_id == order_id and r.status == "open" and (not line_nos or r.line_no in line_nos):
                r.status = "cancelled"

    async def find(self, status: str | None, item_code: str | None, order_id: str | None, limit: int
                   ) -> list[BackorderRecord]:
        return self._sorted(r for r in self.rows.values() if (not status or r.status == status)
                            and (not item_code or r.item_code == item_code)
                            and (not order_id or r.order_id == order_id))[:limit]


class InMemoryCommandReplies(CommandReplies):
    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, str, dict[str, Any], type[Message]]] = {}

    async def get(self, request_id: str) -> Message | None:
        row = self.rows.get(request_id)
        return row[3].model_validate(row[2]) if row else None

    async def add(self, command: str, order_id: str, request_id: str, reply: Message) -> None:
        self.rows.setdefault(request_id, (command, order_id, reply.model_dump(mode="json"), type(reply)))


class InMemoryReturnAuthorisations(ReturnAuthorisations):
    def __init__(self) -> None:
        self.rows: dict[str, ReturnAuthorisationRecord] = {}

    async def add(self, authorisation: ReturnAuthorised) -> None:
        self.rows.setdefault(authorisation.return_id, ReturnAuthorisationRecord(
            authorisation.return_id, authorisation.order_id, authorisation.warehouse_id, authorisation,
            "authorised"))

    async def get(self, return_id: str, *, for_update: bool = False) -> ReturnAuthorisationRecord | None:
        return self.rows.get(return_id)

    async def warehouse_of(self, return_id: str) -> str | None:
        row = self.rows.get(return_id)
        return row.warehouse_id if row else None

    async def mark_received(self, return_id: str, at: datetime) -> None:
        self.rows[return_id] = replace(self.rows[return_id], status="received", received_at=at)


def q3(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.001")))


class InMemoryStockViews(StockViews):
    def __init__(self, stocks: InMemoryItemStocks, items: InMemoryItems, warehouses: InMemoryWarehouses) -> None:
        self.stocks, self.items, self.warehouses = stocks, items, warehouses

    async def balances(self, warehouse_id: str | None, item_code: str | None, limit: int) -> list[dict[str, Any]]:
        out = []
        for (w, i), s in sorted(self.stocks.rows.items()):
            if (warehouse_id and w != warehouse_id) or (item_code and i != item_code):
                continue
            for loc, b in sorted(s.balances.items(), key=lambda kv: (kv[0].bin_code, kv[0].batch_no or "")):
                out.append({"warehouse_id": w, "item_code": i, "bin_code": loc.bin_code, "bin_kind": b.bin.kind.value,
                            "batch_no": loc.batch_no,
                            "expiry_date": b.batch.expiry_date.isoformat() if b.batch and b.batch.expiry_date
                            else None, "confirmed": q3(b.confirmed), "expected": q3(b.expected)})
        return out[:limit]

    async def movements(self, warehouse_id: str, item_code: str) -> list[dict[str, Any]]:
        return list(self.stocks.ledger.get((warehouse_id, item_code), []))

    async def reservations_of(self, order_id: str) -> list[dict[str, Any]]:
        rows = [(key.line_no, w, i, r) for (w, i), s in self.stocks.rows.items()
                for key, r in s.reservations.items() if key.order_id == order_id]
        return [{"order_id": order_id, "line_no": n, "warehouse_id": w, "item_code": i, "requested": q3(r.requested),
                 "reserved": q3(r.quantity), "released": q3(r.released), "issued": q3(r.issued),
                 "status": r.status.value,
                 "allocations": [{"bin_code": a.bin_code, "batch_no": a.batch_no,
                                  "expiry_date": a.expiry_date.isoformat() if a.expiry_date else None,
                                  "quantity": q3(a.quantity)} for a in r.allocations]}
                for n, w, i, r in sorted(rows, key=lambda t: (t[0], t[1]))]

    async def available_to_promise_json(self, item_codes: Sequence[str], warehouse_id: str | None, on: date) -> str:
        known = await self.items.get(item_codes)
        active = {w.warehouse_id: w for w in await self.warehouses.every()}
        out: list[dict[str, Any]] = []
        for code in dict.fromkeys(item_codes):
            info = known.get(code)
            stocked = info.stocked if info else True
            lead = info.lead_time_days if info else 0
            per = [{"warehouse_id": w, "state_code": active[w].state_code, "confirmed": q3(s.confirmed),
                    "expected": q3(s.expected), "reserved": q3(s.reserved), "safety": q3(s.safety_stock),
                    "available": q3(s.available_to_promise(on))}
                   for (w, i), s in sorted(self.stocks.rows.items())
                   if i == code and w in active and (warehouse_id is None or w == warehouse_id)]
            total = sum((Decimal(p["available"]) for p in per), Decimal(0))
            promise = on if stocked and total > 0 else (on + timedelta(days=lead) if lead > 0 or not stocked
                                                        else None)
            out.append({"item_code": code, "known": info is not None, "unit": info.unit if info else None,
                        "stocked": stocked, "lead_time_days": lead, "available": q3(total if stocked else Decimal(0)),
                        "promise_date": promise.isoformat() if promise else None,
                        "warehouses": per if stocked else []})
        return json.dumps(out)


class InMemoryDocumentSeries(DocumentSeries):
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], int] = {}

    async def next_number(self, gstin: str, prefix: str, financial_year: str) -> int:
        key = (gstin, prefix, financial_year)
        self.rows[key] = self.rows.get(key, 0) + 1
        return self.rows[key]


class InMemoryTransfers(Transfers):
    def __init__(self) -> None:
        self.rows: dict[str, TransferRecord] = {}

    async def add(self, transfer: TransferRecord) -> None:
        assert transfer.transfer_id not in self.rows, "primary key"
        self.rows[transfer.transfer_id] = copy.deepcopy(transfer)

    async def get(self, transfer_id: str, *, for_update: bool = False) -> TransferRecord | None:
        found = self.rows.get(transfer_id)
        return copy.deepcopy(found) if found else None

    async def record_receipt(self, transfer: TransferRecord) -> None:
        self.rows[transfer.transfer_id] = copy.deepcopy(transfer)

    async def find(self, warehouse_ids: Sequence[str] | None, status: str | None, limit: int
                   ) -> list[TransferRecord]:
        rows = [t for t in self.rows.values() if (warehouse_ids is None or t.from_warehouse_id in warehouse_ids
                                                  or t.to_warehouse_id in warehouse_ids)
                and (not status or t.status == status)]
        return [copy.deepcopy(t) for t in sorted(rows, key=lambda t: t.dispatched_at, reverse=True)][:limit]


class InMemoryTransferPrices(TransferPrices):
    def __init__(self) -> None:
        self.rows: dict[tuple[str, date], TransferPrice] = {}

    async def set(self, price: TransferPrice, actor: str, at: datetime) -> None:
        self.rows[(price.item_code, price.effective_from)] = price

    async def of_items(self, item_codes: Iterable[str]) -> list[TransferPrice]:
        codes = set(item_codes)
        return [p for (code, _), p in self.rows.items() if code in codes]

    async def every(self, item_code: str | None, limit: int) -> list[TransferPrice]:
        return [p for _, p in sorted(self.rows.items(), key=lambda kv: (kv[0][0], -kv[0][1].toordinal()))
                if not item_code or p.item_code == item_code][:limit]


class InMemoryPurchaseReceipts(PurchaseReceipts):
    def __init__(self) -> None:
        self.rows: dict[str, PurchaseReceiptRecord] = {}

    async def add(self, receipt: PurchaseReceiptRecord) -> None:
        self.rows[receipt.receipt_id] = receipt

    async def get(self, receipt_id: str) -> PurchaseReceiptRecord | None:
        return self.rows.get(receipt_id)


class InMemoryUnitOfWork(UnitOfWork):
    pass


class InMemoryInventory:
    """The stores every unit of work shares, and builders for the tests."""

    def __init__(self) -> None:
        self.items = InMemoryItems()
        self.warehouses = InMemoryWarehouses()
        self.routing_policies = InMemoryRoutingPolicies()
        self.stocks = InMemoryItemStocks(self.items)
        self.allocations = InMemoryOrderAllocations()
        self.backorders = InMemoryBackorders()
        self.replies = InMemoryCommandReplies()
        self.returns = InMemoryReturnAuthorisations()
        self.views = InMemoryStockViews(self.stocks, self.items, self.warehouses)
        self.directory = SmallDirectory()
        self.series = InMemoryDocumentSeries()
        self.transfers = InMemoryTransfers()
        self.transfer_prices = InMemoryTransferPrices()
        self.receipts = InMemoryPurchaseReceipts()
        self.sent: list[Message] = []  # what every unit of work published, in order

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(
            items=self.items, warehouses=self.warehouses, routing_policies=self.routing_policies,
            stocks=self.stocks, allocations=self.allocations, backorders=self.backorders, replies=self.replies,
            returns=self.returns, views=self.views, directory=self.directory, series=self.series,
            transfers=self.transfers, transfer_prices=self.transfer_prices, receipts=self.receipts)

    # --- builders ------------------------------------------------------------------------------

    async def warehouse(self, *codes: str) -> None:
        for code in codes or tuple(WAREHOUSES):
            name, pincode, gstin = WAREHOUSES[code]
            await floor.register_warehouse(self.uow(), floor.NewWarehouse(
                code, name, PLACES[pincode][0], pincode, gstin, bins=BINS))

    async def item(self, code: str, *, unit: Uqc = Uqc.NOS, batch_tracked: bool = False, stocked: bool = True,
                   lead_time_days: int = 0, revision: int = 1) -> None:
        await floor.upsert_item(self.uow(), item_created(code, unit=unit, batch_tracked=batch_tracked,
                                                         stocked=stocked, lead_time_days=lead_time_days,
                                                         revision=revision))

    async def put_stock(self, warehouse: str, item: str, quantity: int | str, bin_code: str = "A-01",
                        batch_no: str | None = None, expiry: date | None = None, at: datetime = NOW
                        ) -> list[Message]:
        """Received at the dock, then put away (what a putaway publishes is returned: filled backorders)."""
        uow = self.uow()
        await floor.move_stock(uow, floor.MovementRequest(
            floor.MovementKind.RECEIPT, warehouse, item, Decimal(quantity), "DOCK", batch_no=batch_no,
            expiry_date=expiry), "receiver", at)
        await floor.move_stock(uow, floor.MovementRequest(
            floor.MovementKind.PUTAWAY, warehouse, item, Decimal(quantity), "DOCK", to_bin=bin_code,
            batch_no=batch_no), "putter", at)
        self.sent += uow.messages
        return uow.messages

    async def run(self, use_case: Any, *args: Any, **kwargs: Any) -> tuple[Any, list[Message]]:
        """One use case in a unit of work of its own: what it returned and what it published."""
        uow = self.uow()
        result = await use_case(uow, *args, **kwargs)
        self.sent += uow.messages
        return result, uow.messages

    def stock(self, warehouse: str, item: str) -> ItemStock:
        return self.stocks.rows[(warehouse, item)]


@pytest.fixture
def inventory() -> InMemoryInventory:
    return InMemoryInventory()


# --- messages as sales and dispatch send them ---------------------------------------------------


def qty(value: int | str | Decimal, unit: Uqc = Uqc.NOS) -> Quantity:
    return Quantity(value=Decimal(value), unit=unit)


def item_created(code: str, *, unit: Uqc = Uqc.NOS, batch_tracked: bool = False, stocked: bool = True,
                 lead_time_days: int = 0, revision: int = 1) -> ItemCreated:
    return ItemCreated(item_code=code, name=f"Item {code}", hsn="84137010", unit=unit, product_line="test",
                       batch_tracked=batch_tracked, stocked=stocked, lead_time_days=lead_time_days,
                       gst_rate=Decimal("18"), revision=revision, created_at=NOW)


def confirmed(order_id: str, lines: list[tuple[str, int]], ship_to: str = "411001", customer_id: str = "cus-1",
              at: datetime = NOW) -> OrderConfirmed:
    state = PLACES[ship_to][0]
    address = Address(name="Buyer", line1="1 Main Road", place="Town", state_code=state, pincode=ship_to)
    order_lines = [OrderLine(line_no=n, item_code=code, item_name=code, hsn="84137010", quantity=qty(q),
                             unit_price=Decimal("100.00"), taxable_value=Decimal(q * 100), gst_rate=Decimal("18"),
                             promised_date=date(2026, 12, 31))
                   for n, (code, q) in enumerate(lines, start=1)]
    return sample(OrderConfirmed).model_copy(update={
        "order_id": order_id, "order_no": order_id.upper(), "customer_id": customer_id, "ship_to": address,
        "lines": order_lines, "place_of_supply": state, "confirmed_at": at})


def amended(order: OrderConfirmed, lines: list[tuple[str, int]], revision: int = 2,
            at: datetime = NOW + timedelta(minutes=5)) -> OrderAmended:
    again = confirmed(order.order_id, lines, order.ship_to.pincode, order.customer_id)
    base = sample(OrderAmended)
    return base.model_copy(update={**{k: getattr(again, k) for k in OrderConfirmed.model_fields if k in
                                      OrderAmended.model_fields}, "revision": revision, "amended_at": at})


def release(order_id: str, request_id: str, lines: list[tuple[int, str, int]] | None = None,
            warehouse_id: str | None = None) -> ReleaseReservation:
    return ReleaseReservation(order_id=order_id, request_id=request_id, reason="credit rejected", requested_at=NOW,
                              lines=[LineQuantity(line_no=n, item_code=c, quantity=qty(q), warehouse_id=warehouse_id)
                                     for n, c, q in lines or []])


def reserve(order_id: str, request_id: str, lines: list[tuple[int, str, int]], ship_to: str = "411001",
            exclude_bins: Sequence[str] = (), preferred: str | None = None,
            warehouse_id: str | None = None) -> ReserveStock:
    return ReserveStock(order_id=order_id, request_id=request_id, reason="backorder retry", requested_at=NOW,
                        ship_to_pincode=ship_to, exclude_bins=list(exclude_bins), preferred_warehouse_id=preferred,
                        lines=[LineQuantity(line_no=n, item_code=c, quantity=qty(q), warehouse_id=warehouse_id)
                               for n, c, q in lines])


def cancelled(order_id: str, lines: list[tuple[int, str, int]] | None = None,
              at: datetime = NOW + timedelta(hours=1)) -> OrderCancelled:
    return sample(OrderCancelled).model_copy(update={
        "order_id": order_id, "cancelled_at": at,
        "cancelled_lines": [LineQuantity(line_no=n, item_code=c, quantity=qty(q)) for n, c, q in lines or []]})


def backordered(order_id: str, lines: list[tuple[int, str, int]], at: datetime = NOW) -> OrderBackordered:
    return sample(OrderBackordered).model_copy(update={
        "order_id": order_id, "backordered_at": at,
        "lines": [BackorderedLine(line_no=n, item_code=c, quantity=qty(q)) for n, c, q in lines]})


def dispatched(order_id: str, shipment_id: str, warehouse: str, lines: list[tuple[int, str, int]],
               at: datetime = NOW + timedelta(days=1)) -> ShipmentDispatched:
    return sample(ShipmentDispatched).model_copy(update={
        "order_id": order_id, "shipment_id": shipment_id, "warehouse_id": warehouse, "dispatched_at": at,
        "lines": [DispatchedLine(line_no=n, item_code=c, quantity=qty(q)) for n, c, q in lines]})


def picked_short(order_id: str, line_no: int, item: str, requested: int, picked: int, bins: Sequence[str] = (),
                 pick_list_id: str = "PL-1", at: datetime = NOW + timedelta(hours=2)) -> PickConfirmed:
    return PickConfirmed(order_id=order_id, shipment_id="SH-1", pick_list_id=pick_list_id, line_no=line_no,
                         item_code=item, requested=qty(requested), picked=qty(picked), short=qty(requested - picked),
                         short_reason="damaged" if requested > picked else None, short_bins=list(bins),
                         picked_by="picker-1", confirmed_at=at)


def return_authorised(return_id: str, order_id: str, warehouse: str, lines: list[tuple[int, str, int]],
                      batch_no: str | None = None) -> ReturnAuthorised:
    base = sample(ReturnAuthorised)
    reason = base.lines[0].reason
    return base.model_copy(update={
        "return_id": return_id, "order_id": order_id, "warehouse_id": warehouse,
        "lines": [ReturnLine(invoice_line_no=n, item_code=c, hsn="84137010", quantity=qty(q), batch_no=batch_no,
                             reason=reason) for n, c, q in lines]})


@pytest.fixture
def msg() -> Any:
    """The message builders, for tests that cannot import this module."""
    from types import SimpleNamespace

    return SimpleNamespace(confirmed=confirmed, amended=amended, release=release, reserve=reserve,
                           cancelled=cancelled, backordered=backordered, dispatched=dispatched,
                           picked_short=picked_short, return_authorised=return_authorised, qty=qty,
                           item_created=item_created, NOW=NOW, TODAY=TODAY)
