"""Credit's repositories on PostgreSQL, in SQLAlchemy Core on the table models' tables (no ORM session, no
identity map: the account is one row read and written as JSON text on every credit decision). Each works in the
caller's session and transaction (`o2c.credit.adapters.unit_of_work.SqlUnitOfWork`); locks are
`SELECT … FOR UPDATE`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from o2c.credit.adapters.codec import dump_account_json, dump_sanction, load_account_json, load_sanction
from o2c.credit.adapters.db import credit_account, document_series, payment, sanction_request
from o2c.credit.adapters.views import sanction_view
from o2c.credit.domain import CustomerAccount, SanctionRequest, SanctionStatus
from o2c.credit.service_layer.ports import AccountRecord
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

# The document travels as JSON text both ways and is parsed once, by pydantic-core.
_DOC_TEXT = sa.cast(credit_account.c.doc, sa.Text).label("doc")
_ACCOUNT_COLUMNS = (_DOC_TEXT, credit_account.c.customer_name, credit_account.c.master_revision,
                    credit_account.c.limit_set_by_finance)


def _record(row: Any) -> AccountRecord:
    return AccountRecord(load_account_json(row.doc), row.customer_name, row.master_revision,
                         row.limit_set_by_finance)


def _as_jsonb(text: str) -> sa.ColumnElement[Any]:
    return sa.cast(sa.literal(text, sa.Text), JSONB)




class _InSession:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _conn(self) -> AsyncConnection:
        return await self.session.connection()


class SqlAccounts(_InSession):
    async def lock(self, customer_id: str) -> AccountRecord:
        conn = await self._conn()
        query = sa.select(*_ACCOUNT_COLUMNS).where(credit_account.c.customer_id == customer_id).with_for_update()
        row = (await conn.execute(query)).one_or_none()
        if row is None:
            # Two first orders of a new customer race here: one insert wins, both then wait on the same row lock.
            await conn.execute(pg_insert(credit_account).values(
                customer_id=customer_id, doc=_as_jsonb(dump_account_json(CustomerAccount(customer_id))),
            ).on_conflict_do_nothing())
            row = (await conn.execute(query)).one()
        return _record(row)

    async def get(self, customer_id: str) -> AccountRecord | None:
        conn = await self._conn()
        row = (await conn.execute(
            sa.select(*_ACCOUNT_COLUMNS).where(credit_account.c.customer_id == customer_id)
        )).one_or_none()
        return None if row is None else _record(row)

    async def save(self, record: AccountRecord) -> None:
        conn = await self._conn()
        await conn.execute(
            credit_account.update().where(credit_account.c.customer_id == record.account.customer_id).values(
                doc=_as_jsonb(dump_account_json(record.account)), customer_name=record.customer_name,
                master_revision=record.master_revision, limit_set_by_finance=record.limit_set_by_finance,
                version=credit_account.c.version + 1, updated_at=sa.func.now(),
            )
        )


class SqlSanctions(_InSession):
    """Each request is stored with its rendered queue entry (`view`), so a queue page decodes nothing."""

    @staticmethod
    def _values(request: SanctionRequest, customer_name: str) -> dict[str, Any]:
        return dict(
            view=sanction_view(request, customer_name),
            order_id=request.order_id, customer_id=request.customer_id, order_revision=request.order_revision,
            status=request.status.value, amount=request.amount, requested_at=request.requested_at,
            escalation_due_at=request.escalation_due_at, escalated_at=request.escalated_at,
            expires_at=request.expires_at, decided_at=request.decided_at, doc=dump_sanction(request),
        )

    async def add(self, request: SanctionRequest, customer_name: str) -> None:
        conn = await self._conn()
        await conn.execute(sanction_request.insert().values(
            sanction_id=request.sanction_id, customer_name=customer_name, **self._values(request, customer_name)))

    async def _one(self, sanction_id: str, *, for_update: bool) -> SanctionRequest | None:
        conn = await self._conn()
        query = sa.select(sanction_request.c.doc).where(sanction_request.c.sanction_id == sanction_id)
        doc = (await conn.execute(query.with_for_update() if for_update else query)).scalar_one_or_none()
        return None if doc is None else load_sanction(doc)

    async def get(self, sanction_id: str) -> SanctionRequest | None:
        return await self._one(sanction_id, for_update=False)

    async def lock(self, sanction_id: str) -> SanctionRequest | None:
        return await self._one(sanction_id, for_update=True)

    async def save(self, request: SanctionRequest) -> None:
        conn = await self._conn()
        name = (await conn.execute(sa.select(sanction_request.c.customer_name).where(
            sanction_request.c.sanction_id == request.sanction_id))).scalar_one()
        await conn.execute(sanction_request.update().where(
            sanction_request.c.sanction_id == request.sanction_id).values(**self._values(request, name)))

    async def pending_of_order(self, order_id: str) -> list[SanctionRequest]:
        conn = await self._conn()
        rows = await conn.execute(
            sa.select(sanction_request.c.doc).where(
                sanction_request.c.order_id == order_id,
                sanction_request.c.status == SanctionStatus.PENDING.value,
            ).with_for_update()
        )
        return [load_sanction(doc) for (doc,) in rows]

    async def due(self, now: datetime, limit: int) -> list[str]:
        conn = await self._conn()
        rows = await conn.execute(
            sa.select(sanction_request.c.sanction_id).where(
                sanction_request.c.status == SanctionStatus.PENDING.value,
                sa.or_(sanction_request.c.expires_at <= now,
                       sa.and_(sanction_request.c.escalated_at.is_(None),
                               sanction_request.c.escalation_due_at <= now)),
            ).order_by(sanction_request.c.expires_at).limit(limit)
        )
        return list(rows.scalars())

    async def queue_json(self, status: str | None, limit: int, offset: int) -> str:
        conn = await self._conn()
        missing = sanction_request.c.view.is_(None)
        query = sa.select(sa.cast(sanction_request.c.view, sa.Text),
                          sa.case((missing, sanction_request.c.doc), else_=sa.null()),  # decoded only when needed
                          sanction_request.c.customer_name)
        if status:
            query = query.where(sanction_request.c.status == status)
        query = query.order_by(sanction_request.c.requested_at, sanction_request.c.sanction_id)
        rows = await conn.execute(query.limit(limit).offset(offset))
        parts = [text if text is not None else json.dumps(sanction_view(load_sanction(doc), name))
                 for text, doc, name in rows]
        return "[" + ",".join(parts) + "]"


class SqlPayments(_InSession):
    async def add(self, *, payment_id: str, customer_id: str, recorded_by: str, recorded_at: datetime,
                  doc: dict[str, Any]) -> None:
        conn = await self._conn()
        await conn.execute(payment.insert().values(
            payment_id=payment_id, receipt_no=payment_id, customer_id=customer_id, recorded_by=recorded_by,
            recorded_at=recorded_at, doc=doc,
        ))


class SqlNumberSeries(_InSession):
    async def next(self, series: str) -> int:
        conn = await self._conn()
        number = (await conn.execute(
            pg_insert(document_series).values(series=series, last_number=1).on_conflict_do_update(
                index_elements=[document_series.c.series],
                set_={"last_number": document_series.c.last_number + 1},
            ).returning(document_series.c.last_number)
        )).scalar_one()
        return int(number)
