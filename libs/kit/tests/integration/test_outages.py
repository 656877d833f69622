"""Servers go away and come back: nothing is dead-lettered, lost or doubled, and no service restarts.

These tests stop PostgreSQL or Kafka of the session's own stack (the `own_stack` fixture: its own directory and
port offset) and start it again; the checkout's stack, and a developer's services on it, are never touched.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from o2c.contracts.envelope import Envelope
from o2c.contracts.topics import events_topic
from o2c.contracts.v1.sales import CancellationReason, OrderCancelled
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.own_stack import OwnStack
from o2c.kit.testing import bearer, wait_for
from o2c.testsupport.kit.probe_pair import ProbePair
from o2c.testsupport.waits import paced

pytestmark = pytest.mark.integration
PROBE = "o2c.testsupport.kit.probe"  # run as `python -m`: the probe pair's services as processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_OWN: list[OwnStack] = []


@pytest.fixture(autouse=True)
def _on_the_own_stack(own_stack: OwnStack) -> None:
    _OWN[:] = [own_stack]


@pytest.fixture
def probe_pair(own_probe_pair: ProbePair) -> ProbePair:
    """Here the probe pair lives on the session's own stack, whose servers these tests stop."""
    return own_probe_pair


def stack(command: str) -> None:
    """stack.sh COMMAND on the session's own stack (never the checkout's)."""
    _OWN[0].script(command, timeout=180)


def cancelled(order_id: str, note: str) -> OrderCancelled:
    return OrderCancelled(order_id=order_id, order_no=order_id, customer_id="C1",
                          reason=CancellationReason.CUSTOMER_REQUEST, note=note, cancelled_at=datetime.now(UTC))


async def count(pair: ProbePair, sql: str) -> int:
    return int(await pair.scalar("credit", sql))


async def test_postgres_down_30s_under_steady_stream_dead_letters_nothing(probe_pair: ProbePair) -> None:
    credit = await probe_pair.start("credit")
    producer = AIOKafkaProducer(bootstrap_servers=probe_pair.bootstrap, acks="all", enable_idempotence=True,
                                **kafka_client_options())
    await producer.start()
    topic = probe_pair.prefix + events_topic("sales")
    sent = 0

    async def stream(seconds: float) -> None:
        nonlocal sent
        async for _ in paced(int(seconds * 20), per_second=20.0):
            env = Envelope.wrap(cancelled(f"S-{sent % 7}", f"{sent:05d}"), producer="sales")
            await producer.send_and_wait(topic, env.to_bytes(), key=env.key.encode(), headers=env.headers())
            sent += 1

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


async def test_broker_down_30s_http_requests_succeed_messages_flow_after_and_the_log_stays_quiet(
    probe_pair: ProbePair, issuer: object, tmp_path: Path
) -> None:
    """Two service processes (their own JSON logging) ride out 30 s without the broker: writes succeed into the
    outbox, everything flows once it is back, and each process writes at most 200 log lines meanwhile."""
    ports = {"sales": free_port(), "credit": free_port()}
    logs = {side: tmp_path / f"{side}.log" for side in ports}
    procs = [subprocess.Popen([sys.executable, "-m", PROBE, "serve", side], env=os.environ | {
        f"O2C_{side.upper()}_DATABASE_URL": probe_pair.urls[side], f"O2C_{side.upper()}_HTTP_PORT": str(port),
        "O2C_KAFKA_BOOTSTRAP": probe_pair.bootstrap, "O2C_TOPIC_PREFIX": probe_pair.prefix,
        "O2C_CONSUMER_GROUP": f"{probe_pair.prefix}{side}", "O2C_JWKS_FILE": probe_pair.jwks_file,
        "O2C_RELAY_SWEEP_SECONDS": "0.5", f"O2C_{side.upper()}_METRICS_PORT": str(free_port()),
    }, stdout=logs[side].open("ab"), stderr=subprocess.STDOUT) for side, port in ports.items()]
    headers = bearer(issuer, "sales_coordinator")  # type: ignore[arg-type]
    try:
        async with httpx.AsyncClient() as client:
            async def ready(port: int) -> bool:
                try:
                    return (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200
                except httpx.HTTPError:
                    return False

            for side, port in ports.items():
                await wait_for(lambda p=port: ready(p), timeout=60, interval=0.3, what=f"{side} ready")  # type: ignore[misc]
            before = {side: _lines(path) for side, path in logs.items()}
            await asyncio.to_thread(stack, "kafka-stop")
            down_at = time.monotonic()
            try:
                for i in range(30):
                    response = await client.post(
                        f"http://127.0.0.1:{ports['sales']}/probe/cancellations", headers=headers,
                        json={"order_id": f"B-{i}", "customer_id": f"C{i % 3}", "note": f"{i:03d}"})
                    assert response.status_code == 201, response.text
                unsent = await probe_pair.scalar("sales", "SELECT count(*) FROM outbox WHERE published_at IS NULL")
                assert unsent == 30, "with the broker down the rows wait in the outbox"
                readiness = await client.get(f"http://127.0.0.1:{ports['sales']}/readyz")
                assert readiness.status_code == 200, "readiness is about serving HTTP, which works without the broker"
                assert readiness.json()["checks"]["broker"] == "failing"
                await asyncio.sleep(max(0.0, 30 - (time.monotonic() - down_at)))  # the outage is the scenario
            finally:
                await asyncio.to_thread(stack, "kafka-start")
        assert await wait_for(lambda: _effects_are(probe_pair, 30), timeout=120, what="30 effects after the broker")
        assert await count(probe_pair, "SELECT count(*) FROM dead_letter") == 0
        written = {side: _lines(path) - before[side] for side, path in logs.items()}
        print(f"\nMEASURE log lines while the broker was down 30 s and until the backlog flowed: {written}")
        assert all(n <= 200 for n in written.values()), written
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)


def _lines(path: Path) -> int:
    return len(path.read_bytes().splitlines()) if path.exists() else 0


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
