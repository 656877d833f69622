"""A read model consumes apart from the use cases (issue 15): its own group, transactions, inbox, dead letters
and parked keys. Both handle the same message ids; a projection that fails on every message dead-letters and
parks in its own tables only, and the use case's state, inbox and keys are untouched by it."""

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
from o2c.kit.messaging.schema import MessagingTables, consumer_tables, messaging_tables
from o2c.kit.testing import create_topics, delete_prefixed_topics, wait_for

if TYPE_CHECKING:
    from o2c.kit.testing import TestDatabases

pytestmark = pytest.mark.integration


async def test_a_failing_read_model_never_touches_the_use_cases_messages(
        scratch_databases: TestDatabases, kafka_bootstrap: str, run_prefix: str) -> None:
    prefix = f"{run_prefix}rm{uuid.uuid4().hex[:6]}."
    topic = "o2c.sales.events.v1"
    await create_topics(kafka_bootstrap, [prefix + topic], partitions=2)
    engine = make_engine(await scratch_databases.create("readmodel"))
    metadata = sa.MetaData()
    messaging_tables(metadata)
    consumer_tables(metadata, "view_")
    state = sa.Table("state", metadata, sa.Column("order_id", sa.Text, primary_key=True))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)

    async def use_case(message: Message, ctx: MessageContext) -> None:
        await ctx.session.execute(state.insert().values(order_id=ctx.envelope.key))

    async def projection(message: Message, ctx: MessageContext) -> None:
        raise PermanentError("the view cannot fold this")

    orders = [f"ORD-{i}" for i in range(4)]
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, **kafka_client_options())
    await producer.start()
    try:
        for order_id in orders:
            message = OrderCancelled(order_id=order_id, order_no=order_id, customer_id="C1",
                                     reason=CancellationReason.OTHER, cancelled_at=datetime.now(UTC))
            envelope = Envelope.wrap(message, producer="test")
            await producer.send(prefix + topic, envelope.to_bytes(), key=order_id.encode(), headers=envelope.headers())
        await producer.flush()
    finally:
        await producer.stop()
    sessions = make_sessionmaker(engine)
    view_tables = MessagingTables(prefix="view_")
    main = MessageConsumer(service="sales", sessions=sessions, bootstrap=kafka_bootstrap, group=f"{prefix}rm",
                           topics=[topic], handlers={"OrderCancelled": use_case}, topic_prefix=prefix)
    view = MessageConsumer(service="sales", sessions=sessions, bootstrap=kafka_bootstrap, group=f"{prefix}rm.view",
                           topics=[topic], handlers={"OrderCancelled": projection}, topic_prefix=prefix,
                           max_attempts=2, tables=view_tables)
    tasks = [asyncio.create_task(main.run()), asyncio.create_task(view.run())]

    async def count(table: sa.Table) -> int:
        async with sessions() as session:
            return int((await session.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())

    try:
        await wait_for(lambda: asyncio.sleep(0, main.handled == len(orders)), timeout=60, what="use case done")
        await wait_for(lambda: asyncio.sleep(0, view.dead_lettered == len(orders)), timeout=60,
                       what="projection dead-lettered")
    finally:
        main.stop()
        view.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
    try:
        main_tables = main.tables
        assert await count(state) == len(orders)
        async with sessions() as session:
            main_ids = set((await session.execute(sa.select(main_tables.inbox.c.message_id))).scalars())
            view_ids = set((await session.execute(sa.select(view_tables.inbox.c.message_id))).scalars())
        assert main_ids == view_ids and len(main_ids) == len(orders)  # the same ids, claimed once per group
        assert await count(main_tables.dead_letter) == 0 and await count(main_tables.parked_key) == 0
        assert await count(view_tables.dead_letter) == len(orders)
        assert await count(view_tables.parked_key) == len(orders)
    finally:
        await engine.dispose()
        await delete_prefixed_topics(kafka_bootstrap, prefix)
