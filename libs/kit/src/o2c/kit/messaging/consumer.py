"""The batch consumer: each poll's records of one partition are handled in one transaction.

Per record: decode the envelope, skip it if the inbox already has its id (Kafka redelivery, or a
duplicate inside the same poll), run the handler, record the id in the inbox; then one commit for
the batch and only then the Kafka offset. A failing record is isolated in a savepoint so the others
commit; after bounded attempts it is dead-lettered with the reason and its key parked, so later
messages of the same order cannot overtake it. Transient failures (database or broker away) pause
the consumer and retry with backoff; they never dead-letter.

Health is measured, not assumed: lag is the broker's end offset minus the group's committed offset (refreshed
when a round fails too), restarts, the last error and the last commit are kept, dead letters are counted once
their transaction committed, and a consumer that restarts or cannot commit for longer than `stall_seconds`
reports itself not alive (the service's /healthz). Membership is static (`instance_id`): a restarted process
takes its partitions back at once instead of waiting out its dead predecessor's session; a second live
process with the same id fences the first, which says so and stops consuming.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from o2c.contracts.catalog import decode
from o2c.contracts.envelope import HEADER_TYPE, Envelope, Message
from o2c.contracts.topics import deadletter_topic
from o2c.kit.messaging.errors import TransientError, is_transient
from o2c.kit.messaging.faults import NO_FAULTS, FaultPoints
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.messaging.outbox import Outbox
from o2c.kit.messaging.parking import parked_notice
from o2c.kit.messaging.schema import TABLES, MessagingTables
from o2c.kit.telemetry import (
    CONSUMER_LAG,
    CONSUMER_LAST_COMMIT,
    CONSUMER_LAST_ERROR,
    CONSUMER_RESTARTS,
    CONSUMER_STALLED,
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
    batched: bool = False
    """True when the record runs in its batch's shared transaction (no savepoint of its own): a handler may then
    leave work to the batch's end with `defer` (e.g. a view folded from several records, written once)."""

    def defer(self, name: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` once, after the batch's last record and before its commit (only when `batched`; a failure
        there redoes the batch record by record, unbatched)."""
        assert self.batched, "defer only in a batched transaction"
        self.session.info.setdefault(_DEFERRED, {}).setdefault(name, work)

    async def publish(self, message: Message, *, correlation_id: str | None = None) -> Envelope:
        """Publish a consequence of this message: same correlation, caused by it, in the same transaction."""
        return await self.outbox.add(
            self.session, message, correlation_id=correlation_id or self.envelope.correlation_id,
            causation_id=self.envelope.message_id,
        )


Handler = Callable[[Message, MessageContext], Awaitable[None]]
_DEFERRED = "o2c.consumer.deferred"


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
    foreign: bool = False
    """A type this consumer does not handle: skipped (by its header, before parsing, when it has one)."""


class _Rollback(Exception):
    """A handler failed on the fast path: redo the batch with one savepoint per record."""


class Fenced(Exception):
    """Another live process joined the group with this process's instance id."""


class _Membership(ConsumerRebalanceListener):  # type: ignore[misc]
    """Drops the lag series of partitions this member loses, and notices when it was fenced."""

    def __init__(self, owner: MessageConsumer, consumer: AIOKafkaConsumer) -> None:
        self.owner, self.consumer = owner, consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self.owner._forget_lag(revoked)
        if await self.owner._taken_over(self.consumer):
            self.owner._fence()
            # A poll waiting for the assignment that will now never come gives up at once.
            self.consumer._subscription.abort_waiters(Fenced(self.owner.instance_id))
            # Returning would let the client rejoin and take the id back from the newer process (and so on,
            # in turns): end the client's coordination task here instead; the consumer loop stops it.
            raise asyncio.CancelledError()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.owner._member_id = self.consumer._coordinator.member_id or self.owner._member_id
        self.owner._forget_lag(self.owner._lag_partitions() - set(assigned))


def _claim_inbox(inbox: str) -> Any:
    return text(
        f'INSERT INTO {inbox} (message_id, topic, partition, "offset", type) '
        "SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:topics AS text[]), CAST(:partitions AS int[]), "
        "CAST(:offsets AS bigint[]), CAST(:types AS text[])) "
        "ON CONFLICT (message_id) DO NOTHING RETURNING message_id"
    )


Work = list[tuple[TopicPartition, list[ConsumerRecord[bytes, bytes]]]]


def key_lanes(work: Work) -> list[Work]:
    """A poll's partitions grouped so that no key is in two groups (partitions joined through any shared record
    key), each group in poll order: the lanes a round may run concurrently."""
    parent = list(range(len(work)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[bytes, int] = {}
    for i, (_, records) in enumerate(work):
        for record in records:
            if record.key is None:
                continue
            j = owner.setdefault(record.key, i)
            if j != i:
                parent[root(i)] = root(j)
    lanes: dict[int, Work] = {}
    for i, item in enumerate(work):
        lanes.setdefault(root(i), []).append(item)
    return list(lanes.values())


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
        instance_id: str | None = None,
        session_timeout_ms: int = 10_000,
        stall_seconds: float = 60.0,
        tables: MessagingTables = TABLES,
    ) -> None:
        self.service = service
        self.tables = tables
        """This group's inbox, dead letters and parked keys (a read model's group has its own)."""
        self._claim = _claim_inbox(tables.inbox.name)
        self._committed: dict[TopicPartition, int] = {}
        """Offsets after the batches this round committed, not yet told to the broker."""
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
        """Records the group has not committed, per `topic/partition` assigned here (as of `lag_at`)."""
        self.lag_at: float | None = None
        self.dead_lettered = 0
        """Dead letters this process stored (counted after their transaction committed)."""
        self.instance_id = instance_id
        self.session_timeout_ms = session_timeout_ms
        self.stall_seconds = stall_seconds
        self.restarts = 0
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.last_commit_at: float | None = None
        self.fenced = False
        self._member_id: str | None = None
        self._last_error_class = ""
        self._trouble_since: float | None = None
        self._round_started: float | None = None
        self._lag_refreshed = 0.0
        CONSUMER_STALLED.labels(service).set_function(lambda: 0.0 if self.alive() else 1.0)

    def stop(self) -> None:
        self._stopping = True

    async def run(self) -> None:
        backoff = 0.2
        while not self._stopping and not self.fenced:
            try:
                await self._run_consumer()
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.fenced:
                    break
                self.restarts += 1
                CONSUMER_RESTARTS.labels(self.service).inc()
                self._trouble(exc)
                log.warning("consumer interrupted (%s: %s); restarting in %.1fs", type(exc).__name__, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    def alive(self) -> bool:
        """False once the consumer has been failing (restarting, unable to commit) for `stall_seconds`, or
        was fenced by another process with its instance id: the process should be restarted or looked at."""
        if self.fenced:
            return False
        now = time.monotonic()
        for since in (self._trouble_since, self._round_started):
            if since is not None and now - since > self.stall_seconds:
                return False
        return True

    def _trouble(self, exc: BaseException) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        self.last_error_at = time.time()
        if self._last_error_class and self._last_error_class != type(exc).__name__:
            with contextlib.suppress(KeyError):  # one series: the latest error's class
                CONSUMER_LAST_ERROR.remove(self.service, self._last_error_class)
        self._last_error_class = type(exc).__name__
        CONSUMER_LAST_ERROR.labels(self.service, self._last_error_class).set(self.last_error_at)
        if self._trouble_since is None:
            self._trouble_since = time.monotonic()

    def _fence(self) -> None:
        if not self.fenced:
            log.error("consumer fenced: another live process joined group %s with instance id %r; this one stops "
                      "consuming (give every live instance its own O2C_INSTANCE_ID)", self.group, self.instance_id)
        self.fenced = True
        self.last_error = f"Fenced: instance id {self.instance_id!r} taken by another live process"
        self.last_error_at = time.time()

    async def _taken_over(self, consumer: AIOKafkaConsumer) -> bool:
        """True when the group no longer knows this member but holds our instance id under another member id.

        The broker replaces a static member when a process joins with its instance id; the replaced one only
        hears "unknown member" (this client's heartbeat carries no instance id). If the id is simply gone (our
        session expired while we were away) we rejoin as usual.
        """
        if self.instance_id is None or self._member_id is None or consumer._coordinator.member_id:
            return False
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=5000, **kafka_client_options())
        try:
            await asyncio.wait_for(admin.start(), timeout=5)
            described = await asyncio.wait_for(admin.describe_consumer_groups([self.group]), timeout=5)
        except Exception as exc:
            log.warning("could not check group membership after losing it (%s: %s)", type(exc).__name__, exc)
            return False
        finally:
            await admin.close()
        client_id = self._client_id()
        for response in described:
            for group in response.groups:
                members = group[-2] if isinstance(group[-1], int) else group[-1]
                for member in members:
                    if member[0] != self._member_id and member[1] == client_id:
                        return True
        return False

    def _client_id(self) -> str:
        return f"o2c-{self.service}" + (f".{self.instance_id}" if self.instance_id else "")

    async def _run_consumer(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            **kafka_client_options(),
            group_id=self.group,
            client_id=self._client_id(),
            # Static membership: a restarted instance takes its partitions back at once; a stopping one sends
            # no LeaveGroup, so the group waits at most the (short) session for it to come back.
            group_instance_id=self.instance_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.fetch_max_wait_ms,
            max_poll_records=self.max_poll_records,
            max_poll_interval_ms=600_000,
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=max(500, self.session_timeout_ms // 4),
            # While the broker is away the client's metadata and coordinator loops retry at this pace.
            retry_backoff_ms=1000,
        )
        consumer.subscribe(topics=self.topics, listener=_Membership(self, consumer))
        self._consumer = consumer
        self._committed = {}
        await consumer.start()
        try:
            self.running.set()
            while not self._stopping and not self.fenced:
                try:
                    # getmany waits for a pending assignment without a deadline; a round must not.
                    batches = await asyncio.wait_for(consumer.getmany(timeout_ms=500), timeout=2.5)
                except TimeoutError:
                    continue
                work = [(tp, records) for tp, records in batches.items() if records]
                self._round_started = time.monotonic() if work else None
                # One lane per key: partitions that share no key are handled concurrently, each in its own
                # transaction; partitions that share a key (one order's messages on several topics land in the
                # same partition index of each) go one after another in one lane, so at most one transaction
                # of this consumer handles a given key at any time, and two of its transactions never wait
                # on each other's locks. Every lane finishes (commits or fails) before a failure ends the round.
                outcomes = await asyncio.gather(
                    *(self._handle_lane(consumer, lane) for lane in key_lanes(work)), return_exceptions=True
                )
                self._round_started = None
                # One OffsetCommit for the round (not one per partition): the offsets of every batch whose
                # transaction committed, also when another lane failed. Lost in a crash, the batches come again
                # and the inbox skips them.
                done, self._committed = self._committed, {}
                if done:
                    await consumer.commit(done)
                    self.last_commit_at = time.time()
                    CONSUMER_LAST_COMMIT.labels(self.service).set(self.last_commit_at)
                failures = [o for o in outcomes if isinstance(o, BaseException)]
                if failures:
                    with contextlib.suppress(Exception):
                        await self._refresh_lag(consumer, force=True)
                    raise failures[0]
                if any(outcomes):
                    # Records buffered while paused may have been dropped: continue exactly after the last commit.
                    for tp in consumer.assignment():
                        committed = await consumer.committed(tp)
                        if committed is not None:
                            consumer.seek(tp, committed)
                try:
                    await self._refresh_lag(consumer)
                except Exception as exc:
                    log.warning("consumer lag not refreshed (%s: %s)", type(exc).__name__, exc)
                if work or (self.lag_at is not None and not sum(self.lag.values())):
                    self._trouble_since = None  # a round committed, or there is nothing left to commit
        finally:
            self.running.clear()
            self._consumer = None
            self._round_started = None
            if consumer._coordinator is not None and consumer._coordinator.member_id:
                self._member_id = consumer._coordinator.member_id  # ours still, while the group remembers it
            await consumer.stop()

    async def _refresh_lag(self, consumer: AIOKafkaConsumer, *, force: bool = False) -> None:
        """Lag as the broker sees it: end offset minus the group's committed offset, per assigned partition."""
        if self.fenced or (not force and time.monotonic() - self._lag_refreshed < 2.0):
            return
        self._lag_refreshed = time.monotonic()
        tps = sorted(consumer.assignment())
        if tps:
            # Bounded as a whole: with the broker away the client would retry for as long as it is asked to.
            await asyncio.wait_for(self._read_lag(consumer, tps), timeout=5)

    async def _read_lag(self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> None:
        ends = await consumer.end_offsets(tps)
        # One OffsetFetch for all partitions (the public `committed` asks once per partition).
        commits = await consumer._coordinator.fetch_committed_offsets(tps)
        lags: dict[str, int] = {}
        starts: dict[TopicPartition, int] = {}
        for tp in tps:
            committed = commits[tp].offset if tp in commits and commits[tp].offset >= 0 else None
            if committed is None:  # nothing committed yet: everything from the log's start is still to do
                if not starts:
                    starts = await consumer.beginning_offsets(tps) or {}
                committed = starts.get(tp, 0)
            lags[f"{tp.topic}/{tp.partition}"] = lag = max(0, ends[tp] - committed)
            CONSUMER_LAG.labels(self.service, tp.topic, str(tp.partition)).set(lag)
        self._forget_lag(self._lag_partitions() - set(tps))
        self.lag = lags
        self.lag_at = time.time()

    def _lag_partitions(self) -> set[TopicPartition]:
        out = set()
        for name in self.lag:
            topic, _, partition = name.rpartition("/")
            out.add(TopicPartition(topic, int(partition)))
        return out

    def _forget_lag(self, partitions: set[TopicPartition]) -> None:
        """A partition that moved to another member is that member's to report."""
        for tp in partitions:
            self.lag.pop(f"{tp.topic}/{tp.partition}", None)
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(self.service, tp.topic, str(tp.partition))

    async def _handle_lane(
        self, consumer: AIOKafkaConsumer, lane: list[tuple[TopicPartition, list[ConsumerRecord[bytes, bytes]]]]
    ) -> bool:
        paused = False
        for tp, records in lane:
            paused = await self._handle_partition(consumer, tp, records) or paused
        return paused

    async def _handle_partition(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]
    ) -> bool:
        """Handle one partition's batch until it commits; True if the consumer had to pause."""
        decoded = [self._decode(r) for r in records]
        if all(d.foreign for d in decoded):  # nothing to handle or dead-letter: no transaction, only the offset
            self._committed[tp] = records[-1].offset + 1
            return False
        backoff, paused, isolate = 0.1, False, False
        while True:
            try:
                async with self.sessions() as session:
                    async with session.begin():
                        await self.apply_batch(session, decoded, isolate=isolate)
                        self.faults.hit("consumer.before_commit")
                    stored: list[tuple[str, str]] = session.info.pop("o2c_dead_letters", [])
                for topic, type_ in stored:  # counted once they exist, never for a rolled-back attempt
                    self.dead_lettered += 1
                    DEAD_LETTERS.labels(self.service, topic, type_).inc()
                self.faults.hit("consumer.after_commit_before_offset")
                self._committed[tp] = records[-1].offset + 1  # the broker hears it once the round is over
                if paused:
                    consumer.resume(*consumer.assignment())
                return paused
            except _Rollback:
                isolate = True
            except Exception as exc:
                if not is_transient(exc):
                    raise
                self._trouble(exc)
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
        type_ = out.headers.get(HEADER_TYPE)
        if type_ is not None and type_ not in self.handlers:
            out.foreign = True  # not ours, and not parsed: every service reads whole topics, takes what it handles
            return out
        try:
            out.envelope = Envelope.from_bytes(record.value or b"")
        except Exception as exc:
            out.error, out.error_class = f"not an o2c envelope: {exc}", type(exc).__name__
            return out
        if out.envelope.type not in self.handlers:
            out.foreign = True
            return out
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
            result = await (await session.connection()).execute(self._claim, {
                "ids": [d.envelope.message_id for d in ours if d.envelope is not None],
                "topics": [d.record.topic for d in ours], "partitions": [d.record.partition for d in ours],
                "offsets": [d.record.offset for d in ours],
                "types": [d.envelope.type for d in ours if d.envelope is not None],
            })
            fresh = {r[0] for r in result}
        parked = await self._parked_keys(session, batch)
        for item in batch:
            env = item.envelope
            if item.foreign:
                continue
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
                    await self._invoke(session, item, batched=True)
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
                    try:
                        await savepoint.rollback()
                    except Exception as rollback_failed:
                        # The transaction is unusable: redo the batch, keeping the handler's error as the cause.
                        raise TransientError(
                            f"savepoint rollback failed ({type(rollback_failed).__name__}: {rollback_failed}) "
                            f"after {type(exc).__name__}: {exc}"
                        ) from exc
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
        deferred: dict[str, Callable[[], Awaitable[None]]] = session.info.pop(_DEFERRED, {})
        for work in deferred.values():
            try:
                await work()
            except Exception as exc:
                if is_transient(exc):
                    raise
                raise _Rollback() from exc

    async def _invoke(self, session: AsyncSession, item: _Decoded, *, batched: bool = False) -> None:
        env, message, record = item.envelope, item.message, item.record
        assert env is not None and message is not None
        handler = self.handlers[env.type]
        ctx = MessageContext(env, record.topic, record.partition, record.offset, self.outbox, session, batched)
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
        keys = {(d.record.topic, d.envelope.key) for d in batch if d.envelope is not None and not d.foreign}
        if not keys:
            return set()
        pk = self.tables.parked_key
        rows = await session.execute(
            select(pk.c.topic, pk.c.key).where(pk.c.key.in_({k for _, k in keys}))
        )
        return {(t, k) for t, k in rows if (t, k) in keys}

    async def dead_letter(
        self, session: AsyncSession, item: _Decoded, reason: str, error_class: str, *, attempts: int,
        status: str = "open",
    ) -> None:
        record, env = item.record, item.envelope
        dl = self.tables.dead_letter
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
            parked = await session.execute(
                pg_insert(self.tables.parked_key).values(topic=record.topic, key=env.key, dead_letter_id=dead_letter_id)
                .on_conflict_do_nothing().returning(self.tables.parked_key.c.key)
            )
            # A read model's parked key holds only its view, never the order: the service tells nobody.
            if parked.scalar_one_or_none() is not None and not self.tables.prefix:
                await self.announce_parked(session, env, record.topic, dead_letter_id, reason)
        await self.outbox.add_bytes(
            session, topic=self.topic_prefix + deadletter_topic(self.service), key=env.key if env else None,
            type_=env.type if env else "Undecodable", value=record.value or b"",
            headers=item.headers | {
                "o2c-dlq-reason": reason[:1000], "o2c-dlq-error": error_class, "o2c-dlq-topic": record.topic,
                "o2c-dlq-partition": str(record.partition), "o2c-dlq-offset": str(record.offset),
                "o2c-dlq-status": status,
            },
        )
        # Counted by the caller once the transaction commits (a rolled-back attempt stored nothing).
        session.info.setdefault("o2c_dead_letters", []).append((record.topic, env.type if env else "Undecodable"))

    async def announce_parked(self, session: AsyncSession, env: Envelope, topic: str, dead_letter_id: int,
                              reason: str) -> None:
        """Tells the chain (sales' order page, saga exceptions) that this service now holds `env.key`."""
        notice = parked_notice(self.service, key=env.key, topic=topic.removeprefix(self.topic_prefix),
                               dead_letter_id=dead_letter_id, message_type=env.type, reason=reason)
        if notice is not None:
            await self.outbox.add(session, notice, correlation_id=env.correlation_id, causation_id=env.message_id)

    def snapshot(self) -> dict[str, Any]:
        def at(ts: float | None) -> str | None:
            return datetime.fromtimestamp(ts, UTC).isoformat() if ts is not None else None

        stalled_for = (time.monotonic() - self._trouble_since) if self._trouble_since is not None else 0.0
        return {"handled": self.handled, "dead_lettered": self.dead_lettered, "running": self.running.is_set(),
                "alive": self.alive(), "fenced": self.fenced, "instance_id": self.instance_id,
                "restarts": self.restarts, "last_error": self.last_error, "last_error_at": at(self.last_error_at),
                "last_commit_at": at(self.last_commit_at), "failing_for_seconds": round(stalled_for, 1),
                "lag_total": sum(self.lag.values()), "lag": dict(sorted(self.lag.items())),
                "lag_at": at(self.lag_at)}
