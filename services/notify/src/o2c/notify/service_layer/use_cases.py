"""Telling the customer: each event becomes one notice, composed in the customer's language and sent
once per channel and recipient (the delivery key is unique), then `CustomerNotified` for the coordinator.
Replicas: contacts from CustomerApproved/CustomerUpdated, order numbers from OrderConfirmed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from o2c.contracts.v1.common import Contact, NotificationChannel

__all__ = ["Contact", "Settings", "tell"]
from o2c.contracts.v1.credit import CreditHeld, CreditRejected, PaymentReceived
from o2c.contracts.v1.dispatch import ShipmentDispatched
from o2c.contracts.v1.notify import CustomerNotificationFailed, CustomerNotified, NotificationSubject
from o2c.contracts.v1.sales import (
    CustomerApproved,
    CustomerUpdated,
    OrderBackordered,
    OrderCancelled,
    OrderConfirmed,
)
from o2c.notify.domain.delivery import TransitTable, expected_delivery_date
from o2c.notify.domain.notices import (
    Allocation,
    BackorderedLine,
    BackorderNotice,
    CancellationNotice,
    CreditHoldNotice,
    DispatchNotice,
    Notice,
    PaymentReceipt,
    RejectionNotice,
    compose,
    delivery_key,
)
from o2c.notify.domain.templates import MessageKind, TemplateBook
from o2c.notify.service_layer.ports import (
    Channels,
    ContactPoint,
    CustomerContacts,
    NotifyRepository,
    OrderRef,
    OutgoingMail,
    Publish,
)

SUBJECTS: dict[MessageKind, NotificationSubject] = {
    MessageKind.DISPATCHED: NotificationSubject.SHIPMENT_DISPATCHED,
    MessageKind.BACKORDERED: NotificationSubject.ORDER_BACKORDERED,
    MessageKind.ORDER_CANCELLED: NotificationSubject.ORDER_CANCELLED,
    MessageKind.PAYMENT_RECEIVED: NotificationSubject.PAYMENT_RECEIVED,
}
"""The contract's subjects; holds and rejections are sent and recorded but have no v1 subject yet."""

ADDRESSED_BY_PHONE = {NotificationChannel.WHATSAPP.value, NotificationChannel.SMS.value}


@dataclass(frozen=True)
class Settings:
    invoice_pdf_url: str = "https://o2c.example/invoices/{invoice_id}.pdf"
    transit: TransitTable = field(default_factory=TransitTable)
    coordinator_contact: str = "your sales coordinator"


def contact_point(contact: Contact) -> ContactPoint:
    return ContactPoint(name=contact.name, email=contact.email, phone=contact.phone,
                        channels=tuple(c.value for c in contact.channels))


def recipients(contacts: tuple[ContactPoint, ...], channels: Channels) -> list[tuple[str, str]]:
    """(channel, address) pairs the contacts asked for and an adapter can carry; e-mail when none is named."""
    out: list[tuple[str, str]] = []
    for contact in contacts:
        wanted = contact.channels or ((NotificationChannel.EMAIL.value,) if contact.email else ())
        for channel in wanted:
            address = contact.phone if channel in ADDRESSED_BY_PHONE else (
                contact.email if channel == NotificationChannel.EMAIL.value else None)
            if address and channels.get(channel) is not None and (channel, address) not in out:
                out.append((channel, address))
    return out


@dataclass(frozen=True)
class Told:
    sent: list[OutgoingMail]
    already_sent: bool
    failed_reason: str | None = None


