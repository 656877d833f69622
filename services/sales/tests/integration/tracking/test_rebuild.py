"""Rebuilding the tracking projection from the topics, on the real stack: the live projection builds the views;
the tracking tables and the Redis keys are lost; the rebuild brings back the same views, search terms,
shipment and quotation rows, the hot view and the page — and loses or doubles nothing published meanwhile."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.samples import sample
from o2c.contracts.v1 import credit, sales
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.kafka_security import CLIENT_ENV, kafka_client_options
from o2c.kit.testing import RunningService, ServiceHarness, bearer, wait_for
from o2c.sales.tracking import domain, store
from o2c.sales.tracking.handlers import tracking_of
from o2c.sales.tracking.rebuild import CHAIN_EVENTS, TRACKING_TABLES, rebuild
from o2c.sales.tracking.tables import tracking_order, tracking_quotation, tracking_shipment, tracking_term
from o2c.testsupport.sales.tracking_support import NOW, TRACKING_ONLY, Publisher, story

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

TABLES_OF_TRACKING = (tracking_term, tracking_shipment, tracking_order, tracking_quotation)


def comparable(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k != "as_of"}


def expected_view(messages: Sequence[Message], order_id: str) -> dict[str, Any]:
    return domain.project(order_id, messages, NOW)


def payment(customer_id: str, *order_ids: str) -> credit.PaymentReceived:
    base = sample(credit.PaymentReceived)
    allocation = base.allocations[0]
    return base.model_copy(update={"customer_id": customer_id, "payment_id": f"pay-{uuid.uuid4().hex[:6]}",
                                   "allocations": [allocation.model_copy(update={
                                       "order_id": o, "invoice_id": f"inv-{o}",
                                       "invoice_no": f"INV/26-27/{o[-6:]}"}) for o in order_ids]})


async def in_inbox(svc: RunningService, *envelopes: Envelope) -> bool:
    ids = [e.message_id for e in envelopes]
    async with svc.runtime.sessions() as session:
        found = (await session.execute(
            sa.select(sa.func.count()).select_from(TRACKING_TABLES.inbox).where(TRACKING_TABLES.inbox.c.message_id.in_(ids))
        )).scalar_one()
    return int(found) == len(set(ids))


async def send_folded(svc: RunningService, publisher: Publisher, messages: Sequence[Message]) -> list[Envelope]:
    """Publish one message at a time and wait until the live projection has folded it (its id is in the inbox,
    which commits with the fold): the live views are then folded in publish order, as the rebuild sorts."""
    sent = []
    for m in messages:
        env = await publisher.send(m)
        await wait_for(lambda env=env: in_inbox(svc, env), timeout=20, interval=0.005, what=f"{m.TYPE} folded")
        sent.append(env)
    return sent


async def table_rows(svc: RunningService) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    async with svc.runtime.sessions() as session:
        for table in TABLES_OF_TRACKING:
            rows = (await session.execute(sa.select(table))).mappings().all()
            out[table.name] = sorted((dict(r) for r in rows), key=lambda r: json.dumps(r, default=str, sort_keys=True))
    return out


async def lose_the_projection(svc: RunningService, order_ids: Sequence[str]) -> None:
    """The tracking tables lost (a restored database without them), and the orders' Redis keys gone."""
    async with svc.runtime.sessions() as session, session.begin():
        for table in TABLES_OF_TRACKING:
            await session.execute(sa.delete(table))
    await tracking_of(svc.runtime).drain()
    cache = tracking_of(svc.runtime).cache
    r = aioredis.Redis.from_url(svc.runtime.settings.redis_url)
    try:
        await r.delete(*[cache.key(o) for o in order_ids])
    finally:
        await r.aclose()


async def cached(svc: RunningService, order_id: str) -> dict[str, Any] | None:
    cache = tracking_of(svc.runtime).cache
    r = aioredis.Redis.from_url(svc.runtime.settings.redis_url)
    try:
        raw = await r.get(cache.key(order_id))
    finally:
        await r.aclose()
    return json.loads(raw) if raw is not None else None


async def page(c: Any, order_id: str, headers: dict[str, str]) -> dict[str, Any] | None:
    r = await c.get(f"/tracking/orders/{order_id}", headers=headers)
    return r.json() if r.status_code == 200 else None


