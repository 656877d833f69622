"""Undo after documents exist (issue 21), end to end through the seven services over HTTP, with the IRP and NIC
sandboxes: every step is a person's request or the chain's own reaction, and each path asserts the documents, the
receivable, the exposure, the stock and the order page. Every service and both sandboxes run as processes (real
Kafka, real PostgreSQL); nothing of a service is imported.

1. An order cancelled after invoicing, inside the 24-hour windows: e-way bill cancelled, invoice (and IRN)
   cancelled, receivable reversed, exposure released, stock back on the shelf.
2. An e-way bill cancelled before gate-out: the gate closes, a new bill for the same invoice opens it, gate-out.
3. An invoice cancelled before gate-out: the shipment waits for a new invoice; the accountant corrects the
   buyer's name and re-issues (next number, new IRN, new e-way bill); gate-out.
4. An order cancelled after invoicing, past the 24-hour windows (dispatch's, invoicing's and e-way bill's clock
   moved 25 hours: `o2c.testsupport.moved_clock`): the e-way bill cannot be cancelled and lapses; the invoice is
   undone by a credit note (its own IRN, on GSTR-1).
3b. An invoice cancelled and re-issued for fewer boxes (36 of 40): dispatch puts the 4 back on the shelf (still
   reserved), the 36 leave on the new invoice, and the 4 ship on their own (pick list, invoice, gate-out).
1b/4b. An order reduced (40 → 24 boxes) after invoicing, inside and past the windows: the old documents undone as
   in 1 and 4, the 24 boxes invoiced again and shipped; the exposure is what the customer owes plus what is still
   on order at every step (past the windows the credited invoice no longer counts against the new revision).

One chain for the module (starting nine processes is most of an e2e test's time); each story has its own customer
and order. Stories 4 and 4b move the clock and so run last.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from o2c.india.gstin import gstin_check_character
from o2c.kit import testing
from o2c.kit.local_issuer import LocalIssuer
from o2c.testsupport.process_chain import ProcessChain, running_chain

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

D = Decimal


def gstin(state: str, pan: str) -> str:
    head = f"{state}{pan}1Z"
    return head + gstin_check_character(head)


SUPPLIER = gstin("27", "AAKCS4719M")
PUNE = {"code": "PNQ", "name": "Pune (Chakan) warehouse", "line1": "Gat No. 214, Chakan MIDC Phase II",
        "place": "Chakan", "district": "Pune", "state_code": "27", "pincode": "410501", "gstin": SUPPLIER}
BOLT = {"code": "FAS-HB-M16X80-88ZP", "name": "Hex Bolt M16 x 80 mm Gr 8.8 Zinc Plated (Box of 25)",
        "hsn": "73181500", "unit": "BOX", "product_line": "FAS"}
GROSS = D("70800")  # 40 boxes × ₹1,500 + 18 % GST: above the e-way bill threshold

Chain = ProcessChain
# What the stories need of the services' settings (O2C_<SERVICE>_<NAME>): a quick saga timer, the IRN worker
# polling often, the ATP call given time on a loaded machine.
SETTINGS = {"sales": {"atp_timeout_seconds": "5.0", "saga_tick_seconds": "0.5"},
            "invoicing": {"irn_poll_seconds": "0.1", "irn_retry_seconds": "0.5", "pdf_poll_seconds": "5"}}
# The services whose 24-hour windows the stories cross: their clock is moved forward (the rest keep real time).
MOVED_CLOCK = ("dispatch", "invoicing", "ewaybill")


@dataclass
class People:
    head: dict[str, str]
    coordinator: dict[str, str]
    warehouse: dict[str, str]
    picker: dict[str, str]
    supervisor: dict[str, str]
    finance: dict[str, str]
    accountant: dict[str, str]


@pytest.fixture(scope="module")
async def chain(scratch_databases: testing.TestDatabases, kafka_bootstrap: str, redis_url: str, jwks_file: str,
                issuer: LocalIssuer, run_prefix: str, tmp_path_factory: pytest.TempPathFactory
                ) -> AsyncIterator[Chain]:
    """The seven services and both portal sandboxes as processes, on one topic prefix (the IRP sandbox registers
    the IRNs); the Pune warehouse, the bolt with its rate and price, and 400 boxes in bin A-01-01."""
    async with running_chain(scratch_databases, kafka_bootstrap, redis_url, jwks_file,
                             tmp_path_factory.mktemp("undo-chain"), issuer, run_prefix=run_prefix, settings=SETTINGS,
                             moved_clock=MOVED_CLOCK) as running:
        await open_pune(running, people(running))
        yield running


def past_the_windows(chain: Chain) -> None:
    """25 hours later for the services that judge the 24-hour windows."""
    assert chain.clock is not None
    chain.clock.advance(timedelta(hours=25))


def people(chain: Chain) -> People:
    pnq = {"warehouse_ids": ["PNQ"]}
    return People(
        head=chain.who("SH01", "sales_head"),
        coordinator=chain.who("SC01", "sales_coordinator", sales_owner="SC01"),
        warehouse=chain.who("WC-PNQ", "warehouse_coordinator", **pnq),
        picker=chain.who("PK-PNQ-1", "picker", **pnq),
        supervisor=chain.who("DS-PNQ", "dispatch_supervisor", **pnq),
        finance=chain.who("FH01", "finance_head", approval_limit="10000000"),
        accountant=chain.who("AC01", "accountant"),
    )


async def open_pune(chain: Chain, p: People) -> None:
    bins = [{"code": "RCV-01", "kind": "receiving"}, {"code": "A-01-01"}]
    await chain.call("inventory", "POST", "/warehouses", p.warehouse, json={**PUNE, "bins": bins}, expect=201)
    await chain.call("sales", "POST", "/gst-rates", p.head, expect=201,
                     json={"hsn_prefix": BOLT["hsn"], "rate": "18", "effective_from": "2025-09-22"})
    await chain.call("sales", "POST", "/items", p.head, json=[BOLT], expect=201)
    await chain.call("sales", "POST", "/price-lists", p.head, expect=201, json={
        "code": "STD", "name": "Standard FY 2026-27", "entries": [
            {"item_code": BOLT["code"], "unit_price": "1500.00", "valid_from": "2026-04-01",
             "valid_to": "2027-03-31"}]})

    async def known() -> bool:
        atp = await chain.call("inventory", "GET", "/atp", p.warehouse, params={"items": BOLT["code"]})
        return bool(atp["items"][0]["known"])

    await chain.until("inventory to learn the item", known)
    key = uuid.uuid4().hex
    await chain.call("inventory", "POST", "/stock/receipts", p.warehouse, expect=201,
                     headers={"Idempotency-Key": key + "-r"},
                     json={"warehouse_id": "PNQ", "item_code": BOLT["code"], "quantity": "400", "bin_code": "RCV-01",
                           "reference": "GRN-1"})
    await chain.call("inventory", "POST", "/stock/putaways", p.warehouse, expect=201,
                     headers={"Idempotency-Key": key + "-p"},
                     json={"warehouse_id": "PNQ", "item_code": BOLT["code"], "quantity": "400", "from_bin": "RCV-01",
                           "to_bin": "A-01-01", "reference": "GRN-1"})


# --- the chain up to documents -------------------------------------------------------------------------


@dataclass
class Invoiced:
    customer_id: str
    order_id: str
    shipment_id: str
    invoice: dict[str, Any]
    bill: dict[str, Any]


async def available(chain: Chain, p: People) -> Decimal:
    atp = await chain.call("inventory", "GET", "/atp", p.warehouse, params={"items": BOLT["code"]})
    return D(atp["items"][0]["available"])


async def on_shelf(chain: Chain, p: People) -> Decimal:
    rows = await chain.call("inventory", "GET", "/stock", p.warehouse,
                            params={"warehouse_id": "PNQ", "item_code": BOLT["code"]})
    return {r["bin_code"]: D(r["confirmed"]) for r in rows}.get("A-01-01", D(0))


async def exposure(chain: Chain, p: People, customer_id: str) -> dict[str, Decimal]:
    found = await chain.call("credit", "GET", f"/credit-profiles/{customer_id}", p.finance)
    return {k: D(v) for k, v in found["exposure"].items()}


async def receivables(chain: Chain, p: People, customer_id: str) -> list[dict[str, Any]]:
    found = await chain.call("credit", "GET", f"/receivables/{customer_id}", p.accountant,
                             params={"include_settled": "true"})
    rows: list[dict[str, Any]] = found["receivables"]
    return rows


async def page(chain: Chain, p: People, order_id: str) -> dict[str, Any]:
    view: dict[str, Any] = await chain.call("sales", "GET", f"/tracking/orders/{order_id}", p.coordinator)
    return view


async def invoiced_order(chain: Chain, p: People, code: str, pan: str) -> Invoiced:
    """A Pune buyer within credit orders 40 boxes; picked, vehicle captured, invoiced with its IRN, e-way bill
    generated: the shipment is on Pune's ready-for-gate list."""
    tax_id = gstin("27", pan)
    created = await chain.call("sales", "POST", "/customers", p.coordinator, expect=201, json={
        "code": code, "legal_name": f"{code.title()} Engineering Private Limited", "pan": pan,
        "gst_category": "registered", "payment_terms_days": 30, "price_list_code": "STD", "sales_owner": "SC01",
        "ship_policy": "ship_partial", "shortage_policy": "backorder", "requested_credit_limit": "1000000.00",
        "addresses": [{"address_id": "BILL", "name": f"{code.title()} Engineering", "line1": "Plot J-147, MIDC",
                       "place": "Pune", "district": "Pune", "state_code": "27", "pincode": "411026",
                       "gstin": tax_id}],
        "contacts": [{"name": "Purchase desk", "email": f"purchase@{code.lower()}.example", "channels": ["email"]}]})
    customer_id: str = created["customer_id"]
    await chain.call("sales", "POST", f"/customers/{customer_id}/approve", p.head)

    async def profile() -> bool:
        async with chain.client("credit", **p.finance) as client:
            found = await client.get(f"/credit-profiles/{customer_id}")
        return found.status_code == 200 and bool(found.json().get("credit_profile"))

    await chain.until("credit to open the profile", profile)
    quotation = await chain.call("sales", "POST", "/quotations", p.coordinator, expect=201, json={
        "customer_id": customer_id, "ship_to_id": "BILL", "lines": [{"item_code": BOLT["code"], "quantity": "40"}]})
    order = await chain.call("sales", "POST", f"/quotations/{quotation['quotation_id']}/orders", p.coordinator,
                             json={"customer_po_no": f"PO/{code}"}, expect=201,
                             headers={"Idempotency-Key": uuid.uuid4().hex})
    return await picked_and_documented(chain, p, customer_id, order["order_id"], "40", f"LR-{code[:6]}")


