"""An in-memory notify for the use cases' unit tests: every repository port kept in dicts, channels and a webhook
sender that record what they were given, a sealer that can be told to fail, and a unit of work per transaction
sharing the state (what one commits the next one reads).

Repositories hand out copies and keep copies, as a database would: a use case that changes a record and never
stores it changes nothing. `InMemoryNotify.uow()` opens a unit of work; `committed` holds every message a unit of
work published, in order (the outbox)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from o2c.contracts.envelope import Message
from o2c.kit.auth import Principal
from o2c.kit.scope import CustomerScope, may_see
from o2c.notify.domain.delivery import TransitTable, TransitTerms
from o2c.notify.domain.seed_templates import SEED_TEMPLATES
from o2c.notify.domain.templates import TemplateBook
from o2c.notify.service_layer.ports import (
    Attempted,
    Channels,
    CustomerContacts,
    Customers,
    Delivery,
    DueDelivery,
    NewSubscription,
    Notifications,
    OrderRef,
    Orders,
    OutgoingMail,
    Subscriber,
    UnitOfWork,
    WebhookDeliveries,
    WebhookSubscriptions,
)
from o2c.notify.service_layer.use_cases import Settings

NOW = datetime(2026, 5, 4, 7, 0, tzinfo=UTC)
BOOK = TemplateBook(SEED_TEMPLATES)
SETTINGS = Settings(invoice_pdf_url="https://docs.example/{invoice_id}.pdf",
                    transit=TransitTable(default=TransitTerms(days=1, per_km=300),
                                         by_transporter={"29SLOW": TransitTerms(days=2, per_km=100)}))
"""A link of the tests' own, one day per 300 km, and a slow transporter (two days per 100 km)."""


class InMemoryCustomers(Customers):
    def __init__(self) -> None:
        self.rows: dict[str, CustomerContacts] = {}

    async def get(self, customer_id: str) -> CustomerContacts | None:
        return self.rows.get(customer_id)

    async def keep(self, customer: CustomerContacts) -> None:
        current = self.rows.get(customer.customer_id)
        if current is None or current.revision <= customer.revision:
            self.rows[customer.customer_id] = customer


class InMemoryOrders(Orders):
    def __init__(self) -> None:
        self.rows: dict[str, OrderRef] = {}

    async def get(self, order_id: str) -> OrderRef | None:
        return self.rows.get(order_id)

    async def keep(self, order: OrderRef) -> None:
        self.rows[order.order_id] = order


class InMemoryNotifications(Notifications):
    def __init__(self, orders: InMemoryOrders, scopes: dict[str, CustomerScope]) -> None:
        self.rows: dict[str, OutgoingMail] = {}  # by delivery key, in the order claimed
        self.orders, self.scopes = orders, scopes

    async def claim(self, mail: OutgoingMail) -> bool:
        if mail.delivery_key in self.rows:
            return False
        self.rows[mail.delivery_key] = dataclasses.replace(mail)
        return True

    async def mark(self, mail: OutgoingMail) -> None:
        stored = self.rows[mail.delivery_key]
        self.rows[mail.delivery_key] = dataclasses.replace(stored, status=mail.status, adapter=mail.adapter,
                                                           detail=mail.detail)

    async def get(self, notification_id: str) -> OutgoingMail | None:
        return next((dataclasses.replace(m) for m in self.rows.values() if m.notification_id == notification_id),
                    None)

    async def find(self, *, order_id: str | None = None, customer_id: str | None = None, limit: int = 200,
                   viewer: Principal | None = None) -> list[OutgoingMail]:
        return [dataclasses.replace(m) for m in self.rows.values()
                if order_id in (None, "", m.order_id) and customer_id in (None, "", m.customer_id)
                and (viewer is None or may_see(viewer, m.customer_id, self.scopes.get(m.customer_id)))][:limit]

    async def customers_of_order(self, order_id: str) -> set[str]:
        order = self.orders.rows.get(order_id)
        return {m.customer_id for m in self.rows.values() if m.order_id == order_id} | (
            {order.customer_id} if order else set())


@dataclasses.dataclass
class StoredSubscription:
    subscription: NewSubscription
    active: bool = True
    previous_secret_sealed: str | None = None
    previous_secret_until: datetime | None = None
    removed_by: str | None = None

    def view(self) -> dict[str, Any]:
        s = self.subscription
        return {"subscription_id": s.subscription_id, "url": s.url, "customer_id": s.customer_id,
                "partner_id": s.partner_id, "active": self.active, "created_by": s.created_by,
                "previous_secret_until": self.previous_secret_until.isoformat()
                if self.previous_secret_sealed and self.previous_secret_until else None}


