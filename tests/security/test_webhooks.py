"""Issue 14, the webhook findings, on the real stack (notify in process, Kafka, PostgreSQL, a local receiver):

1. a partner without a partner id, or for every customer, subscribed anyway; partners listed each other's
   subscriptions; none could be removed;
3. signatures could be forged: the key defaulted to "" and was shared by every partner, the delivery id unsigned;
4. webhook URLs reached loopback, link-local and metadata addresses (also spelt 0x7f000001 or 2130706433).

The receiver listens on 127.0.0.1, which the policy refuses; "receiver.test" is a development host mapped to it
by these tests' settings (production has none)."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from o2c.contracts import samples
from o2c.contracts.envelope import Envelope
from o2c.contracts.topics import events_topic
from o2c.contracts.v1.dispatch import ShipmentDispatched
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.service import build_app, build_runtime
from o2c.kit.testing import RecordingServer, RunningService, ServiceHarness, bearer, serve_customer, wait_for
from o2c.notify.app import DEFINITION
from o2c.notify.domain.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, verify
from o2c.notify.settings import NotifySettings

pytestmark = pytest.mark.integration

DEV_HOST = "receiver.test"
SECRETS_KEY = "test-only-" + uuid.uuid4().hex
SETTINGS: dict[str, Any] = dict(
    notify_webhook_secrets_key=SECRETS_KEY, notify_webhook_dev_hosts={DEV_HOST: "127.0.0.1"},
    notify_webhook_max_attempts=2, notify_webhook_backoff_seconds=0.2, notify_webhook_backoff_max_seconds=0.5,
    notify_webhook_sweep_seconds=0.1, notify_webhook_timeout_seconds=2.0)


def partner(issuer: LocalIssuer, partner_id: str | None) -> dict[str, str]:
    return bearer(issuer, "partner", **({"partner_id": partner_id} if partner_id else {}))


def new_partner_id() -> str:
    return "ptn-" + uuid.uuid4().hex[:8]


def dev_url(path: str) -> str:
    """An allowed URL that needs no DNS here (the development host; nothing need listen for these tests)."""
    return f"http://{DEV_HOST}:9/{path}"


@pytest.fixture
async def notify_http(harness: ServiceHarness) -> AsyncIterator[RunningService]:
    """Notify's HTTP API only (no consumer or relay): enough for the subscription rules."""
    yield await harness.start(DEFINITION, consumer=False, relay=False, **SETTINGS)


async def post(svc: RunningService, who: dict[str, str], url: str, customer_id: str | None = samples.CUSTOMER_ID,
               *, served: bool = True) -> Any:
    """Subscribe; `served`: notify's replica of the customer master first says the token's partner serves the
    customer (as sales' CustomerUpdated would)."""
    partner_id = jwt.decode(who["Authorization"].split(" ", 1)[1], options={"verify_signature": False}).get(
        "partner_id")
    if served and partner_id and customer_id:
        await serve_customer(svc, customer_id, partner_id)
    async with svc.client(**who) as c:
        return await c.post("/webhooks", json={"url": url, "customer_id": customer_id})


async def listed(svc: RunningService, who: dict[str, str]) -> list[str]:
    async with svc.client(**who) as c:
        response = await c.get("/webhooks")
    assert response.status_code == 200, response.text
    return [s["subscription_id"] for s in response.json()]


# --- finding 1: whose subscriptions -----------------------------------------------------------------


async def test_a_partner_token_without_a_partner_id_is_refused(notify_http: RunningService,
                                                               issuer: LocalIssuer) -> None:
    anonymous = partner(issuer, None)
    assert (await post(notify_http, anonymous, "https://partner.example/hook")).status_code == 403
    async with notify_http.client(**anonymous) as c:
        assert (await c.get("/webhooks")).status_code == 403


async def test_only_an_sre_subscribes_for_every_customer(notify_http: RunningService, issuer: LocalIssuer) -> None:
    refused = await post(notify_http, partner(issuer, new_partner_id()), dev_url("all"), None)
    assert refused.status_code == 403, refused.text
    made = await post(notify_http, bearer(issuer, "sre"), dev_url("ops"), None)
    assert made.status_code == 201, made.text
    assert made.json()["customer_id"] is None and made.json()["secret"]


async def test_a_partner_subscribes_only_for_a_customer_it_serves(notify_http: RunningService,
                                                                  issuer: LocalIssuer) -> None:
    mine, theirs = new_partner_id(), new_partner_id()
    await serve_customer(notify_http, samples.CUSTOMER_ID, theirs)
    refused = await post(notify_http, partner(issuer, mine), dev_url("not-mine"), served=False)
    assert refused.status_code == 403 and "does not serve" in refused.json()["detail"], refused.text
    refused = await post(notify_http, partner(issuer, mine), dev_url("unknown"), "cus-unknown", served=False)
    assert refused.status_code == 403, refused.text
    await serve_customer(notify_http, samples.CUSTOMER_ID, mine)  # the sales head names it: now it may
    made = await post(notify_http, partner(issuer, mine), dev_url("mine"), served=False)
    assert made.status_code == 201, made.text


