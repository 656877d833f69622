"""The SQL repository of sales aggregates (PostgreSQL, on the caller's session and transaction)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from o2c.kit.scope import record_customer_scope
from o2c.sales.adapters import db
from o2c.sales.adapters.codec import dump, load_as
from o2c.sales.domain.catalog import (
    BuyGetScheme,
    Item,
    PriceEntry,
    PriceList,
    QuantitySlabScheme,
    Scheme,
    SchemeBook,
    Uqc,
)
from o2c.sales.domain.customer import AuditEntry, Customer, GstCategory
from o2c.sales.domain.numbering import DocumentNumber, FinancialYear
from o2c.sales.domain.order import OrderStatus, SalesOrder
from o2c.sales.domain.quotation import Quotation
from o2c.sales.domain.saga import OrderSaga
from o2c.sales.domain.tax import GstRate, GstRateSchedule, HsnCode
from o2c.sales.service_layer.ports import ItemRecord, OrderHandle, ReturnRecord, SagaRecord, SentCommand
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

_SEQUENCES_SEEN: set[tuple[str, str]] = set()  # (database, sequence) known to exist


_SAGA_COLUMNS = ("status", "version", "state", "allocations", "invoice_nos", "exceptions", "waiting_for",
                 "next_check_at")
_UNKNOWN = object()

class SqlRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.sagas_added: dict[str, SagaRecord] = {}
        self._sagas_stored: dict[str, dict[str, Any]] = {}
        """The sagas this unit of work started: an order's 201 is answered from them, not re-read."""

    async def _conn(self) -> AsyncConnection:
        return await self.session.connection()

    async def _one(self, stmt: sa.Select[Any]) -> Any:
        return (await (await self._conn()).execute(stmt)).first()

    async def _all(self, stmt: sa.Select[Any]) -> list[Any]:
        return list((await (await self._conn()).execute(stmt)).all())

    async def _run(self, stmt: Any, params: Any = None) -> None:
        conn = await self._conn()
        if params is None:
            await conn.execute(stmt)
        else:
            await conn.execute(stmt, params)

    # --- customers -------------------------------------------------------------------------------

    async def get_customer(self, customer_id: str, *, lock: bool = False) -> Customer | None:
        stmt = sa.select(db.customer.c.doc).where(db.customer.c.customer_id == customer_id)
        row = await self._one(stmt.with_for_update() if lock else stmt)
        if row is None:
            return None
        customer = load_as(Customer, row.doc)
        audit = await self._all(
            sa.select(db.customer_audit).where(db.customer_audit.c.customer_id == customer_id)
            .order_by(db.customer_audit.c.id)
        )
        customer.audit = [AuditEntry(a.who, a.at, a.field, a.before, a.after) for a in audit]
        return customer

    def _customer_row(self, customer: Customer) -> dict[str, Any]:
        doc = dump(customer)
        doc.pop("audit", None)  # audit entries are rows of their own
        return {
            "customer_id": customer.customer_id, "code": customer.code, "legal_name": customer.legal_name,
            "status": customer.status.value, "sales_owner": customer.sales_owner, "created_by": customer.created_by,
            "revision": customer.revision, "doc": doc, "created_at": customer.created_at,
            "updated_at": customer.audit[-1].when if customer.audit else customer.created_at,
        }

    async def _add_audit(self, customer_id: str, entries: Sequence[AuditEntry]) -> None:
        if entries:
            await self._run(db.customer_audit.insert(), [
                {"customer_id": customer_id, "who": e.who, "at": e.when, "field": e.field, "before": e.before,
                 "after": e.after} for e in entries
            ])

    async def add_customer(self, customer: Customer) -> None:
        await self._run(db.customer.insert().values(**self._customer_row(customer)))
        await self._add_audit(customer.customer_id, customer.audit)
        await self._keep_scope(customer)

    async def save_customer(self, customer: Customer, new_audit: Sequence[AuditEntry]) -> None:
        row = self._customer_row(customer)
        row.pop("customer_id")
        await self._run(db.customer.update().where(db.customer.c.customer_id == customer.customer_id).values(**row))
        await self._add_audit(customer.customer_id, new_audit)
        await self._keep_scope(customer)

    async def _keep_scope(self, customer: Customer) -> None:
        await record_customer_scope(self.session, customer.customer_id, customer.sales_owner, customer.partner_ids,
                                    customer.revision)

    async def announced_customer_ids(self) -> list[str]:
        """Customers approved at least once (the others were never announced to the other services)."""
        rows = await self._all(sa.select(db.customer.c.customer_id)
                               .where(db.customer.c.doc["approved_at"].astext.is_not(None)
                                      | db.customer.c.status.not_in(("pending",)))
                               .order_by(db.customer.c.customer_id))
        return [r.customer_id for r in rows]

    # --- catalog ---------------------------------------------------------------------------------

    @staticmethod
    def _item(row: Any) -> ItemRecord:
        item = Item(code=row.code, name=row.name, hsn=HsnCode(row.hsn), unit=Uqc(row.unit),
                    product_line=row.product_line, batch_tracked=row.batch_tracked, stocked=row.stocked,
                    lead_time_days=row.lead_time_days, active=row.active)
        return ItemRecord(item, row.revision)

    async def get_items(self, codes: Sequence[str]) -> dict[str, ItemRecord]:
        if not codes:
            return {}
        rows = await self._all(sa.select(db.item).where(db.item.c.code.in_(sorted(set(codes)))))
        return {r.code: self._item(r) for r in rows}

    @staticmethod
    def _item_row(item: Item) -> dict[str, Any]:
        return {
            "code": item.code, "name": item.name, "hsn": item.hsn.value, "unit": item.unit.value,
            "product_line": item.product_line, "batch_tracked": item.batch_tracked, "stocked": item.stocked,
            "lead_time_days": item.lead_time_days, "active": item.active,
        }

    async def add_items(self, items: Sequence[Item], at: datetime) -> None:
        await self._run(db.item.insert(), [
            {**self._item_row(i), "revision": 1, "created_at": at, "updated_at": at} for i in items
        ])

    async def save_item(self, record: ItemRecord, at: datetime) -> None:
        await self._run(db.item.update().where(db.item.c.code == record.item.code).values(
            **self._item_row(record.item), revision=record.revision, updated_at=at))

    async def gst_rates(self) -> GstRateSchedule:
        rows = await self._all(sa.select(db.gst_rate))
        return GstRateSchedule(
            GstRate(r.hsn_prefix, Decimal(r.rate).normalize(), r.effective_from, Decimal(r.cess_rate).normalize(),
                    effective_to=r.effective_to, description=r.description)
            for r in rows
        )

    async def add_gst_rate(self, rate: GstRate) -> int:
        insert = pg_insert(db.gst_rate).values(
            hsn_prefix=rate.hsn_prefix, effective_from=rate.effective_from, rate=rate.rate, cess_rate=rate.cess_rate,
            effective_to=rate.effective_to, description=rate.description, version=1, published_version=1,
        )
        stmt = insert.on_conflict_do_update(
            index_elements=["hsn_prefix", "effective_from"],
            set_={"rate": rate.rate, "cess_rate": rate.cess_rate, "effective_to": rate.effective_to,
                  "description": rate.description, "version": db.gst_rate.c.version + 1,
                  "published_version": db.gst_rate.c.version + 1},  # the caller publishes it in this transaction
        ).returning(db.gst_rate.c.version)
        return int((await (await self._conn()).execute(stmt)).one().version)

    async def unpublished_gst_rates(self, limit: int) -> list[tuple[GstRate, int]]:
        rows = await self._all(
            sa.select(db.gst_rate).where(db.gst_rate.c.published_version < db.gst_rate.c.version)
            .order_by(db.gst_rate.c.hsn_prefix, db.gst_rate.c.effective_from).limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [(GstRate(r.hsn_prefix, Decimal(r.rate).normalize(), r.effective_from,
                         Decimal(r.cess_rate).normalize(), effective_to=r.effective_to, description=r.description),
                 int(r.version)) for r in rows]

    async def mark_gst_rates_published(self, rates: Sequence[tuple[GstRate, int]]) -> None:
        for rate, version in rates:
            await self._run(sa.update(db.gst_rate).where(
                db.gst_rate.c.hsn_prefix == rate.hsn_prefix, db.gst_rate.c.effective_from == rate.effective_from,
            ).values(published_version=version))

    async def price_list(self, code: str, item_codes: Sequence[str] | None = None) -> PriceList | None:
        head = await self._one(sa.select(db.price_list).where(db.price_list.c.code == code))
        if head is None:
            return None
        stmt = sa.select(db.price_entry).where(db.price_entry.c.price_list_code == code)
        if item_codes is not None:
            stmt = stmt.where(db.price_entry.c.item_code.in_(sorted(set(item_codes))))
        rows = await self._all(stmt.order_by(db.price_entry.c.id))
        return PriceList(code, head.name, (
            PriceEntry(r.item_code, Decimal(r.unit_price), r.valid_from, r.valid_to, r.customer_id) for r in rows
        ))

    async def add_price_list(self, code: str, name: str) -> None:
        await self._run(db.price_list.insert().values(code=code, name=name))

    async def add_prices(self, price_list_code: str, entries: Sequence[PriceEntry]) -> None:
        if entries:
            await self._run(db.price_entry.insert(), [
                {"price_list_code": price_list_code, "item_code": e.item_code, "customer_id": e.customer_id,
                 "unit_price": e.unit_price, "valid_from": e.valid_from, "valid_to": e.valid_to} for e in entries
            ])

    async def end_price(self, price_list_code: str, entry: PriceEntry, valid_to: date, by: str, at: datetime,
                        reason: str) -> None:
        pe = db.price_entry
        customer = pe.c.customer_id.is_(None) if entry.customer_id is None else pe.c.customer_id == entry.customer_id
        await self._run(pe.update().where(
            pe.c.price_list_code == price_list_code, pe.c.item_code == entry.item_code, customer,
            pe.c.valid_from == entry.valid_from,
        ).values(valid_to=valid_to, ended_by=by, ended_at=at, end_reason=reason))

    async def schemes(self, on: date | None = None) -> SchemeBook:
        stmt = sa.select(db.scheme.c.doc, db.scheme.c.kind)
        if on is not None:
            stmt = stmt.where(db.scheme.c.valid_from <= on, db.scheme.c.valid_to >= on)
        rows = await self._all(stmt.order_by(db.scheme.c.code))
        book = SchemeBook()
        for r in rows:
            cls: type[Scheme] = QuantitySlabScheme if r.kind == "quantity_slab" else BuyGetScheme
            book.add(load_as(cls, r.doc))
        return book

    async def add_scheme(self, scheme: Scheme) -> None:
        await self._run(db.scheme.insert().values(
            code=scheme.code, kind=scheme.kind.value, valid_from=scheme.valid_from, valid_to=scheme.valid_to,
            doc=dump(scheme)))

    # --- numbering -------------------------------------------------------------------------------

    async def next_number(self, prefix: str, financial_year: FinancialYear) -> DocumentNumber:
        if prefix in db.SEQUENCED_SERIES:
            return DocumentNumber.build(prefix, financial_year, await self._from_sequence(prefix, financial_year))
        stmt = pg_insert(db.document_series).values(
            prefix=prefix, financial_year=financial_year.start_year, last_issued=1,
        ).on_conflict_do_update(
            index_elements=["prefix", "financial_year"],
            set_={"last_issued": db.document_series.c.last_issued + 1},
        ).returning(db.document_series.c.last_issued)
        sequence = (await (await self._conn()).execute(stmt)).scalar_one()
        return DocumentNumber.build(prefix, financial_year, int(sequence))

    async def _from_sequence(self, prefix: str, financial_year: FinancialYear) -> int:
        name = db.series_sequence(prefix, financial_year.start_year)
        conn = await self._conn()
        known = (str(conn.engine.url), name)
        if known not in _SEQUENCES_SEEN:
            # The first number of a financial year creates its sequence, in a transaction of its own (committed
            # at once: no placement waits on another's open transaction). Two creators racing: the loser's
            # duplicate in pg_class is ignored, the winner's sequence serves both.
            with contextlib.suppress(IntegrityError, ProgrammingError):
                async with conn.engine.begin() as own:
                    await own.execute(sa.text(f'CREATE SEQUENCE IF NOT EXISTS "{name}"'))
            _SEQUENCES_SEEN.add(known)
        return int((await conn.execute(sa.text(f"SELECT nextval('\"{name}\"')"))).scalar_one())

    # --- quotations ------------------------------------------------------------------------------

    async def get_quotation(self, quotation_id: str, *, lock: bool = False) -> Quotation | None:
        stmt = sa.select(db.quotation.c.doc).where(db.quotation.c.quotation_id == quotation_id)
        row = await self._one(stmt.with_for_update() if lock else stmt)
        return None if row is None else load_as(Quotation, row.doc)

    @staticmethod
    def _quotation_row(q: Quotation, at: datetime) -> dict[str, Any]:
        return {"number": q.number.text, "customer_id": q.customer_id, "status": q.status.value,
                "revision": q.revision, "valid_until": q.valid_until, "created_by": q.created_by, "doc": dump(q),
                "updated_at": at}

    async def add_quotation(self, quotation: Quotation, at: datetime) -> None:
        await self._run(db.quotation.insert().values(
            quotation_id=quotation.quotation_id, created_at=at, **self._quotation_row(quotation, at)))

    async def save_quotation(self, quotation: Quotation, at: datetime) -> None:
        await self._run(db.quotation.update().where(db.quotation.c.quotation_id == quotation.quotation_id)
                        .values(**self._quotation_row(quotation, at)))

    # --- orders ----------------------------------------------------------------------------------

    async def get_order(self, order_id: str, *, lock: bool = False) -> SalesOrder | None:
        stmt = sa.select(db.sales_order.c.doc).where(db.sales_order.c.order_id == order_id)
        row = await self._one(stmt.with_for_update() if lock else stmt)
        return None if row is None else load_as(SalesOrder, row.doc)

    async def order_id_for_key(self, idempotency_key: str) -> str | None:
        row = await self._one(
            sa.select(db.sales_order.c.order_id).where(db.sales_order.c.idempotency_key == idempotency_key))
        return None if row is None else str(row.order_id)

    @staticmethod
    def _order_row(order: SalesOrder) -> dict[str, Any]:
        return {"number": order.number.text, "customer_id": order.customer_id, "quotation_id": order.quotation_id,
                "status": order.status.value, "revision": order.revision, "gross_value": order.gross_value,
                "created_by": order.created_by, "doc": dump(order), "created_at": order.created_at}

    async def _write_lines(self, order: SalesOrder) -> None:
        await self._run(db.order_line.delete().where(db.order_line.c.order_id == order.order_id))
        await self._run(db.order_line.insert(), [
            {"order_id": order.order_id, "line_no": line.line_no, "item_code": line.item.code,
             "quantity": line.quantity, "unit": line.item.unit.value, "taxable_value": line.taxable_value,
             "gross_value": line.gross_value, "committed_date": line.committed_date} for line in order.lines
        ])

    async def add_order(self, order: SalesOrder, idempotency_key: str | None) -> None:
        await self._run(db.sales_order.insert().values(
            order_id=order.order_id, idempotency_key=idempotency_key, updated_at=order.created_at,
            **self._order_row(order)))
        await self._write_lines(order)

    async def save_order(self, order: SalesOrder, *, lines: bool = False) -> None:
        row = self._order_row(order)
        row.pop("created_at")
        await self._run(db.sales_order.update().where(db.sales_order.c.order_id == order.order_id)
                        .values(updated_at=sa.func.now(), **row))
        if lines:
            await self._write_lines(order)

    async def order_handle(self, order_id: str) -> OrderHandle | None:
        o, c = db.sales_order, db.customer
        row = await self._one(sa.select(
            o.c.status, o.c.revision, o.c.doc["credit_cleared_revision"].label("cleared"),
            c.c.doc["gst_category"].astext.label("category"),
        ).join(c, c.c.customer_id == o.c.customer_id).where(o.c.order_id == order_id))
        if row is None:
            return None
        return OrderHandle(order_id, OrderStatus(row.status), row.revision, row.cleared,
                           GstCategory(row.category))

    async def save_order_status(self, order: SalesOrder) -> None:
        o = db.sales_order
        patch = {"status": order.status.value, "status_reason": order.status_reason,
                 "credit_cleared_revision": order.credit_cleared_revision}
        await self._run(o.update().where(o.c.order_id == order.order_id).values(
            status=order.status.value, doc=o.c.doc.op("||")(sa.literal(patch, type_=JSONB)), updated_at=sa.func.now()))

    async def save_credit_clearance(self, order_id: str, revision: int) -> None:
        o = db.sales_order
        await self._run(o.update().where(o.c.order_id == order_id).values(
            doc=o.c.doc.op("||")(sa.literal({"credit_cleared_revision": revision}, type_=JSONB)),
            updated_at=sa.func.now()))

    # --- the saga --------------------------------------------------------------------------------

    async def get_saga(self, order_id: str, *, lock: bool = False) -> SagaRecord | None:
        stmt = sa.select(db.order_saga).where(db.order_saga.c.order_id == order_id)
        row = await self._one(stmt.with_for_update() if lock else stmt)
        if row is None:
            return None
        # As stored: the save writes only the columns that differ from these (issue 15: write what changed).
        self._sagas_stored[order_id] = {k: getattr(row, k) for k in _SAGA_COLUMNS}
        return SagaRecord(
            saga=load_as(OrderSaga, row.state), allocations=dict(row.allocations), invoices=list(row.invoice_nos),
            exceptions=list(row.exceptions), waiting_for=row.waiting_for, next_check_at=row.next_check_at,
        )

    @staticmethod
    def _saga_row(record: SagaRecord) -> dict[str, Any]:
        return {"status": record.saga.status.value, "version": record.saga.version, "state": dump(record.saga),
                "allocations": record.allocations, "invoice_nos": record.invoices, "exceptions": record.exceptions,
                "waiting_for": record.waiting_for, "next_check_at": record.next_check_at}

    async def add_saga(self, record: SagaRecord) -> None:
        self.sagas_added[record.saga.order_id] = record
        await self._run(db.order_saga.insert().values(
            order_id=record.saga.order_id, updated_at=sa.func.now(), **self._saga_row(record)))

    async def save_saga(self, record: SagaRecord, at: datetime) -> None:
        row = self._saga_row(record)
        stored = self._sagas_stored.get(record.saga.order_id)
        if stored is not None:
            row = {k: v for k, v in row.items() if stored.get(k, _UNKNOWN) != v}
            if not row:
                return  # a reply that changed nothing (late, repeated) writes nothing
            stored.update(row)
        await self._run(db.order_saga.update().where(db.order_saga.c.order_id == record.saga.order_id)
                        .values(updated_at=at, **row))

    async def due_sagas(self, now: datetime, limit: int) -> list[str]:
        rows = await self._all(
            sa.select(db.order_saga.c.order_id).where(db.order_saga.c.next_check_at <= now)
            .order_by(db.order_saga.c.next_check_at).limit(limit).with_for_update(skip_locked=True))
        return [str(r.order_id) for r in rows]

    async def record_commands(self, commands: Sequence[SentCommand]) -> None:
        if commands:
            await self._run(pg_insert(db.saga_command).on_conflict_do_nothing(), [
                {"request_id": c.request_id, "order_id": c.order_id, "type": c.type, "payload": c.payload,
                 "attempts": c.attempts, "first_sent_at": c.last_sent_at, "last_sent_at": c.last_sent_at}
                for c in commands
            ])

    async def mark_replied(self, request_ids: Sequence[str], at: datetime) -> None:
        if request_ids:
            await self._run(db.saga_command.update().where(
                db.saga_command.c.request_id.in_(list(request_ids)), db.saga_command.c.replied_at.is_(None),
            ).values(replied_at=at))

    async def unanswered_commands(self, sent_before: datetime, limit: int) -> list[SentCommand]:
        rows = await self._all(
            sa.select(db.saga_command).where(db.saga_command.c.replied_at.is_(None),
                                             db.saga_command.c.last_sent_at < sent_before)
            .order_by(db.saga_command.c.last_sent_at).limit(limit).with_for_update(skip_locked=True))
        return [SentCommand(r.request_id, r.order_id, r.type, dict(r.payload), r.attempts, r.last_sent_at)
                for r in rows]

    async def command_resent(self, request_id: str, at: datetime) -> None:
        await self._run(db.saga_command.update().where(db.saga_command.c.request_id == request_id).values(
            attempts=db.saga_command.c.attempts + 1, last_sent_at=at))

    # --- returns ---------------------------------------------------------------------------------

    async def add_return(self, record: ReturnRecord) -> None:
        await self._run(db.return_authorisation.insert().values(
            return_id=record.return_id, return_no=record.return_no, order_id=record.order_id,
            customer_id=record.customer_id, created_by=record.created_by, doc=record.doc,
            created_at=record.created_at))
