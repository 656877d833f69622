"""Wiring one service process: HTTP app, outbox relay and consumer in one event loop, plus its CLI.

A service describes itself with a `ServiceDefinition`; everything generic (settings, database,
migrations with retry, readiness, dead-letter admin, telemetry) is done here once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query
from o2c.kit.auth import Principal
from o2c.kit.db import database_ready, make_engine, make_sessionmaker, upgrade_to_head
from o2c.kit.edge import Limit, RequestModel, RowId
from o2c.kit.http import SERVER_KEEPALIVE_SECONDS, create_app, tcp_reachable
from o2c.kit.messaging.consumer import Handler, MessageConsumer
from o2c.kit.messaging.dead_letters import discard_dead_letter, list_dead_letters, replay_dead_letter
from o2c.kit.messaging.faults import NO_FAULTS, FaultPoints
from o2c.kit.messaging.outbox import Outbox
from o2c.kit.messaging.relay import OutboxRelay
from o2c.kit.messaging.schema import TABLES, MessagingTables
from o2c.kit.policy import allow
from o2c.kit.settings import ServiceSettings, load_settings, refuse_without_secrets
from o2c.kit.telemetry import serve_metrics, setup_logging, setup_tracing
from pydantic import Field
from sqlalchemy import MetaData, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

log = logging.getLogger("o2c.service")


@dataclass
class Runtime:
    """What a running service has: handed to its routers and message handlers."""

    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    faults: FaultPoints = NO_FAULTS
    consumer: MessageConsumer | None = None
    read_models: dict[str, MessageConsumer] = field(default_factory=dict)
    """A consumer per read model (its own group and transactions), by name."""
    relay: OutboxRelay | None = None
    migrated: asyncio.Event = field(default_factory=asyncio.Event)
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadModel:
    """A projection beside the service's use cases: its own consumer group (`<group>.<name>`), transactions,
    inbox, dead letters and parked keys (tables under `<name>_`), so its failure never rolls back, dead-letters
    or parks a use case's message, and both see every message id once."""

    name: str
    handlers: Callable[[Runtime], Mapping[str, Handler]]
    subscribes_to: Sequence[str]

    @property
    def tables(self) -> MessagingTables:
        return MessagingTables(prefix=f"{self.name}_")


@dataclass
class ServiceDefinition:
    name: str
    title: str
    http_port: int
    metadata: MetaData
    versions_dir: Path
    routers: Callable[[Runtime], Sequence[APIRouter]] = lambda rt: ()
    handlers: Callable[[Runtime], Mapping[str, Handler]] = lambda rt: {}
    subscribes_to: Sequence[str] = ()
    description: str = ""
    settings_class: type[ServiceSettings] = ServiceSettings
    on_start: Callable[[Runtime], Any] | None = None
    """Optional coroutine function started as a background task once migrations are done."""
    read_models: Sequence[ReadModel] = ()

    def consumed_topics(self) -> list[str]:
        """Every topic a consumer of this service reads (its own and its read models'): what its Kafka user may
        read (o2c.contracts.access)."""
        return sorted({*self.subscribes_to, *(t for model in self.read_models for t in model.subscribes_to)})


# Module level: with postponed annotations FastAPI resolves route annotations from the module's globals.
DeadLetterReader = Annotated[Principal, Depends(allow("admin.dead-letter.read"))]
DeadLetterResolver = Annotated[Principal, Depends(allow("admin.dead-letter.resolve"))]


ReadModelName = Annotated[str | None, Query(max_length=40, description="a read model's own consumer group")]


class Replay(RequestModel):
    reason: str = Field(default="", max_length=1000)


