"""What the console's browser tests share: the seven services on real ports in one harness, the Pune
distributor's warehouses, items, stock and customers, Chromium's launch arguments and a login helper."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
import uvicorn
from o2c.credit.app import DEFINITION as CREDIT
from o2c.dispatch.app import DEFINITION as DISPATCH
from o2c.ewaybill.adapters.pincodes import pincode_distance
from o2c.ewaybill.adapters.sandbox_server import SandboxPortal
from o2c.ewaybill.adapters.sandbox_server import create_app as nic_sandbox
from o2c.ewaybill.app import DEFINITION as EWAYBILL
from o2c.ewaybill.domain.sandbox import PincodeDistance
from o2c.india.gstin import gstin_check_character
from o2c.inventory.app import DEFINITION as INVENTORY
from o2c.invoicing.adapters.irp import HttpIrpGateway
from o2c.invoicing.adapters.irp_sandbox import SandboxState
from o2c.invoicing.adapters.irp_sandbox import create_app as irp_sandbox
from o2c.invoicing.app import DEFINITION as INVOICING
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import ChainDriver, ServiceHarness, serve_app
from o2c.notify.app import DEFINITION as NOTIFY
from o2c.sales.app import DEFINITION as SALES
from o2c.sales.tracking import domain

D = Decimal
CHAIN = 90.0
# A test run leaves the checkout clean: pictures go under .stack/ unless O2C_SCREENSHOTS_DIR names a folder
# (O2C_SCREENSHOTS_DIR=docs/screenshots refreshes the ones the docs show).
SCREENSHOTS = Path(os.environ.get("O2C_SCREENSHOTS_DIR")
                   or Path(__file__).resolve().parents[4] / ".stack" / "screenshots")
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


@dataclasses.dataclass
class Stack(ChainDriver):
    urls: dict[str, str]
    portal: SandboxPortal
    """The NIC sandbox's state (its requests, and refusals a test scripts)."""

    patience: ClassVar[float] = CHAIN


@contextlib.asynccontextmanager
async def running_stack(harness: ServiceHarness, issuer: LocalIssuer, monkeypatch: pytest.MonkeyPatch, *,
                        portal_distance: PincodeDistance = pincode_distance) -> AsyncIterator[Stack]:
    """Seven services in one harness, each on a real port (the console's forwarder reads O2C_<SVC>_URL), the
    NIC e-way bill sandbox on its own port (`portal_distance`: the portal's pincode directory) and the IRP
    sandbox in process."""
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    nic_app = nic_sandbox(portal_distance)
    nic, nic_task, nic_url = await serve_app(nic_app)
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
    try:
        for name, running in services.items():
            server, task, url = await serve_app(running.app)
            servers.append((server, task))
            urls[name] = url
            monkeypatch.setenv(f"O2C_{name.upper()}_URL", url)  # the console's forwarder reads these
        sales = await harness.start(SALES, inventory_url=urls["inventory"], atp_timeout_seconds=5.0,
                                    saga_tick_seconds=0.5)
        server, task, urls["sales"] = await serve_app(sales.app)
        servers.append((server, task))
        services["sales"] = sales
        yield Stack(issuer, services, urls, nic_app.state.sandbox)
    finally:
        for server, task in servers:
            server.should_exit = True
            await task


@pytest.fixture(name="stack")
async def stack_fixture(harness: ServiceHarness, issuer: LocalIssuer, monkeypatch: pytest.MonkeyPatch
                        ) -> AsyncIterator[Stack]:
    async with running_stack(harness, issuer, monkeypatch) as s:
        yield s


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


class CspWatch:
    """Collects every Content-Security-Policy violation in a browser context (the console is served with a
    strict CSP: a blocked inline script or style would break a page silently): the `securitypolicyviolation`
    event of every page, and Chromium's console report. A test asserts `violations == []` at its end."""

    SCRIPT = """document.addEventListener("securitypolicyviolation", (e) => console.error(
        `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"} ` +
        `at ${e.sourceFile}:${e.lineNumber}`));"""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.csp_seen: list[str] = []

    async def watch(self, ctx: Any) -> Any:
        await ctx.add_init_script(script=self.SCRIPT)
        ctx.on("console", self._console)
        ctx.on("response", self._response)
        return ctx

    def _console(self, message: Any) -> None:
        text = str(message.text)
        if "CSP violation" in text or "Content Security Policy" in text:
            self.violations.append(text)

    def _response(self, response: Any) -> None:
        if response.request.resource_type == "document":
            self.csp_seen.append(str(response.headers.get("content-security-policy", "")))

    def assert_clean(self) -> None:
        assert self.csp_seen and all("script-src 'self'" in c for c in self.csp_seen), self.csp_seen
        assert self.violations == [], self.violations


def ist_today() -> date:
    return domain.ist_date(datetime.now(UTC))


async def login(ctx: Any, base: str, token: str, hash_: str) -> Any:
    """A new tab of `ctx` logged in with `token` (pasted into the login form), then sent to `hash_`."""
    page = await ctx.new_page()
    await page.goto(base + "#/login")
    await page.fill("#token", token)
    await page.click("#login button")
    # The form's handler sends the page home (and home to the first workspace); moving on before it ran would
    # let it overwrite the location set below.
    await page.wait_for_function("() => !location.hash.startsWith('#/login') && "
                                 "!!document.querySelector('#nav a[href=\"#/login\"]')")
    await page.evaluate(f"location.hash = {hash_!r}")
    return page
