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

import asyncio
import dataclasses
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from o2c.credit.app import DEFINITION as CREDIT
from o2c.dispatch.app import DEFINITION as DISPATCH
from o2c.ewaybill.adapters.pincodes import pincode_distance
from o2c.ewaybill.adapters.sandbox_server import create_app as nic_sandbox
from o2c.ewaybill.app import DEFINITION as EWAYBILL
from o2c.inventory.app import DEFINITION as INVENTORY
from o2c.invoicing.adapters.irp import HttpIrpGateway
from o2c.invoicing.adapters.irp_sandbox import SandboxState
from o2c.invoicing.adapters.irp_sandbox import create_app as irp_sandbox
from o2c.invoicing.app import DEFINITION as INVOICING
from o2c.invoicing.domain.gstin import gstin_check_character
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import RunningService, ServiceHarness, wait_for
from o2c.notify.app import DEFINITION as NOTIFY
from o2c.sales.app import DEFINITION as SALES
from o2c.sales.tracking import domain

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(900)]

D = Decimal
CHAIN = 90.0
SCREENSHOTS = Path(__file__).resolve().parents[5] / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def gstin(state: str, pan: str) -> str:
    head = f"{state}{pan}1Z"
    return head + gstin_check_character(head)


SUPPLIER_MH = gstin("27", "AAKCS4719M")
WAREHOUSES = {
    "PNQ": {"code": "PNQ", "name": "Pune (Chakan) warehouse", "line1": "Gat No. 214, Chakan MIDC Phase II",
            "place": "Chakan", "district": "Pune", "state_code": "27", "pincode": "410501", "gstin": SUPPLIER_MH},
    "BOM": {"code": "BOM", "name": "Bhiwandi warehouse", "line1": "Building B4, Mankoli Naka", "place": "Bhiwandi",
            "district": "Thane", "state_code": "27", "pincode": "421302", "gstin": SUPPLIER_MH},
}
ITEMS = [
    {"code": "ELE-MCB-4P-63A-C", "name": "MCB 4 pole 63 A C-curve", "hsn": "85362010", "unit": "NOS",
     "product_line": "ELE"},
    {"code": "ELE-RCCB-4P-63A", "name": "RCCB 4 pole 63 A 30 mA", "hsn": "85362090", "unit": "NOS",
     "product_line": "ELE"},
    {"code": "ELE-DB-8W-TPN", "name": "Distribution board 8-way TPN", "hsn": "85371000", "unit": "NOS",
     "product_line": "ELE"},
]
PRICES = {"ELE-MCB-4P-63A-C": "6000.00", "ELE-RCCB-4P-63A": "4000.00", "ELE-DB-8W-TPN": "3000.00"}
# item → warehouse → (bin, quantity): MCB and RCCB at Chakan only, the boards at Bhiwandi only: a split.
STOCK = {"ELE-MCB-4P-63A-C": {"PNQ": ("A-01-01", "12")}, "ELE-RCCB-4P-63A": {"PNQ": ("A-01-02", "10")},
         "ELE-DB-8W-TPN": {"BOM": ("B-01-01", "10")}}


async def serve(app: Any) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return bool(server.started)

    await wait_for(started, timeout=20, what="local HTTP server listening")
    return server, task, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


