"""The bare limit: H hops of consume → one transaction (inbox + state + outbox) → idempotent produce, written
with plain aiokafka + asyncpg on the same broker and PostgreSQL as the chain (make up). No framework, no
business rules: what this machine can do at best, for bench/chain.py to print the chain's figure against.

`python bench/bare_chain.py [--orders N] [--hops H]` prints orders/s; bench/chain.py calls `run_bare`.
Not a test: nothing here gates CI on a figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from o2c.kit.messaging.kafka_security import kafka_client_options

PARTITIONS = 6  # as the chain's events topics

SCHEMA = """
CREATE TABLE inbox (message_id text PRIMARY KEY, handled_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE state (order_id text NOT NULL, hop int NOT NULL, data jsonb NOT NULL, PRIMARY KEY (order_id, hop));
CREATE TABLE outbox (id bigserial PRIMARY KEY, topic text NOT NULL, key text NOT NULL, value bytea NOT NULL,
                     published_at timestamptz);
"""


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _hop(i: int, topics: list[str], prefix: str, bootstrap: str, pool: asyncpg.Pool,
               producer: AIOKafkaProducer, ready: asyncio.Event) -> None:
    consumer = AIOKafkaConsumer(topics[i], bootstrap_servers=bootstrap, group_id=f"{prefix}hop{i}",
                                enable_auto_commit=False, auto_offset_reset="earliest", max_poll_records=500,
                                fetch_max_wait_ms=500, **kafka_client_options())
    await consumer.start()
    ready.set()
    out = topics[i + 1]

    async def handle(records: list[Any]) -> None:
        # One partition's records in order, each its own transaction; the produces of the batch are awaited
        # together (the broker acknowledges them in one round trip), then marked published.
        sent: list[tuple[int, Any]] = []
        for record in records:
            body = json.loads(record.value)
            message_id = f"{i}:{body['id']}"
            async with pool.acquire() as conn, conn.transaction():
                fresh = await conn.fetchval(
                    "INSERT INTO inbox (message_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING true", message_id)
                if not fresh:
                    continue
                await conn.execute(
                    "INSERT INTO state (order_id, hop, data) VALUES ($1, $2, $3::jsonb) ON CONFLICT (order_id, hop) "
                    "DO UPDATE SET data = excluded.data", body["order"], i, json.dumps({"seen": body["id"]}))
                value = json.dumps({"id": str(uuid.uuid4()), "order": body["order"], "t0": body["t0"]}).encode()
                outbox_id = await conn.fetchval(
                    "INSERT INTO outbox (topic, key, value) VALUES ($1, $2, $3) RETURNING id",
                    out, body["order"], value)
            sent.append((outbox_id, await producer.send(out, value, key=body["order"].encode())))
        if sent:
            await asyncio.gather(*(future for _, future in sent))
            await pool.execute("UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                               [outbox_id for outbox_id, _ in sent])

    try:
        while True:
            batch = await consumer.getmany(timeout_ms=500)
            if batch:
                await asyncio.gather(*(handle(records) for records in batch.values()))
                await consumer.commit()
    finally:
        await consumer.stop()


async def run_bare(orders: int, hops: int, bootstrap: str, admin_url: str, timeout: float = 600.0
                   ) -> dict[str, Any]:
    """Push `orders` messages through `hops` hops; returns orders/s (first produced → last out of the last hop)."""
    prefix = f"bare{uuid.uuid4().hex[:8]}."
    topics = [f"{prefix}h{i}" for i in range(hops + 1)]
    database = f"bench_bare_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_plain(admin_url), timeout=10)
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()
    base = _plain(admin_url).rsplit("/", 1)[0]
    kafka_admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=20000, **kafka_client_options())
    await kafka_admin.start()
    await kafka_admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in topics])
    pool = await asyncpg.create_pool(f"{base}/{database}", min_size=2, max_size=10)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=1,
                                **kafka_client_options())
    await producer.start()
    tasks: list[asyncio.Task[None]] = []
    try:
        await pool.execute(SCHEMA)
        readies = [asyncio.Event() for _ in range(hops)]
        tasks = [asyncio.create_task(_hop(i, topics, prefix, bootstrap, pool, producer, readies[i]))
                 for i in range(hops)]
        sink = AIOKafkaConsumer(topics[-1], bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", **kafka_client_options())
        await sink.start()
        await asyncio.gather(*(r.wait() for r in readies))
        await asyncio.sleep(3)  # the group joins settle before the clock starts
        started = time.time()
        for n in range(orders):
            order = f"O-{n}"
            await producer.send(topics[0], json.dumps({"id": str(uuid.uuid4()), "order": order,
                                                       "t0": time.time()}).encode(), key=order.encode())
        await producer.flush()
        seen: dict[str, float] = {}
        latencies: list[float] = []
        deadline = time.monotonic() + timeout
        while len(seen) < orders and time.monotonic() < deadline:
            for records in (await sink.getmany(timeout_ms=500)).values():
                for record in records:
                    body = json.loads(record.value)
                    if body["order"] not in seen:
                        seen[body["order"]] = record.timestamp / 1000
                        latencies.append(record.timestamp / 1000 - body["t0"])
        await sink.stop()
        if len(seen) < orders:
            raise RuntimeError(f"bare chain: only {len(seen)} of {orders} orders came out of hop {hops}")
        elapsed = max(seen.values()) - started
        latencies.sort()
        return {"orders": orders, "hops": hops, "seconds": round(elapsed, 2),
                "orders_per_s": round(orders / elapsed, 1),
                "latency_p50_ms": round(1000 * latencies[len(latencies) // 2]),
                "latency_p99_ms": round(1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))])}
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await producer.stop()
        await pool.close()
        await kafka_admin.delete_topics(topics)
        await kafka_admin.close()
        admin = await asyncpg.connect(_plain(admin_url), timeout=10)
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    import logging

    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # group teardown chatter at the end
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--hops", type=int, default=10)
    args = parser.parse_args()
    result = asyncio.run(run_bare(args.orders, args.hops, os.environ["O2C_KAFKA_BOOTSTRAP"],
                                  os.environ["O2C_PG_ADMIN_URL"]))
    print(f"bare chain: {result['orders_per_s']} orders/s ({args.orders} orders × {args.hops} hops in "
          f"{result['seconds']} s; latency p50 {result['latency_p50_ms']} ms, p99 {result['latency_p99_ms']} ms; "
          f"load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
