"""The durable copy: load an order's view for update, save it with its search terms and shipment facts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from o2c.kit.db import json_dumps
from o2c.sales.tracking import domain
from o2c.sales.tracking.tables import tracking_order, tracking_quotation, tracking_shipment, tracking_term
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def dumps(view: domain.View) -> str:
    return json_dumps(view)


async def load_for_update(session: AsyncSession, order_id: str) -> tuple[domain.View, int]:
    """The stored view, locked for this transaction: messages about one order arrive on several topics and
    partitions at once, and apply one after the other (an advisory lock also covers the order's first
    message, when there is no row to lock yet)."""
    await session.execute(sa.text("SELECT pg_advisory_xact_lock(7262102, hashtext(:o))"), {"o": order_id})
    row = (await session.execute(
        sa.select(tracking_order.c.doc, tracking_order.c.version)
        .where(tracking_order.c.order_id == order_id).with_for_update()
    )).first()
    if row is None:
        return domain.new_view(order_id), 0
    return dict(row.doc), int(row.version)


async def load(session: AsyncSession, order_id: str) -> domain.View | None:
    doc = (await session.execute(
        sa.select(tracking_order.c.doc).where(tracking_order.c.order_id == order_id)
    )).scalar_one_or_none()
    return dict(doc) if doc is not None else None


def order_values(view: domain.View, version: int, now: datetime) -> dict[str, Any]:
    """The tracking_order columns of a view (but its id), at this version."""
    credit = view["credit"]
    return dict(
        order_no=view["order_no"], customer_id=view["customer"]["customer_id"],
        # The name people know the customer by (a proprietor's trade name rather than the person's).
        customer_name=view["customer"].get("trade_name") or view["customer"]["name"], status=view["status"],
        doc=view, version=version,
        confirmed_at=_ts(view["confirmed_at"]), credit_held_at=_ts(credit.get("held_at")),
        credit_decided_at=_ts(credit.get("decided_at")), settled_on=_date(view["settled_on"]), updated_at=now,
    )


def term_rows(view: domain.View, terms: list[tuple[str, str]] | None = None) -> list[dict[str, Any]]:
    """The tracking_term rows of a view (its search terms, normalised)."""
    return [{"term": domain.normalise_term(v), "order_id": view["order_id"], "kind": k, "value": v}
            for k, v in (domain.search_terms(view) if terms is None else terms) if v]


def shipment_rows(view: domain.View) -> list[dict[str, Any]]:
    """The tracking_shipment rows of a view."""
    return [{
        "shipment_id": s["shipment_id"], "order_id": view["order_id"], "warehouse_id": s.get("warehouse_id"),
        "status": s["status"], "released_at": _ts(s.get("released_at")),
        "committed_date": _date(s.get("committed_date")), "dispatched_at": _ts(s.get("dispatched_at")),
        "ewaybill_rejections": int(s.get("ewaybill_rejections") or 0),
    } for s in view["shipments"]]


async def save(session: AsyncSession, view: domain.View, version: int, now: datetime,
               old_terms: list[tuple[str, str]] | None = None) -> int:
    values = order_values(view, version + 1, now)
    stmt = pg_insert(tracking_order).values(order_id=view["order_id"], **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=[tracking_order.c.order_id], set_=values))
    terms = domain.search_terms(view)
    if terms != old_terms:
        # Only the terms that changed: the ones gone are deleted, the new ones inserted (an order's first save
        # has none stored).
        before = {(domain.normalise_term(v), k) for k, v in old_terms or () if v}
        rows = [r for r in term_rows(view, terms) if (r["term"], r["kind"]) not in before]
        gone = before - {(domain.normalise_term(v), k) for k, v in terms if v}
        if gone:
            await session.execute(sa.delete(tracking_term).where(
                tracking_term.c.order_id == view["order_id"],
                sa.tuple_(tracking_term.c.term, tracking_term.c.kind).in_(sorted(gone))))
        if rows:
            await session.execute(pg_insert(tracking_term).values(rows).on_conflict_do_nothing())
    shipments = shipment_rows(view)
    if shipments:
        ins = pg_insert(tracking_shipment).values(shipments)
        await session.execute(ins.on_conflict_do_update(
            index_elements=[tracking_shipment.c.shipment_id],
            set_={c: ins.excluded[c] for c in ("warehouse_id", "status", "released_at", "committed_date",
                                               "dispatched_at", "ewaybill_rejections")},
        ))
    return version + 1


async def lock_quotation(session: AsyncSession, quotation_id: str) -> None:
    """The quotation and its order arrive on different partitions, maybe at once: whichever commits second
    must see the other, so both take this lock (held to the end of the transaction)."""
    await session.execute(sa.text("SELECT pg_advisory_xact_lock(7262101, hashtext(:q))"), {"q": quotation_id})


async def save_quotation(session: AsyncSession, quotation_id: str, quotation_no: str, customer_id: str,
                         message: dict[str, Any]) -> None:
    stmt = pg_insert(tracking_quotation).values(quotation_id=quotation_id, quotation_no=quotation_no,
                                                customer_id=customer_id, message=message)
    await session.execute(stmt.on_conflict_do_nothing())


async def quotation_message(session: AsyncSession, quotation_id: str) -> dict[str, Any] | None:
    found = (await session.execute(
        sa.select(tracking_quotation.c.message).where(tracking_quotation.c.quotation_id == quotation_id)
    )).scalar_one_or_none()
    return dict(found) if found is not None else None


QUOTATION_OF_ORDER: sa.ColumnElement[str] = sa.literal_column("(doc -> 'quotation' ->> 'quotation_id')", sa.Text)


QUOTATION_NO_OF_ORDER: sa.ColumnElement[str] = sa.literal_column("(doc -> 'quotation' ->> 'quotation_no')", sa.Text)


async def orders_of_quotation(session: AsyncSession, quotation_id: str) -> list[str]:
    """The orders that name the quotation and still lack its facts (an order that carried them is left alone,
    and so not locked by another lane)."""
    # The path is written out (not bound) so the expression index ix_tracking_order_quotation serves it.
    rows = await session.execute(
        sa.select(tracking_order.c.order_id).where(QUOTATION_OF_ORDER.op("=")(sa.bindparam("q", quotation_id)),
                                                   QUOTATION_NO_OF_ORDER.is_(None)))
    return [r[0] for r in rows]
