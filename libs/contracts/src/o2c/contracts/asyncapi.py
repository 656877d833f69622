"""The AsyncAPI 3.0 documents of o2c, generated from the topic registry and the message models.

    python -m o2c.contracts.asyncapi > docs/asyncapi.json                      # the team's: every topic
    python -m o2c.contracts.asyncapi --partner > docs/asyncapi-partner.json    # the partners': their feed only

Channels are topics; each message is the envelope (JSON) whose `payload` is the message's schema, with
the o2c headers; operations are `send` by the topic's only producer and `receive` by each consuming
service (consumer group `o2c-<service>`). The partner document holds only the per-partner order-status
channel (its address a pattern with the partner's name), its messages and the SCRAM security a partner
connects with. Output is deterministic, so the committed copies can be compared with fresh ones in tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from o2c.contracts.catalog import MESSAGES, producer_of
from o2c.contracts.envelope import (
    HEADER_MESSAGE_ID,
    HEADER_PRODUCER,
    HEADER_TYPE,
    HEADER_VERSION,
    Envelope,
    Message,
)
from o2c.contracts.samples import SAMPLES
from o2c.contracts.topics import (
    DEFAULT_BOOTSTRAP,
    PARTNER_TOPIC,
    PARTNER_TOPICS,
    TOPICS,
    Service,
    TopicSpec,
    topic_for,
)
from pydantic.json_schema import models_json_schema

KAFKA_BINDING = "0.5.0"
SCHEMAS = "#/components/schemas/"
DLQ_HEADERS = {
    "o2c-dlq-reason": "Why the message was dead-lettered (the ContractError text or the handler's error)",
    "o2c-dlq-error": "Exception class",
    "o2c-dlq-topic": "Topic the original record came from",
    "o2c-dlq-partition": "Its partition",
    "o2c-dlq-offset": "Its offset",
    "o2c-dlq-status": "open, or another state set by the owner's dead-letter tooling",
}
_EXAMPLE_NS = uuid.UUID("5f0b9b8e-6f0e-4d2f-9a53-0c2e0a7d2c10")
_EXAMPLE_AT = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
_EXAMPLE_TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


PARTNER_CHANNEL = "partner-order-status-v1"
SCRAM = "scram"


def _channel_id(topic: TopicSpec) -> str:
    if topic.name == PARTNER_TOPIC:
        return PARTNER_CHANNEL
    return topic.name.removeprefix("o2c.").replace(".", "-")


def _summary(cls: type[Message]) -> str:
    doc = " ".join((cls.__doc__ or "").split())
    return doc.split(". ")[0].rstrip(".") + "." if doc else cls.TYPE


def _headers(cls: type[Message]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [HEADER_TYPE, HEADER_VERSION, HEADER_MESSAGE_ID, HEADER_PRODUCER],
        "properties": {
            HEADER_TYPE: {"type": "string", "const": cls.TYPE, "description": "Message type"},
            HEADER_VERSION: {"type": "string", "const": str(cls.VERSION), "description": "Schema major version"},
            HEADER_MESSAGE_ID: {"type": "string", "format": "uuid", "description": "Same as the envelope's"},
            HEADER_PRODUCER: {"type": "string", "const": producer_of(cls).value},
            "traceparent": {
                "type": "string",
                "description": "W3C trace context: one trace from the HTTP request to the last consumer",
                "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
            },
            "tracestate": {"type": "string", "description": "W3C trace state"},
        },
    }


def _payload(cls: type[Message]) -> dict[str, Any]:
    return {
        "allOf": [
            {"$ref": SCHEMAS + "Envelope"},
            {
                "type": "object",
                "required": ["type", "version", "kind", "payload"],
                "properties": {
                    "type": {"const": cls.TYPE},
                    "version": {"const": cls.VERSION},
                    "kind": {"const": cls.KIND},
                    "producer": {"const": producer_of(cls).value},
                    "payload": {"$ref": SCHEMAS + cls.__name__},
                },
            },
        ]
    }


def _example(cls: type[Message]) -> dict[str, Any]:
    message = SAMPLES[(cls.TYPE, cls.VERSION)]
    envelope = Envelope.wrap(
        message,
        producer=producer_of(cls).value,
        message_id=uuid.uuid5(_EXAMPLE_NS, f"{cls.TYPE}/{cls.VERSION}"),
    ).model_copy(update={"occurred_at": _EXAMPLE_AT})
    headers = {name: value.decode() for name, value in envelope.headers({"traceparent": _EXAMPLE_TRACEPARENT})}
    return {"name": f"{cls.TYPE}-example", "headers": headers, "payload": envelope.model_dump(mode="json")}


def _message(cls: type[Message]) -> dict[str, Any]:
    topic = topic_for(cls)
    return {
        "name": cls.TYPE,
        "title": cls.TYPE,
        "summary": _summary(cls),
        "description": " ".join((cls.__doc__ or "").split()),
        "contentType": "application/json",
        "headers": _headers(cls),
        "payload": _payload(cls),
        "correlationId": {
            "description": "The business flow (normally the order id)",
            "location": "$message.payload#/correlation_id",
        },
        "tags": [{"name": cls.KIND}, {"name": producer_of(cls).value}],
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"{cls.KEY_FIELD} of the payload ({topic.key})"},
                "bindingVersion": KAFKA_BINDING,
            }
        },
        "examples": [_example(cls)],
        "x-o2c-key-field": cls.KEY_FIELD,
        "x-o2c-consumers": [Service(c).value for c in cls.CONSUMERS],
    }


def _dead_letter_message() -> dict[str, Any]:
    return {
        "name": "DeadLetter",
        "title": "Dead letter",
        "summary": "A record its consumer could not handle: the original value and headers, plus the reason.",
        "description": (
            "The value is the original record value, byte for byte (normally an o2c envelope, but it may be"
            " undecodable); headers are the original ones plus the o2c-dlq-* headers. Only the owning service"
            " writes, lists and replays them."
        ),
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "required": ["o2c-dlq-reason", "o2c-dlq-topic", "o2c-dlq-partition", "o2c-dlq-offset"],
            "properties": {name: {"type": "string", "description": text} for name, text in DLQ_HEADERS.items()},
        },
        "payload": {"description": "The original record value (an Envelope when it could be decoded)"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The original record's key"},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def _op_ref(channel_id: str) -> dict[str, str]:
    return {"$ref": f"#/channels/{channel_id}"}


def _msg_ref(channel_id: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/channels/{channel_id}/messages/{name}"}


def _channel(topic: TopicSpec, names: list[str]) -> dict[str, Any]:
    kafka: dict[str, Any] = {"topic": topic.name} if topic.name != PARTNER_TOPIC else {}
    channel: dict[str, Any] = {
        "address": topic.name,
        "title": topic.name,
        "description": f"{topic.description} Key: {topic.key}. Only {topic.producer.value} publishes here.",
        "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
        "bindings": {
            "kafka": kafka | {
                "partitions": topic.partitions,
                "topicConfiguration": {
                    "cleanup.policy": [topic.cleanup_policy],
                    "retention.ms": topic.retention_ms,
                },
                "bindingVersion": KAFKA_BINDING,
            }
        },
        "x-o2c-kind": topic.kind,
        "x-o2c-producer": topic.producer.value,
    }
    if topic.name == PARTNER_TOPIC:
        channel["parameters"] = {"partner": {
            "description": "Your partner name, given at onboarding (letters, digits and inner hyphens): your "
            "broker user is `partner-<name>`, your consumer groups `partner-<name>` or `partner-<name>.<anything>`",
            "examples": ["edi-gateway"],
        }}
    return channel


def _schemas(classes: list[type[Message]]) -> dict[str, Any]:
    _, defs = models_json_schema(
        [(cls, "serialization") for cls in classes] + [(Envelope, "serialization")], ref_template=SCHEMAS + "{model}",
    )
    return dict(sorted(defs["$defs"].items()))


def _by_topic() -> dict[str, list[type[Message]]]:
    by_topic: dict[str, list[type[Message]]] = {name: [] for name in [*TOPICS, PARTNER_TOPIC]}
    for cls in MESSAGES.values():
        by_topic[cls.TOPIC].append(cls)
    return by_topic


def document() -> dict[str, Any]:
    """The team's AsyncAPI 3.0 document (every topic, the partner feed's pattern too) as a dict."""
    by_topic = _by_topic()
    schemas = _schemas(list(MESSAGES.values()))

    messages: dict[str, Any] = {cls.TYPE: _message(cls) for cls in MESSAGES.values()}
    messages["DeadLetter"] = _dead_letter_message()

    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in [*TOPICS.values(), PARTNER_TOPICS]:
        cid = _channel_id(topic)
        names = ["DeadLetter"] if topic.kind == "deadletter" else [cls.TYPE for cls in by_topic[topic.name]]
        channels[cid] = _channel(topic, names)
        operations[f"{topic.producer.value}-send-{cid}"] = {
            "action": "send",
            "channel": _op_ref(cid),
            "title": f"{topic.producer.value} publishes on {topic.name}",
            "messages": [_msg_ref(cid, name) for name in names],
        }
        receivers: dict[str, list[str]] = {}
        if topic.kind == "deadletter":
            receivers[topic.producer.value] = names  # the owner lists and replays its dead letters
        for cls in by_topic[topic.name]:
            for consumer in cls.CONSUMERS:
                receivers.setdefault(Service(consumer).value, []).append(cls.TYPE)
        for service in sorted(receivers):
            operations[f"{service}-receive-{cid}"] = {
                "action": "receive",
                "channel": _op_ref(cid),
                "title": f"{service} consumes {topic.name}",
                "messages": [_msg_ref(cid, name) for name in receivers[service]],
                "bindings": {
                    "kafka": {
                        "groupId": {"type": "string", "enum": [f"o2c-{service}"]},
                        "bindingVersion": KAFKA_BINDING,
                    }
                },
            }

    return {
        "asyncapi": "3.0.0",
        "id": "urn:o2c:messages",
        "info": {
            "title": "o2c messages",
            "version": "1.0.0",
            "description": (
                "Every Kafka message between the seven o2c services (order-to-cash for Indian distributors)."
                " Each record value is an envelope (JSON) whose `payload` is the message; the record key is"
                " the envelope key; headers repeat type, version, message id and producer and carry the W3C"
                " trace context. Within a major version contracts change only additively; see docs/contracts.md."
                " Partners read their own order-status topic only: docs/asyncapi-partner.json."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": DEFAULT_BOOTSTRAP,
                "protocol": "kafka",
                "description": "The local stack's broker (deploy/local/stack.sh); O2C_KAFKA_BOOTSTRAP elsewhere.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def partner_document() -> dict[str, Any]:
    """The partners' AsyncAPI 3.0 document: their order-status channel, its messages and SCRAM, nothing else."""
    classes = _by_topic()[PARTNER_TOPIC]
    names = [cls.TYPE for cls in classes]
    cid = _channel_id(PARTNER_TOPICS)
    return {
        "asyncapi": "3.0.0",
        "id": "urn:o2c:partner-order-status",
        "info": {
            "title": "o2c order status for partners",
            "version": "1.0.0",
            "description": (
                "The order-status feed of the customers a partner system serves: order confirmed, released, "
                "backordered, invoiced (number, amount), e-way bill (number, validity), dispatched (vehicle, "
                "expected date), closed, cancelled. Each partner reads its own topic "
                "`o2c.partner.<partner>.order-status.v1` with its own SCRAM-SHA-512 user (`partner-<partner>`) and "
                "consumer groups `partner-<partner>` or `partner-<partner>.…`; it can read nothing else. Each "
                "record value is an envelope (JSON) whose `payload` is the message; the record key is the order id,"
                " so one order's statuses arrive in order; `message_id` is unique (be idempotent on it: a record "
                "may arrive twice). Within v1 messages change only additively: ignore types and fields you do not "
                "know. See docs/contracts.md, \"How a partner subscribes\", and the reference subscriber in "
                "examples/partner-subscriber."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": DEFAULT_BOOTSTRAP,
                "protocol": "kafka",
                "description": "The local stack's broker (deploy/local/stack.sh); your onboarding names yours.",
                "security": [{"$ref": f"#/components/securitySchemes/{SCRAM}"}],
            }
        },
        "channels": {cid: _channel(PARTNER_TOPICS, names)},
        "operations": {
            f"partner-receive-{cid}": {
                "action": "receive",
                "channel": _op_ref(cid),
                "title": "A partner consumes its own order-status topic",
                "messages": [_msg_ref(cid, name) for name in names],
                "bindings": {
                    "kafka": {
                        "groupId": {"type": "string", "pattern": "^partner-[A-Za-z0-9-]+(\\..+)?$",
                                    "description": "partner-<partner>, or partner-<partner>.<anything>"},
                        "bindingVersion": KAFKA_BINDING,
                    }
                },
            }
        },
        "components": {
            "schemas": _schemas(classes),
            "messages": {cls.TYPE: _message(cls) for cls in classes},
            "securitySchemes": {
                SCRAM: {
                    "type": "scramSha512",
                    "description": "SASL/SCRAM-SHA-512 with the user and password given at onboarding (the user is"
                    " `partner-<partner>`); the broker allows it to read its own topic only.",
                }
            },
        },
    }


def render(*, partner: bool = False) -> str:
    return json.dumps(partner_document() if partner else document(), indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m o2c.contracts.asyncapi", description=__doc__.splitlines()[0])
    parser.add_argument("--output", "-o", help="write here instead of stdout")
    parser.add_argument("--partner", action="store_true", help="the partners' document (their feed only)")
    args = parser.parse_args(argv)
    text = render(partner=args.partner)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