def dead_letter_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(prefix="/admin", tags=["admin"])

    def consumer(read_model: str | None = None) -> MessageConsumer:
        from o2c.kit.problems import NotFound, Problem

        if read_model:
            if read_model not in runtime.read_models:
                raise NotFound("read model", read_model)
            return runtime.read_models[read_model]
        if runtime.consumer is None:
            raise Problem(409, "Conflict", "this service consumes no topics")
        return runtime.consumer

    # `read_model`: the dead letters of a read model's own consumer group (e.g. sales' tracking), not the service's.
    @router.get("/dead-letters", summary="Dead letters of this service's consumer")
    async def get_dead_letters(_: DeadLetterReader, status: str | None = "open", limit: Limit = 100,
                               topic: Annotated[str | None, Query(max_length=249)] = None,
                               partition: Annotated[int | None, Query(ge=0, le=100_000)] = None,
                               offset: Annotated[int | None, Query(ge=0, le=2**63 - 1)] = None,
                               message_id: uuid.UUID | None = None,
                               read_model: ReadModelName = None) -> list[dict[str, Any]]:
        tables = consumer(read_model).tables if read_model else TABLES
        async with runtime.sessions() as session:
            return await list_dead_letters(session, status, limit, topic=topic, partition=partition, offset=offset,
                                           message_id=str(message_id) if message_id else None, tables=tables)

    @router.post("/dead-letters/{dead_letter_id}/replay", summary="Replay through the same handler")
    async def post_replay(dead_letter_id: RowId, who: DeadLetterResolver,
                          read_model: ReadModelName = None) -> list[dict[str, Any]]:
        outcomes = await replay_dead_letter(consumer(read_model), dead_letter_id, who.subject)
        return [o.__dict__ for o in outcomes]

    @router.post("/dead-letters/{dead_letter_id}/discard", summary="Resolve without effect, with a reason")
    async def post_discard(dead_letter_id: RowId, body: Replay, who: DeadLetterResolver,
                           read_model: ReadModelName = None) -> list[dict[str, Any]]:
        outcomes = await discard_dead_letter(consumer(read_model), dead_letter_id, who.subject,
                                             body.reason or "no reason")
        return [o.__dict__ for o in outcomes]

    @router.get("/messaging", summary="Outbox backlog, relay and consumer state")
    async def messaging_state(_: DeadLetterReader) -> dict[str, Any]:
        ob = TABLES.outbox
        async with runtime.sessions() as session:
            row = (await session.execute(
                select(func.count(), func.min(ob.c.created_at)).where(ob.c.published_at.is_(None))
            )).one()
        return {
            "outbox_unsent": row[0], "oldest_unsent": row[1].isoformat() if row[1] else None,
            "relay_leader": bool(runtime.relay and runtime.relay.is_leader),
            "consumer": runtime.consumer.snapshot() if runtime.consumer else None,
            "read_models": {name: model.snapshot() for name, model in runtime.read_models.items()},
        }

    return router


def build_runtime(definition: ServiceDefinition, settings: ServiceSettings | None = None,
                  faults: FaultPoints = NO_FAULTS) -> Runtime:
    settings = settings or load_settings(definition.settings_class, definition.name, definition.http_port)
    engine = make_engine(settings.database_url)
    return Runtime(settings=settings, engine=engine, sessions=make_sessionmaker(engine),
                   outbox=Outbox(definition.name, settings.topic_prefix), faults=faults)


