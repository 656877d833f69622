"""Nothing lost, nothing doubled: the outbox, relay, inbox and consumer against real Kafka and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from o2c.contracts.envelope import Envelope
from o2c.contracts.topics import deadletter_topic, events_topic
from o2c.contracts.v1.sales import CancellationReason, OrderCancelled
from o2c.kit.messaging.dead_letters import replay_dead_letter
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.testing import wait_for
from o2c.testsupport.kit import probe
from o2c.testsupport.kit.probe_pair import ProbePair
from o2c.testsupport.waits import caught_up, records_on

pytestmark = pytest.mark.integration


def cancelled(order_id: str, note: str = "") -> OrderCancelled:
    return OrderCancelled(order_id=order_id, order_no=order_id, customer_id="C1",
                          reason=CancellationReason.CUSTOMER_REQUEST, note=note, cancelled_at=datetime.now(UTC))


async def emit(pair: ProbePair, orders: list[tuple[str, str]]) -> None:
    """Commit state + outbox rows on the sales side (no relay needed for the commit itself)."""
    rt = pair.running["sales"].runtime
    async with rt.sessions() as session, session.begin():
        for order_id, note in orders:
            await rt.outbox.add(session, cancelled(order_id, note))


async def effects(pair: ProbePair) -> int:
    return int(await pair.scalar("credit", "SELECT count(*) FROM effect"))


async def topic_records(pair: ProbePair, topic: str) -> list[bytes]:
    consumer = AIOKafkaConsumer(pair.prefix + topic, bootstrap_servers=pair.bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None, **kafka_client_options())
    await consumer.start()
    try:
        out: list[bytes] = []
        while True:
            batch = await consumer.getmany(timeout_ms=1500)
            if not batch:
                return out
            for records in batch.values():
                out.extend(r.value or b"" for r in records)
    finally:
        await consumer.stop()


async def test_crash_after_commit_before_publish_is_delivered_after_restart_once(probe_pair: ProbePair) -> None:
    await probe_pair.start("sales", relay=False)  # the relay "crashed": rows committed, nothing published
    await probe_pair.running["sales"].runtime.migrated.wait()
    await emit(probe_pair, [(f"O-{i}", "") for i in range(5)])
    await probe_pair.start("credit")
    # The relay is down: the five rows wait in the outbox and nothing reached the broker for credit to act on.
    assert await probe_pair.scalar("sales", "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 5
    assert await records_on(probe_pair.bootstrap, [probe_pair.prefix + events_topic("sales")]) == 0
    assert await effects(probe_pair) == 0
    await probe_pair.stop("sales")
    await probe_pair.start("sales")  # restart: the relay finds the committed rows
    assert await wait_for(lambda: effects_equal(probe_pair, 5), what="5 effects")
    await all_handled(probe_pair)
    assert await effects(probe_pair) == 5


async def effects_equal(pair: ProbePair, n: int) -> bool:
    return await effects(pair) == n


async def all_handled(pair: ProbePair, *, outbox: bool = True) -> None:
    """Everything the sales side wrote is on the broker (its outbox drained) and credit has handled and committed
    every record on the topic: what credit did by now is all it will ever do with them."""
    if outbox:
        await wait_for(lambda: pair.scalar("sales", "SELECT count(*) = 0 FROM outbox WHERE published_at IS NULL"),
                       what="the sales outbox drained")
    await caught_up(pair.bootstrap, f"{pair.prefix}credit", [pair.prefix + events_topic("sales")])


async def test_crash_after_publish_before_marking_sent_publishes_twice_effect_once(probe_pair: ProbePair) -> None:
    probe_pair.faults["sales"].arm("relay.after_publish_before_mark")
    await probe_pair.start("sales")
    await probe_pair.start("credit")
    await probe_pair.running["sales"].runtime.migrated.wait()
    await emit(probe_pair, [("O-dup", "")])
    await wait_for(lambda: probe_pair.scalar("sales", "SELECT count(*) = 0 FROM outbox WHERE published_at IS NULL"),
                   what="outbox marked sent after the relay restarted")
    records = await topic_records(probe_pair, events_topic("sales"))
    assert len(records) == 2, "the crash between publish and mark must make the relay publish again"
    assert await wait_for(lambda: effects_equal(probe_pair, 1), what="one effect")
    await all_handled(probe_pair)
    assert await effects(probe_pair) == 1


async def test_same_message_twice_in_one_poll_has_one_effect(probe_pair: ProbePair) -> None:
    envelope = Envelope.wrap(cancelled("O-twice"), producer="sales")
    producer = AIOKafkaProducer(bootstrap_servers=probe_pair.bootstrap, **kafka_client_options())
    await producer.start()
    try:
        for _ in range(2):
            await producer.send(probe_pair.prefix + events_topic("sales"), envelope.to_bytes(), key=b"O-twice",
                                headers=envelope.headers())
        await producer.flush()
    finally:
        await producer.stop()
    credit = await probe_pair.start("credit")
    await wait_for(lambda: _handled_or_skipped(credit), what="the poll to be handled")
    assert await wait_for(lambda: effects_equal(probe_pair, 1), what="one effect")
    await all_handled(probe_pair, outbox=False)
    assert await effects(probe_pair) == 1
    assert int(await probe_pair.scalar("credit", "SELECT count(*) FROM inbox")) == 1
    # The consumer reports its lag per partition (the SRE's console and /admin/messaging): caught up here.
    topic = probe_pair.prefix + events_topic("sales")

    async def caught_up() -> bool:
        state = credit.runtime.consumer.snapshot()
        lags = {k: v for k, v in state["lag"].items() if k.startswith(topic + "/")}
        return bool(lags) and state["lag_total"] == 0 and set(lags.values()) == {0}

    await wait_for(caught_up, what="the lag of the consumed partitions reported, and zero")


async def _handled_or_skipped(side: object) -> bool:
    consumer = side.runtime.consumer  # type: ignore[attr-defined]
    return bool(consumer and consumer.handled >= 1)


async def test_poisoned_message_is_dead_lettered_and_the_rest_flow_then_replay_applies_once(
    probe_pair: ProbePair,
) -> None:
    await probe_pair.start("sales")
    await probe_pair.running["sales"].runtime.migrated.wait()
    # 100 orders, the 50th poisoned; then a later message for the poisoned order must wait behind it.
    batch = [(f"O-{i:03d}", "poison" if i == 50 else f"n{i}") for i in range(1, 101)]
    await emit(probe_pair, batch)
    await emit(probe_pair, [("O-050", "after-poison")])
    credit = await probe_pair.start("credit")
    assert await wait_for(lambda: effects_equal(probe_pair, 99), timeout=60, what="99 effects")
    dead = await probe_pair.rows("credit", "SELECT id, reason, status, key FROM dead_letter ORDER BY id")
    assert [(d.status, d.key) for d in dead] == [("open", "O-050"), ("parked", "O-050")]
    assert "cannot handle note 'poison'" in dead[0].reason
    dlq = await wait_for(lambda: topic_records(probe_pair, deadletter_topic("credit")), what="dead-letter topic")
    assert len(dlq) == 2
    # The partition kept moving: a message sent after the poison is handled.
    await emit(probe_pair, [("O-101", "later")])
    assert await wait_for(lambda: effects_equal(probe_pair, 100), what="the partition to keep moving")

    probe.POISON_ACTIVE["on"] = False  # the fix is deployed
    assert credit.runtime.consumer is not None
    outcomes = await replay_dead_letter(credit.runtime.consumer, dead[0].id, "sre-test")
    assert [o.status for o in outcomes] == ["replayed", "replayed"]
    notes = await probe_pair.rows("credit", "SELECT note FROM effect WHERE order_id = 'O-050' ORDER BY seq")
    assert [n.note for n in notes] == ["poison", "after-poison"], "the parked follower runs after its head"
    with pytest.raises(Exception, match="replayed"):
        await replay_dead_letter(credit.runtime.consumer, dead[0].id, "sre-test")
    assert await effects(probe_pair) == 102

    async def notices() -> list[tuple[str, str, int, str]] | None:
        """The parked key told on credit's events topic: parked by the poison, released by its replay."""
        envelopes = [Envelope.from_bytes(v) for v in await topic_records(probe_pair, events_topic("credit"))]
        found = [(e.type, str(e.payload["key"]), int(e.payload["dead_letter_id"]),
                  str(e.payload.get("resolution") or e.payload.get("message_type"))) for e in envelopes
                 if e.type in ("CreditKeyParked", "CreditKeyReleased")]
        return found if len(found) >= 2 else None

    assert await wait_for(notices, what="CreditKeyParked and CreditKeyReleased") == [
        ("CreditKeyParked", "O-050", dead[0].id, "OrderCancelled"),
        ("CreditKeyReleased", "O-050", dead[0].id, "replayed")]