async def picked_and_documented(chain: Chain, p: People, customer_id: str, order_id: str, boxes: str, lr_no: str,
                                but_not: Invoiced | None = None, bill_needed: bool = True) -> Invoiced:
    """The order's (next) pick list picked in full, the vehicle captured, the invoice registered at the IRP and
    its e-way bill generated (none below the ₹50,000 threshold): the shipment is on Pune's ready-for-gate list."""
    async def pick_list() -> dict[str, Any] | None:
        lists = await chain.call("dispatch", "GET", "/pick-lists", p.picker, params={"warehouse": "PNQ"})
        return next((x for x in lists if x["order_id"] == order_id
                     and (but_not is None or x["shipment_id"] != but_not.shipment_id)), None)

    listed = await chain.until("the pick list (credit, stock, release)", pick_list)
    await chain.call("dispatch", "POST", f"/pick-lists/{listed['pick_list_id']}/lines/1/confirm", p.picker,
                     json={"picked": boxes, "bin_code": "A-01-01"})
    shipment_id: str = listed["shipment_id"]
    await chain.call("dispatch", "POST", f"/shipments/{shipment_id}/dispatch-details", p.supervisor, json={
        "mode": "road", "vehicle_no": "MH12AB1234", "vehicle_type": "R", "driver_name": "Balasaheb Shinde",
        "driver_phone": "+919097760055", "transporter_id": "88AAFCD4512K1ZX",
        "transporter_name": "Deccan Roadways", "lr_no": lr_no, "lr_date": date.today().isoformat(),
        "distance_km": 17})
    invoice = await registered_invoice(chain, p, order_id, but_not=but_not.invoice["invoice_id"] if but_not else None)
    bill = await generated_bill(chain, p, order_id, invoice["invoice_id"]) if bill_needed else {}
    await chain.until("the shipment on Pune's ready-for-gate list", lambda: on_gate_list(chain, p, shipment_id))
    return Invoiced(customer_id, order_id, shipment_id, invoice, bill)


