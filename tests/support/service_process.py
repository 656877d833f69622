"""A service started as its own process (`python -m o2c.<service>`), as services.sh and the deployments start
it: for what only the process entrypoint does (the metrics port, refusing to start without a secret)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

from o2c.kit.messaging.kafka_security import CLIENT_ENV


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServiceProcess:
    def __init__(self, service: str, env: Mapping[str, str], log: Path) -> None:
        self.service, self.log = service, log
        up = service.upper()
        # Only this test's settings: none of the stack's O2C_* (another service's or the demo's database), but
        # the test user's Kafka credentials.
        base = {k: v for k, v in os.environ.items() if not k.startswith("O2C_") or k in CLIENT_ENV}
        self.env = {**base, "O2C_LOG_LEVEL": "INFO", **{f"O2C_{up}_{k}": v for k, v in env.items()}}
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("wb") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", f"o2c.{self.service}", env=self.env, stdout=out, stderr=out)

    async def exited(self, timeout: float) -> int | None:
        """The exit code, or None if still running after `timeout` seconds."""
        assert self.proc is not None
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            return None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            if await self.exited(15) is None:
                self.proc.kill()
                await self.proc.wait()
