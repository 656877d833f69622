"""Webhooks in PostgreSQL and over HTTP: subscriptions, the delivery table (one row per event, kind and URL;
every attempt kept), and the background sender that posts due rows without holding up the consumer."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from o2c.notify.adapters.db import webhook_delivery, webhook_subscription
from o2c.notify.domain.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    RetryPolicy,
    after_attempt,
    body_bytes,
    signature,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger("o2c.notify.webhooks")


class WebhookRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def subscribe(self, url: str, customer_id: str | None, created_by: str) -> dict[str, Any]:
        insert = pg_insert(webhook_subscription).values(
            subscription_id=f"whs-{uuid.uuid4().hex[:16]}", url=url, customer_id=customer_id, created_by=created_by)
        await self.session.execute(insert.on_conflict_do_update(
            constraint="uq_webhook_subscription_url_customer", set_={"active": True}))
        row = (await self.session.execute(sa.select(webhook_subscription).where(
            webhook_subscription.c.url == url,
            webhook_subscription.c.customer_id.is_(None) if customer_id is None
            else webhook_subscription.c.customer_id == customer_id))).first()
        assert row is not None
        return subscription_view(row._mapping)

    async def subscriptions(self, customer_id: str | None = None) -> list[dict[str, Any]]:
        query = sa.select(webhook_subscription).where(webhook_subscription.c.active).order_by(
            webhook_subscription.c.id)
        if customer_id is not None:
            query = query.where(sa.or_(webhook_subscription.c.customer_id.is_(None),
                                       webhook_subscription.c.customer_id == customer_id))
        return [subscription_view(r._mapping) for r in await self.session.execute(query)]

    async def enqueue(self, *, event_key: str, kind: str, url: str, customer_id: str, order_id: str | None,
                      payload: dict[str, Any]) -> bool:
        """One row per (event, kind, url); False when this event was already queued for this URL."""
        delivery_id = f"whd-{uuid.uuid4().hex[:16]}"
        inserted = await self.session.execute(pg_insert(webhook_delivery).values(
            delivery_id=delivery_id, delivery_key=f"{event_key}|{kind}|{url}", event_key=event_key, kind=kind,
            url=url, customer_id=customer_id, order_id=order_id, payload={**payload, "delivery_id": delivery_id},
            status="pending",
        ).on_conflict_do_nothing(index_elements=["delivery_key"]).returning(webhook_delivery.c.id))
        return inserted.first() is not None

    async def find(self, *, status: str | None = None, order_id: str | None = None,
                   limit: int = 200) -> list[dict[str, Any]]:
        query = sa.select(webhook_delivery).order_by(webhook_delivery.c.id).limit(limit)
        if status:
            query = query.where(webhook_delivery.c.status == status)
        if order_id:
            query = query.where(webhook_delivery.c.order_id == order_id)
        return [delivery_view(r._mapping) for r in await self.session.execute(query)]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def subscription_view(row: Any) -> dict[str, Any]:
    return {"subscription_id": row["subscription_id"], "url": row["url"], "customer_id": row["customer_id"],
            "active": row["active"], "created_by": row["created_by"], "created_at": _iso(row["created_at"])}


def delivery_view(row: Any) -> dict[str, Any]:
    return {"delivery_id": row["delivery_id"], "event_key": row["event_key"], "kind": row["kind"],
            "url": row["url"], "customer_id": row["customer_id"], "order_id": row["order_id"],
            "status": row["status"], "attempt_count": row["attempt_count"], "attempts": row["attempts"],
            "next_attempt_at": _iso(row["next_attempt_at"]) if row["status"] == "pending" else None,
            "delivered_at": _iso(row["delivered_at"]), "created_at": _iso(row["created_at"]),
            "payload": row["payload"]}


@dataclass(frozen=True)
class Attempted:
    ok: bool
    status_code: int | None
    error: str | None


class HttpWebhookSender:
    """Posts the signed body; 2xx is delivered, anything else (status, timeout, refused) is a failed attempt."""

    def __init__(self, secret: str, *, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.secret, self.timeout, self.transport, self.clock = secret, timeout, transport, clock

    async def post(self, url: str, payload: dict[str, Any], *, delivery_id: str, kind: str) -> Attempted:
        body = body_bytes(payload)
        headers = {"Content-Type": "application/json", DELIVERY_HEADER: delivery_id, EVENT_HEADER: kind,
                   SIGNATURE_HEADER: signature(self.secret, int(self.clock()), body)}
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
                response = await client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Attempted(ok=False, status_code=None, error=f"{type(exc).__name__}: {exc}"[:500])
        ok = 200 <= response.status_code < 300
        return Attempted(ok=ok, status_code=response.status_code, error=None if ok else response.text[:500])


async def send_due(sessions: async_sessionmaker[AsyncSession], sender: HttpWebhookSender, policy: RetryPolicy, *,
                   batch: int = 20, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> int:
    """One sweep: post every due pending row (rows locked so several replicas never post the same one)."""
    async with sessions() as session, session.begin():
        rows = (await session.execute(
            sa.select(webhook_delivery).where(webhook_delivery.c.status == "pending",
                                              webhook_delivery.c.next_attempt_at <= now())
            .order_by(webhook_delivery.c.next_attempt_at).limit(batch).with_for_update(skip_locked=True))).all()
        for row in rows:
            result = await sender.post(row.url, row.payload, delivery_id=row.delivery_id, kind=row.kind)
            at = now()
            attempt = row.attempt_count + 1
            outcome = after_attempt(policy, attempt, result.ok, at)
            entry = {"attempt": attempt, "at": at.isoformat(), "status": result.status_code, "error": result.error}
            values: dict[str, Any] = {"attempt_count": attempt, "attempts": [*row.attempts, entry],
                                      "status": outcome.status}
            if outcome.next_attempt_at is not None:
                values["next_attempt_at"] = outcome.next_attempt_at
            if outcome.status == "delivered":
                values["delivered_at"] = at
            elif outcome.status == "dead":
                log.warning("webhook %s to %s dead after %d attempts", row.delivery_id, row.url, attempt)
            await session.execute(sa.update(webhook_delivery).where(webhook_delivery.c.id == row.id).values(**values))
        return len(rows)


async def run_sender(sessions: async_sessionmaker[AsyncSession], sender: HttpWebhookSender, policy: RetryPolicy,
                     sweep_seconds: float) -> None:
    """Background task (ServiceDefinition.on_start): sweep until cancelled; errors are logged, not fatal."""
    while True:
        try:
            sent = await send_due(sessions, sender, policy)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("webhook sweep failed")
            sent = 0
        if not sent:
            await asyncio.sleep(sweep_seconds)


def global_urls(urls: Sequence[str]) -> list[str]:
    return [u for u in dict.fromkeys(urls) if u]
