"""Projection handlers: every chain message folds into its order's view in the consumer's transaction
(PostgreSQL, the durable copy); after the commit the fresh view goes to Redis and out to the open pages."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from o2c.contracts.envelope import Message
from o2c.contracts.v1 import credit, sales
from o2c.kit.messaging.consumer import Handler, MessageContext
from o2c.kit.service import Runtime
from o2c.sales.settings import SalesSettings
from o2c.sales.tracking import domain, store
from o2c.sales.tracking.cache import LivePages, TrackingCache
from o2c.sales.tracking.tables import tracking_order
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("o2c.sales.tracking")

_DIRTY = "o2c.tracking.dirty"


def lead_times_of(settings: object) -> domain.LeadTimes:
    """The lead times from sales' settings (the defaults for a runtime without them)."""
    if not isinstance(settings, SalesSettings):
        return domain.DEFAULT_LEAD_TIMES
    return domain.LeadTimes(
        release_days=settings.tracking_release_days, pick_days=settings.tracking_pick_days,
        documents_days=settings.tracking_documents_days, rejection_days=settings.tracking_rejection_days,
        pick_days_by_warehouse=dict(settings.tracking_pick_days_by_warehouse))


class Tracking:
    """What the projection and the read API share in one process."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.cache = TrackingCache(rt.settings.redis_url, rt.settings.topic_prefix)
        self.live = LivePages(self.cache)
        self.page_reads = asyncio.Semaphore(6)
        """At most a few page reads from PostgreSQL at once: after a Redis flush every page is a miss, and
        unbounded misses would take the whole connection pool from the consumer and time out."""
        self.lead_times = lead_times_of(rt.settings)
        self._tasks: set[asyncio.Task[None]] = set()
        self.last_lag_ms: float | None = None

    def now(self) -> datetime:
        clock = self.rt.extras.get("clock")
        return clock() if callable(clock) else datetime.now(UTC)

    def after_commit(self, session: AsyncSession, order_ids: set[str], occurred: dict[str, datetime]) -> None:
        task = asyncio.get_running_loop().create_task(self.refresh(order_ids, occurred))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def refresh(self, order_ids: Iterable[str], occurred: dict[str, datetime] | None = None) -> None:
        """Re-read the committed views and push them to Redis (key + channel)."""
        ids = list(order_ids)
        try:
            async with self.rt.sessions() as session:
                # As text: the page goes to Redis as it is (parsed and dumped again, it cost a tenth of sales' CPU).
                rows = (await session.execute(
                    sa.select(tracking_order.c.order_id, sa.cast(tracking_order.c.doc, sa.Text))
                    .where(tracking_order.c.order_id.in_(ids))
                )).all()
            for order_id, body in rows:
                await self.cache.put(order_id, body, publish=True)
                if occurred and order_id in occurred:
                    self.last_lag_ms = (datetime.now(UTC) - occurred[order_id]).total_seconds() * 1000
        except Exception:
            log.exception("tracking cache refresh failed for %s", ids)

    async def drain(self) -> None:
        """Wait for the pending cache refreshes (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def tracking_of(rt: Runtime) -> Tracking:
    found = rt.extras.get("tracking")
    if not isinstance(found, Tracking):
        found = Tracking(rt)
        rt.extras["tracking"] = found
    return found


def _mark_dirty(tracking: Tracking, session: AsyncSession, order_id: str, occurred: datetime) -> None:
    state: dict[str, Any] | None = session.info.get(_DIRTY)
    if state is None:
        state = {"ids": set(), "occurred": {}}
        session.info[_DIRTY] = state
        sync = session.sync_session

        def on_commit(_: Any) -> None:
            pending = session.info.pop(_DIRTY, None)
            if pending and pending["ids"]:
                tracking.after_commit(session, set(pending["ids"]), dict(pending["occurred"]))

        def on_rollback(_: Any) -> None:
            # The batch is redone (or the transaction is gone): nothing of it reaches the cache from here;
            # a redo marks its orders again.
            session.info.pop(_DIRTY, None)

        event.listen(sync, "after_commit", on_commit, once=True)
        event.listen(sync, "after_rollback", on_rollback, once=True)
    state["ids"].add(order_id)
    state["occurred"].setdefault(order_id, occurred)


_PENDING = "o2c.tracking.pending"


@dataclass
class _Pending:
    """An order's view loaded (and locked) once in a batch's transaction, folded by each of its records there,
    and written once at the batch's end: ten PickConfirmed of one pick list cost one read and one write."""

    view: domain.View
    version: int
    old_terms: list[tuple[str, str]] | None


async def fold(tracking: Tracking, ctx: MessageContext, order_id: str, change: Any, occurred: datetime) -> None:
    session = ctx.session
    pending: dict[str, _Pending] | None = session.info.get(_PENDING) if ctx.batched else None
    entry = pending.get(order_id) if pending is not None else None
    if entry is None:
        view, version = await store.load_for_update(session, order_id)
        entry = _Pending(view, version, domain.search_terms(view) if version else None)
    change(entry.view)
    domain.derive(entry.view, tracking.now(), tracking.lead_times)
    if ctx.batched:
        if pending is None:
            session.info[_PENDING] = pending = {}
            ctx.defer("tracking", lambda: write_pending(tracking, session))
        pending[order_id] = entry
    else:  # in a savepoint of its own (a batch redone record by record): written now
        await store.save(session, entry.view, entry.version, tracking.now(), entry.old_terms)
    _mark_dirty(tracking, session, order_id, occurred)


async def write_pending(tracking: Tracking, session: AsyncSession) -> None:
    """The batch's folded views, each written once (in order id order)."""
    pending: dict[str, _Pending] = session.info.pop(_PENDING, {})
    for order_id in sorted(pending):
        entry = pending[order_id]
        await store.save(session, entry.view, entry.version, tracking.now(), entry.old_terms)


class Projection:
    """The projection's message handlers, one per kind of message (the consumer routes by type name, so each is
    handed only the class it is registered for)."""

    def __init__(self, tracking: Tracking) -> None:
        self.tracking = tracking

    async def order_message(self, message: Message, ctx: MessageContext) -> None:
        """Any message keyed by its order: fold it into that order's view."""
        order_id = str(message.__dict__["order_id"])  # every order message names it
        started = time.perf_counter()
        await fold(self.tracking, ctx, order_id, lambda v: domain.apply(v, message), ctx.envelope.occurred_at)
        log.debug("tracking %s %s in %.1f ms", message.TYPE, order_id, (time.perf_counter() - started) * 1000)

    async def order_confirmed(self, message: sales.OrderConfirmed, ctx: MessageContext) -> None:
        """The order, and its quotation's facts when the quotation was folded first (another partition)."""
        started = time.perf_counter()
        quotation: dict[str, Any] | None = None
        if message.quotation_id and message.quotation is None:
            # An order that does not carry its quotation's facts (converted before they were carried): join with
            # the stored QuotationIssued, under the quotation's lock. One that carries them takes no lock, so
            # lanes never wait on each other's quotations (the lock taken across lanes deadlocked, issue 15).
            await store.lock_quotation(ctx.session, message.quotation_id)
            quotation = await store.quotation_message(ctx.session, message.quotation_id)

        def change(view: domain.View) -> None:
            domain.apply(view, message)
            if quotation is not None:
                domain.apply_quotation(view, sales.QuotationIssued.model_validate(quotation))

        await fold(self.tracking, ctx, message.order_id, change, ctx.envelope.occurred_at)
        log.debug("tracking %s %s in %.1f ms", message.TYPE, message.order_id,
                  (time.perf_counter() - started) * 1000)

    async def payment_received(self, message: credit.PaymentReceived, ctx: MessageContext) -> None:
        """Keyed by customer: folded into each order it pays."""
        for order_id in sorted({a.order_id for a in message.allocations}):
            await fold(self.tracking, ctx, order_id, lambda v: domain.apply(v, message), ctx.envelope.occurred_at)

    async def quotation_issued(self, message: sales.QuotationIssued, ctx: MessageContext) -> None:
        """Kept for the order that converts it; linked now to an order that arrived first."""
        await store.lock_quotation(ctx.session, message.quotation_id)
        await write_pending(self.tracking, ctx.session)  # an order of this batch not yet written must be found
        await store.save_quotation(ctx.session, message.quotation_id, message.quotation_no, message.customer_id,
                                   message.model_dump(mode="json"))
        for order_id in await store.orders_of_quotation(ctx.session, message.quotation_id):
            await fold(self.tracking, ctx, order_id, lambda v: domain.apply_quotation(v, message),
                       ctx.envelope.occurred_at)

    def by_class(self) -> dict[type[Message], Handler]:
        """The table: message class → handler (every tracked class exactly once)."""
        table: dict[type[Message], Handler] = dict.fromkeys(domain.ORDER_MESSAGES, self.order_message)
        table[sales.OrderConfirmed] = _handler(sales.OrderConfirmed, self.order_confirmed)
        table[credit.PaymentReceived] = _handler(credit.PaymentReceived, self.payment_received)
        table[sales.QuotationIssued] = _handler(sales.QuotationIssued, self.quotation_issued)
        return table


M = TypeVar("M", bound=Message)


def _handler(cls: type[M], handle: Callable[[M, MessageContext], Awaitable[None]]) -> Handler:
    """A handler of one class as the consumer's `Handler`: the consumer decodes a record into the class its type
    names and routes it by that type, so `handle` is only ever given a `cls`."""
    del cls  # named for the reader and the type checker: `handle` takes exactly this class
    return cast(Handler, handle)


def handlers(rt: Runtime) -> dict[str, Handler]:
    """One handler per chain message type (the consumer routes by type name)."""
    return {cls.TYPE: handle for cls, handle in Projection(tracking_of(rt)).by_class().items()}
