"""Issue 8's last acceptance line, end to end: a full order with two shipments, one short-picked and
backordered then filled, is closed only after the backorder ships.

All seven services and the IRP and NIC e-way bill sandboxes run as processes (real Kafka, real PostgreSQL);
every step is driven over HTTP by the person who does it; nothing of a service is imported.

The story: a Pune buyer orders hex bolts (stocked only in Pune) and MCBs (stocked only in Bengaluru), so the
order is released as two shipments. The Pune picker finds 17 of 20 boxes and no other bin holds the item:
the Pune shipment goes short and 3 boxes are backordered. Both shipments are invoiced, e-way-billed, gated
out and the customer is told of each — and the order stays open for the backorder. Stock then arrives in
Pune and is put away (BackorderFilled): the refill is released, picked, invoiced (no e-way bill needed for
₹5,310 within Maharashtra), gated out and told — and only now the order is closed.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from o2c.india.gstin import gstin_check_character
from o2c.kit import testing
from o2c.kit.local_issuer import LocalIssuer
from o2c.testsupport.process_chain import ProcessChain, running_chain

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]

D = Decimal
HOP = 120.0  # seconds for one hop of the chain on a loaded machine


def gstin(state: str, pan: str) -> str:
    head = f"{state}{pan}1Z"
    return head + gstin_check_character(head)


COMPANY_PAN = "AAKCS4719M"
WAREHOUSES = {
    "PNQ": {"code": "PNQ", "name": "Pune (Chakan) warehouse", "line1": "Gat No. 214, Chakan MIDC Phase II",
            "place": "Chakan", "district": "Pune", "state_code": "27", "pincode": "410501",
            "gstin": gstin("27", COMPANY_PAN)},
    "BLR": {"code": "BLR", "name": "Bengaluru (Peenya) warehouse", "line1": "No. 38, 2nd Phase, Peenya Industrial Area",
            "place": "Peenya", "district": "Bengaluru Urban", "state_code": "29", "pincode": "560058",
            "gstin": gstin("29", COMPANY_PAN)},
}
CUSTOMER_PINCODE = "411026"
BOLT = {"code": "FAS-HB-M16X80-88ZP", "name": "Hex Bolt M16 x 80 mm Gr 8.8 Zinc Plated (Box of 25)",
        "hsn": "73181500", "unit": "BOX", "product_line": "FAS"}
MCB = {"code": "ELE-MCB-4P-63A-C", "name": "MCB 4 pole 63 A C-curve", "hsn": "85362010", "unit": "NOS",
       "product_line": "ELE"}


# --- the chain ----------------------------------------------------------------------------------------------


Chain = ProcessChain
# What the story needs of the services' settings (O2C_<SERVICE>_<NAME>): a quick saga timer, the IRN worker
# polling often, the ATP call given time on a loaded machine.
SETTINGS = {"sales": {"atp_timeout_seconds": "5.0", "saga_tick_seconds": "0.5"},
            "invoicing": {"irn_poll_seconds": "0.1", "irn_retry_seconds": "0.5", "pdf_poll_seconds": "0.5"}}


@pytest.fixture
async def chain(scratch_databases: testing.TestDatabases, kafka_bootstrap: str, redis_url: str, jwks_file: str,
                issuer: LocalIssuer, run_prefix: str, tmp_path: Path) -> AsyncIterator[Chain]:
    """Every service and both portal sandboxes as processes, on this test's databases and topics; sales asks
    inventory for available-to-promise over HTTP as it does in production."""
    async with running_chain(scratch_databases, kafka_bootstrap, redis_url, jwks_file, tmp_path, issuer,
                             run_prefix=run_prefix, settings=SETTINGS, patience=HOP, poll=0.5) as chain:
        yield chain


# --- the people -------------------------------------------------------------------------------------------


@dataclass
class Site:
    """The people of one warehouse: coordinator, picker, dispatch supervisor (scoped to it)."""

    code: str
    warehouse: dict[str, str]
    picker: dict[str, str]
    supervisor: dict[str, str]


@dataclass
class People:
    head: dict[str, str]
    coordinator: dict[str, str]
    finance_head: dict[str, str]
    accountant: dict[str, str]
    sites: dict[str, Site]


def people(chain: Chain) -> People:
    sites = {code: Site(code,
                        warehouse=chain.who(f"WC-{code}", "warehouse_coordinator", warehouse_ids=[code]),
                        picker=chain.who(f"PK-{code}-1", "picker", warehouse_ids=[code]),
                        supervisor=chain.who(f"DS-{code}", "dispatch_supervisor", warehouse_ids=[code]))
             for code in WAREHOUSES}
    return People(
        head=chain.who("SH01", "sales_head"),
        coordinator=chain.who("SC01", "sales_coordinator", sales_owner="SC01"),
        finance_head=chain.who("FH01", "finance_head", approval_limit="10000000"),
        accountant=chain.who("AC01", "accountant"),
        sites=sites,
    )


# --- steps ------------------------------------------------------------------------------------------------


async def receive_and_put_away(chain: Chain, site: Site, item_code: str, quantity: str, to_bin: str,
                               grn: str) -> dict[str, Any]:
    key = uuid.uuid4().hex
    await chain.call("inventory", "POST", "/stock/receipts", site.warehouse, expect=201,
                     headers={"Idempotency-Key": key + "-r"},
                     json={"warehouse_id": site.code, "item_code": item_code, "quantity": quantity,
                           "bin_code": "RCV-01", "reference": grn})
    moved: dict[str, Any] = await chain.call(
        "inventory", "POST", "/stock/putaways", site.warehouse, expect=201, headers={"Idempotency-Key": key + "-p"},
        json={"warehouse_id": site.code, "item_code": item_code, "quantity": quantity, "from_bin": "RCV-01",
              "to_bin": to_bin, "reference": grn})
    return moved


async def open_company(chain: Chain, p: People) -> None:
    """Both warehouses with their bins, GST rates, the two items and their standard prices."""
    bins = [{"code": "RCV-01", "kind": "receiving"}, {"code": "A-01-01"}, {"code": "A-01-02"}]
    for code, address in WAREHOUSES.items():
        await chain.call("inventory", "POST", "/warehouses", p.sites[code].warehouse,
                         json={**address, "bins": bins}, expect=201)
    for item in (BOLT, MCB):
        await chain.call("sales", "POST", "/gst-rates", p.head, expect=201,
                         json={"hsn_prefix": item["hsn"], "rate": "18", "effective_from": "2025-09-22"})
    await chain.call("sales", "POST", "/items", p.head, json=[BOLT, MCB], expect=201)
    await chain.call("sales", "POST", "/price-lists", p.head, expect=201, json={
        "code": "STD", "name": "Standard FY 2026-27",
        "entries": [{"item_code": BOLT["code"], "unit_price": "1500.00", "valid_from": "2026-04-01",
                     "valid_to": "2027-03-31"},
                    {"item_code": MCB["code"], "unit_price": "6000.00", "valid_from": "2026-04-01",
                     "valid_to": "2027-03-31"}]})

    async def known() -> bool:
        atp = await chain.call("inventory", "GET", "/atp", p.coordinator,
                               params={"items": f"{BOLT['code']},{MCB['code']}"})
        return all(x["known"] for x in atp["items"])

    await chain.until("inventory to learn both items from ItemCreated", known)


async def approved_customer(chain: Chain, p: People) -> str:
    code, pan = "BHOSARI", "AAFCB5862R"
    body = {
        "code": code, "legal_name": "Bhosari Engineering Private Limited", "pan": pan,
        "gst_category": "registered", "payment_terms_days": 30, "price_list_code": "STD", "sales_owner": "SC01",
        "ship_policy": "ship_partial", "shortage_policy": "backorder", "requested_credit_limit": "1000000.00",
        "addresses": [{"address_id": "BILL", "name": "Bhosari Engineering", "line1": "Plot J-147, MIDC Bhosari",
                       "line2": "Bhosari I.E.", "place": "Pune", "district": "Pune", "state_code": "27",
                       "pincode": CUSTOMER_PINCODE, "gstin": gstin("27", pan)}],
        "contacts": [{"name": "Purchase desk", "email": "purchase@bhosari.example", "channels": ["email"]}],
    }
    created = await chain.call("sales", "POST", "/customers", p.coordinator, json=body, expect=201)
    await chain.call("sales", "POST", f"/customers/{created['customer_id']}/approve", p.head)
    customer_id: str = created["customer_id"]

    async def profile() -> bool:
        async with chain.client("credit", **p.finance_head) as client:
            found = await client.get(f"/credit-profiles/{customer_id}")
        return found.status_code == 200 and bool(found.json().get("credit_profile"))

    await chain.until("credit to open the profile from CustomerApproved", profile)
    return customer_id


async def the_order(chain: Chain, p: People, order_id: str) -> dict[str, Any]:
    order: dict[str, Any] = await chain.call("sales", "GET", f"/orders/{order_id}", p.coordinator)
    return order


async def open_pick_list(chain: Chain, site: Site, order_id: str) -> dict[str, Any]:
    async def issued() -> dict[str, Any] | None:
        lists = await chain.call("dispatch", "GET", "/pick-lists", site.picker,
                                 params={"warehouse": site.code, "status": "open"})
        return next((x for x in lists if x["order_id"] == order_id), None)

    found: dict[str, Any] = await chain.until(f"an open pick list at {site.code} (OrderReleased → dispatch)", issued)
    return found


async def ship(chain: Chain, p: People, site: Site, order_id: str, shipment_id: str, lr_no: str,
               vehicle: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The supervisor types Part B once; the invoice (with IRN) and the e-way bill decision arrive; gate-out.
    Returns the invoice and the e-way bill record as the accountant and the supervisor see them."""
    # No distance typed: dispatch estimates it from the pincodes (the NIC portal allows 10 % above its own).
    details = await chain.call("dispatch", "POST", f"/shipments/{shipment_id}/dispatch-details", site.supervisor,
                               json={"mode": "road", "vehicle_no": vehicle, "vehicle_type": "R",
                                     "driver_name": "Balasaheb Shinde", "driver_phone": "+919097760055",
                                     "transporter_id": "88AAFCD4512K1ZX",
                                     "transporter_name": "Deccan Roadways Private Limited", "lr_no": lr_no,
                                     "lr_date": date.today().isoformat()})
    assert details["dispatch_details"]["lr_no"] == lr_no

    async def invoiced() -> dict[str, Any] | None:
        found = await chain.call("invoicing", "GET", "/invoices", p.accountant, params={"order_id": order_id})
        return next((i for i in found if i["shipment_id"] == shipment_id and i["irn_status"] == "registered"), None)

    invoice: dict[str, Any] = await chain.until(f"the invoice with its IRN for the {site.code} shipment", invoiced)

    async def decided() -> dict[str, Any] | None:
        found = await chain.call("ewaybill", "GET", "/ewaybills", site.supervisor,
                                 params={"order_id": order_id, "shipment_id": shipment_id})
        return next((b for b in found if b["shipment_id"] == shipment_id and b["status"] != "pending"), None)

    bill: dict[str, Any] = await chain.until(f"the e-way bill decision for the {site.code} shipment", decided)

    async def documented() -> dict[str, Any] | None:
        found: dict[str, Any] = await chain.call("dispatch", "GET", f"/shipments/{shipment_id}", site.supervisor)
        return found if not found["waiting_for"] else None

    await chain.until(f"the {site.code} shipment to hold its documents (the gate)", documented)
    gone = await chain.call("dispatch", "POST", f"/shipments/{shipment_id}/gate-out", site.supervisor)
    assert gone["status"] == "dispatched"
    return invoice, bill


