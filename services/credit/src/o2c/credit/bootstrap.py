"""Credit's one bootstrap: how the entry points (HTTP routes, message handlers, the sanction sweeper) get a unit
of work, the clock and the settings' rules. It wires the SQL repositories (`adapters.unit_of_work.SqlUnitOfWork`)
on a session of the running service and writes what the use cases published to the outbox in the same
transaction, before it commits."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from o2c.credit.adapters.clock import SystemClock
from o2c.credit.adapters.unit_of_work import SqlUnitOfWork
from o2c.credit.domain import SanctionPolicy
from o2c.credit.service_layer.ports import Clock
from o2c.credit.settings import CreditSettings
from o2c.kit.messaging.consumer import MessageContext
from o2c.kit.messaging.outbox import Outbox
from o2c.kit.service import Runtime
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

SYSTEM_CLOCK = SystemClock()


@dataclass(frozen=True)
class Credit:
    """The running service as its entry points see it."""

    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    policy: SanctionPolicy = field(default_factory=SanctionPolicy)
    write_off_ceiling: Decimal = Decimal("0")
    """The largest residue finance may write off when recording a payment."""
    cheque_bounce_charge: Decimal = Decimal("0")
    """Published with the reversal of a bounced cheque, for invoicing to raise as a debit note."""
    sweep_seconds: float = 30.0
    """How often the sanction sweeper looks for requests to escalate or expire."""
    extras: Mapping[str, Any] = field(default_factory=dict)
    """The runtime's extras, read on every `now()`: a test may put its own clock under "clock" at any time."""

    def now(self) -> datetime:
        found: Clock | None = self.extras.get("clock")
        return (found or SYSTEM_CLOCK).now()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work in a transaction of its own (an HTTP request, one sweep step): committed with its
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


def bootstrap(rt: Runtime) -> Credit:
    settings = rt.settings
    if not isinstance(settings, CreditSettings):  # a runtime built on the kit's plain settings
        return Credit(rt.sessions, rt.outbox, extras=rt.extras)
    return Credit(rt.sessions, rt.outbox, settings.sanction_policy(), settings.payment_write_off_limit,
                  settings.cheque_bounce_charge, settings.sanction_sweep_seconds, rt.extras)
