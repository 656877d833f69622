from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from o2c.inventory.domain import Batch, ItemStock, ItemSupply, ReservationKey, available_to_promise, promise

TODAY = date(2026, 6, 30)


def test_atp_is_confirmed_minus_reserved_minus_safety_stock(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SOAP", ("A-01-01", 100), safety=10)
    stock.reserve(ReservationKey("SO-1", 1), Decimal(30), TODAY)
    assert stock.available_to_promise(TODAY) == 60


def test_atp_never_goes_below_zero(stocked: Callable[..., ItemStock]) -> None:
    assert stocked("PNQ", "SOAP", ("A-01-01", 5), safety=10).available_to_promise(TODAY) == 0


def test_expired_batch_is_never_promised(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SYRUP", ("A-01-01", 10, Batch("OLD", date(2026, 6, 29))),
                    ("A-01-02", 4, Batch("GOOD", date(2026, 12, 31))), batch_tracked=True)
    assert stock.available_to_promise(TODAY) == 4
    assert stock.reserve(ReservationKey("SO-1", 1), Decimal(10), TODAY).quantity == 4


def test_batch_is_promisable_through_its_expiry_date(stocked: Callable[..., ItemStock]) -> None:
    stock = stocked("PNQ", "SYRUP", ("A-01-01", 10, Batch("B1", TODAY)), batch_tracked=True)
    assert stock.available_to_promise(TODAY) == 10
    assert stock.available_to_promise(TODAY + timedelta(days=1)) == 0


def test_atp_for_many_items_across_warehouses_in_one_call(stocked: Callable[..., ItemStock]) -> None:
    stocks = [stocked(wh, f"ITEM-{i}", ("A-01-01", 10 * (i + 1))) for wh in ("PNQ", "AMD", "BLR") for i in range(80)]

    figures = available_to_promise(stocks, TODAY)

    assert len(figures) == 240
    assert figures[("AMD", "ITEM-3")] == 40


def test_promise_date_is_today_when_confirmed_stock_covers_it(stocked: Callable[..., ItemStock]) -> None:
    stocks = [stocked("PNQ", "SOAP", ("A-01-01", 6)), stocked("AMD", "SOAP", ("A-01-01", 4))]
    [soap] = promise({"SOAP": Decimal(10)}, stocks, TODAY, {"SOAP": ItemSupply("SOAP", lead_time_days=7)})
    assert soap.available == 10 and soap.by_warehouse == {"PNQ": 6, "AMD": 4}
    assert soap.promise_date == TODAY


def test_short_stocked_item_promises_after_its_lead_time(stocked: Callable[..., ItemStock]) -> None:
    [soap] = promise({"SOAP": Decimal(11)}, [stocked("PNQ", "SOAP", ("A-01-01", 10))], TODAY,
                     {"SOAP": ItemSupply("SOAP", lead_time_days=7)})
    assert not soap.covers_request
    assert soap.promise_date == TODAY + timedelta(days=7)


def test_non_stocked_item_is_promised_by_lead_time_only(stocked: Callable[..., ItemStock]) -> None:
    [pump] = promise({"PUMP": Decimal(1)}, [stocked("PNQ", "PUMP", ("A-01-01", 3))], TODAY,
                     {"PUMP": ItemSupply("PUMP", stocked=False, lead_time_days=21)})
    assert pump.available == 0 and not pump.stocked
    assert pump.promise_date == TODAY + timedelta(days=21)


def test_short_item_without_a_known_lead_time_has_no_promise_date() -> None:
    [ghost] = promise({"GHOST": None}, [], TODAY)
    assert ghost.available == 0 and ghost.promise_date is None
