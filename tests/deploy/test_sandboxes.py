"""The sandboxes listen where their settings say (`O2C_<SANDBOX>_HOST`/`_PORT`, 0.0.0.0 in a container) and
answer /healthz, which the Compose health checks and the Kubernetes probes call."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import httpx
import pytest
from o2c.kit.testing import wait_for

SANDBOXES = [("o2c.invoicing.adapters.irp_sandbox", "O2C_IRP_SANDBOX_"),
             ("o2c.ewaybill.adapters.sandbox_server", "O2C_EWB_SANDBOX_")]


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(("module", "prefix"), SANDBOXES, ids=["irp", "nic"])
async def test_a_sandbox_binds_the_configured_address_and_answers_healthz(module: str, prefix: str,
                                                                          tmp_path: Path) -> None:
    host = "127.0.0.2"  # not the default 127.0.0.1: only the setting can have put it there
    port = free_port(host)
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefix)} | {
        f"{prefix}HOST": host, f"{prefix}PORT": str(port)}
    log = tmp_path / "sandbox.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", module, env=env, stdout=out, stderr=out)
    try:
        async with httpx.AsyncClient(timeout=2) as client:

            async def healthy() -> bool:
                assert proc.returncode is None, log.read_text()[-2000:]
                try:
                    return (await client.get(f"http://{host}:{port}/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_for(healthy, timeout=60, interval=0.2, what=f"{module} /healthz on {host}:{port}")
            with pytest.raises(httpx.ConnectError):
                await client.get(f"http://127.0.0.1:{port}/healthz")
    finally:
        proc.terminate()
        await proc.wait()
