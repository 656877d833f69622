"""Inventory's one bootstrap: how the entry points get a unit of work. It wires the SQL repositories
(`adapters.unit_of_work.SqlUnitOfWork`) on a session of the running service and writes what the use cases
published to the outbox in the same transaction, before it commits."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from o2c.inventory.adapters.unit_of_work import DIRECTORY, SqlUnitOfWork
from o2c.inventory.service_layer.ports import PincodeDirectory
from o2c.kit.messaging.consumer import MessageContext
from o2c.kit.messaging.outbox import Outbox
from o2c.kit.service import Runtime
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


@dataclass(frozen=True)
class Inventory:
    """The running service as its entry points see it."""

    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    directory: PincodeDirectory = DIRECTORY

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work in a transaction of its own (an HTTP request): committed with its messages when the
        block ends, rolled back with them when it raises."""
        async with self.sessions() as session, session.begin():
            uow = SqlUnitOfWork(session, self.directory)
            yield uow
            if uow.messages:
                await self.outbox.add_many(session, uow.messages)

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work for reading only (nothing it publishes is sent)."""
        async with self.sessions() as session:
            yield SqlUnitOfWork(session, self.directory)

    @contextlib.asynccontextmanager
    async def handling(self, ctx: MessageContext) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work in the consumer's batch transaction: what it publishes is caused by the message in hand
        (same correlation) and commits with the batch."""
        uow = SqlUnitOfWork(ctx.session, self.directory)
        yield uow
        if uow.messages:
            await ctx.outbox.add_many(ctx.session, uow.messages, correlation_id=ctx.envelope.correlation_id,
                                      causation_id=ctx.envelope.message_id)


def bootstrap(rt: Runtime) -> Inventory:
    return Inventory(rt.sessions, rt.outbox)
