"""The chain benchmark in miniature (issue 15): 5 orders × 3 lines through the seven services as processes, the
bare chain beside it. Fails only when an order is lost or doubled (or the run cannot finish), never on a figure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from o2c.kit.testing import stack_value

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

REPO = Path(__file__).resolve().parents[2]


def test_five_orders_of_three_lines_go_through_the_chain_none_lost_none_doubled(tmp_path: Path) -> None:
    stack_value("O2C_KAFKA_BOOTSTRAP")  # fails, never skips, without a stack
    out = tmp_path / "chain.json"
    run = subprocess.run(
        [sys.executable, str(REPO / "bench" / "chain.py"), "--orders", "5", "--lines", "3", "--customers", "2",
         "--bare-orders", "20", "--timeout", "150", "--out", str(out)],
        capture_output=True, text=True, env=os.environ, cwd=REPO, timeout=230)
    assert out.exists(), f"the bench wrote no result:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    result = json.loads(out.read_text())
    assert result["problems"] == [], result["problems"]
    assert result["completed"] == 5, run.stdout[-3000:]
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
