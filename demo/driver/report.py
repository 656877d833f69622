"""What the demo prints: steps, waits, and honest "not available" lines (each said once, with a count)."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from driver.api import Refused, Unavailable, poll

T = TypeVar("T")


def now_text() -> str:
    return datetime.now(UTC).astimezone().strftime("%H:%M:%S")


@dataclass
class Outcome:
    ok: bool = True
    unavailable: Unavailable | None = None
    refused: Refused | None = None


@dataclass
class Report:
    started: float = field(default_factory=time.monotonic)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    missing: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    quiet_refusals: Counter[str] = field(default_factory=Counter)

    def section(self, title: str) -> None:
        print(f"\n== {title}  (+{time.monotonic() - self.started:.1f}s)", flush=True)

    def line(self, text: str, prefix: str = "") -> None:
        print(f"  {now_text()} {prefix + ' ' if prefix else ''}{text}", flush=True)

    def not_available(self, step: str, exc: Unavailable, prefix: str = "") -> None:
        key = (step, exc.service, exc.reason)
        self.missing[key] += 1
        if self.missing[key] == 1:
            self.line(f"step {step}: {exc.service} not available ({exc.reason})", prefix)

    @contextlib.contextmanager
    def step(self, step: str, prefix: str = "") -> Iterator[Outcome]:
        """Run a step: a missing service/route is reported (once) and the demo carries on; so is a refusal."""
        outcome = Outcome()
        try:
            yield outcome
        except Unavailable as exc:
            outcome.ok, outcome.unavailable = False, exc
            self.not_available(step, exc, prefix)
        except Refused as exc:
            outcome.ok, outcome.refused = False, exc
            text = f"step {step}: refused by {exc}"
            self.failures.append(f"{prefix} {text}".strip())
            self.line(text, prefix)

    async def wait(self, what: str, probe: Callable[[], Awaitable[T | None]], *, timeout: float,
                   prefix: str = "", interval: float = 0.3, quiet: bool = False) -> T | None:
        """Poll with a deadline; print what was waited for and how long it took (or that it never came)."""
        result, seconds, last_error = await poll(probe, timeout=timeout, interval=interval)
        if result:
            if not quiet:
                self.line(f"waited {seconds:.1f}s for {what}", prefix)
        else:
            text = f"gave up after {seconds:.0f}s waiting for {what}" + (f" (last: {last_error})" if last_error
                                                                         else "")
            self.failures.append(f"{prefix} {text}".strip())
            self.line(text, prefix)
        return result

    def summary(self) -> list[str]:
        lines = []
        for (step, service, reason), count in sorted(self.missing.items()):
            times = f" ×{count}" if count > 1 else ""
            lines.append(f"step {step}: {service} not available ({reason}){times}")
        return lines


def short(value: Any, width: int = 60) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"
