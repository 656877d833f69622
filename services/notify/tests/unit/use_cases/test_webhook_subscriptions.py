"""Webhook subscriptions and the sender's sweep on an in-memory notify: a secret shown once and sealed, rotation
with a grace window, removal ending what is pending, and each due delivery posted, retried, then dead."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from o2c.contracts import samples
from o2c.contracts.v1.dispatch import ShipmentDispatched
from o2c.notify.domain.webhooks import RetryPolicy
from o2c.notify.service_layer import use_cases, webhooks
from o2c.notify.service_layer.use_cases import Cause, Telling
from o2c.testsupport.notify.fakes import (
    BOOK,
    NOW,
    SETTINGS,
    InMemoryNotify,
    RecordingSender,
    ReversingSealer,
    channels,
)

POLICY = RetryPolicy(max_attempts=3, backoff_seconds=10, backoff_max_seconds=15)
URL = "https://partner.example/hook"


def clock(notify: InMemoryNotify) -> Callable[[], datetime]:
    return lambda: notify.clock[0]


async def subscribed(notify: InMemoryNotify, sealer: ReversingSealer, customer_id: str | None = None,
                     owner: str = "partner:p-1") -> tuple[dict[str, object], str]:
    made = await webhooks.subscribe(notify.uow(), sealer, url=URL, customer_id=customer_id or samples.CUSTOMER_ID,
                                    owner=owner, partner_id="p-1", created_by="partner-user")
    assert made is not None
    return made


async def dispatched(notify: InMemoryNotify) -> None:
    await use_cases.tell_dispatch(notify.uow(), samples.sample(ShipmentDispatched),
                                  Telling(channels(), BOOK, SETTINGS), Cause("m1", NOW))


async def test_a_subscription_shows_its_secret_once_and_stores_it_sealed(notify: InMemoryNotify) -> None:
    sealer = ReversingSealer()
    view, secret = await subscribed(notify, sealer)
    assert "secret" not in view and len(secret) >= 32
    stored = notify.subscriptions.rows[str(view["subscription_id"])].subscription
    assert stored.secret_sealed != secret and sealer.open(stored.subscription_id, stored.secret_sealed) == secret
    again = await webhooks.subscribe(notify.uow(), sealer, url=URL, customer_id=samples.CUSTOMER_ID,
                                     owner="partner:p-1", partner_id="p-1", created_by="partner-user")
    assert again is None  # the same owner, URL and customer: one subscription


async def test_a_due_delivery_is_posted_signed_with_the_subscriptions_secret(notify: InMemoryNotify) -> None:
    sealer, sender = ReversingSealer(), RecordingSender()
    _, secret = await subscribed(notify, sealer)
    await dispatched(notify)
    assert await webhooks.send_due(notify.uow(), sender, sealer, POLICY, clock(notify)) == 1
    [post] = sender.posts
    assert post.secrets == [secret] and post.url == URL and post.kind == "dispatched"
    [delivery] = await notify.uow().deliveries.find(status="delivered")
    assert delivery["attempt_count"] == 1 and delivery["delivered_at"] == NOW
    assert await webhooks.send_due(notify.uow(), sender, sealer, POLICY, clock(notify)) == 0


async def test_a_failing_receiver_is_retried_with_backoff_then_dead(notify: InMemoryNotify) -> None:
    sealer, sender = ReversingSealer(), RecordingSender(500, 503, 502)
    await subscribed(notify, sealer)
    await dispatched(notify)
    for waited in (timedelta(0), timedelta(seconds=10), timedelta(seconds=15)):
        notify.clock[0] += waited
        assert await webhooks.send_due(notify.uow(), sender, sealer, POLICY, clock(notify)) == 1
        assert await webhooks.send_due(notify.uow(), sender, sealer, POLICY, clock(notify)) == 0  # not yet due
    [dead] = await notify.uow().deliveries.find(status="dead")
    assert [a["status"] for a in dead["attempts"]] == [500, 503, 502] and len(sender.posts) == 3


async def test_after_a_rotation_both_secrets_sign_during_the_grace_window_only(notify: InMemoryNotify) -> None:
    sealer, sender = ReversingSealer(), RecordingSender()
    view, old = await subscribed(notify, sealer)
    rotated = await webhooks.rotate_secret(notify.uow(), sealer, str(view["subscription_id"]), "partner:p-1",
                                           keep_previous=timedelta(hours=1))
    assert rotated is not None
    _, new = rotated
    await dispatched(notify)
    await webhooks.send_due(notify.uow(), sender, sealer, POLICY, clock(notify))
    assert sender.posts[0].secrets == [new, old]
    assert await webhooks.rotate_secret(notify.uow(), sealer, str(view["subscription_id"]), "partner:p-2") is None


async def test_a_removed_subscription_ends_its_pending_deliveries_and_is_sent_nothing(
        notify: InMemoryNotify) -> None:
    sealer, sender = ReversingSealer(), RecordingSender()
    view, _ = await subscribed(notify, sealer)
    await dispatched(notify)
    assert not await webhooks.remove_subscription(notify.uow(), str(view["subscription_id"]), "partner:p-2", "x")
    assert await webhooks.remove_subscription(notify.uow(), str(view["subscription_id"]), "partner:p-1", "u-1")
    assert await webhooks.send_due(notify.uow(), sender, sealer, POLICY, clock(notify)) == 0
    [dead] = await notify.uow().deliveries.find(status="dead")
    assert dead["attempts"][-1]["error"] == webhooks.REMOVED and sender.posts == []


async def test_an_unreadable_secret_fails_that_attempt_without_posting(notify: InMemoryNotify) -> None:
    sealer, sender = ReversingSealer(), RecordingSender()
    await subscribed(notify, sealer)
    await dispatched(notify)
    sealer.broken = True  # the sealing key changed
    await webhooks.send_due(notify.uow(), sender, sealer, POLICY, clock(notify))
    [pending] = await notify.uow().deliveries.find(status="pending")
    assert "secret unreadable" in pending["attempts"][0]["error"] and sender.posts == []
