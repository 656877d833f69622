"""Issue 14, findings 1 and 5: partners are held to the customers they serve, and a coordinator's sales-owner
scope holds in every service, not only in sales.

All seven services run in one harness (real Kafka, PostgreSQL, Redis). Two customers: Aundh (owner SC01,
served by partner P-1) and Baner (owner SC02, served by partner P-2). Baner's order is driven to its invoice,
e-way bill, receivable and payment notice; then each service is asked, with its own replica of the customer
scope, by the wrong partner and the wrong coordinator (refused) and by the right ones (answered: the refusal is
the scope, not a replica that has not caught up).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from o2c.credit.app import DEFINITION as CREDIT
from o2c.dispatch.app import DEFINITION as DISPATCH
from o2c.ewaybill.adapters.sandbox_server import create_app as nic_sandbox
from o2c.ewaybill.app import DEFINITION as EWAYBILL
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

if TYPE_CHECKING:
    from o2c.kit.testing import TestDatabases

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def gstin(state: str, pan: str) -> str:
    head = f"{state}{pan}1Z"
    return head + gstin_check_character(head)


SUPPLIER = gstin("27", "AAKCS4719M")
ITEM = {"code": "FAS-NUT-M12-ZP", "name": "Hex Nut M12 Zinc Plated (Box of 100)", "hsn": "73181600",
        "unit": "BOX", "product_line": "FAS"}


@dataclass
class World:
    chain: ChainDriver
    a: str  # customer Aundh: owner SC01, partner P-1
    b: str  # customer Baner: owner SC02, partner P-2
    a_order: dict[str, Any]
    b_order: dict[str, Any]
    b_quotation: str
    b_invoice: dict[str, Any]
    b_ewaybill: dict[str, Any]
    b_shipment: str

    def who(self, subject: str, *roles: str, **claims: Any) -> dict[str, str]:
        return self.chain.who(subject, *roles, **claims)


HEAD = ("SH01", "sales_head")
SC01 = {"sales_owner": "SC01"}
SC02 = {"sales_owner": "SC02"}


async def _customer(chain: ChainDriver, code: str, pan: str, owner: str, partners: list[str]) -> str:
    coordinator = chain.who(owner, "sales_coordinator", sales_owner=owner)
    created = await chain.call("sales", "POST", "/customers", coordinator, expect=201, json={
        "code": code, "legal_name": f"{code.title()} Fabricators Private Limited", "pan": pan,
        "gst_category": "registered", "payment_terms_days": 30, "price_list_code": "STD", "sales_owner": owner,
        "requested_credit_limit": "1000000.00",
        "addresses": [{"address_id": "BILL", "name": f"{code.title()} Fabricators", "line1": "Plot 7, MIDC",
                       "place": "Pune", "district": "Pune", "state_code": "27", "pincode": "411026",
                       "gstin": gstin("27", pan)}],
        "contacts": [{"name": "Accounts", "email": f"accounts@{code.lower()}.example", "channels": ["email"]}]})
    customer_id: str = created["customer_id"]
    await chain.call("sales", "POST", f"/customers/{customer_id}/approve", chain.who(*HEAD))
    served = await chain.call("sales", "PUT", f"/customers/{customer_id}/partners", chain.who(*HEAD),
                              json={"partner_ids": partners})
    assert served["partner_ids"] == partners
    assert any(a["field"] == "partner_ids" and a["who"] == "SH01" for a in served["audit"]), "the change is audited"
    return customer_id


async def _quotation(chain: ChainDriver, who: dict[str, str], customer_id: str) -> str:
    quotation = await chain.call("sales", "POST", "/quotations", who, expect=201, json={
        "customer_id": customer_id, "ship_to_id": "BILL", "lines": [{"item_code": ITEM["code"], "quantity": "10"}]})
    return str(quotation["quotation_id"])


@pytest.fixture(scope="module")
async def world(scratch_databases: TestDatabases, kafka_bootstrap: str, run_prefix: str, jwks_file: str,
                issuer: LocalIssuer) -> AsyncIterator[World]:
    harness = ServiceHarness(scratch_databases, kafka_bootstrap, f"{run_prefix}{uuid.uuid4().hex[:6]}.", jwks_file)
    await harness.create_all_topics()
    nic, nic_task, nic_url = await serve_app(nic_sandbox())
    inventory = await harness.start(INVENTORY)
    inv_server, inv_task, inventory_url = await serve_app(inventory.app)
    try:
        sales, credit, dispatch, invoicing, ewaybill, notify = await asyncio.gather(
            harness.start(SALES, inventory_url=inventory_url, atp_timeout_seconds=5.0, saga_tick_seconds=0.5),
            harness.start(CREDIT), harness.start(DISPATCH),
            harness.start(INVOICING, irp_mode="off", irn_poll_seconds=0.1, irn_retry_seconds=0.5,
                          pdf_poll_seconds=0.5),
            harness.start(EWAYBILL, ewb_sandbox_url=nic_url),
            harness.start(NOTIFY, notify_webhook_secrets_key="test-only-" + uuid.uuid4().hex))
        invoicing.runtime.extras["irp"] = HttpIrpGateway(
            "http://irp.sandbox", timeout=5.0, transport=httpx.ASGITransport(app=irp_sandbox(SandboxState())))
        chain = ChainDriver(issuer, {"sales": sales, "credit": credit, "inventory": inventory, "dispatch": dispatch,
                                     "invoicing": invoicing, "ewaybill": ewaybill, "notify": notify})
        head, pnq = chain.who(*HEAD), {"warehouse_ids": ["PNQ"]}
        warehouse = chain.who("WC-PNQ", "warehouse_coordinator", **pnq)
        await chain.call("inventory", "POST", "/warehouses", warehouse, expect=201, json={
            "code": "PNQ", "name": "Pune warehouse", "line1": "Gat 214, Chakan MIDC", "place": "Chakan",
            "district": "Pune", "state_code": "27", "pincode": "410501", "gstin": SUPPLIER,
            "bins": [{"code": "RCV-01", "kind": "receiving"}, {"code": "A-01-01"}]})
        await chain.call("sales", "POST", "/gst-rates", head, expect=201,
                         json={"hsn_prefix": ITEM["hsn"], "rate": "18", "effective_from": "2025-09-22"})
        await chain.call("sales", "POST", "/items", head, json=[ITEM], expect=201)
        await chain.call("sales", "POST", "/price-lists", head, expect=201, json={
            "code": "STD", "name": "Standard", "entries": [{"item_code": ITEM["code"], "unit_price": "500.00",
                                                           "valid_from": "2026-04-01", "valid_to": "2027-03-31"}]})

        async def known() -> bool:
            atp = await chain.call("inventory", "GET", "/atp", warehouse, params={"items": ITEM["code"]})
            return bool(atp["items"][0]["known"])

        await chain.until("inventory to learn the item", known)
        for step, body in (("receipts", {"bin_code": "RCV-01"}), ("putaways", {"from_bin": "RCV-01",
                                                                              "to_bin": "A-01-01"})):
            await chain.call("inventory", "POST", f"/stock/{step}", warehouse, expect=201,
                             headers={"Idempotency-Key": uuid.uuid4().hex},
                             json={"warehouse_id": "PNQ", "item_code": ITEM["code"], "quantity": "100",
                                   "reference": "GRN-1", **body})

        a = await _customer(chain, "AUNDH", "AAFCA1234K", "SC01", ["P-1"])
        b = await _customer(chain, "BANER", "AAFCB5678L", "SC02", ["P-2"])

        # Partner P-1 places Aundh's order (it serves Aundh); coordinator SC02 places Baner's.
        a_quotation = await _quotation(chain, chain.who("SC01", "sales_coordinator", **SC01), a)
        a_order = await chain.call("sales", "POST", f"/quotations/{a_quotation}/orders",
                                   chain.who("erp-p1", "partner", partner_id="P-1"), expect=201)
        sc02 = chain.who("SC02", "sales_coordinator", **SC02)
        b_quotation = await _quotation(chain, sc02, b)
        b_order = await chain.call("sales", "POST", f"/quotations/{b_quotation}/orders", sc02, expect=201)

        # Baner's order to its invoice and e-way bill (no gate-out needed for the documents).
        picker, supervisor = chain.who("PK-1", "picker", **pnq), chain.who("DS-1", "dispatch_supervisor", **pnq)

        async def pick_list() -> dict[str, Any] | None:
            lists = await chain.call("dispatch", "GET", "/pick-lists", picker, params={"warehouse": "PNQ"})
            return next((x for x in lists if x["order_id"] == b_order["order_id"]), None)

        picking = await chain.until("Baner's pick list", pick_list)
        await chain.call("dispatch", "POST", f"/pick-lists/{picking['pick_list_id']}/lines/1/confirm", picker,
                         json={"picked": "10", "bin_code": "A-01-01"})
        await chain.call("dispatch", "POST", f"/shipments/{picking['shipment_id']}/dispatch-details", supervisor,
                         json={"mode": "road", "vehicle_no": "MH12AB1234", "vehicle_type": "R",
                               "driver_name": "Balasaheb Shinde", "driver_phone": "+919097760055",
                               "transporter_id": "88AAFCD4512K1ZX", "transporter_name": "Deccan Roadways",
                               "lr_no": "DRW/1", "lr_date": date.today().isoformat()})
        accountant = chain.who("AC01", "accountant")

        async def invoice() -> dict[str, Any] | None:
            found = await chain.call("invoicing", "GET", "/invoices", accountant,
                                     params={"order_id": b_order["order_id"]})
            return found[0] if found and found[0]["irn_status"] == "registered" else None

        b_invoice = await chain.until("Baner's invoice with its IRN", invoice)

        async def bill() -> dict[str, Any] | None:
            found = await chain.call("ewaybill", "GET", "/ewaybills", supervisor,
                                     params={"order_id": b_order["order_id"]})
            return found[0] if found and found[0]["status"] != "pending" else None

        b_ewaybill = await chain.until("Baner's e-way bill", bill)
        cashier = chain.who("FE01", "finance_executive", approval_limit="500000")
        await chain.call("credit", "POST", "/payments", cashier, expect=201, json={
            "customer_id": b, "amount": "1000.00", "received_on": date.today().isoformat(), "mode": "neft",
            "bank_reference": "UTR-1", "invoice_ids": [b_invoice["invoice_id"]]})
        yield World(chain, a, b, a_order, b_order, b_quotation, b_invoice, b_ewaybill, picking["shipment_id"])
    finally:
        await harness.stop_all()
        for server, task in ((nic, nic_task), (inv_server, inv_task)):
            server.should_exit = True
            await task


async def _status(w: World, service: str, path: str, who: dict[str, str], **kw: Any) -> int:
    async with w.chain.services[service].client(**who) as client:
        return (await client.get(path, **kw)).status_code


async def _answered(w: World, service: str, path: str, who: dict[str, str], what: str, **kw: Any) -> None:
    """The rightful caller is answered (polled: its service's replica may still be catching up)."""
    async def ok() -> bool:
        return await _status(w, service, path, who, **kw) == 200

    await w.chain.until(what, ok)


# --- finding 1: partners ---------------------------------------------------------------------------------


async def test_a_partner_bound_to_one_customer_is_refused_another_customers_data_orders_pages_and_orders(
        world: World) -> None:
    w = world
    p1 = w.who("erp-p1", "partner", partner_id="P-1")
    a_page, b_page = f"/tracking/orders/{w.a_order['order_id']}", f"/tracking/orders/{w.b_order['order_id']}"
    await _answered(w, "sales", a_page, p1, "the partner's own customer's order page")
    assert await _status(w, "sales", f"/customers/{w.a}", p1) == 200
    assert await _status(w, "sales", f"/orders/{w.a_order['order_id']}", p1) == 200

    # Baner's master data (PAN, GSTINs, addresses, contacts), its order and its order page.
    assert await _status(w, "sales", f"/customers/{w.b}", p1) == 403
    assert await _status(w, "sales", f"/orders/{w.b_order['order_id']}", p1) == 403
    assert await _status(w, "sales", f"/orders/{w.b_order['order_id']}/saga", p1) == 403
    assert await _status(w, "sales", b_page, p1) == 403
    assert await _status(w, "sales", b_page + "/stream", p1) == 403

    # The order list and search hold only Aundh's rows, even when searching for Baner by name.
    listed = await w.chain.call("sales", "GET", "/tracking/orders", p1)
    assert {o["customer_id"] for o in listed} == {w.a}
    found = await w.chain.call("sales", "GET", "/tracking/search", p1, params={"q": "Baner"})
    assert found == []
    found = await w.chain.call("sales", "GET", "/tracking/search", p1, params={"q": "Fabricators"})
    assert {o["customer_id"] for o in found} == {w.a}

    # Nor may it place an order for Baner, directly or from Baner's quotation; nothing is created.
    refused = await w.chain.call("sales", "POST", "/orders", p1, expect=403, json={
        "customer_id": w.b, "ship_to_id": "BILL", "lines": [{"item_code": ITEM["code"], "quantity": "1"}]})
    assert "does not serve" in refused["detail"]
    await w.chain.call("sales", "POST", f"/quotations/{w.b_quotation}/orders", p1, expect=403)
    listed = await w.chain.call("sales", "GET", "/tracking/orders", w.who(*HEAD))
    assert sorted(o["customer_id"] for o in listed) == sorted([w.a, w.b])


async def test_a_partner_token_without_a_partner_id_is_refused(world: World) -> None:
    w = world
    nobody = w.who("erp-x", "partner")
    assert await _status(w, "sales", f"/customers/{w.a}", nobody) == 403
    assert await _status(w, "sales", f"/orders/{w.a_order['order_id']}", nobody) == 403
    assert await _status(w, "sales", f"/tracking/orders/{w.a_order['order_id']}", nobody) == 403
    assert await w.chain.call("sales", "GET", "/tracking/orders", nobody) == []
    await w.chain.call("sales", "POST", "/orders", nobody, expect=403, json={
        "customer_id": w.a, "ship_to_id": "BILL", "lines": [{"item_code": ITEM["code"], "quantity": "1"}]})


# --- finding 5: the sales-owner scope in every service ----------------------------------------------------


async def test_a_coordinator_is_refused_another_owners_customer_in_every_service(world: World) -> None:
    w = world
    mine, theirs = w.who("SC02", "sales_coordinator", **SC02), w.who("SC01", "sales_coordinator", **SC01)
    order_id, invoice_id = w.b_order["order_id"], w.b_invoice["invoice_id"]
    documents = [
        ("invoicing", f"/invoices/{invoice_id}", {}),
        ("invoicing", f"/invoices/{invoice_id}/pdf", {}),
        ("invoicing", "/invoices", {"params": {"customer_id": w.b}}),
        ("credit", f"/receivables/{w.b}", {}),
        ("credit", f"/credit-profiles/{w.b}", {}),
        ("credit", f"/statements/{w.b}", {"params": {"from": "2026-01-01", "to": "2099-12-31"}}),
        ("notify", "/notifications", {"params": {"customer_id": w.b}}),
        ("ewaybill", f"/ewaybills/{w.b_ewaybill['id']}", {}),
        ("dispatch", f"/shipments/{w.b_shipment}", {}),
        ("inventory", "/reservations", {"params": {"order_id": order_id}}),
        ("sales", f"/customers/{w.b}", {}),
    ]
    for service, path, kw in documents:
        await _answered(w, service, path, mine, f"Baner's owner to read {service} {path}", **kw)
        status = await _status(w, service, path, theirs, **kw)
        assert status == 403, f"{service} {path}: another owner's coordinator got {status}"

    # Notices: the owner sees Baner's payment notice; the other coordinator neither it nor it in a list.
    async def notices() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await w.chain.call("notify", "GET", "/notifications", mine,
                                                         params={"customer_id": w.b})
        return found

    [notice, *_] = await w.chain.until("Baner's payment notice", notices)
    assert await _status(w, "notify", f"/notifications/{notice['notification_id']}", theirs) == 403
    assert await w.chain.call("notify", "GET", "/notifications", theirs, params={"order_id": order_id}) == []

    # Lists in every service leave out another owner's rows.
    assert await w.chain.call("invoicing", "GET", "/invoices", theirs, params={"order_id": order_id}) == []
    assert await w.chain.call("ewaybill", "GET", "/ewaybills", theirs, params={"order_id": order_id}) == []
    shipments = await w.chain.call("dispatch", "GET", "/shipments", theirs)
    assert w.b_shipment not in {s["shipment_id"] for s in shipments}
    assert w.b_shipment in {s["shipment_id"] for s in await w.chain.call("dispatch", "GET", "/shipments", mine)}
    await w.chain.call("inventory", "PUT", "/routing-policy", w.who(*HEAD),
                       json={"scope": "customer", "customer_id": w.b, "strategy": "nearest"})
    for who, shown in ((theirs, False), (mine, True)):
        policies = await w.chain.call("inventory", "GET", "/routing-policy", who)
        assert (f"customer:{w.b}" in {p["scope"] for p in policies}) is shown
