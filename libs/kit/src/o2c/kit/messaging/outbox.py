"""Transactional outbox: a state change and the messages it causes commit in one transaction."""

from __future__ import annotations

import uuid

from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.topics import assert_may_publish, topic_for
from o2c.kit.messaging.schema import TABLES
from o2c.kit.telemetry import current_trace_headers
from sqlalchemy.ext.asyncio import AsyncSession


class Outbox:
    """Adds a service's outgoing messages to the caller's open transaction."""

    def __init__(self, service: str, topic_prefix: str = "") -> None:
        self.service = service
        # A prefix namespaces every topic (a test run, or a second environment on one cluster).
        self.topic_prefix = topic_prefix

    async def add(
        self,
        session: AsyncSession,
        message: Message,
        *,
        correlation_id: str | None = None,
        causation_id: uuid.UUID | None = None,
        message_id: uuid.UUID | None = None,
    ) -> Envelope:
        topic = topic_for(type(message)).name
        assert_may_publish(self.service, topic)
        envelope = Envelope.wrap(
            message, producer=self.service, correlation_id=correlation_id, causation_id=causation_id,
            message_id=message_id,
        )
        await self.add_raw(session, topic=self.topic_prefix + topic, envelope=envelope)
        return envelope

    async def add_raw(
        self, session: AsyncSession, *, topic: str, envelope: Envelope, headers: dict[str, str] | None = None,
    ) -> None:
        trace = current_trace_headers()
        all_headers = {h: v.decode() for h, v in envelope.headers(trace)} | (headers or {})
        await session.execute(
            TABLES.outbox.insert().values(
                message_id=envelope.message_id, topic=topic, key=envelope.key, type=envelope.type,
                value=envelope.to_bytes(), headers=all_headers,
            )
        )

    async def add_bytes(
        self, session: AsyncSession, *, topic: str, key: str | None, type_: str, value: bytes,
        headers: dict[str, str], message_id: uuid.UUID | None = None,
    ) -> None:
        """For dead letters: the original bytes go out untouched, whatever they were."""
        await session.execute(
            TABLES.outbox.insert().values(
                message_id=message_id or uuid.uuid4(), topic=topic, key=key or "", type=type_, value=value,
                headers=headers,
            )
        )
