"""The e-way bill records, their portal attempts and the thresholds in PostgreSQL, on the caller's session (one
transaction per use case; SQLAlchemy Core on the table models' tables): the `EwayBills`, `PortalAttempts` and
`Thresholds` ports."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from o2c.ewaybill.adapters.db import attempt, ewaybill, threshold
from o2c.ewaybill.service_layer.ports import EwayBillRecord, ThresholdRecord
from o2c.india.ewaybill import EwayBillThreshold, Movement
from o2c.kit.auth import Principal
from o2c.kit.scope import visible_customers
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

_FIELDS = [f.name for f in dataclasses.fields(EwayBillRecord)]

THRESHOLD_CACHE_SECONDS = 60.0
"""Threshold rows change by notification, rarely: a process re-reads them at most once a minute (and at once
after a row is added through its own API)."""
_THRESHOLDS: dict[str, tuple[float, list[EwayBillThreshold]]] = {}
"""By database URL: one process may serve several databases (tests run many services in one process)."""


def forget_thresholds() -> None:
    _THRESHOLDS.clear()


def _record(row: Any) -> EwayBillRecord:
    mapping = row._mapping
    return EwayBillRecord(**{name: mapping[name] for name in _FIELDS})


def _threshold(row: Any) -> ThresholdRecord:
    return ThresholdRecord(id=row.id, value_above=row.value_above, effective_from=row.effective_from,
                           effective_to=row.effective_to, state_code=row.state_code, movement=row.movement,
                           note=row.note, ended_by=row.ended_by, ended_at=row.ended_at, end_reason=row.end_reason)


class SqlEwayBills:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_invoice(self, invoice_id: str) -> EwayBillRecord | None:
        row = (await self.session.execute(sa.select(ewaybill).where(ewaybill.c.invoice_id == invoice_id))).first()
        return _record(row) if row else None

    async def get(self, ewaybill_id: str, *, for_update: bool = False) -> EwayBillRecord | None:
        query = sa.select(ewaybill).where(ewaybill.c.id == ewaybill_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return _record(row) if row else None

    async def active_for_shipment(self, shipment_id: str) -> EwayBillRecord | None:
        row = (await self.session.execute(
            sa.select(ewaybill).where(ewaybill.c.shipment_id == shipment_id, ewaybill.c.status == "generated")
            .order_by(ewaybill.c.generated_at.desc()).limit(1).with_for_update()
        )).first()
        return _record(row) if row else None

    async def add(self, record: EwayBillRecord) -> bool:
        values = dataclasses.asdict(record)
        inserted = await self.session.execute(
            pg_insert(ewaybill).values(**values).on_conflict_do_nothing(index_elements=["invoice_id"])
            .returning(ewaybill.c.id)
        )
        return inserted.first() is not None

    async def save(self, record: EwayBillRecord) -> None:
        values = dataclasses.asdict(record)
        values.pop("id")
        await self.session.execute(
            sa.update(ewaybill).where(ewaybill.c.id == record.id).values(**values, updated_at=sa.func.now())
        )

    async def find(self, *, status: str | None = None, order_id: str | None = None,
                   shipment_id: str | None = None, limit: int = 200,
                   viewer: Principal | None = None) -> list[EwayBillRecord]:
        query = sa.select(ewaybill).order_by(ewaybill.c.created_at).limit(limit)
        if viewer is not None:
            query = query.where(visible_customers(viewer, ewaybill.c.customer_id))
        if status:
            query = query.where(ewaybill.c.status == status)
        if order_id:
            query = query.where(ewaybill.c.order_id == order_id)
        if shipment_id:
            query = query.where(ewaybill.c.shipment_id == shipment_id)
        return [_record(r) for r in await self.session.execute(query)]


class SqlPortalAttempts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, ewaybill_id: str, action: str, request: dict[str, Any], outcome: str,
                     code: str | None, message: str | None) -> None:
        await self.session.execute(attempt.insert().values(
            ewaybill_id=ewaybill_id, action=action, request=request, outcome=outcome, code=code, message=message))

    async def of_bill(self, ewaybill_id: str) -> list[dict[str, Any]]:
        rows = await self.session.execute(
            sa.select(attempt).where(attempt.c.ewaybill_id == ewaybill_id).order_by(attempt.c.id))
        return [
            {"action": r.action, "outcome": r.outcome, "code": r.code, "message": r.message,
             "request": r.request, "at": r.at.isoformat()}
            for r in rows
        ]


class SqlThresholds:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def every(self) -> Sequence[EwayBillThreshold]:
        key = str(getattr(self.session.bind, "url", ""))
        cached = _THRESHOLDS.get(key)
        if cached is not None and time.monotonic() - cached[0] < THRESHOLD_CACHE_SECONDS:
            return cached[1]
        rows = await self.session.execute(sa.select(threshold))
        loaded = [
            EwayBillThreshold(value_above=r.value_above, effective_from=r.effective_from,
                              effective_to=r.effective_to, state_code=r.state_code,
                              movement=Movement(r.movement) if r.movement else None)
            for r in rows
        ]
        _THRESHOLDS[key] = (time.monotonic(), loaded)
        return loaded

    async def listed(self) -> list[ThresholdRecord]:
        rows = await self.session.execute(threshold.select().order_by(threshold.c.effective_from, threshold.c.id))
        return [_threshold(r) for r in rows]

    async def get_for_update(self, threshold_id: int) -> ThresholdRecord | None:
        row = (await self.session.execute(
            threshold.select().where(threshold.c.id == threshold_id).with_for_update())).one_or_none()
        return _threshold(row) if row is not None else None

    async def add(self, *, value_above: Decimal, effective_from: date, effective_to: date | None,
                  state_code: str | None, movement: str | None, note: str) -> ThresholdRecord:
        row = (await self.session.execute(threshold.insert().values(
            value_above=value_above, effective_from=effective_from, effective_to=effective_to,
            state_code=state_code, movement=movement, note=note).returning(*threshold.c))).one()
        return _threshold(row)

    async def end(self, threshold_id: int, *, effective_to: date, ended_by: str, ended_at: datetime,
                  reason: str) -> ThresholdRecord:
        row = (await self.session.execute(threshold.update().where(threshold.c.id == threshold_id).values(
            effective_to=effective_to, ended_by=ended_by, ended_at=ended_at, end_reason=reason,
        ).returning(*threshold.c))).one()
        return _threshold(row)
