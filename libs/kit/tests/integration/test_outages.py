"""Servers go away and come back: nothing is dead-lettered, lost or doubled, and no service restarts.

These tests stop the local stack's PostgreSQL or Kafka (deploy/local/stack.sh) and start it again.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from o2c.contracts.envelope import Envelope
from o2c.contracts.topics import events_topic
from o2c.contracts.v1.sales import CancellationReason, OrderCancelled
from o2c.kit.testing import bearer, wait_for

from conftest import ProbePair

pytestmark = pytest.mark.integration
STACK = Path(__file__).resolve().parents[4] / "deploy" / "local" / "stack.sh"


def stack(command: str) -> None:
    subprocess.run(["bash", str(STACK), command], check=True, capture_output=True, timeout=180)


def cancelled(order_id: str, note: str) -> OrderCancelled:
    return OrderCancelled(order_id=order_id, order_no=order_id, customer_id="C1",
                          reason=CancellationReason.CUSTOMER_REQUEST, note=note, cancelled_at=datetime.now(UTC))


async def count(pair: ProbePair, sql: str) -> int:
    return int(await pair.scalar("credit", sql))


async def test_postgres_down_30s_under_steady_stream_dead_letters_nothing(probe_pair: ProbePair) -> None:
    credit = await probe_pair.start("credit")
    producer = AIOKafkaProducer(bootstrap_servers=probe_pair.bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    topic = probe_pair.prefix + events_topic("sales")
    sent = 0

    async def stream(seconds: float) -> None:
        nonlocal sent
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            env = Envelope.wrap(cancelled(f"S-{sent % 7}", f"{sent:05d}"), producer="sales")
            await producer.send_and_wait(topic, env.to_bytes(), key=env.key.encode(), headers=env.headers())
            sent += 1
            await asyncio.sleep(0.05)

    try:
        await stream(2)
        await asyncio.to_thread(stack, "pg-stop")
        try:
            await stream(30)
        finally:
            await asyncio.to_thread(stack, "pg-start")
        await stream(2)
    finally:
        await producer.stop()
    assert await wait_for(lambda: _effects_are(probe_pair, sent), timeout=90, what=f"{sent} effects")
    assert await count(probe_pair, "SELECT count(*) FROM dead_letter") == 0
    assert await count(probe_pair, "SELECT count(DISTINCT message_id) FROM effect") == sent
    for k in range(7):
        rows = await probe_pair.rows("credit", "SELECT note FROM effect WHERE order_id = :o ORDER BY seq", o=f"S-{k}")
        notes = [r.note for r in rows]
        assert notes == sorted(notes), "per-key order survives the outage"
    assert credit.runtime.consumer is not None and credit.runtime.consumer.dead_lettered == 0


async def _effects_are(pair: ProbePair, n: int) -> bool:
    try:
        return await count(pair, "SELECT count(*) FROM effect") == n
    except Exception:
        return False


async def test_broker_down_http_requests_succeed_and_messages_flow_after(
    probe_pair: ProbePair, issuer: object
) -> None:
    sales = await probe_pair.start("sales")
    await probe_pair.start("credit")
    headers = bearer(issuer, "sales_coordinator")  # type: ignore[arg-type]
    async with sales.client as client:
        await asyncio.to_thread(stack, "kafka-stop")
        try:
            for i in range(30):
                response = await client.post("/probe/cancellations", headers=headers,
                                             json={"order_id": f"B-{i}", "customer_id": f"C{i % 3}",
                                                   "note": f"{i:03d}"})
                assert response.status_code == 201, response.text
            unsent = await probe_pair.scalar("sales", "SELECT count(*) FROM outbox WHERE published_at IS NULL")
            assert unsent == 30, "with the broker down the rows wait in the outbox"
        finally:
            await asyncio.to_thread(stack, "kafka-start")
    assert await wait_for(lambda: _effects_are(probe_pair, 30), timeout=120, what="30 effects after the broker")
    assert await count(probe_pair, "SELECT count(*) FROM dead_letter") == 0


async def test_service_started_with_postgres_down_becomes_ready_without_restart(probe_pair: ProbePair) -> None:
    await asyncio.to_thread(stack, "pg-stop")
    try:
        sales = await probe_pair.start("sales", wait=False)
        async with sales.client as client:
            response = await client.get("/readyz")
            assert response.status_code == 503
            assert response.json()["checks"]["database"] == "failing"
            assert (await client.get("/healthz")).status_code == 200
    finally:
        await asyncio.to_thread(stack, "pg-start")

    async def ready() -> bool:
        async with sales.client as client:
            return (await client.get("/readyz")).status_code == 200

    assert await wait_for(ready, timeout=60, interval=0.5, what="readiness after PostgreSQL returned")
