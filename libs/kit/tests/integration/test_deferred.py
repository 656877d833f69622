"""Work a handler defers runs once per batch, before the commit (tracking folds an order's records into its view
and writes it once); a batch redone record by record after a failure is not batched and writes at once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.v1.sales import CancellationReason, OrderCancelled
from o2c.kit.db import make_engine, make_sessionmaker
from o2c.kit.messaging.consumer import MessageConsumer, MessageContext
from o2c.kit.messaging.errors import PermanentError
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.messaging.schema import messaging_tables
from o2c.kit.testing import create_topics, delete_prefixed_topics, wait_for

if TYPE_CHECKING:
    from o2c.kit.testing import TestDatabases

pytestmark = pytest.mark.integration


async def test_deferred_work_runs_once_per_batch_before_commit_and_not_in_a_redo(
        scratch_databases: TestDatabases, kafka_bootstrap: str, run_prefix: str) -> None:
    prefix = f"{run_prefix}defer{uuid.uuid4().hex[:6]}."
    topic = "o2c.sales.events.v1"
    await create_topics(kafka_bootstrap, [prefix + topic], partitions=1)
    engine = make_engine(await scratch_databases.create("deferred"))
    metadata = sa.MetaData()
    messaging_tables(metadata)
    notes = sa.Table("notes", metadata, sa.Column("note", sa.Text, primary_key=True),
                     sa.Column("how", sa.Text, nullable=False))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    writes: list[list[str]] = []

    async def handle(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, OrderCancelled)
        if message.note == "poison":
            raise PermanentError("never passes")
        if not ctx.batched:
            await ctx.session.execute(notes.insert().values(note=message.note, how="at once"))
            return
        pending: list[str] = ctx.session.info.setdefault("notes", [])
        pending.append(message.note)

        async def write() -> None:
            batch = ctx.session.info.pop("notes")
            writes.append(batch)
            await ctx.session.execute(notes.insert(), [{"note": n, "how": "deferred"} for n in batch])

        ctx.defer("notes", write)

    async def send(*texts: str) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, **kafka_client_options())
        await producer.start()
        try:
            for text in texts:
                envelope = Envelope.wrap(OrderCancelled(order_id="ORD-1", order_no="SO-1", customer_id="C1",
                                                        reason=CancellationReason.OTHER, note=text,
                                                        cancelled_at=datetime.now(UTC)), producer="sales")
                await producer.send(prefix + topic, envelope.to_bytes(), key=b"ORD-1", headers=envelope.headers())
            await producer.flush()
        finally:
            await producer.stop()

    sessions = make_sessionmaker(engine)
    consumer = MessageConsumer(service="sales", sessions=sessions, bootstrap=kafka_bootstrap, group=f"{prefix}g",
                               topics=[topic], handlers={"OrderCancelled": handle}, topic_prefix=prefix,
                               max_attempts=1)

    async def stored() -> dict[str, str]:
        async with sessions() as session:
            return {n: h for n, h in (await session.execute(sa.select(notes.c.note, notes.c.how))).all()}

    await send("a1", "a2", "a3")
    task = asyncio.create_task(consumer.run())
    try:
        await wait_for(lambda: asyncio.sleep(0, consumer.handled == 3), timeout=60, what="3 handled")
        assert await stored() == {"a1": "deferred", "a2": "deferred", "a3": "deferred"}
        assert sorted(n for batch in writes for n in batch) == ["a1", "a2", "a3"]  # each once, per batch
        await send("b1", "poison", "b2")
        # The poison is dead-lettered and b2, behind it on the same key, parked.
        await wait_for(lambda: asyncio.sleep(0, consumer.dead_lettered == 2), timeout=60, what="poison dead")
        found = await stored()
        # Whatever the polls were, the batch with the poison was rolled back and redone record by record: b1 was
        # written at once there, and nothing deferred in the rolled-back attempt survived.
        assert found == {"a1": "deferred", "a2": "deferred", "a3": "deferred", "b1": "at once"}
        assert sorted(n for batch in writes for n in batch) == ["a1", "a2", "a3"]
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 30)
        await engine.dispose()
        await delete_prefixed_topics(kafka_bootstrap, prefix)