class InMemoryWebhookSubscriptions(WebhookSubscriptions):
    def __init__(self, clock: list[datetime]) -> None:
        self.rows: dict[str, StoredSubscription] = {}
        self.clock = clock

    def _active(self, subscription_id: str, owner: str) -> StoredSubscription | None:
        found = self.rows.get(subscription_id)
        return found if found and found.active and found.subscription.owner == owner else None

    async def add(self, subscription: NewSubscription) -> bool:
        if any(r.active and (r.subscription.owner, r.subscription.url, r.subscription.customer_id or "")
               == (subscription.owner, subscription.url, subscription.customer_id or "") for r in self.rows.values()):
            return False
        self.rows[subscription.subscription_id] = StoredSubscription(subscription)
        return True

    async def existing(self, *, url: str, customer_id: str | None, owner: str) -> dict[str, Any] | None:
        return next((r.view() for r in self.rows.values() if r.active and r.subscription.owner == owner
                     and r.subscription.url == url and (r.subscription.customer_id or "") == (customer_id or "")),
                    None)

    async def owned(self, subscription_id: str, owner: str) -> dict[str, Any] | None:
        found = self._active(subscription_id, owner)
        return found.view() if found else None

    async def listed(self, owner: str) -> list[dict[str, Any]]:
        return [r.view() for r in self.rows.values() if r.active and r.subscription.owner == owner]

    async def rotate(self, subscription_id: str, owner: str, secret_sealed: str, *,
                     keep_previous: timedelta) -> bool:
        found = self._active(subscription_id, owner)
        if found is None:
            return False
        keep = keep_previous > timedelta(0)
        found.previous_secret_sealed = found.subscription.secret_sealed if keep else None
        found.previous_secret_until = self.clock[0] + keep_previous if keep else None
        found.subscription = dataclasses.replace(found.subscription, secret_sealed=secret_sealed)
        return True

    async def remove(self, subscription_id: str, owner: str, removed_by: str) -> bool:
        found = self._active(subscription_id, owner)
        if found is None:
            return False
        found.active, found.removed_by, found.previous_secret_sealed = False, removed_by, None
        return True

    async def receiving(self, customer_id: str) -> list[Subscriber]:
        return [Subscriber(r.subscription.subscription_id, r.subscription.url) for r in self.rows.values()
                if r.active and r.subscription.customer_id in (None, customer_id)]


@dataclasses.dataclass
class StoredDelivery:
    row_id: int
    delivery_id: str
    event_key: str
    kind: str
    subscription_id: str
    url: str
    customer_id: str
    order_id: str | None
    payload: dict[str, Any]
    status: str = "pending"
    attempt_count: int = 0
    attempts: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None


class InMemoryWebhookDeliveries(WebhookDeliveries):
    def __init__(self, subscriptions: InMemoryWebhookSubscriptions, clock: list[datetime]) -> None:
        self.rows: dict[str, StoredDelivery] = {}  # by delivery key
        self.subscriptions, self.clock = subscriptions, clock

    async def enqueue(self, *, event_key: str, kind: str, subscription_id: str, url: str, customer_id: str,
                      order_id: str | None, payload: dict[str, Any]) -> bool:
        key = f"{event_key}|{kind}|{subscription_id}"
        if key in self.rows:
            return False
        delivery_id = f"whd-{len(self.rows) + 1:016x}"
        self.rows[key] = StoredDelivery(
            row_id=len(self.rows) + 1, delivery_id=delivery_id, event_key=event_key, kind=kind,
            subscription_id=subscription_id, url=url, customer_id=customer_id, order_id=order_id,
            payload={**payload, "delivery_id": delivery_id}, next_attempt_at=self.clock[0])
        return True

    async def end_pending(self, subscription_id: str, reason: str) -> None:
        for row in self.rows.values():
            if row.subscription_id == subscription_id and row.status == "pending":
                row.status = "dead"
                row.attempts = [*row.attempts, {"error": reason, "at": self.clock[0].isoformat()}]

    async def due(self, now: datetime, limit: int) -> list[DueDelivery]:
        due = sorted((r for r in self.rows.values() if r.status == "pending" and r.next_attempt_at is not None
                      and r.next_attempt_at <= now), key=lambda r: (r.next_attempt_at or now, r.row_id))[:limit]
        out = []
        for row in due:
            stored = self.subscriptions.rows.get(row.subscription_id)
            out.append(DueDelivery(
                row_id=row.row_id, delivery_id=row.delivery_id, subscription_id=row.subscription_id, url=row.url,
                kind=row.kind, payload=dict(row.payload), attempt_count=row.attempt_count,
                attempts=list(row.attempts), subscribed=bool(stored and stored.active),
                secret_sealed=stored.subscription.secret_sealed if stored and stored.active else None,
                previous_secret_sealed=stored.previous_secret_sealed if stored else None,
                previous_secret_until=stored.previous_secret_until if stored else None))
        return out

    async def settle(self, row_id: int, *, status: str, attempts: Sequence[dict[str, Any]],
                     attempt_count: int | None = None, next_attempt_at: datetime | None = None,
                     delivered_at: datetime | None = None) -> None:
        row = next(r for r in self.rows.values() if r.row_id == row_id)
        row.status, row.attempts = status, list(attempts)
        if attempt_count is not None:
            row.attempt_count = attempt_count
        if next_attempt_at is not None:
            row.next_attempt_at = next_attempt_at
        if delivered_at is not None:
            row.delivered_at = delivered_at

    async def find(self, *, status: str | None = None, order_id: str | None = None,
                   limit: int = 200) -> list[dict[str, Any]]:
        return [dataclasses.asdict(r) for r in self.rows.values()
                if status in (None, r.status) and order_id in (None, r.order_id)][:limit]


