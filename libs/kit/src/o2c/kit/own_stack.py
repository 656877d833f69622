"""A stack of the test session's own: Kafka, PostgreSQL and Redis in their own stack directory, on ports moved by
their own offset, so a test that stops, restarts or kills servers never touches the checkout's stack (nor a
developer's running services, nor another copy on the machine).

`OwnStack.start()` runs `deploy/local/stack.sh up` with `O2C_STACK_DIR` and `O2C_PORT_OFFSET` of its own (the
Kafka jars are shared with the checkout's stack, not downloaded again); `stop()` stops its servers (data kept,
so the next session starts in seconds). The pytest fixture `own_stack` (o2c.kit.testing) starts one per session.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from o2c.kit import ports
from o2c.kit.settings import LOCAL_STACK_DIR, REPO_ROOT

STACK_SCRIPT = REPO_ROOT / "deploy" / "local" / "stack.sh"
DEFAULT_OFFSETS = (600, 2000, 2300, 2600)
"""Offsets tried in turn (`O2C_OWN_STACK_OFFSET` picks one): the first whose every port is free. Pairwise and
against 0 and 300 (a developer's copies) they never put one copy's API, sandbox or metrics port on another's
(o2c.kit.ports.clear_of)."""


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def choose_offset(candidates: Iterable[int]) -> int:
    for offset in candidates:
        if all(port_free(p) for p in ports.copy_ports(offset)):
            return offset
    raise RuntimeError(f"no free offset among {list(candidates)}: set O2C_OWN_STACK_OFFSET")


@dataclass
class OwnStack:
    directory: Path
    offset: int
    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_session(cls, directory: Path | None = None) -> OwnStack:
        """This session's own stack: the first of `.stack-own`, `.stack-own-1`… that no other live session holds
        (a lock held for the life of the process), at a free offset (preferring the one it had last time)."""
        base = (directory or Path(os.environ.get("O2C_OWN_STACK_DIR") or REPO_ROOT / ".stack-own")).resolve()
        for n in range(8):
            candidate = base if n == 0 else base.with_name(f"{base.name}-{n}")
            if _hold_session_lock(candidate):
                return cls._at(candidate)
        raise RuntimeError(f"eight sessions already hold {base}…: set O2C_OWN_STACK_DIR")

    @classmethod
    def _at(cls, directory: Path) -> OwnStack:
        chosen = os.environ.get("O2C_OWN_STACK_OFFSET")
        if chosen:
            return cls(directory, int(chosen))
        last = directory / "env"
        previous = int(read_env(last).get("O2C_PORT_OFFSET", "0")) if last.exists() else 0
        if previous:
            # a session that ended without its teardown left its servers up: stop them, then prefer their ports
            cls(directory, previous).stop()
        preferred = (previous, *DEFAULT_OFFSETS) if previous in DEFAULT_OFFSETS else DEFAULT_OFFSETS
        return cls(directory, choose_offset(preferred))

    @property
    def env(self) -> dict[str, str]:
        """The environment of a process of this copy: the caller's, with this stack's addresses and offset over
        it (and none of the checkout's stack's port overrides)."""
        base = {k: v for k, v in os.environ.items()
                if not k.startswith("O2C_") or k in ("O2C_STRICT_SKIPS", "O2C_PYTHON")}
        return base | self.values | {"O2C_STACK_DIR": str(self.directory), "O2C_PORT_OFFSET": str(self.offset)}

    def script(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(["bash", str(STACK_SCRIPT), *args], env=self.env | {"O2C_KAFKA_HEAP": "384m"},
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"stack.sh {' '.join(args)} (own stack {self.directory}) failed:\n"
                               f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        return done.stdout

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._share_kafka_jars()
        self._share_kafka_passwords()
        self.script("up")
        self.values = read_env(self.directory / "env")

    def stop(self) -> None:
        self.script("down")

    def _share_kafka_jars(self) -> None:
        mine, theirs = self.directory / "kafka" / "libs", LOCAL_STACK_DIR / "kafka" / "libs"
        if not mine.exists() and (theirs / ".o2c-fetched").exists():
            mine.parent.mkdir(parents=True, exist_ok=True)
            mine.symlink_to(theirs, target_is_directory=True)

    def _share_kafka_passwords(self) -> None:
        """The checkout's Kafka passwords (secrets/kafka-<user>), so a test's clients, authenticating with the
        checkout's test user (O2C_KAFKA_SASL_* of its env file), are admitted by this copy's broker too;
        stack.sh re-keys the broker's SCRAM users when a password file changed."""
        theirs = Path(os.environ.get("O2C_STACK_DIR") or LOCAL_STACK_DIR) / "secrets"
        mine = self.directory / "secrets"
        for source in sorted(theirs.glob("kafka-*")) if theirs.resolve() != mine.resolve() else ():
            target = mine / source.name
            if not target.exists() or target.read_bytes() != source.read_bytes():
                mine.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as out:
                    out.write(source.read_bytes())

    def kafka_admin(self) -> dict[str, Any]:
        """Client options of this copy's Kafka admin (`kafka/admin.env`): for a fault test that injects records
        into, or reads, the real topics its services use, which the test user may not touch."""
        from o2c.kit.messaging.kafka_security import KafkaSecurity

        values = read_env(self.directory / "kafka" / "admin.env")
        return KafkaSecurity(security_protocol=values["O2C_KAFKA_SECURITY_PROTOCOL"],  # type: ignore[arg-type]
                             sasl_username=values["O2C_KAFKA_SASL_USERNAME"],
                             sasl_password=values["O2C_KAFKA_SASL_PASSWORD"]).client_options()  # type: ignore[arg-type]

    def value(self, name: str) -> str:
        return self.values[name]

    @property
    def bootstrap(self) -> str:
        return self.values["O2C_KAFKA_BOOTSTRAP"]

    @property
    def admin_url(self) -> str:
        return self.values["O2C_PG_ADMIN_URL"]

    @property
    def redis_url(self) -> str:
        return self.values["O2C_REDIS_URL"]

    def port(self, unit: str) -> int:
        """This copy's port of a service, sandbox or stack server."""
        base = {**ports.SERVICE_PORTS, **ports.SANDBOX_PORTS, **ports.STACK_PORTS}[unit]
        return base + self.offset


_SESSION_LOCKS: list[object] = []


def _hold_session_lock(directory: Path) -> bool:
    """Take `directory/.session.lock` for the rest of this process, or say another live session has it."""
    import fcntl

    directory.mkdir(parents=True, exist_ok=True)
    handle = (directory / ".session.lock").open("a")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _SESSION_LOCKS.append(handle)  # released when the process ends, however it ends
    return True


def read_env(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and not key.startswith("#"):
            values[key.strip()] = value.strip()
    return values


SERVICES_SCRIPT = REPO_ROOT / "deploy" / "local" / "services.sh"


@dataclass
class ServiceProcesses:
    """The services and sandboxes of an own stack as real processes (`deploy/local/services.sh` with the stack's
    directory and offset): started, killed with SIGKILL and restarted one at a time, as an operator's
    supervisor would. Only pids from this stack's pid files are ever signalled."""

    stack: OwnStack

    @property
    def run_dir(self) -> Path:
        return self.stack.directory / "services"

    def script(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(["bash", str(SERVICES_SCRIPT), *args], env=self.stack.env, capture_output=True,
                              text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"services.sh {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return done.stdout

    def up(self) -> str:
        """Start every unit that is not running and wait until each answers (services: /readyz 200)."""
        return self.script("up")

    def down(self) -> None:
        self.script("down")

    def pid(self, unit: str) -> int | None:
        try:
            pid = int((self.run_dir / f"{unit}.pid").read_text().strip())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        return pid

    def kill9(self, unit: str) -> int:
        """SIGKILL the unit's process (no shutdown hook runs) and wait until it is gone; returns its pid."""
        import signal
        import time

        pid = self.pid(unit)
        if pid is None:
            raise RuntimeError(f"{unit} is not running in {self.run_dir}")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                return pid
            # a child of ours (services.sh detached it with nohup, so normally not) is reaped here
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.02)
        raise RuntimeError(f"{unit} (pid {pid}) survived SIGKILL")

    def log(self, unit: str) -> str:
        path = self.run_dir / f"{unit}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def url(self, unit: str) -> str:
        return f"http://127.0.0.1:{self.stack.port(unit)}"
