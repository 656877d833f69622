"""Transactional outbox: a state change and the messages it causes commit in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.topics import assert_may_publish, topic_for
from o2c.kit.messaging.schema import TABLES
from o2c.kit.telemetry import current_trace_headers
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession


class Outbox:
    """Adds a service's outgoing messages to the caller's open transaction."""

    def __init__(self, service: str, topic_prefix: str = "") -> None:
        self.service = service
        self.on_commit: Callable[[], None] | None = None
        """Set by the service wiring to the relay's wake-up: rows go out right after their commit."""
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
        partner: str | None = None,
    ) -> Envelope:
        return (await self.add_many(
            session, [message], correlation_id=correlation_id, causation_id=causation_id, message_id=message_id,
            partner=partner,
        ))[0]

    async def add_many(
        self,
        session: AsyncSession,
        messages: Sequence[Message],
        *,
        correlation_id: str | None = None,
        causation_id: uuid.UUID | None = None,
        message_id: uuid.UUID | None = None,
        partner: str | None = None,
    ) -> list[Envelope]:
        """Several messages in one round trip, in the given order (which is their publish order). `partner` names
        the partner whose own topic receives them (the partner order-status feed; o2c.contracts.topics)."""
        trace = current_trace_headers()
        envelopes: list[Envelope] = []
        rows: list[dict[str, object]] = []
        for message in messages:
            topic = topic_for(type(message), partner=partner).name
            assert_may_publish(self.service, topic)
            envelope = Envelope.wrap(
                message, producer=self.service, correlation_id=correlation_id, causation_id=causation_id,
                message_id=message_id if len(messages) == 1 else None,
            )
            envelopes.append(envelope)
            rows.append(self._row(self.topic_prefix + topic, envelope, trace))
        await self._insert(session, rows)
        return envelopes

    async def add_raw(
        self, session: AsyncSession, *, topic: str, envelope: Envelope, headers: dict[str, str] | None = None,
    ) -> None:
        row = self._row(topic, envelope, current_trace_headers())
        row["headers"] = dict(row["headers"]) | (headers or {})  # type: ignore[call-overload]
        await self._insert(session, [row])

    async def add_bytes(
        self, session: AsyncSession, *, topic: str, key: str | None, type_: str, value: bytes,
        headers: dict[str, str], message_id: uuid.UUID | None = None,
    ) -> None:
        """For dead letters: the original bytes go out untouched, whatever they were."""
        await self._insert(session, [{
            "message_id": message_id or uuid.uuid4(), "topic": topic, "key": key or "", "type": type_,
            "value": value, "headers": headers,
        }])

    @staticmethod
    def _row(topic: str, envelope: Envelope, trace: dict[str, str]) -> dict[str, object]:
        return {
            "message_id": envelope.message_id, "topic": topic, "key": envelope.key, "type": envelope.type,
            "value": envelope.to_bytes(), "headers": {h: v.decode() for h, v in envelope.headers(trace)},
        }

    async def _insert(self, session: AsyncSession, rows: list[dict[str, object]]) -> None:
        # Core on the session's connection: same transaction, without the ORM's per-statement bookkeeping.
        connection = await session.connection()
        await connection.execute(_INSERT, rows)
        wake = self.on_commit
        if wake is not None and not session.info.get("o2c_outbox_wake"):
            session.info["o2c_outbox_wake"] = True

            # SQLAlchemy calls after_commit(session) and after_soft_rollback(session, previous_transaction);
            # a listener that raises would replace the exception that caused the rollback, so take any shape.
            def after_commit(*_: object) -> None:
                session.info.pop("o2c_outbox_wake", None)
                wake()

            def after_rollback(*_: object) -> None:
                session.info.pop("o2c_outbox_wake", None)

            event.listen(session.sync_session, "after_commit", after_commit, once=True)
            event.listen(session.sync_session, "after_soft_rollback", after_rollback, once=True)


_INSERT = TABLES.outbox.insert()
