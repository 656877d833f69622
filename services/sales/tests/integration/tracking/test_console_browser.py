"""The one screen in a real browser (Debian's headless Chromium driven by Playwright) against the whole chain:
seven services in one harness (real Kafka, PostgreSQL, Redis), sales and the services the console calls on
real ports.

The story: an over-limit order for a Pune buyer, split over two warehouses (Chakan and Bhiwandi), held for
the finance head; she approves it from her queue while the coordinator's order page is open (it updates
without a reload); the Chakan picker confirms a full line and a short one in the console; the supervisor
captures the vehicle, invoicing and the e-way bill follow, the shipment gates out. The coordinator finds the
order by the customer's name and reads the expected dispatch date, vehicle and e-way bill number on one page;
the timeline equals what the services hold, field by field; a customer login gets 403 on another's order.
Screenshots of the order page and two workspaces go to docs/screenshots/.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from o2c.ewaybill.adapters.pincodes import pincode_distance
from o2c.sales.tracking import domain
from o2c.testsupport.sales.browser_support import (  # noqa: F401  (stack_fixture: the `stack` fixture)
    CHAIN,
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    WAREHOUSES,
    CspWatch,
    D,
    Stack,
    given_warehouses_items_and_a_customer,
    ist_today,
    login,
    stack_fixture,
)

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(900)]


async def test_the_one_screen_in_a_browser(stack: Stack) -> None:
    from playwright.async_api import async_playwright, expect

    s = stack
    customer_id, other_customer_id = await given_warehouses_items_and_a_customer(s)
    coordinator = s.who("SC01", "sales_coordinator", sales_owner="SC01")
    # 12 MCB + 4 RCCB at Chakan (₹88,000) and 4 boards at Bhiwandi (₹12,000): ₹1,18,000 with GST, over ₹1,00,000.
    quotation = await s.call("sales", "POST", "/quotations", coordinator, expect=201, json={
        "customer_id": customer_id, "ship_to_id": "BILL",
        "lines": [{"item_code": "ELE-MCB-4P-63A-C", "quantity": "12"}, {"item_code": "ELE-RCCB-4P-63A",
                                                                       "quantity": "4"},
                  {"item_code": "ELE-DB-8W-TPN", "quantity": "4"}]})
    order = await s.call("sales", "POST", f"/quotations/{quotation['quotation_id']}/orders", coordinator,
                         json={"customer_po_no": "PO/26-27/0077"}, headers={"Idempotency-Key": uuid.uuid4().hex},
                         expect=201)
    order_id = order["order_id"]
    other = await s.call("sales", "POST", "/quotations", coordinator, expect=201, json={
        "customer_id": other_customer_id, "ship_to_id": "BILL", "lines": [{"item_code": "ELE-DB-8W-TPN",
                                                                           "quantity": "1"}]})
    other_order = await s.call("sales", "POST", f"/quotations/{other['quotation_id']}/orders", coordinator,
                               json={}, headers={"Idempotency-Key": uuid.uuid4().hex}, expect=201)

    async def tracked(oid: str, pred: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        async with s.services["sales"].client(**coordinator) as c:
            r = await c.get(f"/tracking/orders/{oid}")
        view = r.json() if r.status_code == 200 else None
        return view if view is not None and pred(view) else None

    held = await s.until("the credit hold on the order page", lambda: tracked(
        order_id, lambda v: v["status"] == "credit_hold" and len(v["reservations"]) == 2))
    assert [e["kind"] for e in held["open_exceptions"]] == ["credit_hold"]
    await s.until("the other order tracked", lambda: tracked(other_order["order_id"], lambda v: True))

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = s.urls["sales"] + "/console/"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            csp = CspWatch()
            ctx = await csp.watch(await browser.new_context(viewport={"width": 1280, "height": 900}))

            async def login_as(token: str, hash_: str) -> Any:
                return await login(ctx, base, token, hash_)

            # The coordinator searches the customer's name and opens the order: held, with planned shipments.
            coord = await login_as(s.raw("SC01", "sales_coordinator", sales_owner="SC01"), "#/")
            await coord.fill("#q", "chakan switchgear")
            await coord.press("#q", "Enter")
            await coord.click(f"[data-testid=orders] a[href='#/orders/{order_id}']")
            await expect(coord.locator("[data-field=credit-status]")).to_contain_text("held")
            await expect(coord.locator("#live")).to_contain_text("live")

            # The finance head approves from her queue; the coordinator's open page follows without a reload.
            finance = await login_as(s.raw("FH01", "finance_head", approval_limit="10000000"), "#/work/finance")
            row = finance.locator(f"[data-testid=sanction][data-order='{order_id}']")
            await expect(row).to_be_visible(timeout=CHAIN * 1000)
            # The receivables ageing the sanction carries (a new customer: nothing outstanding in any bucket).
            pending = await s.call("credit", "GET", "/sanctions", s.who("FH01", "finance_head"))
            ageing = next(x for x in pending if x["order"]["order_id"] == order_id)["ageing"]
            assert {D(v) for v in ageing.values()} == {D(0)}, ageing
            await expect(row.locator("[data-field=ageing]")).to_have_text("₹0.00 · ₹0.00 · ₹0.00 · ₹0.00")
            await finance.screenshot(path=str(SCREENSHOTS / "workspace-finance.png"), full_page=True)
            await row.locator("input[data-note]").fill("Sanctioned against the post-dated cheque")
            await row.locator("button[data-approve]").click()
            await expect(finance.locator("#toast")).to_contain_text("Sanctioned")
            await expect(coord.locator("[data-field=credit-status]")).to_contain_text("sanctioned",
                                                                                     timeout=CHAIN * 1000)
            assert await coord.evaluate("performance.getEntriesByType('navigation').length") == 1

            # The Chakan picker confirms the RCCB line in full and the MCB line short: 9 of 12.
            picker = await login_as(s.raw("PK-PNQ-1", "picker", warehouse_ids=["PNQ"]), "#/work/warehouse")
            pick_list = picker.locator("[data-testid=pick-list]").filter(has_text=order["number"])
            await expect(pick_list).to_be_visible(timeout=CHAIN * 1000)
            await picker.screenshot(path=str(SCREENSHOTS / "workspace-warehouse.png"), full_page=True)
            lines = pick_list.locator("[data-testid=pick-line]")
            rccb = lines.filter(has_text="RCCB")
            await rccb.locator("button[data-confirm]").click()
            await expect(picker.locator("#toast")).to_contain_text("confirmed")
            await expect(pick_list.locator("[data-testid=pick-line]").filter(has_text="RCCB")).to_contain_text("done")
            pick_list = picker.locator("[data-testid=pick-list]").filter(has_text=order["number"])
            mcb = pick_list.locator("[data-testid=pick-line]").filter(has_text="MCB")
            await mcb.locator("input[data-picked]").fill("9")
            await mcb.locator("select[data-reason]").select_option("bin_short")
            await mcb.locator("button[data-confirm]").click()
            await expect(picker.locator("#toast")).to_contain_text("Line 1 confirmed")
            await expect(picker.locator("[data-testid=pick-list]").filter(has_text=order["number"])).to_have_count(0)

            # The supervisor captures Part B; invoice and e-way bill follow; the Chakan shipment gates out.
            supervisor = s.who("DS-PNQ", "dispatch_supervisor", warehouse_ids=["PNQ"])
            pnq = await s.until("the Chakan shipment", lambda: _shipment(s, supervisor, order_id, "PNQ"))
            await s.until("the short pick to settle", lambda: _waiting_only_for(s, supervisor, pnq["shipment_id"],
                                                                                 "pick_confirmation", absent=True))
            await s.call("dispatch", "POST", f"/shipments/{pnq['shipment_id']}/dispatch-details", supervisor, json={
                "mode": "road", "vehicle_no": "MH12AB4321", "vehicle_type": "R", "driver_name": "Balasaheb Shinde",
                "driver_phone": "+919097760055",
                "transporter_id": "88AAFCD4512K1ZX", "transporter_name": "Deccan Roadways Private Limited",
                "lr_no": "DRW/245077", "lr_date": date.today().isoformat(),
                "distance_km": pincode_distance("410501", "411026") or 30})
            await s.until("invoice and e-way bill on the shipment", lambda: _waiting_only_for(
                s, supervisor, pnq["shipment_id"], None))
            await s.call("dispatch", "POST", f"/shipments/{pnq['shipment_id']}/gate-out", supervisor)
            view = await s.until("the gate-out on the order page", lambda: tracked(order_id, lambda v: any(
                x["status"] == "dispatched" for x in v["shipments"])))
            try:
                view = await s.until("the short pick's backorder on the order page", lambda: tracked(
                    order_id, lambda v: bool(v["backorders"])), timeout=30)
            except AssertionError:
                print("\nno backorder on the page; steps:", [x["kind"] for x in view["steps"]])
                print("inventory backorders:", await s.call("inventory", "GET", "/backorders",
                                                            s.who("SH01", "sales_head"),
                                                            params={"order_id": order_id}))
                print("sales saga:", (await s.call("sales", "GET", f"/orders/{order_id}", coordinator))["saga"])
                raise

            # One page: expected dispatch date, vehicle and e-way bill number.
            shipped = coord.locator(f"[data-testid=shipment][data-shipment='{pnq['shipment_id']}']")
            await expect(shipped.locator("[data-field=vehicle]")).to_have_text("MH12AB4321", timeout=30000)
            ebn = next(x for x in view["shipments"] if x["shipment_id"] == pnq["shipment_id"])["ewaybill"]
            assert ebn["ewaybill_no"] and len(ebn["ewaybill_no"]) == 12
            await expect(shipped.locator("[data-field=ewaybill]")).to_contain_text(ebn["ewaybill_no"])
            bom = next(x for x in view["shipments"] if x["warehouse_id"] == "BOM")
            rule_date = ist_today() + timedelta(days=domain.DEFAULT_LEAD_TIMES.pick_days)
            assert bom["expected_dispatch_date"] == rule_date.isoformat(), bom
            waiting = coord.locator(f"[data-testid=shipment][data-shipment='{bom['shipment_id']}']")
            shown = rule_date.strftime("%d %b %Y")
            await expect(waiting.locator("[data-field=expected-dispatch]")).to_have_text(shown)
            await coord.screenshot(path=str(SCREENSHOTS / "order-page.png"), full_page=True)
            phone = await csp.watch(await browser.new_context(viewport={"width": 390, "height": 844},
                                                              is_mobile=True))
            small = await phone.new_page()
            # The link `make demo` prints: the page with a token, which leaves the address bar at once and logs
            # nobody in until the person confirms whom it logs them in as.
            await small.goto(base + f"#/orders/{order_id}?token=" + s.raw("SC01", "sales_coordinator",
                                                                            sales_owner="SC01", name="Sneha C"))
            confirm = small.locator("[data-testid=confirm-login]")
            await expect(confirm.locator("h1")).to_have_text("Log in as Sneha C, sales coordinator?")
            assert await small.evaluate("location.hash") == f"#/orders/{order_id}"
            assert await small.evaluate("sessionStorage.getItem('o2c.token')") is None
            await expect(small.locator("[data-testid=order]")).to_have_count(0)
            await small.click("#confirm-login")
            await expect(small.locator("[data-field=credit-status]")).to_contain_text("sanctioned")
            assert await small.evaluate("location.hash") == f"#/orders/{order_id}"
            await small.screenshot(path=str(SCREENSHOTS / "order-page-phone.png"), full_page=True)
            await phone.close()

            # A customer login opening another customer's order gets 403.
            customer = await login_as(s.raw("buyer-chakan", "customer", customer_id=customer_id),
                                   f"#/orders/{other_order['order_id']}")
            await expect(customer.locator("[data-testid=error-status]")).to_contain_text("403")
            own = await login_as(s.raw("buyer-chakan", "customer", customer_id=customer_id), f"#/orders/{order_id}")
            await expect(own.locator("[data-testid=order]")).to_be_visible()
            csp.assert_clean()
        finally:
            await browser.close()

    await assert_timeline_equals_the_services(s, order_id, customer_id, pnq["shipment_id"], bom["shipment_id"])


async def _shipment(s: Stack, who: dict[str, str], order_id: str, warehouse: str) -> dict[str, Any] | None:
    found = await s.call("dispatch", "GET", "/shipments", who, params={"warehouse": warehouse})
    return next((x for x in found if x["order_id"] == order_id), None)


async def _waiting_only_for(s: Stack, who: dict[str, str], shipment_id: str, what: str | None, *,
                            absent: bool = False) -> dict[str, Any] | None:
    found: dict[str, Any] = await s.call("dispatch", "GET", f"/shipments/{shipment_id}", who)
    if absent:
        return found if what not in found["waiting_for"] else None
    return found if not found["waiting_for"] else None


async def assert_timeline_equals_the_services(s: Stack, order_id: str, customer_id: str, pnq_id: str,
                                              bom_id: str) -> None:
    """Every field the page shows against the service that owns it."""
    head = s.who("SH01", "sales_head")
    everyone = s.who("ALL", "sales_head", "finance_head", "dispatch_supervisor", "accountant", "compliance_officer",
                     "warehouse_coordinator", approval_limit="10000000", warehouse_ids=sorted(WAREHOUSES))

    async def settled() -> dict[str, Any] | None:
        async with s.services["sales"].client(**head) as c:
            view = (await c.get(f"/tracking/orders/{order_id}")).json()
        receivable = [r["invoice_no"] for r in view["receivables"]]
        return view if receivable else None

    view = await s.until("the receivable on the page", settled)
    order = await s.call("sales", "GET", f"/orders/{order_id}", head)
    assert (view["order_no"], view["customer"]["customer_id"]) == (order["number"], customer_id)
    assert view["quotation"]["quotation_id"] == order["quotation_id"]
    assert view["customer_po_no"] == "PO/26-27/0077"

    sanctions = await s.call("credit", "GET", "/sanctions", everyone, params={"status": "approved"})
    sanction = next(x for x in sanctions if x["order"]["order_id"] == order_id)
    assert view["credit"]["status"] == "sanctioned"
    assert (view["credit"]["decided_by"], view["credit"]["note"]) == (sanction["decided_by"], sanction["note"])
    assert D(view["credit"]["amount"]) == D(sanction["order"]["amount"])

    by_id = {x["shipment_id"]: x for x in view["shipments"]}
    assert set(by_id) == {pnq_id, bom_id}
    for shipment_id in (pnq_id, bom_id):
        page = by_id[shipment_id]
        held = await s.call("dispatch", "GET", f"/shipments/{shipment_id}", everyone)
        assert page["warehouse_id"] == held["warehouse_id"]
        assert page["pick_list_id"] == held["pick_list_id"] and page["pick_list_no"] == held["pick_list_no"]
        held_lines = {ln["order_line_no"]: ln for ln in held["lines"]}
        for line in page["lines"]:
            owner = held_lines[line["line_no"]]
            assert D(line["released"]) == D(owner["released"]), (line, owner)
            if line["confirmed"]:
                assert D(line["picked"]) == D(owner["picked"]), (line, owner)
        if shipment_id == pnq_id:
            assert page["status"] == "dispatched" == held["status"]
            details = held["dispatch_details"]
            assert (page["transport"]["vehicle_no"], page["transport"]["lr_no"],
                    page["transport"]["transporter_name"]) == (details["vehicle_no"], details["lr_no"],
                                                               details["transporter_name"])
            invoices = await s.call("invoicing", "GET", "/invoices", everyone, params={"order_id": order_id})
            (invoice,) = invoices
            assert page["invoice"]["invoice_no"] == invoice["invoice_no"]
            assert D(page["invoice"]["grand_total"]) == D(invoice["totals"]["grand_total"])
            assert page["invoice"]["irn"] == invoice["irn"]["irn"]
            (bill,) = await s.call("ewaybill", "GET", "/ewaybills", everyone, params={"order_id": order_id})
            assert page["ewaybill"]["ewaybill_no"] == bill["ewaybill_no"]
            assert datetime.fromisoformat(page["ewaybill"]["valid_until"]) == datetime.fromisoformat(
                bill["valid_until"])
            mcb = next(ln for ln in page["lines"] if ln["item_code"] == "ELE-MCB-4P-63A-C")
            assert (D(mcb["picked"]), D(mcb["short"]), mcb["short_reason"]) == (D(9), D(3), "bin_short")
            assert page["expected_dispatch_date"] == domain.ist_date(
                datetime.fromisoformat(page["dispatched_at"])).isoformat()
        else:
            assert page["status"] == "picking" and held["status"] in ("picking", "released")

    backorders = await s.call("inventory", "GET", "/backorders", head, params={"order_id": order_id})
    assert sorted((b["line_no"], D(b["quantity"])) for b in backorders) == sorted(
        (b["line_no"], D(b["quantity"])) for b in view["backorders"])
    receivables = await s.call("credit", "GET", f"/receivables/{customer_id}", everyone)
    assert [(r["invoice_no"], D(r["amount"])) for r in receivables["receivables"]] == [
        (r["invoice_no"], D(r["amount"])) for r in view["receivables"]]
    assert os.environ.get("O2C_CREDIT_URL") == s.urls["credit"]
    print(f"\ntracking browser story: order {view['order_no']} status {view['status']}, "
          f"{len(view['steps'])} steps; screenshots in {SCREENSHOTS}")
