"""A failing message never crash-loops the consumer, and the consumer's health cannot lie (issue 13).

Handlers that publish and then fail, poison messages side by side, a deadlock after an outbox write, and a
consumer forced into a crash-loop whose state must show it: restarts, the last error, the broker's lag and
the dead letters actually stored, and a failing /healthz.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import murmur2
from o2c.contracts.topics import events_topic
from o2c.contracts.v1.sales import CancellationReason, OrderCancelled
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.testing import bearer, wait_for
from o2c.testsupport.kit.probe_pair import ProbePair

pytestmark = pytest.mark.integration


def cancelled(order_id: str, note: str) -> OrderCancelled:
    return OrderCancelled(order_id=order_id, order_no=order_id, customer_id="C1",
                          reason=CancellationReason.CUSTOMER_REQUEST, note=note, cancelled_at=datetime.now(UTC))


async def emit(pair: ProbePair, orders: list[tuple[str, str]]) -> None:
    rt = pair.running["sales"].runtime
    async with rt.sessions() as session, session.begin():
        for order_id, note in orders:
            await rt.outbox.add(session, cancelled(order_id, note))


async def count(pair: ProbePair, sql: str) -> int:
    return int(await pair.scalar("credit", sql))


async def broker_lag(pair: ProbePair) -> int:
    """Records the credit group has not committed, asked of the broker (not of the consumer under test)."""
    topic = pair.prefix + events_topic("sales")
    admin = AIOKafkaAdminClient(bootstrap_servers=pair.bootstrap, **kafka_client_options())
    reader = AIOKafkaConsumer(bootstrap_servers=pair.bootstrap, group_id=None, **kafka_client_options())
    await admin.start()
    await reader.start()
    try:
        committed = await admin.list_consumer_group_offsets(f"{pair.prefix}credit")
        tps = [TopicPartition(topic, p) for p in range(3)]  # the fixture creates three
        ends = await reader.end_offsets(tps)
        return sum(end - (committed[tp].offset if tp in committed and committed[tp].offset >= 0 else 0)
                   for tp, end in ends.items())
    finally:
        await reader.stop()
        await admin.close()


async def credit_events(pair: ProbePair, of_type: str | None = None) -> int:
    """CreditRejected records the probe's credit side published (each handler that publishes sends one), or
    the records of one type (the CreditKeyParked notice of a parked key)."""
    reader = AIOKafkaConsumer(pair.prefix + events_topic("credit"), bootstrap_servers=pair.bootstrap,
                              group_id=None, auto_offset_reset="earliest", enable_auto_commit=False,
                              **kafka_client_options())
    await reader.start()
    try:
        seen = 0
        while batch := await reader.getmany(timeout_ms=1000):
            for records in batch.values():
                types = [dict(r.headers or ()).get("o2c-type", b"").decode() for r in records]
                seen += sum(1 for t in types if (t == of_type if of_type else not t.endswith("KeyParked")))
        return seen
    finally:
        await reader.stop()


def same_partition_keys(prefix: str, n: int, partitions: int = 3) -> list[str]:
    """n keys the default partitioner puts into one partition, so they meet in one poll."""
    by_partition: dict[int, list[str]] = {}
    for i in range(100):
        key = f"{prefix}-{i}"
        bucket = by_partition.setdefault((murmur2(key.encode()) & 0x7FFFFFFF) % partitions, [])
        bucket.append(key)
        if len(bucket) == n:
            return bucket
    raise AssertionError("no partition got enough keys")


async def settled(pair: ProbePair, effects: int, dead: int) -> bool:
    return (await count(pair, "SELECT count(*) FROM effect") == effects
            and await count(pair, "SELECT count(*) FROM dead_letter") == dead
            and await broker_lag(pair) == 0)


async def test_handler_that_published_then_fails_permanently_is_dead_lettered_without_restart(
    probe_pair: ProbePair,
) -> None:
    await probe_pair.start("sales")
    await emit(probe_pair, [("P-1", "publish-ok"), ("P-1", "publish-poison"), ("P-1", "after")])
    credit = await probe_pair.start("credit")
    await wait_for(lambda: settled(probe_pair, effects=1, dead=2), timeout=45,
                   what="one effect, the poison dead-lettered and its follower parked, the batch committed")
    dead = await probe_pair.rows("credit", "SELECT status, reason FROM dead_letter ORDER BY id")
    assert [d.status for d in dead] == ["open", "parked"]
    assert "cannot handle note 'publish-poison'" in dead[0].reason, "the real exception, not the listener's"
    consumer = credit.runtime.consumer
    assert consumer is not None
    assert consumer.restarts == 0 and consumer.dead_lettered == 2
    # Only the handled message's consequence is published: the poison's rolled back with its savepoint.
    assert await wait_for(lambda: credit_events(probe_pair), what="the published consequence") == 1
    # …and the parked key is told once, for the chain's order page (issue 17).
    assert await credit_events(probe_pair, "CreditKeyParked") == 1


async def test_two_poison_messages_of_different_keys_in_one_poll_are_both_dead_lettered(
    probe_pair: ProbePair,
) -> None:
    first, second, third = same_partition_keys("Q", 3)
    await probe_pair.start("sales")
    await emit(probe_pair, [(first, "poison-1"), (second, "fine"), (third, "poison-2")])
    credit = await probe_pair.start("credit")
    await wait_for(lambda: settled(probe_pair, effects=1, dead=2), timeout=45,
                   what="both poison messages dead-lettered and the batch committed")
    keys = await probe_pair.rows("credit", "SELECT key FROM dead_letter WHERE status = 'open' ORDER BY id")
    assert [k.key for k in keys] == [first, third]
    assert credit.runtime.consumer is not None and credit.runtime.consumer.restarts == 0


async def test_deadlock_after_an_outbox_write_is_retried_as_transient_without_restart(probe_pair: ProbePair) -> None:
    await probe_pair.start("sales")
    await emit(probe_pair, [("D-1", "deadlock-once"), ("D-2", "plain")])
    credit = await probe_pair.start("credit")
    await wait_for(lambda: settled(probe_pair, effects=2, dead=0), timeout=45,
                   what="both handled after the deadlock was retried")
    consumer = credit.runtime.consumer
    assert consumer is not None and consumer.restarts == 0
    assert await wait_for(lambda: credit_events(probe_pair), what="the published consequence") == 1


async def test_a_crash_looping_consumer_says_so_and_fails_liveness(probe_pair: ProbePair, issuer: object) -> None:
    await probe_pair.start("sales")
    await emit(probe_pair, [(f"H-{i}", "poison" if i == 0 else f"n{i}") for i in range(5)])
    # Every round dies after its handlers ran and before its transaction commits: nothing can ever commit.
    probe_pair.faults["credit"].arm("consumer.before_commit", times=10**6)
    credit = await probe_pair.start("credit", consumer_stall_seconds=2.0)
    consumer = credit.runtime.consumer
    assert consumer is not None
    sre = bearer(issuer, "sre")  # type: ignore[arg-type]

    async def state() -> dict[str, object]:
        async with credit.client as client:
            response = await client.get("/admin/messaging", headers=sre)
            assert response.status_code == 200, response.text
            return dict(response.json()["consumer"])

    async def liveness() -> int:
        async with credit.client as client:
            return (await client.get("/healthz")).status_code

    await wait_for(lambda: _restarted(consumer, 2), timeout=30, what="the consumer to restart twice")
    assert await wait_for(lambda: _is(liveness, 503), timeout=15, what="/healthz to fail after 2 s of crash-loop")
    async def all_five_uncommitted() -> bool:  # the relay may still be publishing the last of them
        return await broker_lag(probe_pair) == 5

    await wait_for(all_five_uncommitted, timeout=15, what="the broker's committed-offset lag to be 5")
    lag = 5
    snap = await wait_for(lambda: _snap_when(state, lambda s: s["lag_total"] == lag), timeout=15,
                          what="the reported lag to equal the broker's committed-offset lag")
    assert int(snap["restarts"]) >= 2  # type: ignore[call-overload]
    assert "consumer.before_commit" in str(snap["last_error"])
    assert snap["last_commit_at"] is None and snap["alive"] is False
    assert snap["dead_lettered"] == await count(probe_pair, "SELECT count(*) FROM dead_letter") == 0
    # What the metrics port exposes: this process's default registry.
    from prometheus_client import REGISTRY

    assert (REGISTRY.get_sample_value("o2c_consumer_restarts_total", {"service": "credit"}) or 0) >= 2
    assert REGISTRY.get_sample_value("o2c_consumer_stalled", {"service": "credit"}) == 1.0
    assert REGISTRY.get_sample_value("o2c_consumer_last_error_timestamp_seconds",
                                     {"service": "credit", "error_class": "SimulatedCrash"})

    probe_pair.faults["credit"].arm("consumer.before_commit", times=0)  # the cause is fixed
    assert await wait_for(lambda: _is(liveness, 200), timeout=30, what="/healthz to pass again")
    await wait_for(lambda: settled(probe_pair, effects=4, dead=1), timeout=30, what="the batch handled")
    snap = await wait_for(lambda: _snap_when(state, lambda s: s["lag_total"] == 0), timeout=15, what="lag 0")
    assert snap["dead_lettered"] == 1 and snap["last_commit_at"] is not None and snap["alive"] is True


async def _restarted(consumer: object, n: int) -> bool:
    return int(getattr(consumer, "restarts", 0)) >= n


async def _is(probe: object, status: int) -> bool:
    return bool(await probe() == status)  # type: ignore[operator]


async def _snap_when(state: object, cond: object) -> dict[str, object] | None:
    snap = await state()  # type: ignore[operator]
    return snap if cond(snap) else None  # type: ignore[operator]


async def test_consumer_lag_series_of_revoked_partitions_are_dropped(probe_pair: ProbePair) -> None:
    await probe_pair.start("sales")
    credit = await probe_pair.start("credit")
    consumer = credit.runtime.consumer
    assert consumer is not None
    topic = probe_pair.prefix + events_topic("sales")

    async def reported() -> set[str]:
        return {k for k in consumer.snapshot()["lag"] if k.startswith(topic + "/")}

    assert await wait_for(reported, what="lag reported for the assigned partitions") == {f"{topic}/{p}"
                                                                                          for p in range(3)}
    # A second member of the group takes some partitions: their series must go from the first.
    other = AIOKafkaConsumer(topic, bootstrap_servers=probe_pair.bootstrap, group_id=f"{probe_pair.prefix}credit",
                             enable_auto_commit=False, **kafka_client_options())
    await other.start()
    try:
        async def taken() -> set[TopicPartition]:
            await other.getmany(timeout_ms=200)
            return other.assignment()

        theirs = await wait_for(taken, timeout=30, what="the second member to get partitions")

        async def dropped() -> bool:
            now = await reported()
            return bool(now) and all(f"{tp.topic}/{tp.partition}" not in now for tp in theirs)

        await wait_for(dropped, timeout=30, what="the revoked partitions' lag dropped")
        from prometheus_client import REGISTRY

        for tp in theirs:
            assert REGISTRY.get_sample_value(
                "o2c_consumer_lag", {"service": "credit", "topic": tp.topic, "partition": str(tp.partition)}
            ) is None
    finally:
        await other.stop()


async def test_two_live_processes_with_one_instance_id_fence_one_loudly(
    probe_pair: ProbePair, caplog: pytest.LogCaptureFixture
) -> None:
    import contextlib

    from o2c.kit.service import build_app, build_runtime
    from o2c.testsupport.kit import probe

    await probe_pair.start("sales")
    first = await probe_pair.start("credit", instance_id="credit-a")
    assert first.runtime.consumer is not None
    await wait_for(lambda: _has_member(first.runtime.consumer), timeout=30, what="the first instance in the group")
    # A second process configured with the same instance id (a copy-paste deployment mistake).
    runtime = build_runtime(probe.definition("credit"), probe_pair.settings("credit", instance_id="credit-a"))
    app = build_app(probe.definition("credit"), runtime)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(app.router.lifespan_context(app))
        consumers = [first.runtime.consumer, runtime.consumer]

        async def one_fenced() -> bool:
            return sum(bool(c and c.fenced) for c in consumers) == 1

        await wait_for(one_fenced, timeout=40, what="one of the two fenced")
        fenced = next(c for c in consumers if c and c.fenced)
        survivor = next(c for c in consumers if c and not c.fenced)
        assert fenced.alive() is False and "Fenced" in str(fenced.snapshot()["last_error"])
        assert any("consumer fenced" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
        await emit(probe_pair, [("F-1", "after the fence")])
        await wait_for(lambda: settled(probe_pair, effects=1, dead=0), timeout=30, what="the survivor consuming")
        assert survivor.alive(), survivor.snapshot()

        async def fenced_stopped() -> bool:
            return not fenced.running.is_set()

        await wait_for(fenced_stopped, timeout=10, what="the fenced consumer to stop consuming")
        assert fenced.alive() is False


async def _has_member(consumer: object) -> bool:
    return getattr(consumer, "_member_id", None) is not None
