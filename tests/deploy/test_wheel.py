"""The image's essential property, without a Docker engine: the wheel the Dockerfile builds carries the Alembic
environment and every service's migrations, and a service installed from that wheel and the hashed lock file
into a clean virtualenv outside the repository migrates its database and answers /readyz 200 on the local stack,
with the secrets `make up` generated (the service role's password in .stack/env)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import asyncpg
import httpx
import pytest
import yaml
from o2c.kit.messaging.kafka_security import CLIENT_ENV
from o2c.kit.testing import stack_value, wait_for
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("sales", "credit", "inventory", "dispatch", "invoicing", "ewaybill", "notify")
UV = Path(sys.executable).with_name("uv")

pytestmark = pytest.mark.integration


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_wheel(out: Path) -> Path:
    """As the Dockerfile's build stage: `pip wheel --no-deps` of the project, from a copy of its sources."""
    src = out / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "tests", ".mypy_cache", "build")
    for name in ("libs", "services"):
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py"):
        shutil.copy(REPO / name, src / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out / "dist"), str(src)],
                   check=True, cwd=out)
    (wheel,) = (out / "dist").glob("o2c-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(wheel, python of a fresh virtualenv holding exactly requirements.lock and the wheel)."""
    work = tmp_path_factory.mktemp("wheel")
    started = time.monotonic()
    wheel = build_wheel(work)
    venv = work / "venv"
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", str(venv)],
                   check=True)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    # Every locked file checked against its hash; then the wheel alone, no dependency resolution.
    subprocess.run([str(UV), "pip", "install", "-q", "--python", str(python), "--require-hashes",
                    "-r", str(REPO / "requirements.lock")], check=True, cwd=work, env=env)
    subprocess.run([str(UV), "pip", "install", "-q", "--python", str(python), "--no-deps", str(wheel)],
                   check=True, cwd=work, env=env)
    print(f"wheel built and installed in {time.monotonic() - started:.1f}s")
    return wheel, python


def test_wheel_carries_the_alembic_environment_and_every_services_migrations(installed: tuple[Path, Path]) -> None:
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"o2c/kit/alembic/env.py", "o2c/kit/alembic/script.py.mako"} <= names
    for service in SERVICES:
        revisions = {p.name for p in (REPO / "services" / service / "migrations" / "versions").glob("*.py")}
        assert revisions, service
        shipped = {n.rsplit("/", 1)[1] for n in names if n.startswith(f"o2c/{service}/migrations/versions/")
                   and n.endswith(".py")}
        assert shipped == revisions, f"{service}: the wheel's migrations differ from the repository's"


async def test_a_service_from_the_wheel_migrates_and_is_ready(installed: tuple[Path, Path], tmp_path: Path) -> None:
    _, python = installed
    service_url = make_url(stack_value("O2C_CREDIT_DATABASE_URL"))  # the credit role and its generated password
    admin_url = stack_value("O2C_PG_ADMIN_URL")
    database = f"t_wheel_{os.urandom(4).hex()}"
    admin = await asyncpg.connect(admin_url, timeout=10)
    await admin.execute(f'CREATE DATABASE "{database}" OWNER "{service_url.username}"')
    await admin.close()
    port, metrics = free_port(), free_port()
    prefix = f"t{os.urandom(4).hex()}."
    env = {k: v for k, v in os.environ.items() if not k.startswith(("O2C_", "PYTHON", "VIRTUAL_ENV"))}
    env |= {
        "O2C_DATABASE_URL": service_url.set(database=database).render_as_string(hide_password=False),
        "O2C_KAFKA_BOOTSTRAP": stack_value("O2C_KAFKA_BOOTSTRAP"),
        "O2C_REDIS_URL": stack_value("O2C_REDIS_URL"),
        "O2C_JWKS_FILE": str(Path(stack_value("O2C_STACK_DIR")) / "jwt" / "jwks.json")
        if os.environ.get("O2C_STACK_DIR") else str(REPO / ".stack" / "jwt" / "jwks.json"),
        "O2C_HTTP_PORT": str(port), "O2C_METRICS_PORT": str(metrics),
        "O2C_TOPIC_PREFIX": prefix, "O2C_CONSUMER_GROUP": f"{prefix}credit",
        **{name: os.environ[name] for name in CLIENT_ENV if name in os.environ},  # the test user's Kafka login
    }
    # cwd outside the repository and no PYTHONPATH: only the virtualenv's copy of o2c can be imported.
    where = subprocess.run([str(python), "-c", "import o2c.credit; print(o2c.credit.__file__)"], env=env,
                           cwd=tmp_path, check=True, capture_output=True, text=True).stdout
    assert where.startswith(str(python.parents[1])) and str(REPO) not in where, where
    log = tmp_path / "credit.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(str(python), "-m", "o2c.credit", env=env, cwd=tmp_path,
                                                    stdout=out, stderr=out)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=2) as client:

            async def ready() -> bool:
                if proc.returncode is not None:
                    raise AssertionError(f"credit exited {proc.returncode}:\n{log.read_text()[-3000:]}")
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_for(ready, timeout=60, interval=0.3, what="/readyz 200 from the wheel's credit service")
        # Compose's health check for a service, run as Compose runs it inside the container: exits 0 when ready.
        compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]["credit"]
        probe = compose["healthcheck"]["test"]
        assert probe[:2] == ["CMD", "python"]
        subprocess.run([str(python), *probe[2:]], env={**env, "O2C_HTTP_PORT": str(port)}, check=True, timeout=10)
        db = await asyncpg.connect(service_url.set(drivername="postgresql", database=database)
                                   .render_as_string(hide_password=False), timeout=10)
        try:
            heads = {r[0] for r in await db.fetch("SELECT version_num FROM alembic_version")}
            tables = {r[0] for r in await db.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        finally:
            await db.close()
        assert heads and {"outbox", "inbox"} <= tables, (heads, tables)
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        admin = await asyncpg.connect(admin_url, timeout=10)
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()
