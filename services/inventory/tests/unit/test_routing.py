from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from o2c.inventory.domain import (
    AllocationOutcome,
    Coordinates,
    InvalidValue,
    ItemStock,
    LineRequest,
    RoutingPolicy,
    RoutingStrategy,
    Warehouse,
    allocate_order,
    plan_route,
)

TODAY = date(2026, 6, 30)
BELAGAVI = Coordinates(Decimal("15.8497"), Decimal("74.4977"))  # 590001, Karnataka
SURAT = Coordinates(Decimal("21.1959"), Decimal("72.8302"))  # 395003
MUMBAI = Coordinates(Decimal("18.9388"), Decimal("72.8354"))  # 400001
NEAREST = RoutingPolicy(RoutingStrategy.NEAREST)
FEWEST = RoutingPolicy(RoutingStrategy.FEWEST_SHIPMENTS)


@pytest.fixture
def three(pune: Warehouse, ahmedabad: Warehouse, bengaluru: Warehouse) -> list[Warehouse]:
    return [pune, ahmedabad, bengaluru]


def everywhere(items: dict[str, int], codes: tuple[str, ...] = ("PNQ", "AMD", "BLR")) -> dict[tuple[str, str], Decimal]:
    return {(code, item): Decimal(q) for code in codes for item, q in items.items()}


@pytest.mark.parametrize(("ship_to", "expected"), [(BELAGAVI, "PNQ"), (SURAT, "AMD"), (MUMBAI, "PNQ")])
def test_nearest_warehouse_ships_when_everything_is_in_stock_everywhere(
    three: list[Warehouse], ship_to: Coordinates, expected: str
) -> None:
    plan = plan_route([LineRequest(1, "SOAP", Decimal(10))], ship_to, three, everywhere({"SOAP": 100}), NEAREST,
                      TODAY)
    assert [s.warehouse_code for s in plan.shipments] == [expected]
    assert plan.shortfalls == ()


def test_nearest_splits_a_line_to_the_next_nearest_when_short(three: list[Warehouse]) -> None:
    atp = {("PNQ", "SOAP"): Decimal(6), ("AMD", "SOAP"): Decimal(10), ("BLR", "SOAP"): Decimal(10)}
    plan = plan_route([LineRequest(1, "SOAP", Decimal(10))], MUMBAI, three, atp, NEAREST, TODAY)
    assert [(s.warehouse_code, s.lines[0].quantity) for s in plan.shipments] == [("PNQ", 6), ("AMD", 4)]


def test_fewest_shipments_uses_the_one_warehouse_with_everything(three: list[Warehouse]) -> None:
    atp = everywhere({"SOAP": 100, "OIL": 100}, ("BLR",)) | {("PNQ", "SOAP"): Decimal(100),
                                                              ("AMD", "OIL"): Decimal(100)}
    lines = [LineRequest(1, "SOAP", Decimal(10)), LineRequest(2, "OIL", Decimal(5))]

    plan = plan_route(lines, MUMBAI, three, atp, FEWEST, TODAY)

    assert [s.warehouse_code for s in plan.shipments] == ["BLR"]
    assert [(ln.item_code, ln.quantity) for ln in plan.shipments[0].lines] == [("SOAP", 10), ("OIL", 5)]


def test_fewest_shipments_breaks_ties_by_distance(three: list[Warehouse]) -> None:
    plan = plan_route([LineRequest(1, "SOAP", Decimal(10))], SURAT, three, everywhere({"SOAP": 100}), FEWEST, TODAY)
    assert [s.warehouse_code for s in plan.shipments] == ["AMD"]


def test_fewest_shipments_finds_the_smallest_set_when_no_single_warehouse_can(three: list[Warehouse]) -> None:
    atp = {("PNQ", "SOAP"): Decimal(10), ("PNQ", "OIL"): Decimal(1), ("AMD", "OIL"): Decimal(5),
           ("BLR", "SOAP"): Decimal(3), ("BLR", "TEA"): Decimal(2), ("AMD", "TEA"): Decimal(2)}
    lines = [LineRequest(1, "SOAP", Decimal(10)), LineRequest(2, "OIL", Decimal(5)), LineRequest(3, "TEA", Decimal(2))]

    plan = plan_route(lines, MUMBAI, three, atp, FEWEST, TODAY)

    assert sorted(s.warehouse_code for s in plan.shipments) == ["AMD", "PNQ"]
    assert plan.shortfalls == ()


