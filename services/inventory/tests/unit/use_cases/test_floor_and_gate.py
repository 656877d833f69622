"""The warehouse floor on the in-memory unit of work: warehouses and bins, movements and their ledger, backorders
filled as stock arrives, issue at gate-out, short picks, and returns received against their authorisation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from o2c.contracts.v1.inventory import BackorderFilled, GoodsCondition, GoodsReturned, StockIssued
from o2c.inventory.domain import BinKind, ConflictingState, InvalidValue
from o2c.inventory.service_layer import orders
from o2c.inventory.service_layer import stock as floor

D = Decimal


async def reserve(inventory: Any, msg: Any, order_id: str, lines: list[tuple[str, int]], at: Any = None) -> Any:
    reply, _ = await inventory.run(orders.reserve_order, msg.confirmed(order_id, lines, at=at or msg.NOW),
                                   at=at or msg.NOW)
    return reply


# --- warehouses and bins ------------------------------------------------------------------------


async def test_a_warehouse_is_registered_with_its_bins_in_walking_order(inventory: Any) -> None:
    await inventory.warehouse("PNQ")

    view = await floor.warehouse_view(inventory.uow(), "PNQ")

    assert (view["code"], view["state_code"], view["coordinates_source"]) == ("PNQ", "27", "head_office")
    assert [b["code"] for b in view["bins"]] == ["DOCK", "A-01", "A-02", "RET", "QC"]
    assert view["bins"][0]["kind"] == "receiving"
    assert [v["code"] for v in await floor.warehouse_views(inventory.uow())] == ["PNQ"]


async def test_a_warehouse_whose_pincode_lies_in_another_state_is_refused(inventory: Any) -> None:
    with pytest.raises(InvalidValue) as refused:
        await floor.register_warehouse(inventory.uow(), floor.NewWarehouse(
            "PNQ", "Pune DC", "24", "411001", "24AABCR1718E1ZV"))
    assert refused.value.field == "pincode"
    assert inventory.warehouses.rows == {}


async def test_a_warehouse_or_bin_is_registered_once(inventory: Any) -> None:
    await inventory.warehouse("PNQ")

    with pytest.raises(ConflictingState):
        await inventory.warehouse("PNQ")
    with pytest.raises(ConflictingState):
        await floor.add_bin(inventory.uow(), "PNQ", "A-01", BinKind.STORAGE)
    with pytest.raises(floor.NotFoundError):
        await floor.add_bin(inventory.uow(), "XYZ", "A-01", BinKind.STORAGE)


# --- movements ----------------------------------------------------------------------------------


async def test_received_goods_are_expected_not_promised_until_put_away(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")

    answer, _ = await inventory.run(floor.move_stock, floor.MovementRequest(
        floor.MovementKind.RECEIPT, "PNQ", "TEA", D(8), "DOCK", reference="GRN-7"), "receiver", msg.NOW)

    assert (answer["confirmed"], answer["expected"], answer["available"]) == ("0.000", "8.000", "0.000")
    [movement] = await floor.movements(inventory.uow(), "PNQ", "TEA")
    assert (movement["seq"], movement["type"], movement["actor"], movement["reference"]) == (
        1, "receipt", "receiver", "GRN-7")


async def test_each_movement_is_numbered_after_the_ledger_stored_before_it(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.put_stock("PNQ", "TEA", 5)

    await inventory.run(floor.move_stock, floor.MovementRequest(
        floor.MovementKind.ADJUSTMENT, "PNQ", "TEA", D(-2), "A-01", reason="damaged"), "auditor", msg.NOW)

    ledger = await floor.movements(inventory.uow(), "PNQ", "TEA")
    assert [(m["seq"], m["type"]) for m in ledger] == [(1, "receipt"), (2, "putaway"), (3, "adjustment")]
    assert inventory.stock("PNQ", "TEA").confirmed == D(3)


async def test_a_movement_of_an_unknown_item_or_bin_is_refused_naming_the_field(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")

    with pytest.raises(InvalidValue) as item:
        await floor.move_stock(inventory.uow(), floor.MovementRequest(
            floor.MovementKind.RECEIPT, "PNQ", "COFFEE", D(1), "DOCK"), "receiver", msg.NOW)
    with pytest.raises(InvalidValue) as bin_:
        await floor.move_stock(inventory.uow(), floor.MovementRequest(
            floor.MovementKind.PUTAWAY, "PNQ", "TEA", D(1), "DOCK", to_bin="Z-99"), "putter", msg.NOW)
    with pytest.raises(floor.NotFoundError):
        await floor.move_stock(inventory.uow(), floor.MovementRequest(
            floor.MovementKind.RECEIPT, "XYZ", "TEA", D(1), "DOCK"), "receiver", msg.NOW)

    assert (item.value.field, bin_.value.field) == ("item_code", "to_bin")
    assert ("PNQ", "TEA") not in inventory.stocks.rows or not inventory.stocks.ledger[("PNQ", "TEA")]


async def test_an_older_item_revision_changes_nothing(inventory: Any, msg: Any) -> None:
    assert await floor.upsert_item(inventory.uow(), msg.item_created("TEA", lead_time_days=3, revision=2))

    assert not await floor.upsert_item(inventory.uow(), msg.item_created("TEA", lead_time_days=9, revision=1))

    assert (await inventory.items.get(["TEA"]))["TEA"].lead_time_days == 3


# --- backorders -----------------------------------------------------------------------------------


async def test_stock_put_away_fills_the_oldest_backorder_first(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await reserve(inventory, msg, "o-late", [("TEA", 4)], at=msg.NOW + timedelta(hours=1))
    await reserve(inventory, msg, "o-early", [("TEA", 4)], at=msg.NOW)

    sent = await inventory.put_stock("PNQ", "TEA", 6)

    fills = [m for m in sent if isinstance(m, BackorderFilled)]
    assert [(f.order_id, f.allocations[0].lines[0].quantity.value) for f in fills] == [("o-early", D(4)),
                                                                                      ("o-late", D(2))]
    assert fills[0].allocations[0].warehouse_id == "PNQ"
    assert inventory.backorders.rows[("o-early", 1)].status == "filled"
    late = inventory.backorders.rows[("o-late", 1)]
    assert (late.status, late.remaining) == ("open", D(2))


async def test_a_fill_tells_what_else_of_the_order_still_waits_for_that_item(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await reserve(inventory, msg, "o-1", [("TEA", 2), ("TEA", 5)])

    sent = await inventory.put_stock("PNQ", "TEA", 4)

    fills = [m for m in sent if isinstance(m, BackorderFilled)]
    assert [f.allocations[0].lines[0].line_no for f in fills] == [1, 2]
    assert [[(r.line_no, r.short.value) for r in f.remaining] for f in fills] == [[(2, D(3))], [(2, D(3))]]


async def test_a_counted_surplus_fills_backorders_too(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.put_stock("PNQ", "TEA", 2)
    await reserve(inventory, msg, "o-1", [("TEA", 5)])

    answer, sent = await inventory.run(floor.move_stock, floor.MovementRequest(
        floor.MovementKind.COUNT, "PNQ", "TEA", D(6), "A-01"), "counter", msg.NOW)

    assert answer["backorders_filled"] == 1
    assert [m.order_id for m in sent if isinstance(m, BackorderFilled)] == ["o-1"]
    assert inventory.backorders.rows[("o-1", 1)].remaining == D(0)


async def test_the_coordinators_backorder_is_kept_and_only_ever_grows(inventory: Any, msg: Any) -> None:
    await inventory.run(orders.note_backorder, msg.backordered("o-1", [(1, "TEA", 3)]))
    await inventory.run(orders.note_backorder, msg.backordered("o-1", [(1, "TEA", 5)]))
    await inventory.run(orders.note_backorder, msg.backordered("o-1", [(1, "TEA", 2)]))

    row = inventory.backorders.rows[("o-1", 1)]
    assert (row.quantity, row.remaining, row.status) == (D(5), D(5), "open")
    listed = await floor.backorders(inventory.uow(), "open")
    assert [(b["order_id"], b["remaining"]) for b in listed] == [("o-1", "5")]


async def test_a_cancelled_backorder_is_not_reopened(inventory: Any, msg: Any) -> None:
    await inventory.run(orders.note_backorder, msg.backordered("o-1", [(1, "TEA", 3)]))
    await inventory.run(orders.cancel_order, msg.cancelled("o-1"))

    await inventory.run(orders.note_backorder, msg.backordered("o-1", [(1, "TEA", 9)]))

    assert inventory.backorders.rows[("o-1", 1)].status == "cancelled"
    assert await floor.backorders(inventory.uow(), "open") == []


# --- gate-out ---------------------------------------------------------------------------------------


async def test_gate_out_issues_the_reserved_stock_once(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.put_stock("PNQ", "TEA", 10)
    await reserve(inventory, msg, "o-1", [("TEA", 4)])
    gate_out = msg.dispatched("o-1", "SH-1", "PNQ", [(1, "TEA", 4)])

    issued, sent = await inventory.run(orders.issue_shipment, gate_out)
    again, sent_again = await inventory.run(orders.issue_shipment, gate_out)

    assert isinstance(issued, StockIssued) and sent == [issued]
    [line] = issued.lines
    assert (line.line_no, line.quantity.value, [a.bin_code for a in line.allocations]) == (1, D(4), ["A-01"])
    assert again is None and sent_again == []
    stock = inventory.stock("PNQ", "TEA")
    assert (stock.confirmed, stock.reserved) == (D(6), D(0))
    [row] = await inventory.views.reservations_of("o-1")
    assert (row["status"], row["issued"]) == ("issued", "4.000")
    assert [m["type"] for m in inventory.stocks.ledger[("PNQ", "TEA")]][-1] == "issue"
    assert inventory.stocks.ledger[("PNQ", "TEA")][-1]["actor"] == "gate-out SH-1"


async def test_gate_out_issues_no_more_than_was_reserved(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.put_stock("PNQ", "TEA", 10)
    await reserve(inventory, msg, "o-1", [("TEA", 3)])

    issued, _ = await inventory.run(orders.issue_shipment, msg.dispatched("o-1", "SH-1", "PNQ", [(1, "TEA", 5)]))

    assert issued.lines[0].quantity.value == D(3)
    assert inventory.stock("PNQ", "TEA").confirmed == D(7)


async def test_gate_out_of_a_line_never_reserved_issues_nothing(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.put_stock("PNQ", "TEA", 10)

    issued, sent = await inventory.run(orders.issue_shipment, msg.dispatched("o-9", "SH-9", "PNQ", [(1, "TEA", 2)]))

    assert issued is None and sent == []
    assert inventory.stock("PNQ", "TEA").confirmed == D(10)


# --- short picks ------------------------------------------------------------------------------------


async def test_a_short_pick_is_rereserved_from_another_bin_of_the_warehouse(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.put_stock("PNQ", "TEA", 4, "A-01")
    await inventory.put_stock("PNQ", "TEA", 5, "A-02")
    await reserve(inventory, msg, "o-1", [("TEA", 4)])

    regained, sent = await inventory.run(orders.correct_short_pick, msg.picked_short("o-1", 1, "TEA", 4, 1,
                                                                                     bins=["A-01"]))

    assert regained == D(3) and sent == []  # the coordinator asks with ReserveStock and gets it then
    stock = inventory.stock("PNQ", "TEA")
    assert stock.free_at(next(loc for loc in stock.balances if loc.bin_code == "A-01")) == 0
    [row] = await inventory.views.reservations_of("o-1")
    assert {a["bin_code"]: a["quantity"] for a in row["allocations"]} == {"A-01": "1.000", "A-02": "3.000"}
    assert stock.confirmed == D(6)  # the bin's book follows the count: 3 were not there


async def test_the_coordinators_reserve_after_a_short_pick_claims_the_rereservation(inventory: Any,
                                                                                    msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.put_stock("PNQ", "TEA", 4, "A-01")
    await inventory.put_stock("PNQ", "TEA", 5, "A-02")
    await reserve(inventory, msg, "o-1", [("TEA", 4)])
    await inventory.run(orders.correct_short_pick, msg.picked_short("o-1", 1, "TEA", 4, 1, bins=["A-01"]))

    reply, _ = await inventory.run(orders.reserve_stock, msg.reserve("o-1", "rq-short", [(1, "TEA", 3)],
                                                                     exclude_bins=["A-01"]), at=msg.NOW)

    [line] = reply.allocations[0].lines
    assert (line.quantity.value, [a.bin_code for a in line.allocations]) == (D(3), ["A-02"])
    assert inventory.stock("PNQ", "TEA").reserved == D(4)  # claimed, not reserved a second time


async def test_a_short_pick_with_no_other_bin_releases_the_shortfall(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.put_stock("PNQ", "TEA", 4, "A-01")
    await reserve(inventory, msg, "o-1", [("TEA", 4)])

    regained, _ = await inventory.run(orders.correct_short_pick, msg.picked_short("o-1", 1, "TEA", 4, 3))

    assert regained == 0
    stock = inventory.stock("PNQ", "TEA")
    assert (stock.confirmed, stock.reserved) == (D(3), D(3))


async def test_a_complete_pick_changes_nothing(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.put_stock("PNQ", "TEA", 4)
    await reserve(inventory, msg, "o-1", [("TEA", 4)])
    inventory.stocks.locked.clear()

    regained, _ = await inventory.run(orders.correct_short_pick, msg.picked_short("o-1", 1, "TEA", 4, 4))

    assert regained == 0 and inventory.stocks.locked == []


# --- returns ----------------------------------------------------------------------------------------


async def test_an_authorised_return_is_received_as_expected_stock_and_announced(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    authorisation = msg.return_authorised("rt-1", "o-1", "PNQ", [(1, "TEA", 3)])
    await inventory.run(floor.note_return, authorisation)
    await inventory.run(floor.note_return, authorisation)  # delivered twice: noted once

    goods, sent = await inventory.run(floor.receive_return, "rt-1", [
        floor.ReturnReceiptLine(1, D(2), GoodsCondition.SALEABLE, "RET")], "receiver", msg.NOW)

    assert isinstance(goods, GoodsReturned) and sent == [goods]
    assert (goods.return_no, goods.invoice_no) == (authorisation.return_no, authorisation.invoice_no)
    [line] = goods.lines
    assert (line.item_code, line.quantity.value, line.condition) == ("TEA", D(2), GoodsCondition.SALEABLE)
    stock = inventory.stock("PNQ", "TEA")
    assert (stock.expected, stock.confirmed) == (D(2), D(0))  # back on the books, not promised before put-away
    assert inventory.returns.rows["rt-1"].status == "received"
    assert await floor.return_warehouse(inventory.uow(), "rt-1") == "PNQ"


async def test_a_return_is_received_once(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.run(floor.note_return, msg.return_authorised("rt-1", "o-1", "PNQ", [(1, "TEA", 3)]))
    line = floor.ReturnReceiptLine(1, D(3), GoodsCondition.SALEABLE, "RET")
    await inventory.run(floor.receive_return, "rt-1", [line], "receiver", msg.NOW)

    with pytest.raises(ConflictingState):
        await inventory.run(floor.receive_return, "rt-1", [line], "receiver", msg.NOW)
    assert inventory.stock("PNQ", "TEA").expected == D(3)


async def test_damaged_goods_never_go_to_a_pickable_bin(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.run(floor.note_return, msg.return_authorised("rt-1", "o-1", "PNQ", [(1, "TEA", 3)]))

    with pytest.raises(InvalidValue) as refused:
        await inventory.run(floor.receive_return, "rt-1", [
            floor.ReturnReceiptLine(1, D(1), GoodsCondition.DAMAGED, "A-01")], "receiver", msg.NOW)

    assert refused.value.field == "lines.0.bin_code"
    assert inventory.returns.rows["rt-1"].status == "authorised"


async def test_more_than_authorised_or_an_unknown_return_is_refused(inventory: Any, msg: Any) -> None:
    await inventory.warehouse("PNQ")
    await inventory.item("TEA")
    await inventory.run(floor.note_return, msg.return_authorised("rt-1", "o-1", "PNQ", [(1, "TEA", 3)]))

    with pytest.raises(InvalidValue) as too_many:
        await inventory.run(floor.receive_return, "rt-1", [
            floor.ReturnReceiptLine(1, D(4), GoodsCondition.SALEABLE, "RET")], "receiver", msg.NOW)
    with pytest.raises(floor.NotFoundError):
        await inventory.run(floor.receive_return, "rt-404", [
            floor.ReturnReceiptLine(1, D(1), GoodsCondition.SALEABLE, "RET")], "receiver", msg.NOW)
    with pytest.raises(floor.NotFoundError):
        await floor.return_warehouse(inventory.uow(), "rt-404")

    assert too_many.value.field == "lines.0.quantity"


# --- routing policy -----------------------------------------------------------------------------------


async def test_a_customers_routing_policy_overrides_the_companys(inventory: Any) -> None:
    from o2c.inventory.domain import RoutingPolicy, RoutingStrategy
    from o2c.inventory.service_layer.places import routing_policy_for

    await inventory.run(floor.set_routing_policy, "company", RoutingPolicy(RoutingStrategy.FEWEST_SHIPMENTS), "cfo")
    await inventory.run(floor.set_routing_policy, "customer:cus-1",
                        RoutingPolicy(RoutingStrategy.NEAREST, D(450), {"PNQ": 1}), "planner")

    assert (await routing_policy_for(inventory.uow(), "cus-1")).km_per_day == D(450)
    assert (await routing_policy_for(inventory.uow(), "cus-2")).strategy is RoutingStrategy.FEWEST_SHIPMENTS
    listed = await floor.routing_policies(inventory.uow())
    assert [(p["scope"], p["updated_by"]) for p in listed] == [("company", "cfo"), ("customer:cus-1", "planner")]
