"""Webhooks in PostgreSQL and over HTTP: subscriptions with their sealed secrets (`SecretBox`), the delivery table
(one row per event, kind and subscription; every attempt kept), the URL policy with its lookup, and the sender
that posts a delivery to the address it checked, never following a redirect (the sweep that calls it is the use
case `service_layer.webhooks.send_due`, run by `entrypoints.workers`)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ipaddress
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from o2c.notify.adapters.db import webhook_delivery, webhook_subscription
from o2c.notify.domain.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    IPAddress,
    UrlRefused,
    WebhookTarget,
    body_bytes,
    check_url,
    choose_address,
    signature,
)
from o2c.notify.service_layer.ports import Attempted, DueDelivery, NewSubscription, Subscriber
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

MIN_KEY_LENGTH = 32
ERROR_CHARS = 500


class SecretBox:
    """Seals subscription secrets (AES-256-GCM, bound to the subscription id) with a key from the environment, so
    a copy of the database alone does not sign anything."""

    VERSION = "v1"

    def __init__(self, key: str) -> None:
        if len(key) < MIN_KEY_LENGTH:
            raise ValueError(f"the webhook secrets key must have at least {MIN_KEY_LENGTH} characters")
        self._aead = AESGCM(hashlib.sha256(b"o2c.notify.webhook-secrets\0" + key.encode()).digest())

    def seal(self, subscription_id: str, secret: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, secret.encode(), subscription_id.encode())
        return f"{self.VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, subscription_id: str, sealed: str) -> str:
        version, _, data = sealed.partition(".")
        if version != self.VERSION:
            raise ValueError(f"unknown sealed secret version {version!r}")
        raw = base64.urlsafe_b64decode(data)
        try:
            return self._aead.decrypt(raw[:12], raw[12:], subscription_id.encode()).decode()
        except InvalidTag as exc:
            raise ValueError("sealed with another key or for another subscription") from exc


class SqlWebhookSubscriptions:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, subscription: NewSubscription) -> bool:
        inserted = await self.session.execute(sa.text(
            "INSERT INTO webhook_subscription (subscription_id, url, customer_id, owner, partner_id, secret_sealed,"
            " created_by) VALUES (:sid, :url, :customer_id, :owner, :partner_id, :sealed, :created_by)"
            " ON CONFLICT (owner, url, coalesce(customer_id, '')) WHERE active DO NOTHING RETURNING id"),
            {"sid": subscription.subscription_id, "url": subscription.url, "customer_id": subscription.customer_id,
             "owner": subscription.owner, "partner_id": subscription.partner_id,
             "sealed": subscription.secret_sealed, "created_by": subscription.created_by})
        return inserted.first() is not None

    async def existing(self, *, url: str, customer_id: str | None, owner: str) -> dict[str, Any] | None:
        row = (await self.session.execute(sa.select(webhook_subscription).where(
            webhook_subscription.c.active, webhook_subscription.c.owner == owner, webhook_subscription.c.url == url,
            sa.func.coalesce(webhook_subscription.c.customer_id, "") == (customer_id or "")))).first()
        return subscription_view(row._mapping) if row else None

    async def owned(self, subscription_id: str, owner: str) -> dict[str, Any] | None:
        row = (await self.session.execute(sa.select(webhook_subscription).where(
            webhook_subscription.c.subscription_id == subscription_id, webhook_subscription.c.active,
            webhook_subscription.c.owner == owner))).first()
        return subscription_view(row._mapping) if row else None

    async def listed(self, owner: str) -> list[dict[str, Any]]:
        query = sa.select(webhook_subscription).where(webhook_subscription.c.active,
                                                      webhook_subscription.c.owner == owner).order_by(
            webhook_subscription.c.id)
        return [subscription_view(r._mapping) for r in await self.session.execute(query)]

    async def rotate(self, subscription_id: str, owner: str, secret_sealed: str, *,
                     keep_previous: timedelta) -> bool:
        table = webhook_subscription.c
        keep = keep_previous > timedelta(0)
        updated = await self.session.execute(sa.update(webhook_subscription).where(
            table.subscription_id == subscription_id, table.owner == owner, table.active,
        ).values(secret_sealed=secret_sealed, secret_rotated_at=sa.func.now(),
                 # the right-hand side reads the row before the update: the secret being replaced
                 previous_secret_sealed=table.secret_sealed if keep else None,
                 previous_secret_until=sa.func.now() + keep_previous if keep else None)
            .returning(table.id))
        return updated.first() is not None

    async def remove(self, subscription_id: str, owner: str, removed_by: str) -> bool:
        updated = await self.session.execute(sa.update(webhook_subscription).where(
            webhook_subscription.c.subscription_id == subscription_id, webhook_subscription.c.owner == owner,
            webhook_subscription.c.active,
        ).values(active=False, secret_sealed=None, previous_secret_sealed=None, previous_secret_until=None,
                 removed_at=sa.func.now(), removed_by=removed_by)
            .returning(webhook_subscription.c.id))
        return updated.first() is not None

    async def receiving(self, customer_id: str) -> list[Subscriber]:
        query = sa.select(webhook_subscription.c.subscription_id, webhook_subscription.c.url).where(
            webhook_subscription.c.active, sa.or_(webhook_subscription.c.customer_id.is_(None),
                                                  webhook_subscription.c.customer_id == customer_id),
        ).order_by(webhook_subscription.c.id)
        return [Subscriber(r.subscription_id, r.url) for r in await self.session.execute(query)]


class SqlWebhookDeliveries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def enqueue(self, *, event_key: str, kind: str, subscription_id: str, url: str, customer_id: str,
                      order_id: str | None, payload: dict[str, Any]) -> bool:
        delivery_id = f"whd-{uuid.uuid4().hex[:16]}"
        inserted = await self.session.execute(pg_insert(webhook_delivery).values(
            delivery_id=delivery_id, delivery_key=f"{event_key}|{kind}|{subscription_id}", event_key=event_key,
            kind=kind, url=url, subscription_id=subscription_id, customer_id=customer_id, order_id=order_id,
            payload={**payload, "delivery_id": delivery_id}, status="pending",
        ).on_conflict_do_nothing(index_elements=["delivery_key"]).returning(webhook_delivery.c.id))
        return inserted.first() is not None

    async def end_pending(self, subscription_id: str, reason: str) -> None:
        await self.session.execute(sa.update(webhook_delivery).where(
            webhook_delivery.c.subscription_id == subscription_id, webhook_delivery.c.status == "pending",
        ).values(status="dead", attempts=webhook_delivery.c.attempts.op("||")(sa.func.jsonb_build_array(
            sa.func.jsonb_build_object("error", reason, "at", sa.func.now())))))

    async def due(self, now: datetime, limit: int) -> list[DueDelivery]:
        rows = (await self.session.execute(
            sa.select(webhook_delivery, webhook_subscription.c.secret_sealed, webhook_subscription.c.active
                      .label("subscribed"), webhook_subscription.c.previous_secret_sealed,
                      webhook_subscription.c.previous_secret_until)
            .select_from(webhook_delivery.outerjoin(webhook_subscription, webhook_subscription.c.subscription_id
                                                    == webhook_delivery.c.subscription_id))
            .where(webhook_delivery.c.status == "pending", webhook_delivery.c.next_attempt_at <= now)
            .order_by(webhook_delivery.c.next_attempt_at).limit(limit)
            .with_for_update(of=webhook_delivery, skip_locked=True))).all()
        return [DueDelivery(
            row_id=r.id, delivery_id=r.delivery_id, subscription_id=r.subscription_id, url=r.url, kind=r.kind,
            payload=r.payload, attempt_count=r.attempt_count, attempts=list(r.attempts),
            subscribed=bool(r.subscribed), secret_sealed=r.secret_sealed,
            previous_secret_sealed=r.previous_secret_sealed, previous_secret_until=r.previous_secret_until,
        ) for r in rows]

    async def settle(self, row_id: int, *, status: str, attempts: Sequence[dict[str, Any]],
                     attempt_count: int | None = None, next_attempt_at: datetime | None = None,
                     delivered_at: datetime | None = None) -> None:
        values: dict[str, Any] = {"status": status, "attempts": list(attempts)}
        for name, value in (("attempt_count", attempt_count), ("next_attempt_at", next_attempt_at),
                            ("delivered_at", delivered_at)):
            if value is not None:
                values[name] = value
        await self.session.execute(sa.update(webhook_delivery).where(webhook_delivery.c.id == row_id)
                                   .values(**values))

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
    """What an owner sees of a subscription: never the secret."""
    return {"subscription_id": row["subscription_id"], "url": row["url"], "customer_id": row["customer_id"],
            "partner_id": row["partner_id"], "active": row["active"], "created_by": row["created_by"],
            "created_at": _iso(row["created_at"]), "secret_rotated_at": _iso(row["secret_rotated_at"]),
            # when the replaced secret stops signing (None: only the current one signs)
            "previous_secret_until": _iso(row["previous_secret_until"]) if row["previous_secret_sealed"] else None}


def delivery_view(row: Any) -> dict[str, Any]:
    return {"delivery_id": row["delivery_id"], "subscription_id": row["subscription_id"],
            "event_key": row["event_key"], "kind": row["kind"],
            "url": row["url"], "customer_id": row["customer_id"], "order_id": row["order_id"],
            "status": row["status"], "attempt_count": row["attempt_count"], "attempts": row["attempts"],
            "next_attempt_at": _iso(row["next_attempt_at"]) if row["status"] == "pending" else None,
            "delivered_at": _iso(row["delivered_at"]), "created_at": _iso(row["created_at"]),
            "payload": row["payload"]}


# --- where a URL may go -----------------------------------------------------------------------------

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


async def resolve(host: str, port: int, timeout: float = 5.0) -> list[IPAddress]:
    """Every address the name resolves to (A and AAAA)."""
    try:
        infos = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout)
    except TimeoutError as exc:
        raise UrlRefused(f"{host} did not resolve within {timeout:g}s") from exc
    except OSError as exc:
        raise UrlRefused(f"{host} does not resolve ({exc.strerror or exc})") from exc
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos))


@dataclass(frozen=True)
class Pinned:
    """A checked URL and the one address it was checked at: the request goes there and nowhere else."""

    target: WebhookTarget
    address: IPAddress


class UrlPolicy:
    """The webhook URL policy with the lookup: used when a subscription is made and again before each attempt."""

    def __init__(self, dev_hosts: Mapping[str, str] | None = None, resolver: Resolver = resolve) -> None:
        self.dev_hosts = {k.lower(): v for k, v in (dev_hosts or {}).items()}
        self.resolver = resolver

    async def pin(self, url: str) -> Pinned:
        target = check_url(url, dev_hosts=self.dev_hosts)
        if target.literal is not None and target.host not in self.dev_hosts:
            return Pinned(target, target.literal)  # check_url has judged the literal address
        resolved = [] if target.host in self.dev_hosts else await self.resolver(target.host, target.port)
        return Pinned(target, choose_address(target, resolved, self.dev_hosts))


class HttpWebhookSender:
    """Posts the signed body to the checked address (the name goes in Host and TLS SNI, and the certificate is
    verified for it); 2xx is delivered, anything else — a redirect too, never followed — is a failed attempt."""

    def __init__(self, policy: UrlPolicy, *, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.policy, self.timeout, self.transport, self.clock = policy, timeout, transport, clock

    async def post(self, url: str, secret: str | Sequence[str], payload: dict[str, Any], *, delivery_id: str,
                   kind: str) -> Attempted:
        try:
            pinned = await self.policy.pin(url)
        except UrlRefused as exc:
            return Attempted(ok=False, status_code=None, error=f"refused: {exc}"[:ERROR_CHARS])
        target, address = pinned.target, pinned.address
        body = body_bytes(payload)
        headers = {"Host": target.host_header, "Content-Type": "application/json", DELIVERY_HEADER: delivery_id,
                   EVENT_HEADER: kind, SIGNATURE_HEADER: signature(secret, int(self.clock()), delivery_id, body)}
        connect = httpx.URL(url).copy_with(host=str(address), port=target.port)
        extensions = {"sni_hostname": target.host} if target.scheme == "https" and target.literal is None else {}
        try:
            # trust_env off: a proxy from the environment would look the name up again, elsewhere
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport, follow_redirects=False,
                                         trust_env=False) as client, client.stream(
                    "POST", connect, content=body, headers=headers, extensions=extensions) as response:
                if response.is_redirect:
                    return Attempted(ok=False, status_code=response.status_code, error=(
                        f"redirect not followed (to {response.headers.get('location', '')})")[:ERROR_CHARS])
                if 200 <= response.status_code < 300:
                    return Attempted(ok=True, status_code=response.status_code, error=None)
                return Attempted(ok=False, status_code=response.status_code, error=await excerpt(response))
        except httpx.HTTPError as exc:
            return Attempted(ok=False, status_code=None, error=f"{type(exc).__name__}: {exc}"[:ERROR_CHARS])


async def excerpt(response: httpx.Response) -> str:
    """The start of a failed answer for the attempt log; a receiver's huge (or compressed) body is never read
    whole."""
    head = b""
    async for chunk in response.aiter_raw():
        head += chunk
        if len(head) >= ERROR_CHARS:
            break
    return head[:ERROR_CHARS].decode(errors="replace")
