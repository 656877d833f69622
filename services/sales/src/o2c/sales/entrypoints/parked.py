"""Keys parked in other services: their `<Service>KeyParked` / `<Service>KeyReleased` notices kept in
`parked_elsewhere`, and read back beside sales' own parked keys for the order page and the saga exceptions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from o2c.contracts.topics import Service
from o2c.contracts.v1.parking import KeyParked, KeyReleased, parking_type_names
from o2c.kit.messaging.consumer import Handler, MessageContext
from o2c.kit.messaging.schema import TABLES
from o2c.sales.adapters.db import parked_elsewhere
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

OTHER_SERVICES = tuple(s.value for s in Service if s is not Service.SALES)


async def key_parked(message: KeyParked, ctx: MessageContext) -> None:
    """Another service parked an order's key behind a dead letter: kept (a later park of the key replaces it)."""
    values = {"dead_letter_id": message.dead_letter_id, "message_type": message.message_type,
              "reason": message.reason, "parked_at": message.parked_at}
    await ctx.session.execute(
        pg_insert(parked_elsewhere).values(service=message.service, topic=message.topic, key=message.key, **values)
        .on_conflict_do_update(index_elements=["service", "topic", "key"], set_=values))


async def key_released(message: KeyReleased, ctx: MessageContext) -> None:
    t = parked_elsewhere.c
    # Only the head it names: a later park of the same key (a new head) stays.
    await ctx.session.execute(sa.delete(parked_elsewhere).where(
        t.service == message.service, t.topic == message.topic, t.key == message.key,
        t.dead_letter_id == message.dead_letter_id))


def handlers() -> dict[str, Handler]:
    """Each other service's `<Service>KeyParked` / `<Service>KeyReleased` (one class each, by type name)."""
    out: dict[str, Handler] = {}
    for service in OTHER_SERVICES:
        parked_type, released_type = parking_type_names(service)
        out[parked_type] = cast(Handler, key_parked)  # decoded as a KeyParked subclass (CreditKeyParked …)
        out[released_type] = cast(Handler, key_released)  # … and a KeyReleased one
    return out


async def parked_keys(session: AsyncSession, keys: Sequence[str] | None, limit: int = 500) -> list[dict[str, Any]]:
    """Parked keys, sales' own and every other service's, newest first: order id (the key), service, topic,
    the dead letter at the head in that service, its message type and reason."""
    pk, dl, pe = TABLES.parked_key, TABLES.dead_letter, parked_elsewhere
    own = sa.select(pk.c.key, sa.literal(Service.SALES.value).label("service"), pk.c.topic, pk.c.dead_letter_id,
                    pk.c.parked_at, dl.c.type.label("message_type"), dl.c.reason).join(
        dl, dl.c.id == pk.c.dead_letter_id)
    other = sa.select(pe.c.key, pe.c.service, pe.c.topic, pe.c.dead_letter_id, pe.c.parked_at, pe.c.message_type,
                      pe.c.reason)
    if keys is not None:
        own, other = own.where(pk.c.key.in_(list(keys))), other.where(pe.c.key.in_(list(keys)))
    both = sa.union_all(own, other).subquery()
    rows = (await session.execute(sa.select(both).order_by(both.c.parked_at.desc()).limit(limit))).all()
    return [{"order_id": r.key, "service": r.service, "topic": r.topic, "dead_letter_id": r.dead_letter_id,
             "message_type": r.message_type, "reason": r.reason, "parked_at": r.parked_at.isoformat()}
            for r in rows]
