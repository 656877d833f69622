"""What notify's use cases need from the outside: one unit of work holding the repositories of one transaction
(the customer and order replicas, the mail sent, webhook subscriptions and deliveries) and the messages the work
causes (written to the outbox with the transaction's changes); beside it the channels that carry a message, the
webhook sender and the box that seals subscription secrets.

The SQL implementation is `o2c.notify.adapters.unit_of_work.SqlUnitOfWork` (wired in `o2c.notify.bootstrap`);
the use cases' unit tests run on an in-memory one (`o2c.testsupport.notify`, tests/unit/use_cases).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from o2c.contracts.envelope import Message
from o2c.kit.auth import Principal


@dataclass(frozen=True)
class ContactPoint:
    name: str
    email: str | None = None
    phone: str | None = None
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomerContacts:
    customer_id: str
    name: str
    contacts: tuple[ContactPoint, ...] = ()
    language: str = "en"
    revision: int = 1
    active: bool = True


@dataclass(frozen=True)
class OrderRef:
    order_id: str
    order_no: str
    customer_id: str
    customer_name: str
    contact: ContactPoint | None = None
    item_names: dict[str, str] = field(default_factory=dict)


@dataclass
class OutgoingMail:
    notification_id: str
    delivery_key: str
    event_key: str
    cause_message_id: str | None
    kind: str
    channel: str
    recipient: str
    customer_id: str
    order_id: str | None
    shipment_id: str | None
    language: str
    subject: str
    body: str
    status: str = "pending"
    adapter: str = ""
    detail: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Delivery:
    accepted: bool
    adapter: str
    detail: str | None = None


class Channel(Protocol):
    """One way of reaching a customer (e-mail, WhatsApp, SMS …)."""

    async def deliver(self, mail: OutgoingMail) -> Delivery: ...


@dataclass
class Channels:
    """The adapter for each channel name; a channel without an adapter is not offered."""

    by_name: dict[str, Channel] = field(default_factory=dict)

    def get(self, name: str) -> Channel | None:
        return self.by_name.get(name)


@dataclass(frozen=True)
class NewSubscription:
    subscription_id: str
    url: str
    customer_id: str | None  # None: every customer's notifications (SRE only)
    owner: str  # partner:<partner id> or sre
    partner_id: str | None
    secret_sealed: str
    created_by: str


@dataclass(frozen=True)
class Subscriber:
    """An active subscription receiving a customer's notifications: where its deliveries go."""

    subscription_id: str
    url: str


@dataclass(frozen=True)
class DueDelivery:
    """A pending webhook delivery whose time has come, with its subscription's sealed secrets."""

    row_id: int
    delivery_id: str
    subscription_id: str | None
    url: str
    kind: str
    payload: dict[str, Any]
    attempt_count: int
    attempts: list[dict[str, Any]]
    subscribed: bool
    secret_sealed: str | None
    previous_secret_sealed: str | None = None
    previous_secret_until: datetime | None = None


@dataclass(frozen=True)
class Attempted:
    """What one post of a webhook delivery came to."""

    ok: bool
    status_code: int | None
    error: str | None


class Customers(Protocol):
    """The contact replica, kept from CustomerApproved / CustomerUpdated."""

    async def get(self, customer_id: str) -> CustomerContacts | None: ...

    async def keep(self, customer: CustomerContacts) -> None:
        """Keep the highest revision."""
        ...


class Orders(Protocol):
    """Order references (number, contact, item names), kept from OrderConfirmed."""

    async def get(self, order_id: str) -> OrderRef | None: ...

    async def keep(self, order: OrderRef) -> None: ...