async def tell(notice: Notice, *, event_key: str, cause_message_id: str | None, customer_id: str,
               order_id: str | None, shipment_id: str | None, contact: ContactPoint | None, repo: NotifyRepository,
               channels: Channels, book: TemplateBook, publish: Publish, now: datetime) -> Told:
    customer = await repo.customer(customer_id)
    if contact is None and order_id:
        order = await repo.order(order_id)
        contact = order.contact if order else None
    contacts = (contact,) if contact else (customer.contacts if customer else ())
    language = customer.language if customer else "en"
    rendered = compose(notice, book, language)
    pairs = recipients(contacts, channels)
    if not pairs:
        reason = "no contact with a reachable channel for this customer"
        failure = OutgoingMail(
            notification_id=f"ntf-{uuid.uuid4().hex[:16]}", event_key=event_key, cause_message_id=cause_message_id,
            delivery_key=delivery_key(event_key, notice.kind, "none", ""), kind=notice.kind.value, channel="none",
            recipient="", customer_id=customer_id, order_id=order_id, shipment_id=shipment_id,
            language=rendered.language, subject=rendered.subject, body=rendered.body, status="failed",
            adapter="none", detail=reason,
        )
        if await repo.claim(failure) and order_id and notice.kind in SUBJECTS:
            await publish(CustomerNotificationFailed(
                order_id=order_id, customer_id=customer_id, subject=SUBJECTS[notice.kind], shipment_id=shipment_id,
                reason=reason, cause_message_id=cause_message_id, failed_at=now))
        return Told(sent=[], already_sent=False, failed_reason=reason)
    sent: list[OutgoingMail] = []
    for channel_name, address in pairs:
        mail = OutgoingMail(
            notification_id=f"ntf-{uuid.uuid4().hex[:16]}", event_key=event_key, cause_message_id=cause_message_id,
            delivery_key=delivery_key(event_key, notice.kind, channel_name, address), kind=notice.kind.value,
            channel=channel_name, recipient=address, customer_id=customer_id, order_id=order_id,
            shipment_id=shipment_id, language=rendered.language, subject=rendered.subject, body=rendered.body,
        )
        if not await repo.claim(mail):
            continue  # this event was already told on this channel to this address
        adapter = channels.get(channel_name)
        assert adapter is not None
        delivery = await adapter.deliver(mail)
        mail.status = "delivered" if delivery.accepted else "failed"
        mail.adapter, mail.detail = delivery.adapter, delivery.detail
        await repo.mark(mail)
        sent.append(mail)
    delivered = [m for m in sent if m.status == "delivered"]
    if delivered and order_id and notice.kind in SUBJECTS:
        await publish(CustomerNotified(
            order_id=order_id, customer_id=customer_id, subject=SUBJECTS[notice.kind], shipment_id=shipment_id,
            channels=sorted({NotificationChannel(m.channel) for m in delivered}),
            notification_id=delivered[0].notification_id, cause_message_id=cause_message_id, notified_at=now,
        ))
    elif sent and not delivered and order_id and notice.kind in SUBJECTS:
        await publish(CustomerNotificationFailed(
            order_id=order_id, customer_id=customer_id, subject=SUBJECTS[notice.kind], shipment_id=shipment_id,
            reason="; ".join(m.detail or "refused" for m in sent), cause_message_id=cause_message_id, failed_at=now))
    return Told(sent=sent, already_sent=not sent)


# --- each event as a notice -----------------------------------------------------------------------


def dispatch_notice(message: ShipmentDispatched, settings: Settings) -> DispatchNotice:
    transport = message.transport
    expected = message.expected_delivery_date or expected_delivery_date(
        message.dispatched_at, transport.distance_km, settings.transit.terms_for(transport.transporter_id))
    return DispatchNotice(
        customer_name=message.customer_name, order_no=message.order_no, shipment_no=message.shipment_no,
        invoice_no=message.invoice_no, invoice_date=message.invoice_date, invoice_value=message.invoice_value,
        invoice_pdf_url=settings.invoice_pdf_url.format(invoice_id=message.invoice_id,
                                                        invoice_no=message.invoice_no),
        dispatched_at=message.dispatched_at, expected_delivery=expected, vehicle_no=transport.vehicle_no,
        transporter_name=transport.transporter_name, lr_no=transport.lr_no, lr_date=transport.lr_date,
        ewaybill_no=message.ewaybill_no, ewaybill_valid_until=message.ewaybill_valid_until,
    )


def _humane(value: str) -> str:
    return value.replace("_", " ")


async def names(repo: NotifyRepository, customer_id: str, order_id: str | None) -> tuple[str, str]:
    """Customer name and order number from the replicas (ids when a replica has not arrived yet)."""
    order = await repo.order(order_id) if order_id else None
    customer = await repo.customer(customer_id)
    name = customer.name if customer else (order.customer_name if order else customer_id)
    return name, order.order_no if order else (order_id or "")


async def credit_hold_notice(message: CreditHeld, repo: NotifyRepository) -> CreditHoldNotice:
    name, order_no = await names(repo, message.customer_id, message.order_id)
    return CreditHoldNotice(customer_name=name, order_no=order_no, order_value=message.amount,
                            reason=", ".join(_humane(r.value) for r in message.reasons),
                            decision_expected_by=message.sanction_due_by)


