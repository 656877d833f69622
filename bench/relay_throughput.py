"""Relay benchmark: commit → relay → Kafka → consumer effect, on the real local stack (make up).

Two measurements, everything on this machine (2 cores; producer, broker, consumer and PostgreSQL share them):
1. throughput: N messages committed up front, time until every effect is committed by the consumer;
2. latency at a fixed rate (default 500 messages/s): per message, effect commit time − occurred-at, p50/p99.
Prints the figures and writes them to bench/results/relay.json. Not a test: nothing here gates CI.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from o2c.contracts.envelope import Message
from o2c.contracts.topics import deadletter_topic, events_topic
from o2c.contracts.v1.sales import CancellationReason, OrderCancelled
from o2c.kit.messaging.consumer import MessageContext
from o2c.kit.messaging.schema import messaging_tables
from o2c.kit.service import Runtime, ServiceDefinition, build_app, build_runtime
from o2c.kit.settings import ServiceSettings
from o2c.kit.testing import TestDatabases, create_topics, delete_topics, load_stack_env, stack_value

HERE = Path(__file__).parent
metadata = sa.MetaData()
messaging_tables(metadata)
effect = sa.Table(
    "effect", metadata,
    sa.Column("message_id", sa.Text, primary_key=True),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
)


def handlers(rt: Runtime) -> dict[str, Any]:
    async def record(message: Message, ctx: MessageContext) -> None:
        await (await ctx.session.connection()).execute(sa.text(
            "INSERT INTO effect (message_id, occurred_at) VALUES (:m, :o)"
        ), {"m": str(ctx.envelope.message_id), "o": ctx.envelope.occurred_at})

    return {"OrderCancelled": record}


def cancellation(i: int) -> OrderCancelled:
    return OrderCancelled(order_id=f"B-{i % 997}", order_no=f"B-{i}", customer_id="C1",
                          reason=CancellationReason.OTHER, note=str(i), cancelled_at=datetime.now(UTC))


async def count_effects(rt: Runtime) -> int:
    async with rt.engine.connect() as conn:
        return int((await conn.execute(sa.text("SELECT count(*) FROM effect"))).scalar_one())


async def wait_effects(rt: Runtime, n: int, timeout: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if await count_effects(rt) >= n:
            return time.perf_counter() - started
        await asyncio.sleep(0.02)
    raise TimeoutError(f"only {await count_effects(rt)} of {n} effects after {timeout}s")


async def wait_relayed(rt: Runtime, timeout: float) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        async with rt.engine.connect() as conn:
            left = (await conn.execute(sa.text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))).scalar_one()
        if left == 0:
            return time.perf_counter() - started
        await asyncio.sleep(0.02)
    raise TimeoutError("relay did not drain")


async def run(n_throughput: int, rate: int, seconds: float) -> dict[str, Any]:
    load_stack_env()
    bootstrap = stack_value("O2C_KAFKA_BOOTSTRAP")
    dbs = TestDatabases(stack_value("O2C_PG_ADMIN_URL"))
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    topics = [prefix + events_topic("sales"), prefix + deadletter_topic("credit")]
    await create_topics(bootstrap, topics, partitions=6)
    urls = {"sales": await dbs.create("bench_sales"), "credit": await dbs.create("bench_credit")}
    sides: dict[str, tuple[Runtime, contextlib.AsyncExitStack]] = {}
    child: asyncio.subprocess.Process | None = None
    try:
        # The consumer runs in its own process, as the credit service would; this process is sales + relay.
        child = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--consume", urls["credit"], "--prefix", prefix, "--bootstrap", bootstrap,
        )
        for side in ("sales", "credit"):
            definition = ServiceDefinition(
                name=side, title=f"bench {side}", http_port=0, metadata=metadata, versions_dir=HERE / "migrations",
                handlers=handlers if side == "credit" else (lambda rt: {}),
                subscribes_to=[events_topic("sales")] if side == "credit" else [],
            )
            settings = ServiceSettings(service=side, database_url=urls[side], kafka_bootstrap=bootstrap,
                                       topic_prefix=prefix, consumer_group=f"{prefix}{side}")
            rt = build_runtime(definition, settings)
            app = build_app(definition, rt, run_consumer=False)
            stack = contextlib.AsyncExitStack()
            await stack.enter_async_context(app.router.lifespan_context(app))
            await asyncio.wait_for(rt.migrated.wait(), 60)
            sides[side] = (rt, stack)
        sales, credit = sides["sales"][0], sides["credit"][0]
        await asyncio.sleep(8)  # let the consumer process join its group before timing

        # 1. throughput: commit everything, then time the drain.
        started = time.perf_counter()
        for chunk in range(0, n_throughput, 500):
            async with sales.sessions() as session, session.begin():
                batch = [cancellation(i) for i in range(chunk, min(chunk + 500, n_throughput))]
                await sales.outbox.add_many(session, batch)
        committed = time.perf_counter() - started
        relayed = await wait_relayed(sales, timeout=300)
        drain = relayed + await wait_effects(credit, n_throughput, timeout=300)
        total = committed + drain
        throughput = n_throughput / total

        # 2. latency at a fixed rate: like HTTP requests, many small transactions at once (one message each),
        # spread over `writers` concurrent connections, each keeping its share of the rate.
        before = await count_effects(credit)
        n_latency = int(rate * seconds)
        writers = 16
        per_writer = n_latency // writers
        n_latency = per_writer * writers
        interval = writers / rate
        t0 = time.perf_counter()

        async def writer(w: int) -> None:
            for k in range(per_writer):
                async with sales.sessions() as session, session.begin():
                    await sales.outbox.add(session, cancellation(10_000_000 + w * per_writer + k))
                next_at = t0 + (k + 1) * interval + w * interval / writers
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

        await asyncio.gather(*(writer(w) for w in range(writers)))
        sent = n_latency
        achieved_rate = sent / (time.perf_counter() - t0)
        await wait_effects(credit, before + n_latency, timeout=120)
        async with credit.engine.connect() as conn:
            rows = (await conn.execute(sa.text(
                "SELECT extract(epoch FROM handled_at - occurred_at) * 1000 FROM effect "
                "ORDER BY handled_at DESC LIMIT :n"), {"n": n_latency})).scalars().all()
        latencies = sorted(float(r) for r in rows)
        q = statistics.quantiles(latencies, n=100)
        return {
            "measured_at": datetime.now(UTC).isoformat(),
            "machine": "2 cores; broker, PostgreSQL, relay and consumer on one host",
            "throughput": {"messages": n_throughput, "commit_seconds": round(committed, 3),
                           "drain_seconds": round(drain, 3), "relay_done_after_commit_seconds": round(relayed, 3),
                           "messages_per_second": round(throughput)},
            "latency": {"target_rate": rate, "achieved_rate": round(achieved_rate), "messages": n_latency,
                        "p50_ms": round(q[49], 1), "p99_ms": round(q[98], 1), "max_ms": round(latencies[-1], 1)},
        }
    finally:
        if child is not None:
            child.terminate()
            await child.wait()
        for _, stack in sides.values():
            await stack.aclose()
        await dbs.drop_all()
        await delete_topics(bootstrap, topics)


async def consume_forever(url: str, prefix: str, bootstrap: str) -> None:
    definition = ServiceDefinition(
        name="credit", title="bench credit", http_port=0, metadata=metadata, versions_dir=HERE / "migrations",
        handlers=handlers, subscribes_to=[events_topic("sales")],
    )
    settings = ServiceSettings(service="credit", database_url=url, kafka_bootstrap=bootstrap, topic_prefix=prefix,
                               consumer_group=f"{prefix}credit")
    rt = build_runtime(definition, settings)
    app = build_app(definition, rt, run_relay=False)
    async with app.router.lifespan_context(app):
        await asyncio.Event().wait()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--consume":
        url, prefix, bootstrap = sys.argv[2], sys.argv[4], sys.argv[6]
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(consume_forever(url, prefix, bootstrap))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    result = asyncio.run(run(args.messages, args.rate, args.seconds))
    out = HERE / "results" / "relay.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    t, lat = result["throughput"], result["latency"]
    print(f"relay throughput: {t['messages_per_second']} messages/s ({t['messages']} messages, "
          f"commit {t['commit_seconds']}s + drain {t['drain_seconds']}s)")
    print(f"latency at {lat['achieved_rate']} messages/s: p50 {lat['p50_ms']} ms, p99 {lat['p99_ms']} ms, "
          f"max {lat['max_ms']} ms")
    print(f"written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
