"""The stack's state (Kafka topics, the seven databases, Redis) and starting the services (services.sh up)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path

import httpx
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.ports import redis_url as local_redis_url

from driver.api import PORTS, sandbox_ports, service_ports
from driver.report import Report

SERVICES = list(PORTS)
UNIT_MODULES = {
    "irp-sandbox": "o2c.invoicing.adapters.irp_sandbox", "nic-sandbox": "o2c.ewaybill.adapters.sandbox_server",
    **{name: f"o2c.{name}" for name in SERVICES},
}


async def kafka_topics(bootstrap: str) -> list[str]:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000, **kafka_client_options())
    await admin.start()
    try:
        return sorted(await admin.list_topics())
    finally:
        await admin.close()


async def database_reachable(url: str) -> str:
    import asyncpg

    plain = url.replace("postgresql+asyncpg://", "postgresql://")
    try:
        conn = await asyncpg.connect(plain, timeout=5)
    except Exception as exc:
        return f"unreachable ({type(exc).__name__})"
    try:
        tables = await conn.fetchval("SELECT count(*) FROM information_schema.tables WHERE table_schema='public'")
        return f"ok ({tables} tables)"
    finally:
        await conn.close()


async def redis_ping(url: str) -> str:
    import redis.asyncio as redis

    client = redis.from_url(url, socket_timeout=3)
    try:
        return "PONG" if await client.ping() else "no answer"
    except Exception as exc:
        return f"unreachable ({type(exc).__name__})"
    finally:
        await client.aclose()


async def print_stack_state(report: Report) -> bool:
    report.section("the stack")
    healthy = True
    bootstrap = os.environ.get("O2C_KAFKA_BOOTSTRAP", "")
    if not bootstrap:
        report.line("O2C_KAFKA_BOOTSTRAP is not set: run `make up` first (it writes .stack/env)")
        return False
    try:
        topics = await asyncio.wait_for(kafka_topics(bootstrap), 20)
        from o2c.contracts.topics import TOPICS

        declared = [t for t in TOPICS if t in topics]
        report.line(f"Kafka {bootstrap}: {len(topics)} topics ({len(declared)}/{len(TOPICS)} of the o2c registry"
                    f"{'' if len(declared) == len(TOPICS) else ' — run make up to create the rest'})")
    except Exception as exc:
        healthy = False
        report.line(f"Kafka {bootstrap}: unreachable ({type(exc).__name__}: {exc})")
    results = await asyncio.gather(*(
        database_reachable(os.environ.get(f"O2C_{name.upper()}_DATABASE_URL", "")) for name in SERVICES))
    for name, result in zip(SERVICES, results, strict=True):
        healthy = healthy and result.startswith("ok")
        report.line(f"PostgreSQL o2c_{name:<10} {result}")
    redis_url = os.environ.get("O2C_REDIS_URL") or local_redis_url()
    pong = await redis_ping(redis_url)
    healthy = healthy and pong == "PONG"
    report.line(f"Redis {redis_url}: {pong}")
    return healthy


def _module_exists(module: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def _alive(pid_file: Path) -> bool:
    try:
        os.kill(int(pid_file.read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


async def _answers(client: httpx.AsyncClient, port: int, sandbox: bool) -> bool:
    # services.sh waits on /healthz for the sandboxes; they may only have /health or their OpenAPI document.
    paths = ("/healthz", "/health", "/openapi.json") if sandbox else ("/readyz",)
    for path in paths:
        try:
            if (await client.get(f"http://127.0.0.1:{port}{path}", timeout=2.0)).status_code == 200:
                return True
        except httpx.HTTPError:
            continue
    return False


async def start_services(report: Report, repo: Path, timeout: float = 120.0) -> None:
    """`bash deploy/local/services.sh up`, watched: it is done when every unit it started is ready or has exited.

    The script waits for each unit in turn (sandboxes on /healthz); the driver watches the same units itself
    and stops waiting for the script (only the script's own process, never the services) once each started
    unit answers or has died, so a probe path the script does not know costs no extra minute.
    """
    report.section("services (deploy/local/services.sh up)")
    run_dir = Path(os.environ.get("O2C_STACK_DIR", repo / ".stack")) / "services"
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        "bash", str(repo / "deploy/local/services.sh"), "up", cwd=str(repo),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    exists = {unit: _module_exists(module) for unit, module in UNIT_MODULES.items()}
    ports = {**sandbox_ports(), **service_ports()}
    output: list[str] = []

    async def read() -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            output.append(line)
            report.line(f"services.sh: {line.strip()}")

    reader = asyncio.create_task(read())
    async with httpx.AsyncClient() as client:
        while proc.returncode is None and time.monotonic() - started < timeout:
            states = {}
            for unit, present in exists.items():
                if not present:
                    continue
                if await _answers(client, ports[unit], unit.endswith("sandbox")):
                    states[unit] = "ready"
                elif (run_dir / f"{unit}.pid").exists() and not _alive(run_dir / f"{unit}.pid"):
                    states[unit] = "exited"  # no pid file yet: the script has not launched it (still starting)
                else:
                    states[unit] = "starting"
            if states and all(s != "starting" for s in states.values()):
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proc.wait(), 0.5)
    if proc.returncode is None:
        proc.terminate()  # the script only (it waits on units the driver has already seen ready or exited)
        await proc.wait()
    await asyncio.wait_for(reader, 5)
    report.line(f"services.sh up done in {time.monotonic() - started:.1f}s")
    async with httpx.AsyncClient() as client:
        for unit, port in ports.items():
            if not exists[unit]:
                report.line(f"{unit:<12} :{port}  not built yet (no module {UNIT_MODULES[unit]})")
                continue
            ready = await _answers(client, port, unit.endswith("sandbox"))
            log = run_dir / f"{unit}.log"
            if ready:
                report.line(f"{unit:<12} :{port}  up")
            else:
                tail = ""
                if log.exists():
                    lines = [x for x in log.read_text(errors="replace").splitlines() if x.strip()]
                    tail = lines[-1][:150] if lines else ""
                report.line(f"{unit:<12} :{port}  NOT up — see {log}  {tail}")
