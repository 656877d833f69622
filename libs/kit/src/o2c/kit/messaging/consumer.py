"""The batch consumer: each poll's records of one partition are handled in one transaction.

Per record: decode the envelope, skip it if the inbox already has its id (Kafka redelivery, or a
duplicate inside the same poll), run the handler, record the id in the inbox; then one commit for
the batch and only then the Kafka offset. A failing record is isolated in a savepoint so the others
commit; after bounded attempts it is dead-lettered with the reason and its key parked, so later
messages of the same order cannot overtake it. Transient failures (database or broker away) pause
the consumer and retry with backoff; they never dead-letter.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from o2c.contracts.catalog import decode
from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.topics import deadletter_topic
from o2c.kit.messaging.errors import is_transient
from o2c.kit.messaging.faults import NO_FAULTS, FaultPoints
from o2c.kit.messaging.outbox import Outbox
from o2c.kit.messaging.schema import TABLES
from o2c.kit.telemetry import (
    CONSUMER_LAG,
    DEAD_LETTERS,
    HANDLER_FAILURES,
    HANDLER_SECONDS,
    MESSAGES_HANDLED,
    context_from_headers,
    tracer,
)
from opentelemetry import trace
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger("o2c.consumer")


@dataclass
class MessageContext:
    """What a handler knows about the message it handles, and how it sends the next ones."""

    envelope: Envelope
    topic: str
    partition: int
    offset: int
    outbox: Outbox
    session: AsyncSession

    async def publish(self, message: Message, *, correlation_id: str | None = None) -> Envelope:
        """Publish a consequence of this message: same correlation, caused by it, in the same transaction."""
        return await self.outbox.add(
            self.session, message, correlation_id=correlation_id or self.envelope.correlation_id,
            causation_id=self.envelope.message_id,
        )


Handler = Callable[[Message, MessageContext], Awaitable[None]]


def combine_handlers(*maps: Mapping[str, Handler]) -> dict[str, Handler]:
    """One handler per type that runs each given handler in turn, in the same transaction and inbox entry.

    Lets a read model (e.g. order tracking) see the same messages as the service's own use cases.
    """
    by_type: dict[str, list[Handler]] = {}
    for mapping in maps:
        for type_, handler in mapping.items():
            by_type.setdefault(type_, []).append(handler)

    def chain(handlers: list[Handler]) -> Handler:
        if len(handlers) == 1:
            return handlers[0]

        async def run_all(message: Message, ctx: MessageContext) -> None:
            for handler in handlers:
                await handler(message, ctx)

        return run_all

    return {type_: chain(handlers) for type_, handlers in by_type.items()}


@dataclass
class _Decoded:
    record: ConsumerRecord[bytes, bytes]
    envelope: Envelope | None = None
    message: Message | None = None
    error: str = ""
    error_class: str = ""
    headers: dict[str, str] = field(default_factory=dict)


class _Rollback(Exception):
    """A handler failed on the fast path: redo the batch with one savepoint per record."""


_CLAIM_INBOX = text(
    'INSERT INTO inbox (message_id, topic, partition, "offset", type) '
    "SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:topics AS text[]), CAST(:partitions AS int[]), "
    "CAST(:offsets AS bigint[]), CAST(:types AS text[])) "
    "ON CONFLICT (message_id) DO NOTHING RETURNING message_id"
)


def _headers(record: ConsumerRecord[bytes, bytes]) -> dict[str, str]:
    return {k: v.decode(errors="replace") for k, v in (record.headers or ())}


class MessageConsumer:
    def __init__(
        self,
        *,
        service: str,
        sessions: async_sessionmaker[AsyncSession],
        bootstrap: str,
        group: str,
        topics: Sequence[str],
        handlers: Mapping[str, Handler],
        max_attempts: int = 5,
        fetch_max_wait_ms: int = 500,
        max_poll_records: int = 500,
        faults: FaultPoints = NO_FAULTS,
        topic_prefix: str = "",
    ) -> None:
        self.service = service
        self.topic_prefix = topic_prefix
        self.sessions = sessions
        self.bootstrap = bootstrap
        self.group = group
        self.topics = [topic_prefix + t for t in topics]
        self.handlers = dict(handlers)
        self.max_attempts = max_attempts
        self.fetch_max_wait_ms = fetch_max_wait_ms
        self.max_poll_records = max_poll_records
        self.faults = faults
        self.outbox = Outbox(service, topic_prefix)
        self._consumer: AIOKafkaConsumer | None = None
        self._stopping = False
        self.running = asyncio.Event()
        self.handled = 0
        self.lag: dict[str, int] = {}
        """Records behind the partition's end, per `topic/partition` assigned here (as of the last poll)."""
        self.dead_lettered = 0

    def stop(self) -> None:
        self._stopping = True

    async def run(self) -> None:
        backoff = 0.2
        while not self._stopping:
            try:
                await self._run_consumer()
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer interrupted (%s: %s); restarting in %.1fs", type(exc).__name__, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _run_consumer(self) -> None:
        consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=self.bootstrap,
            group_id=self.group,
            client_id=f"o2c-{self.service}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.fetch_max_wait_ms,
            max_poll_records=self.max_poll_records,
            max_poll_interval_ms=600_000,
            session_timeout_ms=30_000,
            heartbeat_interval_ms=3_000,
        )
        self._consumer = consumer
        await consumer.start()
        try:
            self.running.set()
            while not self._stopping:
                batches = await consumer.getmany(timeout_ms=500)
                # Partitions are independent (order is per key, keys live in one partition): handle them
                # concurrently, each in its own transaction, so one partition's round trips overlap another's.
                outcomes = await asyncio.gather(*(
                    self._handle_partition(consumer, tp, records) for tp, records in batches.items() if records
                ))
                paused_during_round = any(outcomes)
                if paused_during_round:
                    # Records buffered while paused may have been dropped: continue exactly after the last commit.
                    for tp in consumer.assignment():
                        committed = await consumer.committed(tp)
                        if committed is not None:
                            consumer.seek(tp, committed)
                lags: dict[str, int] = {}
                for tp in consumer.assignment():  # partitions that moved to another member drop out
                    end = consumer.highwater(tp)
                    if end is not None:
                        lag = max(0, end - await consumer.position(tp))
                        lags[f"{tp.topic}/{tp.partition}"] = lag
                        CONSUMER_LAG.labels(self.service, tp.topic, str(tp.partition)).set(lag)
                self.lag = lags
        finally:
            self.running.clear()
            self._consumer = None
            await consumer.stop()

    async def _handle_partition(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]
    ) -> bool:
        """Handle one partition's batch until it commits; True if the consumer had to pause."""
        decoded = [self._decode(r) for r in records]
        backoff, paused, isolate = 0.1, False, False
        while True:
            try:
                async with self.sessions() as session, session.begin():
                    await self.apply_batch(session, decoded, isolate=isolate)
                self.faults.hit("consumer.after_commit_before_offset")
                await consumer.commit({tp: records[-1].offset + 1})
                if paused:
                    consumer.resume(*consumer.assignment())
                return paused
            except _Rollback:
                isolate = True
            except Exception as exc:
                if not is_transient(exc):
                    raise
                HANDLER_FAILURES.labels(self.service, tp.topic, "*", "transient").inc()
                log.warning("transient failure on %s[%d] (%s: %s); retrying in %.1fs",
                            tp.topic, tp.partition, type(exc).__name__, exc, backoff)
                if not paused:
                    consumer.pause(*consumer.assignment())
                    paused = True
                await asyncio.sleep(backoff)
                await consumer.getmany(timeout_ms=0)  # stay in the group while paused
                backoff = min(backoff * 2, 5.0)

    def _decode(self, record: ConsumerRecord[bytes, bytes]) -> _Decoded:
        out = _Decoded(record=record, headers=_headers(record))
        try:
            out.envelope = Envelope.from_bytes(record.value or b"")
        except Exception as exc:
            out.error, out.error_class = f"not an o2c envelope: {exc}", type(exc).__name__
            return out
        if out.envelope.type not in self.handlers:
            return out  # not ours: every service reads whole topics and takes what it handles
        try:
            out.message = decode(out.envelope)
        except Exception as exc:
            out.error, out.error_class = str(exc), type(exc).__name__
        return out

    async def apply_batch(self, session: AsyncSession, batch: Sequence[_Decoded], *, isolate: bool) -> None:
        ours = [d for d in batch if d.envelope is not None and d.envelope.type in self.handlers]
        fresh: set[uuid.UUID] = set()
        if ours:
            # One round trip claims every new id; a redelivered or doubled id comes back empty-handed.
            # Arrays keep the statement's text constant, so it is prepared once, whatever the batch size.
            result = await (await session.connection()).execute(_CLAIM_INBOX, {
                "ids": [d.envelope.message_id for d in ours if d.envelope is not None],
                "topics": [d.record.topic for d in ours], "partitions": [d.record.partition for d in ours],
                "offsets": [d.record.offset for d in ours],
                "types": [d.envelope.type for d in ours if d.envelope is not None],
            })
            fresh = {r[0] for r in result}
        parked = await self._parked_keys(session, batch)
        for item in batch:
            env = item.envelope
            if env is None:
                await self.dead_letter(session, item, item.error, item.error_class, attempts=1)
                continue
            if env.type not in self.handlers or env.message_id not in fresh:
                continue
            fresh.discard(env.message_id)  # the same id twice in one poll: the second is a no-op
            if (item.record.topic, env.key) in parked:
                await self.dead_letter(session, item, f"held behind an earlier dead letter of key {env.key}",
                                       "Parked", attempts=0, status="parked")
                continue
            if item.message is None:
                await self.dead_letter(session, item, item.error, item.error_class, attempts=1)
                parked.add((item.record.topic, env.key))
                continue
            if not isolate:
                try:
                    await self._invoke(session, item)
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    raise _Rollback() from exc
                continue
            failure: Exception | None = None
            for attempt in range(1, self.max_attempts + 1):
                savepoint = await session.begin_nested()
                try:
                    await self._invoke(session, item)
                    await savepoint.commit()
                    failure = None
                    break
                except Exception as exc:
                    await savepoint.rollback()
                    if is_transient(exc):
                        raise
                    failure = exc
                    HANDLER_FAILURES.labels(self.service, item.record.topic, env.type, "permanent").inc()
                    await asyncio.sleep(min(0.02 * attempt, 0.2))
            if failure is not None:
                log.error("dead-lettering %s %s after %d attempts: %s", env.type, env.message_id,
                          self.max_attempts, failure, extra={"order_id": env.key, "message_id": str(env.message_id)})
                await self.dead_letter(session, item, f"{type(failure).__name__}: {failure}",
                                       type(failure).__name__, attempts=self.max_attempts)
                parked.add((item.record.topic, env.key))

    async def _invoke(self, session: AsyncSession, item: _Decoded) -> None:
        env, message, record = item.envelope, item.message, item.record
        assert env is not None and message is not None
        handler = self.handlers[env.type]
        ctx = MessageContext(env, record.topic, record.partition, record.offset, self.outbox, session)
        started = time.perf_counter()
        with tracer("o2c.consumer").start_as_current_span(
            f"handle {env.type}", context=context_from_headers(item.headers), kind=trace.SpanKind.CONSUMER,
            attributes={"messaging.destination.name": record.topic, "o2c.message_type": env.type,
                        "o2c.order_id": env.correlation_id, "o2c.key": env.key, "o2c.service": self.service,
                        "messaging.message.id": str(env.message_id)},
        ):
            await handler(message, ctx)
        HANDLER_SECONDS.labels(self.service, record.topic, env.type).observe(time.perf_counter() - started)
        MESSAGES_HANDLED.labels(self.service, record.topic, env.type).inc()
        self.handled += 1

    async def _parked_keys(self, session: AsyncSession, batch: Sequence[_Decoded]) -> set[tuple[str, str]]:
        keys = {(d.record.topic, d.envelope.key) for d in batch if d.envelope is not None}
        if not keys:
            return set()
        pk = TABLES.parked_key
        rows = await session.execute(
            select(pk.c.topic, pk.c.key).where(pk.c.key.in_({k for _, k in keys}))
        )
        return {(t, k) for t, k in rows if (t, k) in keys}

    async def dead_letter(
        self, session: AsyncSession, item: _Decoded, reason: str, error_class: str, *, attempts: int,
        status: str = "open",
    ) -> None:
        record, env = item.record, item.envelope
        dl = TABLES.dead_letter
        result = await session.execute(
            pg_insert(dl).values(
                message_id=str(env.message_id) if env else None, topic=record.topic, partition=record.partition,
                offset=record.offset, key=env.key if env else (record.key or b"").decode(errors="replace"),
                type=env.type if env else item.headers.get("o2c-type"), value=record.value or b"",
                headers=item.headers, reason=reason, error_class=error_class, attempts=attempts, status=status,
            ).on_conflict_do_nothing().returning(dl.c.id)
        )
        dead_letter_id = result.scalar_one_or_none()
        if dead_letter_id is None:
            return  # this position was dead-lettered already (redelivery after a crash)
        if status == "open" and env is not None:
            await session.execute(
                pg_insert(TABLES.parked_key).values(topic=record.topic, key=env.key, dead_letter_id=dead_letter_id)
                .on_conflict_do_nothing()
            )
        await self.outbox.add_bytes(
            session, topic=self.topic_prefix + deadletter_topic(self.service), key=env.key if env else None,
            type_=env.type if env else "Undecodable", value=record.value or b"",
            headers=item.headers | {
                "o2c-dlq-reason": reason[:1000], "o2c-dlq-error": error_class, "o2c-dlq-topic": record.topic,
                "o2c-dlq-partition": str(record.partition), "o2c-dlq-offset": str(record.offset),
                "o2c-dlq-status": status,
            },
        )
        self.dead_lettered += 1
        DEAD_LETTERS.labels(self.service, record.topic, env.type if env else "Undecodable").inc()

    def snapshot(self) -> dict[str, Any]:
        return {"handled": self.handled, "dead_lettered": self.dead_lettered, "running": self.running.is_set(),
                "lag_total": sum(self.lag.values()), "lag": dict(sorted(self.lag.items()))}