class InMemoryNotify:
    """Notify's state in memory; `uow()` is one transaction's unit of work over it. `clock[0]` is the time the
    repositories stamp (rotation grace, queued deliveries' first attempt)."""

    def __init__(self, now: datetime) -> None:
        self.clock = [now]
        self.customers = InMemoryCustomers()
        self.orders = InMemoryOrders()
        self.scopes: dict[str, CustomerScope] = {}
        self.notifications = InMemoryNotifications(self.orders, self.scopes)
        self.subscriptions = InMemoryWebhookSubscriptions(self.clock)
        self.deliveries = InMemoryWebhookDeliveries(self.subscriptions, self.clock)
        self.committed: list[Message] = []

    def uow(self) -> UnitOfWork:
        return UnitOfWork(customers=self.customers, orders=self.orders, notifications=self.notifications,
                          subscriptions=self.subscriptions, deliveries=self.deliveries)

    def commit(self, uow: UnitOfWork) -> list[Message]:
        """What the unit of work published, now committed to the outbox (returned too)."""
        self.committed.extend(uow.messages)
        return list(uow.messages)

    @property
    def mails(self) -> list[OutgoingMail]:
        return list(self.notifications.rows.values())


class RecordingChannel:
    """A channel that keeps every mail it is given and accepts it (or refuses: `accept=False`)."""

    def __init__(self, accept: bool = True, adapter: str = "recording") -> None:
        self.accept, self.adapter = accept, adapter
        self.sent: list[OutgoingMail] = []

    async def deliver(self, mail: OutgoingMail) -> Delivery:
        self.sent.append(mail)
        return Delivery(accepted=self.accept, adapter=self.adapter, detail=None if self.accept else "bounced")


def channels(email: RecordingChannel | None = None, whatsapp: RecordingChannel | None = None) -> Channels:
    return Channels({"email": email or RecordingChannel(), "whatsapp": whatsapp or RecordingChannel()})


class ReversingSealer:
    """Seals by reversing the secret behind the subscription id (enough to show which secret signed); a secret
    sealed for another subscription, or any after `broken = True`, does not open (as a changed key)."""

    def __init__(self) -> None:
        self.broken = False

    def seal(self, subscription_id: str, secret: str) -> str:
        return f"{subscription_id}:{secret[::-1]}"

    def open(self, subscription_id: str, sealed: str) -> str:
        owner, _, reversed_secret = sealed.partition(":")
        if self.broken or owner != subscription_id:
            raise ValueError("sealed with another key or for another subscription")
        return reversed_secret[::-1]


@dataclasses.dataclass
class Post:
    url: str
    secrets: list[str]
    payload: dict[str, Any]
    delivery_id: str
    kind: str


class RecordingSender:
    """A webhook sender that keeps every post and answers from `answers` (status codes, used up in order; 200
    once they run out)."""

    def __init__(self, *answers: int) -> None:
        self.answers = list(answers)
        self.posts: list[Post] = []

    async def post(self, url: str, secret: str | Sequence[str], payload: dict[str, Any], *, delivery_id: str,
                   kind: str) -> Attempted:
        self.posts.append(Post(url, [secret] if isinstance(secret, str) else list(secret), payload, delivery_id,
                               kind))
        status = self.answers.pop(0) if self.answers else 200
        ok = 200 <= status < 300
        return Attempted(ok=ok, status_code=status, error=None if ok else f"answered {status}")
