"""The warehouse floor over HTTP and the broker: warehouses checked against the pincode directory and GSTIN,
warehouse scope, idempotent movements with a ledger, short picks re-reserved from another bin, returns."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from o2c.contracts.samples import sample
from o2c.contracts.types import Quantity, Uqc
from o2c.contracts.v1.common import BatchAllocation
from o2c.contracts.v1.dispatch import PickConfirmed
from o2c.contracts.v1.inventory import GoodsReturned, StockReserved
from o2c.contracts.v1.sales import ReturnAuthorised, ReturnLine, ReturnReason
from o2c.india.calendar import business_date
from o2c.inventory.app import DEFINITION
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import ServiceHarness, wait_for
from o2c.testsupport.inventory.inventory_support import (
    AMD,
    BINS,
    PNQ,
    Reader,
    add_warehouses,
    order,
    own_customer,
    publish,
    put_stock,
    reserve_more,
    scalar,
    seed_items,
    tokens,
)

pytestmark = pytest.mark.integration


def nos(n: int) -> Quantity:
    return Quantity(value=Decimal(n), unit=Uqc.NOS)


def short_pick(order_id: str, requested: int, picked: int, bins: list[str]) -> PickConfirmed:
    return sample(PickConfirmed).model_copy(update={
        "order_id": order_id, "shipment_id": f"shp-{order_id}", "pick_list_id": f"pl-{order_id}", "line_no": 1,
        "item_code": "PUMP", "requested": nos(requested), "picked": nos(picked), "short": nos(requested - picked),
        "short_reason": "bin found short", "short_bins": bins,
        "batches": [BatchAllocation(quantity=nos(picked), bin_code=bins[0])], "confirmed_at": datetime.now(UTC)})


async def test_warehouse_registration_checks_pincode_state_and_gstin(harness: ServiceHarness,
                                                                     issuer: LocalIssuer) -> None:
    svc = await harness.start(DEFINITION, consumer=False)
    tok = tokens(issuer)
    async with svc.client() as c:
        r = await c.post("/warehouses", json={**PNQ, "gstin": "24AABCR1718E1ZV", "bins": BINS}, headers=tok["wh"])
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "gstin", r.text
        r = await c.post("/warehouses", json={**PNQ, "pincode": "380001", "bins": BINS}, headers=tok["wh"])
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "pincode", r.text
        r = await c.post("/warehouses", json={**PNQ, "gstin": "27AABCR1718E1Z0", "bins": BINS}, headers=tok["wh"])
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "gstin", r.text
        r = await c.post("/warehouses", json={**PNQ, "bins": BINS}, headers=tok["sales"])
        assert r.status_code == 403
        r = await c.post("/warehouses", json={**PNQ, "bins": BINS}, headers=tok["wh"])
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["coordinates_source"] == "head_office" and body["latitude"].startswith("18.5")
        assert [b["code"] for b in body["bins"]] == [b["code"] for b in BINS]
        r = await c.post("/warehouses", json={**PNQ, "bins": []}, headers=tok["wh"])
        assert r.status_code == 409


async def test_movements_are_scoped_idempotent_and_in_the_ledger(harness: ServiceHarness, issuer: LocalIssuer) -> None:
    svc = await harness.start(DEFINITION, consumer=False)
    tok = tokens(issuer)
    await seed_items(svc, "PUMP")
    async with svc.client() as c:
        await add_warehouses(c, tok["wh"], PNQ, AMD)
        receipt = {"warehouse_id": "AMD", "item_code": "PUMP", "quantity": "10", "bin_code": "DOCK"}
        r = await c.post("/stock/receipts", json=receipt, headers=tok["wh_pnq"])
        assert r.status_code == 403  # a Pune coordinator has no scope at Ahmedabad
        r = await c.post("/stock/receipts", json={**receipt, "item_code": "NOPE"}, headers=tok["wh"])
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "item_code"
        receipt["warehouse_id"] = "PNQ"
        key = {"Idempotency-Key": "rcpt-1"}
        first = await c.post("/stock/receipts", json=receipt, headers=tok["wh_pnq"] | key)
        again = await c.post("/stock/receipts", json=receipt, headers=tok["wh_pnq"] | key)
        assert first.status_code == again.status_code == 201
        assert again.json()["repeated"] is True and again.json()["movement"] == first.json()["movement"]
        assert first.json()["expected"] == "10.000" and first.json()["available"] == "0.000"
        r = await c.post("/stock/putaways", json={"warehouse_id": "PNQ", "item_code": "PUMP", "quantity": "12",
                                                  "from_bin": "DOCK", "to_bin": "A-01"}, headers=tok["wh"])
        assert r.status_code == 409  # only 10 expected
        r = await c.post("/stock/putaways", json={"warehouse_id": "PNQ", "item_code": "PUMP", "quantity": "10",
                                                  "from_bin": "DOCK", "to_bin": "A-01"}, headers=tok["wh"])
        assert r.status_code == 201 and r.json()["available"] == "10.000"
        r = await c.post("/stock/transfers", json={"warehouse_id": "PNQ", "item_code": "PUMP", "quantity": "3",
                                                   "from_bin": "A-01", "to_bin": "A-02"}, headers=tok["wh"])
        assert r.status_code == 201, r.text
        r = await c.post("/stock/adjustments", json={"warehouse_id": "PNQ", "item_code": "PUMP", "change": "-1",
                                                     "bin_code": "A-02", "reason": "carton crushed"}, headers=tok["wh"])
        assert r.status_code == 201, r.text
        r = await c.post("/stock/counts", json={"warehouse_id": "PNQ", "item_code": "PUMP", "counted": "8",
                                                "bin_code": "A-01"}, headers=tok["wh"])
        assert r.status_code == 201 and r.json()["confirmed"] == "10.000", r.text
        r = await c.put("/stock/safety", json={"warehouse_id": "PNQ", "item_code": "PUMP", "safety_stock": "2"},
                        headers=tok["wh"])
        assert r.status_code == 200
        r = await c.get("/atp", params={"items": "PUMP", "warehouse": "PNQ"}, headers=tok["sales"])
        assert r.json()["items"][0]["warehouses"][0] == {
            "warehouse_id": "PNQ", "state_code": "27", "confirmed": "10.000", "expected": "0.000", "reserved": "0.000",
            "safety": "2.000", "available": "8.000"}
        r = await c.get("/atp", params={"items": "PUMP"}, headers=tok["customer"])
        assert r.status_code == 403
        r = await c.get("/stock/movements", params={"warehouse_id": "PNQ", "item_code": "PUMP"}, headers=tok["wh"])
        assert [m["type"] for m in r.json()] == ["receipt", "putaway", "bin_transfer", "adjustment", "cycle_count"]
    assert await scalar(svc, "SELECT count(*) FROM stock_movement") == 5


async def test_short_pick_is_re_reserved_from_another_bin_or_released(harness: ServiceHarness,
                                                                     issuer: LocalIssuer) -> None:
    svc = await harness.start(DEFINITION)
    await own_customer(svc)  # the coordinator token may read cus-1
    tok = tokens(issuer)
    await seed_items(svc, "PUMP")
    async with svc.client() as c:
        await add_warehouses(c, tok["wh"], PNQ)
        await put_stock(c, tok["wh"], "PNQ", "PUMP", 20, "A-01")
        await put_stock(c, tok["wh"], "PNQ", "PUMP", 5, "A-02")
        async with Reader(harness) as reader:
            await publish(harness, [order("o-sp", [("PUMP", 20)])])
            [reserved] = await reader.wait("o-sp", "StockReserved")
            assert isinstance(reserved, StockReserved)
            assert [a.bin_code for a in reserved.allocations[0].lines[0].allocations] == ["A-01"]
            # The picker finds 17 in A-01: the bin's book follows, 3 come from A-02, the line stays at 20.
            await publish(harness, [short_pick("o-sp", 20, 17, ["A-01"])], producer_name="dispatch")

            async def moved() -> object:
                r = await c.get("/reservations", params={"order_id": "o-sp"}, headers=tok["sales"])
                allocations = {a["bin_code"]: a["quantity"] for a in r.json()[0]["allocations"]}
                return allocations if allocations == {"A-01": "17.000", "A-02": "3.000"} else None
            await wait_for(moved, what="re-reservation from A-02")
            # The coordinator's ReserveStock for the short pick is answered by that re-reservation.
            await publish(harness, [reserve_more("o-sp", "rs-sp", [(1, "PUMP", 3)], exclude_bins=["A-01"])])
            await reader.wait("o-sp", "StockReserved", count=2)
            reply = reader.of("o-sp", "StockReserved")[-1]
            assert isinstance(reply, StockReserved) and reply.request_id == "rs-sp"
            assert [(a.bin_code, a.quantity.value) for a in reply.allocations[0].lines[0].allocations] == [
                ("A-02", 3)]
            assert await scalar(svc, "SELECT reserved FROM reservation WHERE order_id = 'o-sp'") == 20
            r = await c.get("/stock", params={"warehouse_id": "PNQ", "item_code": "PUMP"}, headers=tok["wh"])
            assert {b["bin_code"]: b["confirmed"] for b in r.json()} == {"A-01": "17.000", "A-02": "5.000",
                                                                          "DOCK": "0.000"}

        # No other stock: the line keeps 17, 3 are released (a backorder for the coordinator).
        await seed_items(svc, "VALVE")
        await put_stock(c, tok["wh"], "PNQ", "VALVE", 20, "A-01")
        await publish(harness, [order("o-sp2", [("VALVE", 20)])])

        async def reserved_20() -> bool:
            return await scalar(svc, "SELECT reserved FROM reservation WHERE order_id = 'o-sp2'") == 20
        await wait_for(reserved_20, what="o-sp2 reserved")
        pick = short_pick("o-sp2", 20, 17, ["A-01"]).model_copy(update={"item_code": "VALVE"})
        await publish(harness, [pick], producer_name="dispatch")

        async def released_3() -> bool:
            return bool(await scalar(svc, "SELECT reserved = 17 AND released = 3 FROM reservation "
                                          "WHERE order_id = 'o-sp2'"))
        await wait_for(released_3, what="17 kept, 3 released")


async def test_goods_returned_after_a_receipt_against_the_authorisation(harness: ServiceHarness,
                                                                       issuer: LocalIssuer) -> None:
    svc = await harness.start(DEFINITION)
    await own_customer(svc)  # the coordinator token may read cus-1
    tok = tokens(issuer)
    await seed_items(svc, "TEA", batch_tracked=True)
    async with svc.client() as c:
        await add_warehouses(c, tok["wh"], PNQ)
        authorised = sample(ReturnAuthorised).model_copy(update={
            "return_id": "rma-1", "order_id": "o-ret", "warehouse_id": "PNQ",
            "lines": [ReturnLine(invoice_line_no=1, item_code="TEA", hsn="09024020", quantity=nos(10),
                                 batch_no="TEA-B7", reason=ReturnReason.DAMAGED),
                      ReturnLine(invoice_line_no=2, item_code="TEA", hsn="09024020", quantity=nos(5),
                                 batch_no="TEA-B8", reason=ReturnReason.EXCESS_SUPPLY)]})
        await publish(harness, [authorised])

        async def noted() -> bool:
            return bool(await scalar(svc, "SELECT count(*) FROM return_authorisation WHERE return_id = 'rma-1'"))
        await wait_for(noted, what="return authorisation recorded")
        lines = [{"invoice_line_no": 1, "quantity": "10", "condition": "damaged", "bin_code": "A-01"}]
        r = await c.post("/returns/rma-1/receipts", json={"lines": lines}, headers=tok["wh"])
        assert r.status_code == 422  # damaged goods do not go to a storage bin
        lines = [{"invoice_line_no": 1, "quantity": "10", "condition": "damaged", "bin_code": "QC"},
                 {"invoice_line_no": 2, "quantity": "5", "condition": "saleable", "bin_code": "RET"}]
        async with Reader(harness) as reader:
            r = await c.post("/returns/rma-1/receipts", json={"lines": lines}, headers=tok["wh"])
            assert r.status_code == 201, r.text
            [returned] = await reader.wait("o-ret", "GoodsReturned")
            assert isinstance(returned, GoodsReturned)
            assert [(ln.invoice_line_no, ln.quantity.value, ln.condition.value, ln.batch_no)
                    for ln in returned.lines] == [(1, 10, "damaged", "TEA-B7"), (2, 5, "saleable", "TEA-B8")]
        r = await c.post("/returns/rma-1/receipts", json={"lines": lines}, headers=tok["wh"])
        assert r.status_code == 409
        # Saleable goods are promised only once put away.
        r = await c.get("/atp", params={"items": "TEA"}, headers=tok["sales"])
        assert r.json()["items"][0]["available"] == "0.000"
        r = await c.post("/stock/putaways", json={"warehouse_id": "PNQ", "item_code": "TEA", "quantity": "5",
                                                  "from_bin": "RET", "to_bin": "A-02", "batch_no": "TEA-B8"},
                         headers=tok["wh"])
        assert r.status_code == 201, r.text
        r = await c.get("/atp", params={"items": "TEA"}, headers=tok["sales"])
        assert r.json()["items"][0]["available"] == "5.000"


async def test_atp_promise_dates_by_stock_and_lead_time(harness: ServiceHarness, issuer: LocalIssuer) -> None:
    from o2c.inventory.adapters.unit_of_work import SqlUnitOfWork
    from o2c.inventory.service_layer.stock import upsert_item
    from o2c.testsupport.inventory.inventory_support import item_created

    svc = await harness.start(DEFINITION, consumer=False)
    tok = tokens(issuer)
    await seed_items(svc, "P-AV")
    await seed_items(svc, "P-LEAD", lead_time_days=4)
    await seed_items(svc, "P-NONE")
    async with svc.runtime.sessions() as session, session.begin():
        await upsert_item(SqlUnitOfWork(session), item_created("P-MTO", stocked=False, lead_time_days=10))
    async with svc.client() as c:
        await add_warehouses(c, tok["wh"], PNQ)
        await put_stock(c, tok["wh"], "PNQ", "P-AV", 3)
        await put_stock(c, tok["wh"], "PNQ", "P-MTO", 3)
        r = await c.get("/atp", params={"items": "P-NONE,P-AV,P-LEAD,P-MTO,P-UNK,P-AV"}, headers=tok["sales"])
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        today = business_date(datetime.now(UTC))
        got = {i["item_code"]: (i["known"], i["available"], i["promise_date"], len(i["warehouses"]))
               for i in r.json()["items"]}
        assert [i["item_code"] for i in r.json()["items"]] == ["P-NONE", "P-AV", "P-LEAD", "P-MTO", "P-UNK"]
        from datetime import timedelta
        assert got == {
            "P-NONE": (True, "0.000", None, 0),
            "P-AV": (True, "3.000", today.isoformat(), 1),
            "P-LEAD": (True, "0.000", (today + timedelta(days=4)).isoformat(), 0),
            "P-MTO": (True, "0.000", (today + timedelta(days=10)).isoformat(), 0),  # not stocked: by lead time
            "P-UNK": (False, "0.000", None, 0),
        }
