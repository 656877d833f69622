"""Reserving an order on confirmation and amendment: routed across warehouses, short lines backordered,
repeats and stale revisions changing nothing (on the in-memory unit of work)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from o2c.contracts.v1.inventory import StockPartiallyReserved, StockReservationFailed, StockReserved
from o2c.inventory.domain import RoutingPolicy, RoutingStrategy
from o2c.inventory.service_layer import orders
from o2c.inventory.service_layer import stock as floor

D = Decimal


def reserved_at(inventory: Any, order_id: str) -> dict[tuple[str, int], Decimal]:
    """(warehouse, line) → quantity reserved for the order now."""
    return {(w, k.line_no): r.quantity for (w, _), s in inventory.stocks.rows.items()
            for k, r in s.reservations.items() if k.order_id == order_id and r.quantity > 0}


async def test_an_order_is_reserved_at_the_nearest_warehouse_with_stock(inventory: Any, msg: Any) -> None:
    await inventory.warehouse()
    await inventory.item("TEA")
    await inventory.put_stock("AMD", "TEA", 10)
    await inventory.put_stock("PNQ", "TEA", 10)

    reply, sent = await inventory.run(orders.reserve_order, msg.confirmed("o-1", [("TEA", 4)], ship_to="400001"),
                                      at=msg.NOW)

    assert isinstance(reply, StockReserved) and sent == [reply]
    [allocation] = reply.allocations
    assert allocation.warehouse_id == "PNQ" and allocation.warehouse_gstin == "27AABCR1718E1ZP"
    assert allocation.dispatch_from.pincode == "411001"
    [line] = allocation.lines
    assert (line.line_no, line.item_code, line.quantity.value) == (1, "TEA", D(4))
    assert [(a.bin_code, a.quantity.value) for a in line.allocations] == [("A-01", D(4))]
    assert inventory.stock("PNQ", "TEA").reserved == D(4) and inventory.stock("AMD", "TEA").reserved == 0


async def test_a_line_the_nearest_warehouse_cannot_cover_is_reserved_elsewhere(inventory: Any, msg: Any) -> None:
    await inventory.warehouse()
    await inventory.item("TEA")
    await inventory.put_stock("PNQ", "TEA", 3)
    await inventory.put_stock("AMD", "TEA", 10)

    reply, _ = await inventory.run(orders.reserve_order, msg.confirmed("o-1", [("TEA", 8)]), at=msg.NOW)

    assert isinstance(reply, StockReserved)
    assert sum(ln.quantity.value for a in reply.allocations for ln in a.lines) == D(8)
    assert sum(reserved_at(inventory, "o-1").values()) == D(8)
    assert inventory.backorders.rows == {}


async def test_an_order_without_any_stock_fails_and_waits_as_a_backorder(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA", lead_time_days=6)

    reply, sent = await inventory.run(orders.reserve_order, msg.confirmed("o-1", [("TEA", 5)]), at=msg.NOW)

    assert isinstance(reply, StockReservationFailed) and sent == [reply]
    [short] = reply.shortfalls
    assert (short.ordered.value, short.reserved.value, short.short.value) == (D(5), D(0), D(5))
    assert short.expected_date == msg.TODAY + timedelta(days=6)
    backorder = inventory.backorders.rows[("o-1", 1)]
    assert (backorder.status, backorder.quantity, backorder.remaining) == ("open", D(5), D(5))
    assert backorder.expected_date == msg.TODAY + timedelta(days=6)


async def test_what_stock_covers_is_reserved_and_the_rest_backordered(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.item("SUGAR")
    await inventory.put_stock("PNQ", "TEA", 10)
    await inventory.put_stock("PNQ", "SUGAR", 2)

    reply, _ = await inventory.run(orders.reserve_order, msg.confirmed("o-1", [("TEA", 5), ("SUGAR", 6)]),
                                   at=msg.NOW)

    assert isinstance(reply, StockPartiallyReserved)
    assert [(s.line_no, s.reserved.value, s.short.value) for s in reply.shortfalls] == [(2, D(2), D(4))]
    assert reserved_at(inventory, "o-1") == {("PNQ", 1): D(5), ("PNQ", 2): D(2)}
    assert list(inventory.backorders.rows) == [("o-1", 2)]
    assert inventory.backorders.rows[("o-1", 2)].remaining == D(4)
    assert inventory.allocations.rows["o-1"].outcome == "partially_reserved"


async def test_an_item_made_to_order_is_never_reserved_and_promised_by_lead_time(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("PUMP", stocked=False, lead_time_days=10)
    await inventory.put_stock("PNQ", "PUMP", 5)

    reply, _ = await inventory.run(orders.reserve_order, msg.confirmed("o-1", [("PUMP", 2)]), at=msg.NOW)

    assert isinstance(reply, StockReservationFailed)
    assert reply.shortfalls[0].expected_date == msg.TODAY + timedelta(days=10)
    assert reserved_at(inventory, "o-1") == {}
    assert inventory.backorders.rows[("o-1", 1)].quantity == D(2)


async def test_a_confirmation_delivered_again_reserves_nothing_more(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.put_stock("PNQ", "TEA", 10)
    order = msg.confirmed("o-1", [("TEA", 4)])
    first, _ = await inventory.run(orders.reserve_order, order, at=msg.NOW)

    again, sent = await inventory.run(orders.reserve_order, order, at=msg.NOW + timedelta(minutes=1))

    assert isinstance(again, StockReserved) and sent == [again]
    assert again.allocations == first.allocations
    assert inventory.stock("PNQ", "TEA").reserved == D(4)
    assert len(inventory.stocks.ledger[("PNQ", "TEA")]) == 2  # receipt and putaway: a reservation moves nothing


async def test_an_older_revision_arriving_late_is_refused_as_superseded(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.put_stock("PNQ", "TEA", 10)
    order = msg.confirmed("o-1", [("TEA", 4)])
    await inventory.run(orders.reserve_order, msg.amended(order, [("TEA", 6)], revision=2), at=msg.NOW)

    reply, sent = await inventory.run(orders.reserve_order, order, at=msg.NOW)

    assert isinstance(reply, StockReservationFailed) and reply.reason == "superseded revision"
    assert sent == []  # nothing is said about a revision nobody waits for any more
    assert reserved_at(inventory, "o-1") == {("PNQ", 1): D(6)}
    assert inventory.allocations.rows["o-1"].revision == 2


async def test_an_amendment_replaces_the_reservation_with_the_new_lines(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.item("SUGAR")
    await inventory.put_stock("PNQ", "TEA", 10)
    await inventory.put_stock("PNQ", "SUGAR", 10)
    order = msg.confirmed("o-1", [("TEA", 4), ("SUGAR", 3)])
    await inventory.run(orders.reserve_order, order, at=msg.NOW)

    reply, _ = await inventory.run(orders.reserve_order, msg.amended(order, [("TEA", 7)]), at=msg.NOW)

    assert isinstance(reply, StockReserved) and reply.order_revision == 2
    assert reserved_at(inventory, "o-1") == {("PNQ", 1): D(7)}  # the dropped SUGAR line is given back
    assert inventory.stock("PNQ", "SUGAR").available_to_promise(msg.TODAY) == D(10)


async def test_an_amendment_drops_the_old_revisions_backorders(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.put_stock("PNQ", "TEA", 5)
    order = msg.confirmed("o-1", [("TEA", 8)])
    await inventory.run(orders.reserve_order, order, at=msg.NOW)
    assert inventory.backorders.rows[("o-1", 1)].remaining == D(3)

    reply, _ = await inventory.run(orders.reserve_order, msg.amended(order, [("TEA", 5)]), at=msg.NOW)

    assert isinstance(reply, StockReserved)
    assert inventory.backorders.rows == {}
    assert reserved_at(inventory, "o-1") == {("PNQ", 1): D(5)}


async def test_a_customers_fewest_shipments_policy_keeps_the_order_in_one_warehouse(inventory: Any, msg: Any) -> None:
    await inventory.warehouse()
    for item in ("TEA", "SUGAR"):
        await inventory.item(item)
    await inventory.put_stock("PNQ", "TEA", 10)
    await inventory.put_stock("AMD", "TEA", 10)
    await inventory.put_stock("AMD", "SUGAR", 10)
    await inventory.run(floor.set_routing_policy, "customer:cus-9", RoutingPolicy(RoutingStrategy.FEWEST_SHIPMENTS),
                        "planner")

    nearest, _ = await inventory.run(orders.reserve_order, msg.confirmed("o-1", [("TEA", 2), ("SUGAR", 2)]),
                                     at=msg.NOW)
    fewest, _ = await inventory.run(orders.reserve_order,
                                    msg.confirmed("o-2", [("TEA", 2), ("SUGAR", 2)], customer_id="cus-9"), at=msg.NOW)

    assert sorted(a.warehouse_id for a in nearest.allocations) == ["AMD", "PNQ"]
    assert [a.warehouse_id for a in fewest.allocations] == ["AMD"]
    assert inventory.allocations.rows["o-2"].strategy == "fewest_shipments"


async def test_safety_stock_is_never_promised(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.put_stock("PNQ", "TEA", 10)
    await inventory.run(floor.set_safety_stock, "PNQ", "TEA", D(7))

    reply, _ = await inventory.run(orders.reserve_order, msg.confirmed("o-1", [("TEA", 5)]), at=msg.NOW)

    assert isinstance(reply, StockPartiallyReserved)
    assert reply.shortfalls[0].reserved.value == D(3)


async def test_batches_are_reserved_first_expiring_first_and_expired_ones_never(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("SYRUP", batch_tracked=True)
    await inventory.put_stock("PNQ", "SYRUP", 5, "A-01", batch_no="B-OLD", expiry=msg.TODAY - timedelta(days=1))
    await inventory.put_stock("PNQ", "SYRUP", 4, "A-02", batch_no="B-LATE", expiry=msg.TODAY + timedelta(days=90))
    await inventory.put_stock("PNQ", "SYRUP", 3, "A-01", batch_no="B-SOON", expiry=msg.TODAY + timedelta(days=30))

    reply, _ = await inventory.run(orders.reserve_order, msg.confirmed("o-1", [("SYRUP", 5)]), at=msg.NOW)

    assert isinstance(reply, StockReserved)
    allocations = reply.allocations[0].lines[0].allocations
    assert [(a.batch_no, a.quantity.value) for a in allocations] == [("B-SOON", D(3)), ("B-LATE", D(2))]


async def test_the_reservation_view_shows_each_line_with_its_bins(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.put_stock("PNQ", "TEA", 3, "A-01")
    await inventory.put_stock("PNQ", "TEA", 5, "A-02")
    await inventory.run(orders.reserve_order, msg.confirmed("o-1", [("TEA", 6)]), at=msg.NOW)

    [row] = await floor.reservations_of(inventory.uow(), "o-1")

    assert (row["warehouse_id"], row["requested"], row["reserved"], row["status"]) == ("PNQ", "6.000", "6.000", "open")
    assert sum(D(a["quantity"]) for a in row["allocations"]) == D(6)


async def test_item_stock_is_locked_in_one_warehouse_then_item_order(inventory: Any, msg: Any) -> None:
    await inventory.warehouse()
    for item in ("TEA", "SUGAR"):
        await inventory.item(item)
        for warehouse in ("BLR", "AMD", "PNQ"):
            await inventory.put_stock(warehouse, item, 2)
    inventory.stocks.locked.clear()

    await inventory.run(orders.reserve_order, msg.confirmed("o-1", [("TEA", 1), ("SUGAR", 1)]), at=msg.NOW)

    [locked] = inventory.stocks.locked
    assert locked == sorted(locked) and len(locked) == 6
