"""PostgreSQL access for a service: async engine, sessions, readiness and migrations at start."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def async_url(url: str) -> str:
    """A plain `postgresql://` URL (as CloudNativePG's app secret hands it over) runs on asyncpg."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    return url


def json_dumps(value: Any) -> str:
    """JSON and JSONB columns (documents of several KB read and written per message) through orjson: the
    standard library's encoder was a quarter of sales' CPU (issue 15). Non-string keys become strings, as
    json.dumps made them."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


POOL_SIZE = 20
"""Connections a service keeps open: a consumer's lanes (up to one per partition index: 6), a read model's lanes,
the relay, the timers and concurrent HTTP requests. Below that, bursts spilled into overflow connections that
were opened and closed again (asyncpg's TLS probe, a server fork and authentication each time: 49 backends opened
by sales and 27 by dispatch in a 60-order bench run with a pool of 10)."""


def make_engine(url: str, *, pool_size: int = POOL_SIZE) -> AsyncEngine:
    # No ping per checkout: it cost 0.25 ms of client CPU per transaction (about 60 ms per 10-line order over
    # the chain, issue 15) plus a server round trip. A database restart is still ridden out: the first statement
    # on a dead connection fails as a disconnect, SQLAlchemy invalidates every pooled connection opened before
    # it, and the consumer retries that batch (transient) on fresh ones.
    # hide_parameters: an error (and so its log line) shows the SQL, never the bound values (names, addresses).
    engine = create_async_engine(
        async_url(url), pool_size=pool_size, max_overflow=10, pool_pre_ping=False, pool_recycle=1800,
        hide_parameters=True, connect_args={"timeout": 5, "command_timeout": 30},
        json_serializer=json_dumps, json_deserializer=orjson.loads,
    )
    event.listen(engine.sync_engine, "handle_error", _scrub_error)
    return engine


# A driver or the server quotes the offending value in some errors ("invalid input for query argument $1:
# 'Sharma Electricals…'", 'invalid input syntax for type date: "…"'): hide_parameters does not reach those.
_QUOTED_VALUES = (
    re.compile(r"(invalid input for query argument \$\d+: ).*(?= \()", re.M),  # asyncpg: 'value…' (reason)
    re.compile(r"""(invalid input (?:syntax for type|value for enum) [\w ."]+: )".*"$""", re.M),  # the server
)


def scrub(message: str) -> str:
    for pattern in _QUOTED_VALUES:
        message = pattern.sub(r"\1[value hidden]", message)
    return message


def _scrub_error(context: ExceptionContext) -> None:
    """Rewrites the error's message (and its causes') before anyone logs it or stores it as a reason."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [context.sqlalchemy_exception, context.original_exception]
    while pending:
        exc = pending.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        exc.args = tuple(scrub(a) if isinstance(a, str) else a for a in exc.args)
        pending += [exc.__cause__, exc.__context__]


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as session, session.begin():
        yield session


async def database_ready(engine: AsyncEngine, timeout: float = 2.0) -> bool:
    try:
        async with asyncio.timeout(timeout), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def sync_url(url: str) -> str:
    """Alembic runs on a sync driver (psycopg); the services run on asyncpg."""
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def migrations_dir(package_dir: Path) -> Path:
    """A service's Alembic revisions: inside the installed package in a wheel (`o2c/<service>/migrations/versions`,
    package data, see setup.py), beside the sources in the repository (`services/<service>/migrations/versions`)."""
    installed = package_dir / "migrations" / "versions"
    return installed if installed.is_dir() else package_dir.parents[2] / "migrations" / "versions"


# Alembic loads revision files as modules by path: two loads at once in one process collide.
_ALEMBIC_LOCK = threading.Lock()


def upgrade_to_head(url: str, versions_dir: Path, metadata: MetaData) -> None:
    """Run the service's Alembic migrations (kit env, service versions); serialised by an advisory lock."""
    with _ALEMBIC_LOCK:
        _upgrade(url, versions_dir, metadata)


def _upgrade(url: str, versions_dir: Path, metadata: MetaData) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    engine = create_engine(sync_url(url), hide_parameters=True)
    event.listen(engine, "handle_error", _scrub_error)
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(7262001)"))
            cfg = Config()
            cfg.set_main_option("script_location", str(Path(__file__).parent / "alembic"))
            cfg.set_main_option("path_separator", "os")
            cfg.set_main_option("version_locations", str(versions_dir))
            cfg.attributes["connection"] = conn
            cfg.attributes["target_metadata"] = metadata
            command.upgrade(cfg, "heads")  # several branches (e.g. a read model) may share one database
            from o2c.kit.messaging.schema import KIT_SCHEMA_FIXUPS

            if conn.execute(text("SELECT to_regclass('outbox')")).scalar() is not None:
                for statement in KIT_SCHEMA_FIXUPS:
                    conn.execute(text(statement))
    finally:
        engine.dispose()
