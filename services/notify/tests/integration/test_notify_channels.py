"""Notify's real channels on the real stack: e-mail read back from a local SMTP server (aiosmtpd), and
signed webhooks to a local receiver — once per event under redelivery; a receiver down → retried, then dead."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message as EmailMessage
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiosmtpd.controller import Controller
from o2c.contracts import samples
from o2c.contracts.envelope import Envelope
from o2c.contracts.topics import events_topic
from o2c.contracts.v1.dispatch import ShipmentDispatched
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.testing import RecordingServer, ServiceHarness, bearer, serve_customer, wait_for
from o2c.notify.app import DEFINITION
from o2c.notify.domain.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, verify
from o2c.testsupport.waits import settled

pytestmark = pytest.mark.integration

SECRETS_KEY = "test-only-" + uuid.uuid4().hex  # made up per run; the real one comes from the environment


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def publish(harness: ServiceHarness, *envelopes: Envelope) -> None:
    kafka = AIOKafkaProducer(bootstrap_servers=harness.bootstrap, **kafka_client_options())
    await kafka.start()
    try:
        for env in envelopes:
            await kafka.send_and_wait(harness.prefix + events_topic("dispatch"), env.to_bytes(),
                                      key=env.key.encode(), headers=env.headers())
    finally:
        await kafka.stop()


def dispatched(order_id: str) -> ShipmentDispatched:
    return samples.sample(ShipmentDispatched).model_copy(update={
        "order_id": order_id, "shipment_id": "shp-" + order_id, "expected_delivery_date": None,
        "dispatched_at": datetime(2026, 5, 4, 7, 0, tzinfo=UTC)})


# --- e-mail over a real SMTP server ---------------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


async def test_the_same_dispatch_twice_is_one_email_on_the_smtp_server(
        harness: ServiceHarness, smtp_server: tuple[int, Inbox]) -> None:
    port, inbox = smtp_server
    svc = await harness.start(DEFINITION, notify_email_adapter="smtp", notify_smtp_host="127.0.0.1",
                              notify_smtp_port=port, notify_smtp_starttls=False)
    order_id = "ord-" + uuid.uuid4().hex[:8]
    message = dispatched(order_id)
    first, resent = Envelope.wrap(message, producer="dispatch"), Envelope.wrap(message, producer="dispatch")
    await publish(harness, first, first, resent)  # redelivered, and published again by dispatch

    async def arrived() -> list[EmailMessage] | None:
        return inbox.messages or None

    await wait_for(arrived, what="an e-mail on the SMTP server")
    await settled(svc)  # the redeliveries consumed and committed: they sent nothing
    assert len(inbox.messages) == 1, [m["Subject"] for m in inbox.messages]
    mail = inbox.messages[0]
    assert mail["To"] == samples.CONTACT.email
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes)
    text = body.decode()
    for expected in (samples.INVOICE_NO, samples.EWAYBILL_NO, "KA01AB1234"):
        assert expected in text, (expected, text)


# --- webhooks to a local receiver -----------------------------------------------------------------
# The receiver listens on 127.0.0.1, which the URL policy refuses; "receiver.test" is a development host mapped
# to it by the test's settings (empty in production).

DEV_HOST = "receiver.test"


def hook(port: int, path: str = "/o2c/notifications") -> str:
    return f"http://{DEV_HOST}:{port}{path}"


async def deliveries(svc: Any, issuer: LocalIssuer, **params: str) -> list[dict[str, Any]]:
    async with svc.client(**bearer(issuer, "sre")) as c:
        response = await c.get("/webhook-deliveries", params=params)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found


async def subscribe(svc: Any, issuer: LocalIssuer, url: str, *roles: str, customer_id: str | None = None,
                    **claims: Any) -> dict[str, Any]:
    async with svc.client(**bearer(issuer, *(roles or ("sre",)), **claims)) as c:
        response = await c.post("/webhooks", json={"url": url, "customer_id": customer_id})
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def fast_webhooks(attempts: int) -> dict[str, Any]:
    return dict(notify_webhook_secrets_key=SECRETS_KEY, notify_webhook_dev_hosts={DEV_HOST: "127.0.0.1"},
                notify_webhook_max_attempts=attempts, notify_webhook_backoff_seconds=0.2,
                notify_webhook_backoff_max_seconds=1.0, notify_webhook_sweep_seconds=0.1,
                notify_webhook_timeout_seconds=2.0)


async def test_the_same_dispatch_twice_is_one_signed_webhook_delivery(harness: ServiceHarness,
                                                                      issuer: LocalIssuer) -> None:
    with RecordingServer() as receiver:
        svc = await harness.start(DEFINITION, **fast_webhooks(attempts=3))
        made = await subscribe(svc, issuer, hook(receiver.port))  # SRE: every customer
        order_id = "ord-" + uuid.uuid4().hex[:8]
        message = dispatched(order_id)
        first, resent = Envelope.wrap(message, producer="dispatch"), Envelope.wrap(message, producer="dispatch")
        await publish(harness, first, first, resent)

        async def delivered() -> list[dict[str, Any]] | None:
            found = await deliveries(svc, issuer, order_id=order_id, status="delivered")
            return found or None

        rows = await wait_for(delivered, what="webhook delivered")
        await settled(svc)  # the redeliveries are consumed and queued nothing more
        assert len(receiver.received) == 1
        assert len(await deliveries(svc, issuer, order_id=order_id)) == 1
        assert rows[0]["attempt_count"] == 1 and rows[0]["attempts"][0]["status"] == 204
        assert rows[0]["subscription_id"] == made["subscription_id"]
        _, headers, body = receiver.received[0]
        assert headers["host"] == f"{DEV_HOST}:{receiver.port}"
        delivery_id = headers[DELIVERY_HEADER.lower()]
        assert delivery_id == rows[0]["delivery_id"]
        assert verify(made["secret"], headers[SIGNATURE_HEADER.lower()], delivery_id, body, now=int(time.time()))
        assert not verify("another-secret", headers[SIGNATURE_HEADER.lower()], delivery_id, body,
                          now=int(time.time()))
        payload = json.loads(body)
        assert payload["kind"] == "dispatched" and payload["order_id"] == order_id
        assert payload["event_key"] == f"dispatched:shp-{order_id}" and payload["delivery_id"] == delivery_id
        for expected in (samples.INVOICE_NO, samples.EWAYBILL_NO, "KA01AB1234"):
            assert expected in payload["body"], expected


async def test_a_rotated_secret_keeps_signing_beside_the_new_one_for_its_grace_window(
        harness: ServiceHarness, issuer: LocalIssuer) -> None:
    with RecordingServer() as receiver:
        svc = await harness.start(DEFINITION, **fast_webhooks(attempts=3))
        made = await subscribe(svc, issuer, hook(receiver.port))
        path = f"/webhooks/{made['subscription_id']}/secret"
        async with svc.client(**bearer(issuer, "sre")) as c:
            refused = await c.post(path, params={"keep_previous_hours": 100})
            assert refused.status_code == 422 and "keep_previous_hours" in refused.text
            rotated = await c.post(path)  # the default grace: the first secret still signs
            assert rotated.status_code == 200, rotated.text
        second = rotated.json()
        assert second["secret"] != made["secret"] and second["previous_secret_until"]

        async def received(count: int) -> tuple[dict[str, str], bytes]:
            async def arrived() -> bool:
                return len(receiver.received) >= count
            await wait_for(arrived, what=f"webhook {count} received")
            _, headers, body = receiver.received[count - 1]
            return headers, body

        await publish(harness, Envelope.wrap(dispatched("ord-" + uuid.uuid4().hex[:8]), producer="dispatch"))
        headers, body = await received(1)
        header, delivery_id = headers[SIGNATURE_HEADER.lower()], headers[DELIVERY_HEADER.lower()]
        now = int(time.time())
        assert header.count("v1=") == 2
        assert verify(second["secret"], header, delivery_id, body, now=now)
        assert verify(made["secret"], header, delivery_id, body, now=now)  # a receiver not yet switched over

        async with svc.client(**bearer(issuer, "sre")) as c:
            third = (await c.post(path, params={"keep_previous_hours": 0})).json()  # a leak: stop the old at once
        assert third["previous_secret_until"] is None
        await publish(harness, Envelope.wrap(dispatched("ord-" + uuid.uuid4().hex[:8]), producer="dispatch"))
        headers, body = await received(2)
        header, delivery_id = headers[SIGNATURE_HEADER.lower()], headers[DELIVERY_HEADER.lower()]
        now = int(time.time())
        assert header.count("v1=") == 1
        assert verify(third["secret"], header, delivery_id, body, now=now)
        assert not verify(second["secret"], header, delivery_id, body, now=now)
        assert not verify(made["secret"], header, delivery_id, body, now=now)


async def test_a_receiver_down_is_retried_then_dead_with_the_attempts_listed(harness: ServiceHarness,
                                                                             issuer: LocalIssuer) -> None:
    down = hook(free_port())  # nothing listens there
    svc = await harness.start(DEFINITION, **fast_webhooks(attempts=3))
    await subscribe(svc, issuer, down)
    order_id = "ord-" + uuid.uuid4().hex[:8]
    await publish(harness, Envelope.wrap(dispatched(order_id), producer="dispatch"))

    async def dead() -> list[dict[str, Any]] | None:
        found = [d for d in await deliveries(svc, issuer, status="dead") if d["order_id"] == order_id]
        return found or None

    rows = await wait_for(dead, what="webhook dead-lettered")
    assert len(rows) == 1
    row = rows[0]
    assert row["url"] == down and row["attempt_count"] == 3 and row["next_attempt_at"] is None
    assert [a["attempt"] for a in row["attempts"]] == [1, 2, 3]
    for attempt in row["attempts"]:
        assert attempt["status"] is None and "Connect" in attempt["error"], attempt
        datetime.fromisoformat(attempt["at"])
    times = [datetime.fromisoformat(a["at"]) for a in row["attempts"]]
    assert times[1] - times[0] >= timedelta(seconds=0.2) and times[2] - times[1] >= timedelta(seconds=0.4)
    async with svc.client(**bearer(issuer, "sales_coordinator")) as c:
        assert (await c.get("/webhook-deliveries", params={"status": "dead"})).status_code == 403


async def test_a_partner_subscribes_per_customer_over_http(harness: ServiceHarness, issuer: LocalIssuer) -> None:
    with RecordingServer() as receiver:
        svc = await harness.start(DEFINITION, **fast_webhooks(attempts=3))
        partner_id = "ptn-" + uuid.uuid4().hex[:6]
        partner = bearer(issuer, "partner", partner_id=partner_id)
        await serve_customer(svc, samples.CUSTOMER_ID, partner_id)  # as sales' CustomerUpdated would say
        async with svc.client(**partner) as c:
            made = await c.post("/webhooks", json={"url": hook(receiver.port), "customer_id": samples.CUSTOMER_ID})
            assert made.status_code == 201, made.text
            assert made.json()["customer_id"] == samples.CUSTOMER_ID and made.json()["secret"]
            again = await c.post("/webhooks", json={"url": hook(receiver.port), "customer_id": samples.CUSTOMER_ID})
            assert again.status_code == 409 and again.json()["subscription_id"] == made.json()["subscription_id"]
            assert (await c.post("/webhooks", json={"url": "not a url", "customer_id": samples.CUSTOMER_ID})
                    ).status_code == 422
        async with svc.client(**bearer(issuer, "sales_coordinator")) as c:
            assert (await c.post("/webhooks", json={"url": hook(receiver.port)})).status_code == 403
        mine, other = "ord-" + uuid.uuid4().hex[:8], "ord-" + uuid.uuid4().hex[:8]
        await publish(harness, Envelope.wrap(dispatched(other).model_copy(update={"customer_id": "cus-other"}),
                                             producer="dispatch"),
                      Envelope.wrap(dispatched(mine), producer="dispatch"))

        async def delivered() -> list[dict[str, Any]] | None:
            return await deliveries(svc, issuer, status="delivered") or None

        await wait_for(delivered, what="the customer's webhook delivered")
        await settled(svc)  # both dispatches handled: the other customer's queued nothing
        rows = await deliveries(svc, issuer)
        assert [r["order_id"] for r in rows] == [mine]
        assert len(receiver.received) == 1
