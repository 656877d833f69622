"""Notify's partner feed on the real stack: order events in over Kafka, each onboarded partner serving the customer
gets its statuses once (a redelivered event adds nothing), in order, on its own topic; a partner without a topic and
a customer no partner serves get nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from o2c.contracts import samples
from o2c.contracts.catalog import decode_bytes
from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.topics import events_topic, partner_topic
from o2c.contracts.v1.dispatch import ShipmentDispatched
from o2c.contracts.v1.sales import CustomerUpdated, OrderConfirmed
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.testing import ServiceHarness, create_topics, wait_for
from o2c.notify.app import DEFINITION
from o2c.testsupport.waits import caught_up

pytestmark = pytest.mark.integration


async def publish(harness: ServiceHarness, producer: str, *messages: Message | Envelope) -> list[Envelope]:
    from aiokafka import AIOKafkaProducer

    envelopes = [m if isinstance(m, Envelope) else Envelope.wrap(m, producer=producer) for m in messages]
    kafka = AIOKafkaProducer(bootstrap_servers=harness.bootstrap, **kafka_client_options())
    await kafka.start()
    try:
        for env in envelopes:
            await kafka.send_and_wait(harness.prefix + events_topic(producer), env.to_bytes(), key=env.key.encode(),
                                      headers=env.headers())
    finally:
        await kafka.stop()
    return envelopes


async def read_all(bootstrap: str, topic: str, expected: int) -> list[tuple[str, Any]]:
    """(key, status) of the first `expected` records on the topic, then whatever else arrived with them."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None, **kafka_client_options())
    await consumer.start()
    found: list[tuple[str, Any]] = []
    try:
        async def enough() -> bool:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found.extend((r.key.decode(), decode_bytes(r.value)[1]) for r in records if r.key and r.value)
            return len(found) >= expected

        await wait_for(enough, timeout=60, what=f"{expected} records on {topic}")
    finally:
        await consumer.stop()
    return found


async def test_each_onboarded_partner_serving_the_customer_gets_the_statuses_once_in_order(
        harness: ServiceHarness) -> None:
    await harness.start(DEFINITION)
    acme = harness.prefix + partner_topic("acme")
    await create_topics(harness.bootstrap, [acme], partitions=3)  # the onboarding; globex is bound, not onboarded
    served, unserved = "cus-" + uuid.uuid4().hex[:6], "cus-" + uuid.uuid4().hex[:6]
    order_id, other_order = "ord-" + uuid.uuid4().hex[:8], "ord-" + uuid.uuid4().hex[:8]
    bound = samples.sample(CustomerUpdated).model_copy(update={"customer_id": served, "revision": 2,
                                                               "partner_ids": ["acme", "globex"]})
    await publish(harness, "sales", bound)
    await wait_for(lambda: _scalar(harness, "SELECT count(*) FROM customer_scope WHERE customer_id = :c", c=served),
                   what="the binding in notify's replica")

    confirmed = samples.sample(OrderConfirmed).model_copy(update={"order_id": order_id, "customer_id": served})
    gone = samples.sample(ShipmentDispatched).model_copy(update={"order_id": order_id, "customer_id": served,
                                                                 "shipment_id": "shp-" + order_id})
    theirs = samples.sample(OrderConfirmed).model_copy(update={"order_id": other_order, "customer_id": unserved})
    [first] = await publish(harness, "sales", confirmed)
    await publish(harness, "sales", first, theirs)  # the same envelope again (a redelivery), another customer's
    await publish(harness, "dispatch", gone)

    feed = await read_all(harness.bootstrap, acme, expected=4)
    assert [type(s).__name__ for _, s in feed] == [
        "PartnerOrderConfirmed", "PartnerOrderInvoiced", "PartnerEwayBillGenerated", "PartnerShipmentDispatched"]
    assert {key for key, _ in feed} == {order_id} and {s.customer_id for _, s in feed} == {served}

    # Everything notify was given is handled (its group committed past every record, the redelivery too): its
    # outbox holds all it will ever send of them, and that is the four above.
    await caught_up(harness.bootstrap, f"{harness.prefix}notify",
                    [harness.prefix + events_topic("sales"), harness.prefix + events_topic("dispatch")])
    rows = await _rows(harness, "SELECT topic, type, key FROM outbox WHERE topic LIKE '%o2c.partner.%' ORDER BY id")
    assert [(topic, key) for topic, _, key in rows] == [(acme, order_id)] * 4  # once, only acme, not globex


async def _scalar(harness: ServiceHarness, sql: str, **params: Any) -> Any:
    rows = await _rows(harness, sql, **params)
    return rows[0][0] if rows else None


async def _rows(harness: ServiceHarness, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    import sqlalchemy as sa
    from o2c.kit.db import make_engine

    engine = make_engine(harness.urls["notify"], pool_size=1)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(sa.text(sql), params)).all()]
    finally:
        await engine.dispose()
