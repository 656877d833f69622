"""Dispatch's one bootstrap: how the entry points (HTTP routes, message handlers, the gate sweep) get a unit of
work and the time. It wires the SQL repositories (`adapters.unit_of_work.SqlUnitOfWork`) on a session of the
running service and writes what the use cases published to the outbox in the same transaction, before it
commits."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from o2c.dispatch.adapters.unit_of_work import DISTANCES, SqlUnitOfWork
from o2c.dispatch.service_layer.ports import RoadDistances
from o2c.kit import clock
from o2c.kit.messaging.consumer import MessageContext
from o2c.kit.messaging.outbox import Outbox
from o2c.kit.service import Runtime
from o2c.kit.settings import ServiceSettings
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


@dataclass(frozen=True)
class Dispatch:
    """The running service as its entry points see it."""

    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    settings: ServiceSettings
    distances: RoadDistances = DISTANCES

    def now(self) -> datetime:
        """The time the service acts at (the harness's shared test clock when its settings enable one)."""
        return clock.now(self.settings)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work in a transaction of its own (an HTTP request, a sweep): committed with its messages when
        the block ends, rolled back with them when it raises."""
        async with self.sessions() as session, session.begin():
            uow = SqlUnitOfWork(session, self.distances)
            yield uow
            if uow.messages:
                await self.outbox.add_many(session, uow.messages)

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work for reading only (nothing it publishes is sent, nothing it writes is committed)."""
        async with self.sessions() as session:
            yield SqlUnitOfWork(session, self.distances)

    @contextlib.asynccontextmanager
    async def handling(self, ctx: MessageContext) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work in the consumer's batch transaction: what it publishes is caused by the message in hand
        (same correlation) and commits with the batch."""
        uow = SqlUnitOfWork(ctx.session, self.distances)
        yield uow
        if uow.messages:
            await ctx.outbox.add_many(ctx.session, uow.messages, correlation_id=ctx.envelope.correlation_id,
                                      causation_id=ctx.envelope.message_id)


def bootstrap(rt: Runtime) -> Dispatch:
    return Dispatch(rt.sessions, rt.outbox, rt.settings)
