"""Notify on the real stack: events in over Kafka, messages recorded in the outbox mail, CustomerNotified out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from o2c.contracts import samples
from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.topics import events_topic
from o2c.contracts.v1.credit import CreditHeld
from o2c.contracts.v1.dispatch import ShipmentDispatched
from o2c.contracts.v1.sales import CustomerApproved, OrderCancelled
from o2c.kit.db import make_engine
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.testing import RunningService, ServiceHarness, bearer, wait_for
from o2c.notify.app import DEFINITION

pytestmark = pytest.mark.integration


async def publish(harness: ServiceHarness, producer: str, *envelopes: Envelope) -> None:
    kafka = AIOKafkaProducer(bootstrap_servers=harness.bootstrap, **kafka_client_options())
    await kafka.start()
    try:
        for env in envelopes:
            await kafka.send_and_wait(harness.prefix + events_topic(producer), env.to_bytes(), key=env.key.encode(),
                                      headers=env.headers())
    finally:
        await kafka.stop()


def wrap(message: Message, producer: str) -> Envelope:
    return Envelope.wrap(message, producer=producer)


async def scalar(harness: ServiceHarness, sql: str, **params: Any) -> Any:
    engine = make_engine(harness.urls["notify"], pool_size=1)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(sa.text(sql), params)).scalar()
    finally:
        await engine.dispose()


async def notifications(svc: RunningService, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    async with svc.client(**headers) as c:
        response = await c.get("/notifications", params=params)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found


def dispatched(order_id: str, customer_id: str = samples.CUSTOMER_ID) -> ShipmentDispatched:
    return samples.sample(ShipmentDispatched).model_copy(update={
        "order_id": order_id, "shipment_id": "shp-" + order_id, "customer_id": customer_id,
        "expected_delivery_date": None, "dispatched_at": datetime(2026, 5, 4, 7, 0, tzinfo=UTC)})


async def test_one_message_per_dispatch_even_when_redelivered(harness: ServiceHarness, issuer: LocalIssuer) -> None:
    svc = await harness.start(DEFINITION)
    order_id = "ord-" + uuid.uuid4().hex[:8]
    first = wrap(dispatched(order_id), "dispatch")
    resent = wrap(dispatched(order_id), "dispatch")  # dispatch published the same gate-out again
    await publish(harness, "dispatch", first, first, resent)
    await wait_for(lambda: scalar(harness, "SELECT count(*) >= 2 FROM inbox"), what="both envelopes consumed")
    headers = bearer(issuer, "sales_coordinator")
    sent = await wait_for(lambda: notifications(svc, headers, order_id=order_id), what="notification")
    assert sorted(m["channel"] for m in sent) == ["email", "whatsapp"]  # one per channel the contact asked for
    email = next(m for m in sent if m["channel"] == "email")
    assert email["recipient"] == samples.CONTACT.email
    body = email["body"]
    for expected in (samples.INVOICE_NO, f"/invoices/{samples.INVOICE_ID}/pdf", samples.EWAYBILL_NO, "KA01AB1234",
                     "VRL Logistics", "LR-558812", "Expected delivery: 6 May 2026"):
        assert expected in body, (expected, body)
    notified = await scalar(harness, "SELECT count(*) FROM outbox WHERE type = 'CustomerNotified' AND key = :k",
                            k=order_id)
    assert notified == 1


async def test_a_customer_reads_only_its_own_notifications(harness: ServiceHarness, issuer: LocalIssuer) -> None:
    svc = await harness.start(DEFINITION)
    order_id = "ord-" + uuid.uuid4().hex[:8]
    await publish(harness, "dispatch", wrap(dispatched(order_id), "dispatch"))
    own = bearer(issuer, "customer", customer_id=samples.CUSTOMER_ID)
    other = bearer(issuer, "customer", customer_id="cus-9999")
    assert await wait_for(lambda: notifications(svc, own, order_id=order_id), what="own notifications")
    async with svc.client(**other) as c:
        by_customer = await c.get("/notifications", params={"customer_id": samples.CUSTOMER_ID})
        assert by_customer.status_code == 403
        assert by_customer.headers["content-type"].startswith("application/problem+json")
        by_order = await c.get("/notifications", params={"order_id": order_id})
        assert by_order.status_code == 403
        mine = await c.get("/notifications")
        assert mine.status_code == 200 and mine.json() == []
    async with svc.client(**own) as c:
        listed = (await c.get("/notifications")).json()
        assert {m["customer_id"] for m in listed} == {samples.CUSTOMER_ID}
        one = await c.get(f"/notifications/{listed[0]['notification_id']}")
        assert one.status_code == 200
    async with svc.client(**other) as c:
        assert (await c.get(f"/notifications/{listed[0]['notification_id']}")).status_code == 403


async def test_hold_uses_the_contact_replica_and_cancellation_is_notified(harness: ServiceHarness,
                                                                          issuer: LocalIssuer) -> None:
    svc = await harness.start(DEFINITION)
    customer_id, order_id = "cus-" + uuid.uuid4().hex[:6], "ord-" + uuid.uuid4().hex[:8]
    approved = samples.sample(CustomerApproved).model_copy(update={"customer_id": customer_id})
    held = samples.sample(CreditHeld).model_copy(update={
        "order_id": order_id, "customer_id": customer_id,
        "sanction_due_by": datetime.now(UTC) + timedelta(hours=4)})
    cancelled = samples.sample(OrderCancelled).model_copy(update={
        "order_id": order_id, "customer_id": customer_id, "contact": None})
    await publish(harness, "sales", wrap(approved, "sales"))
    await wait_for(lambda: scalar(harness, "SELECT count(*) FROM customer_contact WHERE customer_id = :c",
                                  c=customer_id), what="contact replica")
    await publish(harness, "credit", wrap(held, "credit"))
    await publish(harness, "sales", wrap(cancelled, "sales"))
    headers = bearer(issuer, "sales_head")

    async def both() -> list[dict[str, Any]] | None:
        found = await notifications(svc, headers, customer_id=customer_id)
        return found if {m["kind"] for m in found} == {"credit_hold", "order_cancelled"} else None

    sent = await wait_for(both, what="hold and cancellation told")
    assert all(m["status"] == "delivered" for m in sent)
    hold = next(m for m in sent if m["kind"] == "credit_hold" and m["channel"] == "email")
    assert samples.CONTACT.email == hold["recipient"]
    assert "Arun Retail LLP" in hold["body"]
    types = await scalar(harness, "SELECT string_agg(type, ',' ORDER BY id) FROM outbox WHERE key = :k", k=order_id)
    assert types == "CustomerNotified"  # the hold has no v1 subject; the cancellation does


async def test_no_contact_is_a_visible_failure(harness: ServiceHarness, issuer: LocalIssuer) -> None:
    svc = await harness.start(DEFINITION)
    order_id = "ord-" + uuid.uuid4().hex[:8]
    message = dispatched(order_id, customer_id="cus-nocontact").model_copy(update={"contact": None})
    await publish(harness, "dispatch", wrap(message, "dispatch"))
    sent = await wait_for(lambda: notifications(svc, bearer(issuer, "sales_coordinator"), order_id=order_id),
                          what="failure recorded")
    assert sent[0]["status"] == "failed" and "no contact" in sent[0]["detail"]
    assert await wait_for(lambda: scalar(
        harness, "SELECT type FROM outbox WHERE key = :k", k=order_id), what="failure event") == (
        "CustomerNotificationFailed")
