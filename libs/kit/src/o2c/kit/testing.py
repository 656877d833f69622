"""Pytest fixtures for tests against the real local stack (make up): databases, topics, tokens.

Integration tests never skip for a missing server: they fail and say to run `make up`, because a
skipped integration test proves nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import asyncpg
import pytest
from o2c.kit import ports
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.settings import LOCAL_STACK_DIR
from sqlalchemy.engine import make_url

T = TypeVar("T")


def load_stack_env(path: Path = LOCAL_STACK_DIR / "env") -> None:
    """Export the local stack's addresses (written by `make up`) unless the environment has them."""
    if not path.exists():
        return
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        os.environ.setdefault(key.strip(), value.strip())


def stack_value(name: str) -> str:
    load_stack_env()
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: start the local stack with `make up` (integration tests never skip)")
    return value


async def wait_for(
    probe: Callable[[], Awaitable[T]], *, timeout: float = 30.0, interval: float = 0.05, what: str = "condition"
) -> T:
    """Poll an async probe until it returns a truthy value, or fail with `what` after the deadline."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class TestDatabases:
    """Creates throwaway databases on the stack's PostgreSQL, dropped at the end of the session."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []

    async def create(self, label: str) -> str:
        name = f"t_{label}_{uuid.uuid4().hex[:8]}"
        conn = await asyncpg.connect(self.admin_url, timeout=10)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created.append(name)
        return make_url(self.admin_url).set(drivername="postgresql+asyncpg", database=name).render_as_string(
            hide_password=False
        )

    async def drop_all(self) -> None:
        conn = await asyncpg.connect(self.admin_url, timeout=10)
        try:
            for name in self.created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def create_topics(bootstrap: str, names: list[str], partitions: int = 3) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=20000, **kafka_client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(n, partitions, 1) for n in names if n not in existing]
        if missing:
            await admin.create_topics(missing)
    finally:
        await admin.close()


async def delete_topics(bootstrap: str, names: list[str]) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=20000, **kafka_client_options())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        doomed = [n for n in names if n in existing]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    return stack_value("O2C_KAFKA_BOOTSTRAP")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return stack_value("O2C_REDIS_URL")


@pytest.fixture(scope="session")
async def scratch_databases() -> AsyncIterator[TestDatabases]:
    dbs = TestDatabases(stack_value("O2C_PG_ADMIN_URL"))
    yield dbs
    await dbs.drop_all()


async def delete_prefixed_topics(bootstrap: str, prefix: str) -> None:
    """A test's topics go when it ends: thousands of idle topics slow the broker's restarts."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=20000, **kafka_client_options())
    await admin.start()
    try:
        mine = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def run_prefix() -> AsyncIterator[str]:
    """Namespaces this test run's topics so runs never collide with each other or the demo; deleted after."""
    prefix = f"t{uuid.uuid4().hex[:8]}."
    yield prefix
    bootstrap = os.environ.get("O2C_KAFKA_BOOTSTRAP")
    if bootstrap:
        await delete_prefixed_topics(bootstrap, prefix)


@pytest.fixture(scope="session")
def own_stack() -> Iterator[Any]:
    """A stack of this session's own (o2c.kit.own_stack: own directory, own port offset), for tests that stop,
    restart or kill servers: started at its first use, stopped at the end of the session. The checkout's stack
    and anything running on it are never touched."""
    from o2c.kit.own_stack import OwnStack

    stack = OwnStack.for_session()
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def issuer() -> LocalIssuer:
    return LocalIssuer.generate()


@pytest.fixture(scope="session")
def jwks_file(issuer: LocalIssuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import json

    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps(issuer.jwks()))
    yield str(path)


