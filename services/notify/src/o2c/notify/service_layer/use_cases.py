"""Telling the customer: each event becomes one notice, composed in the customer's language and sent
once per channel and recipient (the delivery key is unique), then `CustomerNotified` for the coordinator, and
queued for every webhook subscription that receives the customer's notifications.
Replicas: contacts from CustomerApproved/CustomerUpdated, order numbers from OrderConfirmed.

Every use case takes the transaction's unit of work first; a message use case also takes what notify tells with
(`Telling`: channels, templates, settings) and the message's `Cause` (its id and the time it is handled)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from o2c.contracts.v1.common import Contact, NotificationChannel
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
    OrderRef,
    OutgoingMail,
    UnitOfWork,
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


@dataclass(frozen=True)
class Telling:
    """What notify tells with: the channel adapters, the template book and the settings."""

    channels: Channels
    book: TemplateBook
    settings: Settings = field(default_factory=Settings)


@dataclass(frozen=True)
class Cause:
    """The message being handled: its id (named on what it causes) and the time it is handled."""

    message_id: str | None
    at: datetime


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
class Occasion:
    """Whom a notice is about: the event's business key, the customer, the order and shipment it concerns, and
    the contact the event named (None: the order's, else the customer replica's)."""

    event_key: str
    customer_id: str
    order_id: str | None
    shipment_id: str | None = None
    contact: ContactPoint | None = None


async def tell(uow: UnitOfWork, notice: Notice, occasion: Occasion, telling: Telling, cause: Cause) -> None:
    """Send the notice once per channel and recipient; `CustomerNotified` when some channel took it, else
    `CustomerNotificationFailed` (also when no contact can be reached)."""
    customer_id, order_id, shipment_id = occasion.customer_id, occasion.order_id, occasion.shipment_id
    customer = await uow.customers.get(customer_id)
    contact = occasion.contact
    if contact is None and order_id:
        order = await uow.orders.get(order_id)
        contact = order.contact if order else None
    contacts = (contact,) if contact else (customer.contacts if customer else ())
    language = customer.language if customer else "en"
    rendered = compose(notice, telling.book, language)
    pairs = recipients(contacts, telling.channels)
    if not pairs:
        reason = "no contact with a reachable channel for this customer"
        failure = OutgoingMail(
            notification_id=f"ntf-{uuid.uuid4().hex[:16]}", event_key=occasion.event_key,
            cause_message_id=cause.message_id, delivery_key=delivery_key(occasion.event_key, notice.kind, "none", ""),
            kind=notice.kind.value, channel="none", recipient="", customer_id=customer_id, order_id=order_id,
            shipment_id=shipment_id, language=rendered.language, subject=rendered.subject, body=rendered.body,
            status="failed", adapter="none", detail=reason,
        )
        if await uow.notifications.claim(failure) and order_id and notice.kind in SUBJECTS:
            uow.publish(CustomerNotificationFailed(
                order_id=order_id, customer_id=customer_id, subject=SUBJECTS[notice.kind], shipment_id=shipment_id,
                reason=reason, cause_message_id=cause.message_id, failed_at=cause.at))
        return
    sent: list[OutgoingMail] = []
    for channel_name, address in pairs:
        mail = OutgoingMail(
            notification_id=f"ntf-{uuid.uuid4().hex[:16]}", event_key=occasion.event_key,
            cause_message_id=cause.message_id,
            delivery_key=delivery_key(occasion.event_key, notice.kind, channel_name, address), kind=notice.kind.value,
            channel=channel_name, recipient=address, customer_id=customer_id, order_id=order_id,
            shipment_id=shipment_id, language=rendered.language, subject=rendered.subject, body=rendered.body,
        )
        if not await uow.notifications.claim(mail):
            continue  # this event was already told on this channel to this address
        adapter = telling.channels.get(channel_name)
        assert adapter is not None
        delivery = await adapter.deliver(mail)
        mail.status = "delivered" if delivery.accepted else "failed"
        mail.adapter, mail.detail = delivery.adapter, delivery.detail
        await uow.notifications.mark(mail)
        sent.append(mail)
    delivered = [m for m in sent if m.status == "delivered"]
    if delivered and order_id and notice.kind in SUBJECTS:
        uow.publish(CustomerNotified(
            order_id=order_id, customer_id=customer_id, subject=SUBJECTS[notice.kind], shipment_id=shipment_id,
            channels=sorted({NotificationChannel(m.channel) for m in delivered}),
            notification_id=delivered[0].notification_id, cause_message_id=cause.message_id, notified_at=cause.at,
        ))
    elif sent and not delivered and order_id and notice.kind in SUBJECTS:
        uow.publish(CustomerNotificationFailed(
            order_id=order_id, customer_id=customer_id, subject=SUBJECTS[notice.kind], shipment_id=shipment_id,
            reason="; ".join(m.detail or "refused" for m in sent), cause_message_id=cause.message_id,
            failed_at=cause.at))


async def queue_webhooks(uow: UnitOfWork, notice: Notice, occasion: Occasion, book: TemplateBook,
                         cause: Cause) -> None:
    """Queue the notification JSON for every subscription that receives this customer's notifications (global ones
    and the customer's), each signed later with its own secret; the sender task posts it, so a slow or dead receiver
    never holds up the consumer; an event already queued for a subscription is not queued again."""
    subscribers = await uow.subscriptions.receiving(occasion.customer_id)
    if not subscribers:
        return
    customer = await uow.customers.get(occasion.customer_id)
    rendered = compose(notice, book, customer.language if customer else "en")
    payload: dict[str, Any] = {
        "type": "notification", "event_key": occasion.event_key, "kind": notice.kind.value,
        "customer_id": occasion.customer_id, "order_id": occasion.order_id, "shipment_id": occasion.shipment_id,
        "cause_message_id": cause.message_id, "language": rendered.language, "subject": rendered.subject,
        "body": rendered.body, "fields": notice.fields(), "occurred_at": cause.at.isoformat(),
    }
    for subscriber in subscribers:
        await uow.deliveries.enqueue(event_key=occasion.event_key, kind=notice.kind.value,
                                     subscription_id=subscriber.subscription_id, url=subscriber.url,
                                     customer_id=occasion.customer_id, order_id=occasion.order_id, payload=payload)


async def announce(uow: UnitOfWork, notice: Notice, occasion: Occasion, telling: Telling, cause: Cause) -> None:
    """Tell the customer and queue the webhooks: what every customer-facing event comes to."""
    await tell(uow, notice, occasion, telling, cause)
    await queue_webhooks(uow, notice, occasion, telling.book, cause)


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


async def names(uow: UnitOfWork, customer_id: str, order_id: str | None) -> tuple[str, str]:
    """Customer name and order number from the replicas (ids when a replica has not arrived yet)."""
    order = await uow.orders.get(order_id) if order_id else None
    customer = await uow.customers.get(customer_id)
    name = customer.name if customer else (order.customer_name if order else customer_id)
    return name, order.order_no if order else (order_id or "")


async def credit_hold_notice(uow: UnitOfWork, message: CreditHeld) -> CreditHoldNotice:
    name, order_no = await names(uow, message.customer_id, message.order_id)
    return CreditHoldNotice(customer_name=name, order_no=order_no, order_value=message.amount,
                            reason=", ".join(_humane(r.value) for r in message.reasons),
                            decision_expected_by=message.sanction_due_by)


async def rejection_notice(uow: UnitOfWork, message: CreditRejected, settings: Settings) -> RejectionNotice:
    name, order_no = await names(uow, message.customer_id, message.order_id)
    reason = _humane(message.reason.value) + (f" ({message.note})" if message.note else "")
    return RejectionNotice(customer_name=name, order_no=order_no, reason=reason,
                           contact=settings.coordinator_contact)


async def backorder_notice(uow: UnitOfWork, message: OrderBackordered) -> BackorderNotice:
    name, _ = await names(uow, message.customer_id, message.order_id)
    order = await uow.orders.get(message.order_id)
    item_names = order.item_names if order else {}
    lines = tuple(BackorderedLine(item_name=item_names.get(line.item_code, line.item_code),
                                  quantity=line.quantity.value, unit=str(line.quantity.unit),
                                  expected_date=line.expected_date)
                  for line in message.lines)
    return BackorderNotice(customer_name=name, order_no=message.order_no, lines=lines)


async def cancellation_notice(uow: UnitOfWork, message: OrderCancelled) -> CancellationNotice:
    name, _ = await names(uow, message.customer_id, message.order_id)
    reason = _humane(message.reason.value) + (f": {message.note}" if message.note else "")
    return CancellationNotice(customer_name=name, order_no=message.order_no, reason=reason,
                              cancelled_at=message.cancelled_at)


async def receipt_notice(uow: UnitOfWork, message: PaymentReceived) -> PaymentReceipt:
    name, _ = await names(uow, message.customer_id, None)
    return PaymentReceipt(
        customer_name=name, receipt_no=message.receipt_no, amount=message.amount, received_on=message.received_on,
        reference=message.bank_reference or message.mode.value,
        allocations=tuple(Allocation(invoice_no=a.invoice_no, amount=a.amount) for a in message.allocations),
        tds_deducted=sum((a.tds_amount for a in message.allocations), Decimal("0")),
        unapplied=message.unapplied_amount,
    )


def _contact(contact: Contact | None) -> ContactPoint | None:
    return contact_point(contact) if contact else None


# --- what each customer-facing event tells ----------------------------------------------------------


async def tell_dispatch(uow: UnitOfWork, message: ShipmentDispatched, telling: Telling, cause: Cause) -> None:
    await announce(uow, dispatch_notice(message, telling.settings), Occasion(
        f"dispatched:{message.shipment_id}", message.customer_id, message.order_id, message.shipment_id,
        _contact(message.contact)), telling, cause)


async def tell_credit_hold(uow: UnitOfWork, message: CreditHeld, telling: Telling, cause: Cause) -> None:
    await announce(uow, await credit_hold_notice(uow, message), Occasion(
        f"credit_held:{message.order_id}:r{message.order_revision}:{message.request_id or ''}",
        message.customer_id, message.order_id), telling, cause)


async def tell_rejection(uow: UnitOfWork, message: CreditRejected, telling: Telling, cause: Cause) -> None:
    await announce(uow, await rejection_notice(uow, message, telling.settings), Occasion(
        f"credit_rejected:{message.order_id}:r{message.order_revision}", message.customer_id, message.order_id),
        telling, cause)


async def tell_backorder(uow: UnitOfWork, message: OrderBackordered, telling: Telling, cause: Cause) -> None:
    await announce(uow, await backorder_notice(uow, message), Occasion(
        f"backordered:{message.order_id}:{message.backordered_at.isoformat()}", message.customer_id,
        message.order_id, contact=_contact(message.contact)), telling, cause)


async def tell_cancellation(uow: UnitOfWork, message: OrderCancelled, telling: Telling, cause: Cause) -> None:
    await announce(uow, await cancellation_notice(uow, message), Occasion(
        f"cancelled:{message.order_id}", message.customer_id, message.order_id, contact=_contact(message.contact)),
        telling, cause)


async def tell_receipt(uow: UnitOfWork, message: PaymentReceived, telling: Telling, cause: Cause) -> None:
    order_id = message.allocations[0].order_id if message.allocations else None
    await announce(uow, await receipt_notice(uow, message), Occasion(
        f"payment:{message.payment_id}", message.customer_id, order_id), telling, cause)


# --- replicas -------------------------------------------------------------------------------------


async def keep_customer(uow: UnitOfWork, message: CustomerApproved | CustomerUpdated) -> None:
    await uow.customers.keep(CustomerContacts(
        customer_id=message.customer_id, name=message.name,
        contacts=tuple(contact_point(c) for c in message.contacts), revision=message.revision,
        active=message.active,
    ))


async def keep_order(uow: UnitOfWork, message: OrderConfirmed) -> None:
    await uow.orders.keep(OrderRef(
        order_id=message.order_id, order_no=message.order_no, customer_id=message.customer_id,
        customer_name=message.customer_name, contact=_contact(message.contact),
        item_names={line.item_code: line.item_name for line in message.lines},
    ))