def build_app(
    definition: ServiceDefinition,
    runtime: Runtime | None = None,
    *,
    run_consumer: bool = True,
    run_relay: bool = True,
) -> FastAPI:
    rt = runtime or build_runtime(definition)
    settings = rt.settings
    handlers = definition.handlers(rt)
    if handlers and definition.subscribes_to:
        rt.consumer = MessageConsumer(
            service=definition.name, sessions=rt.sessions, bootstrap=settings.kafka_bootstrap,
            group=settings.group, topics=definition.subscribes_to, handlers=handlers,
            max_attempts=settings.handler_max_attempts, fetch_max_wait_ms=settings.fetch_max_wait_ms,
            max_poll_records=settings.max_poll_records, faults=rt.faults, topic_prefix=settings.topic_prefix,
            instance_id=settings.instance, session_timeout_ms=settings.consumer_session_timeout_ms,
            stall_seconds=settings.consumer_stall_seconds,
        )
    for model in definition.read_models:
        rt.read_models[model.name] = MessageConsumer(
            service=definition.name, sessions=rt.sessions, bootstrap=settings.kafka_bootstrap,
            group=f"{settings.group}.{model.name}", topics=model.subscribes_to, handlers=model.handlers(rt),
            max_attempts=settings.handler_max_attempts, fetch_max_wait_ms=settings.fetch_max_wait_ms,
            max_poll_records=settings.max_poll_records, faults=rt.faults, topic_prefix=settings.topic_prefix,
            instance_id=f"{settings.instance}.{model.name}", session_timeout_ms=settings.consumer_session_timeout_ms,
            stall_seconds=settings.consumer_stall_seconds, tables=model.tables,
        )
    rt.relay = OutboxRelay(
        service=definition.name, database_url=settings.database_url, bootstrap=settings.kafka_bootstrap,
        batch_size=settings.relay_batch_size, sweep_seconds=settings.relay_sweep_seconds,
        publish_timeout=settings.publish_timeout_seconds, faults=rt.faults,
    )
    rt.outbox.on_commit = rt.relay.wake
    for consuming in (rt.consumer, *rt.read_models.values()):
        if consuming is not None:
            consuming.outbox.on_commit = rt.relay.wake

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[Any]] = []

        async def start_when_migrated() -> None:
            backoff = 0.5
            while True:
                try:
                    await asyncio.to_thread(
                        upgrade_to_head, settings.database_url, definition.versions_dir, definition.metadata
                    )
                    break
                except Exception as exc:
                    # A database that is down at start is waited for, not fatal: readiness says so meanwhile.
                    log.warning("migrations not applied yet (%s); retrying in %.1fs", type(exc).__name__, backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
            rt.migrated.set()
            if run_relay and rt.relay is not None:
                tasks.append(asyncio.create_task(rt.relay.run(), name=f"{definition.name}-relay"))
            if run_consumer and rt.consumer is not None:
                tasks.append(asyncio.create_task(rt.consumer.run(), name=f"{definition.name}-consumer"))
            if run_consumer:
                for name, model in rt.read_models.items():
                    tasks.append(asyncio.create_task(model.run(), name=f"{definition.name}-{name}-consumer"))
            if definition.on_start is not None:
                tasks.append(asyncio.create_task(definition.on_start(rt), name=f"{definition.name}-start"))

        tasks.append(asyncio.create_task(start_when_migrated(), name=f"{definition.name}-migrate"))
        try:
            yield
        finally:
            if rt.relay:
                rt.relay.stop()
            for consuming in (rt.consumer, *rt.read_models.values()):
                if consuming is not None:
                    consuming.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await rt.engine.dispose()

    async def db_ready() -> bool:
        return await database_ready(rt.engine)

    async def migrations_ready() -> bool:
        return rt.migrated.is_set()

    async def broker_ready() -> bool:
        return await tcp_reachable(settings.kafka_bootstrap)

    app = create_app(
        settings, title=definition.title, description=definition.description,
        routers=[*definition.routers(rt), dead_letter_router(rt)],
        readiness={"database": db_ready, "migrations": migrations_ready},
        advisory={"broker": broker_ready},
        liveness=({"consumer": rt.consumer.alive} if rt.consumer is not None else {})
        | {f"{name} consumer": model.alive for name, model in rt.read_models.items()} if run_consumer else None,
        lifespan=lifespan,
    )
    app.state.runtime = rt
    return app


def main(definition: ServiceDefinition, argv: Sequence[str] | None = None) -> None:
    """`python -m o2c.<service> [serve|migrate|dead-letters ...]`."""
    parser = argparse.ArgumentParser(prog=f"o2c-{definition.name}", description=definition.title)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the HTTP API, the consumer and the outbox relay (default)")
    sub.add_parser("migrate", help="apply database migrations and exit")
    dl = sub.add_parser("dead-letters", help="list, replay or discard dead letters")
    dl.add_argument("action", choices=["list", "replay", "discard"])
    dl.add_argument("id", nargs="?", type=int)
    dl.add_argument("--status", default="open")
    dl.add_argument("--reason", default="")
    dl.add_argument("--actor", default="cli")
    args = parser.parse_args(argv)
    settings = load_settings(definition.settings_class, definition.name, definition.http_port)
    setup_logging(definition.name, settings.log_level)
    refuse_without_secrets(settings, f"o2c-{definition.name}")
    setup_tracing(definition.name, settings.otel_exporter, settings.otel_file, settings.otel_endpoint)
    if args.command == "migrate":
        upgrade_to_head(settings.database_url, definition.versions_dir, definition.metadata)
        return
    if args.command == "dead-letters":
        asyncio.run(_dead_letters_cli(definition, settings, args))
        return
    import uvicorn

    runtime = build_runtime(definition, settings)
    serve_metrics(settings.http_host, settings.metrics_listen_port)
    uvicorn.run(build_app(definition, runtime), host=settings.http_host, port=settings.http_port,
                log_config=None, access_log=False,
                # Longer than our clients' keep-alive: the client drops an idle connection first.
                timeout_keep_alive=SERVER_KEEPALIVE_SECONDS)


async def _dead_letters_cli(definition: ServiceDefinition, settings: ServiceSettings, args: Any) -> None:
    runtime = build_runtime(definition, settings)
    app = build_app(definition, runtime, run_consumer=False, run_relay=False)
    del app
    try:
        if args.action == "list":
            async with runtime.sessions() as session:
                print(json.dumps(await list_dead_letters(session, args.status or None), indent=2))
            return
        if runtime.consumer is None or args.id is None:
            raise SystemExit("replay/discard need a dead-letter id and a service that consumes")
        if args.action == "replay":
            outcomes = await replay_dead_letter(runtime.consumer, args.id, args.actor)
        else:
            outcomes = await discard_dead_letter(runtime.consumer, args.id, args.actor, args.reason or "no reason")
        print(json.dumps([o.__dict__ for o in outcomes], indent=2))
    finally:
        await runtime.engine.dispose()
