"""The notices a service publishes when its consumer parks or releases a key (o2c.contracts.v1.parking), so
sales can show on the order page and in the saga exceptions a key parked in any service."""

from __future__ import annotations

from datetime import UTC, datetime

from o2c.contracts.catalog import UnknownMessage, message_class
from o2c.contracts.envelope import Message
from o2c.contracts.v1.parking import parking_type_names


def _class(service: str, which: int) -> type[Message] | None:
    try:
        return message_class(parking_type_names(service)[which], 1)
    except UnknownMessage:
        return None  # a consumer outside the seven services (a test probe): nobody to tell


def parked_notice(service: str, *, key: str, topic: str, dead_letter_id: int, message_type: str | None,
                  reason: str) -> Message | None:
    cls = _class(service, 0)
    if cls is None:
        return None
    return cls(key=key, service=service, topic=topic, dead_letter_id=dead_letter_id, message_type=message_type,
               reason=reason[:1000], parked_at=datetime.now(UTC))


def released_notice(service: str, *, key: str, topic: str, dead_letter_id: int, resolution: str) -> Message | None:
    cls = _class(service, 1)
    if cls is None:
        return None
    return cls(key=key, service=service, topic=topic, dead_letter_id=dead_letter_id, resolution=resolution,
               released_at=datetime.now(UTC))
