"""One lane per key (issue 15): one order's messages arriving on several topics are never handled concurrently.
An order's key lands in the same partition index of every topic; before, the consumer handled every partition
of a poll at once, each in its own transaction, so two transactions could work on one order and deadlock."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord, TopicPartition
from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.v1.sales import CancellationReason, OrderCancelled
from o2c.kit.db import make_engine, make_sessionmaker
from o2c.kit.messaging.consumer import MessageConsumer, MessageContext, key_lanes
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.messaging.schema import messaging_tables
from o2c.kit.testing import create_topics, delete_prefixed_topics, wait_for

if TYPE_CHECKING:
    from o2c.kit.testing import TestDatabases

pytestmark = pytest.mark.integration


def _record(topic: str, partition: int, key: str) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(topic, partition, 0, 0, 0, key.encode(), b"", None, 0, 0, [])


def test_partitions_sharing_a_key_share_a_lane_and_the_rest_run_apart() -> None:
    a0, b0, a1, b2 = (TopicPartition("a", 0), TopicPartition("b", 0), TopicPartition("a", 1), TopicPartition("b", 2))
    work = [(a0, [_record("a", 0, "o1")]), (a1, [_record("a", 1, "o2")]),
            (b0, [_record("b", 0, "o3"), _record("b", 0, "o1")]), (b2, [_record("b", 2, "o4")])]
    lanes = [[tp for tp, _ in lane] for lane in key_lanes(work)]
    assert sorted(lanes) == sorted([[a0, b0], [a1], [b2]])


async def test_one_orders_messages_on_several_topics_are_never_handled_concurrently(
        scratch_databases: TestDatabases, kafka_bootstrap: str, run_prefix: str) -> None:
    prefix = f"{run_prefix}lanes{uuid.uuid4().hex[:6]}."
    topics = ["o2c.sales.events.v1", "o2c.dispatch.events.v1", "o2c.credit.events.v1"]
    await create_topics(kafka_bootstrap, [prefix + t for t in topics], partitions=3)
    engine = make_engine(await scratch_databases.create("lanes"))
    metadata = sa.MetaData()
    messaging_tables(metadata)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    in_flight: Counter[str] = Counter()
    most: Counter[str] = Counter()
    handled: list[str] = []

    async def handle(message: Message, ctx: MessageContext) -> None:
        key = ctx.envelope.key
        in_flight[key] += 1
        most[key] = max(most[key], in_flight[key])
        # A handler's round trips, slow enough for another lane to overlap it: a real one, 20 ms on the server.
        await ctx.session.execute(sa.text("SELECT pg_sleep(0.02)"))
        in_flight[key] -= 1
        handled.append(key)

    orders = [f"ORD-{i}" for i in range(4)]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, **kafka_client_options())
    await producer.start()
    try:
        for n in range(5):
            for topic in topics:
                for order_id in orders:
                    message = OrderCancelled(order_id=order_id, order_no=order_id, customer_id="C1",
                                             reason=CancellationReason.OTHER, note=f"{topic} {n}",
                                             cancelled_at=datetime.now(UTC))
                    envelope = Envelope.wrap(message, producer="test")
                    await producer.send(prefix + topic, envelope.to_bytes(), key=order_id.encode(),
                                        headers=envelope.headers())
        await producer.flush()
    finally:
        await producer.stop()
    consumer = MessageConsumer(service="lanes", sessions=make_sessionmaker(engine), bootstrap=kafka_bootstrap,
                               group=f"{prefix}lanes", topics=topics, handlers={"OrderCancelled": handle},
                               topic_prefix=prefix, max_poll_records=6)
    task = asyncio.create_task(consumer.run())
    try:
        total = 5 * len(topics) * len(orders)
        await wait_for(lambda: asyncio.sleep(0, len(handled) >= total), timeout=90, what=f"{total} handled")
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 30)
        await engine.dispose()
        await delete_prefixed_topics(kafka_bootstrap, prefix)
    assert set(most) == set(orders)
    assert max(most.values()) == 1, f"an order handled by two transactions at once: {dict(most)}"