async def dispatch_notice(chain: Chain, p: People, order_id: str, shipment_id: str) -> dict[str, Any]:
    async def told() -> dict[str, Any] | None:
        sent = await chain.call("notify", "GET", "/notifications", p.coordinator, params={"order_id": order_id})
        return next((n for n in sent if n["kind"] == "dispatched" and n["shipment_id"] == shipment_id), None)

    notice: dict[str, Any] = await chain.until("the customer's dispatch notice (ShipmentDispatched → notify)", told)
    assert notice["status"] == "delivered", notice["detail"]
    assert (notice["channel"], notice["recipient"]) == ("email", "purchase@bhosari.example")
    return notice


# --- the story --------------------------------------------------------------------------------------------


async def test_an_order_shipped_from_two_warehouses_closes_only_after_its_backorder_ships(chain: Chain) -> None:
    p = people(chain)
    pnq, blr = p.sites["PNQ"], p.sites["BLR"]
    await open_company(chain, p)
    # Bolts only in Pune, MCBs only in Bengaluru.
    await receive_and_put_away(chain, pnq, BOLT["code"], "20", "A-01-01", "GRN-PNQ-1")
    await receive_and_put_away(chain, blr, MCB["code"], "10", "A-01-01", "GRN-BLR-1")
    customer_id = await approved_customer(chain, p)

    quotation = await chain.call("sales", "POST", "/quotations", p.coordinator, expect=201, json={
        "customer_id": customer_id, "ship_to_id": "BILL",
        "lines": [{"item_code": BOLT["code"], "quantity": "20"}, {"item_code": MCB["code"], "quantity": "10"}]})
    assert [[(w["warehouse_id"], D(w["available"])) for w in line["atp"]] for line in quotation["lines"]] == [
        [("PNQ", D("20"))], [("BLR", D("10"))]]
    order = await chain.call("sales", "POST", f"/quotations/{quotation['quotation_id']}/orders", p.coordinator,
                             json={"customer_po_no": "PO/26-27/0077"},
                             headers={"Idempotency-Key": f"po-{uuid.uuid4().hex[:8]}"}, expect=201)
    order_id = order["order_id"]

    # Released as two shipments: bolts from Pune, MCBs from Bengaluru.
    async def released() -> dict[str, Any] | None:
        found = await the_order(chain, p, order_id)
        return found if found["status"] == "released" and len(found["saga"]["shipments"]) == 2 else None

    seen = await chain.until("the order released as two shipments", released)
    assert sorted(s["warehouse_id"] for s in seen["saga"]["shipments"]) == ["BLR", "PNQ"]
    reservations = await chain.call("inventory", "GET", "/reservations", p.coordinator, params={"order_id": order_id})
    assert sorted((r["warehouse_id"], D(r["reserved"])) for r in reservations) == [("BLR", D("10")), ("PNQ", D("20"))]

    # Pune: the picker finds 17 of 20 and no other bin holds bolts → the shipment goes short, 3 backordered.
    pune_list = await open_pick_list(chain, pnq, order_id)
    assert [(x["item_code"], D(x["quantity"])) for x in pune_list["lines"]] == [(BOLT["code"], D("20"))]
    line_no = pune_list["lines"][0]["line_no"]
    await chain.call("dispatch", "POST", f"/pick-lists/{pune_list['pick_list_id']}/lines/{line_no}/confirm",
                     pnq.picker, json={"picked": "17", "bin_code": "A-01-01", "short_reason": "bin_short",
                                       "note": "three boxes missing"})
    pune_shipment = pune_list["shipment_id"]

    async def settled_short() -> dict[str, Any] | None:
        found: dict[str, Any] = await chain.call("dispatch", "GET", f"/shipments/{pune_shipment}", pnq.supervisor)
        return found if "pick_confirmation" not in found["waiting_for"] else None

    short = await chain.until("the short pick to settle (no re-reservation possible)", settled_short)
    assert [(D(x["picked"]), D(x["backordered"])) for x in short["lines"]] == [(D("17"), D("3"))]

    # Bengaluru: picked in full.
    blr_list = await open_pick_list(chain, blr, order_id)
    assert [(x["item_code"], D(x["quantity"])) for x in blr_list["lines"]] == [(MCB["code"], D("10"))]
    confirmed = await chain.call("dispatch", "POST",
                                 f"/pick-lists/{blr_list['pick_list_id']}/lines/{blr_list['lines'][0]['line_no']}"
                                 "/confirm", blr.picker, json={"picked": "10", "bin_code": "A-01-01"})
    assert confirmed["status"] == "picked"
    blr_shipment = blr_list["shipment_id"]

    # Both go out with their documents: Pune intra-state for what was picked, Bengaluru inter-state (IGST).
    pune_invoice, pune_bill = await ship(chain, p, pnq, order_id, pune_shipment, "DRW/245101", "MH12AB1234")
    assert [D(x["quantity"]["value"]) for x in pune_invoice["lines"]] == [D("17")]
    assert D(pune_invoice["totals"]["grand_total"]) == D("30090")  # 17 × 1,500 + 18 %: under ₹50,000
    assert pune_bill["status"] == "not_required"
    blr_invoice, blr_bill = await ship(chain, p, blr, order_id, blr_shipment, "DRW/245102", "KA01AB4321")
    assert (D(blr_invoice["totals"]["igst"]), D(blr_invoice["totals"]["grand_total"])) == (D("10800"), D("70800"))
    assert blr_bill["status"] == "generated", blr_bill.get("rejection")
    assert blr_bill["invoice_no"] == blr_invoice["invoice_no"]

    # The customer is told of each shipment, with its invoice …
    for shipment_id, invoice in ((pune_shipment, pune_invoice), (blr_shipment, blr_invoice)):
        notice = await dispatch_notice(chain, p, order_id, shipment_id)
        assert invoice["invoice_no"] in notice["body"]
    assert blr_bill["ewaybill_no"] in (await dispatch_notice(chain, p, order_id, blr_shipment))["body"]

    # … but the order stays open: 3 boxes of bolts are still owed.
    async def both_out_and_told() -> dict[str, Any] | None:
        found = await the_order(chain, p, order_id)
        out = [s for s in found["saga"]["shipments"] if s["state"] == "dispatched" and s["notified"]]
        return found if len(out) == 2 else None

    waiting = await chain.until("the coordinator to see both shipments dispatched and notified", both_out_and_told)
    assert [(b["line_no"], D(b["quantity"])) for b in waiting["saga"]["backorder"]] == [(line_no, D("3"))]
    # Every event on sales' topics handled by its use cases by now, the notices of both shipments among them:
    # a wrong close would have happened.
    await chain.caught_up("sales")
    waiting = await the_order(chain, p, order_id)
    assert waiting["status"] != "closed", "closed with a backorder still open"
    owed = await chain.call("inventory", "GET", "/backorders", p.coordinator, params={"order_id": order_id})
    assert [(b["item_code"], D(b["quantity"])) for b in owed] == [(BOLT["code"], D("3"))]

    async def told_of_backorder() -> dict[str, Any] | None:
        sent = await chain.call("notify", "GET", "/notifications", p.coordinator, params={"order_id": order_id})
        return next((n for n in sent if n["kind"] == "backordered"), None)

    later = await chain.until("the customer told that some items follow (OrderBackordered → notify)",
                              told_of_backorder)
    assert later["status"] == "delivered" and "follow later" in later["subject"], later

    # Stock arrives in Pune and is put away: the backorder is filled and a refill released to Pune.
    moved = await receive_and_put_away(chain, pnq, BOLT["code"], "10", "A-01-02", "GRN-PNQ-2")
    assert moved["backorders_filled"], moved

    refill = await open_pick_list(chain, pnq, order_id)
    assert refill["shipment_id"] not in (pune_shipment, blr_shipment)
    assert [(x["item_code"], x["bin_code"], D(x["quantity"])) for x in refill["lines"]] == [
        (BOLT["code"], "A-01-02", D("3"))]
    await chain.call("dispatch", "POST",
                     f"/pick-lists/{refill['pick_list_id']}/lines/{refill['lines'][0]['line_no']}/confirm",
                     pnq.picker, json={"picked": "3", "bin_code": "A-01-02"})
    refill_invoice, refill_bill = await ship(chain, p, pnq, order_id, refill["shipment_id"], "DRW/245103",
                                             "MH12AB1234")
    assert [D(x["quantity"]["value"]) for x in refill_invoice["lines"]] == [D("3")]
    assert D(refill_invoice["totals"]["grand_total"]) == D("5310")
    assert refill_bill["status"] == "not_required"
    notice = await dispatch_notice(chain, p, order_id, refill["shipment_id"])
    assert refill_invoice["invoice_no"] in notice["body"]

    # Only now is the order closed: three shipments out and told, nothing owed.
    async def closed() -> dict[str, Any] | None:
        found = await the_order(chain, p, order_id)
        return found if found["status"] == "closed" else None

    done = await chain.until("the order closed after the backorder shipped", closed)
    assert sorted((s["warehouse_id"], s["state"], bool(s["notified"])) for s in done["saga"]["shipments"]) == [
        ("BLR", "dispatched", True), ("PNQ", "dispatched", True), ("PNQ", "dispatched", True)]
    assert done["saga"]["backorder"] == []
    assert [(r["kind"], r["settlement"]) for r in done["saga"]["rounds"]] == [
        ("order", "released"), ("short_pick", "backordered"), ("refill", "released")]
    assert await chain.call("inventory", "GET", "/backorders", p.coordinator,
                            params={"order_id": order_id, "status": "open"}) == []
