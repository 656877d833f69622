"""The topic registry: one producer per topic, every message routed to a declared topic of its producer."""

from __future__ import annotations

import re
import typing

import pytest
from o2c.contracts.catalog import MESSAGES, messages_of, producer_of
from o2c.contracts.errors import PublishNotAllowed, UnknownTopic
from o2c.contracts.samples import SAMPLES
from o2c.contracts.topics import (
    COORDINATOR,
    GST_RATES_TOPIC,
    PARTNER_TOPIC,
    PARTNER_TOPICS,
    TOPICS,
    Service,
    assert_may_publish,
    commands_topic,
    deadletter_topic,
    events_topic,
    is_partner_name,
    partner_of,
    partner_spec,
    partner_topic,
    prefixed,
    topic_for,
)
from o2c.contracts.topics import spec as declared_topic
from o2c.contracts.v1.partner import PARTNER_STATUSES

NAME = re.compile(r"^o2c\.(?P<service>[a-z]+)\.(?P<kind>events|commands|deadletter)\.v1$")


def test_every_topic_is_named_for_its_service_kind_and_major_version() -> None:
    for name, spec in TOPICS.items():
        if name == GST_RATES_TOPIC:  # sales' rate master: a compacted events topic of its own
            assert spec.producer == Service.SALES and spec.kind == "events"
            continue
        match = NAME.match(name)
        assert match, name
        assert match["kind"] == spec.kind
        assert Service(match["service"])  # a real service


def test_every_topic_has_exactly_one_producer_the_owner_or_the_coordinator_for_commands() -> None:
    for name, spec in TOPICS.items():
        match = NAME.match(name) or re.match(r"^o2c\.(?P<service>[a-z]+)\.gst-rates\.v1$", name)
        assert match
        assert isinstance(spec.producer, Service)
        expected = COORDINATOR if spec.kind == "commands" else Service(match["service"])
        assert spec.producer == expected, name


def test_each_service_has_one_events_and_one_deadletter_topic() -> None:
    for service in Service:
        assert TOPICS[events_topic(service)].producer == service
        assert TOPICS[deadletter_topic(service)].producer == service
    # One order-flow events topic per service, plus sales' GST rate master.
    assert len([t for t in TOPICS.values() if t.kind == "events"]) == len(Service) + 1
    assert len([t for t in TOPICS.values() if t.kind == "deadletter"]) == len(Service)


def test_partitions_and_retention_follow_the_declared_policy() -> None:
    for spec in TOPICS.values():
        if spec.name == GST_RATES_TOPIC:  # the latest version of every rate, forever: a replica replays it
            assert (spec.partitions, spec.retention_ms) == (3, -1)
            assert spec.config() == {"retention.ms": "-1", "cleanup.policy": "compact"}
            continue
        if spec.kind == "events":
            assert (spec.partitions, spec.retention_ms) == (6, -1), spec.name  # kept forever: replay
        elif spec.kind == "commands":
            assert spec.partitions == 3 and spec.retention_ms == 14 * 24 * 3600 * 1000
        else:
            assert (spec.partitions, spec.retention_ms) == (3, -1), spec.name  # a dead letter never expires
        assert spec.config() == {"retention.ms": str(spec.retention_ms), "cleanup.policy": "delete"}


def test_every_message_goes_to_a_declared_topic_its_module_service_may_publish_on() -> None:
    for cls in MESSAGES.values():
        if cls.TOPIC == PARTNER_TOPIC:  # one topic per partner: see the partner tests below
            declared = topic_for(cls, partner="edi-gateway")
            assert declared.kind == "partner" and declared.name == "o2c.partner.edi-gateway.order-status.v1"
        else:
            declared = topic_for(cls)
            assert declared.name in TOPICS
            assert declared.kind == {"event": "events", "command": "commands"}[cls.KIND], cls.TYPE
        assert declared.producer == producer_of(cls), cls.TYPE
        assert_may_publish(producer_of(cls), declared.name)


def test_partner_names_name_a_topic_a_broker_user_and_consumer_groups() -> None:
    for good in ("edi-gateway", "P-1", "P1", "acme", "a", "x" * 64):
        assert is_partner_name(good), good
        assert partner_of(partner_topic(good)) == good
    for bad in ("", "-acme", "acme-", "ac.me", "ac_me", "a b", "acme/1", "x" * 65, "ACME\n", "ä"):
        assert not is_partner_name(bad), bad
        with pytest.raises(UnknownTopic):
            partner_topic(bad)
    assert partner_of("o2c.sales.events.v1") is None
    assert partner_of("o2c.partner.a.b.order-status.v1") is None


