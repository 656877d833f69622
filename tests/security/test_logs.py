"""Finding 9, logs: an engine error logged its SQL with the bound parameters (a customer's name, GSTIN and
address in the services' logs), and log files were world-readable. Now every engine hides bound parameters
and the stack's and services' log files are 0600."""

from __future__ import annotations

import fnmatch
import logging
import os
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from o2c.kit.db import make_engine
from o2c.kit.settings import LOCAL_STACK_DIR
from o2c.kit.testing import TestDatabases as Databases

pytestmark = [pytest.mark.integration]

CUSTOMER = "Sharma Electricals, Plot 7, MIDC Chakan, Pune 410501"


async def test_an_engine_error_log_carries_no_bound_parameters(
        scratch_databases: Databases, caplog: pytest.LogCaptureFixture) -> None:
    engine = make_engine(await scratch_databases.create("logs"))
    log = logging.getLogger("o2c.security.test")
    texts: list[str] = []
    try:
        with caplog.at_level(logging.ERROR):
            # A customer's name and address bound to failing statements: refused by the driver (a text for an
            # integer) and by the server (not a date). The errors name the SQL, never the value.
            for statement in ("SELECT CAST(:address AS integer)", "SELECT CAST(CAST(:address AS text) AS date)"):
                try:
                    async with engine.begin() as conn:
                        await conn.execute(sa.text(statement), {"address": CUSTOMER})
                except sa.exc.DBAPIError as exc:
                    log.exception("write failed: %s", exc)
                    texts.append(str(exc))
    finally:
        await engine.dispose()
    assert len(texts) == 2 and all("SELECT CAST" in t for t in texts), texts  # the SQL is there to debug with
    for text in [*texts, caplog.text]:
        assert "Sharma" not in text and "Chakan" not in text, text


def _log_files(root: Path) -> list[Path]:
    """The stack's and services' log files. Data folders are pruned before they are walked, not filtered after:
    Kafka deletes a topic's folder while a walk may be inside it (FileNotFoundError mid-walk, seen in a run)."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "data"]
        found += [Path(folder, f) for f in files
                  if any(fnmatch.fnmatch(f, n) for n in ("*.log", "*.log.*", "*.out"))]
    return [p for p in found if p.is_file()]


def test_the_stacks_and_services_log_files_are_private() -> None:
    root = Path(os.environ.get("O2C_STACK_DIR", LOCAL_STACK_DIR))
    files = _log_files(root)
    assert files, f"no log files under {root}: is the stack up?"
    modes = {p: p.stat().st_mode for p in files if p.exists()}  # a log rotated away meanwhile is not one
    readable = [f"{p} {stat.filemode(mode)}" for p, mode in modes.items() if mode & 0o077]
    assert readable == [], "log files readable by others:\n" + "\n".join(readable)
