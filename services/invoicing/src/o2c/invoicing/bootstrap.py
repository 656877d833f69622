"""Invoicing's one bootstrap: how the entry points (HTTP, messages, the IRN and PDF workers) get a unit of work,
the IRP gateway, the policy and the clock. It wires the SQL repositories (`adapters.unit_of_work.SqlUnitOfWork`)
on a session of the running service and writes what the use cases published to the outbox in the same
transaction, before it commits.

The gateway, the policy and a test's clock live in `Runtime.extras` (made once per runtime by `bootstrap`):
a test swaps the gateway of a running service there (`extras["irp"]`) or dates its invoices another day
(`extras["clock"]`), and every entry point sees the change at once."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime

from o2c.invoicing.adapters.irp import GspIrpGateway, HttpIrpGateway
from o2c.invoicing.adapters.pdf import render_invoice_pdf
from o2c.invoicing.adapters.unit_of_work import SqlUnitOfWork
from o2c.invoicing.service_layer.ports import InvoiceRecord, IrpGateway
from o2c.invoicing.service_layer.use_cases import Policy
from o2c.invoicing.settings import InvoicingSettings
from o2c.kit import clock as kit_clock
from o2c.kit.messaging.consumer import MessageContext
from o2c.kit.messaging.outbox import Outbox
from o2c.kit.service import Runtime
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

PdfRenderer = Callable[[InvoiceRecord], bytes]


@dataclass(frozen=True)
class Invoicing:
    """The running service as its entry points see it."""

    runtime: Runtime
    render_pdf: PdfRenderer = render_invoice_pdf

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.runtime.sessions

    @property
    def outbox(self) -> Outbox:
        return self.runtime.outbox

    @property
    def settings(self) -> InvoicingSettings:
        settings = self.runtime.settings
        assert isinstance(settings, InvoicingSettings)
        return settings

    @property
    def gateway(self) -> IrpGateway | None:
        """The IRP (None with IRP_MODE=off)."""
        found: IrpGateway | None = self.runtime.extras.get("irp")
        return found

    @property
    def policy(self) -> Policy:
        found: Policy = self.runtime.extras["policy"]
        return found

    def now(self) -> datetime:
        """The service's clock: a test's (`extras["clock"]`) to date invoices another day, else the kit's (the wall
        clock, or the test clock when the settings enable it: `o2c.kit.clock`)."""
        clock = self.runtime.extras.get("clock")
        found: datetime = clock() if callable(clock) else kit_clock.now(self.runtime.settings)
        return found

    def claimant(self, role: str = "") -> str:
        """Who holds an IRN claim: the process instance (unique among live ones, stable across its restarts), and
        the role when a separate IRN worker runs beside the service under the same settings."""
        return self.runtime.settings.instance + (f"/{role}" if role else "")

    @contextlib.asynccontextmanager
    async def transaction(self, *, correlation_id: str | None = None) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work in a transaction of its own (an HTTP request, an IRN outcome): committed with its
        messages when the block ends, rolled back with them when it raises."""
        async with self.sessions() as session, session.begin():
            uow = SqlUnitOfWork(session)
            yield uow
            if uow.messages:
                await self.outbox.add_many(session, uow.messages, correlation_id=correlation_id)

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


def make_gateway(settings: InvoicingSettings) -> IrpGateway | None:
    if settings.irp_mode == "off":
        return None
    if settings.irp_mode == "gsp":
        return GspIrpGateway(settings.irp_base_url, client_id=settings.gsp_client_id,
                             client_secret=settings.gsp_client_secret, username=settings.gsp_username,
                             password=settings.gsp_password, timeout=settings.irp_timeout_seconds)
    return HttpIrpGateway(settings.irp_base_url, timeout=settings.irp_timeout_seconds)


def bootstrap(rt: Runtime) -> Invoicing:
    """The service on this runtime; the gateway and the policy are made once per runtime (routers, handlers and
    workers share them)."""
    if "policy" not in rt.extras:
        invoicing = Invoicing(rt)
        rt.extras["policy"] = Policy(aggregate_turnover=invoicing.settings.aggregate_turnover)
        rt.extras["irp"] = make_gateway(invoicing.settings)
    return Invoicing(rt)
