"""Invoicing's repositories on PostgreSQL: SQLAlchemy Core statements on the SQLModel tables, on the caller's
session (one transaction with the outbox; `o2c.invoicing.adapters.unit_of_work` puts them together). No ORM
unit of work: nothing is loaded into an identity map or tracked (the ShipmentReady path is hot)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from o2c.contracts.v1 import invoicing as ci
from o2c.india.gst_rates import GstRate, GstRateSchedule
from o2c.invoicing.adapters.db import (
    credit_note,
    document_series,
    hsn_rate,
    invoice,
    invoice_pdf,
    refused_shipment,
    return_request,
)
from o2c.invoicing.domain.numbering import DocumentSeries
from o2c.invoicing.service_layer.ports import (
    CreditNoteRecord,
    InvoiceRecord,
    IrnStatus,
    RefusedShipment,
    ReturnRecord,
)
from o2c.kit.auth import Principal
from o2c.kit.scope import visible_customers
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

_RATES: dict[str, tuple[GstRateSchedule, float]] = {}
"""The replica's schedule per database (one process may serve several: tests), with when it was loaded."""
RATES_TTL_SECONDS = 5.0
"""Another instance's copy of a new rate is seen within this long (this instance's at once)."""


def _record(row: Any) -> InvoiceRecord:
    return InvoiceRecord(
        id=row.id, issued=ci.InvoiceIssued.model_validate(row.document), irn_status=IrnStatus(row.irn_status),
        irn=ci.IrnDetails.model_validate(row.irn) if row.irn else None, irn_error_code=row.irn_error_code,
        irn_error_message=row.irn_error_message, irn_attempts=row.irn_attempts, ewaybill_no=row.ewaybill_no,
        ewaybill_active=row.ewaybill_active, dispatched_at=row.dispatched_at, cancelled_at=row.cancelled_at,
        cancel_reason=row.cancel_reason, cancel_remarks=row.cancel_remarks, irn_cancelled=row.irn_cancelled,
        revision=row.revision, ready=row.ready, shipment_cancelled=row.shipment_cancelled,
    )


def _note(row: Any) -> CreditNoteRecord:
    return CreditNoteRecord(
        id=row.id, invoice_id=row.invoice_id, issued=ci.CreditNoteIssued.model_validate(row.document),
        irn_status=IrnStatus(row.irn_status), irn=ci.IrnDetails.model_validate(row.irn) if row.irn else None,
        irn_error_code=row.irn_error_code, irn_error_message=row.irn_error_message,
    )


def _refused(row: Any) -> RefusedShipment:
    return RefusedShipment(shipment_id=row.shipment_id, order_id=row.order_id, refusal=row.refusal,
                           reason=row.reason, message=dict(row.message), refused_at=row.refused_at,
                           attempts=row.attempts)


