"""Outbox relay: publishes committed outbox rows to Kafka, promptly after commit, in id order.

One relay is active per service database (PostgreSQL advisory lock), so several instances of a
service never reorder one key's messages. The outbox wakes it in-process right after a commit; a short poll
catches rows committed by other instances of the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from o2c.kit.messaging.faults import NO_FAULTS, FaultPoints
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.telemetry import (
    DEAD_LETTERS_OPEN,
    DEAD_LETTERS_PARKED,
    OUTBOX_BACKLOG,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PUBLISHED,
    PARKED_KEYS,
    context_from_headers,
    tracer,
)
from opentelemetry import trace
from sqlalchemy.engine import make_url

log = logging.getLogger("o2c.relay")
RELAY_LOCK = 7262002
DEAD_LETTER_REPORT_SECONDS = 5.0
"""How often the relay (one per service) counts open and parked dead letters for the gauges."""


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def make_producer(bootstrap: str, client_id: str) -> AIOKafkaProducer:
    # Idempotent, acks=all: a retried send is not doubled in the log and is not reordered.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap, client_id=client_id, acks="all", enable_idempotence=True,
        linger_ms=1, max_batch_size=256 * 1024, request_timeout_ms=15000, **kafka_client_options(),
    )


IDLE_POLL_MAX = 1.0
"""Seconds between looks at the outbox once idle (from `poll_seconds`, doubling while nothing is found)."""


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        database_url: str,
        bootstrap: str,
        batch_size: int = 500,
        sweep_seconds: float = 1.0,
        poll_seconds: float = 0.1,
        publish_timeout: float = 10.0,
        faults: FaultPoints = NO_FAULTS,
    ) -> None:
        self.service = service
        self.dsn = asyncpg_dsn(database_url)
        self.bootstrap = bootstrap
        self.batch_size = batch_size
        self.sweep_seconds = sweep_seconds
        self.poll_seconds = poll_seconds
        self.publish_timeout = publish_timeout
        self.faults = faults
        self._wake = asyncio.Event()
        self._stopping = False
        self.is_leader = False
        self.published = 0
        # From the start, not from the first dead letter: an alert on them needs a series that is there at 0.
        for gauge in (DEAD_LETTERS_OPEN, DEAD_LETTERS_PARKED, PARKED_KEYS):
            gauge.labels(service).set(0)
        self._last_dead_letter_report = 0.0

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        """Run until stopped; survives database and broker outages by retrying with backoff."""
        backoff = 0.2
        while not self._stopping:
            try:
                await self._run_once()
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.is_leader = False
                log.warning("relay interrupted (%s: %s); retrying in %.1fs", type(exc).__name__, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _run_once(self) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(self.dsn, timeout=5)
        producer: AIOKafkaProducer | None = None
        try:
            while not self._stopping:
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK):
                    break
                await asyncio.sleep(self.sweep_seconds)  # standby: another instance relays
            if self._stopping:
                return
            self.is_leader = True
            producer = make_producer(self.bootstrap, f"o2c-{self.service}-relay")
            await asyncio.wait_for(producer.start(), timeout=self.publish_timeout)
            last_report = 0.0
            idle = self.poll_seconds
            while not self._stopping:
                self._wake.clear()
                sent = await self.publish_batch(conn, producer)
                if time.monotonic() - last_report > self.sweep_seconds:
                    await self._report_backlog(conn)
                    last_report = time.monotonic()
                if sent < self.batch_size:
                    # This process's commits wake the relay at once; the poll only finds rows another process
                    # wrote (a CLI, an IRN worker), so it slows down while nothing comes (the idle floor).
                    idle = self.poll_seconds if sent else min(idle * 2, max(self.poll_seconds, IDLE_POLL_MAX))
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=idle)
        finally:
            self.is_leader = False
            if producer is not None:
                try:
                    await asyncio.wait_for(producer.stop(), timeout=5)
                except Exception:
                    log.warning("producer did not stop cleanly")
            try:
                await asyncio.wait_for(conn.close(), timeout=5)
            except Exception:
                conn.terminate()

    def wake(self) -> None:
        """Called by the outbox after a commit that added rows (same process, same event loop)."""
        self._wake.set()

    async def publish_batch(self, conn: asyncpg.Connection, producer: AIOKafkaProducer) -> int:
        rows = await conn.fetch(
            "SELECT id, topic, key, type, value, headers FROM outbox WHERE published_at IS NULL "
            "ORDER BY id LIMIT $1",
            self.batch_size,
        )
        if not rows:
            return 0
        futures = []
        spans = []
        for row in rows:
            headers: dict[str, str] = _json(row["headers"])
            span = tracer("o2c.relay").start_span(
                f"publish {row['topic']}", context=context_from_headers(headers), kind=trace.SpanKind.PRODUCER,
                attributes={"messaging.destination.name": row["topic"], "o2c.message_type": row["type"],
                            "o2c.key": row["key"], "o2c.service": self.service},
            )
            spans.append(span)
            carrier = dict(headers)
            # The consumer continues the trace from the publish span, not from the HTTP span.
            from opentelemetry import propagate

            propagate.inject(carrier, context=trace.set_span_in_context(span))
            kafka_headers = [(k, v.encode()) for k, v in carrier.items()]
            futures.append(await producer.send(
                row["topic"], value=bytes(row["value"]), key=row["key"].encode() if row["key"] else None,
                headers=kafka_headers,
            ))
        try:
            await asyncio.wait_for(asyncio.gather(*futures), timeout=self.publish_timeout)
        except Exception as exc:
            for span in spans:
                span.record_exception(exc)
                span.end()
            await conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[])",
                [r["id"] for r in rows], f"{type(exc).__name__}: {exc}",
            )
            raise
        for span in spans:
            span.end()
        self.faults.hit("relay.after_publish_before_mark")
        await conn.execute(
            "UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])",
            [r["id"] for r in rows],
        )
        self.published += len(rows)
        OUTBOX_PUBLISHED.labels(self.service).inc(len(rows))
        return len(rows)

    async def _report_backlog(self, conn: asyncpg.Connection) -> None:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, extract(epoch FROM now() - min(created_at)) AS age "
            "FROM outbox WHERE published_at IS NULL"
        )
        OUTBOX_BACKLOG.labels(self.service).set(row["n"] if row else 0)
        OUTBOX_OLDEST_AGE.labels(self.service).set(float(row["age"] or 0) if row else 0)
        if time.monotonic() - self._last_dead_letter_report >= DEAD_LETTER_REPORT_SECONDS:
            self._last_dead_letter_report = time.monotonic()
            await self._report_dead_letters(conn)
        # Published rows are transport, not records: keep a week for forensics, then purge.
        if int(time.time()) % 600 < max(self.sweep_seconds, 1):
            await conn.execute(
                "DELETE FROM outbox WHERE published_at < now() - interval '7 days'"
            )

    async def _report_dead_letters(self, conn: asyncpg.Connection) -> None:
        row = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM dead_letter WHERE status = 'open') AS open, "
            "(SELECT count(*) FROM dead_letter WHERE status = 'parked') AS parked, "
            "(SELECT count(*) FROM parked_key) AS keys"
        )
        if row:
            DEAD_LETTERS_OPEN.labels(self.service).set(row["open"])
            DEAD_LETTERS_PARKED.labels(self.service).set(row["parked"])
            PARKED_KEYS.labels(self.service).set(row["keys"])


def _json(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        import json

        return dict(json.loads(value))
    return dict(value or {})
