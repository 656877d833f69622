"""The parts of the use cases that need no database: pincode coordinates, the outcome messages built from an
allocation, ATP promise dates, routing that keeps a line whole under "fewest shipments", and handlers turning
domain refusals into permanent failures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from o2c.contracts.samples import sample
from o2c.contracts.v1.inventory import StockPartiallyReserved, StockReservationFailed, StockReserved
from o2c.contracts.v1.sales import OrderCancelled
from o2c.inventory.adapters.pincodes import coordinates, state_codes_of
from o2c.inventory.bootstrap import Inventory
from o2c.inventory.domain import (
    Bin,
    ConflictingState,
    ItemStock,
    LineRequest,
    RoutingPolicy,
    RoutingStrategy,
    Warehouse,
    allocate_order,
    distance_km,
    plan_route,
)
from o2c.inventory.entrypoints.messages import _guarded
from o2c.inventory.service_layer.orders import (
    allocation_messages,
    expected_date,
    outcome_message,
    shortfall,
)
from o2c.inventory.service_layer.places import WarehouseSite
from o2c.inventory.service_layer.ports import ItemInfo
from o2c.kit.messaging.errors import PermanentError

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
TODAY = date(2026, 11, 29)


def site(warehouse: Warehouse) -> WarehouseSite:
    from o2c.contracts.v1.common import Address

    return WarehouseSite(warehouse, Address(name=warehouse.name, line1="Plot 1", place=warehouse.name,
                                            state_code=warehouse.state_code, pincode=warehouse.pincode,
                                            gstin=warehouse.gstin), "head_office")


def stocked(warehouse: str, item: str, quantity: int, bin_code: str = "A-01") -> ItemStock:
    stock = ItemStock(warehouse, item)
    stock.count(Decimal(quantity), Bin(bin_code), NOW)
    return stock


# --- pincodes --------------------------------------------------------------------------------------


def test_pincode_coordinates_come_from_the_head_office_and_states_from_the_directory() -> None:
    place, source = coordinates("590001")
    assert source == "head_office" and place is not None
    assert Decimal("15.8") < place.latitude < Decimal("15.9")
    assert state_codes_of("590001") == frozenset({"29"})
    assert state_codes_of("380001") == frozenset({"24"})


def test_acceptance_distances_nearest_warehouse(pune: Warehouse, ahmedabad: Warehouse, bengaluru: Warehouse) -> None:
    for pincode, nearest in (("590001", "PNQ"), ("395003", "AMD"), ("400001", "PNQ")):
        place, _ = coordinates(pincode)
        assert place is not None
        ranked = sorted((pune, ahmedabad, bengaluru), key=lambda w: distance_km(w.coordinates, place))  # type: ignore[arg-type]
        assert ranked[0].code == nearest, pincode


def test_unknown_pincode_falls_back_to_the_state_capital() -> None:
    place, source = coordinates("999999", "29")
    assert source == "state_capital" and place is not None and place.latitude == Decimal("12.9716")
    assert coordinates("999999") == (None, "none")


# --- outcome messages --------------------------------------------------------------------------------


def test_outcome_messages_per_warehouse_shipment(pune: Warehouse, bengaluru: Warehouse) -> None:
    stocks = {("PNQ", "A"): stocked("PNQ", "A", 4), ("BLR", "A"): stocked("BLR", "A", 10)}
    lines = [LineRequest(1, "A", Decimal(12)), LineRequest(2, "B", Decimal(1))]
    allocation = allocate_order("o-1", lines, pune.coordinates, [pune, bengaluru], stocks, RoutingPolicy(), TODAY)
    items = {"A": ItemInfo("A", "PCS"), "B": ItemInfo("B", lead_time_days=5)}
    sites = {"PNQ": site(pune), "BLR": site(bengaluru)}
    shipments = allocation_messages(allocation, sites, items)
    assert [(s.warehouse_id, s.warehouse_gstin, [ln.quantity.value for ln in s.lines]) for s in shipments] == [
        ("PNQ", pune.gstin, [4]), ("BLR", bengaluru.gstin, [8])]
    assert shipments[0].lines[0].quantity.unit.value == "PCS"
    shorts = [shortfall(s.line_no, s.item_code, s.ordered, s.reserved, items.get(s.item_code), TODAY)
              for s in allocation.shortfalls]
    assert [(s.line_no, s.short.value, s.expected_date) for s in shorts] == [(2, 1, TODAY + timedelta(days=5))]
    message = outcome_message("o-1", 1, None, shipments, shorts, NOW)
    assert isinstance(message, StockPartiallyReserved)
    assert isinstance(outcome_message("o-1", 1, None, shipments, [], NOW), StockReserved)
    failed = outcome_message("o-1", 2, "r-1", [], shorts, NOW)
    assert isinstance(failed, StockReservationFailed) and failed.request_id == "r-1" and failed.order_revision == 2


def test_expected_date_only_with_a_known_lead_time() -> None:
    assert expected_date(ItemInfo("A", lead_time_days=0), TODAY) is None
    assert expected_date(None, TODAY) is None
    assert expected_date(ItemInfo("A", lead_time_days=3), TODAY) == date(2026, 12, 2)


# --- routing -------------------------------------------------------------------------------------


def test_fewest_shipments_keeps_a_line_whole_inside_the_chosen_warehouses(
    pune: Warehouse, ahmedabad: Warehouse, bengaluru: Warehouse
) -> None:
    atp = {("PNQ", "A"): Decimal(50), ("BLR", "A"): Decimal(50), ("AMD", "C"): Decimal(50),
           ("PNQ", "C"): Decimal(5)}
    lines = [LineRequest(1, "A", Decimal(45)), LineRequest(2, "C", Decimal(40))]
    plan = plan_route(lines, pune.coordinates, [pune, ahmedabad, bengaluru], atp,
                      RoutingPolicy(RoutingStrategy.FEWEST_SHIPMENTS), TODAY)
    assert {s.warehouse_code: [(ln.line_no, ln.quantity) for ln in s.lines] for s in plan.shipments} == {
        "PNQ": [(1, Decimal(45))], "AMD": [(2, Decimal(40))]}
    nearest = plan_route(lines, pune.coordinates, [pune, ahmedabad, bengaluru], atp, RoutingPolicy(), TODAY)
    assert [(ln.line_no, ln.quantity) for ln in nearest.shipments[0].lines] == [(1, Decimal(45)), (2, Decimal(5))]


# --- handlers ------------------------------------------------------------------------------------


async def test_a_domain_refusal_in_a_handler_is_permanent() -> None:
    async def refuses(uow: Any, message: Any) -> None:
        raise ConflictingState("bin A-01 holds 3; cannot take away 5")

    # Nothing reaches the database: the use case refuses before any statement.
    wired = Inventory(sessions=None, outbox=None)  # type: ignore[arg-type]
    ctx = SimpleNamespace(session=None, outbox=None, envelope=None)
    with pytest.raises(PermanentError, match="ConflictingState"):
        await _guarded(wired, refuses)(sample(OrderCancelled), ctx)  # type: ignore[arg-type]
