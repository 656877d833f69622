"""What notify's use cases need: the replicas, the outbox mail (claimed once per delivery key), and
the channel adapters that carry a message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from o2c.contracts.envelope import Message


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


class NotifyRepository(Protocol):
    async def customer(self, customer_id: str) -> CustomerContacts | None: ...

    async def keep_customer(self, customer: CustomerContacts) -> None:
        """Keep the highest revision."""
        ...

    async def order(self, order_id: str) -> OrderRef | None: ...

    async def keep_order(self, order: OrderRef) -> None: ...

    async def claim(self, mail: OutgoingMail) -> bool:
        """Record the mail; False when its delivery key was already recorded (sent once)."""
        ...

    async def mark(self, mail: OutgoingMail) -> None: ...

    async def find(self, *, order_id: str | None = None, customer_id: str | None = None,
                   limit: int = 200) -> list[OutgoingMail]: ...


Publish = Callable[[Message], Awaitable[Any]]


@dataclass
class Channels:
    """The adapter for each channel name; a channel without an adapter is not offered."""

    by_name: dict[str, Channel] = field(default_factory=dict)

    def get(self, name: str) -> Channel | None:
        return self.by_name.get(name)