async def rejection_notice(message: CreditRejected, repo: NotifyRepository, settings: Settings) -> RejectionNotice:
    name, order_no = await names(repo, message.customer_id, message.order_id)
    reason = _humane(message.reason.value) + (f" ({message.note})" if message.note else "")
    return RejectionNotice(customer_name=name, order_no=order_no, reason=reason,
                           contact=settings.coordinator_contact)


async def backorder_notice(message: OrderBackordered, repo: NotifyRepository) -> BackorderNotice:
    name, _ = await names(repo, message.customer_id, message.order_id)
    order = await repo.order(message.order_id)
    item_names = order.item_names if order else {}
    lines = tuple(BackorderedLine(item_name=item_names.get(line.item_code, line.item_code),
                                  quantity=line.quantity.value, unit=str(line.quantity.unit),
                                  expected_date=line.expected_date)
                  for line in message.lines)
    return BackorderNotice(customer_name=name, order_no=message.order_no, lines=lines)


async def cancellation_notice(message: OrderCancelled, repo: NotifyRepository) -> CancellationNotice:
    name, _ = await names(repo, message.customer_id, message.order_id)
    reason = _humane(message.reason.value) + (f": {message.note}" if message.note else "")
    return CancellationNotice(customer_name=name, order_no=message.order_no, reason=reason,
                              cancelled_at=message.cancelled_at)


async def receipt_notice(message: PaymentReceived, repo: NotifyRepository) -> PaymentReceipt:
    name, _ = await names(repo, message.customer_id, None)
    return PaymentReceipt(
        customer_name=name, receipt_no=message.receipt_no, amount=message.amount, received_on=message.received_on,
        reference=message.bank_reference or message.mode.value,
        allocations=tuple(Allocation(invoice_no=a.invoice_no, amount=a.amount) for a in message.allocations),
        tds_deducted=sum((a.tds_amount for a in message.allocations), Decimal("0")),
        unapplied=message.unapplied_amount,
    )


# --- replicas -------------------------------------------------------------------------------------


async def keep_customer(message: CustomerApproved | CustomerUpdated, repo: NotifyRepository) -> None:
    await repo.keep_customer(CustomerContacts(
        customer_id=message.customer_id, name=message.name,
        contacts=tuple(contact_point(c) for c in message.contacts), revision=message.revision,
        active=message.active,
    ))


async def keep_order(message: OrderConfirmed, repo: NotifyRepository) -> None:
    await repo.keep_order(OrderRef(
        order_id=message.order_id, order_no=message.order_no, customer_id=message.customer_id,
        customer_name=message.customer_name, contact=contact_point(message.contact) if message.contact else None,
        item_names={line.item_code: line.item_name for line in message.lines},
    ))


# --- webhooks -------------------------------------------------------------------------------------


class WebhookQueue(Protocol):
    async def subscriptions(self, customer_id: str | None = None) -> list[dict[str, Any]]: ...

    async def enqueue(self, *, event_key: str, kind: str, subscription_id: str, url: str, customer_id: str,
                      order_id: str | None, payload: dict[str, Any]) -> bool: ...


async def queue_webhooks(notice: Notice, *, event_key: str, cause_message_id: str | None, customer_id: str,
                         order_id: str | None, shipment_id: str | None, queue: WebhookQueue,
                         repo: NotifyRepository, book: TemplateBook, now: datetime) -> list[str]:
    """Queue the notification JSON for every subscription that receives this customer's notifications (global ones
    and the customer's), each signed later with its own secret; the sender task posts it, so a slow or dead receiver
    never holds up the consumer. Returns the subscription ids newly queued."""
    subscriptions = await queue.subscriptions(customer_id)
    if not subscriptions:
        return []
    customer = await repo.customer(customer_id)
    rendered = compose(notice, book, customer.language if customer else "en")
    payload: dict[str, Any] = {
        "type": "notification", "event_key": event_key, "kind": notice.kind.value, "customer_id": customer_id,
        "order_id": order_id, "shipment_id": shipment_id, "cause_message_id": cause_message_id,
        "language": rendered.language, "subject": rendered.subject, "body": rendered.body,
        "fields": notice.fields(), "occurred_at": now.isoformat(),
    }
    queued = []
    for subscription in subscriptions:
        if await queue.enqueue(event_key=event_key, kind=notice.kind.value,
                               subscription_id=subscription["subscription_id"], url=subscription["url"],
                               customer_id=customer_id, order_id=order_id, payload=payload):
            queued.append(subscription["subscription_id"])
    return queued
