"""The envelope every Kafka message travels in, and the base class of every event and command.

Wire format: the record value is the envelope as JSON (payload inside); the record key is the
envelope key; headers repeat type, version and message id (so routers need not parse the body)
and carry the W3C trace context (`traceparent`, `tracestate`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

HEADER_TYPE = "o2c-type"
HEADER_VERSION = "o2c-version"
HEADER_MESSAGE_ID = "o2c-message-id"
HEADER_PRODUCER = "o2c-producer"
TRACE_HEADERS = ("traceparent", "tracestate")

Kind = Literal["event", "command"]


class Message(BaseModel):
    """Base of every contract. Readers ignore fields they do not know (additive evolution)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1
    KIND: ClassVar[Kind] = "event"
    TOPIC: ClassVar[str]
    KEY_FIELD: ClassVar[str] = "order_id"
    """Name of the payload field whose value is the Kafka key (docs/flow.md "Topics and keys": order id, customer id
    or item code)."""
    CONSUMERS: ClassVar[tuple[str, ...]] = ()
    """Services that react to this message (documentation and the AsyncAPI receive operations)."""

    def message_key(self) -> str:
        return str(getattr(self, self.KEY_FIELD))


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    message_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = Field(ge=1)
    kind: Kind = "event"
    occurred_at: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    key: str
    correlation_id: str = Field(description="The business flow this belongs to, normally the order id")
    causation_id: uuid.UUID | None = Field(default=None, description="Message id that caused this one")
    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        message: Message,
        *,
        producer: str,
        correlation_id: str | None = None,
        causation_id: uuid.UUID | None = None,
        message_id: uuid.UUID | None = None,
    ) -> Self:
        key = message.message_key()
        return cls(
            message_id=message_id or uuid.uuid4(),
            type=message.TYPE,
            version=message.VERSION,
            kind=message.KIND,
            producer=producer,
            key=key,
            correlation_id=correlation_id or key,
            causation_id=causation_id,
            payload=message.model_dump(mode="json"),
        )

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Self:
        return cls.model_validate_json(raw)

    def headers(self, trace: dict[str, str] | None = None) -> list[tuple[str, bytes]]:
        out = [
            (HEADER_TYPE, self.type.encode()),
            (HEADER_VERSION, str(self.version).encode()),
            (HEADER_MESSAGE_ID, str(self.message_id).encode()),
            (HEADER_PRODUCER, self.producer.encode()),
        ]
        for name in TRACE_HEADERS:
            if trace and name in trace:
                out.append((name, trace[name].encode()))
        return out
