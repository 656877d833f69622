"""The coordinator's commands and the order's cancellation: ReleaseReservation, ReserveStock and OrderCancelled,
each answered once per request id, and stock given back going to whoever waits longest."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from o2c.contracts.v1.inventory import (
    BackorderFilled,
    ReservationReleased,
    StockPartiallyReserved,
    StockReservationFailed,
    StockReserved,
)
from o2c.inventory.service_layer import orders

D = Decimal


async def reserved(inventory: Any, msg: Any, order_id: str, lines: list[tuple[str, int]], **kw: Any) -> Any:
    reply, _ = await inventory.run(orders.reserve_order, msg.confirmed(order_id, lines, **kw), at=msg.NOW)
    return reply


async def stocked(inventory: Any, *puts: tuple[str, str, int]) -> None:
    warehouses = sorted({p[0] for p in puts})
    await inventory.warehouse(*warehouses)
    for item in sorted({p[1] for p in puts}):
        await inventory.item(item)
    for warehouse, item, quantity in puts:
        await inventory.put_stock(warehouse, item, quantity)


# --- ReleaseReservation ----------------------------------------------------------------------------


async def test_releasing_an_order_gives_every_reserved_unit_back(inventory: Any, msg: Any) -> None:
    await stocked(inventory, ("PNQ", "TEA", 10), ("PNQ", "SUGAR", 10))
    await reserved(inventory, msg, "o-1", [("TEA", 4), ("SUGAR", 3)])

    reply, sent = await inventory.run(orders.release_reservation, msg.release("o-1", "rq-1"), at=msg.NOW)

    assert isinstance(reply, ReservationReleased) and sent == [reply] and reply.request_id == "rq-1"
    assert sorted((ln.line_no, ln.item_code, ln.quantity.value, ln.warehouse_id) for ln in reply.lines) == [
        (1, "TEA", D(4), "PNQ"), (2, "SUGAR", D(3), "PNQ")]
    assert inventory.stock("PNQ", "TEA").reserved == 0 and inventory.stock("PNQ", "SUGAR").reserved == 0
    [row] = [r for r in await inventory.views.reservations_of("o-1") if r["item_code"] == "TEA"]
    assert (row["status"], row["released"]) == ("released", "4.000")


async def test_a_release_sent_again_gets_the_same_answer_and_releases_nothing_twice(inventory: Any, msg: Any) -> None:
    await stocked(inventory, ("PNQ", "TEA", 10))
    await reserved(inventory, msg, "o-1", [("TEA", 4)])
    first, _ = await inventory.run(orders.release_reservation, msg.release("o-1", "rq-1"), at=msg.NOW)
    await reserved(inventory, msg, "o-2", [("TEA", 9)])

    again, sent = await inventory.run(orders.release_reservation, msg.release("o-1", "rq-1"),
                                      at=msg.NOW + timedelta(minutes=3))

    assert sent == [again] and again == first
    assert inventory.stock("PNQ", "TEA").reserved == D(9)  # o-2's reservation is untouched


async def test_listed_lines_are_released_in_part(inventory: Any, msg: Any) -> None:
    await stocked(inventory, ("PNQ", "TEA", 10), ("PNQ", "SUGAR", 10))
    await reserved(inventory, msg, "o-1", [("TEA", 4), ("SUGAR", 3)])

    reply, _ = await inventory.run(orders.release_reservation, msg.release("o-1", "rq-2", [(1, "TEA", 1)]),
                                   at=msg.NOW)

    assert [(ln.line_no, ln.quantity.value) for ln in reply.lines] == [(1, D(1))]
    assert inventory.stock("PNQ", "TEA").reserved == D(3) and inventory.stock("PNQ", "SUGAR").reserved == D(3)


async def test_released_stock_fills_another_orders_backorder_first(inventory: Any, msg: Any) -> None:
    await stocked(inventory, ("PNQ", "TEA", 5))
    await reserved(inventory, msg, "o-1", [("TEA", 5)])
    waiting = await reserved(inventory, msg, "o-2", [("TEA", 3)])
    assert isinstance(waiting, StockReservationFailed)

    reply, sent = await inventory.run(orders.release_reservation, msg.release("o-1", "rq-1"), at=msg.NOW)

    [filled] = [m for m in sent if isinstance(m, BackorderFilled)]
    assert sent[-1] == reply  # the fill is said before the reply
    assert filled.order_id == "o-2" and filled.remaining == []
    assert filled.allocations[0].lines[0].quantity.value == D(3)
    assert inventory.backorders.rows[("o-2", 1)].status == "filled"
    assert inventory.stock("PNQ", "TEA").reserved == D(3)


async def test_a_release_of_an_order_never_reserved_answers_with_nothing_released(inventory: Any, msg: Any) -> None:
    await stocked(inventory, ("PNQ", "TEA", 5))

    reply, sent = await inventory.run(orders.release_reservation, msg.release("o-404", "rq-9"), at=msg.NOW)

    assert sent == [reply] and reply.lines == []


# --- OrderCancelled -------------------------------------------------------------------------------


async def test_a_cancelled_order_holds_no_stock_and_its_backorders_close(inventory: Any, msg: Any) -> None:
    await stocked(inventory, ("PNQ", "TEA", 5))
    await reserved(inventory, msg, "o-1", [("TEA", 8)])

    _, sent = await inventory.run(orders.cancel_order, msg.cancelled("o-1"))

    assert sent == []  # nobody asked: the coordinator's own ReleaseReservation gets the answer
    assert inventory.stock("PNQ", "TEA").reserved == 0
    assert inventory.backorders.rows[("o-1", 1)].status == "cancelled"
    later, _ = await inventory.run(orders.release_reservation, msg.release("o-1", "rq-after"), at=msg.NOW)
    assert later.lines == []


async def test_cancelling_some_lines_closes_only_their_backorders(inventory: Any, msg: Any) -> None:
    await stocked(inventory, ("PNQ", "TEA", 1), ("PNQ", "SUGAR", 1))
    await reserved(inventory, msg, "o-1", [("TEA", 4), ("SUGAR", 4)])

    await inventory.run(orders.cancel_order, msg.cancelled("o-1", [(2, "SUGAR", 4)]))

    assert inventory.backorders.rows[("o-1", 1)].status == "open"
    assert inventory.backorders.rows[("o-1", 2)].status == "cancelled"
    assert inventory.stock("PNQ", "TEA").reserved == D(1) and inventory.stock("PNQ", "SUGAR").reserved == 0


# --- ReserveStock ----------------------------------------------------------------------------------


async def test_a_reserve_command_no_warehouse_can_serve_fails_with_its_request_id(inventory: Any, msg: Any) -> None:
    await stocked(inventory, ("PNQ", "TEA", 2))
    await reserved(inventory, msg, "o-1", [("TEA", 2)])

    reply, sent = await inventory.run(orders.reserve_stock, msg.reserve("o-1", "rq-5", [(1, "TEA", 1)]), at=msg.NOW)

    assert isinstance(reply, StockReservationFailed) and sent == [reply]
    assert (reply.request_id, reply.shortfalls[0].short.value) == ("rq-5", D(1))
    assert await inventory.replies.get("rq-5") == reply


async def test_a_backorder_retry_reserves_what_arrived_since(inventory: Any, msg: Any) -> None:
    await stocked(inventory, ("PNQ", "TEA", 2))
    await reserved(inventory, msg, "o-1", [("TEA", 5)])
    stock = inventory.stock("PNQ", "TEA")
    # Stock that appeared without an arrival the floor fills from (e.g. loaded before the backorder existed)
    inventory.backorders.rows.clear()
    await inventory.put_stock("PNQ", "TEA", 3, "A-02")
    assert inventory.stock("PNQ", "TEA").reserved == stock.reserved == D(2)
    await inventory.run(orders.note_backorder, msg.backordered("o-1", [(1, "TEA", 3)]))

    reply, _ = await inventory.run(orders.reserve_stock, msg.reserve("o-1", "rq-7", [(1, "TEA", 3)]), at=msg.NOW)

    assert isinstance(reply, StockReserved)
    [line] = reply.allocations[0].lines
    assert line.quantity.value == D(3) and [a.bin_code for a in line.allocations] == ["A-02"]
    assert inventory.stock("PNQ", "TEA").reserved == D(5)
    backorder = inventory.backorders.rows[("o-1", 1)]
    assert (backorder.status, backorder.remaining, backorder.filled) == ("filled", D(0), {"rq-7": D(3)})


async def test_a_reserve_command_sent_again_is_answered_the_same_without_reserving_twice(inventory: Any,
                                                                                         msg: Any) -> None:
    await stocked(inventory, ("PNQ", "TEA", 10))
    command = msg.reserve("o-1", "rq-1", [(1, "TEA", 4)])
    first, _ = await inventory.run(orders.reserve_stock, command, at=msg.NOW)

    again, sent = await inventory.run(orders.reserve_stock, command, at=msg.NOW + timedelta(minutes=2))

    assert isinstance(first, StockReserved) and sent == [again] and again == first
    assert inventory.stock("PNQ", "TEA").reserved == D(4)


async def test_bins_found_short_take_no_new_reservation(inventory: Any, msg: Any) -> None:
    await stocked(inventory, ("PNQ", "TEA", 5))
    await inventory.put_stock("PNQ", "TEA", 5, "A-02")

    reply, _ = await inventory.run(orders.reserve_stock, msg.reserve("o-1", "rq-1", [(1, "TEA", 6)],
                                                                     exclude_bins=["A-01"]), at=msg.NOW)

    assert isinstance(reply, StockPartiallyReserved)
    [line] = reply.allocations[0].lines
    assert {a.bin_code for a in line.allocations} == {"A-02"} and line.quantity.value == D(5)
    assert inventory.stock("PNQ", "TEA").balances  # the excluded bin keeps its kind once the command is served
    assert all(b.bin.kind.value == "storage" for b in inventory.stock("PNQ", "TEA").balances.values()
               if b.bin.code.startswith("A-"))


async def test_a_preferred_warehouse_is_the_only_one_asked(inventory: Any, msg: Any) -> None:
    await stocked(inventory, ("PNQ", "TEA", 10), ("AMD", "TEA", 10))

    reply, _ = await inventory.run(orders.reserve_stock, msg.reserve("o-1", "rq-1", [(1, "TEA", 4)],
                                                                     preferred="AMD"), at=msg.NOW)

    assert [a.warehouse_id for a in reply.allocations] == ["AMD"]
    assert inventory.stock("PNQ", "TEA").reserved == 0


async def test_a_line_bound_to_a_warehouse_is_reserved_there_or_not_at_all(inventory: Any, msg: Any) -> None:
    await stocked(inventory, ("PNQ", "TEA", 10), ("AMD", "TEA", 2))

    reply, _ = await inventory.run(orders.reserve_stock, msg.reserve("o-1", "rq-1", [(1, "TEA", 4)],
                                                                     warehouse_id="AMD"), at=msg.NOW)

    assert isinstance(reply, StockPartiallyReserved)
    assert [a.warehouse_id for a in reply.allocations] == ["AMD"]
    assert reply.shortfalls[0].short.value == D(2)
    assert inventory.stock("PNQ", "TEA").reserved == 0
