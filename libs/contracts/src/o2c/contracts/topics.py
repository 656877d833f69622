"""The topic registry: every Kafka topic of o2c, its partitions, key, retention and the one service that publishes.

Naming: `o2c.<service>.<kind>.v<major>`.
- `o2c.<svc>.events.v1`: the events a service publishes (only that service writes to it).
- `o2c.<svc>.commands.v1`: commands addressed to a service (only the order saga coordinator in `sales`
  writes to it); the receiving service replies with an event on its own events topic.
- `o2c.<svc>.deadletter.v1`: messages that service could not handle, with the reason (written and
  replayed by that service).
- `o2c.partner.<partner>.order-status.v1`: one partner's order-status feed (only its customers' orders, only
  what those customers may see); notify is its only producer, the partner its only reader. Not in `TOPICS`:
  there is one per onboarded partner, created by the SRE's onboarding step (`partner_topic`, `partner_spec`).

Run `python -m o2c.contracts.topics create` to create what is missing on a broker (the local broker has
`auto.create.topics.enable=false`), `python -m o2c.contracts.topics list` to compare registry and broker.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

from o2c.contracts.errors import PublishNotAllowed, UnknownTopic

if TYPE_CHECKING:
    from o2c.contracts.envelope import Message

DEFAULT_BOOTSTRAP = "127.0.0.1:19092"
MAJOR_VERSION = 1

TopicKind = Literal["events", "commands", "deadletter", "partner"]

FOREVER = -1
DAY_MS = 24 * 60 * 60 * 1000

EVENTS_RETENTION_MS = FOREVER
"""Events are kept forever: every read model (the order-status screen, credit exposure, inventory's item
replica…) must be rebuildable by replaying from offset 0, and a time limit would silently cut off the
beginning of long-lived keys (a customer approved two years ago, an item created once). A distributor's
volume is a few GB a year; revisit with tiered storage, not with a shorter retention."""

GST_RATES_TOPIC = "o2c.sales.gst-rates.v1"
"""Sales' GST rate master (issue 16): a compacted events topic beside sales' order-flow events."""

COMMANDS_RETENTION_MS = 14 * DAY_MS
"""Commands are acted on within minutes and re-sent by the coordinator from its saga state when no reply
comes, so they are not replay material; 14 days outlasts any outage we would sit through."""

DEADLETTER_RETENTION_MS = FOREVER
"""A dead letter waits for a person; expiring it would lose a message silently (docs/flow.md: never silence).
They are few and small."""

EVENTS_PARTITIONS = 6
"""Order-flow topics: 6 partitions, enough parallelism for a 2-core machine with room to scale consumers."""

SMALL_PARTITIONS = 3
"""Commands and dead letters are low-volume."""


PARTNER_TOPIC = "o2c.partner.{partner}.order-status.v1"
"""The address pattern of the per-partner order-status topics (issue 22); `{partner}` is the partner's name."""

PARTNER_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?")
"""A partner's name: it names the partner's topic, its broker user and its consumer groups (`partner-<name>`), so
letters, digits and inner hyphens only, at most 64: no dot (the topic's separator) and no underscore (Kafka's
metric names confuse `.` and `_`)."""

PARTNER_PARTITIONS = 3
"""One partner's customers' orders: low volume; the key (order id) keeps each order's statuses in order."""


class Service(StrEnum):
    """The seven services; each owns its database and its topics."""

    SALES = "sales"
    CREDIT = "credit"
    INVENTORY = "inventory"
    DISPATCH = "dispatch"
    INVOICING = "invoicing"
    EWAYBILL = "ewaybill"
    NOTIFY = "notify"


COORDINATOR = Service.SALES
"""The order saga coordinator lives in sales: it is the only publisher of commands."""