async def test_rebuild_brings_back_what_the_live_projection_built(
        svc: RunningService, publisher: Publisher, issuer: LocalIssuer, harness: ServiceHarness) -> None:
    coord = bearer(issuer, "sales_coordinator")
    a = story("ord-rb-1", customer_id="cus-1001", customer_name="Arun Retail LLP")
    b = story("ord-rb-2", customer_id="cus-1002", customer_name="Bharat Stores", order_no="SO/26-27/RB0002",
              ewaybill_no="381009999999", vehicle_no="MH12XY9876", stop_after="ShipmentReady")
    # Order B's quotation is issued before its order (the other way of linking it).
    b = [b[1], b[0], *b[2:]]
    paid = payment("cus-1001", "ord-rb-1", "ord-rb-2")
    sent = await send_folded(svc, publisher, [*a, *b, paid])
    # What the projection does not fold, what nobody can decode, and a message the relay published twice.
    await publisher.send(sample(sales.CustomerApproved))  # no handler here: never in the inbox
    raw = AIOKafkaProducer(bootstrap_servers=harness.bootstrap, **kafka_client_options())
    await raw.start()
    try:
        await raw.send_and_wait(harness.prefix + "o2c.dispatch.events.v1", b"not an envelope", key=b"no-order")
        twice = sent[len(a) + 3]  # B's CreditHeld
        await raw.send_and_wait(harness.prefix + "o2c.credit.events.v1", twice.to_bytes(),
                                key=twice.key.encode(), headers=twice.headers())
    finally:
        await raw.stop()

    async def dead_lettered() -> bool:
        async with svc.runtime.sessions() as session:
            return bool((await session.execute(sa.select(sa.func.count()).select_from(TRACKING_TABLES.dead_letter)))
                        .scalar_one())

    await wait_for(dead_lettered, timeout=20, what="the undecodable record dead-lettered")
    await tracking_of(svc.runtime).drain()

    async with svc.client() as c:
        live = {o: await page(c, o, coord) for o in ("ord-rb-1", "ord-rb-2")}
    assert live["ord-rb-1"] is not None and live["ord-rb-2"] is not None
    assert comparable(live["ord-rb-1"]) == comparable(expected_view([*a, paid], "ord-rb-1"))
    # B's quotation came first: the live projection applies it right after the confirmation.
    assert comparable(live["ord-rb-2"]) == comparable(expected_view([b[1], b[0], *b[2:], paid], "ord-rb-2"))
    before = await table_rows(svc)
    assert len(before["tracking_order"]) == 2 and before["tracking_term"] and before["tracking_shipment"]
    assert len(before["tracking_quotation"]) == 2

    await lose_the_projection(svc, ["ord-rb-1", "ord-rb-2"])
    async with svc.client() as c:
        assert (await c.get("/tracking/orders/ord-rb-1", headers=coord)).status_code == 404
        assert (await c.get("/tracking/search", params={"q": "bharat"}, headers=coord)).json() == []

    report = await rebuild(svc.runtime)
    print(f"\ntracking rebuild: {report.records_read} records, {report.orders_rebuilt} orders in "
          f"{report.seconds * 1000:.0f} ms (live folds held {report.lock_seconds * 1000:.0f} ms)")
    published = len(a) + len(b) + 1
    assert report.records_read == published + 3  # + the customer, the undecodable record, the double
    assert report.messages_folded == published
    assert (report.orders_rebuilt, report.quotations) == (2, 2)
    assert (report.ignored, report.skipped, report.doubles) == (1, 1, 1)
    assert (report.left_to_live, report.failed, report.tail_records, report.orders_dropped) == (0, 0, 0, 0)

    # The tables are back, row for row (documents, versions, search terms, shipments, quotations).
    assert await table_rows(svc) == before
    # The hot view is back before anyone asks for the page.
    for order_id, view in live.items():
        hot = await cached(svc, order_id)
        assert hot is not None and comparable(hot) == comparable(view)
    async with svc.client() as c:
        for order_id, view in live.items():
            got = await page(c, order_id, coord)
            assert got is not None and comparable(got) == comparable(view)
        for q, order_id in [("bharat stores", "ord-rb-2"), ("mh12xy9876", "ord-rb-2"), ("381001234567", "ord-rb-1"),
                            ("QT/ord-rb-2", "ord-rb-2"), ("SO/26-27/RB0002", "ord-rb-2")]:
            r = await c.get("/tracking/search", params={"q": q}, headers=coord)
            assert r.status_code == 200, r.text
            assert [h["order_id"] for h in r.json()] == [order_id], (q, r.json())
        own = bearer(issuer, "customer", customer_id="cus-1002")
        assert (await c.get("/tracking/orders/ord-rb-2", headers=own)).status_code == 200
        assert (await c.get("/tracking/orders/ord-rb-1", headers=own)).status_code == 403

    # A second rebuild over an intact projection changes nothing but what no message backs (a stray view).
    stray = domain.derive(domain.new_view("ord-stray"), NOW)
    async with svc.runtime.sessions() as session, session.begin():
        await store.save(session, stray, 0, NOW)
    await tracking_of(svc.runtime).cache.put("ord-stray", store.dumps(stray))
    assert await cached(svc, "ord-stray") is not None
    again = await rebuild(svc.runtime)
    assert (again.orders_rebuilt, again.orders_dropped) == (2, 1)
    assert await table_rows(svc) == before
    assert await cached(svc, "ord-stray") is None
    assert await tracking_of(svc.runtime).cache.get("ord-stray") is None  # its page meta gone too


