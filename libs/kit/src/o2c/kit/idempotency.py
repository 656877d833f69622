"""Idempotency-Key, one rule for every service: a key belongs to the caller and the endpoint it was sent to.

A write that carries `Idempotency-Key` stores its answer beside the state it changed, in the same transaction.
A repeat by the same caller on the same endpoint with the same request gets that stored answer back and changes
nothing; the same key with a different request is refused (422 naming `Idempotency-Key`); another caller's
use of the same key is a request of its own. Concurrent repeats queue on a transaction-scoped advisory lock, so
the second one sees the first one's committed answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from o2c.kit.problems import InvalidField
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

HEADER = "Idempotency-Key"
TABLE_NAME = "idempotent_request"

IdempotencyKey = Annotated[str | None, Header(
    alias=HEADER, min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$",
    description="Repeat a write safely: the same key and request from the same caller answer as the first time")]
"""The header as a route parameter (printable ASCII, at most 200 characters)."""


def idempotency_table(metadata: sa.MetaData) -> sa.Table:
    """The stored answers, keyed by (caller, endpoint, key); each service adds it to its own metadata."""
    return sa.Table(
        TABLE_NAME, metadata,
        sa.Column("caller", sa.Text, primary_key=True),
        sa.Column("endpoint", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("answer", JSONB, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def create_idempotency_table(op: Any) -> None:
    """Used by a service's Alembic revision (`op` is alembic.op)."""
    idempotency_table(sa.MetaData()).create(op.get_bind())


_TABLE = idempotency_table(sa.MetaData())


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    caller: str
    endpoint: str
    key: str
    fingerprint: str

    @classmethod
    def of(cls, key: str | None, *, caller: str, endpoint: str, path: str,
           body: BaseModel | Mapping[str, Any] | None) -> IdempotentRequest | None:
        """None without a key. `endpoint` is the route (method and template); `path` and `body` are what was
        asked, so the same key on another document or with other figures is a different request."""
        if not key:
            return None
        content = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
        canonical = json.dumps({"path": path, "body": content}, sort_keys=True, separators=(",", ":"), default=str)
        return cls(caller, endpoint, key, hashlib.sha256(canonical.encode()).hexdigest())

    @classmethod
    def from_http(cls, request: Request, key: str | None, caller: str,
                  body: BaseModel | Mapping[str, Any] | None = None) -> IdempotentRequest | None:
        route = request.scope.get("route")
        template = getattr(route, "path", request.url.path)
        return cls.of(key, caller=caller, endpoint=f"{request.method} {template}", path=request.url.path, body=body)


async def recall(session: AsyncSession, request: IdempotentRequest) -> dict[str, Any] | None:
    """The stored answer for this caller's key, or None (then the caller's write proceeds under the lock)."""
    await session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(
        sa.literal(f"{request.caller}\x1f{request.endpoint}\x1f{request.key}"), 0))))
    row = (await session.execute(sa.select(_TABLE.c.fingerprint, _TABLE.c.answer).where(
        _TABLE.c.caller == request.caller, _TABLE.c.endpoint == request.endpoint, _TABLE.c.key == request.key,
    ))).first()
    if row is None:
        return None
    if row.fingerprint != request.fingerprint:
        raise InvalidField(HEADER, "this key was used for a different request; use a new key for a new request")
    return dict(row.answer)


async def remember(session: AsyncSession, request: IdempotentRequest, answer: Mapping[str, Any]) -> None:
    await session.execute(_TABLE.insert().values(
        caller=request.caller, endpoint=request.endpoint, key=request.key, fingerprint=request.fingerprint,
        answer=jsonable_encoder(dict(answer))))


async def once(session: AsyncSession, request: IdempotentRequest | None,
               work: Callable[[], Awaitable[dict[str, Any]]]) -> tuple[dict[str, Any], bool]:
    """(answer, repeated): the stored answer for a repeat, else `work`'s, stored in the same transaction."""
    if request is None:
        return await work(), False
    stored = await recall(session, request)
    if stored is not None:
        return stored, True
    answer = await work()
    await remember(session, request, answer)
    return answer, False