def test_only_notify_publishes_a_partners_feed_and_only_partner_statuses_go_there() -> None:
    name = partner_topic("edi-gateway")
    found = declared_topic(name)
    assert found == partner_spec("edi-gateway") and name not in TOPICS
    assert (found.producer, found.kind, found.key) == (Service.NOTIFY, "partner", "order id")
    assert_may_publish("notify", name)
    with pytest.raises(PublishNotAllowed):
        assert_may_publish("sales", name)
    with pytest.raises(UnknownTopic):
        topic_for(MESSAGES[("OrderConfirmed", 1)], partner="edi-gateway")  # internal events stay internal
    with pytest.raises(UnknownTopic):
        declared_topic(PARTNER_TOPIC)  # the pattern is no topic of its own
    assert topic_for(MESSAGES[("PartnerOrderConfirmed", 1)]) == PARTNER_TOPICS
    assert set(PARTNER_STATUSES) == {cls for cls in MESSAGES.values() if cls.TOPIC == PARTNER_TOPIC}
    assert all(producer_of(cls) == Service.NOTIFY and cls.CONSUMERS == () for cls in PARTNER_STATUSES)
    assert [s.name for s in prefixed("t1.", [partner_spec("P-1")])] == ["t1.o2c.partner.P-1.order-status.v1"]


def test_events_and_commands_topics_each_carry_messages_and_dead_letter_topics_carry_none() -> None:
    used = {cls.TOPIC for cls in MESSAGES.values()}
    for declared in TOPICS.values():
        assert (declared.name in used) == (declared.kind != "deadletter"), declared.name
    assert used - set(TOPICS) == {PARTNER_TOPIC}


def test_commands_are_consumed_by_the_service_whose_commands_topic_they_use() -> None:
    commands = [cls for cls in MESSAGES.values() if cls.KIND == "command"]
    assert {c.TYPE for c in commands} >= {
        "ReleaseReservation",
        "ReleaseCreditExposure",
        "CancelPickList",
        "ReserveStock",
        "RecheckCredit",
    }
    for cls in commands:
        receiver = NAME.match(cls.TOPIC)
        assert receiver
        assert (Service(receiver["service"]),) == cls.CONSUMERS, cls.TYPE
        assert producer_of(cls) == COORDINATOR


def test_key_fields_follow_flow_md() -> None:
    by_customer = {"CustomerApproved", "CustomerUpdated", "QuotationIssued", "PaymentReceived", "InvoiceSettled",
                   "PaymentReversed", "UnappliedCreditRefunded"}
    by_item = {"ItemCreated", "ItemUpdated"}
    by_rate = {"GstRateRecorded"}
    by_transfer = {"StockTransferDispatched"}
    by_parked_key = {t for t, _ in MESSAGES if t.endswith(("KeyParked", "KeyReleased"))}  # any record key
    for (type_, _), cls in MESSAGES.items():
        expected = ("customer_id" if type_ in by_customer else "item_code" if type_ in by_item
                    else "rate_id" if type_ in by_rate
                    else "transfer_id" if type_ in by_transfer else "key" if type_ in by_parked_key else "order_id")
        assert expected == cls.KEY_FIELD, type_
        assert cls.KEY_FIELD in cls.model_fields
        assert typing.get_type_hints(cls)[cls.KEY_FIELD] is str, type_
        assert SAMPLES[(type_, cls.VERSION)].message_key()


def test_name_helpers_and_publish_guard() -> None:
    assert events_topic("credit") == "o2c.credit.events.v1"
    assert commands_topic(Service.INVENTORY) == "o2c.inventory.commands.v1"
    assert deadletter_topic("notify") == "o2c.notify.deadletter.v1"
    with pytest.raises(UnknownTopic):
        commands_topic("notify")  # notify receives no commands
    with pytest.raises(ValueError):
        events_topic("billing")  # not a service
    assert_may_publish("sales", "o2c.inventory.commands.v1")
    with pytest.raises(PublishNotAllowed, match="only producer is sales"):
        assert_may_publish("inventory", "o2c.inventory.commands.v1")
    with pytest.raises(PublishNotAllowed):
        assert_may_publish("credit", "o2c.sales.events.v1")
    with pytest.raises(UnknownTopic):
        assert_may_publish("sales", "o2c.sales.events.v2")


def test_every_service_publishes_something_and_consumers_are_services() -> None:
    for service in Service:
        assert messages_of(service), service
    for cls in MESSAGES.values():
        assert all(isinstance(c, str) and Service(c) for c in cls.CONSUMERS)
        assert producer_of(cls) not in cls.CONSUMERS, cls.TYPE  # nobody consumes its own topic


def test_prefixed_topics_keep_everything_but_the_name() -> None:
    specs = prefixed("t1.")
    assert [s.name for s in specs] == ["t1." + n for n in TOPICS]
    assert [(s.partitions, s.retention_ms, s.producer) for s in specs] == [
        (s.partitions, s.retention_ms, s.producer) for s in TOPICS.values()
    ]