async def test_messages_published_while_a_rebuild_runs_are_neither_lost_nor_doubled(
        svc: RunningService, publisher: Publisher, issuer: LocalIssuer) -> None:
    coord = bearer(issuer, "sales_coordinator")
    messages = story("ord-rb-3", stop_after="PickConfirmed")
    first, after_snapshot_msg, after_lock_msg, last = messages[:6], messages[6], messages[7], messages[8]
    assert (after_snapshot_msg.TYPE, after_lock_msg.TYPE, last.TYPE) == (
        "PickListIssued", "PickListIssued", "PickConfirmed")
    await send_folded(svc, publisher, first)
    await lose_the_projection(svc, ["ord-rb-3"])
    late: list[Envelope] = []

    async def publish_after_snapshot() -> None:
        # Published after the snapshot's end offsets: folded live (onto the lost table) before the lock.
        late.extend(await send_folded(svc, publisher, [after_snapshot_msg]))

    async def publish_after_lock() -> None:
        # Published once the rebuild holds the lock: the live fold must wait for the rebuild's commit.
        late.append(await publisher.send(after_lock_msg))
        await wait_for(lambda: _waiting_on_tracking_lock(svc), timeout=20, what="a live fold waiting on the lock")

    report = await rebuild(svc.runtime, after_snapshot=publish_after_snapshot, after_lock=publish_after_lock)
    # The message folded live after the snapshot is in the rebuilt view (the tail under the lock); the one
    # waiting on the lock is left to the live fold that waits.
    assert report.tail_records == 2
    assert report.messages_folded == len(first) + 1
    assert report.left_to_live == 1
    await wait_for(lambda: in_inbox(svc, *late), timeout=20, what="the waiting live fold done")
    await send_folded(svc, publisher, [last])
    await tracking_of(svc.runtime).drain()

    want = expected_view(messages, "ord-rb-3")
    async with svc.client() as c:
        got = await page(c, "ord-rb-3", coord)
    assert got is not None
    assert comparable(got) == comparable(want)
    assert [s["kind"] for s in got["steps"]].count("pick_list_issued") == 2  # once each, not twice
    async with svc.runtime.sessions() as session:
        version = (await session.execute(
            sa.select(tracking_order.c.version).where(tracking_order.c.order_id == "ord-rb-3"))).scalar_one()
    assert version == len(messages)  # one fold per message: nothing applied twice
    hot = await cached(svc, "ord-rb-3")
    assert hot is not None and comparable(hot) == comparable(want)


async def _waiting_on_tracking_lock(svc: RunningService) -> bool:
    async with svc.runtime.sessions() as session:
        waiting = (await session.execute(sa.text(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation IN "
            "('tracking_order'::regclass, 'tracking_quotation'::regclass)"))).scalar_one()
    return int(waiting) > 0


