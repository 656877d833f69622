"""Order to cash, end to end: all seven services and the IRP and NIC e-way bill sandboxes started as processes
(real Kafka, real PostgreSQL), every step driven over HTTP by the person who does it, asserting what that person
would see. Nothing of a service is imported: its command line, settings and public API are all the test uses.

1. An order within credit, fully stocked in Pune, for a Pune customer: CGST + SGST invoice from the picked
   quantity with its IRN, e-way bill generated from the supervisor's Part B, gate-out, stock leaving the bin,
   the customer's dispatch notice (invoice, e-way bill, vehicle, LR) delivered by e-mail to the contact the
   coordinator entered, the order closed, the receivable paid in full.
2. An over-limit order waits for the finance head, is sanctioned, is picked short (no other bin has the
   item) and ships short: the invoice is for the picked quantity and the rest is a backorder.
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

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

D = Decimal
CHAIN = 60.0  # seconds for one hop of the chain on a loaded two-core machine


def gstin(state: str, pan: str) -> str:
    head = f"{state}{pan}1Z"
    return head + gstin_check_character(head)


COMPANY_PAN = "AAKCS4719M"
SUPPLIER_MH = gstin("27", COMPANY_PAN)
PUNE_WAREHOUSE = {"code": "PNQ", "name": "Pune (Chakan) warehouse", "line1": "Gat No. 214, Chakan MIDC Phase II",
                  "place": "Chakan", "district": "Pune", "state_code": "27", "pincode": "410501",
                  "gstin": SUPPLIER_MH}
HSN_BOLTS = "73181500"


# --- the chain ---------------------------------------------------------------------------------------


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
                             run_prefix=run_prefix, settings=SETTINGS, patience=CHAIN) as chain:
        yield chain


# --- the people ------------------------------------------------------------------------------------------


@dataclass
class People:
    head: dict[str, str]
    coordinator: dict[str, str]
    warehouse: dict[str, str]
    picker: dict[str, str]
    supervisor: dict[str, str]
    finance_head: dict[str, str]
    cashier: dict[str, str]
    accountant: dict[str, str]


def people(chain: Chain) -> People:
    pnq = {"warehouse_ids": ["PNQ"]}
    return People(
        head=chain.who("SH01", "sales_head"),
        coordinator=chain.who("SC01", "sales_coordinator", sales_owner="SC01"),
        warehouse=chain.who("WC-PNQ", "warehouse_coordinator", **pnq),
        picker=chain.who("PK-PNQ-1", "picker", **pnq),
        supervisor=chain.who("DS-PNQ", "dispatch_supervisor", **pnq),
        finance_head=chain.who("FH01", "finance_head", approval_limit="10000000"),
        cashier=chain.who("FE01", "finance_executive", approval_limit="500000"),
        accountant=chain.who("AC01", "accountant"),
    )


# --- given: the Pune warehouse, the catalogue, a customer ----------------------------------------------


async def open_pune_warehouse(chain: Chain, p: People, item: dict[str, Any], price: str,
                              stock: list[tuple[str, str]]) -> None:
    """The warehouse coordinator registers Pune with its bins; the sales head sets up the item and its
    standard price; the stock is received and put away (confirmed, so promisable)."""
    bins = [{"code": "RCV-01", "kind": "receiving"}, {"code": "A-01-01"}, {"code": "A-01-02"}]
    await chain.call("inventory", "POST", "/warehouses", p.warehouse, json={**PUNE_WAREHOUSE, "bins": bins},
                     expect=201)
    await chain.call("sales", "POST", "/gst-rates", p.head, json={
        "hsn_prefix": item["hsn"], "rate": "18", "effective_from": "2025-09-22"}, expect=201)
    await chain.call("sales", "POST", "/items", p.head, json=[item], expect=201)
    await chain.call("sales", "POST", "/price-lists", p.head, expect=201, json={
        "code": "STD", "name": "Standard FY 2026-27",
        "entries": [{"item_code": item["code"], "unit_price": price, "valid_from": "2026-04-01",
                     "valid_to": "2027-03-31"}]})

    async def known() -> bool:
        atp = await chain.call("inventory", "GET", "/atp", p.warehouse, params={"items": item["code"]})
        return bool(atp["items"][0]["known"])

    await chain.until("inventory to learn the item from ItemCreated", known)
    for bin_code, quantity in stock:
        key = uuid.uuid4().hex
        await chain.call("inventory", "POST", "/stock/receipts", p.warehouse, expect=201,
                         headers={"Idempotency-Key": key + "-r"},
                         json={"warehouse_id": "PNQ", "item_code": item["code"], "quantity": quantity,
                               "bin_code": "RCV-01", "reference": "GRN-1"})
        await chain.call("inventory", "POST", "/stock/putaways", p.warehouse, expect=201,
                         headers={"Idempotency-Key": key + "-p"},
                         json={"warehouse_id": "PNQ", "item_code": item["code"], "quantity": quantity,
                               "from_bin": "RCV-01", "to_bin": bin_code, "reference": "GRN-1"})


async def approved_pune_customer(chain: Chain, p: People, code: str, pan: str, limit: str) -> str:
    """A coordinator registers a Pune buyer; the sales head approves it; credit opens its profile."""
    tax_id = gstin("27", pan)
    body = {
        "code": code, "legal_name": f"{code.title()} Engineering Private Limited", "pan": pan,
        "gst_category": "registered", "payment_terms_days": 30, "price_list_code": "STD", "sales_owner": "SC01",
        "ship_policy": "ship_partial", "shortage_policy": "backorder", "requested_credit_limit": limit,
        "addresses": [{"address_id": "BILL", "name": f"{code.title()} Engineering", "line1": "Plot J-147, MIDC Bhosari",
                       "line2": "Bhosari I.E.", "place": "Pune", "district": "Pune", "state_code": "27",
                       "pincode": "411026", "gstin": tax_id}],
        "contacts": [{"name": "Purchase desk", "email": f"purchase@{code.lower()}.example", "channels": ["email"]}],
    }
    created = await chain.call("sales", "POST", "/customers", p.coordinator, json=body, expect=201)
    assert created["status"] == "pending" and created["can_trade"] is False
    approved = await chain.call("sales", "POST", f"/customers/{created['customer_id']}/approve", p.head)
    assert approved["status"] == "active" and approved["approved_by"] == "SH01"
    customer_id: str = created["customer_id"]

    async def profile() -> dict[str, Any] | None:
        async with chain.client("credit", **p.finance_head) as client:
            found = await client.get(f"/credit-profiles/{customer_id}")
        return found.json() if found.status_code == 200 and found.json().get("credit_profile") else None

    opened = await chain.until("credit to open the profile from CustomerApproved", profile)
    assert D(opened["credit_profile"]["credit_limit"]) == D(limit)
    return customer_id


async def place_order(chain: Chain, p: People, customer_id: str, item_code: str, quantity: str) -> tuple[
        dict[str, Any], dict[str, Any]]:
    quotation = await chain.call("sales", "POST", "/quotations", p.coordinator, expect=201, json={
        "customer_id": customer_id, "ship_to_id": "BILL", "lines": [{"item_code": item_code, "quantity": quantity}]})
    assert quotation["number"].startswith("QTN/")
    key = {"Idempotency-Key": f"po-{uuid.uuid4().hex[:8]}"}
    order = await chain.call("sales", "POST", f"/quotations/{quotation['quotation_id']}/orders", p.coordinator,
                             json={"customer_po_no": "PO/26-27/0042"}, headers=key, expect=201)
    again = await chain.call("sales", "POST", f"/quotations/{quotation['quotation_id']}/orders", p.coordinator,
                             json={"customer_po_no": "PO/26-27/0042"}, headers=key, expect=200)
    assert again["order_id"] == order["order_id"], "the same Idempotency-Key must give the same order"
    assert order["number"].startswith("SO/") and order["quotation_id"] == quotation["quotation_id"]
    return quotation, order


async def order_in(chain: Chain, p: People, order_id: str, *statuses: str) -> dict[str, Any] | None:
    order: dict[str, Any] = await chain.call("sales", "GET", f"/orders/{order_id}", p.coordinator)
    return order if order["status"] in statuses else None


async def open_pick_list(chain: Chain, p: People, order_id: str) -> dict[str, Any]:
    async def issued() -> dict[str, Any] | None:
        lists = await chain.call("dispatch", "GET", "/pick-lists", p.picker, params={"warehouse": "PNQ",
                                                                                     "status": "open"})
        return next((x for x in lists if x["order_id"] == order_id), None)

    found: dict[str, Any] = await chain.until("the pick list at Pune (OrderReleased → dispatch)", issued)
    return found


async def capture_details(chain: Chain, p: People, shipment_id: str, lr_no: str) -> dict[str, Any]:
    # No distance typed: dispatch estimates it from the pincodes (the NIC portal allows 10 % above its own).
    shipment: dict[str, Any] = await chain.call(
        "dispatch", "POST", f"/shipments/{shipment_id}/dispatch-details", p.supervisor, json={
            "mode": "road", "vehicle_no": "mh 12 ab 1234", "vehicle_type": "R", "driver_name": "Balasaheb Shinde",
            "driver_phone": "+919097760055", "transporter_id": "88AAFCD4512K1ZX",
            "transporter_name": "Deccan Roadways Private Limited", "lr_no": lr_no,
            "lr_date": date.today().isoformat()})
    assert shipment["dispatch_details"]["vehicle_no"] == "MH12AB1234", "the vehicle number is normalised"
    return shipment


async def invoice_of(chain: Chain, p: People, order_id: str) -> dict[str, Any]:
    async def registered() -> dict[str, Any] | None:
        found = await chain.call("invoicing", "GET", "/invoices", p.accountant, params={"order_id": order_id})
        return found[0] if found and found[0]["irn_status"] == "registered" else None

    invoice: dict[str, Any] = await chain.until("the tax invoice with its IRN (ShipmentReady → invoicing → IRP)",
                                                registered)
    return invoice


async def ewaybill_of(chain: Chain, p: People, order_id: str) -> dict[str, Any]:
    async def decided() -> dict[str, Any] | None:
        found = await chain.call("ewaybill", "GET", "/ewaybills", p.supervisor, params={"order_id": order_id})
        return found[0] if found and found[0]["status"] != "pending" else None

    bill: dict[str, Any] = await chain.until("the e-way bill (InvoiceIssued → NIC sandbox)", decided)
    return bill


async def shipment_of(chain: Chain, p: People, shipment_id: str, *, until_docs: bool = False) -> dict[str, Any]:
    async def ready() -> dict[str, Any] | None:
        found: dict[str, Any] = await chain.call("dispatch", "GET", f"/shipments/{shipment_id}", p.supervisor)
        return found if not until_docs or not found["waiting_for"] else None

    shipment: dict[str, Any] = await chain.until("the shipment to hold its invoice and e-way bill", ready)
    return shipment


# --- story 1 --------------------------------------------------------------------------------------------------


async def test_an_order_within_credit_from_pune_stock_ships_to_a_pune_customer_closes_and_is_paid(
        chain: Chain) -> None:
    p = people(chain)
    bolt = {"code": "FAS-HB-M16X80-88ZP", "name": "Hex Bolt M16 x 80 mm Gr 8.8 Zinc Plated (Box of 25)",
            "hsn": HSN_BOLTS, "unit": "BOX", "product_line": "FAS"}
    await open_pune_warehouse(chain, p, bolt, "1500.00", [("A-01-01", "100")])
    customer_id = await approved_pune_customer(chain, p, "BHOSARI", "AAFCB5862R", "1000000.00")

    # The coordinator quotes: standard price, GST estimate for a Maharashtra ship-to, stock Pune can promise.
    quotation, order = await place_order(chain, p, customer_id, bolt["code"], "40")
    line = quotation["lines"][0]
    assert D(line["unit_price"]) == D("1500") and line["price_source"] == "standard"
    assert quotation["place_of_supply"] == "27"
    tax = line["tax"]
    assert (D(tax["cgst"]), D(tax["sgst"]), D(tax["igst"] or 0)) == (D("5400"), D("5400"), D(0))
    assert [(w["warehouse_id"], D(w["available"])) for w in line["atp"]] == [("PNQ", D("100"))]

    # Credit approves within the limit and Pune reserves everything: the order is released to the warehouse.
    released = await chain.until("credit and stock clear, the order released",
                                 lambda: order_in(chain, p, order["order_id"], "released"))
    assert released["saga"]["rounds"][0]["credit"] == "approved"
    assert [s["warehouse_id"] for s in released["saga"]["shipments"]] == ["PNQ"]
    reservations = await chain.call("inventory", "GET", "/reservations", p.coordinator,
                                    params={"order_id": order["order_id"]})
    assert [(r["warehouse_id"], D(r["reserved"])) for r in reservations] == [("PNQ", D("40"))]

    # The picker scans bin and quantity; the gate stays closed until the documents exist.
    pick_list = await open_pick_list(chain, p, order["order_id"])
    assert [(x["bin_code"], D(x["quantity"])) for x in pick_list["lines"]] == [("A-01-01", D("40"))]
    confirmed = await chain.call("dispatch", "POST", f"/pick-lists/{pick_list['pick_list_id']}/lines/1/confirm",
                                 p.picker, json={"picked": "40", "bin_code": "A-01-01"})
    assert confirmed["status"] == "picked"
    shipment_id = pick_list["shipment_id"]
    refused = await chain.call("dispatch", "POST", f"/shipments/{shipment_id}/gate-out", p.supervisor, expect=409)
    assert "invoice" in refused["missing"]

    # The supervisor types Part B once; invoicing bills the picked quantity, the e-way bill reuses Part B.
    await capture_details(chain, p, shipment_id, "DRW/245001")
    invoice = await invoice_of(chain, p, order["order_id"])
    assert invoice["supplier_gstin"] == SUPPLIER_MH and invoice["place_of_supply"] == "27"
    [billed] = invoice["lines"]
    assert D(billed["quantity"]["value"]) == D("40")
    assert (D(billed["cgst_rate"]), D(billed["sgst_rate"]), D(billed["igst_rate"])) == (D(9), D(9), D(0))
    totals = invoice["totals"]
    assert (D(totals["taxable_value"]), D(totals["cgst"]), D(totals["sgst"]), D(totals["igst"]),
            D(totals["grand_total"])) == (D("60000"), D("5400"), D("5400"), D(0), D("70800"))
    assert len(invoice["irn"]["irn"]) == 64
    bill = await ewaybill_of(chain, p, order["order_id"])
    assert bill["status"] == "generated", bill["rejection"]
    assert len(bill["ewaybill_no"]) == 12 and bill["invoice_no"] == invoice["invoice_no"]
    assert bill["consignment_value"] == "70800.00"
    assert (bill["transport"]["vehicle_no"], bill["transport"]["lr_no"]) == ("MH12AB1234", "DRW/245001")

    # Gate-out once both documents are on the shipment; stock leaves the bin.
    shipment = await shipment_of(chain, p, shipment_id, until_docs=True)
    assert shipment["invoice"]["invoice_no"] == invoice["invoice_no"]
    assert shipment["ewaybill"]["ewaybill_no"] == bill["ewaybill_no"]
    gone = await chain.call("dispatch", "POST", f"/shipments/{shipment_id}/gate-out", p.supervisor)
    assert gone["status"] == "dispatched" and gone["dispatched_by"] == "DS-PNQ"

    async def stock_left() -> bool:
        rows = await chain.call("inventory", "GET", "/stock", p.warehouse,
                                params={"warehouse_id": "PNQ", "item_code": bolt["code"]})
        return {r["bin_code"]: D(r["confirmed"]) for r in rows}.get("A-01-01") == D("60")

    await chain.until("the 40 boxes to leave bin A-01-01 (ShipmentDispatched → inventory)", stock_left)

    # The customer is told, with the invoice, the e-way bill and the vehicle; the order closes.
    async def told() -> dict[str, Any] | None:
        sent = await chain.call("notify", "GET", "/notifications", p.coordinator,
                                params={"order_id": order["order_id"]})
        return next((n for n in sent if n["kind"] == "dispatched"), None)

    notice = await chain.until("the customer's dispatch notice (ShipmentDispatched → notify)", told)
    for fact in (invoice["invoice_no"], bill["ewaybill_no"], "MH12AB1234", "DRW/245001"):
        assert fact in notice["body"], f"{fact} missing from the dispatch notice"
    assert notice["status"] == "delivered", f"the customer was not told: {notice['detail']}"
    assert (notice["channel"], notice["recipient"]) == ("email", "purchase@bhosari.example")
    closed = await chain.until("the coordinator to close the order (dispatched and notified, nothing owed)",
                               lambda: order_in(chain, p, order["order_id"], "closed"))
    assert [s["state"] for s in closed["saga"]["shipments"]] == ["dispatched"]
    assert closed["saga"]["shipments"][0]["notified"] and closed["saga"]["backorder"] == []

    # Credit holds the receivable; the buyer pays in full and it is settled.
    receivables = await chain.call("credit", "GET", f"/receivables/{customer_id}", p.accountant)
    assert [(r["invoice_no"], D(r["amount"])) for r in receivables["receivables"]] == [
        (invoice["invoice_no"], D("70800"))]
    await chain.call("credit", "POST", "/payments", p.cashier, expect=201, json={
        "customer_id": customer_id, "amount": "70800.00", "received_on": date.today().isoformat(),
        "mode": "neft", "bank_reference": "UTR-0042", "invoice_ids": [invoice["invoice_id"]]})
    settled = await chain.call("credit", "GET", f"/receivables/{customer_id}", p.accountant,
                               params={"include_settled": "true"})
    assert [(r["status"], D(r["outstanding"])) for r in settled["receivables"]] == [("settled", D(0))]


# --- story 2 --------------------------------------------------------------------------------------------------


async def test_an_over_limit_order_is_sanctioned_and_ships_short_with_a_backorder(chain: Chain) -> None:
    p = people(chain)
    mcb = {"code": "ELE-MCB-4P-63A-C", "name": "MCB 4 pole 63 A C-curve", "hsn": "85362010", "unit": "NOS",
           "product_line": "ELE"}
    await open_pune_warehouse(chain, p, mcb, "6000.00", [("A-01-01", "20")])
    customer_id = await approved_pune_customer(chain, p, "CHAKAN", "AAGCC7731P", "100000.00")

    # 20 × ₹6,000 + 18 % = ₹1,41,600 against a ₹1,00,000 limit: held for the finance head.
    _, order = await place_order(chain, p, customer_id, mcb["code"], "20")
    held = await chain.until("credit to hold the order", lambda: order_in(chain, p, order["order_id"],
                                                                         "credit_held"))
    assert held["saga"]["rounds"][0]["credit"] == "held"

    async def in_queue() -> dict[str, Any] | None:
        queue = await chain.call("credit", "GET", "/sanctions", p.finance_head, params={"status": "pending"})
        return next((s for s in queue if s["order"]["order_id"] == order["order_id"]), None)

    request = await chain.until("the sanction request in the finance head's queue", in_queue)
    assert D(request["exposure"]["with_order"]) == D("141600") and D(request["credit_limit"]) == D("100000")
    assert request["reasons"][0]["reason"] == "over_limit"
    decided = await chain.call("credit", "POST", f"/sanctions/{request['sanction_id']}/approve", p.finance_head,
                               json={"note": "Sanctioned against the post-dated cheque for the excess"})
    assert decided["status"] == "approved" and decided["decided_by"] == "FH01"
    released = await chain.until("the sanctioned order to be released",
                                 lambda: order_in(chain, p, order["order_id"], "released"))
    assert released["saga"]["rounds"][0]["credit"] == "sanctioned"

    # The picker finds 17 of 20 and no other Pune bin holds the item: the shipment goes short.
    pick_list = await open_pick_list(chain, p, order["order_id"])
    await chain.call("dispatch", "POST", f"/pick-lists/{pick_list['pick_list_id']}/lines/1/confirm", p.picker,
                     json={"picked": "17", "bin_code": "A-01-01", "short_reason": "bin_short",
                           "note": "count mismatch"})
    shipment_id = pick_list["shipment_id"]

    async def picked_short() -> dict[str, Any] | None:
        found: dict[str, Any] = await chain.call("dispatch", "GET", f"/shipments/{shipment_id}", p.supervisor)
        return found if "pick_confirmation" not in found["waiting_for"] else None

    shipment = await chain.until("the short pick to settle (no re-reservation possible)", picked_short)
    [line] = shipment["lines"]
    assert (D(line["picked"]), D(line["backordered"])) == (D("17"), D("3"))

    # Invoice for what was picked, never for what was ordered.
    await capture_details(chain, p, shipment_id, "DRW/245002")
    invoice = await invoice_of(chain, p, order["order_id"])
    [billed] = invoice["lines"]
    assert D(billed["quantity"]["value"]) == D("17")
    assert (D(invoice["totals"]["taxable_value"]), D(invoice["totals"]["grand_total"])) == (D("102000"),
                                                                                           D("120360"))
    bill = await ewaybill_of(chain, p, order["order_id"])
    assert bill["status"] == "generated" and bill["consignment_value"] == "120360.00"
    await shipment_of(chain, p, shipment_id, until_docs=True)
    gone = await chain.call("dispatch", "POST", f"/shipments/{shipment_id}/gate-out", p.supervisor)
    assert gone["status"] == "dispatched"

    # The order shipped short and stays open for the backorder of 3.
    async def backordered() -> dict[str, Any] | None:
        found: dict[str, Any] = await chain.call("sales", "GET", f"/orders/{order['order_id']}", p.coordinator)
        rest = [(b["line_no"], D(b["quantity"])) for b in found["saga"]["backorder"]]
        return found if rest == [(1, D("3"))] else None

    after = await chain.until("the order to show the backorder of 3", backordered)
    assert after["status"] != "closed"
    waiting = await chain.call("inventory", "GET", "/backorders", p.coordinator,
                               params={"order_id": order["order_id"]})
    assert [(b["line_no"], D(b["quantity"])) for b in waiting] == [(1, D("3"))]
