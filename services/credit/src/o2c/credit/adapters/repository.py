"""The unit of work on PostgreSQL: the caller's session and transaction (the consumer's batch transaction or an
HTTP request's), accounts locked with `SELECT … FOR UPDATE`, messages added to the kit's outbox."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from o2c.contracts.envelope import Message
from o2c.credit.adapters.codec import dump_account_json, dump_sanction, load_account_json, load_sanction
from o2c.credit.adapters.db import credit_account, document_series, payment, sanction_request
from o2c.credit.adapters.views import sanction_view
from o2c.credit.domain import CustomerAccount, SanctionRequest, SanctionStatus
from o2c.credit.service_layer.ports import AccountRecord
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

Publish = Callable[[Message], Awaitable[Any]]

# The document travels as JSON text both ways and is parsed once, by pydantic-core.
_DOC_TEXT = sa.cast(credit_account.c.doc, sa.Text).label("doc")
_ACCOUNT_COLUMNS = (_DOC_TEXT, credit_account.c.customer_name, credit_account.c.master_revision,
                    credit_account.c.limit_set_by_finance)


def _record(customer_id: str, row: Any) -> AccountRecord:
    return AccountRecord(load_account_json(row.doc), row.customer_name,
                         row.master_revision, row.limit_set_by_finance)


def _as_jsonb(text: str) -> sa.ColumnElement[Any]:
    return sa.cast(sa.literal(text, sa.Text), JSONB)


class SqlUnitOfWork:
    def __init__(self, session: AsyncSession, publish: Publish) -> None:
        self.session = session
        self._publish = publish

    async def _conn(self) -> AsyncConnection:
        return await self.session.connection()

    # --- accounts ------------------------------------------------------------------------------

    async def lock_account(self, customer_id: str) -> AccountRecord:
        conn = await self._conn()
        query = sa.select(*_ACCOUNT_COLUMNS).where(credit_account.c.customer_id == customer_id).with_for_update()
        row = (await conn.execute(query)).one_or_none()
        if row is None:
            # Two first orders of a new customer race here: one insert wins, both then wait on the same row lock.
            await conn.execute(pg_insert(credit_account).values(
                customer_id=customer_id, doc=_as_jsonb(dump_account_json(CustomerAccount(customer_id))),
            ).on_conflict_do_nothing())
            row = (await conn.execute(query)).one()
        return _record(customer_id, row)

    async def read_account(self, customer_id: str) -> AccountRecord | None:
        conn = await self._conn()
        row = (await conn.execute(
            sa.select(*_ACCOUNT_COLUMNS).where(credit_account.c.customer_id == customer_id)
        )).one_or_none()
        return None if row is None else _record(customer_id, row)

    async def save_account(self, record: AccountRecord) -> None:
        conn = await self._conn()
        await conn.execute(
            credit_account.update().where(credit_account.c.customer_id == record.account.customer_id).values(
                doc=_as_jsonb(dump_account_json(record.account)), customer_name=record.customer_name,
                master_revision=record.master_revision, limit_set_by_finance=record.limit_set_by_finance,
                version=credit_account.c.version + 1, updated_at=sa.func.now(),
            )
        )

    # --- sanctions -----------------------------------------------------------------------------

    @staticmethod
    def _sanction_values(request: SanctionRequest, customer_name: str) -> dict[str, Any]:
        return dict(
            view=sanction_view(request, customer_name),
            order_id=request.order_id, customer_id=request.customer_id, order_revision=request.order_revision,
            status=request.status.value, amount=request.amount, requested_at=request.requested_at,
            escalation_due_at=request.escalation_due_at, escalated_at=request.escalated_at,
            expires_at=request.expires_at, decided_at=request.decided_at, doc=dump_sanction(request),
        )

    async def add_sanction(self, request: SanctionRequest, customer_name: str) -> None:
        conn = await self._conn()
        await conn.execute(sanction_request.insert().values(
            sanction_id=request.sanction_id, customer_name=customer_name,
            **self._sanction_values(request, customer_name)))

    async def read_sanction(self, sanction_id: str) -> SanctionRequest | None:
        conn = await self._conn()
        doc = (await conn.execute(
            sa.select(sanction_request.c.doc).where(sanction_request.c.sanction_id == sanction_id)
        )).scalar_one_or_none()
        return None if doc is None else load_sanction(doc)

    async def lock_sanction(self, sanction_id: str) -> SanctionRequest | None:
        conn = await self._conn()
        doc = (await conn.execute(
            sa.select(sanction_request.c.doc).where(sanction_request.c.sanction_id == sanction_id).with_for_update()
        )).scalar_one_or_none()
        return None if doc is None else load_sanction(doc)

    async def save_sanction(self, request: SanctionRequest) -> None:
        conn = await self._conn()
        name = (await conn.execute(sa.select(sanction_request.c.customer_name).where(
            sanction_request.c.sanction_id == request.sanction_id))).scalar_one()
        await conn.execute(sanction_request.update().where(
            sanction_request.c.sanction_id == request.sanction_id).values(**self._sanction_values(request, name)))

    async def pending_sanctions_of_order(self, order_id: str) -> list[SanctionRequest]:
        conn = await self._conn()
        rows = await conn.execute(
            sa.select(sanction_request.c.doc).where(
                sanction_request.c.order_id == order_id,
                sanction_request.c.status == SanctionStatus.PENDING.value,
            ).with_for_update()
        )
        return [load_sanction(doc) for (doc,) in rows]

    async def list_sanctions(self, status: str | None, limit: int, offset: int
                             ) -> list[tuple[SanctionRequest, str]]:
        conn = await self._conn()
        query = sa.select(sanction_request.c.doc, sanction_request.c.customer_name)
        if status:
            query = query.where(sanction_request.c.status == status)
        query = query.order_by(sanction_request.c.requested_at, sanction_request.c.sanction_id)
        rows = await conn.execute(query.limit(limit).offset(offset))
        return [(load_sanction(doc), name) for doc, name in rows]

    async def sanction_queue_json(self, status: str | None, limit: int, offset: int) -> str:
        """The queue page as a JSON array, from the stored views (rendered from the document if missing)."""
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

    async def sanctions_due(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        conn = await self._conn()
        rows = await conn.execute(
            sa.select(sanction_request.c.sanction_id, sanction_request.c.customer_id).where(
                sanction_request.c.status == SanctionStatus.PENDING.value,
                sa.or_(sanction_request.c.expires_at <= now,
                       sa.and_(sanction_request.c.escalated_at.is_(None),
                               sanction_request.c.escalation_due_at <= now)),
            ).order_by(sanction_request.c.expires_at).limit(limit)
        )
        return [(sid, cid) for sid, cid in rows]

    # --- payments and numbers ------------------------------------------------------------------

    async def next_number(self, series: str) -> int:
        conn = await self._conn()
        number = (await conn.execute(
            pg_insert(document_series).values(series=series, last_number=1).on_conflict_do_update(
                index_elements=[document_series.c.series],
                set_={"last_number": document_series.c.last_number + 1},
            ).returning(document_series.c.last_number)
        )).scalar_one()
        return int(number)

    async def find_payment(self, idempotency_key: str) -> dict[str, Any] | None:
        conn = await self._conn()
        doc = (await conn.execute(
            sa.select(payment.c.doc).where(payment.c.idempotency_key == idempotency_key)
        )).scalar_one_or_none()
        return None if doc is None else dict(doc)

    async def add_payment(self, *, payment_id: str, customer_id: str, idempotency_key: str | None,
                          recorded_by: str, recorded_at: datetime, doc: dict[str, Any]) -> None:
        conn = await self._conn()
        await conn.execute(payment.insert().values(
            payment_id=payment_id, receipt_no=payment_id, customer_id=customer_id, idempotency_key=idempotency_key,
            recorded_by=recorded_by, recorded_at=recorded_at, doc=doc,
        ))

    async def publish(self, message: Message) -> None:
        await self._publish(message)
