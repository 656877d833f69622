from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

from o2c.inventory.domain import IST, Backorder, Bin, ItemStock, ReservationKey, fill_backorders

NOW = datetime(2026, 6, 30, 10, 0, tzinfo=IST)
TODAY = date(2026, 6, 30)


def test_arriving_stock_fills_backorders_oldest_order_first(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP")
    later = Backorder("SO-2", 1, "SOAP", Decimal(5), NOW)
    earlier = Backorder("SO-1", 1, "SOAP", Decimal(5), NOW - timedelta(hours=2))
    stock.count(Decimal(7), Bin("A-01-01"), NOW)

    fills = fill_backorders([later, earlier], stock, TODAY, "GRN-9")

    assert [(f.order_id, f.quantity, f.remaining) for f in fills] == [("SO-1", 5, 0), ("SO-2", 2, 3)]
    assert earlier.is_filled and later.remaining == 3
    assert stock.reservations[ReservationKey("SO-2", 1)].quantity == 2
    assert stock.available_to_promise(TODAY) == 0


def test_replaying_the_same_arrival_fills_nothing_twice(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP")
    backorder = Backorder("SO-1", 1, "SOAP", Decimal(5), NOW)
    stock.count(Decimal(10), Bin("A-01-01"), NOW)

    fill_backorders([backorder], stock, TODAY, "GRN-9")
    again = fill_backorders([backorder], stock, TODAY, "GRN-9")

    assert again == []
    assert stock.reserved == 5


def test_backorders_for_other_items_are_left_alone(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP", ("A-01-01", 10))
    tea = Backorder("SO-1", 1, "TEA", Decimal(5), NOW)
    assert fill_backorders([tea], stock, TODAY, "GRN-1") == []
    assert tea.remaining == 5


def test_partially_reserved_line_is_topped_up_on_the_same_key(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP", ("A-01-01", 4))
    key = ReservationKey("SO-1", 1)
    stock.reserve(key, Decimal(10), TODAY)
    backorder = Backorder("SO-1", 1, "SOAP", Decimal(6), NOW)
    stock.count(Decimal(10), Bin("A-01-01"), NOW)

    fill_backorders([backorder], stock, TODAY, "GRN-2")

    assert stock.reservations[key].quantity == 10
    assert backorder.is_filled
