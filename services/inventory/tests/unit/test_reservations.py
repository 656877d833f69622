from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import pytest
from o2c.inventory.domain import (
    IST,
    Batch,
    Bin,
    ConflictingState,
    InvalidValue,
    ItemStock,
    Location,
    ReservationKey,
    ReservationStatus,
)

NOW = datetime(2026, 6, 30, 10, 0, tzinfo=IST)
TODAY = date(2026, 6, 30)
LINE = ReservationKey("SO-1", 1)


def test_first_expiry_first_out_picks_the_batch_expiring_soonest(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SYRUP",
                    ("A-01-01", 10, Batch("JAN27", date(2027, 1, 31))),
                    ("A-01-02", 10, Batch("DEC26", date(2026, 12, 31))),
                    ("A-01-03", 10, Batch("EXPIRED", date(2026, 5, 31))),
                    batch_tracked=True)

    reservation = stock.reserve(LINE, Decimal(8), TODAY)

    assert [(a.batch_no, a.bin_code, a.quantity) for a in reservation.allocations] == [("DEC26", "A-01-02", 8)]


def test_fefo_spills_into_the_next_batch_when_the_first_runs_out(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SYRUP", ("A-01-01", 10, Batch("JAN27", date(2027, 1, 31))),
                    ("A-01-02", 5, Batch("DEC26", date(2026, 12, 31))), batch_tracked=True)
    reservation = stock.reserve(LINE, Decimal(8), TODAY)
    assert [(a.batch_no, a.quantity) for a in reservation.allocations] == [("DEC26", 5), ("JAN27", 3)]


