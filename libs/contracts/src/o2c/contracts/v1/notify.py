"""v1 messages notify publishes: what the customer was told (or that telling failed)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from o2c.contracts.envelope import Message
from o2c.contracts.topics import Service, events_topic
from o2c.contracts.v1.common import NotificationChannel
from o2c.contracts.v1.parking import KeyParked, KeyReleased
from pydantic import AwareDatetime, Field

EVENTS = events_topic(Service.NOTIFY)


class NotificationSubject(StrEnum):
    """What the customer was told about."""

    ORDER_CONFIRMED = "order_confirmed"
    ORDER_BACKORDERED = "order_backordered"
    ORDER_CANCELLED = "order_cancelled"
    SHIPMENT_DISPATCHED = "shipment_dispatched"
    PAYMENT_RECEIVED = "payment_received"
    CREDIT_HELD = "credit_held"
    CREDIT_REJECTED = "credit_rejected"


class CustomerNotified(Message):
    """The customer was told (dispatch with invoice and e-way bill references, backorder, cancellation…).
    The coordinator closes the order once every shipment is dispatched and notified."""

    TYPE: ClassVar[str] = "CustomerNotified"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    order_id: str
    customer_id: str
    subject: NotificationSubject
    shipment_id: str | None = None
    channels: list[NotificationChannel] = Field(min_length=1, description="Channels that accepted the message")
    notification_id: str
    cause_message_id: str | None = Field(default=None, description="Message id of the event that was told")
    notified_at: AwareDatetime


class CustomerNotificationFailed(Message):
    """Telling the customer failed on every channel after retries (no contact, provider refused). The
    coordinator shows an exception instead of waiting forever to close the order."""

    TYPE: ClassVar[str] = "CustomerNotificationFailed"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    order_id: str
    customer_id: str
    subject: NotificationSubject
    shipment_id: str | None = None
    reason: str
    cause_message_id: str | None = None
    failed_at: AwareDatetime


# --- parked keys (issue 17): the same fields in every service, this service's own types and topic ---------


class NotifyKeyParked(KeyParked):
    """Notify dead-lettered a message and holds its key's later messages on that topic behind it."""

    TYPE: ClassVar[str] = "NotifyKeyParked"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)


class NotifyKeyReleased(KeyReleased):
    """Notify replayed or discarded the dead letter that parked the key: its held messages ran."""

    TYPE: ClassVar[str] = "NotifyKeyReleased"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)
