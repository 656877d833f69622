"""A service process whose clock a test can move forward: `python -m o2c.testsupport.moved_clock o2c.<service>`
runs the service's own command line (`python -m o2c.<service>`) with `o2c.kit.clock.now` reading the real time
plus the offset written in the file named by `O2CTEST_CLOCK_FILE` (seconds; absent or empty: none).

For the end-to-end stories that cross a 24-hour window (cancelling an IRN or an e-way bill) with every service a
process: the kit refuses its in-process test clock in a process (`load_settings`), and a service deployed runs
`python -m o2c.<service>`, never this. Only the kit's service clock moves (what the windows are judged by); the
event loop, the broker's sessions and the database keep real time. The test side is `ClockFile`."""

from __future__ import annotations

import os
import runpy
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CLOCK_FILE = "O2CTEST_CLOCK_FILE"  # not O2C_…: no service setting reads it


@dataclass
class ClockFile:
    """The offset every moved-clock process of a chain reads; it only grows (time never runs backwards)."""

    path: Path
    offset: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        self.path.write_text("0")

    def advance(self, by: timedelta) -> None:
        if by < timedelta(0):
            raise ValueError("a test clock only moves forward")
        self.offset += by
        self.path.write_text(str(self.offset.total_seconds()))


def _offset(path: Path, seen: list[Any]) -> timedelta:
    """The file's offset, read again only when the file changed."""
    try:
        stamp = path.stat().st_mtime_ns
    except FileNotFoundError:
        return timedelta(0)
    if seen[0] != stamp:
        text = path.read_text().strip()
        seen[:] = [stamp, timedelta(seconds=float(text or 0))]
    offset: timedelta = seen[1]
    return offset


def main() -> None:
    from o2c.kit import clock

    module, path = sys.argv[1], Path(os.environ[CLOCK_FILE])
    seen: list[Any] = [None, timedelta(0)]

    def moved(settings: Any) -> datetime:
        return datetime.now(UTC) + _offset(path, seen)

    clock.now = moved  # every service reads its window clock as `o2c.kit.clock.now(settings)`
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
