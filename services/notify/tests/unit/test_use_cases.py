"""Notify's use cases on fakes: an in-memory outbox mail with the unique delivery key, recording channels."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from o2c.contracts import samples
from o2c.contracts.envelope import Message
from o2c.contracts.v1.credit import CreditHeld, PaymentReceived
from o2c.contracts.v1.dispatch import ShipmentDispatched
from o2c.contracts.v1.notify import CustomerNotificationFailed, CustomerNotified, NotificationSubject
from o2c.contracts.v1.sales import CustomerApproved, CustomerUpdated, OrderBackordered, OrderConfirmed
from o2c.notify.domain.delivery import TransitTable, TransitTerms
from o2c.notify.domain.seed_templates import SEED_TEMPLATES
from o2c.notify.domain.templates import TemplateBook
from o2c.notify.service_layer import use_cases
from o2c.notify.service_layer.ports import (
    Channels,
    CustomerContacts,
    Delivery,
    OrderRef,
    OutgoingMail,
)

NOW = datetime(2026, 5, 4, 7, 0, tzinfo=UTC)
BOOK = TemplateBook(SEED_TEMPLATES)
SETTINGS = use_cases.Settings(invoice_pdf_url="https://docs.example/{invoice_id}.pdf",
                              transit=TransitTable(default=TransitTerms(days=1, per_km=300),
                                                   by_transporter={"29SLOW": TransitTerms(days=2, per_km=100)}))


class FakeRepository:
    def __init__(self) -> None:
        self.customers: dict[str, CustomerContacts] = {}
        self.orders: dict[str, OrderRef] = {}
        self.mails: dict[str, OutgoingMail] = {}

    async def customer(self, customer_id: str) -> CustomerContacts | None:
        return self.customers.get(customer_id)

    async def keep_customer(self, customer: CustomerContacts) -> None:
        current = self.customers.get(customer.customer_id)
        if current is None or current.revision <= customer.revision:
            self.customers[customer.customer_id] = customer

    async def order(self, order_id: str) -> OrderRef | None:
        return self.orders.get(order_id)

    async def keep_order(self, order: OrderRef) -> None:
        self.orders[order.order_id] = order

    async def claim(self, mail: OutgoingMail) -> bool:
        if mail.delivery_key in self.mails:
            return False
        self.mails[mail.delivery_key] = dataclasses.replace(mail)
        return True

    async def mark(self, mail: OutgoingMail) -> None:
        self.mails[mail.delivery_key] = dataclasses.replace(mail)

    async def find(self, *, order_id: str | None = None, customer_id: str | None = None,
                   limit: int = 200) -> list[OutgoingMail]:
        return [m for m in self.mails.values() if order_id in (None, m.order_id)]


class Recording:
    def __init__(self, accept: bool = True) -> None:
        self.accept, self.sent = accept, []  # type: ignore[var-annotated]

    async def deliver(self, mail: OutgoingMail) -> Delivery:
        self.sent.append(mail)
        return Delivery(accepted=self.accept, adapter="recording", detail=None if self.accept else "bounced")


class Published(list[Message]):
    async def __call__(self, message: Message) -> None:
        self.append(message)


@pytest.fixture
def repo() -> FakeRepository:
    return FakeRepository()


def channels(email: Recording | None = None, whatsapp: Recording | None = None) -> Channels:
    return Channels({"email": email or Recording(), "whatsapp": whatsapp or Recording()})


async def tell_dispatch(message: ShipmentDispatched, repo: FakeRepository, chans: Channels,
                        published: Published) -> use_cases.Told:
    return await use_cases.tell(
        use_cases.dispatch_notice(message, SETTINGS), event_key=f"dispatched:{message.shipment_id}",
        cause_message_id="m1", customer_id=message.customer_id, order_id=message.order_id,
        shipment_id=message.shipment_id, contact=use_cases.contact_point(message.contact) if message.contact
        else None, repo=repo, channels=chans, book=BOOK, publish=published, now=NOW)


async def test_dispatch_told_once_per_channel_even_when_redelivered(repo: FakeRepository) -> None:
    email, whatsapp = Recording(), Recording()
    chans, published = channels(email, whatsapp), Published()
    message = samples.sample(ShipmentDispatched)
    await tell_dispatch(message, repo, chans, published)
    again = await tell_dispatch(message, repo, chans, published)
    assert again.already_sent
    assert [m.recipient for m in email.sent] == [samples.CONTACT.email]
    assert [m.recipient for m in whatsapp.sent] == [samples.CONTACT.phone]
    [notified] = published
    assert isinstance(notified, CustomerNotified)
    assert notified.subject is NotificationSubject.SHIPMENT_DISPATCHED
    assert sorted(notified.channels) == ["email", "whatsapp"]
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


async def test_hold_goes_to_the_replicas_contact_with_the_order_number(repo: FakeRepository) -> None:
    await use_cases.keep_customer(samples.sample(CustomerApproved), repo)
    await use_cases.keep_order(samples.sample(OrderConfirmed), repo)
    email, published = Recording(), Published()
    held = samples.sample(CreditHeld)
    notice = await use_cases.credit_hold_notice(held, repo)
    await use_cases.tell(notice, event_key="h1", cause_message_id=None, customer_id=held.customer_id,
                         order_id=held.order_id, shipment_id=None, contact=None, repo=repo,
                         channels=channels(email), book=BOOK, publish=published, now=NOW)
    assert email.sent[0].recipient == samples.CONTACT.email
    assert samples.ORDER_NO in email.sent[0].body and "Arun Retail LLP" in email.sent[0].body
    assert published == []  # no v1 subject for holds: recorded and sent, not announced


async def test_replica_keeps_the_highest_revision(repo: FakeRepository) -> None:
    newer = samples.sample(CustomerUpdated).model_copy(update={"revision": 5, "name": "Arun Retail (new)"})
    await use_cases.keep_customer(newer, repo)
    await use_cases.keep_customer(samples.sample(CustomerApproved), repo)
    assert repo.customers[samples.CUSTOMER_ID].name == "Arun Retail (new)"


async def test_backorder_names_items_from_the_order(repo: FakeRepository) -> None:
    await use_cases.keep_order(samples.sample(OrderConfirmed), repo)
    notice = await use_cases.backorder_notice(samples.sample(OrderBackordered), repo)
    assert notice.lines[0].item_name in {"Sandal soap 100 g", "Assam CTC tea 500 g"}


async def test_receipt_lists_allocations_and_tds(repo: FakeRepository) -> None:
    payment = samples.sample(PaymentReceived)
    notice = await use_cases.receipt_notice(payment, repo)
    assert notice.amount == payment.amount
    assert notice.tds_deducted == sum((a.tds_amount for a in payment.allocations), Decimal("0"))


async def test_no_contact_fails_visibly_once(repo: FakeRepository) -> None:
    published = Published()
    message = samples.sample(ShipmentDispatched).model_copy(update={"contact": None})
    first = await tell_dispatch(message, repo, channels(), published)
    await tell_dispatch(message, repo, channels(), published)
    assert first.failed_reason and len(published) == 1
    assert isinstance(published[0], CustomerNotificationFailed)


async def test_refused_by_every_channel_is_a_failure(repo: FakeRepository) -> None:
    published = Published()
    await tell_dispatch(samples.sample(ShipmentDispatched), repo,
                        channels(Recording(accept=False), Recording(accept=False)), published)
    assert [type(m) for m in published] == [CustomerNotificationFailed]
    assert {m.status for m in repo.mails.values()} == {"failed"}