async def registered_invoice(chain: Chain, p: People, order_id: str, but_not: str | None = None) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        rows = await chain.call("invoicing", "GET", "/invoices", p.accountant, params={"order_id": order_id})
        return next((r for r in rows if r["invoice_id"] != but_not and r["status"] == "issued"
                     and r["irn_status"] == "registered"), None)

    invoice: dict[str, Any] = await chain.until("the invoice with its IRN", found)
    return invoice


async def generated_bill(chain: Chain, p: People, order_id: str, invoice_id: str,
                         but_not: str | None = None) -> dict[str, Any]:
    async def found() -> dict[str, Any] | None:
        rows = await chain.call("ewaybill", "GET", "/ewaybills", p.supervisor, params={"order_id": order_id})
        return next((r for r in rows if r["invoice_id"] == invoice_id and r["status"] == "generated"
                     and r["ewaybill_no"] != but_not), None)

    bill: dict[str, Any] = await chain.until("the e-way bill", found)
    return bill


async def on_gate_list(chain: Chain, p: People, shipment_id: str) -> bool:
    ready = await chain.call("dispatch", "GET", "/ready-for-gate", p.supervisor, params={"warehouse": "PNQ"})
    return any(s["shipment_id"] == shipment_id for s in ready)


async def off_gate_list(chain: Chain, p: People, shipment_id: str) -> bool:
    return not await on_gate_list(chain, p, shipment_id)