@dataclasses.dataclass
class Stack:
    issuer: LocalIssuer
    services: dict[str, RunningService]
    urls: dict[str, str]

    def who(self, subject: str, *roles: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": "Bearer " + self.issuer.token(subject, list(roles), **claims)}

    def raw(self, subject: str, *roles: str, **claims: Any) -> str:
        return self.issuer.token(subject, list(roles), **claims)

    async def call(self, service: str, method: str, path: str, who: dict[str, str], *,
                   expect: int | tuple[int, ...] = (200, 201), **kw: Any) -> Any:
        async with self.services[service].client(**who) as client:
            response = await client.request(method, path, **kw)
        wanted = (expect,) if isinstance(expect, int) else expect
        assert response.status_code in wanted, f"{service} {method} {path} → {response.status_code}: {response.text}"
        return response.json()

    async def until(self, what: str, probe: Callable[[], Awaitable[Any]], timeout: float = CHAIN) -> Any:
        return await wait_for(probe, timeout=timeout, interval=0.25, what=what)


@pytest.fixture
async def stack(harness: ServiceHarness, issuer: LocalIssuer, monkeypatch: pytest.MonkeyPatch
                ) -> AsyncIterator[Stack]:
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    nic, nic_task, nic_url = await serve(nic_sandbox())
    servers.append((nic, nic_task))
    inventory, credit, dispatch, invoicing, ewaybill, notify = await asyncio.gather(
        harness.start(INVENTORY), harness.start(CREDIT), harness.start(DISPATCH),
        harness.start(INVOICING, irp_mode="off", irn_poll_seconds=0.1, irn_retry_seconds=0.5, pdf_poll_seconds=0.5),
        harness.start(EWAYBILL, ewb_sandbox_url=nic_url), harness.start(NOTIFY),
    )
    invoicing.runtime.extras["irp"] = HttpIrpGateway("http://irp.sandbox", timeout=5.0,
                                                     transport=httpx.ASGITransport(app=irp_sandbox(SandboxState())))
    services = {"inventory": inventory, "credit": credit, "dispatch": dispatch, "invoicing": invoicing,
                "ewaybill": ewaybill, "notify": notify}
    urls: dict[str, str] = {}
    for name, running in services.items():
        server, task, url = await serve(running.app)
        servers.append((server, task))
        urls[name] = url
        monkeypatch.setenv(f"O2C_{name.upper()}_URL", url)  # the console's forwarder reads these
    sales = await harness.start(SALES, inventory_url=urls["inventory"], atp_timeout_seconds=5.0,
                                saga_tick_seconds=0.5)
    server, task, urls["sales"] = await serve(sales.app)
    servers.append((server, task))
    services["sales"] = sales
    yield Stack(issuer, services, urls)
    for server, task in servers:
        server.should_exit = True
        await task


async def given_warehouses_items_and_a_customer(s: Stack) -> tuple[str, str]:
    head = s.who("SH01", "sales_head")
    for code, body in WAREHOUSES.items():
        bins = [{"code": "RCV-01", "kind": "receiving"}] + [
            {"code": stock[code][0]} for stock in STOCK.values() if code in stock]
        await s.call("inventory", "POST", "/warehouses", s.who(f"WC-{code}", "warehouse_coordinator",
                                                                warehouse_ids=[code]),
                     json={**body, "bins": bins}, expect=201)
    for item in ITEMS:
        await s.call("sales", "POST", "/gst-rates", head, json={"hsn_prefix": item["hsn"], "rate": "18",
                                                               "effective_from": "2025-09-22"}, expect=201)
    await s.call("sales", "POST", "/items", head, json=ITEMS, expect=201)
    await s.call("sales", "POST", "/price-lists", head, expect=201, json={
        "code": "STD", "name": "Standard FY 2026-27",
        "entries": [{"item_code": code, "unit_price": price, "valid_from": "2026-04-01", "valid_to": "2027-03-31"}
                    for code, price in PRICES.items()]})

    async def known() -> bool:
        atp = await s.call("inventory", "GET", "/atp", head, params={"items": ",".join(PRICES)})
        return all(i["known"] for i in atp["items"])

    await s.until("inventory to learn the items", known)
    for item_code, places in STOCK.items():
        for wh, (bin_code, quantity) in places.items():
            who = s.who(f"WC-{wh}", "warehouse_coordinator", warehouse_ids=[wh])
            key = uuid.uuid4().hex
            await s.call("inventory", "POST", "/stock/receipts", who, expect=201,
                         headers={"Idempotency-Key": key + "-r"},
                         json={"warehouse_id": wh, "item_code": item_code, "quantity": quantity,
                               "bin_code": "RCV-01", "reference": "GRN-1"})
            await s.call("inventory", "POST", "/stock/putaways", who, expect=201,
                         headers={"Idempotency-Key": key + "-p"},
                         json={"warehouse_id": wh, "item_code": item_code, "quantity": quantity,
                               "from_bin": "RCV-01", "to_bin": bin_code, "reference": "GRN-1"})
    coordinator = s.who("SC01", "sales_coordinator", sales_owner="SC01")
    customer_ids = []
    for code, pan in (("CHAKAN", "AAGCC7731P"), ("OTHER", "AAGCO1234Q")):
        created = await s.call("sales", "POST", "/customers", coordinator, expect=201, json={
            "code": code, "legal_name": f"{code.title()} Switchgear Private Limited", "pan": pan,
            "gst_category": "registered", "payment_terms_days": 30, "price_list_code": "STD",
            "sales_owner": "SC01", "ship_policy": "ship_partial", "shortage_policy": "backorder",
            "requested_credit_limit": "100000.00",
            "addresses": [{"address_id": "BILL", "name": f"{code.title()} Switchgear", "line1": "Plot J-147, MIDC",
                           "place": "Pune", "district": "Pune", "state_code": "27", "pincode": "411026",
                           "gstin": gstin("27", pan)}],
            "contacts": [{"name": "Purchase", "email": f"purchase@{code.lower()}.example", "channels": ["email"]}]})
        await s.call("sales", "POST", f"/customers/{created['customer_id']}/approve", head)
        customer_ids.append(created["customer_id"])

    async def profiles() -> bool:
        for cid in customer_ids:
            async with s.services["credit"].client(**s.who("FH01", "finance_head")) as c:
                r = await c.get(f"/credit-profiles/{cid}")
            if r.status_code != 200 or not r.json().get("credit_profile"):
                return False
        return True

    await s.until("credit profiles", profiles)
    return customer_ids[0], customer_ids[1]


def ist_today() -> date:
    return domain.ist_date(datetime.now(UTC))


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
            ctx = await browser.new_context(viewport={"width": 1280, "height": 900})

            async def login(token: str, hash_: str) -> Any:
                page = await ctx.new_page()
                await page.goto(base + "#/login")
                await page.fill("#token", token)
                await page.click("#login button")
                await page.evaluate(f"location.hash = {hash_!r}")
                return page

            # The coordinator searches the customer's name and opens the order: held, with planned shipments.
            coord = await login(s.raw("SC01", "sales_coordinator", sales_owner="SC01"), "#/")
            await coord.fill("#q", "chakan switchgear")
            await coord.press("#q", "Enter")
            await coord.click(f"[data-testid=orders] a[href='#/orders/{order_id}']")
            await expect(coord.locator("[data-field=credit-status]")).to_contain_text("held")
            await expect(coord.locator("#live")).to_contain_text("live")

            # The finance head approves from her queue; the coordinator's open page follows without a reload.
            finance = await login(s.raw("FH01", "finance_head", approval_limit="10000000"), "#/work/finance")
            row = finance.locator(f"[data-testid=sanction][data-order='{order_id}']")
            await expect(row).to_be_visible(timeout=CHAIN * 1000)
            await finance.screenshot(path=str(SCREENSHOTS / "workspace-finance.png"), full_page=True)
            await row.locator("input[data-note]").fill("Sanctioned against the post-dated cheque")
            await row.locator("button[data-approve]").click()
            await expect(finance.locator("#toast")).to_contain_text("Sanctioned")
            await expect(coord.locator("[data-field=credit-status]")).to_contain_text("sanctioned",
                                                                                     timeout=CHAIN * 1000)
            assert await coord.evaluate("performance.getEntriesByType('navigation').length") == 1

            # The Chakan picker confirms the RCCB line in full and the MCB line short: 9 of 12.
            picker = await login(s.raw("PK-PNQ-1", "picker", warehouse_ids=["PNQ"]), "#/work/warehouse")
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
            phone = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
            small = await phone.new_page()
            await small.goto(base + "#/login")
            await small.fill("#token", s.raw("SC01", "sales_coordinator", sales_owner="SC01"))
            await small.click("#login button")
            await small.evaluate(f"location.hash = '#/orders/{order_id}'")
            await expect(small.locator("[data-field=credit-status]")).to_contain_text("sanctioned")
            await small.screenshot(path=str(SCREENSHOTS / "order-page-phone.png"), full_page=True)
            await phone.close()

            # A customer login opening another customer's order gets 403.
            customer = await login(s.raw("buyer-chakan", "customer", customer_id=customer_id),
                                   f"#/orders/{other_order['order_id']}")
            await expect(customer.locator("[data-testid=error-status]")).to_contain_text("403")
            own = await login(s.raw("buyer-chakan", "customer", customer_id=customer_id), f"#/orders/{order_id}")
            await expect(own.locator("[data-testid=order]")).to_be_visible()
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
                     "warehouse_coordinator", approval_limit="10000000")

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
