"""Who may do what on the broker, derived from the topic registry: the ACLs of each service's Kafka user (local
stack: deploy/local/kafka_access.py; Kubernetes: deploy/k8s/generate.py's KafkaUsers), a partner's and the test
fixtures'. One computation, so the local broker and the cluster refuse the same things.

A service writes the topics it is the declared producer of (its events and dead letters; sales also the commands
and the GST rates) and reads what it consumes (its ServiceDefinition's `subscribes_to` and read models', passed
in: contracts know no service code); its consumer groups are `o2c-<service>` and `o2c-<service>.<read model>`.
An idempotent producer needs no cluster right: WRITE on a topic admits it (KIP-679).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from o2c.contracts.topics import TOPICS, Service

Resource = Literal["topic", "group", "cluster"]
Pattern = Literal["literal", "prefixed"]
Operation = Literal["All", "Read", "Write", "Describe", "Create", "Delete", "DescribeConfigs", "AlterConfigs"]

PARTNER_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?")
"""A partner's name: letters, digits and inner hyphens, at most 64 (it names a topic, a user and groups: no dot,
the topic's separator, and no underscore, which Kafka's metric names confuse with a dot)."""

PARTNER_TOPICS_PREFIX = "o2c.partner."
"""Every partner's order-status topic starts so (`o2c.partner.<partner>.order-status.v1`); notify writes them."""

PARTNER_PARTITIONS = 3
"""One partner's customers' orders: low volume; the key (order id) keeps each order's statuses in order."""

TEST_PREFIXES = ("t", "bench", "bare")
"""Topic and consumer-group prefixes of the test fixtures and benchmarks: o2c.kit.testing's per-run `t<hex>.`,
bench/chain.py's `bench<tag>.`, bench/bare_chain.py's `bare<hex>.` (none starts like `o2c.` or `__`)."""



@dataclass(frozen=True, slots=True)
class Grant:
    """Allow `operations` on one resource pattern (for one principal, named by the caller)."""

    resource: Resource
    name: str
    pattern: Pattern
    operations: tuple[Operation, ...]


def service_user(service: Service | str) -> str:
    return f"o2c-{Service(service).value}"


def service_group(service: Service | str) -> str:
    """The service's consumer group; its read models' are `<group>.<read model>` (`o2c-sales.tracking`)."""
    return f"o2c-{Service(service).value}"


def own_groups(group: str, operations: tuple[Operation, ...]) -> list[Grant]:
    """A group and those under it (`<group>.<anything>`): the dot keeps `partner-acme` out of `partner-acme-2`'s."""
    return [Grant("group", group, "literal", operations), Grant("group", f"{group}.", "prefixed", operations)]


def service_grants(service: Service | str, consumes: Iterable[str]) -> list[Grant]:
    """WRITE/DESCRIBE where the registry names `service` the producer, READ/DESCRIBE on what it consumes,
    READ/DESCRIBE on its own consumer groups. Nothing else: no topic creation, no cluster rights."""
    me = Service(service)
    grants = [Grant("topic", spec.name, "literal", ("Write", "Describe"))
              for spec in TOPICS.values() if spec.producer == me]
    grants += [Grant("topic", name, "literal", ("Read", "Describe")) for name in sorted(set(consumes))]
    if me == Service.NOTIFY:  # the partners' feeds: one topic per onboarded partner, notify their only producer
        grants.append(Grant("topic", PARTNER_TOPICS_PREFIX, "prefixed", ("Write", "Describe")))
    return grants + own_groups(service_group(me), ("Read", "Describe"))


def partner_topic_name(partner: str) -> str:
    """A partner's own order-status topic (the registry's per-partner pattern)."""
    return f"{PARTNER_TOPICS_PREFIX}{valid_partner(partner)}.order-status.v1"


def partner_user(partner: str) -> str:
    return f"partner-{valid_partner(partner)}"


def partner_group(partner: str) -> str:
    """A partner's consumer group: this one, or any `partner-<partner>.<name>`."""
    return f"partner-{valid_partner(partner)}"


def partner_grants(partner: str, topic_prefix: str = "") -> list[Grant]:
    """READ/DESCRIBE on its own topic only, and its own consumer groups. `topic_prefix`: the topic of a test run
    (its services publish every topic under the run's prefix)."""
    return [Grant("topic", topic_prefix + partner_topic_name(partner), "literal", ("Read", "Describe")),
            *own_groups(partner_group(partner), ("Read", "Describe"))]


def fixture_grants() -> list[Grant]:
    """The test fixtures' principal: everything on the per-run prefixes (they create, use and delete their own
    topics and groups), and DESCRIBE on the real topics so a tool can list them (not read them)."""
    grants = [Grant("topic", p, "prefixed", ("All",)) for p in TEST_PREFIXES]
    grants += [Grant("group", p, "prefixed", ("All",)) for p in TEST_PREFIXES]
    grants.append(Grant("topic", "o2c.", "prefixed", ("Describe",)))
    return grants


def valid_partner(partner: str) -> str:
    if not PARTNER_NAME.fullmatch(partner):
        raise ValueError(f"partner name {partner!r}: letters, digits and inner hyphens, at most 64")
    return partner