COMMAND_RECEIVERS: tuple[Service, ...] = (
    Service.CREDIT, Service.INVENTORY, Service.DISPATCH, Service.INVOICING, Service.EWAYBILL,
)
"""Services that receive the coordinator's commands (and so have a commands topic). Invoicing and ewaybill
receive the undo of their documents when an order is cancelled or reduced after invoicing (issue 21)."""


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One Kafka topic as o2c declares it."""

    name: str
    partitions: int
    key: str
    """What the record key is, in words (the message class's KEY_FIELD says it precisely)."""
    retention_ms: int
    """-1 keeps records forever."""
    producer: Service
    """The only service allowed to publish here."""
    kind: TopicKind
    description: str
    cleanup_policy: str = "delete"

    def config(self) -> dict[str, str]:
        """Topic-level configuration passed to the broker at creation."""
        return {"retention.ms": str(self.retention_ms), "cleanup.policy": self.cleanup_policy}


def _name(service: Service, kind: TopicKind, major: int = MAJOR_VERSION) -> str:
    return f"o2c.{service.value}.{kind}.v{major}"


_EVENT_KEYS: dict[Service, str] = {
    Service.SALES: "order id (order flow, returns); customer id (customer master, quotations); item code (items)",
    Service.CREDIT: "order id (decisions, receivables, order settlement); customer id (payments, invoice settlement)",
    Service.INVENTORY: "order id (reservations, backorders, issues, returns); transfer id (stock transfers)",
    Service.DISPATCH: "order id",
    Service.INVOICING: "order id",
    Service.EWAYBILL: "order id",
    Service.NOTIFY: "order id",
}

_EVENT_DESCRIPTIONS: dict[Service, str] = {
    Service.SALES: "Customer and item master, quotations, and the order's life as its saga coordinator decides it.",
    Service.CREDIT: "Credit decisions, receivables, payments and settlement, and replies to credit commands.",
    Service.INVENTORY: "Reservations, releases, backorder fills and new dates, stock issued at gate-out, returned "
                       "goods, stock transfers between warehouses.",
    Service.DISPATCH: "Pick lists, pick confirmations, shipments ready, gate-out, vehicle changes.",
    Service.INVOICING: "GST tax invoices, IRN registration, cancellations and credit notes.",
    Service.EWAYBILL: "E-way bills: generated, not required, rejected, updated, extended, cancelled.",
    Service.NOTIFY: "What the customer was told, and when telling failed.",
}


def _build_registry() -> dict[str, TopicSpec]:
    specs: list[TopicSpec] = []
    for service in Service:
        specs.append(
            TopicSpec(
                name=_name(service, "events"),
                partitions=EVENTS_PARTITIONS,
                key=_EVENT_KEYS[service],
                retention_ms=EVENTS_RETENTION_MS,
                producer=service,
                kind="events",
                description=_EVENT_DESCRIPTIONS[service],
            )
        )
    for service in COMMAND_RECEIVERS:
        specs.append(
            TopicSpec(
                name=_name(service, "commands"),
                partitions=SMALL_PARTITIONS,
                key="order id",
                retention_ms=COMMANDS_RETENTION_MS,
                producer=COORDINATOR,
                kind="commands",
                description=f"Commands from the order saga coordinator (sales) to {service.value}; "
                f"{service.value} replies with an event on {_name(service, 'events')}.",
            )
        )
    specs.append(
        TopicSpec(
            name=GST_RATES_TOPIC,
            partitions=SMALL_PARTITIONS,
            key="rate id: HSN prefix and effective date (`8413@2025-09-22`)",
            retention_ms=FOREVER,
            producer=Service.SALES,
            kind="events",
            description="Sales' GST rate master, one record per effective-dated rate and its latest version: "
            "compacted and kept forever, so a replica (invoicing's) is rebuilt by replaying from offset 0.",
            cleanup_policy="compact",
        )
    )
    for service in Service:
        specs.append(
            TopicSpec(
                name=_name(service, "deadletter"),
                partitions=SMALL_PARTITIONS,
                key="the original record's key",
                retention_ms=DEADLETTER_RETENTION_MS,
                producer=service,
                kind="deadletter",
                description=f"Messages {service.value} could not handle (original record plus the reason); "
                f"listed and replayed by {service.value}.",
            )
        )
    return {spec.name: spec for spec in specs}


TOPICS: dict[str, TopicSpec] = _build_registry()
"""Every topic of o2c by name."""


def is_partner_name(partner: str) -> bool:
    """Can `partner` name a partner's topic, broker user and consumer groups?"""
    return PARTNER_NAME.fullmatch(partner) is not None


def partner_topic(partner: str) -> str:
    """The order-status topic of one partner (`UnknownTopic` for a name that cannot name a topic)."""
    if not is_partner_name(partner):
        raise UnknownTopic(f"{partner!r} cannot name a partner topic: letters, digits and inner hyphens, at most 64")
    return PARTNER_TOPIC.format(partner=partner)


def _partner_spec(name: str) -> TopicSpec:
    return TopicSpec(
        name=name,
        partitions=PARTNER_PARTITIONS,
        key="order id",
        retention_ms=FOREVER,
        producer=Service.NOTIFY,
        kind="partner",
        description="One partner's order-status feed: the orders of the customers that partner serves (the sales "
        "head's binding on the customer master), from confirmation to dispatch and closing, with only what the "
        "customer may see. Read by that partner alone.",
    )


def partner_spec(partner: str) -> TopicSpec:
    """The declaration of one partner's topic (what the onboarding step creates)."""
    return _partner_spec(partner_topic(partner))


PARTNER_TOPICS = _partner_spec(PARTNER_TOPIC)
"""The per-partner topics as one declaration, its name the address pattern (documents, not a topic to create)."""

_PARTNER_ADDRESS = re.compile(r"o2c\.partner\.(?P<partner>[^.]+)\.order-status\.v1")


def partner_of(name: str) -> str | None:
    """The partner whose topic `name` is, or None."""
    match = _PARTNER_ADDRESS.fullmatch(name)
    return match["partner"] if match and is_partner_name(match["partner"]) else None


def spec(name: str) -> TopicSpec:
    """The declared topic of that name (a partner's topic too), or `UnknownTopic`."""
    try:
        return TOPICS[name]
    except KeyError:
        if partner_of(name) is not None:
            return _partner_spec(name)
        raise UnknownTopic(f"topic {name!r} is not declared in o2c.contracts.topics") from None


def _declared(service: Service | str, kind: TopicKind) -> str:
    return spec(_name(Service(service), kind)).name


def events_topic(service: Service | str) -> str:
    """Name of the topic `service` publishes its events on."""
    return _declared(service, "events")


def commands_topic(service: Service | str) -> str:
    """Name of the topic commands addressed to `service` travel on (UnknownTopic if it receives none)."""
    return _declared(service, "commands")


def deadletter_topic(service: Service | str) -> str:
    """Name of the topic `service` dead-letters to."""
    return _declared(service, "deadletter")


def topic_for(message_cls: type[Message] | Message, *, partner: str | None = None) -> TopicSpec:
    """The topic a message class (or instance) is published on; a partner's status goes to the topic of the
    `partner` named (without one, the per-partner declaration `PARTNER_TOPICS`, which no record is sent to)."""
    if message_cls.TOPIC == PARTNER_TOPIC:
        return partner_spec(partner) if partner is not None else PARTNER_TOPICS
    if partner is not None:
        raise UnknownTopic(f"{message_cls.TYPE} goes to {message_cls.TOPIC}, not to a partner's topic")
    return spec(message_cls.TOPIC)


def assert_may_publish(service: Service | str, topic: str | TopicSpec) -> None:
    """Raise `PublishNotAllowed` unless `service` is the declared producer of `topic`."""
    target = topic if isinstance(topic, TopicSpec) else spec(topic)
    if Service(service) != target.producer:
        raise PublishNotAllowed(
            f"{Service(service).value} may not publish on {target.name}: its only producer is {target.producer.value}"
        )


def topics_by(*, kind: TopicKind | None = None, producer: Service | str | None = None) -> list[TopicSpec]:
    """Declared topics, filtered."""
    return [
        t
        for t in TOPICS.values()
        if (kind is None or t.kind == kind) and (producer is None or t.producer == Service(producer))
    ]


# --- creating topics on a broker ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TopicState:
    """What the broker has for a declared topic."""

    spec: TopicSpec
    exists: bool
    partitions: int | None = None
    retention_ms: int | None = None

    @property
    def drift(self) -> str | None:
        if not self.exists:
            return "missing"
        problems = []
        if self.partitions is not None and self.partitions != self.spec.partitions:
            problems.append(f"has {self.partitions} partitions, declared {self.spec.partitions}")
        if self.retention_ms is not None and self.retention_ms != self.spec.retention_ms:
            problems.append(f"has retention.ms={self.retention_ms}, declared {self.spec.retention_ms}")
        return "; ".join(problems) or None


def prefixed(prefix: str, specs: Iterable[TopicSpec] | None = None) -> list[TopicSpec]:
    """The declared topics with `prefix` before each name (a test run, or a second environment on one
    cluster: the kit's outbox and consumers take the same prefix)."""
    chosen = list(specs if specs is not None else TOPICS.values())
    return [replace(s, name=prefix + s.name) for s in chosen] if prefix else chosen


def client_options() -> dict[str, Any]:
    """How this tool authenticates: the `O2C_KAFKA_*` variables every o2c client reads (o2c.kit's KafkaSecurity;
    the contracts package stands alone, so it reads them itself). Creating topics takes the admin user
    (deploy/local/stack.sh passes its .stack/kafka/admin.env)."""
    protocol = os.environ.get("O2C_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    if protocol == "PLAINTEXT":
        return {}
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol.endswith("SSL"):
        from aiokafka.helpers import create_ssl_context

        options["ssl_context"] = create_ssl_context(cafile=os.environ.get("O2C_KAFKA_SSL_CAFILE") or None)
    if protocol.startswith("SASL"):
        options |= {"sasl_mechanism": os.environ.get("O2C_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
                    "sasl_plain_username": os.environ.get("O2C_KAFKA_SASL_USERNAME", ""),
                    "sasl_plain_password": os.environ.get("O2C_KAFKA_SASL_PASSWORD", "")}
    return options


async def broker_state(bootstrap: str, specs: Iterable[TopicSpec] | None = None) -> list[TopicState]:
    """Which declared topics exist on the broker, and with how many partitions."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    wanted = list(specs if specs is not None else TOPICS.values())
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="o2c-topics", request_timeout_ms=15000,
                                **client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        present = [s.name for s in wanted if s.name in existing]
        partitions: dict[str, int] = {}
        retention: dict[str, int] = {}
        if present:
            for described in await admin.describe_topics(present):
                partitions[described["topic"]] = len(described["partitions"])
            resources = [ConfigResource(ConfigResourceType.TOPIC, name, None) for name in present]
            for response in await admin.describe_configs(resources):
                for resource in response.to_object()["resources"]:
                    for entry in resource["config_entries"]:
                        if entry["config_names"] == "retention.ms":
                            retention[resource["resource_name"]] = int(entry["config_value"])
    finally:
        await admin.close()
    return [TopicState(s, s.name in existing, partitions.get(s.name), retention.get(s.name)) for s in wanted]


async def create_missing(
    bootstrap: str,
    *,
    replication_factor: int = 1,
    specs: Iterable[TopicSpec] | None = None,
    ready_timeout: float = 30.0,
) -> tuple[list[str], list[TopicState]]:
    """Create every declared topic the broker lacks, and wait until the broker's metadata lists them.
    Idempotent: existing topics are left alone.

    Returns the names created and the states of the topics that already existed. A topic whose
    partitions or retention differ from the declaration is reported, never changed here: adding
    partitions moves keys to other partitions and would break order per key for messages in flight,
    and a retention change is a decision for a person.
    """
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError, for_code

    states = await broker_state(bootstrap, specs)
    missing = [st.spec for st in states if not st.exists]
    existing = [st for st in states if st.exists]
    created: list[str] = []
    if not missing:
        return created, existing
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="o2c-topics", request_timeout_ms=30000,
                                **client_options())
    await admin.start()
    try:
        response: Any = await admin.create_topics(
            [NewTopic(s.name, s.partitions, replication_factor, topic_configs=s.config()) for s in missing]
        )
        failures: list[str] = []
        by_name = {s.name: s for s in missing}
        for error in response.topic_errors:
            name, code = error[0], error[1]
            message = error[2] if len(error) > 2 else None
            if code == 0:
                created.append(name)
            elif code == TopicAlreadyExistsError.errno:
                # Created meanwhile (another creator, or metadata that lagged the controller): fine.
                existing.append(TopicState(by_name[name], exists=True))
            else:
                failures.append(f"{name}: {for_code(code).__name__} {message or ''}".strip())
        if failures:
            raise RuntimeError("could not create topics: " + "; ".join(failures))
        # A consumer subscribing right after this returns must find its topics.
        deadline = asyncio.get_running_loop().time() + ready_timeout
        while not set(created) <= set(await admin.list_topics()):
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"topics created but not visible after {ready_timeout}s: {sorted(created)}")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()
    return sorted(created), existing


def _print_registry(specs: Sequence[TopicSpec], states: Sequence[TopicState] | None = None) -> None:
    by_name = {st.spec.name: st for st in states or ()}
    for t in specs:
        retention = "forever" if t.retention_ms == FOREVER else f"{t.retention_ms // DAY_MS}d"
        line = f"{t.name:<32} {t.kind:<10} p={t.partitions} retention={retention:<7} producer={t.producer.value}"
        if states is not None:
            st = by_name.get(t.name)
            line += "  " + ((st.drift or "ok") if st else "?")
        print(line)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m o2c.contracts.topics", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_ in (("create", "create missing topics (idempotent)"), ("list", "registry vs broker")):
        p = sub.add_parser(name, help=help_)
        p.add_argument(
            "--bootstrap",
            default=os.environ.get("O2C_KAFKA_BOOTSTRAP", DEFAULT_BOOTSTRAP),
            help="HOST:PORT (default: $O2C_KAFKA_BOOTSTRAP or %(default)s)",
        )
        p.add_argument("--prefix", default="", help="put this before every topic name (test runs)")
        p.add_argument("--partner", action="append", default=[], metavar="NAME",
                       help="only this partner's order-status topic (repeatable; partner onboarding)")
        if name == "create":
            p.add_argument(
                "--replication-factor",
                type=int,
                default=int(os.environ.get("O2C_KAFKA_REPLICATION_FACTOR", "1")),
                help="(default: $O2C_KAFKA_REPLICATION_FACTOR or 1, for the single local broker)",
            )
        else:
            p.add_argument("--offline", action="store_true", help="print the registry without asking a broker")
    args = parser.parse_args(argv)
    try:
        chosen = [partner_spec(p) for p in args.partner] if args.partner else None
    except UnknownTopic as exc:
        parser.error(str(exc))
    specs = prefixed(args.prefix, chosen)

    if args.command == "list":
        if args.offline:
            _print_registry(specs)
            return 0
        states = asyncio.run(broker_state(args.bootstrap, specs))
        _print_registry(specs, states)
        return 0 if all(st.drift is None for st in states) else 1

    created, existing = asyncio.run(
        create_missing(args.bootstrap, replication_factor=args.replication_factor, specs=specs)
    )
    for name in created:
        print(f"created  {name}")
    drifted = [st for st in existing if st.drift]
    for st in drifted:
        print(f"WARNING  {st.spec.name}: {st.drift}", file=sys.stderr)
    print(f"{len(created)} created, {len(existing)} already present, {len(specs)} declared at {args.bootstrap}")
    return 1 if drifted else 0


if __name__ == "__main__":
    sys.exit(main())
