"""The consumer's own verdict on its health (what /healthz and o2c_consumer_stalled report), without a stack."""

from __future__ import annotations

import time
from typing import Any

from o2c.kit.messaging.consumer import MessageConsumer


def consumer(stall_seconds: float = 60.0) -> MessageConsumer:
    sessions: Any = None  # never used: nothing here touches a database
    return MessageConsumer(service="unit", sessions=sessions, bootstrap="127.0.0.1:1", group="g", topics=["t"],
                           handlers={}, instance_id="unit-1", stall_seconds=stall_seconds)


def test_a_failure_is_remembered_and_fails_liveness_only_after_the_threshold() -> None:
    c = consumer(stall_seconds=30)
    assert c.alive()
    c._trouble(RuntimeError("boom"))
    snap = c.snapshot()
    assert snap["alive"] is True and snap["last_error"] == "RuntimeError: boom" and snap["last_error_at"]
    c._trouble_since = time.monotonic() - 31  # failing ever since, 31 s ago
    assert not c.alive() and c.snapshot()["failing_for_seconds"] >= 31
    c._trouble_since = None  # a round committed
    assert c.alive() and c.snapshot()["last_error"] == "RuntimeError: boom", "the last error stays visible"


def test_a_round_that_never_ends_fails_liveness() -> None:
    c = consumer(stall_seconds=10)
    c._round_started = time.monotonic() - 11
    assert not c.alive()


def test_a_fenced_consumer_is_not_alive_and_says_why() -> None:
    c = consumer()
    c._fence()
    snap = c.snapshot()
    assert snap["alive"] is False and snap["fenced"] is True and "unit-1" in str(snap["last_error"])
