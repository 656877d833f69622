"""The seven services and both portal sandboxes as processes (`python -m o2c.<service>`, as services.sh and the
deployments start them), on fresh databases of the stack's PostgreSQL and one topic prefix of its Kafka, driven
over HTTP as named people. The end-to-end stories in tests/e2e use nothing of a service but its command line, its
settings (environment variables) and its public HTTP API; messages they read are decoded with libs/contracts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import httpx
from o2c.contracts.catalog import MESSAGES
from o2c.contracts.topics import TOPICS, topic_for
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.kafka_security import CLIENT_ENV
from o2c.kit.ports import EPHEMERAL_PORTS_FROM
from o2c.kit.testing import TestDatabases, create_topics, delete_prefixed_topics
from o2c.testsupport.moved_clock import CLOCK_FILE, ClockFile
from o2c.testsupport.waits import caught_up, until

SERVICES = ("sales", "credit", "inventory", "dispatch", "invoicing", "ewaybill", "notify")
SANDBOXES = {"irp-sandbox": ("o2c.invoicing.adapters.irp_sandbox", "O2C_IRP_SANDBOX_PORT"),
             "nic-sandbox": ("o2c.ewaybill.adapters.sandbox_server", "O2C_EWB_SANDBOX_PORT")}
PASSED_THROUGH = ("O2C_NOTIFY_WEBHOOK_SECRETS_KEY", *CLIENT_ENV)
"""The stack's secrets a service needs to start (notify seals webhook secrets; the test user's Kafka credentials:
the chain runs on the test prefix); no other O2C_* of the stack (another database's URL, its ports) reaches a
process of the chain."""


class FreePorts:
    """Ports for one chain's processes, all different and below Linux's ephemeral range: each is held open until
    the chain has all of its ports. An ephemeral port (bind to 0) can be handed out twice once closed, or become
    the source port of a connection the chain's first processes open before a later one binds it; either failed
    a CI run ("metrics port … unavailable (Address already in use)" from dispatch). 25000 and up is clear of
    every copy's own ports (`o2c.kit.ports`, offsets up to MAX_OFFSET)."""

    LOWEST = 25000

    def __init__(self) -> None:
        self._held: list[socket.socket] = []

    def take(self) -> int:
        for port in random.sample(range(self.LOWEST, EPHEMERAL_PORTS_FROM), 200):
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            self._held.append(s)
            return port
        raise RuntimeError(f"no free port between {self.LOWEST} and {EPHEMERAL_PORTS_FROM}")

    def release(self) -> None:
        for s in self._held:
            s.close()
        self._held.clear()


@dataclass
class Unit:
    """One process of the chain: its command, environment, port and log."""

    name: str
    module: str
    env: dict[str, str]
    port: int
    log: Path
    proc: asyncio.subprocess.Process | None = None
    args: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        with self.log.open("wb") as out:
            self.proc = await asyncio.create_subprocess_exec(sys.executable, "-m", self.module, *self.args,
                                                             env=self.env, stdout=out, stderr=out)

    async def ready(self, timeout: float) -> None:
        """Services: /readyz 200 (database, migrations, broker); a sandbox: any answer."""
        path = "/" if self.name.endswith("sandbox") else "/readyz"

        async def answering() -> bool:
            if self.proc is not None and self.proc.returncode is not None:
                raise AssertionError(f"{self.name} exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                async with httpx.AsyncClient(timeout=2) as client:
                    response = await client.get(self.url + path)
            except httpx.HTTPError:
                return False
            return path == "/" or response.status_code == 200

        try:
            await until(answering, timeout=timeout, interval=0.25, what=f"{self.name} ready on {self.url}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.tail()}") from None

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), 20)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


