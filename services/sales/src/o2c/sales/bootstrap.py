"""Sales' one bootstrap: how the entry points get a unit of work and the service's facts. It wires the SQL
repository (`adapters.unit_of_work.SqlUnitOfWork`) on a session of the running service, inventory's ATP client
and the saga's timing, and writes what the use cases published to the outbox in the same transaction, before
it commits."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

from o2c.kit.messaging.consumer import MessageContext
from o2c.kit.messaging.faults import FaultPoints
from o2c.kit.messaging.outbox import Outbox
from o2c.kit.service import Runtime
from o2c.sales.adapters.inventory_atp import HttpStockSource
from o2c.sales.adapters.unit_of_work import SqlUnitOfWork
from o2c.sales.domain.geography import StateCode
from o2c.sales.service_layer.coordinator import CoordinatorPolicy
from o2c.sales.service_layer.orders import Setup
from o2c.sales.service_layer.ports import StockSource
from o2c.sales.settings import SalesSettings
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


@dataclass(frozen=True)
class Sales:
    """The running service as its entry points see it."""

    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    settings: SalesSettings
    stock: StockSource
    """Inventory's availability to promise (asked with the caller's token)."""
    setup: Setup
    """What the order use cases need: the supplier's state, the saga's hold period, quotation validity."""
    policy: CoordinatorPolicy
    """The saga timer's: hold period, when an unanswered command goes again and how often."""
    faults: Callable[[], FaultPoints]
    """The runtime's fault points, read when a reply is handled (a test arms them on the running service)."""

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work in a transaction of its own (an HTTP request, a timer's round): committed with its
        messages when the block ends, rolled back with them when it raises."""
        async with self.sessions() as session, session.begin():
            uow = SqlUnitOfWork(session)
            yield uow
            if uow.messages:
                await self.outbox.add_many(session, uow.messages)

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work for reading only (nothing it publishes is sent)."""
        async with self.sessions() as session:
            yield SqlUnitOfWork(session)

    @contextlib.asynccontextmanager
    async def handling(self, ctx: MessageContext) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work in the consumer's batch transaction: what it publishes is caused by the message in hand
        (same correlation) and commits with the batch."""
        uow = SqlUnitOfWork(ctx.session)
        yield uow
        if uow.messages:
            await ctx.outbox.add_many(ctx.session, uow.messages, correlation_id=ctx.envelope.correlation_id,
                                      causation_id=ctx.envelope.message_id)


def settings_of(rt: Runtime) -> SalesSettings:
    return rt.settings if isinstance(rt.settings, SalesSettings) else SalesSettings(**rt.settings.model_dump())


def bootstrap(rt: Runtime) -> Sales:
    settings = settings_of(rt)
    policy = CoordinatorPolicy(
        hold_period=timedelta(hours=settings.hold_period_hours),
        command_retry_after=timedelta(seconds=settings.command_retry_seconds),
        command_max_attempts=settings.command_max_attempts,
    )
    return Sales(
        sessions=rt.sessions, outbox=rt.outbox, settings=settings,
        stock=HttpStockSource(settings.inventory_url, settings.atp_timeout_seconds),
        setup=Setup(supplier_state=StateCode.parse(settings.supplier_state_code, "supplier_state_code"),
                    policy=policy, validity_days=settings.quotation_validity_days),
        policy=policy, faults=lambda: rt.faults,
    )
