"""Deterministic fault points: tests make the relay or consumer "crash" at an exact step."""

from __future__ import annotations

from collections.abc import Callable


class SimulatedCrash(RuntimeError):
    """Raised at a fault point: the process behaves as if it died right there."""


class FaultPoints:
    """Named hooks; production code calls `hit(name)` which is a no-op unless a test armed it."""

    def __init__(self) -> None:
        self._armed: dict[str, Callable[[], None]] = {}

    def arm(self, name: str, times: int = 1) -> None:
        remaining = [times]

        def crash() -> None:
            if remaining[0] > 0:
                remaining[0] -= 1
                raise SimulatedCrash(name)

        self._armed[name] = crash

    def hit(self, name: str) -> None:
        action = self._armed.get(name)
        if action is not None:
            action()


NO_FAULTS = FaultPoints()
