"""A consumer skips the records it does not handle by their type header, before parsing them, and a partition's
batch with nothing of its own costs no transaction, only its offset (issue 15: every service reads whole topics)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiokafka.structs import ConsumerRecord, TopicPartition
from o2c.contracts.envelope import Envelope
from o2c.contracts.v1.sales import CancellationReason, OrderCancelled
from o2c.kit.messaging.consumer import MessageConsumer


def _record(offset: int, value: bytes, headers: list[tuple[str, bytes]]) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord("o2c.sales.events.v1", 0, offset, 0, 0, b"ORD-1", value, None, 0, len(value), headers)


def _consumer(handled: str) -> MessageConsumer:
    async def handle(message: Any, ctx: Any) -> None:
        raise AssertionError("not called here")

    def no_sessions() -> Any:
        raise AssertionError("a batch with nothing of ours opened a transaction")

    return MessageConsumer(service="sales", sessions=no_sessions, bootstrap="unused:9092", group="g",  # type: ignore[arg-type]
                           topics=["o2c.sales.events.v1"], handlers={handled: handle})


def _cancelled() -> Envelope:
    return Envelope.wrap(OrderCancelled(order_id="ORD-1", order_no="SO-1", customer_id="C1",
                                        reason=CancellationReason.OTHER, cancelled_at=datetime.now(UTC)),
                         producer="sales")


def test_a_foreign_type_is_skipped_by_its_header_without_parsing() -> None:
    envelope = _cancelled()
    consumer = _consumer("CreditApproved")
    foreign = consumer._decode(_record(0, b"{not json at all", envelope.headers()))
    assert foreign.foreign and foreign.envelope is None and not foreign.error
    ours = _consumer("OrderCancelled")._decode(_record(1, envelope.to_bytes(), envelope.headers()))
    assert not ours.foreign and isinstance(ours.message, OrderCancelled)
    headerless = consumer._decode(_record(2, b"not an envelope", []))
    assert not headerless.foreign and headerless.error.startswith("not an o2c envelope")  # still dead-lettered


async def test_a_batch_of_foreign_records_commits_only_its_offset() -> None:
    envelope = _cancelled()
    consumer = _consumer("CreditApproved")
    tp = TopicPartition("o2c.sales.events.v1", 0)
    records = [_record(n, envelope.to_bytes(), envelope.headers()) for n in (7, 8, 9)]
    paused = await consumer._handle_partition(None, tp, records)  # type: ignore[arg-type]
    assert paused is False and consumer._committed == {tp: 10}