async def test_the_cli_rebuilds_and_prints_its_report(
        svc: RunningService, publisher: Publisher, harness: ServiceHarness, issuer: LocalIssuer) -> None:
    orders = [f"ord-cli-{i}" for i in range(1, 41)]
    stories = {o: story(o, customer_id=f"cus-{i:04d}", customer_name=f"Customer {i}", order_no=f"SO/CLI/{i:04d}",
                        ewaybill_no=f"38100{i:07d}", vehicle_no=f"KA01CL{i:04d}")
               for i, o in enumerate(orders, 1)}
    # Each order's messages in order, the orders interleaved; all of them folded live before the loss.
    envelopes = []
    for step in range(max(len(s) for s in stories.values())):
        batch = [s[step] for s in stories.values() if step < len(s)]
        for m in batch:
            envelopes.append(await publisher.send(m))
        await wait_for(lambda: in_inbox(svc, *envelopes), timeout=60, what=f"step {step} folded")
    await tracking_of(svc.runtime).drain()
    before = await table_rows(svc)
    await lose_the_projection(svc, orders)

    env = {k: v for k, v in os.environ.items() if not k.startswith("O2C_") or k in CLIENT_ENV}  # Kafka login
    env.update(O2C_SALES_DATABASE_URL=harness.urls["sales"], O2C_SALES_TOPIC_PREFIX=harness.prefix,
               O2C_SALES_CONSUMER_GROUP=svc.runtime.settings.group, O2C_KAFKA_BOOTSTRAP=harness.bootstrap,
               O2C_REDIS_URL=svc.runtime.settings.redis_url, O2C_LOG_LEVEL="WARNING")
    started = time.perf_counter()
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "o2c.sales", "tracking-rebuild", "--json"],
                                   env=env, capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    print(f"\ntracking rebuild CLI: {report['records_read']} records, {report['orders_rebuilt']} orders: "
          f"rebuild {report['seconds']:.2f} s (live folds held {report['lock_seconds'] * 1000:.0f} ms), "
          f"process {wall:.2f} s")
    assert report["records_read"] == len(envelopes) and report["messages_folded"] == len(envelopes)
    assert report["orders_rebuilt"] == len(orders) and report["quotations"] == len(orders)
    assert report["left_to_live"] == 0 and report["skipped"] == 0

    after = await table_rows(svc)
    # The CLI derives as of the wall clock; derived again as of the test's clock, every document is the live one.
    for row in after["tracking_order"]:
        domain.derive(row["doc"], NOW)
        row["updated_at"] = None
    for row in before["tracking_order"]:
        row["updated_at"] = None
    key = {"tracking_order": "order_id", "tracking_shipment": "shipment_id", "tracking_quotation": "quotation_id"}
    for table, column in key.items():
        assert {r[column]: r for r in after[table]} == {r[column]: r for r in before[table]}, table
    assert after["tracking_term"] == before["tracking_term"]
    coord = bearer(issuer, "sales_coordinator")
    async with svc.client() as c:
        got = await page(c, "ord-cli-7", coord)
    assert got is not None and got["order_no"] == "SO/CLI/0007"
    assert comparable(domain.derive(got, NOW)) == comparable(expected_view(stories["ord-cli-7"], "ord-cli-7"))


async def test_rebuild_of_17000_records_is_measured(harness: ServiceHarness) -> None:
    """1,000 orders of 17 messages. No live consumer here: the group's offsets are committed at the end, as a
    live consumer that folded everything leaves them (the rebuild keeps what lies before them)."""
    svc = await harness.start(TRACKING_ONLY, consumer=False)
    svc.runtime.extras["clock"] = lambda: NOW
    stories = {f"ord-m-{i}": story(f"ord-m-{i}", customer_id=f"cus-{i}", order_no=f"SO/M/{i:05d}")
               for i in range(1000)}
    producer = AIOKafkaProducer(bootstrap_servers=harness.bootstrap, linger_ms=20, **kafka_client_options())
    await producer.start()
    try:
        for messages in stories.values():
            for m in messages:
                env = Envelope.wrap(m, producer=m.TOPIC.split(".")[1])
                await producer.send(harness.prefix + m.TOPIC, env.to_bytes(), key=env.key.encode(),
                                    headers=env.headers())
        await producer.flush()
    finally:
        await producer.stop()
    records = sum(len(s) for s in stories.values())
    group = AIOKafkaConsumer(bootstrap_servers=harness.bootstrap, group_id=svc.runtime.settings.group + ".tracking",
                             enable_auto_commit=False, **kafka_client_options())
    await group.start()
    try:
        partitions = [TopicPartition(harness.prefix + t, p) for t in CHAIN_EVENTS for p in range(3)]
        group.assign(partitions)
        await group.commit({tp: end for tp, end in (await group.end_offsets(partitions)).items() if end})
    finally:
        await group.stop()
    try:
        report = await rebuild(svc.runtime)
        print(f"\ntracking rebuild: {report.records_read} records, {report.orders_rebuilt} orders in "
              f"{report.seconds:.1f} s (live folds would wait {report.lock_seconds:.2f} s)")
        assert (report.records_read, report.messages_folded, report.orders_rebuilt) == (records, records, 1000)
        assert (report.left_to_live, report.skipped, report.failed) == (0, 0, 0)
        async with svc.runtime.sessions() as session:
            docs = dict((await session.execute(sa.select(tracking_order.c.order_id, tracking_order.c.doc))).all())
        assert set(docs) == set(stories)
        for order_id in ("ord-m-0", "ord-m-500", "ord-m-999"):
            assert comparable(docs[order_id]) == comparable(expected_view(stories[order_id], order_id))
        hot = await cached(svc, "ord-m-999")
        assert hot is not None and hot["order_no"] == "SO/M/00999"
    finally:
        await tracking_of(svc.runtime).cache.close()
