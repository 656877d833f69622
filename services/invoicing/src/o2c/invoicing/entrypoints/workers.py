"""Background work off the message and request paths: IRN registration and PDF rendering."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from o2c.invoicing.bootstrap import Invoicing
from o2c.invoicing.service_layer import use_cases as uc
from o2c.invoicing.service_layer.ports import InvoiceRecord
from o2c.kit.telemetry import context_from_headers, tracer

log = logging.getLogger("o2c.invoicing.workers")

IRP_CALLS_AT_ONCE = 8
"""IRN registrations in flight at once (each holds a pooled connection only to record its outcome)."""


async def take_back_claims(invoicing: Invoicing, holder: str) -> int:
    """At start: claims an earlier run of this instance held when it died (mid IRP call) are pending again.
    Instance names are unique among live processes, so no live process holds them. Retried until the
    database answers; the IRP's duplicate answer (2150) adopts a registration that did go through."""
    backoff = 0.5
    while True:
        try:
            async with invoicing.transaction() as uow:
                released = await uow.irn_queue.take_back(holder)
        except Exception as exc:
            log.warning("claims of %s not taken back yet (%s); retrying", holder, type(exc).__name__)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
            continue
        if released:
            log.warning("took back %d IRP claim(s) held by %s before its restart", released, holder)
        return released


async def register_irns_once(invoicing: Invoicing, limit: int = 20, holder: str = "") -> tuple[int, bool]:
    """Claim pending invoices, register them at the IRP (outside any transaction), record each outcome.
    Returns (how many were claimed, whether any must wait for the IRP to come back)."""
    irp = invoicing.gateway
    if irp is None:
        return 0, False
    holder = holder or invoicing.claimant()
    now = datetime.now(UTC)
    stale_before = now - invoicing.policy.irn_claim_stale_after
    async with invoicing.transaction() as uow:
        claimed = await uow.irn_queue.claim_invoices(now, stale_before, limit, holder)
        # The trace each invoice was issued in (kept with its InvoiceIssued outbox row): its registration, done
        # later by this worker, continues the order's trace instead of starting one of its own.
        traces = {record.id: context_from_headers(await uow.irn_queue.issued_trace(record.id))
                  for record in claimed}
    at_once = asyncio.Semaphore(IRP_CALLS_AT_ONCE)

    async def register(record: InvoiceRecord) -> bool:
        with tracer("o2c.invoicing").start_as_current_span(
            "register IRN", context=traces[record.id],
            attributes={"o2c.order_id": record.issued.order_id, "o2c.invoice_id": record.id},
        ):
            async with at_once:
                outcome = await uc.register_at_irp(irp, record)
            async with invoicing.transaction(correlation_id=record.issued.order_id) as uow:
                await uc.record_irn_outcome(uow, record.id, outcome, now=datetime.now(UTC))
        return outcome.retry_later

    # The claimed invoices are registered concurrently (each its own IRP call and outcome transaction, in the
    # invoice's trace): one at a time, a batch of 20 took 20 IRP round trips before the last gate opened (issue 15).
    wait = any(await asyncio.gather(*(register(record) for record in claimed)))
    async with invoicing.transaction() as uow:
        notes = await uow.irn_queue.claim_credit_notes(now, stale_before, limit, holder)
    for note in notes:
        async with invoicing.reading() as uow:
            original = await uow.invoices.get(note.invoice_id)
        assert original is not None
        outcome = await uc.register_credit_note_at_irp(irp, note, original)
        wait = wait or outcome.retry_later
        async with invoicing.transaction() as uow:
            await uc.record_credit_note_irn_outcome(uow, note.id, outcome)
    return len(claimed) + len(notes), wait


async def render_pdfs_once(invoicing: Invoicing, limit: int = 5) -> int:
    async with invoicing.reading() as uow:
        todo = await uow.printed.unrendered(limit)
    for invoice_id in todo:
        await pdf_for(invoicing, invoice_id)
        await asyncio.sleep(0.05)  # rendering is CPU work: leave the event loop to the message path between PDFs
    return len(todo)


async def pdf_for(invoicing: Invoicing, invoice_id: str) -> bytes | None:
    """The cached PDF of the invoice's current revision, rendered (in a thread) and cached if missing."""
    async with invoicing.reading() as uow:
        record = await uow.invoices.get(invoice_id)
        if record is None:
            return None
        cached = await uow.printed.cached(invoice_id, record.revision)
    if cached is not None:
        return cached
    content = await asyncio.to_thread(invoicing.render_pdf, record)
    async with invoicing.transaction() as uow:
        await uow.printed.save(invoice_id, record.revision, content)
    return content


IRN_IDLE_POLL_MAX = 2.0
"""Seconds between looks for pending invoices once idle for a while (the poll doubles up to this): an invoice
issued in this process wakes the loop at once; one issued by another process waits at most this long."""


def wake_irn_loop_on_commit(invoicing: Invoicing) -> asyncio.Event:
    """An event set after every commit of this process that wrote outgoing messages (InvoiceIssued among them)."""
    wake = asyncio.Event()
    rt = invoicing.runtime
    for outbox in (rt.outbox, *([rt.consumer.outbox] if rt.consumer is not None else [])):
        relay_wake = outbox.on_commit

        def both(relay_wake: Callable[[], None] | None = relay_wake) -> None:
            wake.set()
            if relay_wake is not None:
                relay_wake()

        outbox.on_commit = both
    return wake


async def irn_loop(invoicing: Invoicing, role: str = "", wake: asyncio.Event | None = None) -> None:
    irn_poll, irn_retry = invoicing.settings.irn_poll_seconds, invoicing.settings.irn_retry_seconds
    holder = invoicing.claimant(role)
    await take_back_claims(invoicing, holder)
    idle = irn_poll
    while True:
        if wake is not None:
            wake.clear()
        try:
            claimed, wait = await register_irns_once(invoicing, holder=holder)
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


async def pdf_loop(invoicing: Invoicing) -> None:
    pdf_poll = invoicing.settings.pdf_poll_seconds
    while True:
        try:
            rendered = await render_pdfs_once(invoicing)
        except Exception:
            log.exception("PDF rendering round failed")
            rendered = 0
        if not rendered:
            await asyncio.sleep(pdf_poll)


async def run_workers(invoicing: Invoicing) -> None:
    """The service's own background loops: IRN registration unless it runs in its own process
    (`python -m o2c.invoicing.entrypoints.irn_worker`, setting IRN_WORKER=separate), PDF prerendering if asked."""
    loops = []
    if invoicing.settings.irn_worker == "in_process":
        loops.append(irn_loop(invoicing, wake=wake_irn_loop_on_commit(invoicing)))
    if invoicing.settings.pdf_prerender:
        loops.append(pdf_loop(invoicing))
    await asyncio.gather(*loops)
