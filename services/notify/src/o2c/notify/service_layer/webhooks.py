"""Webhook use cases: a subscription made, its secret rotated, the subscription removed (its pending deliveries end
dead), and one sweep of the sender: every due delivery posted with its subscription's current secret (and the
replaced one during its grace window), retried with backoff until the policy's last attempt."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from o2c.notify.domain.webhooks import RetryPolicy, after_attempt, new_secret
from o2c.notify.service_layer.ports import (
    Attempted,
    DueDelivery,
    NewSubscription,
    SecretSealer,
    UnitOfWork,
    WebhookSender,
)

log = logging.getLogger("o2c.notify.webhooks")

REMOVED = "subscription removed"


async def subscribe(uow: UnitOfWork, sealer: SecretSealer, *, url: str, customer_id: str | None, owner: str,
                    partner_id: str | None, created_by: str) -> tuple[dict[str, Any], str] | None:
    """A new subscription and its secret (the only time the secret leaves this service besides a rotation);
    None when the owner already has this URL for this customer."""
    subscription_id = f"whs-{uuid.uuid4().hex[:16]}"
    secret = new_secret()
    if not await uow.subscriptions.add(NewSubscription(
            subscription_id=subscription_id, url=url, customer_id=customer_id, owner=owner, partner_id=partner_id,
            secret_sealed=sealer.seal(subscription_id, secret), created_by=created_by)):
        return None
    found = await uow.subscriptions.owned(subscription_id, owner)
    assert found is not None
    return found, secret


async def rotate_secret(uow: UnitOfWork, sealer: SecretSealer, subscription_id: str, owner: str, *,
                        keep_previous: timedelta = timedelta(0)) -> tuple[dict[str, Any], str] | None:
    """A fresh secret for the owner's subscription, signing every later attempt; the one it replaces keeps
    signing beside it for `keep_previous`. None: not theirs (or not active)."""
    secret = new_secret()
    if not await uow.subscriptions.rotate(subscription_id, owner, sealer.seal(subscription_id, secret),
                                          keep_previous=keep_previous):
        return None
    found = await uow.subscriptions.owned(subscription_id, owner)
    return (found, secret) if found is not None else None


async def remove_subscription(uow: UnitOfWork, subscription_id: str, owner: str, removed_by: str) -> bool:
    """Deactivate it and forget its secret; deliveries still pending for it end dead (nothing more is sent)."""
    if not await uow.subscriptions.remove(subscription_id, owner, removed_by):
        return False
    await uow.deliveries.end_pending(subscription_id, REMOVED)
    return True


async def send_due(uow: UnitOfWork, sender: WebhookSender, sealer: SecretSealer, policy: RetryPolicy,
                   now: Callable[[], datetime], *, batch: int = 20) -> int:
    """One sweep: post every due pending delivery (locked, so several replicas never post the same one) and record
    each attempt. Returns how many were due."""
    due = await uow.deliveries.due(now(), batch)
    for delivery in due:
        await _attempt(uow, delivery, sender, sealer, policy, now)
    return len(due)


async def _attempt(uow: UnitOfWork, delivery: DueDelivery, sender: WebhookSender, sealer: SecretSealer,
                   policy: RetryPolicy, now: Callable[[], datetime]) -> None:
    at = now()
    attempt = delivery.attempt_count + 1
    if not delivery.subscribed or not delivery.secret_sealed or delivery.subscription_id is None:
        await uow.deliveries.settle(delivery.row_id, status="dead", attempts=[*delivery.attempts, {
            "attempt": attempt, "at": at.isoformat(), "status": None, "error": REMOVED}])
        return
    try:
        keys = [sealer.open(delivery.subscription_id, delivery.secret_sealed)]
        if (delivery.previous_secret_sealed and delivery.previous_secret_until
                and delivery.previous_secret_until > at):
            keys.append(sealer.open(delivery.subscription_id, delivery.previous_secret_sealed))
    except ValueError as exc:  # the sealing key changed: this delivery fails, the others are still sent
        result = Attempted(ok=False, status_code=None, error=f"secret unreadable: {exc}")
    else:
        result = await sender.post(delivery.url, keys, delivery.payload, delivery_id=delivery.delivery_id,
                                   kind=delivery.kind)
    at = now()
    outcome = after_attempt(policy, attempt, result.ok, at)
    entry = {"attempt": attempt, "at": at.isoformat(), "status": result.status_code, "error": result.error}
    await uow.deliveries.settle(
        delivery.row_id, status=outcome.status, attempts=[*delivery.attempts, entry], attempt_count=attempt,
        next_attempt_at=outcome.next_attempt_at, delivered_at=at if outcome.status == "delivered" else None)
    if outcome.status == "dead":
        log.warning("webhook %s to %s dead after %d attempts", delivery.delivery_id, delivery.url, attempt)
