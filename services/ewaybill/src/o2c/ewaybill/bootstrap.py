"""The e-way bill service's one bootstrap: how the entry points (HTTP and the message handlers) get a unit of
work, the portal and the time. It wires the SQL repositories (`adapters.unit_of_work.SqlUnitOfWork`) on a session
of the running service and writes what the use cases published to the outbox in the same transaction, before it
commits. The portal client is made once per running service, when first needed, and closed when it stops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from o2c.ewaybill.adapters.gateway import NicHttpGateway
from o2c.ewaybill.adapters.gateways import gateway_from_settings
from o2c.ewaybill.adapters.repository import forget_thresholds
from o2c.ewaybill.adapters.unit_of_work import SqlUnitOfWork
from o2c.ewaybill.service_layer.ports import EwayBillGateway
from o2c.kit import clock as kit_clock
from o2c.kit.messaging.consumer import MessageContext
from o2c.kit.service import Runtime


@dataclass(frozen=True)
class EwayBillService:
    """The running service as its entry points see it."""

    rt: Runtime

    @property
    def gateway(self) -> EwayBillGateway:
        """One portal client per running service (a test may put its own in `rt.extras["gateway"]`)."""
        if "gateway" not in self.rt.extras:
            self.rt.extras["gateway"] = gateway_from_settings(self.rt.settings)
        found: EwayBillGateway = self.rt.extras["gateway"]
        return found

    def now(self) -> datetime:
        """The service clock (a test may put its own in `rt.extras["clock"]`; else the kit's, which a test
        harness can move)."""
        now = self.rt.extras.get("clock")
        return now() if callable(now) else kit_clock.now(self.rt.settings)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work in a transaction of its own (an HTTP request): committed with its messages when the
        block ends, rolled back with them when it raises."""
        async with self.rt.sessions() as session, session.begin():
            uow = SqlUnitOfWork(session)
            yield uow
            if uow.messages:
                await self.rt.outbox.add_many(session, uow.messages)

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work for reading only (nothing it publishes is sent)."""
        async with self.rt.sessions() as session:
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

    @staticmethod
    def thresholds_changed() -> None:
        """After a threshold row was added or ended (committed): the next decision reads the rows again."""
        forget_thresholds()


def bootstrap(rt: Runtime) -> EwayBillService:
    return EwayBillService(rt)


async def close_gateway_on_stop(rt: Runtime) -> None:
    """ServiceDefinition.on_start: runs for the service's life; on shutdown (cancelled) it closes the portal
    client's connections."""
    try:
        await asyncio.Event().wait()
    finally:
        found = rt.extras.pop("gateway", None)
        if isinstance(found, NicHttpGateway):
            await found.aclose()
