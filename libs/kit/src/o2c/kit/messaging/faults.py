"""Deterministic fault points: tests make the relay or consumer "crash" at an exact step."""

from __future__ import annotations

from collections.abc import Callable


class SimulatedCrash(RuntimeError):
    """Raised at a fault point: the process behaves as if it died right there."""


class ProcessKilled(BaseException):
    """Raised at a fault point armed with `kill=True`: nothing in the service catches it, so its task dies
    mid-transaction exactly as a killed process would (the open transaction rolls back, no offset is committed)."""


class FaultPoints:
    """Named hooks; production code calls `hit(name)` which is a no-op unless a test armed it."""

    def __init__(self) -> None:
        self._armed: dict[str, Callable[[], None]] = {}

    def arm(self, name: str, times: int = 1, *, kill: bool = False) -> None:
        remaining = [times]

        def crash() -> None:
            if remaining[0] > 0:
                remaining[0] -= 1
                if kill:
                    raise ProcessKilled(name)
                raise SimulatedCrash(name)

        self._armed[name] = crash

    def hit(self, name: str) -> None:
        action = self._armed.get(name)
        if action is not None:
            action()


NO_FAULTS = FaultPoints()
