"""Transient or permanent: the one question the consumer asks of every failure (docs/flow.md, errors)."""

from __future__ import annotations

import asyncpg
from aiokafka.errors import KafkaConnectionError, KafkaError
from sqlalchemy import exc as sa_exc


class TransientError(Exception):
    """Raise from a handler when retrying later can succeed (an unavailable dependency)."""


class PermanentError(Exception):
    """Raise from a handler when no retry can succeed (a rule the message can never pass)."""


_TRANSIENT_SQLSTATES = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
    "57P01", "57P02", "57P03",  # admin/crash shutdown, cannot connect now
    "53300",  # too_many_connections
    "08000", "08003", "08006", "08001", "08004",  # connection exceptions
}


def is_transient(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TransientError | TimeoutError | ConnectionError | OSError | KafkaConnectionError):
            return True
        if isinstance(current, PermanentError):
            return False
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
            return True
        if isinstance(current, asyncpg.PostgresConnectionError | asyncpg.InterfaceError):
            return True
        sqlstate = getattr(current, "sqlstate", None) or getattr(getattr(current, "orig", None), "sqlstate", None)
        if sqlstate in _TRANSIENT_SQLSTATES:
            return True
        if isinstance(current, KafkaError) and getattr(current, "retriable", False):
            return True
        current = current.__cause__ or current.__context__
    return False
