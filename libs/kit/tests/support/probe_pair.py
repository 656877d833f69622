"""The probe pair: the two probe services (sales and credit sides) on their own databases and topics, started
in-process, with their fault points and raw SQL for assertions."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI
from o2c.kit.db import make_engine
from o2c.kit.messaging.faults import FaultPoints
from o2c.kit.service import Runtime, build_app, build_runtime
from o2c.kit.settings import ServiceSettings
from o2c.testsupport.kit import probe


@dataclass
class RunningSide:
    app: FastAPI
    runtime: Runtime
    stack: contextlib.AsyncExitStack

    @property
    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://probe")


@dataclass
class ProbePair:
    prefix: str
    bootstrap: str
    jwks_file: str
    urls: dict[str, str]
    faults: dict[str, FaultPoints] = field(default_factory=lambda: {"sales": FaultPoints(), "credit": FaultPoints()})
    running: dict[str, RunningSide] = field(default_factory=dict)

    def settings(self, side: str, **overrides: Any) -> ServiceSettings:
        values: dict[str, Any] = dict(
            service=side, database_url=self.urls[side], kafka_bootstrap=self.bootstrap,
            topic_prefix=self.prefix, consumer_group=f"{self.prefix}{side}", jwks_file=self.jwks_file,
            relay_sweep_seconds=0.5, publish_timeout_seconds=5.0, handler_max_attempts=3,
        )
        values.update(overrides)
        return ServiceSettings(**values)

    async def start(self, side: str, *, consumer: bool = True, relay: bool = True, wait: bool = True,
                    **overrides: Any) -> RunningSide:
        definition = probe.definition(side)
        runtime = build_runtime(definition, self.settings(side, **overrides), faults=self.faults[side])
        app = build_app(definition, runtime, run_consumer=consumer, run_relay=relay)
        stack = contextlib.AsyncExitStack()
        await stack.enter_async_context(app.router.lifespan_context(app))
        side_obj = RunningSide(app, runtime, stack)
        self.running[side] = side_obj
        if wait:
            await asyncio.wait_for(runtime.migrated.wait(), timeout=60)
        return side_obj

    async def stop(self, side: str) -> None:
        running = self.running.pop(side, None)
        if running:
            await running.stack.aclose()

    async def scalar(self, side: str, sql: str, **params: Any) -> Any:
        engine = make_engine(self.urls[side], pool_size=1)
        try:
            async with engine.connect() as conn:
                return (await conn.execute(sa.text(sql), params)).scalar()
        finally:
            await engine.dispose()

    async def rows(self, side: str, sql: str, **params: Any) -> list[Any]:
        engine = make_engine(self.urls[side], pool_size=1)
        try:
            async with engine.connect() as conn:
                return list((await conn.execute(sa.text(sql), params)).all())
        finally:
            await engine.dispose()
