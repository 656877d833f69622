"""Background work off the message and request paths: IRN registration and PDF rendering."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from o2c.invoicing.adapters.pdf import render_invoice_pdf
from o2c.invoicing.adapters.repository import SqlInvoiceStore, SqlUnitOfWork
from o2c.invoicing.service_layer import use_cases as uc
from o2c.invoicing.service_layer.ports import InvoiceRecord, IrpGateway
from o2c.kit import clock as kit_clock
from o2c.kit.service import Runtime
from o2c.kit.telemetry import context_from_headers, tracer
from opentelemetry import context as otel_context
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("o2c.invoicing.workers")

IRP_CALLS_AT_ONCE = 8
"""IRN registrations in flight at once (each holds a pooled connection only to record its outcome)."""


def gateway(rt: Runtime) -> IrpGateway | None:
    found: IrpGateway | None = rt.extras.get("irp")
    return found


def policy(rt: Runtime) -> uc.Policy:
    found: uc.Policy = rt.extras["policy"]
    return found


def now(rt: Runtime) -> datetime:
    """The service's clock: a test's (`rt.extras["clock"]`) to date invoices another day, else the kit's (the wall
    clock, or the test clock when the settings enable it: `o2c.kit.clock`)."""
    clock = rt.extras.get("clock")
    found: datetime = clock() if callable(clock) else kit_clock.now(rt.settings)
    return found


def claimant(rt: Runtime, role: str = "") -> str:
    """Who holds a claim: the process instance (unique among live ones, stable across its restarts), and the
    role when a separate IRN worker runs beside the service under the same settings."""
    return rt.settings.instance + (f"/{role}" if role else "")


async def take_back_claims(rt: Runtime, holder: str) -> int:
    """At start: claims an earlier run of this instance held when it died (mid IRP call) are pending again.
    Instance names are unique among live processes, so no live process holds them. Retried until the
    database answers; the IRP's duplicate answer (2150) adopts a registration that did go through."""
    backoff = 0.5
    while True:
        try:
            async with rt.sessions() as session, session.begin():
                released = await SqlInvoiceStore(session).take_back_claims(holder)
        except Exception as exc:
            log.warning("claims of %s not taken back yet (%s); retrying", holder, type(exc).__name__)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
            continue
        if released:
            log.warning("took back %d IRP claim(s) held by %s before its restart", released, holder)
        return released


# The newest InvoiceIssued row of the invoice (an index scan backwards on the id: it was written moments ago).
_ISSUED_TRACE = text(
    "SELECT headers FROM outbox WHERE type = 'InvoiceIssued' "
    "AND position(convert_to(:invoice_id, 'UTF8') in value) > 0 ORDER BY id DESC LIMIT 1"
)


async def issued_trace(session: AsyncSession, invoice_id: str) -> otel_context.Context:
    """The trace the invoice was issued in (stored with its InvoiceIssued outbox row): the IRN registration, done
    later by this worker, continues the order's trace instead of starting one of its own."""
    row = (await session.execute(_ISSUED_TRACE, {"invoice_id": invoice_id})).first()
    return context_from_headers(dict(row.headers) if row is not None and row.headers else {})


async def register_irns_once(rt: Runtime, limit: int = 20, holder: str = "") -> tuple[int, bool]:
    """Claim pending invoices, register them at the IRP (outside any transaction), record each outcome.
    Returns (how many were claimed, whether any must wait for the IRP to come back)."""
    irp = gateway(rt)
    if irp is None:
        return 0, False
    holder = holder or claimant(rt)
    now = datetime.now(UTC)
    async with rt.sessions() as session, session.begin():
        claimed = await SqlInvoiceStore(session).claim_for_registration(
            now, now - policy(rt).irn_claim_stale_after, limit, holder)
        traces = {record.id: await issued_trace(session, record.id) for record in claimed}
    at_once = asyncio.Semaphore(IRP_CALLS_AT_ONCE)

    async def register(record: InvoiceRecord) -> bool:
        with tracer("o2c.invoicing").start_as_current_span(
            "register IRN", context=traces[record.id],
            attributes={"o2c.order_id": record.issued.order_id, "o2c.invoice_id": record.id},
        ):
            async with at_once:
                outcome = await uc.register_at_irp(irp, record)
            async with rt.sessions() as session, session.begin():
                order_id = record.issued.order_id

                async def publish(message: object, session: object = session, order_id: str = order_id) -> None:
                    await rt.outbox.add(session, message, correlation_id=order_id)  # type: ignore[arg-type]

                await uc.record_irn_outcome(SqlUnitOfWork(session, publish), record.id, outcome,
                                            now=datetime.now(UTC))
        return outcome.retry_later

    # The claimed invoices are registered concurrently (each its own IRP call and outcome transaction, in the
    # invoice's trace): one at a time, a batch of 20 took 20 IRP round trips before the last gate opened (issue 15).
    wait = any(await asyncio.gather(*(register(record) for record in claimed)))
    async with rt.sessions() as session, session.begin():
        notes = await SqlInvoiceStore(session).claim_credit_notes_for_registration(
            now, now - policy(rt).irn_claim_stale_after, limit, holder)
    for note in notes:
        async with rt.sessions() as session:
            original = await SqlInvoiceStore(session).get(note.invoice_id)
        assert original is not None
        outcome = await uc.register_credit_note_at_irp(irp, note, original)
        wait = wait or outcome.retry_later
        async with rt.sessions() as session, session.begin():
            await uc.record_credit_note_irn_outcome(SqlUnitOfWork(session, _no_messages), note.id, outcome)
    return len(claimed) + len(notes), wait