async def test_a_partner_lists_rotates_and_removes_only_its_own_subscriptions(notify_http: RunningService,
                                                                              issuer: LocalIssuer) -> None:
    a, b = partner(issuer, new_partner_id()), partner(issuer, new_partner_id())
    made_a = (await post(notify_http, a, dev_url("a"))).json()
    made_b = (await post(notify_http, b, dev_url("b"))).json()
    assert made_a["secret"] != made_b["secret"]
    assert await listed(notify_http, a) == [made_a["subscription_id"]]
    assert await listed(notify_http, b) == [made_b["subscription_id"]]
    assert await listed(notify_http, bearer(issuer, "sre")) == []  # not even an operator lists them
    async with notify_http.client(**a) as c:
        listing = (await c.get("/webhooks")).json()
        assert all("secret" not in s and "secret_sealed" not in s for s in listing)  # shown once only
        theirs = made_b["subscription_id"]
        assert (await c.delete(f"/webhooks/{theirs}")).status_code == 404
        assert (await c.post(f"/webhooks/{theirs}/secret")).status_code == 404
        rotated = await c.post(f"/webhooks/{made_a['subscription_id']}/secret")
        assert rotated.status_code == 200 and rotated.json()["secret"] not in ("", made_a["secret"])
        assert (await c.delete(f"/webhooks/{made_a['subscription_id']}")).status_code == 204
        assert (await c.delete(f"/webhooks/{made_a['subscription_id']}")).status_code == 404
    assert await listed(notify_http, a) == []
    assert await listed(notify_http, b) == [made_b["subscription_id"]]


# --- finding 4: where a webhook may go ------------------------------------------------------------

FORBIDDEN = [
    "https://127.0.0.1/hook", "https://localhost/hook", "https://[::1]/hook", "https://0x7f000001/hook",
    "https://2130706433/hook", "https://127.1/hook", "https://[::ffff:127.0.0.1]/hook",
    "https://169.254.169.254/latest/meta-data/", "https://[::ffff:a9fe:a9fe]/", "https://10.0.0.5/hook",
    "https://0.0.0.0/hook", "https://224.0.0.1/hook", "http://partner.example/hook",
    "http://127.0.0.1:8107/admin", "https://partner.example/" + "a" * 2100,
]


async def test_each_forbidden_url_form_is_refused_naming_the_field(notify_http: RunningService,
                                                                   issuer: LocalIssuer) -> None:
    who = partner(issuer, new_partner_id())
    for url in FORBIDDEN:
        response = await post(notify_http, who, url)
        assert response.status_code == 422, (url, response.status_code, response.text)
        problem = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in problem["errors"]] == ["url"], (url, problem)
    assert await listed(notify_http, who) == []


# --- finding 3 (and removal at delivery): signatures ----------------------------------------------


async def publish(harness: ServiceHarness, *messages: ShipmentDispatched) -> None:
    kafka = AIOKafkaProducer(bootstrap_servers=harness.bootstrap, **kafka_client_options())
    await kafka.start()
    try:
        for message in messages:
            env = Envelope.wrap(message, producer="dispatch")
            await kafka.send_and_wait(harness.prefix + events_topic("dispatch"), env.to_bytes(),
                                      key=env.key.encode(), headers=env.headers())
    finally:
        await kafka.stop()


def dispatched(order_id: str) -> ShipmentDispatched:
    return samples.sample(ShipmentDispatched).model_copy(update={
        "order_id": order_id, "shipment_id": "shp-" + order_id, "expected_delivery_date": None,
        "dispatched_at": datetime(2026, 5, 4, 7, 0, tzinfo=UTC)})


async def deliveries(svc: RunningService, issuer: LocalIssuer, order_id: str) -> list[dict[str, Any]]:
    async with svc.client(**bearer(issuer, "sre")) as c:
        response = await c.get("/webhook-deliveries", params={"order_id": order_id})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def settled(svc: RunningService, issuer: LocalIssuer, order_id: str, count: int) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        rows = await deliveries(svc, issuer, order_id)
        return rows if len(rows) == count and all(r["status"] != "pending" for r in rows) else None

    return await wait_for(probe, what=f"{count} deliveries of {order_id} settled")


