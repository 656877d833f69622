"""The rebuild's pure part: which orders a message folds into, the order it folds in, doubles, the live cut
and a message the domain cannot fold. No broker, no database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from aiokafka import TopicPartition
from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.samples import sample
from o2c.contracts.v1 import credit, sales
from o2c.sales.tracking import domain
from o2c.sales.tracking.rebuild import (
    Position,
    Replayed,
    fold_order,
    fold_tolerant,
    group_by_order,
    live_cut,
    order_ids_of,
    quotation_rows,
    unique,
)
from o2c.testsupport.sales.tracking_scenario import at, story

NOW = at(3, 6, 30)
T0 = datetime(2026, 5, 2, 5, 0, tzinfo=UTC)


def record(message: Message, occurred: datetime, offset: int, *, topic: str | None = None, partition: int = 0,
           message_id: uuid.UUID | None = None) -> Replayed:
    env = Envelope.wrap(message, producer=message.TOPIC.split(".")[1], message_id=message_id)
    env = env.model_copy(update={"occurred_at": occurred})
    return Replayed(env, message, Position(topic or message.TOPIC, partition, offset))


def in_story_order(messages: list[Message], start: datetime = T0) -> list[Replayed]:
    """Each message published a second after the previous one (offsets per topic, as a broker gives them)."""
    offsets: dict[str, int] = {}
    out = []
    for i, m in enumerate(messages):
        offset = offsets.get(m.TOPIC, 0)
        offsets[m.TOPIC] = offset + 1
        out.append(record(m, start + timedelta(seconds=i), offset))
    return out


def live_projection(messages: list[Message]) -> dict[str, Any]:
    """What the live handlers build when the messages arrive in this order (the quotation after the order)."""
    return domain.project(messages[0].__dict__["order_id"], messages, NOW)


def payment(*order_ids: str) -> credit.PaymentReceived:
    base = sample(credit.PaymentReceived)
    allocation = base.allocations[0]
    return base.model_copy(update={"allocations": [
        allocation.model_copy(update={"order_id": o, "invoice_id": f"inv-{o}", "amount": Decimal("100")})
        for o in order_ids]})


def test_routing_order_messages_by_order_payments_by_allocations_quotations_by_link() -> None:
    a, b = story("ord-a"), story("ord-b", stop_after="CreditHeld")
    assert order_ids_of(a[0]) == ["ord-a"]
    assert order_ids_of(payment("ord-b", "ord-a", "ord-b")) == ["ord-a", "ord-b"]
    quotation = next(m for m in a if isinstance(m, sales.QuotationIssued))
    assert order_ids_of(quotation) == []
    orphan = quotation.model_copy(update={"quotation_id": "quo-nobody", "quotation_no": "QT/nobody"})

    records = in_story_order([*a, *b, payment("ord-a", "ord-b"), orphan])
    grouped = group_by_order(reversed(records))  # arrival order does not matter
    assert set(grouped) == {"ord-a", "ord-b"}
    assert [r.message.TYPE for r in grouped["ord-a"]] == [m.TYPE for m in a] + ["PaymentReceived"]
    assert [r.message.TYPE for r in grouped["ord-b"]] == [m.TYPE for m in b] + ["PaymentReceived"]
    # ord-b's quotation is its own (quo-ord-b), not ord-a's; the orphan quotation goes to no order.
    assert all(r.message.quotation_id == "quo-ord-b" for r in grouped["ord-b"]
               if isinstance(r.message, sales.QuotationIssued))
    assert not any(r.message is orphan for rs in grouped.values() for r in rs)
    # ...but it is stored like every issued quotation.
    assert {q["quotation_id"] for q in quotation_rows(records)} == {"quo-ord-a", "quo-ord-b", "quo-nobody"}


def test_sorted_by_occurred_at_then_topic_partition_offset() -> None:
    confirmed, _, reserved, held = story("ord-s", stop_after="CreditHeld")
    same = T0 + timedelta(minutes=1)
    records = [
        record(held, same, 7, partition=2),          # o2c.credit.events.v1
        record(reserved, same, 9, partition=1),      # o2c.inventory.events.v1
        record(confirmed, T0, 40, partition=0),
        record(held, same, 3, partition=2, topic="o2c.credit.events.v1", message_id=uuid.uuid4()),
    ]
    grouped = group_by_order(records)["ord-s"]
    assert [(r.message.TYPE, r.position.offset) for r in grouped] == [
        ("OrderConfirmed", 40), ("CreditHeld", 3), ("CreditHeld", 7), ("StockReserved", 9)]


def test_fold_equals_the_live_projection_with_the_quotation_after_the_order() -> None:
    messages = story("ord-f")
    records = in_story_order(messages)
    (order_records,) = group_by_order(records).values()
    view, folds = fold_order("ord-f", order_records)
    assert domain.derive(view, NOW) == live_projection(messages)
    assert folds == len(messages)  # one live fold (one version) per message
    assert view["quotation"] == {"quotation_id": "quo-ord-f", "quotation_no": "QT/ord-f"}


def test_a_quotation_issued_before_the_order_is_linked_once_at_the_confirmation() -> None:
    confirmed, quotation, *rest = story("ord-q")
    records = [record(quotation, T0 - timedelta(hours=1), 0), *in_story_order([confirmed, *rest])]
    (order_records,) = group_by_order(records).values()
    assert order_records[0].message is quotation
    view, folds = fold_order("ord-q", order_records)
    # Live: the quotation row is stored first, the confirmation applies it in the same fold.
    expected = domain.new_view("ord-q")
    domain.apply(expected, confirmed)
    domain.apply_quotation(expected, quotation)
    for m in rest:
        domain.apply(expected, m)
    assert domain.derive(view, NOW) == domain.derive(expected, NOW)
    assert folds == 1 + len(rest)
    assert [s["kind"] for s in view["steps"]].count("quotation_issued") == 1


def test_a_message_published_twice_folds_once_the_earliest_kept() -> None:
    messages = story("ord-d", stop_after="CreditSanctioned")
    records = in_story_order(messages)
    again = Replayed(records[3].envelope, records[3].message,
                     Position(records[3].position.topic, 0, records[3].position.offset + 50))
    kept, doubles = unique([again, *records])
    assert doubles == 1 and again not in kept and records[3] in kept
    (order_records,) = group_by_order(kept).values()
    view, _ = fold_order("ord-d", order_records)
    assert domain.derive(view, NOW) == live_projection(messages)


def test_live_cut_keeps_what_the_live_consumer_folded_and_leaves_it_the_rest() -> None:
    m = story("ord-c", stop_after="CreditHeld")
    topic = "o2c.sales.events.v1"
    tp = TopicPartition(topic, 0)
    folded_before_commit = record(m[0], T0, 0, topic=topic)     # before the committed offset
    folded_in_inbox = record(m[1], T0, 5, topic=topic)          # past it, but its id is in the inbox
    waiting = record(m[2], T0, 6, topic=topic)                  # past it, not in the inbox: a batch waiting
    dead = record(m[3], T0, 1, topic=topic)                     # dead-lettered, not replayed
    beyond = record(m[0], T0, 9, topic=topic, message_id=uuid.uuid4())  # published after the end offsets
    kept, left = live_cut(
        [folded_before_commit, folded_in_inbox, waiting, dead, beyond],
        ends={tp: 9}, committed={tp: 5}, handled={folded_in_inbox.envelope.message_id},
        held={dead.position},
    )
    assert kept == [folded_before_commit, folded_in_inbox]
    assert left == 3
    # A group that never committed (a new consumer starting from the beginning): only the inbox counts.
    kept, left = live_cut([folded_before_commit, folded_in_inbox], ends={tp: 9}, committed={},
                          handled={folded_in_inbox.envelope.message_id}, held=set())
    assert kept == [folded_in_inbox] and left == 1


def test_a_message_the_domain_cannot_fold_is_left_out_and_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    messages = story("ord-x", stop_after="CreditSanctioned")
    records = in_story_order(messages)
    real_apply = domain.apply

    def apply(view: domain.View, m: Message) -> domain.View:
        if isinstance(m, credit.CreditHeld):
            raise KeyError("boom")
        return real_apply(view, m)

    monkeypatch.setattr(domain, "apply", apply)
    (order_records,) = group_by_order(records).values()
    with pytest.raises(KeyError):
        fold_order("ord-x", order_records)
    view, folds, failed = fold_tolerant("ord-x", order_records)
    assert failed == 1 and folds == len(messages) - 1
    assert "credit_held" not in [s["kind"] for s in view["steps"]]
    assert [s["kind"] for s in view["steps"]].count("credit_sanctioned") == 1
