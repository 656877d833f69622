"""kill -9 of the invoicing process while its IRP call is in flight: the restarted process (same instance)
takes its claim back at start, not after the 60 s stale window, and the IRN is registered once (the IRP's
duplicate answer, 2150, adopts the registration the dead process had already made).

Prints the time from the restarted process's /readyz 200 to the IRN registered; the 10 s target is asserted
only with O2C_MEASURE_STRICT=1 (timings never gate CI on a shared machine)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from o2c.invoicing.app import DEFINITION
from o2c.invoicing.bootstrap import bootstrap
from o2c.kit.db import make_engine
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import ServiceHarness, bearer, wait_for

pytestmark = pytest.mark.integration
STALE_WINDOW = 60.0  # Policy.irn_claim_stale_after: what a dead process's claim would otherwise wait out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_kill_9_during_an_irp_call_the_restart_takes_the_claim_back_and_registers_the_irn_once(
    harness: ServiceHarness, broker: Any, given: ModuleType, irp_url: str
) -> None:
    database_url = await harness.databases.create("invoicing")
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if k not in ("O2C_INSTANCE_ID", "O2C_INVOICING_INSTANCE_ID")}
    env = inherited | {
        "O2C_INVOICING_DATABASE_URL": database_url, "O2C_INVOICING_HTTP_PORT": str(port),
        "O2C_INVOICING_TOPIC_PREFIX": harness.prefix, "O2C_INVOICING_CONSUMER_GROUP": f"{harness.prefix}invoicing",
        "O2C_INVOICING_KAFKA_BOOTSTRAP": harness.bootstrap, "O2C_INVOICING_JWKS_FILE": harness.jwks_file,
        "O2C_INVOICING_IRP_BASE_URL": irp_url, "O2C_INVOICING_IRP_MODE": "sandbox",
        "O2C_INVOICING_IRP_TIMEOUT_SECONDS": "120", "O2C_INVOICING_IRN_POLL_SECONDS": "0.1",
        "O2C_INVOICING_IRN_RETRY_SECONDS": "0.5", "O2C_INVOICING_IRN_WORKER": "in_process",
        "O2C_INVOICING_LOG_LEVEL": "WARNING", "O2C_INVOICING_METRICS_PORT": str(free_port()),
    }
    base = f"http://127.0.0.1:{port}"
    instance = f"invoicing-{port}"  # settings.instance: the same after the restart, on the same port
    engine = make_engine(database_url, pool_size=1)

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "o2c.invoicing"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def ready() -> bool:
        try:
            async with httpx.AsyncClient(timeout=2) as client:
                return (await client.get(base + "/readyz")).status_code == 200
        except httpx.HTTPError:
            return False

    async def invoice_row() -> Any:
        try:
            async with engine.connect() as conn:
                return (await conn.execute(sa.text(
                    "SELECT irn_status, irn_claimed_by, irn_attempts FROM invoice"))).first()
        except Exception:
            return None  # not migrated yet

    first = start()
    second: subprocess.Popen[bytes] | None = None
    try:
        await wait_for(ready, timeout=90, what="invoicing ready")

        async def replicated() -> bool:
            try:
                async with engine.connect() as conn:
                    count = (await conn.execute(sa.text("SELECT count(*) FROM hsn_rate"))).scalar_one()
                    return int(count) >= len(given.RATES)
            except Exception:
                return False

        await wait_for(replicated, timeout=60, what="the rate replica filled from sales' rate topic")
        async with httpx.AsyncClient() as client:  # the IRP takes the next registration but answers late
            (await client.post(irp_url + "/sandbox/slow", json={"seconds": 300, "calls": 1})).raise_for_status()
        await broker.send(given.ready(given.line(1, "4")), "dispatch")

        async def in_flight() -> bool:
            row = await invoice_row()
            async with httpx.AsyncClient() as client:  # the slow call has reached the IRP
                at_irp = (await client.get(irp_url + "/sandbox/slow")).json()["slow_calls"] == 0
            return at_irp and row is not None and row.irn_status == "registering" and row.irn_claimed_by == instance

        await wait_for(in_flight, timeout=60, what="the IRP call in flight, claimed by this instance")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed = time.monotonic()

        second = start()
        await wait_for(ready, timeout=90, interval=0.05, what="invoicing ready again")
        ready_at = time.monotonic()

        async def registered() -> bool:
            row = await invoice_row()
            return row is not None and row.irn_status == "registered"

        # Well inside the stale window: only the take-back at start can release the claim this early.
        await wait_for(registered, timeout=STALE_WINDOW / 2, interval=0.05, what="the IRN registered")
        took = time.monotonic() - ready_at
        registered_after_kill = time.monotonic() - killed

        async def published() -> bool:  # the hop's message on the broker (relay of the restarted process)
            async with engine.connect() as conn:
                return bool(await conn.scalar(sa.text(
                    "SELECT count(*) FROM outbox WHERE type = 'IrnRegistered' AND published_at IS NOT NULL")))

        await wait_for(published, timeout=STALE_WINDOW / 2, interval=0.05, what="IrnRegistered published")
        print(f"\nMEASURE invoicing kill -9 during an IRP call: /readyz 200 → IRN registered {took:.2f} s, "
              f"→ IrnRegistered on the broker {time.monotonic() - ready_at:.2f} s (kill → registered "
              f"{registered_after_kill:.2f} s, process start included; stale window {STALE_WINDOW:.0f} s)")
        async with engine.connect() as conn:
            published = await conn.scalar(sa.text("SELECT count(*) FROM outbox WHERE type = 'IrnRegistered'"))
            rejected = await conn.scalar(sa.text("SELECT count(*) FROM outbox WHERE type = 'IrnRejected'"))
        assert (published, rejected) == (1, 0), "one registration, adopted (2150), not a second IRN"
        assert time.monotonic() - killed < STALE_WINDOW
        if os.environ.get("O2C_MEASURE_STRICT") == "1":
            assert took <= 10, f"{took:.1f} s from ready to registered"
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        await engine.dispose()


async def test_an_instance_takes_back_only_the_claims_held_under_its_own_name(
    harness: ServiceHarness, broker: Any, given: ModuleType, issuer: LocalIssuer
) -> None:
    svc = await harness.start(DEFINITION, irp_mode="off")  # no gateway: the invoice stays pending
    await given.rates_replicated(svc)
    shipment = given.ready(given.line(1, "4"))
    await broker.send(shipment, "dispatch")
    [issued] = await given.invoice_of(svc, bearer(issuer, "accountant"), shipment.order_id)
    assert issued["irn_status"] == "pending"
    now = datetime.now(UTC)
    invoicing = bootstrap(svc.runtime)
    async with invoicing.transaction() as uow:
        [claimed] = await uow.irn_queue.claim_invoices(now, now, 10, "invoicing-9001")
    async with invoicing.transaction() as uow:
        assert await uow.irn_queue.take_back("invoicing-9002") == 0  # another live instance's
    async with invoicing.reading() as uow:
        assert (await uow.invoices.get(claimed.id)).irn_status.value == "registering"  # type: ignore[union-attr]
    async with invoicing.transaction() as uow:
        assert await uow.irn_queue.take_back("invoicing-9001") == 1  # its own, after a restart
    async with invoicing.reading() as uow:
        assert (await uow.invoices.get(claimed.id)).irn_status.value == "pending"  # type: ignore[union-attr]