class _Core:
    """A repository's statements run on the connection of the caller's session (its transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _execute(self, statement: Any) -> Any:
        return await (await self.session.connection()).execute(statement)


class SqlInvoices(_Core):
    async def by_shipment(self, shipment_id: str) -> InvoiceRecord | None:
        row = (await self._execute(sa.select(invoice).where(invoice.c.shipment_id == shipment_id).order_by(
            invoice.c.cancelled_at.is_(None).desc(), invoice.c.created_at.desc()).limit(1))).first()
        return _record(row) if row else None

    async def of_shipment_for_update(self, shipment_id: str) -> list[InvoiceRecord]:
        rows = await self._execute(sa.select(invoice).where(invoice.c.shipment_id == shipment_id).with_for_update())
        return [_record(r) for r in rows]

    async def get(self, invoice_id: str, *, for_update: bool = False) -> InvoiceRecord | None:
        query = sa.select(invoice).where(invoice.c.id == invoice_id)
        row = (await self._execute(query.with_for_update() if for_update else query)).first()
        return _record(row) if row else None

    async def get_many(self, invoice_ids: Sequence[str]) -> list[InvoiceRecord]:
        if not invoice_ids:
            return []
        rows = await self._execute(sa.select(invoice).where(invoice.c.id.in_(list(invoice_ids))))
        return [_record(r) for r in rows]

    async def add(self, record: InvoiceRecord) -> None:
        issued = record.issued
        await self._execute(invoice.insert().values(
            id=record.id, shipment_id=issued.shipment_id, invoice_no=issued.invoice_no,
            supplier_gstin=issued.supplier_gstin, financial_year=issued.financial_year,
            invoice_date=issued.invoice_date, order_id=issued.order_id, customer_id=issued.customer_id,
            buyer_gstin=issued.buyer_gstin, supply_type=issued.supply_type.value,
            grand_total=issued.totals.grand_total, document=issued.model_dump(mode="json"),
            irn_status=record.irn_status.value, revision=record.revision, ready=record.ready,
        ))

    async def update(self, record: InvoiceRecord) -> None:
        await self._execute(invoice.update().where(invoice.c.id == record.id).values(
            irn_status=record.irn_status.value, irn=record.irn.model_dump(mode="json") if record.irn else None,
            irn_error_code=record.irn_error_code, irn_error_message=record.irn_error_message,
            irn_attempts=record.irn_attempts, ewaybill_no=record.ewaybill_no, ewaybill_active=record.ewaybill_active,
            dispatched_at=record.dispatched_at, cancelled_at=record.cancelled_at, cancel_reason=record.cancel_reason,
            cancel_remarks=record.cancel_remarks, irn_cancelled=record.irn_cancelled, revision=record.revision,
            shipment_cancelled=record.shipment_cancelled,
        ))

    async def search(self, *, order_id: str | None, customer_id: str | None, limit: int,
                     visible_to: Principal | None = None) -> list[InvoiceRecord]:
        query = sa.select(invoice).order_by(invoice.c.created_at.desc(), invoice.c.id).limit(limit)
        if visible_to is not None:
            query = query.where(visible_customers(visible_to, invoice.c.customer_id))
        if order_id:
            query = query.where(invoice.c.order_id == order_id)
        if customer_id:
            query = query.where(invoice.c.customer_id == customer_id)
        return [_record(r) for r in await self._execute(query)]

    async def issued_between(self, supplier_gstin: str, first: date, last: date) -> list[InvoiceRecord]:
        rows = await self._execute(sa.select(invoice).where(
            invoice.c.supplier_gstin == supplier_gstin, invoice.c.invoice_date.between(first, last)
        ).order_by(invoice.c.invoice_no))
        return [_record(r) for r in rows]


class SqlCreditNotes(_Core):
    async def of_invoice(self, invoice_id: str) -> list[CreditNoteRecord]:
        rows = await self._execute(sa.select(credit_note).where(credit_note.c.invoice_id == invoice_id)
                                   .order_by(credit_note.c.created_at))
        return [_note(r) for r in rows]

    async def get(self, credit_note_id: str, *, for_update: bool = False) -> CreditNoteRecord | None:
        query = sa.select(credit_note).where(credit_note.c.id == credit_note_id)
        row = (await self._execute(query.with_for_update() if for_update else query)).first()
        return _note(row) if row else None

    async def add(self, record: CreditNoteRecord) -> None:
        issued = record.issued
        await self._execute(credit_note.insert().values(
            id=record.id, credit_note_no=issued.credit_note_no, invoice_id=record.invoice_id,
            return_id=issued.return_id, supplier_gstin=issued.supplier_gstin, financial_year=issued.financial_year,
            credit_note_date=issued.credit_note_date, customer_id=issued.customer_id,
            grand_total=issued.totals.grand_total, document=issued.model_dump(mode="json"),
            irn_status=record.irn_status.value,
        ))

    async def update(self, record: CreditNoteRecord) -> None:
        await self._execute(credit_note.update().where(credit_note.c.id == record.id).values(
            irn_status=record.irn_status.value, irn=record.irn.model_dump(mode="json") if record.irn else None,
            irn_error_code=record.irn_error_code, irn_error_message=record.irn_error_message,
        ))

    async def issued_between(self, supplier_gstin: str, first: date, last: date) -> list[CreditNoteRecord]:
        rows = await self._execute(sa.select(credit_note).where(
            credit_note.c.supplier_gstin == supplier_gstin, credit_note.c.credit_note_date.between(first, last)
        ).order_by(credit_note.c.credit_note_no))
        return [_note(r) for r in rows]


class SqlDocumentSeriesBook(_Core):
    async def lock(self, supplier_gstin: str, financial_year: str, prefix: str) -> DocumentSeries:
        # One round trip: the upsert creates the row if missing and, either way, holds its row lock until the
        # transaction ends (ON CONFLICT DO UPDATE locks the conflicting row like SELECT … FOR UPDATE).
        statement = insert(document_series).values(
            supplier_gstin=supplier_gstin, financial_year=financial_year, prefix=prefix)
        row = (await self._execute(statement.on_conflict_do_update(
            index_elements=["supplier_gstin", "financial_year", "prefix"],
            set_={"updated_at": statement.excluded.updated_at},
        ).returning(document_series.c.width, document_series.c.last_sequence))).one()
        return DocumentSeries(supplier_gstin=supplier_gstin, financial_year=financial_year, prefix=prefix,
                              width=row.width, last_sequence=row.last_sequence)

    async def save(self, series: DocumentSeries) -> None:
        await self._execute(
            document_series.update()
            .where(document_series.c.supplier_gstin == series.supplier_gstin,
                   document_series.c.financial_year == series.financial_year,
                   document_series.c.prefix == series.prefix)
            .values(last_sequence=series.last_sequence, updated_at=sa.func.now())
        )


class SqlRateReplica(_Core):
    @property
    def _database(self) -> str:
        return str(getattr(self.session.bind, "url", ""))

    async def schedule(self) -> GstRateSchedule:
        cached = _RATES.get(self._database)
        if cached is not None and time.monotonic() - cached[1] < RATES_TTL_SECONDS:
            return cached[0]
        rows = (await self._execute(sa.select(hsn_rate))).all()
        schedule = GstRateSchedule(
            GstRate(hsn_prefix=r.hsn, rate=r.gst_rate.normalize(), cess_rate=r.cess_rate.normalize(),
                    effective_from=r.effective_from, effective_to=r.effective_to, description=r.description)
            for r in rows
        )
        _RATES[self._database] = (schedule, time.monotonic())
        return schedule

    async def keep(self, rate: GstRate, version: int) -> bool:
        values = {"hsn": rate.hsn_prefix, "gst_rate": rate.rate, "cess_rate": rate.cess_rate,
                  "effective_from": rate.effective_from, "effective_to": rate.effective_to,
                  "description": rate.description, "version": version}
        new = insert(hsn_rate).values(**values)
        stmt = new.on_conflict_do_update(
            constraint="hsn_rate_from",
            set_={k: new.excluded[k] for k in values if k not in ("hsn", "effective_from")},
            where=hsn_rate.c.version < new.excluded.version,
        )
        changed = (await self._execute(stmt.returning(hsn_rate.c.id))).first() is not None
        if changed:
            _RATES.pop(self._database, None)
        return changed


class SqlRefusedShipments(_Core):
    async def get(self, shipment_id: str) -> RefusedShipment | None:
        row = (await self._execute(sa.select(refused_shipment).where(
            refused_shipment.c.shipment_id == shipment_id))).first()
        return None if row is None else _refused(row)

    async def keep(self, refused: RefusedShipment) -> None:
        values = {"order_id": refused.order_id, "refusal": refused.refusal, "reason": refused.reason,
                  "message": refused.message, "refused_at": refused.refused_at, "attempts": refused.attempts}
        await self._execute(insert(refused_shipment).values(shipment_id=refused.shipment_id, **values)
                            .on_conflict_do_update(index_elements=["shipment_id"], set_=values))

    async def drop(self, shipment_id: str) -> None:
        await self._execute(refused_shipment.delete().where(refused_shipment.c.shipment_id == shipment_id))

    async def every(self, refusal: str | None = None) -> list[RefusedShipment]:
        stmt = sa.select(refused_shipment).order_by(refused_shipment.c.refused_at)
        if refusal is not None:
            stmt = stmt.where(refused_shipment.c.refusal == refusal)
        return [_refused(r) for r in await self._execute(stmt)]


def _return(row: Any) -> ReturnRecord:
    return ReturnRecord(return_id=row.return_id, return_no=row.return_no, invoice_id=row.invoice_id,
                        customer_id=row.customer_id, status=row.status, credit_note_id=row.credit_note_id,
                        reason=row.reason)


class SqlReturns(_Core):
    async def get(self, return_id: str) -> ReturnRecord | None:
        row = (await self._execute(sa.select(return_request).where(return_request.c.return_id == return_id))).first()
        return None if row is None else _return(row)

    async def save(self, record: ReturnRecord) -> None:
        values = {"return_no": record.return_no, "invoice_id": record.invoice_id, "customer_id": record.customer_id,
                  "status": record.status, "credit_note_id": record.credit_note_id, "reason": record.reason}
        await self._execute(
            insert(return_request).values(return_id=record.return_id, **values)
            .on_conflict_do_update(index_elements=["return_id"], set_={**values, "updated_at": sa.func.now()})
        )

    async def of_invoice(self, invoice_id: str) -> list[ReturnRecord]:
        rows = await self._execute(sa.select(return_request).where(return_request.c.invoice_id == invoice_id))
        return [_return(r) for r in rows]


def _claimable(table: sa.Table, stale_before: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        table.c.irn_status == IrnStatus.PENDING.value,
        sa.and_(table.c.irn_status == IrnStatus.REGISTERING.value, table.c.irn_claimed_at < stale_before),
    )


# The newest InvoiceIssued row of the invoice (an index scan backwards on the id: it was written moments ago).
_ISSUED_TRACE = sa.text(
    "SELECT headers FROM outbox WHERE type = 'InvoiceIssued' "
    "AND position(convert_to(:invoice_id, 'UTF8') in value) > 0 ORDER BY id DESC LIMIT 1"
)


class SqlIrnQueue(_Core):
    async def claim_invoices(self, now: datetime, stale_before: datetime, limit: int, claimant: str
                             ) -> list[InvoiceRecord]:
        rows = (await self._execute(
            sa.select(invoice).where(_claimable(invoice, stale_before)).order_by(invoice.c.created_at).limit(limit)
            .with_for_update(skip_locked=True)
        )).all()
        if rows:
            await self._execute(invoice.update().where(invoice.c.id.in_([r.id for r in rows])).values(
                irn_status=IrnStatus.REGISTERING.value, irn_claimed_at=now, irn_claimed_by=claimant or None,
                irn_attempts=invoice.c.irn_attempts + 1,
            ))
        records = [_record(r) for r in rows]
        for record in records:
            record.irn_status = IrnStatus.REGISTERING
        return records

    async def claim_credit_notes(self, now: datetime, stale_before: datetime, limit: int, claimant: str
                                 ) -> list[CreditNoteRecord]:
        rows = (await self._execute(
            sa.select(credit_note).where(_claimable(credit_note, stale_before)).order_by(credit_note.c.created_at)
            .limit(limit).with_for_update(skip_locked=True)
        )).all()
        if rows:
            await self._execute(credit_note.update().where(credit_note.c.id.in_([r.id for r in rows])).values(
                irn_status=IrnStatus.REGISTERING.value, irn_claimed_at=now, irn_claimed_by=claimant or None))
        records = [_note(r) for r in rows]
        for record in records:
            record.irn_status = IrnStatus.REGISTERING
        return records

    async def take_back(self, claimant: str) -> int:
        released = 0
        for table in (invoice, credit_note):
            result = await self._execute(table.update().where(
                table.c.irn_status == IrnStatus.REGISTERING.value, table.c.irn_claimed_by == claimant,
            ).values(irn_status=IrnStatus.PENDING.value, irn_claimed_at=None, irn_claimed_by=None))
            released += int(getattr(result, "rowcount", 0) or 0)
        return released

    async def issued_trace(self, invoice_id: str) -> dict[str, str]:
        row = (await self.session.execute(_ISSUED_TRACE, {"invoice_id": invoice_id})).first()
        return dict(row.headers) if row is not None and row.headers else {}


class SqlPrintedInvoices(_Core):
    async def cached(self, invoice_id: str, revision: int) -> bytes | None:
        row = (await self._execute(sa.select(invoice_pdf.c.content).where(
            invoice_pdf.c.invoice_id == invoice_id, invoice_pdf.c.revision == revision))).first()
        return bytes(row[0]) if row else None

    async def save(self, invoice_id: str, revision: int, content: bytes) -> None:
        values = {"revision": revision, "content": content, "rendered_at": sa.func.now()}
        await self._execute(
            insert(invoice_pdf).values(invoice_id=invoice_id, **values)
            .on_conflict_do_update(index_elements=["invoice_id"], set_=values,
                                   where=invoice_pdf.c.revision < revision)
        )

    async def unrendered(self, limit: int) -> list[str]:
        query = (
            sa.select(invoice.c.id)
            .select_from(invoice.outerjoin(invoice_pdf, invoice_pdf.c.invoice_id == invoice.c.id))
            .where(sa.or_(invoice_pdf.c.revision.is_(None), invoice_pdf.c.revision < invoice.c.revision))
            .order_by(invoice.c.created_at).limit(limit)
        )
        return [r.id for r in await self._execute(query)]
