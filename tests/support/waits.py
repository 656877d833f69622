"""Waiting in tests: on a condition, or on the broker's record of what a consumer group has handled — never for
a fixed time. This is the one module of the test suites that sleeps, and only between polls of a condition with
a deadline (tests/test_architecture.py holds every other test file to that).

"Nothing more arrives" is proved by position, not by patience: once a consumer group has committed, on every
partition of its topics, an offset at or past where the partition ended when we asked, every record that was
there has been handled and its transaction committed (the kit commits a round's offsets after the round's
transactions); once the service's outbox holds nothing unpublished, everything those handlers caused is on the
broker. `settled(...)` waits for both, for one or several in-process services, until the topics stop growing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.testing import RunningService, wait_for

T = TypeVar("T")


async def until(probe: Callable[[], Awaitable[T]], *, timeout: float = 30.0, interval: float = 0.05,
                what: str = "condition") -> T:
    """Poll an async probe until it returns something truthy; fail naming `what` after the deadline (the kit's
    `wait_for`, which in-process harnesses use too)."""
    return await wait_for(probe, timeout=timeout, interval=interval, what=what)


def until_sync(probe: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.05,
               what: str = "condition") -> T:
    """`until` for synchronous tests and fixtures."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


async def paced(count: int, per_second: float) -> Any:
    """Yield 0..count-1 at a steady rate (a load generator's clock, not a wait for a result): each index when its
    slot comes, late slots at once."""
    started = time.perf_counter()
    for index in range(count):
        await asyncio.sleep(max(0.0, started + index / per_second - time.perf_counter()))
        yield index


async def elapse(seconds: float, why: str) -> None:
    """Let scenario time pass — an outage's length, say — where the scenario itself is "for N seconds". It proves
    nothing by waiting and is never used to wait for a result; `why` says what the time is for."""
    assert why
    await asyncio.sleep(seconds)


async def end_offsets(bootstrap: str, topics: Iterable[str]) -> dict[TopicPartition, int]:
    """Where every partition of `topics` ends now (the offset the next record will get); a topic that does not
    exist has no partitions (and so nothing to wait for)."""
    names = sorted(set(topics))
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **kafka_client_options())
    await consumer.start()
    try:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_client_options())
        await admin.start()
        try:
            described = await admin.describe_topics(names)
        finally:
            await admin.close()
        parts = [TopicPartition(t["topic"], p["partition"]) for t in described if not t.get("error_code")
                 for p in t["partitions"]]
        return dict(await consumer.end_offsets(parts))
    finally:
        await consumer.stop()


async def records_on(bootstrap: str, topics: Iterable[str]) -> int:
    """How many records `topics` hold (from offset 0: the tests' topics are never compacted or truncated)."""
    return sum((await end_offsets(bootstrap, topics)).values())


async def caught_up(bootstrap: str, group: str, topics: Sequence[str], *, timeout: float = 60.0) -> None:
    """Wait until consumer group `group` has committed, on every non-empty partition of `topics`, an offset at or
    past the partition's end as it stands now: every record already there has been handled and committed."""
    ends = {tp: end for tp, end in (await end_offsets(bootstrap, topics)).items() if end > 0}
    if not ends:
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **kafka_client_options())
    await admin.start()
    try:
        async def committed() -> bool:
            offsets = await admin.list_consumer_group_offsets(group, partitions=list(ends))
            return all(tp in offsets and offsets[tp].offset >= end for tp, end in ends.items())

        await until(committed, timeout=timeout, interval=0.1,
                    what=f"group {group} to commit past {sum(ends.values())} records of {sorted(set(topics))}")
    finally:
        await admin.close()


def consumers_of(service: RunningService) -> list[Any]:
    """The kit consumers of an in-process service: its use cases' group and one per read model."""
    runtime = service.runtime
    return [c for c in (runtime.consumer, *runtime.read_models.values()) if c is not None]


async def outbox_drained(service: RunningService, *, timeout: float = 60.0) -> None:
    """Wait until the service's outbox holds no unpublished message (all it caused is on the broker)."""
    async def drained() -> bool:
        async with service.runtime.sessions() as session:
            left = await session.scalar(sa.text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
        return left == 0

    await until(drained, timeout=timeout, interval=0.1, what=f"{service.runtime.settings.service}'s outbox to drain")


async def settled(*services: RunningService, timeout: float = 120.0) -> None:
    """Wait until the in-process `services` have nothing left to do: each consumer group committed past every
    record on its topics, each outbox drained, and the topics no longer growing between two such rounds. What a
    test reads after this is everything those services will ever do with what they were given so far."""
    bootstrap = services[0].runtime.settings.kafka_bootstrap
    consumers = [c for s in services for c in consumers_of(s)]
    topics = sorted({t for c in consumers for t in c.topics}
                    | {s.runtime.settings.topic_prefix + t for s in services for t in _produces(s)})
    deadline = time.monotonic() + timeout
    before = await end_offsets(bootstrap, topics)
    while True:
        remaining = max(1.0, deadline - time.monotonic())
        for consumer in consumers:
            await caught_up(bootstrap, consumer.group, consumer.topics, timeout=remaining)
        for service in services:
            await outbox_drained(service, timeout=remaining)
        after = await end_offsets(bootstrap, topics)
        if after == before:
            return
        assert time.monotonic() < deadline, f"still busy after {timeout}s: {sorted(set(topics))}"
        before = after


def _produces(service: RunningService) -> list[str]:
    from o2c.contracts.topics import TOPICS

    name = service.runtime.settings.service
    return [topic for topic, spec in TOPICS.items() if spec.producer == name]