def bearer(issuer: LocalIssuer, *roles: str, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.token('test-' + (roles[0] if roles else 'none'), list(roles), **claims)}"}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With O2C_STRICT_SKIPS=1 (make test, CI) a skipped test fails the run: a skip proves nothing."""
    if os.environ.get("O2C_STRICT_SKIPS") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and session.exitstatus == 0:
        if reporter:
            reporter.write_line(f"{skipped} test(s) skipped: O2C_STRICT_SKIPS treats a skip as a failure", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


class RunningService:
    """One service started in-process (HTTP app + relay + consumer) against a test database and topic prefix."""

    def __init__(self, app: Any, runtime: Any, stack: Any, on_stop: Callable[[], None] | None = None) -> None:
        self.app, self.runtime, self._stack, self._on_stop = app, runtime, stack, on_stop

    def client(self, **headers: str) -> Any:
        import httpx

        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://test", headers=headers)

    async def stop(self) -> None:
        await self._stack.aclose()
        if self._on_stop is not None:
            self._on_stop()


class ServiceHarness:
    """Starts real services for integration and e2e tests: fresh database each, one topic prefix for the test.

    `await harness.start(definition)` runs migrations, relay and consumer; messages flow over the real broker
    on `<prefix>o2c.*` topics, which the harness creates from the contract registry.
    """

    def __init__(self, databases: TestDatabases, bootstrap: str, prefix: str, jwks_file: str) -> None:
        self.databases, self.bootstrap, self.prefix, self.jwks_file = databases, bootstrap, prefix, jwks_file
        self.running: dict[str, RunningService] = {}
        self.urls: dict[str, str] = {}
        self._live_instances: set[str] = set()

    async def create_all_topics(self) -> None:
        from o2c.contracts.topics import TOPICS

        await create_topics(self.bootstrap, [self.prefix + name for name in TOPICS], partitions=3)

    async def start(self, definition: Any, *, consumer: bool = True, relay: bool = True, **overrides: Any
                    ) -> RunningService:
        import contextlib

        from o2c.kit.service import build_app, build_runtime

        if definition.name not in self.urls:
            self.urls[definition.name] = await self.databases.create(definition.name)
        values: dict[str, Any] = dict(
            service=definition.name, database_url=self.urls[definition.name], kafka_bootstrap=self.bootstrap,
            topic_prefix=self.prefix, consumer_group=f"{self.prefix}{definition.name}", jwks_file=self.jwks_file,
            relay_sweep_seconds=0.5, publish_timeout_seconds=5.0, handler_max_attempts=3,
            redis_url=os.environ.get("O2C_REDIS_URL") or ports.redis_url(),
        )
        # Each live instance its own static group member id (a duplicate would be fenced); a restarted one
        # gets its old id back, as a restarted process does.
        n = 0
        while f"{definition.name}-{n}" in self._live_instances:
            n += 1
        values["instance_id"] = instance = f"{definition.name}-{n}"
        values.update(overrides)
        settings = definition.settings_class(**values)
        runtime = build_runtime(definition, settings)
        app = build_app(definition, runtime, run_consumer=consumer, run_relay=relay)
        stack = contextlib.AsyncExitStack()
        await stack.enter_async_context(app.router.lifespan_context(app))
        self._live_instances.add(instance)
        await asyncio.wait_for(runtime.migrated.wait(), timeout=60)
        for consuming in (runtime.consumer, *runtime.read_models.values()) if consumer else ():
            if consuming is not None:
                await asyncio.wait_for(consuming.running.wait(), timeout=60)
        service = RunningService(app, runtime, stack, on_stop=lambda: self._live_instances.discard(instance))
        self.running[definition.name] = service
        return service

    async def stop_all(self) -> None:
        for name in list(self.running):
            await self.running.pop(name).stop()


async def serve_app(app: Any) -> tuple[Any, asyncio.Task[None], str]:
    """An ASGI app on a free local port, lifespan off (the harness already ran it): for browsers, streams and
    services that call each other over HTTP. Stop it with `server.should_exit = True; await task`."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off",
                                           access_log=False))
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        if task.done():
            task.result()  # a server that failed to start says why
        return bool(server.started)

    await wait_for(started, timeout=20, what="local HTTP server listening")
    return server, task, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


@dataclasses.dataclass
class ChainDriver:
    """Drives running services through their HTTP APIs as named people (end-to-end and browser tests): tokens
    from the local issuer, a call that asserts its status, and a wait for the chain to get somewhere."""

    issuer: LocalIssuer
    services: dict[str, RunningService]

    patience: ClassVar[float] = 60.0
    """Seconds `until` waits by default: one hop of the chain on a loaded two-core machine."""
    poll: ClassVar[float] = 0.25

    def who(self, subject: str, *roles: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": "Bearer " + self.raw(subject, *roles, **claims)}

    def raw(self, subject: str, *roles: str, **claims: Any) -> str:
        return self.issuer.token(subject, list(roles), **claims)

    async def call(self, service: str, method: str, path: str, who: dict[str, str], *,
                   expect: int | tuple[int, ...] = (200, 201), **kw: Any) -> Any:
        async with self.services[service].client(**who) as client:
            response = await client.request(method, path, **kw)
        wanted = (expect,) if isinstance(expect, int) else expect
        assert response.status_code in wanted, f"{service} {method} {path} → {response.status_code}: {response.text}"
        return response.json()

    async def until(self, what: str, probe: Callable[[], Awaitable[Any]], timeout: float | None = None) -> Any:
        return await wait_for(probe, timeout=self.patience if timeout is None else timeout, interval=self.poll,
                              what=what)


@pytest.fixture
async def harness(
    scratch_databases: TestDatabases, kafka_bootstrap: str, run_prefix: str, jwks_file: str
) -> AsyncIterator[ServiceHarness]:
    """A per-test harness with every contract topic created under a fresh prefix."""
    prefix = f"{run_prefix}{uuid.uuid4().hex[:6]}."
    h = ServiceHarness(scratch_databases, kafka_bootstrap, prefix, jwks_file)
    await h.create_all_topics()
    yield h
    await h.stop_all()
    await delete_prefixed_topics(kafka_bootstrap, prefix)


async def serve_customer(service: RunningService, customer_id: str, *partner_ids: str,
                         sales_owner: str | None = None) -> None:
    """The service's customer-scope replica as sales' CustomerUpdated would leave it: these partners (added to
    those already held) serve the customer. For tests that feed a service without running sales."""
    import sqlalchemy as sa
    from o2c.kit.scope import SCOPE, record_customer_scope

    async with service.runtime.sessions() as session, session.begin():
        held = (await session.execute(sa.select(SCOPE.c.sales_owner, SCOPE.c.partner_ids, SCOPE.c.revision)
                                      .where(SCOPE.c.customer_id == customer_id).with_for_update())).first()
        partners = {*partner_ids, *(held.partner_ids if held else ())}
        await record_customer_scope(session, customer_id, sales_owner or (held.sales_owner if held else None),
                                    partners, (held.revision + 1) if held else 1)


class RecordingServer:
    """A small HTTP server on a free local port that records each POST (path, lower-cased headers, raw body) and
    answers 204, or what `answers[path]` says (status, headers): a partner's webhook receiver in tests.

    `with RecordingServer() as server: ... server.port, server.received`."""

    def __init__(self, answers: dict[str, tuple[int, dict[str, str]]] | None = None) -> None:
        import http.server
        import threading

        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.answers = answers or {}
        received, answers_ = self.received, self.answers

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status, headers = answers_.get(self.path, (204, {}))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def posted_to(self, path: str) -> list[tuple[dict[str, str], bytes]]:
        return [(headers, body) for p, headers, body in self.received if p == path]

    def __enter__(self) -> RecordingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