def steps(view: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [s for s in view["steps"] if s["kind"] == kind]


async def page_where(chain: Chain, p: People, order_id: str, what: str, test: Any) -> dict[str, Any]:
    """The order page once it shows `what` (the projection folds the chain's events a moment after they happen)."""
    async def shown() -> dict[str, Any] | None:
        view = await page(chain, p, order_id)
        return view if test(view) else None

    view: dict[str, Any] = await chain.until(f"the order page to show {what}", shown)
    return view


async def cancelled_and_undone(chain: Chain, p: People, order: Invoiced, invoice_outcome: str) -> dict[str, Any]:
    async def undone() -> dict[str, Any] | None:
        view = await page(chain, p, order.order_id)
        [shipment] = view["shipments"]
        undo = shipment.get("undo") or {}
        done = str(undo.get("invoice", "")).startswith(invoice_outcome) and undo.get("ewaybill") != "pending"
        return view if done and view["status"] == "cancelled" else None

    view: dict[str, Any] = await chain.until("the order page to show the invoice undone", undone)
    return view


# --- 1. cancelled after invoicing, inside the windows ---------------------------------------------------


async def test_an_order_cancelled_after_invoicing_within_24_hours_cancels_bill_and_invoice(chain: Chain) -> None:
    p = people(chain)
    before = await available(chain, p)
    order = await invoiced_order(chain, p, "BHOSARI", "AAFCB5862R")
    assert await available(chain, p) == before - 40
    assert (await exposure(chain, p, order.customer_id))["total"] == GROSS

    await chain.call("sales", "POST", f"/orders/{order.order_id}/cancel", p.coordinator,
                     json={"reason": "buyer's project postponed"})
    view = await cancelled_and_undone(chain, p, order, "cancelled")
    [shipment] = view["shipments"]
    assert view["status"] == "cancelled" and shipment["undo"]["ewaybill"] == "cancelled"
    assert steps(view, "ewaybill_cancelled") and steps(view, "invoice_cancelled")
    assert "IRN cancelled" in steps(view, "invoice_cancelled")[0]["detail"]

    invoice = await chain.call("invoicing", "GET", f"/invoices/{order.invoice['invoice_id']}", p.accountant)
    assert invoice["status"] == "cancelled" and invoice["cancellation"]["irn_cancelled"] is True
    bill = await chain.call("ewaybill", "GET", f"/ewaybills/{order.bill['id']}", p.supervisor)
    assert bill["status"] == "cancelled" and bill["cancel_reason"] == "order_cancelled"

    async def released() -> bool:
        return (await exposure(chain, p, order.customer_id))["total"] == 0 and await available(chain, p) == before

    await chain.until("exposure released and the 40 boxes promisable again", released)
    [receivable] = await receivables(chain, p, order.customer_id)
    assert receivable["status"] == "cancelled" and D(receivable["outstanding"]) == 0
    assert await off_gate_list(chain, p, order.shipment_id)
    refused = await chain.call("dispatch", "POST", f"/shipments/{order.shipment_id}/gate-out", p.supervisor,
                               expect=409)
    assert "cancelled" in refused["detail"]


# --- 1b. reduced after invoicing (inside the windows here; past them in 4b) ----------------------------------


REDUCED = D("42480")  # 24 boxes × ₹1,500 + 18 % GST


def shipment_of(view: dict[str, Any], shipment_id: str) -> dict[str, Any]:
    return next(s for s in view["shipments"] if s["shipment_id"] == shipment_id)


async def reduced_to_24(chain: Chain, p: People, order: Invoiced, invoice_outcome: str) -> dict[str, Any]:
    """The buyer now needs 24 of the 40 boxes: the order is amended before gate-out; the order page once the
    invoiced shipment's documents are undone and the smaller revision is released."""
    await chain.call("sales", "POST", f"/orders/{order.order_id}/amend", p.coordinator,
                     json={"reason": "buyer needs only 24 boxes", "quantities": [{"line_no": 1, "quantity": "24"}]})

    def undone(view: dict[str, Any]) -> bool:
        old = shipment_of(view, order.shipment_id)
        undo = old.get("undo") or {}
        return (old["status"] == "cancelled" and str(undo.get("invoice", "")).startswith(invoice_outcome)
                and undo.get("ewaybill") != "pending" and len(view["shipments"]) == 2)

    return await page_where(chain, p, order.order_id, "the old shipment undone and the 24 boxes released", undone)


async def ship_the_24(chain: Chain, p: People, order: Invoiced, code: str) -> Invoiced:
    """The smaller revision picked, invoiced (next number, its own IRN and e-way bill) and through the gate."""
    second = await picked_and_documented(chain, p, order.customer_id, order.order_id, "24", f"LR-{code}-2",
                                         but_not=order, bill_needed=False)  # ₹42,480: below the threshold
    assert D(second.invoice["totals"]["grand_total"]) == REDUCED
    assert [D(x["quantity"]["value"]) for x in second.invoice["lines"]] == [D(24)]
    gone = await chain.call("dispatch", "POST", f"/shipments/{second.shipment_id}/gate-out", p.supervisor)
    assert gone["invoice"]["invoice_no"] == second.invoice["invoice_no"]
    return second


async def test_an_order_reduced_after_invoicing_within_24_hours_is_invoiced_again_for_what_remains(
        chain: Chain) -> None:
    p = people(chain)
    shelf, before = await on_shelf(chain, p), await available(chain, p)
    order = await invoiced_order(chain, p, "KHED", "AAKCK4410L")
    view = await reduced_to_24(chain, p, order, "cancelled")
    assert shipment_of(view, order.shipment_id)["undo"]["ewaybill"] == "cancelled"
    assert steps(view, "ewaybill_cancelled") and steps(view, "invoice_cancelled")
    invoice = await chain.call("invoicing", "GET", f"/invoices/{order.invoice['invoice_id']}", p.accountant)
    assert invoice["status"] == "cancelled" and invoice["cancellation"]["irn_cancelled"] is True
    bill = await chain.call("ewaybill", "GET", f"/ewaybills/{order.bill['id']}", p.supervisor)
    assert bill["status"] == "cancelled"

    async def recounted() -> bool:  # owes nothing on the cancelled invoice; 24 boxes on order, and reserved
        return (await exposure(chain, p, order.customer_id) == {"receivables": 0, "open_orders": REDUCED,
                                                                 "unapplied_credit": 0, "total": REDUCED}
                and await available(chain, p) == before - 24)

    await chain.until("exposure and stock of the reduced order", recounted)
    second = await ship_the_24(chain, p, order, "KHED")

    async def shipped() -> bool:
        return await on_shelf(chain, p) == shelf - 24 and (await exposure(chain, p, order.customer_id))[
            "receivables"] == REDUCED

    await chain.until("the 24 boxes to leave the bin and their invoice to be owed", shipped)
    rows = {r["invoice_no"]: r for r in await receivables(chain, p, order.customer_id)}
    assert rows[order.invoice["invoice_no"]]["status"] == "cancelled"
    assert D(rows[second.invoice["invoice_no"]]["outstanding"]) == REDUCED
    assert (await exposure(chain, p, order.customer_id))["total"] == REDUCED
    assert await available(chain, p) == before - 24
    view = await page_where(chain, p, order.order_id, "the 24 boxes dispatched",
                            lambda v: shipment_of(v, second.shipment_id)["status"] == "dispatched")
    assert shipment_of(view, order.shipment_id)["status"] == "cancelled"


# --- 2. e-way bill cancelled → gate closed → new bill → gate-out -------------------------------------------


async def test_a_cancelled_ewaybill_closes_the_gate_until_a_new_bill_for_the_same_invoice(chain: Chain) -> None:
    p = people(chain)
    shelf = await on_shelf(chain, p)
    order = await invoiced_order(chain, p, "CHAKAN", "AAGCC7731P")
    await chain.call("ewaybill", "POST", f"/ewaybills/{order.bill['id']}/cancel", p.supervisor,
                     json={"reason": "data_entry_mistake", "remarks": "wrong vehicle"})
    await chain.until("the shipment off the ready-for-gate list", lambda: off_gate_list(chain, p, order.shipment_id))
    refused = await chain.call("dispatch", "POST", f"/shipments/{order.shipment_id}/gate-out", p.supervisor,
                               expect=409)
    assert refused["waiting_for"] == ["ewaybill"]
    # The status comes from ewaybill's EwayBillCancelled, the gate from dispatch's ShipmentGateClosed: two topics,
    # either may reach the page first, so wait for both.
    await page_where(chain, p, order.order_id, "the shipment waiting for a new e-way bill, its gate closed for it",
                     lambda v: v["shipments"][0]["status"] == "waiting_for_ewaybill"
                     and (v["shipments"][0].get("gate") or {}).get("reason") == "ewaybill_cancelled")

    regenerated = await chain.call("ewaybill", "POST", f"/ewaybills/{order.bill['id']}/regenerate", p.supervisor,
                                   json={"vehicle_no": "MH12CD5678"})
    assert regenerated["status"] == "generated" and regenerated["ewaybill_no"] != order.bill["ewaybill_no"]
    assert regenerated["invoice_id"] == order.invoice["invoice_id"]
    assert [r["ewaybill_no"] for r in regenerated["replaced"]] == [order.bill["ewaybill_no"]]
    await chain.until("the shipment back on the list", lambda: on_gate_list(chain, p, order.shipment_id))
    gone = await chain.call("dispatch", "POST", f"/shipments/{order.shipment_id}/gate-out", p.supervisor)
    assert gone["status"] == "dispatched" and gone["ewaybill"]["ewaybill_no"] == regenerated["ewaybill_no"]

    async def left() -> bool:
        return await on_shelf(chain, p) == shelf - 40

    await chain.until("the 40 boxes to leave the bin", left)
    await page_where(chain, p, order.order_id, "the new bill replacing the cancelled one",
                     lambda v: any(regenerated["ewaybill_no"] in s["title"] and "replaces" in s["title"]
                                   for s in steps(v, "ewaybill_generated")))
    assert [(r["invoice_no"], D(r["amount"])) for r in await receivables(chain, p, order.customer_id)] == [
        (order.invoice["invoice_no"], GROSS)]
    assert (await exposure(chain, p, order.customer_id))["total"] == GROSS


# --- 3. invoice cancelled → re-issue → gate-out -------------------------------------------------------------


async def test_a_cancelled_invoice_waits_for_the_accountants_reissue_then_ships(chain: Chain) -> None:
    p = people(chain)
    shelf = await on_shelf(chain, p)
    order = await invoiced_order(chain, p, "TALEGAON", "AAHCT3318Q")
    await chain.call("ewaybill", "POST", f"/ewaybills/{order.bill['id']}/cancel", p.supervisor,
                     json={"reason": "data_entry_mistake", "remarks": "buyer name misspelt"})

    async def cancel_invoice() -> dict[str, Any] | None:
        async with chain.client("invoicing", **p.accountant) as client:
            answer = await client.post(f"/invoices/{order.invoice['invoice_id']}/cancel",
                                       json={"reason": "data_entry_mistake", "remarks": "buyer name misspelt"})
        return answer.json() if answer.status_code == 200 else None  # 409 until EwayBillCancelled is read

    cancelled = await chain.until("the invoice cancelled (after its e-way bill)", cancel_invoice)
    assert cancelled["status"] == "cancelled"

    async def waiting() -> dict[str, Any] | None:
        found: dict[str, Any] = await chain.call("dispatch", "GET", f"/shipments/{order.shipment_id}", p.supervisor)
        return found if found["waiting_for"] == ["new_invoice", "ewaybill"] else None

    await chain.until("the shipment to wait for a new invoice", waiting)
    refused = await chain.call("dispatch", "POST", f"/shipments/{order.shipment_id}/gate-out", p.supervisor,
                               expect=409)
    assert "re-issue" in refused["detail"]
    view = await page_where(chain, p, order.order_id, "the shipment waiting for a new invoice",
                            lambda v: v["shipments"][0]["status"] == "waiting_for_invoice")
    assert "waits for a new invoice" in steps(view, "invoice_cancelled")[0]["detail"]

    name = "Talegaon Engineering Pvt Ltd (corrected)"
    reissued = await chain.call("invoicing", "POST", f"/invoices/{order.invoice['invoice_id']}/reissue",
                                p.accountant, json={"customer_name": name}, expect=201)
    old_no, new_no = order.invoice["invoice_no"], reissued["invoice_no"]
    assert reissued["replaces"]["invoice_no"] == old_no and reissued["customer_name"] == name
    assert new_no.rsplit("/", 1)[0] == old_no.rsplit("/", 1)[0] and new_no > old_no
    invoice = await registered_invoice(chain, p, order.order_id, but_not=order.invoice["invoice_id"])
    assert invoice["invoice_id"] == reissued["invoice_id"] and len(invoice["irn"]["irn"]) == 64
    bill = await generated_bill(chain, p, order.order_id, invoice["invoice_id"])
    await chain.until("the shipment back on the list", lambda: on_gate_list(chain, p, order.shipment_id))
    gone = await chain.call("dispatch", "POST", f"/shipments/{order.shipment_id}/gate-out", p.supervisor)
    assert gone["invoice"]["invoice_no"] == new_no and gone["ewaybill"]["ewaybill_no"] == bill["ewaybill_no"]

    async def left() -> bool:
        return await on_shelf(chain, p) == shelf - 40

    await chain.until("the 40 boxes to leave the bin", left)
    rows = {r["invoice_no"]: r for r in await receivables(chain, p, order.customer_id)}
    assert rows[old_no]["status"] == "cancelled" and D(rows[new_no]["amount"]) == GROSS
    assert (await exposure(chain, p, order.customer_id))["total"] == GROSS
    view = await page_where(chain, p, order.order_id, "the re-issued invoice",
                            lambda v: steps(v, "invoice_reissued") and v["shipments"][0]["status"] == "dispatched")
    assert [s["title"] for s in steps(view, "invoice_reissued")] == [f"Invoice {new_no} re-issued (replaces {old_no})"]


# --- 3b. invoice cancelled → re-issued for fewer boxes → the rest back on the shelf, shipped on their own --------


async def test_an_invoice_reissued_for_fewer_boxes_puts_the_rest_back_and_ships_them_on_their_own(
        chain: Chain) -> None:
    p = people(chain)
    shelf, before = await on_shelf(chain, p), await available(chain, p)
    order = await invoiced_order(chain, p, "LONAVALA", "AAMCL2290N")
    await chain.call("ewaybill", "POST", f"/ewaybills/{order.bill['id']}/cancel", p.supervisor,
                     json={"reason": "data_entry_mistake", "remarks": "only 36 boxes on the truck"})

    async def cancel_invoice() -> dict[str, Any] | None:
        async with chain.client("invoicing", **p.accountant) as client:
            answer = await client.post(f"/invoices/{order.invoice['invoice_id']}/cancel",
                                       json={"reason": "data_entry_mistake", "remarks": "36 boxes, not 40"})
        return answer.json() if answer.status_code == 200 else None  # 409 until EwayBillCancelled is read

    await chain.until("the invoice cancelled (after its e-way bill)", cancel_invoice)
    await page_where(chain, p, order.order_id, "the shipment waiting for a new invoice",
                     lambda v: v["shipments"][0]["status"] == "waiting_for_invoice")
    too_many = await chain.call("invoicing", "POST", f"/invoices/{order.invoice['invoice_id']}/reissue",
                                p.accountant, json={"quantities": [{"line_no": 1, "quantity": "41"}]}, expect=409)
    assert "only carry less" in too_many["detail"]
    reissued = await chain.call("invoicing", "POST", f"/invoices/{order.invoice['invoice_id']}/reissue",
                                p.accountant, json={"quantities": [{"line_no": 1, "quantity": "36"}]}, expect=201)
    assert [D(x["quantity"]["value"]) for x in reissued["lines"]] == [D(36)]
    shorter = D("63720")  # 36 boxes × ₹1,500 + 18 % GST
    assert D(reissued["totals"]["grand_total"]) == shorter
    invoice = await registered_invoice(chain, p, order.order_id, but_not=order.invoice["invoice_id"])
    bill = await generated_bill(chain, p, order.order_id, invoice["invoice_id"])
    await chain.until("the shipment back on the list", lambda: on_gate_list(chain, p, order.shipment_id))
    found = await chain.call("dispatch", "GET", f"/shipments/{order.shipment_id}", p.supervisor)
    assert [D(x["picked"]) for x in found["lines"]] == [D(36)]  # the goods follow the corrected invoice
    gone = await chain.call("dispatch", "POST", f"/shipments/{order.shipment_id}/gate-out", p.supervisor)
    assert gone["invoice"]["invoice_no"] == reissued["invoice_no"] and gone["ewaybill"]["ewaybill_no"] == bill[
        "ewaybill_no"]

    async def left() -> bool:  # 36 leave the bin; the 4 put back stay reserved for the order
        return await on_shelf(chain, p) == shelf - 36 and await available(chain, p) == before - 40

    await chain.until("36 boxes to leave the bin, 4 still reserved", left)
    view = await page_where(chain, p, order.order_id, "the goods put back and their own shipment",
                            lambda v: steps(v, "goods_put_back") and len(v["shipments"]) == 2)
    first = shipment_of(view, order.shipment_id)
    assert D(first["lines"][0]["put_back"]) == 4 and "A-01-01" in steps(view, "goods_put_back")[0]["detail"]
    [rest] = [s for s in view["shipments"] if s["shipment_id"] != order.shipment_id]

    # The 4 boxes go through the chain on their own: pick list, invoice (next number), gate-out.
    async def pick_list() -> dict[str, Any] | None:
        lists = await chain.call("dispatch", "GET", "/pick-lists", p.picker, params={"warehouse": "PNQ"})
        return next((x for x in lists if x["shipment_id"] == rest["shipment_id"]), None)

    listed = await chain.until("the pick list of the 4 boxes", pick_list)
    assert [(D(x["quantity"]), x["bin_code"]) for x in listed["lines"]] == [(4, "A-01-01")]
    last = await picked_and_documented(chain, p, order.customer_id, order.order_id, "4", "LR-LONAV-2",
                                       but_not=Invoiced(order.customer_id, order.order_id, order.shipment_id,
                                                        invoice, bill), bill_needed=False)
    assert last.shipment_id == rest["shipment_id"] and D(last.invoice["totals"]["grand_total"]) == GROSS - shorter
    await chain.call("dispatch", "POST", f"/shipments/{last.shipment_id}/gate-out", p.supervisor)

    async def all_gone() -> bool:
        return (await on_shelf(chain, p) == shelf - 40 and await available(chain, p) == before - 40
                and (await exposure(chain, p, order.customer_id))["receivables"] == GROSS)

    await chain.until("all 40 boxes gone and owed", all_gone)
    rows = {r["invoice_no"]: r for r in await receivables(chain, p, order.customer_id)}
    assert rows[order.invoice["invoice_no"]]["status"] == "cancelled"
    assert D(rows[reissued["invoice_no"]]["amount"]) == shorter
    assert D(rows[last.invoice["invoice_no"]]["amount"]) == GROSS - shorter
    assert (await exposure(chain, p, order.customer_id))["total"] == GROSS
    await page_where(chain, p, order.order_id, "both shipments dispatched",
                     lambda v: all(s["status"] == "dispatched" for s in v["shipments"]))


# --- 4. cancelled after invoicing, past the windows (runs last: it moves the clock) -----------------------


async def test_an_order_cancelled_after_the_24_hour_windows_is_undone_by_credit_note(chain: Chain) -> None:
    p = people(chain)
    before = await available(chain, p)
    order = await invoiced_order(chain, p, "RANJANGAON", "AAJCR6624K")
    past_the_windows(chain)
    await chain.call("sales", "POST", f"/orders/{order.order_id}/cancel", p.coordinator,
                     json={"reason": "buyer cancelled the purchase order"})
    view = await cancelled_and_undone(chain, p, order, "credited by")
    [shipment] = view["shipments"]
    assert shipment["undo"]["ewaybill"] == "refused"
    assert "24 hours" in steps(view, "ewaybill_cancellation_refused")[0]["detail"]
    [note_step] = steps(view, "credit_note_issued")
    assert order.invoice["invoice_no"] in note_step["detail"]

    invoice = await chain.call("invoicing", "GET", f"/invoices/{order.invoice['invoice_id']}", p.accountant)
    assert invoice["status"] == "issued"  # past the window it stands, credited in full
    [note] = invoice["credit_notes"]
    assert D(note["grand_total"]) == GROSS and note["credit_note_no"].startswith("CRN/")

    async def note_registered() -> dict[str, Any] | None:
        found: dict[str, Any] = await chain.call("invoicing", "GET", f"/credit-notes/{note['id']}", p.accountant)
        return found if found["irn_status"] == "registered" else None

    await chain.until("the credit note's IRN", note_registered)
    period = note["credit_note_date"][:7]
    register = await chain.call("invoicing", "GET", "/invoice-register", p.accountant,
                                params={"gstin": SUPPLIER, "period": period})
    assert register["reconciled"] and note["credit_note_no"] in [d["number"] for d in register["documents"]]

    async def settled() -> bool:
        return (await exposure(chain, p, order.customer_id))["total"] == 0 and await available(chain, p) == before

    await chain.until("exposure released and the stock promisable again", settled)
    [receivable] = await receivables(chain, p, order.customer_id)
    assert D(receivable["credited"]) == GROSS and D(receivable["outstanding"]) == 0
    bill = await chain.call("ewaybill", "GET", f"/ewaybills/{order.bill['id']}", p.supervisor)
    assert bill["status"] == "generated" and "24 hours" in bill["last_refusal"]



# --- 4b. reduced after invoicing, past the windows (the clock moves again) ------------------------------------


async def test_an_order_reduced_after_the_24_hour_windows_counts_what_the_customer_really_owes(
        chain: Chain) -> None:
    p = people(chain)
    shelf, before = await on_shelf(chain, p), await available(chain, p)
    order = await invoiced_order(chain, p, "SHIRUR", "AALCS5173M")
    past_the_windows(chain)
    view = await reduced_to_24(chain, p, order, "credited by")
    assert shipment_of(view, order.shipment_id)["undo"]["ewaybill"] == "refused"
    [note_step] = steps(view, "credit_note_issued")
    assert order.invoice["invoice_no"] in note_step["detail"]
    invoice = await chain.call("invoicing", "GET", f"/invoices/{order.invoice['invoice_id']}", p.accountant)
    [note] = invoice["credit_notes"]
    assert invoice["status"] == "issued" and D(note["grand_total"]) == GROSS

    # Credited in full, the 40-box invoice is owed no more; the 24 boxes still to ship are open order (before the
    # fix credit kept counting the credited invoice against the new revision, and the exposure showed ₹0).
    async def recounted() -> bool:
        return (await exposure(chain, p, order.customer_id) == {"receivables": 0, "open_orders": REDUCED,
                                                                 "unapplied_credit": 0, "total": REDUCED}
                and await available(chain, p) == before - 24)

    await chain.until("exposure and stock of the reduced order", recounted)
    second = await ship_the_24(chain, p, order, "SHIRUR")

    async def shipped() -> bool:
        return await on_shelf(chain, p) == shelf - 24 and (await exposure(chain, p, order.customer_id))[
            "receivables"] == REDUCED

    await chain.until("the 24 boxes to leave the bin and their invoice to be owed", shipped)
    rows = {r["invoice_no"]: r for r in await receivables(chain, p, order.customer_id)}
    old = rows[order.invoice["invoice_no"]]
    assert D(old["credited"]) == GROSS and D(old["outstanding"]) == 0
    assert D(rows[second.invoice["invoice_no"]]["outstanding"]) == REDUCED
    assert (await exposure(chain, p, order.customer_id))["total"] == REDUCED
    view = await page_where(chain, p, order.order_id, "the 24 boxes dispatched",
                            lambda v: shipment_of(v, second.shipment_id)["status"] == "dispatched")
    assert shipment_of(view, order.shipment_id)["undo"]["invoice"].startswith("credited by CRN/")
