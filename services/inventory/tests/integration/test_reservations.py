"""Reservation over the real broker and database: OrderConfirmed in (raw producer standing in for sales),
StockReserved / StockPartiallyReserved / StockReservationFailed out, per warehouse shipment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from o2c.contracts.v1.inventory import (
    BackorderFilled,
    ReservationReleased,
    StockIssued,
    StockPartiallyReserved,
    StockReservationFailed,
    StockReserved,
)
from o2c.inventory.app import DEFINITION
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import ServiceHarness, wait_for
from o2c.testsupport.inventory.inventory_support import (
    PNQ,
    Reader,
    add_warehouses,
    dispatched,
    item_created,
    order,
    own_customer,
    publish,
    put_stock,
    release,
    reserve_more,
    scalar,
    seed_items,
    tokens,
)

pytestmark = pytest.mark.integration


def shipments(message: StockReserved | StockPartiallyReserved) -> dict[str, dict[int, Decimal]]:
    return {a.warehouse_id: {ln.line_no: ln.quantity.value for ln in a.lines} for a in message.allocations}


async def test_nearest_warehouse_for_each_ship_to(harness: ServiceHarness, issuer: LocalIssuer) -> None:
    svc = await harness.start(DEFINITION)
    await own_customer(svc)  # the coordinator token may read cus-1
    tok = tokens(issuer)
    await seed_items(svc, "PUMP")
    async with svc.client() as c:
        await add_warehouses(c, tok["wh"])
        for wh in ("PNQ", "AMD", "BLR"):
            await put_stock(c, tok["wh"], wh, "PUMP", 100)
        r = await c.put("/routing-policy", json={"strategy": "nearest"}, headers=tok["head"])
        assert r.status_code == 200, r.text
    async with Reader(harness) as reader:
        await publish(harness, [order("o-bgm", [("PUMP", 5)], "590001"), order("o-stv", [("PUMP", 5)], "395003"),
                                order("o-bom", [("PUMP", 5)], "400001")])
        expected = {"o-bgm": "PNQ", "o-stv": "AMD", "o-bom": "PNQ"}
        for order_id, warehouse in expected.items():
            [msg] = await reader.wait(order_id, "StockReserved")
            assert isinstance(msg, StockReserved)
            assert shipments(msg) == {warehouse: {1: Decimal(5)}}, (order_id, shipments(msg))
            allocation = msg.allocations[0]
            assert allocation.warehouse_gstin[:2] == allocation.dispatch_from.state_code
            assert allocation.lines[0].allocations[0].bin_code == "A-01"


async def test_fewest_shipments_prefers_the_one_full_warehouse_and_splits_when_needed(
    harness: ServiceHarness, issuer: LocalIssuer
) -> None:
    svc = await harness.start(DEFINITION)
    await own_customer(svc)  # the coordinator token may read cus-1
    tok = tokens(issuer)
    await seed_items(svc, "A", "B", "C")
    async with svc.client() as c:
        await add_warehouses(c, tok["wh"])
        await put_stock(c, tok["wh"], "PNQ", "A", 50)  # nearest to Pune, but only A
        await put_stock(c, tok["wh"], "AMD", "B", 50)
        await put_stock(c, tok["wh"], "BLR", "A", 50)  # the only warehouse with A and B
        await put_stock(c, tok["wh"], "BLR", "B", 50)
        await put_stock(c, tok["wh"], "AMD", "C", 50)
        await put_stock(c, tok["wh"], "PNQ", "C", 5)
        r = await c.put("/routing-policy", json={"strategy": "fewest_shipments"}, headers=tok["head"])
        assert r.status_code == 200, r.text
    async with Reader(harness) as reader:
        await publish(harness, [order("o-one", [("A", 10), ("B", 10)], "411001"),
                                order("o-split", [("A", 45), ("C", 40)], "411001")])
        [one] = await reader.wait("o-one", "StockReserved")
        assert isinstance(one, StockReserved)
        assert shipments(one) == {"BLR": {1: Decimal(10), 2: Decimal(10)}}
        # A (45) is at PNQ and BLR; C (40) only at AMD in full: two shipments are the fewest.
        [split] = await reader.wait("o-split", "StockReserved")
        assert isinstance(split, StockReserved)
        plan = shipments(split)
        assert len(plan) == 2 and plan["AMD"] == {2: Decimal(40)}, plan


async def test_partial_reservation_leaves_a_visible_backorder_that_arriving_stock_fills(
    harness: ServiceHarness, issuer: LocalIssuer
) -> None:
    svc = await harness.start(DEFINITION)
    await own_customer(svc)  # the coordinator token may read cus-1
    tok = tokens(issuer)
    await seed_items(svc, "SOAP", lead_time_days=7)
    async with svc.client() as c:
        await add_warehouses(c, tok["wh"], {**PNQ})
        await put_stock(c, tok["wh"], "PNQ", "SOAP", 30)
        async with Reader(harness) as reader:
            await publish(harness, [order("o-part", [("SOAP", 50)])])
            [msg] = await reader.wait("o-part", "StockPartiallyReserved")
            assert isinstance(msg, StockPartiallyReserved)
            assert shipments(msg) == {"PNQ": {1: Decimal(30)}}
            [short] = msg.shortfalls
            assert (short.ordered.value, short.reserved.value, short.short.value) == (50, 30, 20)
            assert short.expected_date is not None  # by the item's lead time
            r = await c.get("/backorders", headers=tok["sales"])
            assert [(b["order_id"], b["remaining"]) for b in r.json()] == [("o-part", "20.000")]
            # 25 arrive and are put away: 20 go to the backorder, 5 stay available.
            await put_stock(c, tok["wh"], "PNQ", "SOAP", 25, bin_code="A-02")
            [filled] = await reader.wait("o-part", "BackorderFilled")
            assert isinstance(filled, BackorderFilled)
            assert filled.allocations[0].lines[0].quantity.value == 20 and not filled.remaining
            r = await c.get("/backorders", headers=tok["sales"])
            assert r.json() == []
            r = await c.get("/atp", params={"items": "SOAP"}, headers=tok["sales"])
            assert r.json()["items"][0]["available"] == "5.000"
            r = await c.get("/reservations", params={"order_id": "o-part"}, headers=tok["sales"])
            assert r.json()[0]["reserved"] == "50.000"


async def test_expected_and_expired_stock_is_never_promised_and_fefo_picks_the_earliest_expiry(
    harness: ServiceHarness, issuer: LocalIssuer
) -> None:
    svc = await harness.start(DEFINITION)
    await own_customer(svc)  # the coordinator token may read cus-1
    tok = tokens(issuer)
    await seed_items(svc, "TEA", batch_tracked=True)
    await seed_items(svc, "OIL")
    async with svc.client() as c:
        await add_warehouses(c, tok["wh"], PNQ)
        await put_stock(c, tok["wh"], "PNQ", "TEA", 10, batch_no="B-2701", expiry=date(2027, 1, 31))
        await put_stock(c, tok["wh"], "PNQ", "TEA", 10, "A-02", batch_no="B-2612", expiry=date(2026, 12, 31))
        await put_stock(c, tok["wh"], "PNQ", "TEA", 10, batch_no="B-OLD", expiry=date(2025, 10, 31))
        # OIL is received but not put away: expected, not promisable.
        r = await c.post("/stock/receipts", json={"warehouse_id": "PNQ", "item_code": "OIL", "quantity": "40",
                                                  "bin_code": "DOCK"}, headers=tok["wh"])
        assert r.status_code == 201, r.text
        r = await c.get("/atp", params={"items": "TEA,OIL"}, headers=tok["sales"])
        tea, oil = r.json()["items"]
        assert tea["available"] == "20.000" and tea["warehouses"][0]["confirmed"] == "30.000"
        assert oil["available"] == "0.000" and oil["warehouses"][0]["expected"] == "40.000"
        async with Reader(harness) as reader:
            await publish(harness, [order("o-tea", [("TEA", 12)]), order("o-oil", [("OIL", 1)])])
            [tea_msg] = await reader.wait("o-tea", "StockReserved")
            assert isinstance(tea_msg, StockReserved)
            batches = [(a.batch_no, a.quantity.value) for a in tea_msg.allocations[0].lines[0].allocations]
            assert batches == [("B-2612", 10), ("B-2701", 2)]
            [oil_msg] = await reader.wait("o-oil", "StockReservationFailed")
            assert isinstance(oil_msg, StockReservationFailed)
            assert oil_msg.shortfalls[0].short.value == 1


async def test_same_order_twice_reserves_once_and_release_by_the_same_key(
    harness: ServiceHarness, issuer: LocalIssuer
) -> None:
    svc = await harness.start(DEFINITION)
    await own_customer(svc)  # the coordinator token may read cus-1
    tok = tokens(issuer)
    await seed_items(svc, "PUMP")
    async with svc.client() as c:
        await add_warehouses(c, tok["wh"], PNQ)
        await put_stock(c, tok["wh"], "PNQ", "PUMP", 10)
        async with Reader(harness) as reader:
            confirmed = order("o-twice", [("PUMP", 6)])
            await publish(harness, [confirmed])
            await reader.wait("o-twice", "StockReserved")
            await publish(harness, [confirmed])  # sales re-sent it: a new message id, the same order
            await reader.wait("o-twice", "StockReserved", count=2)
            assert await scalar(svc, "SELECT sum(reserved) FROM reservation WHERE order_id = 'o-twice'") == 6
            r = await c.get("/atp", params={"items": "PUMP"}, headers=tok["sales"])
            assert r.json()["items"][0]["available"] == "4.000"

            await publish(harness, [release("o-twice", "rel-1")])
            [released] = await reader.wait("o-twice", "ReservationReleased")
            assert isinstance(released, ReservationReleased) and released.request_id == "rel-1"
            assert [(ln.line_no, ln.quantity.value, ln.warehouse_id) for ln in released.lines] == [(1, 6, "PNQ")]
            await publish(harness, [release("o-twice", "rel-1")])  # re-sent: same answer, nothing more
            [_, again] = await reader.wait("o-twice", "ReservationReleased", count=2)
            assert isinstance(again, ReservationReleased) and again.lines == released.lines
            r = await c.get("/atp", params={"items": "PUMP"}, headers=tok["sales"])
            assert r.json()["items"][0]["available"] == "10.000"
            r = await c.get("/reservations", params={"order_id": "o-twice"}, headers=tok["sales"])
            assert [(x["status"], x["reserved"], x["released"]) for x in r.json()] == [("released", "0.000", "6.000")]


async def test_gate_out_issues_stock_once(harness: ServiceHarness, issuer: LocalIssuer) -> None:
    svc = await harness.start(DEFINITION)
    await own_customer(svc)  # the coordinator token may read cus-1
    tok = tokens(issuer)
    await seed_items(svc, "PUMP")
    async with svc.client() as c:
        await add_warehouses(c, tok["wh"], PNQ)
        await put_stock(c, tok["wh"], "PNQ", "PUMP", 10)
        async with Reader(harness) as reader:
            await publish(harness, [order("o-gate", [("PUMP", 4)])])
            await reader.wait("o-gate", "StockReserved")
            gate_out = dispatched("o-gate", "shp-1", "PNQ", [(1, "PUMP", 4)])
            await publish(harness, [gate_out, gate_out], producer_name="dispatch")
            [issued] = await reader.wait("o-gate", "StockIssued")
            assert isinstance(issued, StockIssued) and issued.lines[0].quantity.value == 4
            await reader.quiet(2.0)
            assert len(reader.of("o-gate", "StockIssued")) == 1
        assert await scalar(svc, "SELECT count(*) FROM stock_movement WHERE movement_type = 'issue'") == 1
        r = await c.get("/stock", params={"warehouse_id": "PNQ", "item_code": "PUMP"}, headers=tok["wh"])
        assert {b["bin_code"]: b["confirmed"] for b in r.json()}["A-01"] == "6.000"
        r = await c.get("/reservations", params={"order_id": "o-gate"}, headers=tok["sales"])
        assert [(x["status"], x["issued"]) for x in r.json()] == [("issued", "4.000")]


async def test_reserve_stock_command_reserves_more_and_answers_with_the_request_id(
    harness: ServiceHarness, issuer: LocalIssuer
) -> None:
    svc = await harness.start(DEFINITION)
    await own_customer(svc)  # the coordinator token may read cus-1
    tok = tokens(issuer)
    await seed_items(svc, "PUMP")
    async with svc.client() as c:
        await add_warehouses(c, tok["wh"], PNQ)
        await put_stock(c, tok["wh"], "PNQ", "PUMP", 4)
        async with Reader(harness) as reader:
            await publish(harness, [order("o-more", [("PUMP", 10)])])
            await reader.wait("o-more", "StockPartiallyReserved")
            await put_stock(c, tok["wh"], "PNQ", "PUMP", 3)  # fills 3 of the backorder of 6
            await reader.wait("o-more", "BackorderFilled")
            await put_stock(c, tok["wh"], "PNQ", "PUMP", 10)  # fills the last 3, 7 left over
            await reader.wait("o-more", "BackorderFilled", count=2)
            await publish(harness, [reserve_more("o-more", "rs-1", [(1, "PUMP", 5)])])
            [reply] = await reader.wait("o-more", "StockReserved")
            assert isinstance(reply, StockReserved) and reply.request_id == "rs-1"
            assert reply.allocations[0].lines[0].quantity.value == 5
        assert await scalar(svc, "SELECT sum(reserved) FROM reservation WHERE order_id = 'o-more'") == 15


async def test_item_replica_from_sales_events(harness: ServiceHarness, issuer: LocalIssuer) -> None:
    svc = await harness.start(DEFINITION)
    await own_customer(svc)  # the coordinator token may read cus-1
    await publish(harness, [item_created("VALVE", revision=2), item_created("VALVE", batch_tracked=True, revision=1)])

    async def known() -> bool:
        return bool(await scalar(svc, "SELECT revision = 2 AND NOT batch_tracked FROM item WHERE item_code='VALVE'"))
    await wait_for(known, what="item replica at revision 2 (the older revision ignored)")
    assert await known(), "a later, older revision must not overwrite the replica"
    del issuer


async def test_amendment_replaces_the_reservation_and_partial_release_and_cancellation(
    harness: ServiceHarness, issuer: LocalIssuer
) -> None:
    from datetime import UTC, datetime

    from o2c.contracts.samples import sample
    from o2c.contracts.types import Quantity, Uqc
    from o2c.contracts.v1.common import LineQuantity
    from o2c.contracts.v1.sales import BackorderedLine, OrderAmended, OrderBackordered, OrderCancelled
    from o2c.testsupport.inventory.inventory_support import PNQ

    svc = await harness.start(DEFINITION)

    await own_customer(svc)  # the coordinator token may read cus-1
    tok = tokens(issuer)
    await seed_items(svc, "PUMP", "VALVE")
    async with svc.client() as c:
        await add_warehouses(c, tok["wh"], PNQ)
        await put_stock(c, tok["wh"], "PNQ", "PUMP", 10)
        await put_stock(c, tok["wh"], "PNQ", "VALVE", 10)
        async with Reader(harness) as reader:
            first = order("o-am", [("PUMP", 4), ("VALVE", 12)])
            await publish(harness, [first])
            await reader.wait("o-am", "StockPartiallyReserved")
            amended = OrderAmended(**{**first.model_dump(exclude={"confirmed_at"}), "revision": 2,
                                      "lines": [ln.model_copy(update={"quantity": Quantity(value=Decimal(7),
                                                                                           unit=Uqc.NOS)})
                                                for ln in first.lines[:1]]},
                                   amended_at=datetime.now(UTC), previous_gross_value=Decimal("1.00"),
                                   reason="customer dropped the valves")
            await publish(harness, [amended])
            [reply] = await reader.wait("o-am", "StockReserved")
            assert isinstance(reply, StockReserved) and reply.order_revision == 2
            assert shipments(reply) == {"PNQ": {1: Decimal(7)}}
            r = await c.get("/reservations", params={"order_id": "o-am"}, headers=tok["sales"])
            assert {(x["line_no"], x["reserved"]) for x in r.json()} == {(1, "7.000"), (2, "0.000")}
            assert (await c.get("/backorders", params={"order_id": "o-am"}, headers=tok["sales"])).json() == []
            r = await c.get("/atp", params={"items": "PUMP,VALVE"}, headers=tok["sales"])
            assert [i["available"] for i in r.json()["items"]] == ["3.000", "10.000"]

            # Release 2 of line 1 only; the rest stays reserved.
            partial = release("o-am", "rel-part").model_copy(update={"lines": [LineQuantity(
                line_no=1, item_code="PUMP", quantity=Quantity(value=Decimal(2), unit=Uqc.NOS))]})
            await publish(harness, [partial])
            [released] = await reader.wait("o-am", "ReservationReleased")
            assert isinstance(released, ReservationReleased)
            assert [(ln.line_no, ln.quantity.value) for ln in released.lines] == [(1, 2)]
            assert await scalar(svc, "SELECT reserved FROM reservation WHERE order_id='o-am' AND line_no=1") == 5

            # The coordinator backorders 5 more of line 1, then the customer cancels: the backorder closes.
            backordered = sample(OrderBackordered).model_copy(update={
                "order_id": "o-am", "lines": [BackorderedLine(line_no=1, item_code="PUMP",
                                                              quantity=Quantity(value=Decimal(5), unit=Uqc.NOS))]})
            await publish(harness, [backordered])

            async def waiting() -> object:
                rows = (await c.get("/backorders", params={"order_id": "o-am"}, headers=tok["sales"])).json()
                return rows if rows and rows[0]["remaining"] == "5.000" else None
            await wait_for(waiting, what="backorder of 5")
            await publish(harness, [sample(OrderCancelled).model_copy(update={"order_id": "o-am"})])

            async def closed() -> bool:
                return (await c.get("/backorders", params={"order_id": "o-am"}, headers=tok["sales"])).json() == []
            await wait_for(closed, what="backorder cancelled")
            # Nothing stays promised to a cancelled order; the coordinator's ReleaseReservation finds nothing.
            assert await scalar(svc, "SELECT sum(reserved) FROM reservation WHERE order_id = 'o-am'") == 0
            await publish(harness, [release("o-am", "rel-after-cancel")])
            [_, after] = await reader.wait("o-am", "ReservationReleased", count=2)
            assert isinstance(after, ReservationReleased) and after.lines == []


async def test_reserve_stock_never_takes_from_excluded_bins(harness: ServiceHarness, issuer: LocalIssuer) -> None:
    from o2c.testsupport.inventory.inventory_support import PNQ

    svc = await harness.start(DEFINITION)

    await own_customer(svc)  # the coordinator token may read cus-1
    tok = tokens(issuer)
    await seed_items(svc, "PUMP")
    async with svc.client() as c:
        await add_warehouses(c, tok["wh"], PNQ)
        await put_stock(c, tok["wh"], "PNQ", "PUMP", 10, "A-01")
        await put_stock(c, tok["wh"], "PNQ", "PUMP", 2, "A-02")
        async with Reader(harness) as reader:
            await publish(harness, [order("o-ex", [("PUMP", 5)])])
            await reader.wait("o-ex", "StockReserved")
            await publish(harness, [reserve_more("o-ex", "rs-ex", [(1, "PUMP", 3)], exclude_bins=["A-01"])])
            [reply] = await reader.wait("o-ex", "StockPartiallyReserved")
            assert isinstance(reply, StockPartiallyReserved) and reply.request_id == "rs-ex"
            assert [(a.bin_code, a.quantity.value) for a in reply.allocations[0].lines[0].allocations] == [("A-02", 2)]
            assert reply.shortfalls[0].short.value == 1
        r = await c.get("/atp", params={"items": "PUMP"}, headers=tok["sales"])
        assert r.json()["items"][0]["available"] == "5.000"  # 12 − 5 − 2; A-01 is promisable again afterwards
