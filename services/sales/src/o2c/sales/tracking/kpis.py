"""The chain's figures as Prometheus gauges, read from the tracking projection (the one place that knows every
order's state): orders by status, open exceptions by kind, and the credit holds waiting for a sanction. The
alert rules and dashboards in deploy/observability/ read these; the per-day measures stay on
/tracking/dashboards."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from o2c.sales.tracking.tables import tracking_order
from prometheus_client import Gauge

log = logging.getLogger("o2c.sales.kpis")

ORDERS = Gauge("o2c_chain_orders", "Orders in the tracking projection, by status", ["status"])
OPEN_EXCEPTIONS = Gauge("o2c_chain_open_exceptions", "Open exceptions on orders, by kind (saga_problem, "
                        "failed_compensation, irn_rejected, ewaybill_rejected, credit_hold, short_pick, ...)", ["kind"])
CREDIT_HOLDS = Gauge("o2c_chain_credit_holds_waiting", "Orders on credit hold waiting for a finance head's sanction")
OLDEST_HOLD = Gauge("o2c_chain_credit_hold_oldest_seconds",
                    "How long the oldest order on credit hold has waited for a sanction (0 when none)")
REFRESHED = Gauge("o2c_chain_kpis_refreshed_timestamp_seconds", "Unix time the chain figures were last read")

STATUSES = ("confirmed", "reserved", "credit_hold", "credit_rejected", "released", "picking", "picked", "ready",
            "invoiced", "ewaybill_ready", "partially_dispatched", "dispatched", "backordered", "closed", "paid",
            "cancelled")
EXCEPTION_KINDS = ("saga_problem", "failed_compensation", "irn_rejected", "ewaybill_rejected", "credit_hold",
                   "short_pick", "notification_failed")
"""Series that exist at 0 from the start, so a rule or a panel never meets an absent one."""

_OPEN_KINDS = sa.text(
    "SELECT e ->> 'kind' AS kind, count(*) AS n "
    "FROM tracking_order, jsonb_array_elements(coalesce(doc -> 'open_exceptions', '[]'::jsonb)) AS e "
    "GROUP BY 1"
)


async def read_figures(session: Any, now: datetime) -> dict[str, Any]:
    o = tracking_order
    statuses = {r.status: int(r.n) for r in (await session.execute(
        sa.select(o.c.status, sa.func.count().label("n")).group_by(o.c.status))).all()}
    kinds = {str(r.kind): int(r.n) for r in (await session.execute(_OPEN_KINDS)).all() if r.kind}
    holds = (await session.execute(
        sa.select(sa.func.count().label("n"), sa.func.min(o.c.credit_held_at).label("oldest"))
        .where(o.c.status == "credit_hold"))).one()
    oldest = (now - holds.oldest).total_seconds() if holds.oldest is not None else 0.0
    return {"statuses": statuses, "exception_kinds": kinds, "holds": int(holds.n), "oldest_hold": max(oldest, 0.0)}


def publish(figures: dict[str, Any], at: datetime) -> None:
    for status in {*STATUSES, *figures["statuses"]}:
        ORDERS.labels(status).set(figures["statuses"].get(status, 0))
    for kind in {*EXCEPTION_KINDS, *figures["exception_kinds"]}:
        OPEN_EXCEPTIONS.labels(kind).set(figures["exception_kinds"].get(kind, 0))
    CREDIT_HOLDS.set(figures["holds"])
    OLDEST_HOLD.set(figures["oldest_hold"])
    REFRESHED.set(at.timestamp())


async def run_kpis(rt: Any, every: float = 15.0) -> None:
    """Reads the figures every `every` seconds (a handful of aggregate queries on the projection's tables)."""
    publish({"statuses": {}, "exception_kinds": {}, "holds": 0, "oldest_hold": 0.0}, datetime.fromtimestamp(0))
    from o2c.sales.tracking.handlers import tracking_of

    tracking = tracking_of(rt)
    while True:
        try:
            async with rt.sessions() as session:
                now = tracking.now()
                publish(await read_figures(session, now), now)
        except Exception:  # a database blip: the next round tries again; the refreshed gauge shows the gap
            log.warning("chain figures not read this round", exc_info=True)
        await asyncio.sleep(every)
