"""Dead letters: list them, replay them through the same handler after a fix, or discard with a reason.

Replaying the head of a parked key also replays, in their original order, the messages of that key
that were held behind it; if one of them fails again it becomes the new head and the key stays parked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import ConsumerRecord
from o2c.kit.messaging.consumer import MessageConsumer, _Decoded
from o2c.kit.messaging.errors import is_transient
from o2c.kit.messaging.parking import parked_notice, released_notice
from o2c.kit.messaging.schema import TABLES, MessagingTables
from o2c.kit.problems import Conflict, NotFound
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import func


@dataclass
class ReplayOutcome:
    dead_letter_id: int
    status: str  # replayed | failed
    detail: str = ""


def _as_record(row: Any) -> ConsumerRecord[bytes, bytes]:
    headers = [(k, str(v).encode()) for k, v in dict(row.headers or {}).items()]
    return ConsumerRecord(
        topic=row.topic, partition=row.partition, offset=row.offset, timestamp=0, timestamp_type=0,
        key=(row.key or "").encode(), value=bytes(row.value), checksum=None, serialized_key_size=0,
        serialized_value_size=len(row.value), headers=headers,
    )


async def list_dead_letters(
    session: AsyncSession, status: str | None = "open", limit: int = 100, *, topic: str | None = None,
    partition: int | None = None, offset: int | None = None, message_id: str | None = None,
    tables: MessagingTables = TABLES,
) -> list[dict[str, Any]]:
    """Newest last; narrowed to one record by its position or message id when given (the SRE's group of one
    record's dead letters across services)."""
    dl = tables.dead_letter
    query = select(
        dl.c.id, dl.c.message_id, dl.c.topic, dl.c.partition, dl.c.offset, dl.c.key, dl.c.type, dl.c.reason,
        dl.c.error_class, dl.c.attempts, dl.c.status, dl.c.failed_at, dl.c.resolved_at, dl.c.resolved_by,
    ).order_by(dl.c.id).limit(limit)
    if status:
        query = query.where(dl.c.status == status)
    for column, value in ((dl.c.topic, topic), (dl.c.partition, partition), (dl.c.offset, offset),
                          (dl.c.message_id, message_id)):
        if value is not None:
            query = query.where(column == value)
    rows = (await session.execute(query)).mappings().all()
    return [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()} for r in rows]


async def replay_dead_letter(consumer: MessageConsumer, dead_letter_id: int, actor: str) -> list[ReplayOutcome]:
    """Replay one open dead letter, then the key's parked followers in their original order."""
    row = await _open_row(consumer, dead_letter_id)
    outcome = await _replay_one(consumer, row, actor)
    if outcome.status != "replayed":
        return [outcome]
    return [outcome, *await _release_followers(consumer, row, actor)]


async def discard_dead_letter(
    consumer: MessageConsumer, dead_letter_id: int, actor: str, reason: str
) -> list[ReplayOutcome]:
    """A person decides a dead letter needs no effect; the key's held followers then run in order."""
    dl = consumer.tables.dead_letter
    row = await _open_row(consumer, dead_letter_id)
    async with consumer.sessions() as session, session.begin():
        await session.execute(
            update(dl).where(dl.c.id == dead_letter_id, dl.c.status == "open")
            .values(status="discarded", resolved_at=func.now(), resolved_by=actor,
                    reason=dl.c.reason + " | discarded: " + reason)
        )
    return [ReplayOutcome(dead_letter_id, "discarded", reason),
            *await _release_followers(consumer, row, actor, "discarded")]


async def _open_row(consumer: MessageConsumer, dead_letter_id: int) -> Any:
    dl = consumer.tables.dead_letter
    async with consumer.sessions() as session:
        row = (await session.execute(select(dl).where(dl.c.id == dead_letter_id))).one_or_none()
    if row is None:
        raise NotFound("dead letter", str(dead_letter_id))
    if row.status != "open":
        raise Conflict(f"dead letter {dead_letter_id} is {row.status}; only an open one can be replayed or discarded")
    return row


async def _release_followers(consumer: MessageConsumer, head: Any, actor: str,
                             resolution: str = "replayed") -> list[ReplayOutcome]:
    dl, pk = consumer.tables.dead_letter, consumer.tables.parked_key
    async with consumer.sessions() as session, session.begin():
        released = await session.execute(delete(pk).where(pk.c.topic == head.topic, pk.c.key == head.key,
                                                          pk.c.dead_letter_id == head.id).returning(pk.c.key))
        if released.scalar_one_or_none() is not None and not consumer.tables.prefix:  # a read model tells nobody
            notice = released_notice(consumer.service, key=head.key, topic=head.topic.removeprefix(
                consumer.topic_prefix), dead_letter_id=head.id, resolution=resolution)
            if notice is not None:
                await consumer.outbox.add(session, notice, correlation_id=head.key)
        followers = (await session.execute(
            select(dl).where(dl.c.topic == head.topic, dl.c.key == head.key, dl.c.status == "parked")
            .order_by(dl.c.partition, dl.c.offset)
        )).all()
    outcomes: list[ReplayOutcome] = []
    for follower in followers:
        outcome = await _replay_one(consumer, follower, actor)
        outcomes.append(outcome)
        if outcome.status != "replayed":
            # The failed follower becomes the new head; the rest stay parked behind it.
            async with consumer.sessions() as session, session.begin():
                await session.execute(update(dl).where(dl.c.id == follower.id).values(status="open"))
                await session.execute(
                    pk.insert().values(topic=head.topic, key=head.key, dead_letter_id=follower.id)
                )
                notice = parked_notice(consumer.service, key=head.key, topic=head.topic.removeprefix(
                    consumer.topic_prefix), dead_letter_id=follower.id, message_type=follower.type,
                    reason=outcome.detail)
                if notice is not None and not consumer.tables.prefix:
                    await consumer.outbox.add(session, notice, correlation_id=head.key)
            break
    return outcomes


async def _replay_one(consumer: MessageConsumer, row: Any, actor: str) -> ReplayOutcome:
    dl = consumer.tables.dead_letter
    item: _Decoded = consumer._decode(_as_record(row))
    if item.envelope is None or item.message is None:
        return ReplayOutcome(row.id, "failed", item.error or "no handler for this message type")
    try:
        async with consumer.sessions() as session, session.begin():
            claimed = await session.execute(
                update(dl).where(dl.c.id == row.id, dl.c.status.in_(("open", "parked")))
                .values(status="replayed", resolved_at=func.now(), resolved_by=actor).returning(dl.c.id)
            )
            if claimed.scalar_one_or_none() is None:
                return ReplayOutcome(row.id, "skipped", "already resolved by someone else")
            await consumer._invoke(session, item)
    except Exception as exc:
        if is_transient(exc):
            raise
        async with consumer.sessions() as session, session.begin():
            await session.execute(update(dl).where(dl.c.id == row.id).values(
                attempts=dl.c.attempts + 1, reason=f"replay failed: {type(exc).__name__}: {exc}"))
        return ReplayOutcome(row.id, "failed", f"{type(exc).__name__}: {exc}")
    return ReplayOutcome(row.id, "replayed")
