"""The reference subscriber without a broker: FastStream's in-memory test broker delivers envelopes as o2c's
notify writes them; the store applies each status once."""

from __future__ import annotations

from pathlib import Path

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from o2c.contracts import samples
from o2c.contracts.envelope import Envelope
from o2c.contracts.errors import UnknownTopic
from o2c.contracts.v1.partner import PartnerOrderConfirmed, PartnerShipmentDispatched
from o2c.contracts.v1.sales import OrderConfirmed
from partner_subscriber.app import build
from partner_subscriber.settings import Settings
from partner_subscriber.store import OrderBook

SETTINGS = Settings(partner="edi-gateway", password="")


def envelope_of(message: PartnerOrderConfirmed | PartnerShipmentDispatched | OrderConfirmed) -> Envelope:
    return Envelope.wrap(message, producer="notify")


async def deliver(tmp_path: Path, *envelopes: Envelope | bytes) -> OrderBook:
    book = OrderBook(tmp_path / "orders.sqlite3")
    app = build(SETTINGS, book)
    assert isinstance(app.broker, KafkaBroker)
    async with TestKafkaBroker(app.broker) as broker:
        for envelope in envelopes:
            raw = envelope if isinstance(envelope, bytes) else envelope.to_bytes()
            await broker.publish(raw, topic=SETTINGS.topic)
    return book


async def test_each_status_is_recorded_once_by_its_message_id(tmp_path: Path) -> None:
    confirmed = envelope_of(samples.sample(PartnerOrderConfirmed))
    dispatched = envelope_of(samples.sample(PartnerShipmentDispatched))
    book = await deliver(tmp_path, confirmed, confirmed, dispatched, dispatched)
    assert book.history(samples.ORDER_ID) == ["PartnerOrderConfirmed", "PartnerShipmentDispatched"]
    [order] = book.orders()
    assert (order.order_no, order.customer_id, order.status) == (samples.ORDER_NO, samples.CUSTOMER_ID, "dispatched")


async def test_types_it_does_not_know_are_skipped(tmp_path: Path) -> None:
    unknown = envelope_of(samples.sample(PartnerOrderConfirmed)).model_copy(update={"type": "PartnerOrderAmended"})
    internal = envelope_of(samples.sample(OrderConfirmed))  # never on a partner topic; skipped if it were
    book = await deliver(tmp_path, unknown, internal)
    assert book.orders() == []


def test_settings_come_from_the_environment_with_the_partners_own_topic_and_group() -> None:
    settings = Settings.from_env({"O2C_PARTNER_NAME": "edi-gateway", "O2C_PARTNER_PASSWORD": "s3cret"})
    assert settings.topic == "o2c.partner.edi-gateway.order-status.v1"
    assert (settings.consumer_group, settings.username) == ("partner-edi-gateway", "partner-edi-gateway")
    assert "s3cret" not in repr(settings)
    with pytest.raises(SystemExit):
        Settings.from_env({})
    with pytest.raises(UnknownTopic):
        Settings.from_env({"O2C_PARTNER_NAME": "edi.gateway"})