async def test_undecodable_record_goes_to_dead_letter_topic_and_consumer_keeps_going(probe_pair: ProbePair) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=probe_pair.bootstrap, **kafka_client_options())
    await producer.start()
    try:
        topic = probe_pair.prefix + events_topic("sales")
        await producer.send_and_wait(topic, b"{not json", key=b"O-bad")
        good = Envelope.wrap(cancelled("O-good"), producer="sales")
        await producer.send_and_wait(topic, good.to_bytes(), key=b"O-good", headers=good.headers())
        wrong = Envelope.wrap(cancelled("O-wrong"), producer="sales").model_copy(update={"payload": {"order_id": 1}})
        await producer.send_and_wait(topic, wrong.to_bytes(), key=b"O-wrong", headers=wrong.headers())
    finally:
        await producer.stop()
    await probe_pair.start("credit")
    assert await wait_for(lambda: effects_equal(probe_pair, 1), what="the good message's effect")
    await wait_for(
        lambda: probe_pair.rows("credit", "SELECT error_class, reason FROM dead_letter ORDER BY id"), what="2 DLs"
    )
    await all_handled(probe_pair, outbox=False)
    reasons = await probe_pair.rows("credit", "SELECT error_class, reason FROM dead_letter ORDER BY id")
    assert len(reasons) == 2
    text = " | ".join(r.reason for r in reasons)
    assert "not an o2c envelope" in text
    assert "order_id: Input should be a valid string" in text


async def test_order_per_key_is_kept_across_relay_and_consumer(probe_pair: ProbePair) -> None:
    await probe_pair.start("sales")
    await probe_pair.start("credit")
    await probe_pair.running["sales"].runtime.migrated.wait()
    for step in range(20):
        await emit(probe_pair, [(f"K-{k}", f"{step:03d}") for k in range(5)])
    assert await wait_for(lambda: effects_equal(probe_pair, 100), timeout=60, what="100 effects")
    for k in range(5):
        notes = await probe_pair.rows("credit", "SELECT note FROM effect WHERE order_id = :o ORDER BY seq", o=f"K-{k}")
        assert [n.note for n in notes] == [f"{s:03d}" for s in range(20)]