def test_repeating_a_reservation_changes_nothing(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP", ("A-01-01", 10))
    first = stock.reserve(LINE, Decimal(6), TODAY)
    again = stock.reserve(LINE, Decimal(6), TODAY)
    assert again is first
    assert stock.reserved == 6 and stock.available_to_promise(TODAY) == 4


def test_partial_reservation_reserves_what_there_is(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP", ("A-01-01", 4))
    reservation = stock.reserve(LINE, Decimal(10), TODAY)
    assert (reservation.requested, reservation.quantity) == (10, 4)


def test_release_with_the_same_key_gives_the_units_back_once(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP", ("A-01-01", 10))
    stock.reserve(LINE, Decimal(6), TODAY)

    assert stock.release(LINE) == 6
    assert stock.release(LINE) == 0
    assert stock.available_to_promise(TODAY) == 10
    assert stock.reservations[LINE].status is ReservationStatus.RELEASED


def test_late_duplicate_after_release_does_not_reserve_again(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP", ("A-01-01", 10))
    stock.reserve(LINE, Decimal(6), TODAY)
    stock.release(LINE)
    assert stock.reserve(LINE, Decimal(6), TODAY).quantity == 0
    assert stock.reserved == 0


def test_partial_release_is_repeatable_by_request_id(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP", ("A-01-01", 10))
    stock.reserve(LINE, Decimal(6), TODAY)
    assert stock.release(LINE, Decimal(2), "rel-1") == 2
    assert stock.release(LINE, Decimal(2), "rel-1") == 2
    assert stock.reserved == 4
    with pytest.raises(InvalidValue):
        stock.release(LINE, Decimal(1))


def test_releasing_an_unknown_line_releases_nothing(stocked: Callable[..., ItemStock]) -> None:
    assert stocked("PNQ", "SOAP", ("A-01-01", 1)).release(ReservationKey("SO-404", 1)) == 0


def test_many_orders_for_the_last_ten_units_never_oversell(stocked: Callable[..., ItemStock]) -> None:
    for _ in range(20):
        stock = stocked("PNQ", "SOAP", ("A-01-01", 6), ("A-02-01", 4))
        for n in range(25):
            stock.reserve(ReservationKey(f"SO-{n}", 1), Decimal(1 + n % 3), TODAY)
        assert stock.reserved == 10
        assert all(stock.free_at(loc) >= 0 for loc in stock.balances)
        assert stock.available_to_promise(TODAY) == 0


def test_short_pick_is_rereserved_from_another_bin(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP", ("A-01-01", 20), ("B-01-01", 5))
    stock.reserve(LINE, Decimal(20), TODAY)

    outcome = stock.report_short_pick(LINE, "A-01-01", None, Decimal(3), NOW, TODAY, "pick-1", "bin short")

    assert [(a.bin_code, a.quantity) for a in outcome.replacements] == [("B-01-01", 3)]
    assert outcome.released == 0
    assert stock.reservations[LINE].quantity == 20
    assert stock.balances[Location("A-01-01")].confirmed == 17  # the book follows the physical bin
    assert stock.replay_ledger()[Location("A-01-01")] == (17, 0)


def test_short_pick_with_no_other_stock_releases_the_shortfall(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP", ("A-01-01", 20))
    stock.reserve(LINE, Decimal(20), TODAY)

    outcome = stock.report_short_pick(LINE, "A-01-01", None, Decimal(3), NOW, TODAY, "pick-1")
    again = stock.report_short_pick(LINE, "A-01-01", None, Decimal(3), NOW, TODAY, "pick-1")

    assert outcome.released == 3 and outcome.replacements == ()
    assert again == outcome
    assert stock.reservations[LINE].quantity == 17
    assert stock.confirmed == 17 and stock.available_to_promise(TODAY) == 0


def test_short_pick_cannot_exceed_what_was_reserved_in_that_bin(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP", ("A-01-01", 5))
    stock.reserve(LINE, Decimal(5), TODAY)
    with pytest.raises(ConflictingState):
        stock.report_short_pick(LINE, "A-01-01", None, Decimal(6), NOW, TODAY, "p")


def test_stock_leaves_on_dispatch_exactly_once(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP", ("A-01-01", 10))
    stock.reserve(LINE, Decimal(6), TODAY)

    first = stock.issue(LINE, "SHP-1", NOW)
    again = stock.issue(LINE, "SHP-1", NOW)

    assert first.first_time and not again.first_time
    assert first.quantity == again.quantity == 6
    assert stock.confirmed == 4 and stock.reserved == 0
    assert sum(1 for m in stock.ledger if m.movement_type == "issue") == 1
    assert stock.reservations[LINE].status is ReservationStatus.ISSUED


def test_issue_follows_fefo_when_only_part_leaves(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SYRUP", ("A-01-01", 5, Batch("LATE", date(2027, 3, 31))),
                    ("A-01-02", 5, Batch("SOON", date(2026, 9, 30))), batch_tracked=True)
    stock.reserve(LINE, Decimal(8), TODAY)
    issue = stock.issue(LINE, "SHP-1", NOW, Decimal(6))
    assert [(a.batch_no, a.quantity) for a in issue.allocations] == [("SOON", 5), ("LATE", 1)]
    assert stock.reservations[LINE].quantity == 2


def test_cannot_issue_more_than_is_reserved(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP", ("A-01-01", 10))
    stock.reserve(LINE, Decimal(3), TODAY)
    with pytest.raises(ConflictingState):
        stock.issue(LINE, "SHP-1", NOW, Decimal(4))
    with pytest.raises(ConflictingState):
        stock.issue(ReservationKey("SO-404", 1), "SHP-1", NOW)


def test_reserve_more_fills_a_line_later_and_is_idempotent(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP", ("A-01-01", 4))
    stock.reserve(LINE, Decimal(10), TODAY)
    stock.receive(Decimal(6), Bin("A-01-01"), NOW)
    stock.count(Decimal(10), Bin("A-01-01"), NOW)

    assert stock.reserve_more(LINE, Decimal(6), TODAY, "fill-1") == 6
    assert stock.reserve_more(LINE, Decimal(6), TODAY, "fill-1") == 6
    assert stock.reservations[LINE].quantity == 10