async def test_each_partner_gets_its_own_secret_over_timestamp_delivery_id_and_body(
        harness: ServiceHarness, issuer: LocalIssuer) -> None:
    with RecordingServer() as receiver:
        svc = await harness.start(DEFINITION, **SETTINGS)
        a, b = partner(issuer, new_partner_id()), partner(issuer, new_partner_id())
        url_a, url_b = f"http://{DEV_HOST}:{receiver.port}/a", f"http://{DEV_HOST}:{receiver.port}/b"
        made_a, made_b = (await post(svc, a, url_a)).json(), (await post(svc, b, url_b)).json()
        first = "ord-" + uuid.uuid4().hex[:8]
        await publish(harness, dispatched(first))
        rows = await settled(svc, issuer, first, 2)
        assert {r["status"] for r in rows} == {"delivered"}, rows

        now = int(time.time())
        (headers_a, body_a), = receiver.posted_to("/a")
        (headers_b, body_b), = receiver.posted_to("/b")
        for (headers, body), mine, other in ((headers_a, body_a), made_a, made_b), ((headers_b, body_b), made_b,
                                                                                     made_a):
            header, delivery_id = headers[SIGNATURE_HEADER.lower()], headers[DELIVERY_HEADER.lower()]
            assert verify(mine["secret"], header, delivery_id, body, now=now)
            assert not verify(other["secret"], header, delivery_id, body, now=now)  # per-partner secret
            assert not verify("", header, delivery_id, body, now=now)
            assert not verify(mine["secret"], header, "whd-0000000000000000", body, now=now)  # id is signed
            assert not verify(mine["secret"], header, delivery_id, body, now=now + 301)  # replay window
            # a forgery with the old default key "" is refused by the verifier
            forged_body = body.replace(samples.INVOICE_NO.encode(), b"FORGED")
            t = str(now)
            forged = f"t={t},v1=" + hmac.new(b"", f"{t}.{delivery_id}.".encode() + forged_body,
                                             hashlib.sha256).hexdigest()
            assert not verify(mine["secret"], forged, delivery_id, forged_body, now=now)
        assert headers_a[DELIVERY_HEADER.lower()] != headers_b[DELIVERY_HEADER.lower()]

        # a's secret rotated as after a leak (no grace window), b's subscription removed: a's next delivery
        # verifies only with the new secret, b receives nothing more.
        async with svc.client(**a) as c:
            rotated = (await c.post(f"/webhooks/{made_a['subscription_id']}/secret",
                                    params={"keep_previous_hours": 0})).json()["secret"]
        async with svc.client(**b) as c:
            assert (await c.delete(f"/webhooks/{made_b['subscription_id']}")).status_code == 204
        second = "ord-" + uuid.uuid4().hex[:8]
        await publish(harness, dispatched(second))
        rows = await settled(svc, issuer, second, 1)
        assert rows[0]["subscription_id"] == made_a["subscription_id"] and rows[0]["status"] == "delivered"
        headers, body = receiver.posted_to("/a")[-1]
        header, delivery_id = headers[SIGNATURE_HEADER.lower()], headers[DELIVERY_HEADER.lower()]
        assert verify(rotated, header, delivery_id, body, now=int(time.time()))
        assert not verify(made_a["secret"], header, delivery_id, body, now=int(time.time()))
        assert len(receiver.posted_to("/b")) == 1


async def test_no_redirect_is_followed_and_each_delivery_checks_the_address_again(
        harness: ServiceHarness, issuer: LocalIssuer) -> None:
    with RecordingServer({"/moved": (302, {"Location": "/landing"})}) as receiver:
        svc = await harness.start(DEFINITION, **SETTINGS)
        moved = await post(svc, bearer(issuer, "sre"), f"http://{DEV_HOST}:{receiver.port}/moved")
        kept = await post(svc, bearer(issuer, "sre"), f"http://{DEV_HOST}:{receiver.port}/kept")
        assert moved.status_code == kept.status_code == 201, (moved.text, kept.text)
        # A URL that passed once and points at loopback now (as after a DNS change): refused at delivery.
        async with svc.runtime.sessions() as session, session.begin():
            await session.execute(sa.text("UPDATE webhook_subscription SET url = :url WHERE subscription_id = :id"),
                                  {"url": f"https://127.0.0.1:{receiver.port}/kept",
                                   "id": kept.json()["subscription_id"]})
        order_id = "ord-" + uuid.uuid4().hex[:8]
        await publish(harness, dispatched(order_id))
        rows = {r["subscription_id"]: r for r in await settled(svc, issuer, order_id, 2)}

        redirected = rows[moved.json()["subscription_id"]]
        assert redirected["status"] == "dead" and redirected["attempt_count"] == 2
        assert all(a["status"] == 302 and "redirect not followed" in a["error"] for a in redirected["attempts"])
        assert len(receiver.posted_to("/moved")) == 2 and receiver.posted_to("/landing") == []

        rechecked = rows[kept.json()["subscription_id"]]
        assert rechecked["status"] == "dead"
        assert all(a["status"] is None and "refused" in a["error"] and "loopback" in a["error"]
                   for a in rechecked["attempts"]), rechecked["attempts"]
        assert receiver.posted_to("/kept") == []


def test_notify_does_not_start_without_the_key_that_seals_secrets() -> None:
    settings = NotifySettings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
                              **{**SETTINGS, "notify_webhook_secrets_key": None})
    with pytest.raises(RuntimeError, match="O2C_NOTIFY_WEBHOOK_SECRETS_KEY"):
        build_app(DEFINITION, build_runtime(DEFINITION, settings))
