"""services.sh of one copy reports only its own processes, on its own (offset) ports."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "services.sh"


@pytest.fixture
def copy_300(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    (tmp_path / "services").mkdir()
    (tmp_path / "env").write_text(f"O2C_STACK_DIR={tmp_path}\nO2C_PORT_OFFSET=300\n")
    env = {k: v for k, v in os.environ.items() if k != "O2C_PORT_OFFSET"} | {"O2C_STACK_DIR": str(tmp_path)}
    yield tmp_path, env


def status(env: dict[str, str]) -> dict[str, str]:
    done = subprocess.run(["bash", str(SCRIPT), "status"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}


def test_status_reports_its_own_processes_on_the_offset_ports(copy_300: tuple[Path, dict[str, str]]) -> None:
    stack, env = copy_300
    # A process of this copy (its command line runs the unit's module) and a pid that is not one of ours (another
    # copy's, or a pid reused by an unrelated program).
    ours = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "-m", "o2c.sales"])
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        (stack / "services" / "sales.pid").write_text(str(ours.pid))
        (stack / "services" / "credit.pid").write_text(str(stranger.pid))
        lines = status(env)
        assert f"pid {ours.pid}" in lines["sales"] and "port 8401" in lines["sales"], lines["sales"]
        assert lines["credit"].split()[1] == "down", lines["credit"]
        assert lines["inventory"].split()[1] == "down"
    finally:
        for proc in (ours, stranger):
            proc.kill()
            proc.wait()
