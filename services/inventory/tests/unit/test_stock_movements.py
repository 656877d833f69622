from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import pytest
from o2c.inventory.domain import (
    IST,
    Batch,
    Bin,
    BinKind,
    ConflictingState,
    InvalidValue,
    ItemStock,
    Location,
    MovementType,
    ReservationKey,
)

NOW = datetime(2026, 6, 30, 10, 0, tzinfo=IST)
TODAY = date(2026, 6, 30)
DOCK = Bin("DOCK-01", BinKind.RECEIVING)


def test_received_but_not_put_away_is_not_promised() -> None:
    stock = ItemStock("PNQ", "SOAP")
    stock.receive(Decimal(40), DOCK, NOW, reference="GRN-7")

    assert stock.expected == 40 and stock.confirmed == 0
    assert stock.available_to_promise(TODAY) == 0

    stock.put_away(Decimal(40), DOCK.code, Bin("A-01-01"), NOW)

    assert stock.expected == 0 and stock.confirmed == 40
    assert stock.available_to_promise(TODAY) == 40


def test_confirmed_stock_outside_storage_bins_is_not_promised() -> None:
    stock = ItemStock("PNQ", "SOAP")
    stock.count(Decimal(12), Bin("Q-01", BinKind.QUARANTINE), NOW)
    assert stock.confirmed == 12
    assert stock.available_to_promise(TODAY) == 0


def test_every_movement_type_declares_what_it_does() -> None:
    assert MovementType.RECEIPT.effect.target_expected == 1 and MovementType.RECEIPT.effect.target_confirmed == 0
    put = MovementType.PUTAWAY.effect
    assert (put.source_expected, put.target_confirmed) == (-1, 1)
    assert MovementType.BIN_TRANSFER.effect.source_confirmed == -1
    assert MovementType.RETURN_RECEIPT.effect.target_expected == 1
    assert MovementType.ISSUE.effect.source_confirmed == -1
    assert all(t.effect.meaning for t in MovementType)


def test_ledger_alone_rebuilds_every_balance(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP", ("A-01-01", 30), ("A-02-01", 10))
    stock.transfer(Decimal(5), "A-01-01", Bin("A-03-01"), NOW)
    stock.adjust(Decimal(-2), Bin("A-02-01"), NOW, "damaged in handling")
    stock.receive_return(Decimal(3), Bin("R-01", BinKind.RETURNS), NOW, reference="RET-1")
    stock.count(Decimal(24), Bin("A-01-01"), NOW)
    stock.reserve(ReservationKey("SO-1", 1), Decimal(6), TODAY)
    stock.issue(ReservationKey("SO-1", 1), "SHP-1", NOW)

    rebuilt = stock.replay_ledger()

    assert rebuilt == {loc: (b.confirmed, b.expected) for loc, b in stock.balances.items()}
    assert [m.seq for m in stock.ledger] == list(range(1, len(stock.ledger) + 1))


def test_cycle_count_confirms_what_was_counted_and_clears_expected() -> None:
    stock = ItemStock("PNQ", "SOAP")
    stock.receive(Decimal(10), Bin("A-01-01"), NOW)  # received straight into a bin, unconfirmed
    movement = stock.count(Decimal(9), Bin("A-01-01"), NOW, reference="CC-1")

    balance = stock.balances[Location("A-01-01")]
    assert (balance.confirmed, balance.expected) == (9, 0)
    assert movement.deltas[0].confirmed == 9 and movement.deltas[0].expected == -10
    assert stock.available_to_promise(TODAY) == 9


def test_reserved_goods_cannot_be_moved_to_another_bin(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP", ("A-01-01", 10))
    stock.reserve(ReservationKey("SO-1", 1), Decimal(8), TODAY)
    with pytest.raises(ConflictingState):
        stock.transfer(Decimal(3), "A-01-01", Bin("A-02-01"), NOW)
    stock.transfer(Decimal(2), "A-01-01", Bin("A-02-01"), NOW)


def test_adjustment_needs_a_reason_and_cannot_go_below_zero(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP", ("A-01-01", 5))
    with pytest.raises(InvalidValue):
        stock.adjust(Decimal(-1), Bin("A-01-01"), NOW, "")
    with pytest.raises(ConflictingState):
        stock.adjust(Decimal(-6), Bin("A-01-01"), NOW, "lost")


def test_count_below_reservations_shows_the_over_allocation(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP", ("A-01-01", 10))
    stock.reserve(ReservationKey("SO-1", 1), Decimal(8), TODAY)
    stock.count(Decimal(6), Bin("A-01-01"), NOW)
    assert stock.over_allocations() == {Location("A-01-01"): Decimal(2)}
    assert stock.available_to_promise(TODAY) == 0


def test_put_away_cannot_exceed_what_is_expected() -> None:
    stock = ItemStock("PNQ", "SOAP")
    stock.receive(Decimal(4), DOCK, NOW)
    with pytest.raises(ConflictingState):
        stock.put_away(Decimal(5), DOCK.code, Bin("A-01-01"), NOW)


def test_batch_tracked_items_need_a_batch_and_others_refuse_one() -> None:
    tracked = ItemStock("PNQ", "SYRUP", batch_tracked=True)
    with pytest.raises(InvalidValue):
        tracked.receive(Decimal(1), DOCK, NOW)
    plain = ItemStock("PNQ", "SOAP")
    with pytest.raises(InvalidValue):
        plain.receive(Decimal(1), DOCK, NOW, Batch("B1", date(2027, 1, 31)))


def test_timestamps_must_carry_a_zone() -> None:
    stock = ItemStock("PNQ", "SOAP")
    with pytest.raises(InvalidValue):
        stock.receive(Decimal(1), DOCK, datetime(2026, 6, 30, 10, 0))
    assert stock.expected == 0 and stock.ledger == []


def test_quantities_refuse_floats() -> None:
    with pytest.raises(InvalidValue):
        ItemStock("PNQ", "SOAP").receive(1.5, DOCK, NOW)  # type: ignore[arg-type]