def test_fastest_promise_prefers_the_earliest_delivery(three: list[Warehouse]) -> None:
    slow_pune = RoutingPolicy(RoutingStrategy.FASTEST_PROMISE, handling_days={"PNQ": 5})
    plan = plan_route([LineRequest(1, "SOAP", Decimal(10))], MUMBAI, three, everywhere({"SOAP": 100}), slow_pune,
                      TODAY)
    assert plan.shipments[0].warehouse_code == "AMD"
    assert plan.shipments[0].promise_date == TODAY + timedelta(days=2)  # ~450 km at 300 km a day


def test_shortfall_is_a_visible_backorder_never_silent(three: list[Warehouse]) -> None:
    atp = {("PNQ", "SOAP"): Decimal(4)}
    plan = plan_route([LineRequest(1, "SOAP", Decimal(10)), LineRequest(2, "TEA", Decimal(3))], MUMBAI, three, atp,
                      NEAREST, TODAY)
    assert [(s.line_no, s.ordered, s.reserved, s.short) for s in plan.shortfalls] == [(1, 10, 4, 6), (2, 3, 0, 3)]


def test_lines_of_the_same_item_share_what_is_available(three: list[Warehouse]) -> None:
    plan = plan_route([LineRequest(1, "SOAP", Decimal(6)), LineRequest(2, "SOAP", Decimal(6))], MUMBAI, three,
                      {("PNQ", "SOAP"): Decimal(10)}, NEAREST, TODAY)
    assert [(s.line_no, s.short) for s in plan.shortfalls] == [(2, 2)]


def test_duplicate_line_numbers_are_refused(three: list[Warehouse]) -> None:
    with pytest.raises(InvalidValue):
        plan_route([LineRequest(1, "SOAP", Decimal(1))] * 2, MUMBAI, three, {}, NEAREST, TODAY)


def test_unknown_ship_to_location_still_routes_deterministically(three: list[Warehouse]) -> None:
    plan = plan_route([LineRequest(1, "SOAP", Decimal(1))], None, three, everywhere({"SOAP": 5}), NEAREST, TODAY)
    assert plan.shipments[0].warehouse_code == "AMD"  # by code when no distance is known


# --- routing and reserving -------------------------------------------------------------------


@pytest.fixture
def stocks(stocked: Callable[..., ItemStock]) -> dict[tuple[str, str], ItemStock]:
    return {("PNQ", "SOAP"): stocked("PNQ", "SOAP", ("A-01-01", 6)),
            ("AMD", "SOAP"): stocked("AMD", "SOAP", ("A-01-01", 3)),
            ("BLR", "SOAP"): stocked("BLR", "SOAP")}


def test_order_is_reserved_per_warehouse_with_a_visible_backorder(
    three: list[Warehouse], stocks: dict[tuple[str, str], ItemStock]
) -> None:
    allocation = allocate_order("SO-1", [LineRequest(1, "SOAP", Decimal(12))], MUMBAI, three, stocks, NEAREST, TODAY)

    assert allocation.outcome is AllocationOutcome.PARTIALLY_RESERVED
    assert [(s.warehouse_code, s.reservations[0].quantity) for s in allocation.shipments] == [("PNQ", 6), ("AMD", 3)]
    assert [(s.line_no, s.short) for s in allocation.shortfalls] == [(1, 3)]


def test_repeating_an_order_allocation_changes_nothing(
    three: list[Warehouse], stocks: dict[tuple[str, str], ItemStock]
) -> None:
    first = allocate_order("SO-1", [LineRequest(1, "SOAP", Decimal(5))], MUMBAI, three, stocks, NEAREST, TODAY)
    again = allocate_order("SO-1", [LineRequest(1, "SOAP", Decimal(5))], MUMBAI, three, stocks, NEAREST, TODAY)

    assert again.repeated and again.shipments == first.shipments
    assert stocks[("PNQ", "SOAP")].reserved == 5 and stocks[("AMD", "SOAP")].reserved == 0


def test_nothing_anywhere_fails_the_reservation(three: list[Warehouse],
                                                stocks: dict[tuple[str, str], ItemStock]) -> None:
    allocation = allocate_order("SO-1", [LineRequest(1, "TEA", Decimal(1))], MUMBAI, three, stocks, NEAREST, TODAY)
    assert allocation.outcome is AllocationOutcome.FAILED
    assert allocation.shortfalls[0].short == 1


def test_fully_reserved_order_is_reserved(three: list[Warehouse], stocks: dict[tuple[str, str], ItemStock]) -> None:
    allocation = allocate_order("SO-1", [LineRequest(1, "SOAP", Decimal(9))], SURAT, three, stocks, NEAREST, TODAY)
    assert allocation.outcome is AllocationOutcome.RESERVED
    assert [s.warehouse_code for s in allocation.shipments] == ["AMD", "PNQ"]
