"""Measure: ShipmentReady → InvoiceIssued through the real broker at 20 shipments/s of 10 lines, with the
IRP sandbox (`python -m o2c.invoicing.adapters.irp_sandbox`) and the IRN worker
(`python -m o2c.invoicing.entrypoints.irn_worker`) each in their own process, as deployed.

Prints p50/p99 (run with -s). The 300 ms p99 target is asserted only with O2C_MEASURE_STRICT=1; a timing never
gates CI. That every shipment gets exactly one invoice and every IRN is registered by the separate worker is
invoicing's integration test (services/invoicing/tests/integration/test_irn_worker.py)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from types import ModuleType

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer
from o2c.contracts.topics import events_topic
from o2c.invoicing.app import DEFINITION
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.testing import ServiceHarness, wait_for
from o2c.testsupport.invoicing import invoicing_stack
from o2c.testsupport.invoicing.invoicing_stack import Broker, irp_sandbox_process, started_broker

pytestmark = pytest.mark.integration

RATE_PER_SECOND = int(os.environ.get("O2C_MEASURE_RATE", "20"))
SHIPMENTS = int(os.environ.get("O2C_MEASURE_SHIPMENTS", "200"))
LINES = 10


@pytest.fixture
async def broker(harness: ServiceHarness) -> AsyncIterator[Broker]:
    async with started_broker(harness) as b:
        yield b


@pytest.fixture
def given() -> ModuleType:
    return invoicing_stack


@pytest.fixture
def irp_url() -> Iterator[str]:
    with irp_sandbox_process() as url:
        yield url


async def test_shipment_ready_to_invoice_issued_p99_at_20_per_second(
    harness: ServiceHarness, broker: Broker, given: ModuleType, irp_url: str
) -> None:
    invoicing = await harness.start(DEFINITION, irp_mode="sandbox", irp_base_url=irp_url,
                                    irn_worker="separate")
    await given.rates_replicated(invoicing)
    worker = subprocess.Popen(
        [sys.executable, "-m", "o2c.invoicing.entrypoints.irn_worker"], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ | {"O2C_INVOICING_DATABASE_URL": harness.urls["invoicing"],
                          "O2C_INVOICING_IRP_BASE_URL": irp_url, "O2C_INVOICING_TOPIC_PREFIX": harness.prefix})
    consumer = AIOKafkaConsumer(harness.prefix + events_topic("invoicing"), bootstrap_servers=harness.bootstrap,
                                auto_offset_reset="latest", enable_auto_commit=False, group_id=None,
                                fetch_max_wait_ms=5, **kafka_client_options())
    await consumer.start()

    async def assigned() -> bool:
        return bool(consumer.assignment())

    await wait_for(assigned, what="the listener's partitions")
    await consumer.seek_to_end()
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    copies: dict[str, int] = {}

    async def listen() -> None:
        while len(seen) < SHIPMENTS:
            for records in (await consumer.getmany(timeout_ms=100)).values():
                now = time.perf_counter()
                for record in records:
                    body = json.loads(record.value)
                    if body["type"] == "InvoiceIssued":
                        shipment_id = body["payload"]["shipment_id"]
                        seen.setdefault(shipment_id, now)
                        copies[shipment_id] = copies.get(shipment_id, 0) + 1

    listener = asyncio.create_task(listen())
    shipments = [given.ready(*(given.line(n, "3", price="125.50") for n in range(1, LINES + 1)))
                 for _ in range(SHIPMENTS)]
    started = time.perf_counter()
    for index, shipment in enumerate(shipments):
        await asyncio.sleep(max(0.0, started + index / RATE_PER_SECOND - time.perf_counter()))
        sent[shipment.shipment_id] = time.perf_counter()
        await broker.send(shipment, "dispatch")
    try:
        await asyncio.wait_for(listener, timeout=120)
    finally:
        await consumer.stop()

    async def all_registered() -> bool:
        async with invoicing.runtime.engine.connect() as conn:
            return bool(await conn.scalar(sa.text(
                "SELECT count(*) FROM invoice WHERE irn_status = 'registered'")) == SHIPMENTS)

    await wait_for(all_registered, timeout=120, what="every IRN registered by the separate worker")
    worker.terminate()
    worker.wait(timeout=10)

    latencies = sorted((seen[s] - sent[s]) * 1000 for s in sent)
    p50, p99 = latencies[len(latencies) // 2], latencies[max(0, int(len(latencies) * 0.99) - 1)]
    async with invoicing.runtime.engine.connect() as conn:
        relay = sorted((await conn.execute(sa.text(
            "SELECT extract(epoch from published_at - created_at) FROM outbox WHERE type = 'InvoiceIssued'"
        ))).scalars())
        registered = await conn.scalar(sa.text("SELECT count(*) FROM invoice WHERE irn_status = 'registered'"))
    print(f"\nMEASURE invoicing ShipmentReady → InvoiceIssued, {SHIPMENTS} shipments of {LINES} lines at "
          f"{RATE_PER_SECOND}/s: "
          f"p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {latencies[-1]:.0f} ms; of which outbox → broker p50 "
          f"{float(relay[len(relay) // 2]) * 1000:.0f} ms; all {registered} IRNs registered by the worker; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"MEASURE   shipments invoiced {len(seen)} of {len(sent)}, more than one invoice: "
          f"{sum(1 for n in copies.values() if n > 1)}")
    if os.environ.get("O2C_MEASURE_STRICT") == "1":  # timings never gate CI; O2C_MEASURE_STRICT=1 does
        assert p99 <= 300, f"p99 {p99:.0f} ms"
