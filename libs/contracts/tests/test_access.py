"""The broker grants follow the topic registry: a service writes only what it produces, reads what it consumes; a
partner reads only its own topic; the test user reaches only its prefixes (docs/security.md "The broker")."""

from __future__ import annotations

import pytest
from o2c.contracts.access import (
    TEST_PREFIXES,
    Grant,
    fixture_grants,
    partner_grants,
    partner_topic_name,
    service_grants,
)
from o2c.contracts.topics import TOPICS, Service, commands_topic, events_topic


def _covers(pattern: str, grant_name: str, name: str) -> bool:
    return name == grant_name if pattern == "literal" else name.startswith(grant_name)


def allowed(grants: list[Grant], resource: str, name: str, operation: str) -> bool:
    return any(g.resource == resource and _covers(g.pattern, g.name, name)
               and (operation in g.operations or "All" in g.operations) for g in grants)


def test_a_service_writes_only_the_topics_it_produces_and_reads_what_it_consumes() -> None:
    grants = service_grants("credit", [events_topic("sales"), commands_topic("credit")])
    writable = {t for t in TOPICS if allowed(grants, "topic", t, "Write")}  # (the registry's, not partners')
    assert writable == {t.name for t in TOPICS.values() if t.producer == Service.CREDIT}
    readable = {t for t in TOPICS if allowed(grants, "topic", t, "Read")}
    assert readable == {events_topic("sales"), commands_topic("credit")}
    assert allowed(grants, "group", "o2c-credit", "Read")
    assert not allowed(grants, "group", "o2c-sales", "Read")
    assert not any(g.resource == "cluster" or "Create" in g.operations or "All" in g.operations for g in grants)


def test_sales_alone_writes_the_commands_and_notify_alone_the_partners_feeds() -> None:
    for service in Service:
        grants = service_grants(service, [])
        assert allowed(grants, "topic", commands_topic("inventory"), "Write") == (service == Service.SALES)
        assert allowed(grants, "topic", partner_topic_name("acme"), "Write") == (service == Service.NOTIFY)


def test_a_read_model_reads_in_a_group_under_its_service() -> None:
    grants = service_grants("sales", [])
    assert allowed(grants, "group", "o2c-sales.tracking", "Read")
    assert not allowed(grants, "group", "o2c-salesx", "Read")


def test_a_partner_reads_only_its_own_topic_in_its_own_groups() -> None:
    grants = partner_grants("acme")
    assert {g.name for g in grants if g.resource == "topic"} == {partner_topic_name("acme")}
    assert all(set(g.operations) <= {"Read", "Describe"} for g in grants)
    assert allowed(grants, "group", "partner-acme", "Read")
    assert allowed(grants, "group", "partner-acme.orders", "Read")
    assert not allowed(grants, "group", "partner-acme-2", "Read")  # another partner's name starts alike
    assert not allowed(grants, "topic", partner_topic_name("acme-2"), "Read")


@pytest.mark.parametrize("name", ["", "acme_x", "acme.x", "a" * 65, "-acme", "acme-"])
def test_a_partner_name_goes_into_topics_users_and_groups_only_when_plain(name: str) -> None:
    with pytest.raises(ValueError):
        partner_grants(name)


def test_the_test_user_reaches_its_prefixes_and_only_lists_the_real_topics() -> None:
    grants = fixture_grants()
    for prefix in TEST_PREFIXES:
        assert allowed(grants, "topic", f"{prefix}1234abcd.o2c.sales.events.v1", "Create")
        assert allowed(grants, "group", f"{prefix}1234abcd.sales", "Read")
    for topic in TOPICS:
        assert not any(allowed(grants, "topic", topic, op) for op in ("Read", "Write", "Delete"))
        assert allowed(grants, "topic", topic, "Describe")
    assert not allowed(grants, "topic", partner_topic_name("acme"), "Read")
