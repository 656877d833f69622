"""The broker clients' retry loops cannot flood the log: a few lines of one kind per window, then a count."""

from __future__ import annotations

import logging

from o2c.kit.telemetry import RateLimit


def record(name: str, msg: str) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, None, None)


def test_a_retry_loop_writes_a_few_lines_per_window_then_says_how_many_were_held_back() -> None:
    limit = RateLimit(burst=3, window=30.0)
    passed = [limit.filter(record("aiokafka", "Unable connect to node %s")) for _ in range(500)]
    assert passed.count(True) == 3
    other_kind = record("aiokafka.consumer.fetcher", "Failed fetch offsets from %s")
    assert limit.filter(other_kind), "another kind of line has its own allowance"
    ours = record("o2c.sales.api", "Unable connect to node %s")
    assert all(limit.filter(ours) for _ in range(50)), "only the broker clients' loggers are limited"

    limit.window = 0.0  # the window has passed
    first = record("aiokafka", "Unable connect to node %s")
    assert limit.filter(first)
    assert "497 like this held back" in str(first.msg)