class Notifications(Protocol):
    """The mail sent: one row per event, kind, channel and recipient (the delivery key is unique)."""

    async def claim(self, mail: OutgoingMail) -> bool:
        """Record the mail; False when its delivery key was already recorded (sent once)."""
        ...

    async def mark(self, mail: OutgoingMail) -> None:
        """Store its status, adapter and detail."""
        ...

    async def get(self, notification_id: str) -> OutgoingMail | None: ...

    async def find(self, *, order_id: str | None = None, customer_id: str | None = None, limit: int = 200,
                   viewer: Principal | None = None) -> list[OutgoingMail]:
        """Oldest first; `viewer`: only the customers that caller may see (None: every customer)."""
        ...

    async def customers_of_order(self, order_id: str) -> set[str]:
        """Whose order it is, as the mail sent and the order replica say."""
        ...


class WebhookSubscriptions(Protocol):
    async def add(self, subscription: NewSubscription) -> bool:
        """False when the owner already has this URL for this customer (active)."""
        ...

    async def existing(self, *, url: str, customer_id: str | None, owner: str) -> dict[str, Any] | None: ...

    async def owned(self, subscription_id: str, owner: str) -> dict[str, Any] | None:
        """An active subscription of `owner`, as its owner sees it (never a secret)."""
        ...

    async def listed(self, owner: str) -> list[dict[str, Any]]:
        """Active subscriptions of `owner`, oldest first; never a secret."""
        ...

    async def rotate(self, subscription_id: str, owner: str, secret_sealed: str, *,
                     keep_previous: timedelta) -> bool:
        """The new sealed secret signs from now on; the replaced one signs beside it for `keep_previous` (zero: it
        stops at once). False: no active subscription of `owner` by that id."""
        ...

    async def remove(self, subscription_id: str, owner: str, removed_by: str) -> bool:
        """Deactivate and forget its secrets; False: no active subscription of `owner` by that id."""
        ...

    async def receiving(self, customer_id: str) -> list[Subscriber]:
        """Active subscriptions that receive `customer_id`'s notifications (the global ones and the customer's)."""
        ...


class WebhookDeliveries(Protocol):
    async def enqueue(self, *, event_key: str, kind: str, subscription_id: str, url: str, customer_id: str,
                      order_id: str | None, payload: dict[str, Any]) -> bool:
        """One row per (event, kind, subscription); False when this event was already queued for it."""
        ...

    async def end_pending(self, subscription_id: str, reason: str) -> None:
        """Every pending delivery of the subscription ends dead with `reason` as its last attempt."""
        ...

    async def due(self, now: datetime, limit: int) -> list[DueDelivery]:
        """Pending deliveries due by `now`, soonest first, locked (skipping rows another sender holds)."""
        ...

    async def settle(self, row_id: int, *, status: str, attempts: Sequence[dict[str, Any]],
                     attempt_count: int | None = None, next_attempt_at: datetime | None = None,
                     delivered_at: datetime | None = None) -> None:
        """Store an attempt's outcome (a None field is left as it is)."""
        ...

    async def find(self, *, status: str | None = None, order_id: str | None = None,
                   limit: int = 200) -> list[dict[str, Any]]:
        """Deliveries with every attempt, oldest first, as SRE reads them."""
        ...


class SecretSealer(Protocol):
    """Seals a subscription's secret for storage, bound to the subscription id."""

    def seal(self, subscription_id: str, secret: str) -> str: ...

    def open(self, subscription_id: str, sealed: str) -> str:
        """The secret; ValueError when sealed with another key or for another subscription."""
        ...


class WebhookSender(Protocol):
    async def post(self, url: str, secret: str | Sequence[str], payload: dict[str, Any], *, delivery_id: str,
                   kind: str) -> Attempted: ...


class UnitOfWork:
    """One transaction's repositories and the messages it causes. The caller owns the transaction: it commits
    the changes together with `messages` (the outbox) or rolls both back."""

    def __init__(self, *, customers: Customers, orders: Orders, notifications: Notifications,
                 subscriptions: WebhookSubscriptions, deliveries: WebhookDeliveries) -> None:
        self.customers = customers
        self.orders = orders
        self.notifications = notifications
        self.subscriptions = subscriptions
        self.deliveries = deliveries
        self.messages: list[Message] = []

    def publish(self, message: Message) -> None:
        """Send `message` when (and only if) the transaction commits, after those published before it."""
        self.messages.append(message)
