"""Stock between warehouses and from suppliers over HTTP and the broker: a delivery challan within one GSTIN,
goods in transit promised nowhere until the receiver confirms them (short and damaged recorded), a branch
transfer valued from the finance head's transfer price list, a short receipt against a purchase order, and a
backorder that expects a transfer's arrival (on sales' order page, fed from the topics) and is filled when it
arrives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from o2c.contracts.samples import sample
from o2c.contracts.v1.inventory import BackorderFilled, BackorderRescheduled, StockTransferDispatched
from o2c.contracts.v1.sales import BackorderedLine, OrderBackordered
from o2c.india.calendar import FinancialYear, business_date
from o2c.inventory.app import DEFINITION
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import RunningService, ServiceHarness, bearer, wait_for
from o2c.testsupport.inventory.inventory_support import (
    BLR,
    PNQ,
    Reader,
    add_warehouses,
    order,
    publish,
    put_stock,
    scalar,
    seed_items,
    tokens,
)
from o2c.testsupport.sales.tracking_support import TRACKING_ONLY

pytestmark = pytest.mark.integration

BOM = {"code": "BOM", "name": "Mumbai DC", "line1": "Gala 3, Bhiwandi Road", "place": "Mumbai", "state_code": "27",
       "pincode": "400001", "gstin": PNQ["gstin"]}  # Pune's registration: one GSTIN, two places of business


def _tokens(issuer: LocalIssuer) -> dict[str, dict[str, str]]:
    return tokens(issuer) | {
        "wh_bom": bearer(issuer, "warehouse_coordinator", warehouse_ids=["BOM"]),
        "all": bearer(issuer, "warehouse_coordinator", warehouse_ids=["PNQ", "BOM", "BLR"]),
        "picker": bearer(issuer, "picker", warehouse_ids=["PNQ", "BOM"]),
        "fin_head": bearer(issuer, "finance_head", approval_limit="500000"),
    }


async def _dispatched(reader: Reader, transfer_id: str) -> StockTransferDispatched:
    """The StockTransferDispatched of a transfer, once the relay has published it."""
    async def probe() -> StockTransferDispatched | None:
        await reader.poll()
        found = [m for m in reader.seen if isinstance(m, StockTransferDispatched) and m.transfer_id == transfer_id]
        return found[0] if found else None
    return await wait_for(probe, timeout=30, what=f"StockTransferDispatched of {transfer_id}")


async def _page_backorder_date(sales: RunningService, headers: dict[str, str], order_id: str,
                               wanted: str | None = None) -> str:
    """The expected date of the order's backorder on sales' order page, once it shows one (and `wanted`)."""
    async def probe() -> str | None:
        async with sales.client() as c:
            r = await c.get(f"/tracking/orders/{order_id}", headers=headers)
        if r.status_code != 200 or not r.json()["backorders"]:
            return None
        found = str(r.json()["backorders"][0]["expected_date"])
        return found if wanted is None or found == wanted else None
    return await wait_for(probe, timeout=30, what=f"the backorder of {order_id} on the order page")


async def _available(c: Any, tok: dict[str, str], warehouse: str) -> str:
    r = await c.get("/atp", params={"items": "PUMP", "warehouse": warehouse}, headers=tok)
    rows = r.json()["items"][0]["warehouses"]
    return str(rows[0]["available"]) if rows else "0.000"


async def test_a_challan_within_one_gstin_and_goods_in_transit_promised_only_once_received(
        harness: ServiceHarness, issuer: LocalIssuer) -> None:
    svc = await harness.start(DEFINITION, consumer=False)
    tok = _tokens(issuer)
    await seed_items(svc, "PUMP")
    async with svc.client() as c, Reader(harness) as reader:
        await add_warehouses(c, tok["all"], PNQ, BOM)
        await put_stock(c, tok["all"], "PNQ", "PUMP", 10)
        body = {"from_warehouse_id": "PNQ", "to_warehouse_id": "BOM", "lines": [{"item_code": "PUMP", "quantity": "6"}]}
        assert (await c.post("/transfers", json=body, headers=tok["wh_bom"])).status_code == 403  # not Pune's staff
        assert (await c.post("/transfers", json=body, headers=tok["picker"])).status_code == 403  # not a picker's act
        r = await c.post("/transfers", json={**body, "lines": [{"item_code": "NOPE", "quantity": "1"}]},
                         headers=tok["wh_pnq"])
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lines.0.item_code", r.text
        r = await c.post("/transfers", json={**body, "lines": [{"item_code": "PUMP", "quantity": "11"}]},
                         headers=tok["wh_pnq"])
        assert r.status_code == 409, r.text
        key = {"Idempotency-Key": "trf-1"}
        first = await c.post("/transfers", json=body, headers=tok["wh_pnq"] | key)
        again = await c.post("/transfers", json=body, headers=tok["wh_pnq"] | key)
        assert first.status_code == again.status_code == 201, first.text
        sent = first.json()
        assert again.json()["repeated"] is True and again.json()["transfer_no"] == sent["transfer_no"]
        year = FinancialYear.of(business_date(datetime.now(UTC)))
        assert sent["transfer_no"] == f"TRF/{year.short}/000001"
        challan = sent["challan"]
        assert challan["title"] == "Delivery challan" and challan["challan_no"] == sent["transfer_no"]
        assert challan["consignor"]["gstin"] == challan["consignee"]["gstin"] == PNQ["gstin"]
        assert challan["consignee"]["place"] == "Mumbai" and challan["lines"][0]["hsn"] == "84137010"

        # In transit: six gone from Pune, none promised in Mumbai.
        assert await _available(c, tok["sales"], "PNQ") == "4.000"
        assert await _available(c, tok["sales"], "BOM") == "0.000"
        r = await c.get("/transfers", params={"status": "in_transit"}, headers=tok["wh_bom"])
        assert [t["transfer_no"] for t in r.json()] == [sent["transfer_no"]]

        receipt = {"lines": [{"line_no": 1, "received": "4", "bin_code": "A-01", "damaged": "1",
                              "damaged_bin_code": "QC"}]}
        path = f"/transfers/{sent['transfer_id']}/receipt"
        assert (await c.post(path, json=receipt, headers=tok["wh_pnq"])).status_code == 403  # Mumbai receives
        r = await c.post(path, json={"lines": [{**receipt["lines"][0], "damaged_bin_code": "A-02"}]},
                         headers=tok["wh_bom"])
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lines.0.damaged_bin_code", r.text
        r = await c.post(path, json=receipt, headers=tok["wh_bom"])
        assert r.status_code == 201, r.text
        assert [(ln["received"], ln["damaged"], ln["short"]) for ln in r.json()["lines"]] == [("4", "1", "1")]
        assert (await c.post(path, json=receipt, headers=tok["wh_bom"] | {"Idempotency-Key": "x"})).status_code == 409
        assert await _available(c, tok["sales"], "BOM") == "4.000"  # the damaged one waits in quarantine
        r = await c.get("/stock/movements", params={"warehouse_id": "BOM", "item_code": "PUMP"}, headers=tok["all"])
        assert [m["type"] for m in r.json()] == ["transfer_in", "transfer_in"]
        event = await _dispatched(reader, sent["transfer_id"])
        assert event.transfer_no == sent["transfer_no"] and event.kind.value == "delivery_challan"
    assert await scalar(svc, "SELECT count(*) FROM outbox WHERE type = 'StockTransferDispatched'") == 1


async def test_a_branch_transfer_is_valued_from_the_finance_head_s_transfer_price_list(
        harness: ServiceHarness, issuer: LocalIssuer) -> None:
    svc = await harness.start(DEFINITION, consumer=False)
    tok = _tokens(issuer)
    await seed_items(svc, "PUMP")
    async with svc.client() as c, Reader(harness) as reader:
        await add_warehouses(c, tok["all"], PNQ, BLR)
        await put_stock(c, tok["all"], "PNQ", "PUMP", 5)
        body = {"from_warehouse_id": "PNQ", "to_warehouse_id": "BLR", "lines": [{"item_code": "PUMP", "quantity": "2"}]}
        r = await c.post("/transfers", json=body, headers=tok["all"])
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lines.0.item_code", r.text
        price = {"item_code": "PUMP", "unit_price": "4500.50", "effective_from": "2026-04-01"}
        assert (await c.put("/transfer-prices", json=price, headers=tok["all"])).status_code == 403
        assert (await c.put("/transfer-prices", json=price, headers=tok["head"])).status_code == 403
        r = await c.put("/transfer-prices", json={**price, "unit_price": "-1"}, headers=tok["fin_head"])
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "unit_price", r.text
        assert (await c.put("/transfer-prices", json=price, headers=tok["fin_head"])).status_code == 200
        r = await c.post("/transfers", json=body, headers=tok["all"])
        assert r.status_code == 201, r.text
        sent = r.json()
        assert sent["kind"] == "branch_transfer" and sent["tax_regime"] == "igst" and sent["place_of_supply"] == "29"
        assert sent["total_taxable_value"] == "9001.00" and sent["tax_invoice"]["status"] == "not yet raised"
        assert sent["distance_km"] > 600
        r = await c.get(f"/transfers/{sent['transfer_id']}", headers=tok["fin_head"])
        assert r.status_code == 200 and r.json()["transfer_no"] == sent["transfer_no"]
        assert (await c.get(f"/transfers/{sent['transfer_id']}", headers=tok["wh_bom"])).status_code == 403
        event = await _dispatched(reader, sent["transfer_id"])
    assert (event.supplier.gstin, event.recipient.gstin) == (PNQ["gstin"], BLR["gstin"])
    assert [(ln.hsn, ln.quantity.value, ln.taxable_value) for ln in event.lines] == [
        ("84137010", Decimal(2), Decimal("9001.00"))]


async def test_a_short_receipt_against_a_purchase_order_is_put_away_and_records_its_shortfall(
        harness: ServiceHarness, issuer: LocalIssuer) -> None:
    svc = await harness.start(DEFINITION, consumer=False)
    tok = _tokens(issuer)
    await seed_items(svc, "PUMP")
    async with svc.client() as c:
        await add_warehouses(c, tok["all"], PNQ)
        today = business_date(datetime.now(UTC))
        body = {"warehouse_id": "PNQ", "supplier_gstin": "29AABCR1718E1ZL", "supplier_name": "Kirloskar Pumps",
                "po_no": "PO/26-27/0042", "po_date": (today - timedelta(days=3)).isoformat(),
                "lines": [{"po_line_no": 1, "item_code": "PUMP", "ordered": "10", "quantity": "6", "bin_code": "A-01"}]}
        r = await c.post("/purchase-receipts", json={**body, "supplier_gstin": "29AAFCA7488L1Z0"}, headers=tok["all"])
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "supplier_gstin", r.text
        assert (await c.post("/purchase-receipts", json=body, headers=tok["picker"])).status_code == 403
        r = await c.post("/purchase-receipts", json=body, headers=tok["wh_pnq"] | {"Idempotency-Key": "grn-1"})
        assert r.status_code == 201, r.text
        receipt = r.json()
        assert receipt["short_receipt"] is True and receipt["receipt_no"].endswith("/000001")
        assert [(ln["received"], ln["shortfall"], ln["put_away"]) for ln in receipt["lines"]] == [
            ("6.000", "4.000", True)]
        assert await _available(c, tok["sales"], "PNQ") == "6.000"
        r = await c.get(f"/purchase-receipts/{receipt['receipt_id']}", headers=tok["fin_head"])
        assert r.status_code == 200 and r.json()["po_no"] == "PO/26-27/0042"


async def test_a_backorder_expects_the_transfer_that_fills_it_on_the_order_page_and_is_filled_when_it_arrives(
        harness: ServiceHarness, issuer: LocalIssuer) -> None:
    svc = await harness.start(DEFINITION)
    sales = await harness.start(TRACKING_ONLY)  # sales' order page, fed from the topics
    tok = _tokens(issuer)
    coordinator = bearer(issuer, "sales_coordinator")
    await seed_items(svc, "PUMP", lead_time_days=14)
    async with svc.client() as c, Reader(harness) as reader:
        await add_warehouses(c, tok["all"], PNQ, BOM)
        await put_stock(c, tok["all"], "BOM", "PUMP", 3)
        r = await c.put("/stock/safety", json={"warehouse_id": "BOM", "item_code": "PUMP", "safety_stock": "3"},
                        headers=tok["all"])
        assert r.status_code == 200
        confirmed = order("o-trf", [("PUMP", 3)])
        await publish(harness, [confirmed])
        [failed] = await reader.wait("o-trf", "StockReservationFailed")
        today = business_date(datetime.now(UTC))
        lead_time_date = today + timedelta(days=14)
        # The coordinator backorders the line with inventory's date (here published as sales would).
        await publish(harness, [sample(OrderBackordered).model_copy(update={
            "order_id": "o-trf", "order_no": confirmed.order_no, "backordered_at": datetime.now(UTC),
            "lines": [BackorderedLine(line_no=1, item_code="PUMP", quantity=confirmed.lines[0].quantity,
                                      expected_date=failed.shortfalls[0].expected_date)]})])
        assert await _page_backorder_date(sales, coordinator, "o-trf") == lead_time_date.isoformat()
        arrival = today + timedelta(days=2)
        r = await c.post("/transfers", json={"from_warehouse_id": "BOM", "to_warehouse_id": "PNQ",
                                             "lines": [{"item_code": "PUMP", "quantity": "3"}],
                                             "expected_arrival": arrival.isoformat()}, headers=tok["all"])
        assert r.status_code == 201, r.text
        transfer_id = r.json()["transfer_id"]
        [moved] = await reader.wait("o-trf", "BackorderRescheduled")
        assert isinstance(moved, BackorderRescheduled) and moved.lines[0].expected_date == arrival
        r = await c.get("/backorders", params={"order_id": "o-trf"}, headers=tok["all"])
        assert r.json()[0]["expected_date"] == arrival.isoformat()
        assert await _page_backorder_date(sales, coordinator, "o-trf", arrival.isoformat()) == arrival.isoformat()
        r = await c.post(f"/transfers/{transfer_id}/receipt",
                         json={"lines": [{"line_no": 1, "received": "3", "bin_code": "A-01"}]}, headers=tok["all"])
        assert r.status_code == 201 and r.json()["backorders_filled"] == 1, r.text
        [filled] = await reader.wait("o-trf", "BackorderFilled")
        assert isinstance(filled, BackorderFilled) and filled.allocations[0].warehouse_id == "PNQ"
        assert failed.shortfalls[0].expected_date == lead_time_date
