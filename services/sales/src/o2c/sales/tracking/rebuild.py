"""Rebuild the order-tracking projection from the events topics (they are kept forever for this).

The durable copy lives in the sales database and Redis holds the hot view; when the database copy is lost
(or wrong), this replays every chain events topic from offset 0 and writes the tracking tables anew:

1. **Snapshot.** A throw-away aiokafka consumer (no group, manual assignment) reads every partition of every
   chain events topic from its beginning up to the end offsets taken at the start. Envelopes and messages
   are decoded as the kit consumer decodes them; other types are ignored, undecodable records skipped (both
   counted), a message id seen twice (the relay publishes at least once) is folded once.
2. **Fold.** Messages are grouped per order as the live handlers route them (order messages by `order_id`,
   `PaymentReceived` by its allocations' orders, `QuotationIssued` to the orders whose confirmation names
   it), sorted by the envelope's `occurred_at` (tie: topic, partition, offset) and folded into fresh views
   with the pure domain functions, then derived as of now.
3. **Cut over, in one transaction.** `LOCK TABLE tracking_quotation, tracking_order IN EXCLUSIVE MODE`:
   live folds write those tables, so they wait (readers do not). Under the lock the end offsets are read
   again and the tail since the snapshot is read and folded. Only what the live consumer has *already*
   folded is kept: a record whose id is in the inbox or that lies before the consumer group's committed
   offset. A record it has not folded yet (a batch waiting on our lock, a lagging consumer) is left to it,
   or it would be applied twice; so is a dead-lettered record not replayed (its replay folds it). Then the
   four tables are emptied (DELETE, so readers keep the old rows until the commit) and refilled.
4. **Hot view.** After the commit every view is pushed to Redis from the committed rows (`Tracking.refresh`);
   an order no message backs any more loses its row and its Redis keys.

To keep the lock short, the snapshot is folded, cut (as in 3, with what the database says then) and turned
into rows before the lock; under it only orders whose records changed are folded again.

`python -m o2c.sales tracking-rebuild` runs it (see docs/operations.md). The grouping, ordering and the
live cut are pure functions below, unit-tested without a broker or a database.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from o2c.contracts.catalog import decode
from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.topics import Service, events_topic
from o2c.contracts.v1 import credit, sales
from o2c.kit.messaging.errors import is_transient
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.messaging.schema import MessagingTables
from o2c.kit.service import Runtime
from o2c.sales.tracking import domain, store
from o2c.sales.tracking.handlers import Tracking, tracking_of
from o2c.sales.tracking.tables import tracking_order, tracking_quotation, tracking_shipment, tracking_term
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

TRACKING_TABLES = MessagingTables(prefix="tracking_")
"""The live projection's tables (kit ReadModel "tracking"); its consumer group is sales' group + ".tracking"."""

log = logging.getLogger("o2c.sales.tracking.rebuild")

CHAIN_EVENTS: tuple[str, ...] = tuple(events_topic(s) for s in Service)
"""The topics the projection reads (the same list as `o2c.sales.app.CHAIN_EVENTS`)."""

TRACKED_TYPES: frozenset[str] = frozenset(cls.TYPE for cls in domain.ALL_MESSAGES)

INSERT_CHUNK = 1000
CUT_OVER_ATTEMPTS = 3
REFRESH_CHUNK = 500

Hook = Callable[[], Awaitable[None]]


# --- the pure part: records, grouping, ordering, the live cut, folding ----------------------------------


@dataclass(frozen=True)
class Position:
    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class Replayed:
    """One decoded chain message as read from its topic."""

    envelope: Envelope
    message: Message
    position: Position

    @property
    def sort_key(self) -> tuple[datetime, str, int, int]:
        p = self.position
        return self.envelope.occurred_at, p.topic, p.partition, p.offset


def order_ids_of(message: Message) -> list[str]:
    """The orders a message folds into, as the live handlers route it (a quotation: see `link_quotations`)."""
    if isinstance(message, credit.PaymentReceived):
        return sorted({a.order_id for a in message.allocations})
    if isinstance(message, sales.QuotationIssued):
        return []
    return [str(message.__dict__["order_id"])]


def unique(records: Iterable[Replayed]) -> tuple[list[Replayed], int]:
    """One record per message id (the earliest position wins: the one the live inbox kept) and the number of
    doubles dropped. A relay that published twice leaves two records with one id."""
    first: dict[uuid.UUID, Replayed] = {}
    doubles = 0
    for r in sorted(records, key=lambda r: (r.position.topic, r.position.partition, r.position.offset)):
        if r.envelope.message_id in first:
            doubles += 1
        else:
            first[r.envelope.message_id] = r
    return list(first.values()), doubles


def group_by_order(records: Iterable[Replayed]) -> dict[str, list[Replayed]]:
    """Each order's messages, sorted by `occurred_at` then topic, partition, offset. A `QuotationIssued` goes
    to every order whose confirmation (or amendment) names its quotation; one nobody names goes nowhere
    (it is still stored, see `quotation_rows`)."""
    by_order: dict[str, list[Replayed]] = {}
    quotations: dict[str, list[Replayed]] = {}
    orders_of_quotation: dict[str, set[str]] = {}
    for r in records:
        m = r.message
        if isinstance(m, sales.QuotationIssued):
            quotations.setdefault(m.quotation_id, []).append(r)
            continue
        if isinstance(m, sales.OrderConfirmed | sales.OrderAmended) and m.quotation_id:
            orders_of_quotation.setdefault(m.quotation_id, set()).add(m.order_id)
        for order_id in order_ids_of(m):
            by_order.setdefault(order_id, []).append(r)
    for quotation_id, issued in quotations.items():
        for order_id in orders_of_quotation.get(quotation_id, ()):
            by_order[order_id].extend(issued)
    for items in by_order.values():
        items.sort(key=lambda r: r.sort_key)
    return by_order


def fold_order(order_id: str, records: Sequence[Replayed]) -> tuple[domain.View, int]:
    """Fold one order's sorted messages into a fresh view as the live handlers would have, message by
    message; returns the view (not yet derived) and how many folds the live projection made (its version).

    Like the live handlers: a confirmation links a quotation already issued (`apply_quotation` right after
    it); a quotation issued later is applied when it comes, if the view names it by then."""
    view = domain.new_view(order_id)
    issued: dict[str, sales.QuotationIssued] = {}
    folds = 0
    for r in records:
        m = r.message
        if isinstance(m, sales.QuotationIssued):
            issued.setdefault(m.quotation_id, m)
            if view["quotation"] and view["quotation"].get("quotation_id") == m.quotation_id:
                domain.apply_quotation(view, m)
                folds += 1
            continue
        domain.apply(view, m)
        if isinstance(m, sales.OrderConfirmed) and m.quotation_id and m.quotation_id in issued:
            domain.apply_quotation(view, issued[m.quotation_id])
        folds += 1
    return view, folds


def live_cut(records: Iterable[Replayed], *, ends: Mapping[TopicPartition, int],
             committed: Mapping[TopicPartition, int], handled: set[uuid.UUID],
             held: set[Position]) -> tuple[list[Replayed], int]:
    """The records the live projection has folded already, and how many are left to it.

    Kept: before the snapshot's end offsets, not held in a dead letter (open, parked or discarded), and
    either before the consumer group's committed offset or with its id in the inbox. The rest will still
    reach the live handler (a batch waiting on the rebuild's lock, a lagging consumer): folding it here
    too would apply it twice."""
    kept: list[Replayed] = []
    left = 0
    for r in records:
        p = r.position
        tp = TopicPartition(p.topic, p.partition)
        folded_live = p.offset < committed.get(tp, 0) or r.envelope.message_id in handled
        if p.offset < ends.get(tp, 0) and p not in held and folded_live:
            kept.append(r)
        else:
            left += 1
    return kept, left


def quotation_rows(records: Iterable[Replayed]) -> list[dict[str, Any]]:
    """tracking_quotation rows: the first issue of each quotation (the live insert keeps the first)."""
    rows: dict[str, dict[str, Any]] = {}
    issued = [r for r in records if isinstance(r.message, sales.QuotationIssued)]
    for r in sorted(issued, key=lambda r: r.sort_key):
        m = r.message
        if isinstance(m, sales.QuotationIssued) and m.quotation_id not in rows:
            rows[m.quotation_id] = {"quotation_id": m.quotation_id, "quotation_no": m.quotation_no,
                                    "customer_id": m.customer_id, "message": m.model_dump(mode="json")}
    return list(rows.values())


# --- reading the topics ----------------------------------------------------------------------------------


@dataclass
class RebuildReport:
    records_read: int = 0
    """Records read from the topics (every type)."""
    messages_folded: int = 0
    """Tracked messages kept and folded (after doubles and the live cut)."""
    orders_rebuilt: int = 0
    orders_dropped: int = 0
    """Orders that were in the tables but have no message left (their rows and hot views removed)."""
    quotations: int = 0
    ignored: int = 0
    """Records of types the projection does not fold (customers, items, …)."""
    skipped: int = 0
    """Undecodable records (not an envelope, or a tracked type whose payload does not validate)."""
    doubles: int = 0
    """The same message id read twice (at-least-once publishing); folded once."""
    left_to_live: int = 0
    """Records past the cut: the live consumer folds them after the rebuild."""
    failed: int = 0
    """Messages the domain could not fold (logged; the order is rebuilt without them)."""
    tail_records: int = 0
    """Records read under the lock, after the snapshot."""
    seconds: float = 0.0
    lock_seconds: float = 0.0
    """How long live folds waited (the final transaction)."""
    topics: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"{k}: {v}" for k, v in self.__dict__.items()]


class _Reader:
    """Manual assignment over every partition of the given topics; reads up to given end offsets."""

    def __init__(self, bootstrap: str, topics: Sequence[str], report: RebuildReport) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest",
            client_id="o2c-sales-tracking-rebuild", max_poll_records=2000, fetch_max_wait_ms=200,
            **kafka_client_options(),
        )
        # End offsets from a second client that never fetches: on the reading one, a ListOffsets request
        # queues behind its pending long-poll fetch (up to fetch_max_wait_ms), inside the lock.
        self.offsets = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                        client_id="o2c-sales-tracking-rebuild-offsets", **kafka_client_options())
        self.admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="o2c-sales-tracking-rebuild",
                                         **kafka_client_options())
        self.topics = list(topics)
        self.report = report
        self.partitions: list[TopicPartition] = []
        self.records: list[Replayed] = []
        self._coordinator: int | None = None

    async def start(self) -> None:
        await self.admin.start()
        await self.consumer.start()
        await self.offsets.start()
        existing = set(await self.admin.list_topics())
        present = [t for t in self.topics if t in existing]
        for topic in self.topics:
            if topic not in existing:
                log.warning("topic %s does not exist; nothing to read from it", topic)
        for described in await self.admin.describe_topics(present) if present else []:
            for p in sorted(described["partitions"], key=lambda p: int(p["partition"])):
                self.partitions.append(TopicPartition(described["topic"], int(p["partition"])))
        if self.partitions:
            self.consumer.assign(self.partitions)
            await self.consumer.seek_to_beginning(*self.partitions)

    async def committed(self, group: str) -> dict[TopicPartition, int]:
        """The live consumer group's committed offsets (none for a partition it never committed)."""
        if self._coordinator is None:
            self._coordinator = await self.admin.find_coordinator(group)
        found = await self.admin.list_consumer_group_offsets(group, self._coordinator, list(self.partitions))
        return {tp: meta.offset for tp, meta in found.items() if meta is not None and meta.offset >= 0}

    async def stop(self) -> None:
        try:
            await self.consumer.stop()
            await self.offsets.stop()
        finally:
            await self.admin.close()

    async def end_offsets(self) -> dict[TopicPartition, int]:
        if not self.partitions:
            return {}
        ends: dict[TopicPartition, int] = await self.offsets.end_offsets(self.partitions)
        return ends

    async def read_to(self, ends: Mapping[TopicPartition, int]) -> int:
        """Read until every partition's position reaches its end offset; returns the records read."""
        before = self.report.records_read
        while True:
            pending = [tp for tp in self.partitions if await self.consumer.position(tp) < ends.get(tp, 0)]
            if not pending:
                return self.report.records_read - before
            batches = await self.consumer.getmany(*pending, timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    self._take(record.topic, record.partition, record.offset, record.value)

    def _take(self, topic: str, partition: int, offset: int, value: bytes | None) -> None:
        """Decode as the kit consumer does (o2c.kit.messaging.consumer.MessageConsumer._decode)."""
        self.report.records_read += 1
        try:
            envelope = Envelope.from_bytes(value or b"")
        except Exception as exc:
            self.report.skipped += 1
            log.warning("skipping %s[%d]@%d: not an o2c envelope: %s", topic, partition, offset, exc)
            return
        if envelope.type not in TRACKED_TYPES:
            self.report.ignored += 1
            return
        try:
            message = decode(envelope)
        except Exception as exc:
            self.report.skipped += 1
            log.warning("skipping %s %s at %s[%d]@%d: %s", envelope.type, envelope.message_id, topic, partition,
                        offset, exc)
            return
        self.records.append(Replayed(envelope, message, Position(topic, partition, offset)))


async def _handled_ids(session: AsyncSession, candidates: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    ids = list(candidates)
    found: set[uuid.UUID] = set()
    inbox = TRACKING_TABLES.inbox
    for i in range(0, len(ids), 5000):
        rows = await session.execute(sa.select(inbox.c.message_id).where(inbox.c.message_id.in_(ids[i:i + 5000])))
        found.update(uuid.UUID(str(r[0])) for r in rows)
    return found


async def _held_positions(session: AsyncSession) -> set[Position]:
    dl = TRACKING_TABLES.dead_letter
    rows = await session.execute(
        sa.select(dl.c.topic, dl.c.partition, dl.c.offset).where(dl.c.status != "replayed")
    )
    return {Position(t, int(p), int(o)) for t, p, o in rows}


# --- folding everything, writing it ----------------------------------------------------------------------


def fold_tolerant(order_id: str, records: Sequence[Replayed]) -> tuple[domain.View, int, int]:
    """`fold_order`, but a message the domain cannot fold is left out (logged) instead of failing the
    rebuild; returns the view, its fold count and how many messages were left out."""
    try:
        view, folds = fold_order(order_id, records)
        return view, folds, 0
    except Exception:
        log.exception("order %s does not fold as a whole; finding the messages that do not", order_id)
    kept: list[Replayed] = []
    for r in records:
        try:
            fold_order(order_id, [*kept, r])
        except Exception as exc:
            log.error("leaving %s %s out of order %s: %s: %s", r.envelope.type, r.envelope.message_id, order_id,
                      type(exc).__name__, exc)
            continue
        kept.append(r)
    view, folds = fold_order(order_id, kept)
    return view, folds, len(records) - len(kept)


@dataclass(frozen=True)
class _Rows:
    """One order's rows, built (and its document serialised) before the lock."""

    order: dict[str, Any]
    terms: list[dict[str, Any]]
    shipments: list[dict[str, Any]]


@dataclass
class _Folded:
    views: dict[str, tuple[domain.View, int]] = field(default_factory=dict)
    rows: dict[str, _Rows] = field(default_factory=dict)
    signatures: dict[str, tuple[Position, ...]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    inputs: frozenset[Position] = frozenset()
    """The records it was folded from."""
    quotations: list[dict[str, Any]] = field(default_factory=list)


def _rows_of(order_id: str, view: domain.View, folds: int, now: datetime) -> _Rows:
    order = {"order_id": order_id, **store.order_values(view, folds, now)}
    order["doc"] = store.dumps(view)
    return _Rows(order, store.term_rows(view), store.shipment_rows(view))


def _fold_all(records: Sequence[Replayed], now: datetime, lead: domain.LeadTimes,
              previous: _Folded | None = None) -> _Folded:
    """Fold and derive every order; an order with the same records as in `previous` keeps its view (and when
    nothing changed at all, `previous` is the answer: the usual case under the lock)."""
    inputs = frozenset(r.position for r in records)
    if previous is not None and previous.inputs == inputs:
        return previous
    out = _Folded(inputs=inputs, quotations=quotation_rows(records))
    for order_id, records_of_order in group_by_order(records).items():
        signature = tuple(r.position for r in records_of_order)
        out.signatures[order_id] = signature
        if previous is not None and previous.signatures.get(order_id) == signature:
            out.views[order_id] = previous.views[order_id]
            out.rows[order_id] = previous.rows[order_id]
            out.failures[order_id] = previous.failures.get(order_id, 0)
            continue
        view, folds, failed = fold_tolerant(order_id, records_of_order)
        domain.derive(view, now, lead)
        out.views[order_id] = (view, folds)
        out.rows[order_id] = _rows_of(order_id, view, folds, now)
        out.failures[order_id] = failed
    return out


def _pg_type(type_: Any) -> str:
    if isinstance(type_, JSONB):
        return "JSONB"
    if isinstance(type_, sa.DateTime):
        return "timestamptz" if type_.timezone else "timestamp"
    for kind, name in ((sa.Date, "date"), (sa.Integer, "integer"), (sa.Text, "text")):
        if isinstance(type_, kind):
            return name
    raise TypeError(f"no bulk insert for a {type_!r} column")


def _bulk_insert_sql(table: sa.Table) -> str:
    """`INSERT … SELECT * FROM unnest(<one array per column>)`: one round trip per chunk, one constant text
    (prepared once). JSONB travels as text, already serialised."""
    arrays = []
    for column in table.columns:
        kind = _pg_type(column.type)
        arrays.append(f"CAST(CAST(:{column.name} AS text[]) AS jsonb[])" if kind == "JSONB"
                      else f"CAST(:{column.name} AS {kind}[])")
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    return f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({', '.join(arrays)})"


async def _bulk_insert(session: AsyncSession, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    statement = sa.text(_bulk_insert_sql(table))
    for i in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[i:i + INSERT_CHUNK]
        await session.execute(statement, {c.name: [r[c.name] for r in chunk] for c in table.columns})


async def _replace_tables(session: AsyncSession, folded: _Folded) -> set[str]:
    """Empty the four tables and write the rebuilt rows (DELETE, not TRUNCATE: TRUNCATE would take an ACCESS
    EXCLUSIVE lock, so the page's reads would wait too, and it is not MVCC-safe for them). Returns the orders
    that were in the table and are not rebuilt (their hot views must go too)."""
    gone = set((await session.execute(sa.select(tracking_order.c.order_id))).scalars()) - set(folded.views)
    for table in (tracking_term, tracking_shipment, tracking_order, tracking_quotation):
        await session.execute(sa.delete(table))
    orders: list[dict[str, Any]] = []
    terms: dict[tuple[str, str, str], dict[str, Any]] = {}
    shipments: dict[str, dict[str, Any]] = {}
    for rows in folded.rows.values():
        orders.append(rows.order)
        for term in rows.terms:
            # The same normalised term twice for one order and kind (an order number equal to its id): one row.
            terms.setdefault((term["term"], term["order_id"], term["kind"]), term)
        for row in rows.shipments:
            shipments[row["shipment_id"]] = row  # a shipment named by two orders: the last wins, as live
    await _bulk_insert(session, tracking_order, orders)
    await _bulk_insert(session, tracking_term, list(terms.values()))
    await _bulk_insert(session, tracking_shipment, list(shipments.values()))
    await _bulk_insert(session, tracking_quotation,
                       [{**q, "message": json.dumps(q["message"], separators=(",", ":"))} for q in folded.quotations])
    return gone


async def _folded_live(session: AsyncSession, reader: _Reader, records: Sequence[Replayed],
                       ends: Mapping[TopicPartition, int], group: str) -> tuple[list[Replayed], int]:
    """`live_cut` with what the broker and the database say now: the group's committed offsets, the inbox
    entries of the records past them, the dead letters not replayed."""
    committed = await reader.committed(group)
    candidates = [r.envelope.message_id for r in records
                  if r.position.offset >= committed.get(TopicPartition(r.position.topic, r.position.partition), 0)]
    handled = await _handled_ids(session, candidates)
    held = await _held_positions(session)
    return live_cut(records, ends=ends, committed=committed, handled=handled, held=held)


async def _cut_over(rt: Runtime, reader: _Reader, report: RebuildReport, draft: _Folded, at: datetime,
                    after_lock: Hook | None) -> tuple[_Folded, set[str]]:
    settings = rt.settings
    tracking = tracking_of(rt)
    async with rt.sessions() as session, session.begin():
        await session.execute(sa.text("LOCK TABLE tracking_quotation, tracking_order IN EXCLUSIVE MODE"))
        locked = time.perf_counter()
        if after_lock is not None:
            await after_lock()
        ends = await reader.end_offsets()
        read_before = report.records_read
        await reader.read_to(ends)
        report.tail_records += report.records_read - read_before
        records, report.doubles = unique(reader.records)
        kept, report.left_to_live = await _folded_live(session, reader, records, ends, settings.group + ".tracking")
        folded = _fold_all(kept, at, tracking.lead_times, previous=draft)
        gone = await _replace_tables(session, folded)
    report.lock_seconds = time.perf_counter() - locked
    report.messages_folded = len(kept)
    report.orders_rebuilt = len(folded.views)
    report.orders_dropped = len(gone)
    report.quotations = len(folded.quotations)
    report.failed = sum(folded.failures.values())
    return folded, gone


async def _forget(tracking: Tracking, order_ids: Sequence[str]) -> None:
    cache = tracking.cache
    for i in range(0, len(order_ids), REFRESH_CHUNK):
        try:
            chunk = order_ids[i:i + REFRESH_CHUNK]
            await cache.client.delete(*[cache.key(o) for o in chunk], *[cache.meta_key(o) for o in chunk])
        except Exception as exc:  # the keys expire anyway (TTL); the rebuild's result stands
            log.warning("tracking rebuild: could not delete %d stale hot views: %s", len(order_ids), exc)


async def rebuild(rt: Runtime, *, topics: Sequence[str] = CHAIN_EVENTS, now: datetime | None = None,
                  after_snapshot: Hook | None = None, after_lock: Hook | None = None) -> RebuildReport:
    """Rebuild the tracking tables from the events topics, then the Redis hot view (module docstring).

    `now`: derive the views as of this instant (default: the projection's clock). `after_snapshot` runs once
    the snapshot is read and folded, `after_lock` once the tables are locked (tests use them to publish
    while a rebuild runs)."""
    started = time.perf_counter()
    settings = rt.settings
    tracking = tracking_of(rt)
    at = now or tracking.now()
    report = RebuildReport(topics=[settings.topic_prefix + t for t in topics])
    reader = _Reader(settings.kafka_bootstrap, report.topics, report)
    try:
        await reader.start()
        # 1. The snapshot, folded outside any lock (the long part).
        snapshot_ends = await reader.end_offsets()
        await reader.read_to(snapshot_ends)
        log.info("tracking rebuild: snapshot of %d records read in %.1fs", report.records_read,
                 time.perf_counter() - started)
        records, _ = unique(reader.records)
        # What the live consumer has folded by now: usually all of it, and then the cut-over reuses this fold.
        async with rt.sessions() as session:
            kept, _ = await _folded_live(session, reader, records, snapshot_ends, settings.group + ".tracking")
        draft = _fold_all(kept, at, tracking.lead_times)
        if after_snapshot is not None:
            await after_snapshot()

        # 2. The cut-over: live folds wait on the lock; the tail is read and folded; the tables replaced.
        for attempt in range(1, CUT_OVER_ATTEMPTS + 1):
            try:
                folded, gone = await _cut_over(rt, reader, report, draft, at, after_lock)
                break
            except Exception as exc:
                # The lock can deadlock with a live batch that wrote one table and waits for the other:
                # PostgreSQL aborts one of the two; if it is us, the cut-over is simply done again.
                if attempt == CUT_OVER_ATTEMPTS or not is_transient(exc):
                    raise
                log.warning("tracking rebuild: cut-over attempt %d failed (%s); again", attempt, exc)
    finally:
        await reader.stop()

    # 3. The hot view, from the committed rows (a live fold that committed since is included); the views of
    #    orders no longer in the projection leave Redis too.
    await _forget(tracking, sorted(gone))
    order_ids = sorted(folded.views)
    for i in range(0, len(order_ids), REFRESH_CHUNK):
        await tracking.refresh(order_ids[i:i + REFRESH_CHUNK])
    report.seconds = time.perf_counter() - started
    log.info("tracking rebuild done: %s", ", ".join(report.lines()))
    return report
