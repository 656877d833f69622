"""The sales service: customer master, catalog, quotations, orders and the order saga coordinator."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter
from o2c.contracts.topics import Service, events_topic
from o2c.kit.db import migrations_dir
from o2c.kit.messaging.consumer import Handler, combine_handlers
from o2c.kit.service import ReadModel, Runtime, ServiceDefinition
from o2c.sales import tracking
from o2c.sales.adapters.db import metadata
from o2c.sales.bootstrap import Sales, bootstrap
from o2c.sales.entrypoints import dead_letter_groups, http, messages, parked
from o2c.sales.service_layer import catalog, coordinator
from o2c.sales.settings import SalesSettings
from sqlalchemy import MetaData

log = logging.getLogger("o2c.sales")


async def saga_tick(sales: Sales, now: datetime | None = None) -> tuple[int, int]:
    """Once: re-decide sagas whose wait deadline passed, and re-send commands whose reply never came."""
    at = now or datetime.now(UTC)
    async with sales.transaction() as uow:
        due = await uow.repo.due_sagas(at, 100)
        for order_id in due:
            await coordinator.recheck(uow, order_id, at)
    async with sales.transaction() as uow:
        resent = await coordinator.resend_unanswered(uow, at, sales.policy)
    return len(due), resent


async def publish_rate_master(sales: Sales) -> int:
    """Once: the GST rates whose current version has not been published yet go out (GstRateRecorded)."""
    total = 0
    while True:
        async with sales.transaction() as uow:
            sent = await catalog.publish_rate_master(uow, datetime.now(UTC))
        total += sent
        if not sent:
            return total


async def run_saga_timer(sales: Sales) -> None:
    while True:
        try:
            published = await publish_rate_master(sales)
            if published:
                log.info("rate master: %d GST rates published", published)
        except Exception:  # retried on the next tick
            log.exception("publishing the rate master failed")
        await asyncio.sleep(sales.settings.saga_tick_seconds)
        try:
            due, resent = await saga_tick(sales)
            if due or resent:
                log.info("saga timer: %d sagas re-decided, %d commands re-sent", due, resent)
        except Exception:  # the timer must outlive a database blip; the next tick tries again
            log.exception("saga timer tick failed")


# --- order tracking (the one screen): a read model beside the use cases -----------------------------------
# Its own consumer group and transactions (kit ReadModel "tracking": group `<group>.tracking`, tables
# tracking_inbox / tracking_dead_letter / tracking_parked_key), so a projection failure never rolls back,
# dead-letters or parks a saga step; it reads every events topic of the chain (sales' own included); its tables
# live on their own MetaData and Alembic branch ("tracking"); its router also serves the console at /console/.


def _routers(rt: Runtime) -> list[APIRouter]:
    return [*http.ROUTERS, tracking.router, dead_letter_groups.router]


def _handlers(rt: Runtime) -> dict[str, Handler]:
    return combine_handlers(messages.handlers(bootstrap(rt)), parked.handlers())


def _with_tracking_tables(base: MetaData) -> MetaData:
    combined = MetaData()
    for table in (*base.tables.values(), *tracking.metadata.tables.values()):
        table.to_metadata(combined)
    return combined


CHAIN_EVENTS = [events_topic(s) for s in Service]


async def _background(rt: Runtime) -> None:
    """The saga timer and the chain figures for Prometheus (tracking.kpis), side by side."""
    from o2c.sales.tracking.kpis import run_kpis

    await asyncio.gather(run_saga_timer(bootstrap(rt)), run_kpis(rt))


DEFINITION = ServiceDefinition(
    name="sales",
    title="o2c sales",
    http_port=8101,
    metadata=_with_tracking_tables(metadata),
    versions_dir=migrations_dir(Path(__file__).resolve().parent),
    routers=_routers,
    handlers=_handlers,
    subscribes_to=CHAIN_EVENTS,
    description="Customer master, catalog, quotations, sales orders and the order saga coordinator.",
    settings_class=SalesSettings,
    on_start=_background,
    read_models=[ReadModel("tracking", tracking.handlers, CHAIN_EVENTS)],
)
