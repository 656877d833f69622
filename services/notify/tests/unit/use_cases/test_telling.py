"""Telling the customer on an in-memory notify: once per event, channel and recipient, with the replicas'
names and contacts, a visible failure when nobody can be reached, and the webhooks queued beside."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from o2c.contracts import samples
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
from o2c.notify.service_layer import use_cases
from o2c.notify.service_layer.ports import Channels, NewSubscription
from o2c.notify.service_layer.use_cases import Cause, Telling
from o2c.testsupport.notify.fakes import BOOK, NOW, SETTINGS, InMemoryNotify, RecordingChannel, channels

CAUSE = Cause("m1", NOW)


def telling(chans: Channels | None = None) -> Telling:
    return Telling(channels=chans or channels(), book=BOOK, settings=SETTINGS)


async def tell_dispatch(notify: InMemoryNotify, message: ShipmentDispatched, chans: Channels) -> None:
    uow = notify.uow()
    await use_cases.tell_dispatch(uow, message, telling(chans), CAUSE)
    notify.commit(uow)


async def test_dispatch_told_once_per_channel_even_when_redelivered(notify: InMemoryNotify) -> None:
    email, whatsapp = RecordingChannel(), RecordingChannel()
    chans = channels(email, whatsapp)
    message = samples.sample(ShipmentDispatched)
    await tell_dispatch(notify, message, chans)
    await tell_dispatch(notify, message, chans)
    assert [m.recipient for m in email.sent] == [samples.CONTACT.email]
    assert [m.recipient for m in whatsapp.sent] == [samples.CONTACT.phone]
    [notified] = notify.committed
    assert isinstance(notified, CustomerNotified)
    assert notified.subject is NotificationSubject.SHIPMENT_DISPATCHED and notified.cause_message_id == "m1"
    assert sorted(notified.channels) == ["email", "whatsapp"]
    assert {m.status for m in notify.mails} == {"delivered"}
    body = email.sent[0].body
    for part in ("INV/26-27/000123", "https://docs.example/inv-000123.pdf", samples.EWAYBILL_NO, "KA01AB1234",
                 "VRL Logistics", "LR-558812 dated 4 May 2026", "6 May 2026"):
        assert part in body


def test_expected_delivery_from_distance_and_the_transporters_pace() -> None:
    message = samples.sample(ShipmentDispatched).model_copy(update={"expected_delivery_date": None})
    assert use_cases.dispatch_notice(message, SETTINGS).expected_delivery == date(2026, 5, 6)  # 350 km, 300/day
    slow = message.model_copy(update={"transport": message.transport.model_copy(update={"transporter_id": "29SLOW"})})
    assert use_cases.dispatch_notice(slow, SETTINGS).expected_delivery == date(2026, 5, 12)  # 4 × 2 days
    given = message.model_copy(update={"expected_delivery_date": date(2026, 5, 9)})
    assert use_cases.dispatch_notice(given, SETTINGS).expected_delivery == date(2026, 5, 9)


async def test_hold_goes_to_the_replicas_contact_with_the_order_number(notify: InMemoryNotify) -> None:
    uow = notify.uow()
    await use_cases.keep_customer(uow, samples.sample(CustomerApproved))
    await use_cases.keep_order(uow, samples.sample(OrderConfirmed))
    email = RecordingChannel()
    uow = notify.uow()
    await use_cases.tell_credit_hold(uow, samples.sample(CreditHeld), telling(channels(email)), CAUSE)
    assert email.sent[0].recipient == samples.CONTACT.email
    assert samples.ORDER_NO in email.sent[0].body and "Arun Retail LLP" in email.sent[0].body
    assert uow.messages == []  # no v1 subject for holds: recorded and sent, not announced


async def test_a_rejection_names_whom_to_contact(notify: InMemoryNotify) -> None:
    await use_cases.keep_customer(notify.uow(), samples.sample(CustomerApproved))
    email = RecordingChannel()
    await use_cases.tell_rejection(notify.uow(), samples.sample(CreditRejected), telling(channels(email)), CAUSE)
    assert SETTINGS.coordinator_contact in email.sent[0].body


async def test_replica_keeps_the_highest_revision(notify: InMemoryNotify) -> None:
    newer = samples.sample(CustomerUpdated).model_copy(update={"revision": 5, "name": "Arun Retail (new)"})
    await use_cases.keep_customer(notify.uow(), newer)
    await use_cases.keep_customer(notify.uow(), samples.sample(CustomerApproved))
    kept = await notify.uow().customers.get(samples.CUSTOMER_ID)
    assert kept is not None and kept.name == "Arun Retail (new)"


async def test_backorder_names_items_from_the_order(notify: InMemoryNotify) -> None:
    await use_cases.keep_order(notify.uow(), samples.sample(OrderConfirmed))
    notice = await use_cases.backorder_notice(notify.uow(), samples.sample(OrderBackordered))
    assert notice.lines[0].item_name in {"Sandal soap 100 g", "Assam CTC tea 500 g"}


async def test_a_cancellation_is_told_once_and_announced(notify: InMemoryNotify) -> None:
    email = RecordingChannel()
    for _ in range(2):
        uow = notify.uow()
        await use_cases.tell_cancellation(uow, samples.sample(OrderCancelled), telling(channels(email)), CAUSE)
        notify.commit(uow)
    assert len(email.sent) == 1
    [notified] = notify.committed
    assert isinstance(notified, CustomerNotified) and notified.subject is NotificationSubject.ORDER_CANCELLED


async def test_receipt_lists_allocations_and_tds(notify: InMemoryNotify) -> None:
    payment = samples.sample(PaymentReceived)
    notice = await use_cases.receipt_notice(notify.uow(), payment)
    assert notice.amount == payment.amount
    assert notice.tds_deducted == sum((a.tds_amount for a in payment.allocations), Decimal("0"))


async def test_no_contact_fails_visibly_once(notify: InMemoryNotify) -> None:
    message = samples.sample(ShipmentDispatched).model_copy(update={"contact": None})
    await tell_dispatch(notify, message, channels())
    await tell_dispatch(notify, message, channels())
    [announced] = notify.committed
    assert isinstance(announced, CustomerNotificationFailed) and "no contact" in announced.reason
    [failed] = notify.mails
    assert (failed.status, failed.channel, failed.detail) == ("failed", "none", announced.reason)


async def test_refused_by_every_channel_is_a_failure(notify: InMemoryNotify) -> None:
    await tell_dispatch(notify, samples.sample(ShipmentDispatched),
                        channels(RecordingChannel(accept=False), RecordingChannel(accept=False)))
    assert [type(m) for m in notify.committed] == [CustomerNotificationFailed]
    assert {m.status for m in notify.mails} == {"failed"}


async def test_every_told_event_is_queued_once_for_the_customers_and_the_global_subscriptions(
        notify: InMemoryNotify) -> None:
    uow = notify.uow()
    for sid, customer in (("whs-global", None), ("whs-own", samples.CUSTOMER_ID), ("whs-other", "cus-other")):
        await uow.subscriptions.add(NewSubscription(subscription_id=sid, url=f"https://{sid}.example/hook",
                                                    customer_id=customer, owner="sre", partner_id=None,
                                                    secret_sealed="x", created_by="sre-1"))
    message = samples.sample(ShipmentDispatched)
    await tell_dispatch(notify, message, channels())
    await tell_dispatch(notify, message, channels())  # redelivered: queued once
    queued = await notify.uow().deliveries.find()
    assert sorted(d["subscription_id"] for d in queued) == ["whs-global", "whs-own"]
    payload = queued[0]["payload"]
    assert (payload["kind"], payload["event_key"], payload["order_id"]) == (
        "dispatched", f"dispatched:{message.shipment_id}", message.order_id)
    assert payload["cause_message_id"] == "m1" and payload["delivery_id"] == queued[0]["delivery_id"]