@dataclass
class ProcessChain:
    """HTTP to the chain's processes as named people: tokens from the test issuer, a call that asserts its status,
    and a wait for the chain to get somewhere."""

    issuer: LocalIssuer
    units: dict[str, Unit]
    prefix: str
    bootstrap: str
    servers: list[Any] = field(default_factory=list)
    clock: ClockFile | None = None
    """The moved clock of the services started with one (`running_chain(moved_clock=...)`)."""

    patience: ClassVar[float] = 60.0
    """Seconds `until` waits by default: one hop of the chain on a loaded two-core machine."""
    poll: ClassVar[float] = 0.25

    def url(self, service: str) -> str:
        return self.units[service].url

    def who(self, subject: str, *roles: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": "Bearer " + self.issuer.token(subject, list(roles), **claims)}

    def client(self, service: str, **headers: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url(service), headers=headers, timeout=30)

    async def call(self, service: str, method: str, path: str, who: dict[str, str], *,
                   expect: int | tuple[int, ...] = (200, 201), **kw: Any) -> Any:
        async with self.client(service, **who) as client:
            response = await client.request(method, path, **kw)
        wanted = (expect,) if isinstance(expect, int) else expect
        assert response.status_code in wanted, f"{service} {method} {path} → {response.status_code}: {response.text}"
        return response.json()

    async def until(self, what: str, probe: Callable[[], Awaitable[Any]], timeout: float | None = None) -> Any:
        return await until(probe, timeout=self.patience if timeout is None else timeout, interval=self.poll,
                           what=what)

    async def caught_up(self, service: str) -> None:
        """`service`'s use cases have handled, and committed, every record now on the topics it consumes (as the
        contracts declare their consumers): what it does about them by now is all it will do."""
        await caught_up(self.bootstrap, f"{self.prefix}{service}",
                        [self.prefix + topic for topic in consumed_topics(service)], timeout=self.patience)


def consumed_topics(service: str) -> list[str]:
    """The topics carrying a message whose contract names `service` among its consumers."""
    return sorted({topic_for(cls).name for cls in MESSAGES.values() if service in cls.CONSUMERS})


def _env(service: str, values: Mapping[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("O2C_") or k in PASSED_THROUGH}
    return {**base, "O2C_LOG_LEVEL": "WARNING", **{f"O2C_{service.upper()}_{k.upper()}": v for k, v in values.items()}}


@contextlib.asynccontextmanager
async def running_chain(databases: TestDatabases, bootstrap: str, redis_url: str, jwks_file: str, log_dir: Path,
                        issuer: LocalIssuer, *, run_prefix: str, settings: Mapping[str, Mapping[str, str]] = {},
                        patience: float | None = None, poll: float | None = None,
                        moved_clock: Collection[str] = ()) -> AsyncIterator[ProcessChain]:
    """The chain on its own topic prefix and databases; every process stopped and the topics deleted after.
    `settings[service]` adds that service's settings (`O2C_<SERVICE>_<NAME>`); the services in `moved_clock` run
    with a clock the test moves forward (`chain.clock.advance(...)`, see `o2c.testsupport.moved_clock`)."""
    prefix = f"{run_prefix}{uuid.uuid4().hex[:6]}."
    await create_topics(bootstrap, [prefix + name for name in TOPICS], partitions=3)
    units: dict[str, Unit] = {}
    free = FreePorts()
    for name, (module, port_var) in SANDBOXES.items():
        port = free.take()
        env = {k: v for k, v in os.environ.items() if not k.startswith("O2C_")} | {port_var: str(port)}
        units[name] = Unit(name, module, env, port, log_dir / f"{name}.log")
    ports = {service: free.take() for service in SERVICES}
    clock = ClockFile(log_dir / "moved-clock") if moved_clock else None
    wiring: dict[str, dict[str, str]] = {
        "sales": {"inventory_url": f"http://127.0.0.1:{ports['inventory']}"},
        "invoicing": {"irp_mode": "sandbox", "irp_base_url": units["irp-sandbox"].url},
        "ewaybill": {"ewb_sandbox_url": units["nic-sandbox"].url},
    }
    urls = await asyncio.gather(*(databases.create(service) for service in SERVICES))
    for service, database_url in zip(SERVICES, urls, strict=True):
        values = {"database_url": database_url, "kafka_bootstrap": bootstrap, "topic_prefix": prefix,
                  "consumer_group": f"{prefix}{service}", "jwks_file": jwks_file, "redis_url": redis_url,
                  "http_port": str(ports[service]), "metrics_port": str(free.take()),
                  "instance_id": f"{service}-{ports[service]}",
                  **wiring.get(service, {}), **settings.get(service, {})}
        env, log = _env(service, values), log_dir / f"{service}.log"
        if clock is not None and service in moved_clock:
            units[service] = Unit(service, "o2c.testsupport.moved_clock", {**env, CLOCK_FILE: str(clock.path)},
                                  ports[service], log, args=(f"o2c.{service}",))
        else:
            units[service] = Unit(service, f"o2c.{service}", env, ports[service], log)
    free.release()  # just before the processes bind them
    chain = ProcessChain(issuer, units, prefix, bootstrap, clock=clock)
    if patience is not None:
        chain.patience = patience
    if poll is not None:
        chain.poll = poll
    try:
        for unit in units.values():
            await unit.start()
        await asyncio.gather(*(unit.ready(timeout=180) for unit in units.values()))
        yield chain
    finally:
        await asyncio.gather(*(unit.stop() for unit in units.values()), return_exceptions=True)
        await delete_prefixed_topics(bootstrap, prefix)
