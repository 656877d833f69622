"""The service clock: the real time, or — only in tests — a test clock that can be moved forward.

Rules with a window (the IRP's 24 hours to cancel an IRN, the portal's 24 hours to cancel an e-way bill) are
tested past their window without sleeping or editing rows: the harness builds a service's settings with
`test_clock=True` and moves `shared_test_clock(prefix)` forward; services read the time through `now(settings)`.
A service process started from the environment (`load_settings`, the path every deployment takes) refuses
the setting, so production never runs on a moved clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any


@dataclass
class TestClock:
    """The real time plus an offset that only grows (time never runs backwards for a service)."""

    __test__ = False  # not a pytest class
    offset: timedelta = timedelta(0)

    def advance(self, by: timedelta) -> datetime:
        if by < timedelta(0):
            raise ValueError("a test clock only moves forward")
        self.offset += by
        return self.now()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


_CLOCKS: dict[str, TestClock] = {}


def shared_test_clock(name: str) -> TestClock:
    """The test clock shared by the services of one test (named by their topic prefix)."""
    return _CLOCKS.setdefault(name, TestClock())


def now(settings: Any) -> datetime:
    """The time a service acts at: the test clock of its topic prefix when its settings enable it."""
    if getattr(settings, "test_clock", False):
        return shared_test_clock(str(getattr(settings, "topic_prefix", ""))).now()
    return datetime.now(UTC)
