"""The SQL repositories of everything but the ItemStock aggregates (`adapters.repository`): items, warehouses and
bins, routing policies, order allocations, backorders, command replies, return authorisations, and the read views.
Core statements against inventory's tables, one round trip each; what the ports call `*_for_update` locks the
rows it reads until the transaction ends."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from o2c.contracts.envelope import Message
from o2c.contracts.v1.sales import ReturnAuthorised
from o2c.inventory.adapters import db
from o2c.inventory.domain import Bin, BinKind
from o2c.inventory.domain.transfers import TransferPrice
from o2c.inventory.service_layer.ports import (
    BackorderRecord,
    Backorders,
    CommandReplies,
    DocumentSeries,
    ItemInfo,
    ItemRecord,
    Items,
    OrderAllocationRecord,
    OrderAllocations,
    PurchaseReceiptRecord,
    PurchaseReceipts,
    ReturnAuthorisationRecord,
    ReturnAuthorisations,
    RoutingPolicies,
    RoutingPolicyRecord,
    StockViews,
    TransferPrices,
    TransferRecord,
    Transfers,
    WarehouseRecord,
    Warehouses,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession


class SqlItems(Items):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, codes: Iterable[str]) -> dict[str, ItemInfo]:
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        rows = await self.session.execute(sa.text(
            "SELECT item_code, unit, batch_tracked, stocked, lead_time_days, hsn, name FROM item "
            "WHERE item_code = ANY(CAST(:codes AS text[]))"), {"codes": wanted})
        return {r.item_code: ItemInfo(r.item_code, r.unit, r.batch_tracked, r.stocked, r.lead_time_days, r.hsn,
                                      r.name)
                for r in rows}

    async def upsert(self, item: ItemRecord) -> bool:
        values = {"item_code": item.item_code, "name": item.name, "hsn": item.hsn, "unit": item.unit,
                  "product_line": item.product_line, "batch_tracked": item.batch_tracked,
                  "shelf_life_days": item.shelf_life_days, "stocked": item.stocked,
                  "lead_time_days": item.lead_time_days, "active": item.active, "revision": item.revision}
        ins = pg_insert(db.item).values(**values)
        result = await self.session.execute(ins.on_conflict_do_update(
            index_elements=["item_code"], set_={k: ins.excluded[k] for k in values if k != "item_code"},
            where=db.item.c.revision < ins.excluded.revision))
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _warehouse(row: sa.RowMapping) -> WarehouseRecord:
    return WarehouseRecord(
        warehouse_id=row["warehouse_id"], name=row["name"], state_code=row["state_code"], pincode=row["pincode"],
        gstin=row["gstin"], line1=row["line1"], place=row["place"], district=row["district"],
        latitude=row["latitude"], longitude=row["longitude"], coordinates_source=row["coordinates_source"],
        active=row["active"])


class SqlWarehouses(Warehouses):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, warehouse_id: str) -> WarehouseRecord | None:
        row = (await self.session.execute(sa.select(db.warehouse).where(db.warehouse.c.warehouse_id == warehouse_id))
               ).mappings().first()
        return _warehouse(row) if row else None

    async def every(self, *, active_only: bool = True) -> list[WarehouseRecord]:
        query = sa.select(db.warehouse).order_by(db.warehouse.c.warehouse_id)
        if active_only:
            query = query.where(db.warehouse.c.active)
        return [_warehouse(r) for r in (await self.session.execute(query)).mappings()]

    async def add(self, warehouse: WarehouseRecord) -> None:
        await self.session.execute(sa.insert(db.warehouse).values(
            warehouse_id=warehouse.warehouse_id, name=warehouse.name, line1=warehouse.line1, place=warehouse.place,
            district=warehouse.district, state_code=warehouse.state_code, pincode=warehouse.pincode,
            gstin=warehouse.gstin, latitude=warehouse.latitude, longitude=warehouse.longitude,
            coordinates_source=warehouse.coordinates_source))

    async def bin(self, warehouse_id: str, bin_code: str) -> Bin | None:
        row = (await self.session.execute(
            sa.select(db.bin_table.c.kind).where(db.bin_table.c.warehouse_id == warehouse_id,
                                                 db.bin_table.c.bin_code == bin_code))).first()
        return Bin(bin_code, BinKind(row.kind)) if row else None

    async def bins(self, warehouse_id: str) -> list[Bin]:
        rows = (await self.session.execute(sa.select(db.bin_table.c.bin_code, db.bin_table.c.kind)
                                           .where(db.bin_table.c.warehouse_id == warehouse_id)
                                           .order_by(db.bin_table.c.walk_seq, db.bin_table.c.bin_code))).all()
        # Kinds as stored: a bin is never refused on its way out.
        return [Bin(r.bin_code, BinKind(r.kind)) for r in rows]

    async def add_bin(self, warehouse_id: str, bin_: Bin, walk_seq: int) -> bool:
        result = await self.session.execute(pg_insert(db.bin_table).values(
            warehouse_id=warehouse_id, bin_code=bin_.code, kind=bin_.kind.value, walk_seq=walk_seq
        ).on_conflict_do_nothing())
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _policy(row: sa.RowMapping) -> RoutingPolicyRecord:
    return RoutingPolicyRecord(row["scope"], row["strategy"], row["km_per_day"], row["handling_days"],
                               row["updated_by"])


class SqlRoutingPolicies(RoutingPolicies):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_scopes(self, scopes: Sequence[str]) -> dict[str, RoutingPolicyRecord]:
        return {r["scope"]: _policy(r) for r in (await self.session.execute(
            sa.select(db.routing_policy).where(db.routing_policy.c.scope.in_(scopes)))).mappings()}

    async def set(self, record: RoutingPolicyRecord, at: datetime) -> None:
        values = {"scope": record.scope, "strategy": record.strategy, "km_per_day": record.km_per_day,
                  "handling_days": record.handling_days, "updated_by": record.updated_by, "updated_at": at}
        ins = pg_insert(db.routing_policy).values(**values)
        await self.session.execute(ins.on_conflict_do_update(index_elements=["scope"], set_={
            k: ins.excluded[k] for k in values if k != "scope"}))

    async def every(self) -> list[RoutingPolicyRecord]:
        return [_policy(r) for r in (await self.session.execute(
            sa.select(db.routing_policy).order_by(db.routing_policy.c.scope))).mappings()]


class SqlOrderAllocations(OrderAllocations):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def revision_for_update(self, order_id: str) -> int | None:
        row = (await self.session.execute(
            sa.select(db.order_allocation.c.revision).where(db.order_allocation.c.order_id == order_id)
            .with_for_update())).first()
        return int(row.revision) if row is not None else None

    async def customer_of(self, order_id: str) -> str | None:
        row = (await self.session.execute(sa.select(db.order_allocation.c.customer_id).where(
            db.order_allocation.c.order_id == order_id))).first()
        return str(row.customer_id) if row is not None else None

    async def customers_of(self, order_ids: Iterable[str]) -> dict[str, str]:
        rows = (await self.session.execute(
            sa.select(db.order_allocation.c.order_id, db.order_allocation.c.customer_id)
            .where(db.order_allocation.c.order_id.in_(sorted(order_ids))))).all()
        return {r.order_id: r.customer_id for r in rows}

    async def record(self, allocation: OrderAllocationRecord) -> None:
        row = {"order_id": allocation.order_id, "revision": allocation.revision,
               "customer_id": allocation.customer_id, "ship_to_pincode": allocation.ship_to_pincode,
               "ship_to_state": allocation.ship_to_state, "strategy": allocation.strategy,
               "outcome": allocation.outcome, "lines": allocation.lines, "confirmed_at": allocation.confirmed_at,
               "decided_at": allocation.decided_at}
        ins = pg_insert(db.order_allocation).values(**row)
        await self.session.execute(ins.on_conflict_do_update(index_elements=["order_id"], set_={
            k: ins.excluded[k] for k in row if k != "order_id"}))


def _backorder(row: sa.RowMapping) -> BackorderRecord:
    return BackorderRecord(row["order_id"], row["line_no"], row["item_code"], Decimal(row["quantity"]),
                           Decimal(row["remaining"]), row["status"], row["confirmed_at"], row["expected_date"],
                           {k: Decimal(v) for k, v in row["filled"].items()})


class SqlBackorders(Backorders):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_for_update(self, order_id: str, line_no: int) -> BackorderRecord | None:
        b = db.backorder
        row = (await self.session.execute(sa.select(b).where(b.c.order_id == order_id, b.c.line_no == line_no)
                                          .with_for_update())).mappings().first()
        return _backorder(row) if row else None

    async def open_of_order_for_update(self, order_id: str) -> list[BackorderRecord]:
        b = db.backorder
        rows = (await self.session.execute(sa.select(b).where(b.c.order_id == order_id, b.c.status == "open")
                                           .with_for_update())).mappings().all()
        return [_backorder(r) for r in rows]

    async def open_for_items_for_update(self, item_codes: Iterable[str], *, skip_order: str | None = None
                                        ) -> list[BackorderRecord]:
        b = db.backorder
        rows = (await self.session.execute(
            sa.select(b).where(b.c.status == "open", b.c.item_code.in_(set(item_codes)),
                               b.c.order_id != (skip_order or ""))
            .order_by(b.c.confirmed_at, b.c.order_id, b.c.line_no).with_for_update()
        )).mappings().all()
        return [_backorder(r) for r in rows]

    async def add(self, backorders: Sequence[BackorderRecord]) -> None:
        if not backorders:
            return
        await self.session.execute(pg_insert(db.backorder).on_conflict_do_nothing(), [
            {"order_id": b.order_id, "line_no": b.line_no, "item_code": b.item_code, "quantity": b.quantity,
             "remaining": b.remaining, "status": b.status, "confirmed_at": b.confirmed_at,
             "expected_date": b.expected_date}
            for b in backorders])

    async def record_fill(self, backorder: BackorderRecord) -> None:
        b = db.backorder
        await self.session.execute(sa.update(b).where(b.c.order_id == backorder.order_id,
                                                      b.c.line_no == backorder.line_no).values(
            filled={k: str(v) for k, v in backorder.filled.items()}, remaining=backorder.remaining,
            status=backorder.status))

    async def resize(self, order_id: str, line_no: int, quantity: Decimal, remaining: Decimal) -> None:
        b = db.backorder
        await self.session.execute(sa.update(b).where(b.c.order_id == order_id, b.c.line_no == line_no)
                                   .values(quantity=quantity, remaining=remaining, status="open"))

    async def reschedule(self, order_id: str, line_no: int, expected_date: date) -> None:
        b = db.backorder
        await self.session.execute(sa.update(b).where(b.c.order_id == order_id, b.c.line_no == line_no)
                                   .values(expected_date=expected_date))

    async def drop_open(self, order_id: str) -> None:
        await self.session.execute(sa.delete(db.backorder).where(db.backorder.c.order_id == order_id,
                                                                 db.backorder.c.status == "open"))

    async def cancel_open(self, order_id: str, line_nos: Sequence[int] | None = None) -> None:
        b = db.backorder
        query = sa.update(b).where(b.c.order_id == order_id, b.c.status == "open")
        if line_nos:
            query = query.where(b.c.line_no.in_(list(line_nos)))
        await self.session.execute(query.values(status="cancelled"))

    async def find(self, status: str | None, item_code: str | None, order_id: str | None, limit: int
                   ) -> list[BackorderRecord]:
        b = db.backorder
        query = sa.select(b).order_by(b.c.confirmed_at, b.c.order_id, b.c.line_no)
        if status:
            query = query.where(b.c.status == status)
        if item_code:
            query = query.where(b.c.item_code == item_code)
        if order_id:
            query = query.where(b.c.order_id == order_id)
        return [_backorder(r) for r in (await self.session.execute(query.limit(limit))).mappings()]


class SqlCommandReplies(CommandReplies):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, request_id: str) -> Message | None:
        from o2c.contracts.catalog import message_class

        row = (await self.session.execute(sa.select(db.command_reply).where(
            db.command_reply.c.request_id == request_id))).mappings().first()
        if row is None:
            return None
        return message_class(row["reply_type"], 1).model_validate(row["reply"])

    async def add(self, command: str, order_id: str, request_id: str, reply: Message) -> None:
        await self.session.execute(pg_insert(db.command_reply).values(
            request_id=request_id, command=command, order_id=order_id, reply_type=reply.TYPE,
            reply=reply.model_dump(mode="json")).on_conflict_do_nothing())


class SqlReturnAuthorisations(ReturnAuthorisations):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, authorisation: ReturnAuthorised) -> None:
        await self.session.execute(pg_insert(db.return_authorisation).values(
            return_id=authorisation.return_id, order_id=authorisation.order_id,
            warehouse_id=authorisation.warehouse_id, payload=authorisation.model_dump(mode="json"),
            status="authorised").on_conflict_do_nothing())

    async def get(self, return_id: str, *, for_update: bool = False) -> ReturnAuthorisationRecord | None:
        query = sa.select(db.return_authorisation).where(db.return_authorisation.c.return_id == return_id)
        row = (await self.session.execute(query.with_for_update() if for_update else query)).mappings().first()
        if row is None:
            return None
        return ReturnAuthorisationRecord(row["return_id"], row["order_id"], row["warehouse_id"],
                                         ReturnAuthorised.model_validate(row["payload"]), row["status"],
                                         row["received_at"])

    async def warehouse_of(self, return_id: str) -> str | None:
        row = (await self.session.execute(sa.select(db.return_authorisation.c.warehouse_id).where(
            db.return_authorisation.c.return_id == return_id))).first()
        return str(row.warehouse_id) if row is not None else None

    async def mark_received(self, return_id: str, at: datetime) -> None:
        await self.session.execute(sa.update(db.return_authorisation)
                                   .where(db.return_authorisation.c.return_id == return_id)
                                   .values(status="received", received_at=at))


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


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


class SqlStockViews(StockViews):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def balances(self, warehouse_id: str | None, item_code: str | None, limit: int) -> list[dict[str, Any]]:
        b = db.stock_balance
        query = sa.select(b).order_by(b.c.warehouse_id, b.c.item_code, b.c.bin_code, b.c.batch_key)
        if warehouse_id:
            query = query.where(b.c.warehouse_id == warehouse_id)
        if item_code:
            query = query.where(b.c.item_code == item_code)
        return [{"warehouse_id": r["warehouse_id"], "item_code": r["item_code"], "bin_code": r["bin_code"],
                 "bin_kind": r["bin_kind"], "batch_no": r["batch_no"], "expiry_date": _iso(r["expiry_date"]),
                 "confirmed": str(r["confirmed"]), "expected": str(r["expected"])}
                for r in (await self.session.execute(query.limit(limit))).mappings()]

    async def movements(self, warehouse_id: str, item_code: str) -> list[dict[str, Any]]:
        m = db.stock_movement
        rows = (await self.session.execute(sa.select(m).where(m.c.warehouse_id == warehouse_id,
                                                              m.c.item_code == item_code)
                                           .order_by(m.c.seq))).mappings()
        return [{"seq": r["seq"], "type": r["movement_type"], "quantity": str(r["quantity"]), "deltas": r["deltas"],
                 "at": r["at"].isoformat(), "reference": r["reference"], "reason": r["reason"], "actor": r["actor"]}
                for r in rows]

    async def reservations_of(self, order_id: str) -> list[dict[str, Any]]:
        r, a = db.reservation, db.reservation_allocation
        rows = (await self.session.execute(sa.select(r).where(r.c.order_id == order_id)
                                           .order_by(r.c.line_no, r.c.warehouse_id))).mappings().all()
        allocs = (await self.session.execute(sa.select(a).where(a.c.order_id == order_id)
                                             .order_by(a.c.expiry_date.nulls_last(), a.c.bin_code))).mappings().all()
        return [{
            "order_id": row["order_id"], "line_no": row["line_no"], "warehouse_id": row["warehouse_id"],
            "item_code": row["item_code"], "requested": str(row["requested"]), "reserved": str(row["reserved"]),
            "released": str(row["released"]), "issued": str(row["issued"]), "status": row["status"],
            "allocations": [{"bin_code": x["bin_code"], "batch_no": x["batch_no"],
                             "expiry_date": _iso(x["expiry_date"]), "quantity": str(x["quantity"])}
                            for x in allocs if x["line_no"] == row["line_no"]
                            and x["warehouse_id"] == row["warehouse_id"]],
        } for row in rows]

    async def available_to_promise_json(self, item_codes: Sequence[str], warehouse_id: str | None, on: date) -> str:
        # PostgreSQL builds the JSON in one round trip whatever the number of items (the hot path of quotations).
        return str((await self.session.execute(_ATP_SQL, {"items": list(item_codes), "on": on,
                                                          "warehouse": warehouse_id})).scalar())


__all__ = ["_ATP_SQL", "SqlBackorders", "SqlCommandReplies", "SqlItems", "SqlOrderAllocations",
           "SqlReturnAuthorisations", "SqlRoutingPolicies", "SqlStockViews", "SqlWarehouses"]


class SqlDocumentSeries(DocumentSeries):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_number(self, gstin: str, prefix: str, financial_year: str) -> int:
        # One statement: inserts the series at 1 or raises it by one, the row locked until commit (gap-free).
        ins = pg_insert(db.document_series).values(gstin=gstin, prefix=prefix, financial_year=financial_year,
                                                   last_no=1)
        result = await self.session.execute(ins.on_conflict_do_update(
            index_elements=["gstin", "prefix", "financial_year"],
            set_={"last_no": db.document_series.c.last_no + 1}).returning(db.document_series.c.last_no))
        return int(result.scalar_one())


def _transfer(row: sa.RowMapping) -> TransferRecord:
    return TransferRecord(
        transfer_id=row["transfer_id"], transfer_no=row["transfer_no"], kind=row["kind"],
        from_warehouse_id=row["from_warehouse_id"], to_warehouse_id=row["to_warehouse_id"], status=row["status"],
        lines=list(row["lines"]), facts=dict(row["facts"]), dispatched_at=row["dispatched_at"],
        dispatched_by=row["dispatched_by"], expected_arrival=row["expected_arrival"],
        received_at=row["received_at"], received_by=row["received_by"])


class SqlTransfers(Transfers):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, transfer: TransferRecord) -> None:
        await self.session.execute(sa.insert(db.stock_transfer).values(
            transfer_id=transfer.transfer_id, transfer_no=transfer.transfer_no,
            from_gstin=transfer.facts["supplier"]["gstin"], kind=transfer.kind,
            from_warehouse_id=transfer.from_warehouse_id, to_warehouse_id=transfer.to_warehouse_id,
            status=transfer.status, lines=transfer.lines, facts=transfer.facts, dispatched_at=transfer.dispatched_at,
            dispatched_by=transfer.dispatched_by, expected_arrival=transfer.expected_arrival))

    async def get(self, transfer_id: str, *, for_update: bool = False) -> TransferRecord | None:
        query = sa.select(db.stock_transfer).where(db.stock_transfer.c.transfer_id == transfer_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return _transfer(row) if row else None

    async def record_receipt(self, transfer: TransferRecord) -> None:
        t = db.stock_transfer
        await self.session.execute(sa.update(t).where(t.c.transfer_id == transfer.transfer_id).values(
            lines=transfer.lines, status=transfer.status, received_at=transfer.received_at,
            received_by=transfer.received_by))

    async def find(self, warehouse_ids: Sequence[str] | None, status: str | None, limit: int
                   ) -> list[TransferRecord]:
        t = db.stock_transfer
        query = sa.select(t).order_by(t.c.dispatched_at.desc(), t.c.transfer_id).limit(limit)
        if warehouse_ids is not None:
            query = query.where(sa.or_(t.c.from_warehouse_id.in_(warehouse_ids),
                                       t.c.to_warehouse_id.in_(warehouse_ids)))
        if status:
            query = query.where(t.c.status == status)
        return [_transfer(r) for r in (await self.session.execute(query)).mappings()]


class SqlTransferPrices(TransferPrices):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def set(self, price: TransferPrice, actor: str, at: datetime) -> None:
        values = {"item_code": price.item_code, "effective_from": price.effective_from,
                  "effective_to": price.effective_to, "unit_price": price.unit_price, "set_by": actor, "set_at": at}
        ins = pg_insert(db.transfer_price).values(**values)
        await self.session.execute(ins.on_conflict_do_update(
            index_elements=["item_code", "effective_from"],
            set_={k: ins.excluded[k] for k in ("effective_to", "unit_price", "set_by", "set_at")}))

    async def of_items(self, item_codes: Iterable[str]) -> list[TransferPrice]:
        codes = sorted(set(item_codes))
        if not codes:
            return []
        t = db.transfer_price
        rows = await self.session.execute(sa.select(t).where(t.c.item_code.in_(codes)))
        return [TransferPrice(r.item_code, r.unit_price, r.effective_from, r.effective_to) for r in rows]

    async def every(self, item_code: str | None, limit: int) -> list[TransferPrice]:
        t = db.transfer_price
        query = sa.select(t).order_by(t.c.item_code, t.c.effective_from.desc()).limit(limit)
        if item_code:
            query = query.where(t.c.item_code == item_code)
        return [TransferPrice(r.item_code, r.unit_price, r.effective_from, r.effective_to)
                for r in await self.session.execute(query)]


class SqlPurchaseReceipts(PurchaseReceipts):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, receipt: PurchaseReceiptRecord) -> None:
        await self.session.execute(sa.insert(db.purchase_receipt).values(
            receipt_id=receipt.receipt_id, receipt_no=receipt.receipt_no, warehouse_id=receipt.warehouse_id,
            supplier_gstin=receipt.supplier_gstin, supplier_name=receipt.supplier_name, po_no=receipt.po_no,
            po_date=receipt.po_date, lines=receipt.lines, received_at=receipt.received_at,
            received_by=receipt.received_by))

    async def get(self, receipt_id: str) -> PurchaseReceiptRecord | None:
        row = (await self.session.execute(sa.select(db.purchase_receipt).where(
            db.purchase_receipt.c.receipt_id == receipt_id))).mappings().first()
        if row is None:
            return None
        return PurchaseReceiptRecord(
            receipt_id=row["receipt_id"], receipt_no=row["receipt_no"], warehouse_id=row["warehouse_id"],
            supplier_gstin=row["supplier_gstin"], supplier_name=row["supplier_name"], po_no=row["po_no"],
            po_date=row["po_date"], lines=list(row["lines"]), received_at=row["received_at"],
            received_by=row["received_by"])