async def _no_messages(message: object) -> None:
    raise AssertionError(f"no message is published here: {message!r}")


async def render_pdfs_once(rt: Runtime, limit: int = 5) -> int:
    async with rt.sessions() as session:
        todo = await SqlInvoiceStore(session).unrendered(limit)
    for invoice_id, _ in todo:
        await pdf_for(rt, invoice_id)
        await asyncio.sleep(0.05)  # rendering is CPU work: leave the event loop to the message path between PDFs
    return len(todo)


async def pdf_for(rt: Runtime, invoice_id: str) -> bytes | None:
    """The cached PDF of the invoice's current revision, rendered (in a thread) and cached if missing."""
    async with rt.sessions() as session:
        store = SqlInvoiceStore(session)
        record = await store.get(invoice_id)
        if record is None:
            return None
        cached = await store.cached_pdf(invoice_id, record.revision)
    if cached is not None:
        return cached
    content = await asyncio.to_thread(render_invoice_pdf, record)
    async with rt.sessions() as session, session.begin():
        await SqlInvoiceStore(session).save_pdf(invoice_id, record.revision, content)
    return content


IRN_IDLE_POLL_MAX = 2.0
"""Seconds between looks for pending invoices once idle for a while (the poll doubles up to this): an invoice
issued in this process wakes the loop at once; one issued by another process waits at most this long."""


def wake_irn_loop_on_commit(rt: Runtime) -> asyncio.Event:
    """An event set after every commit of this process that wrote outgoing messages (InvoiceIssued among them)."""
    wake = asyncio.Event()
    for outbox in (rt.outbox, *([rt.consumer.outbox] if rt.consumer is not None else [])):
        relay_wake = outbox.on_commit

        def both(relay_wake: Callable[[], None] | None = relay_wake) -> None:
            wake.set()
            if relay_wake is not None:
                relay_wake()

        outbox.on_commit = both
    return wake


async def irn_loop(rt: Runtime, role: str = "", wake: asyncio.Event | None = None) -> None:
    irn_poll = float(getattr(rt.settings, "irn_poll_seconds", 0.2))
    irn_retry = float(getattr(rt.settings, "irn_retry_seconds", 5.0))
    holder = claimant(rt, role)
    await take_back_claims(rt, holder)
    idle = irn_poll
    while True:
        if wake is not None:
            wake.clear()
        try:
            claimed, wait = await register_irns_once(rt, holder=holder)
        except Exception:
            log.exception("IRN registration round failed")
            claimed, wait = 0, True
        if wait:
            await asyncio.sleep(irn_retry)
        elif not claimed:
            # Idle: look less often (the idle stack's floor), unless this process just issued something.
            if wake is None:
                await asyncio.sleep(irn_poll)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=idle)
            idle = irn_poll if wake.is_set() else min(idle * 2, max(irn_poll, IRN_IDLE_POLL_MAX))
        else:
            idle = irn_poll


async def pdf_loop(rt: Runtime) -> None:
    pdf_poll = float(getattr(rt.settings, "pdf_poll_seconds", 1.0))
    while True:
        try:
            rendered = await render_pdfs_once(rt)
        except Exception:
            log.exception("PDF rendering round failed")
            rendered = 0
        if not rendered:
            await asyncio.sleep(pdf_poll)


async def run_workers(rt: Runtime) -> None:
    """The service's own background loops: IRN registration unless it runs in its own process
    (`python -m o2c.invoicing.irn_worker`, setting IRN_WORKER=separate), PDF prerendering if asked."""
    loops = []
    if getattr(rt.settings, "irn_worker", "in_process") == "in_process":
        loops.append(irn_loop(rt, wake=wake_irn_loop_on_commit(rt)))
    if getattr(rt.settings, "pdf_prerender", False):
        loops.append(pdf_loop(rt))
    await asyncio.gather(*loops)
