"""Orders driven through the chain of real service processes (an own stack), as the people do it over HTTP,
with what a client does in a fault: a 503 or a refused connection is retried until a deadline; a 500 is counted
(a fault must never answer one)."""

from __future__ import annotations

import random
import string
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
from o2c.ewaybill.adapters.pincodes import pincode_distance
from o2c.india.gstin import gstin_check_character
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.own_stack import ServiceProcesses
from o2c.kit.testing import wait_for
from o2c.testsupport.waits import until

D = Decimal
HOP = 90.0
"""Seconds one hop may take on a loaded two-core machine, a fault's recovery included."""


def gstin(state: str, pan: str) -> str:
    head = f"{state}{pan}1Z"
    return head + gstin_check_character(head)


SUPPLIER = gstin("27", "AAKCS4719M")
PUNE = {"code": "PNQ", "name": "Pune (Chakan) warehouse", "line1": "Gat No. 214, Chakan MIDC Phase II",
        "place": "Chakan", "district": "Pune", "state_code": "27", "pincode": "410501", "gstin": SUPPLIER}


@dataclass
class Chain:
    """HTTP to the processes of one own stack, as named people."""

    processes: ServiceProcesses
    issuer: LocalIssuer
    server_errors: list[str] = field(default_factory=list)
    calls: int = 0

    def who(self, subject: str, *roles: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issuer.token(subject, list(roles), **claims)}"}

    async def call(self, service: str, method: str, path: str, who: dict[str, str], *,
                   expect: int | tuple[int, ...] = (200, 201), patience: float = HOP, **kw: Any) -> Any:
        wanted = (expect,) if isinstance(expect, int) else expect
        deadline = time.monotonic() + patience
        headers = {**who, **kw.pop("headers", {})}

        async def answered() -> list[httpx.Response]:
            """The answer, or nothing while the process is away (killed, restarting) or a dependency is down (503
            with Retry-After: asked again, until the deadline; then the 503 is the answer)."""
            self.calls += 1
            try:
                async with httpx.AsyncClient(base_url=self.processes.url(service), timeout=30) as client:
                    response = await client.request(method, path, headers=headers, **kw)
            except httpx.TransportError as exc:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{service} {method} {path}: {type(exc).__name__} until the deadline") from exc
                return []
            if response.status_code >= 500 and response.status_code != 503:
                self.server_errors.append(f"{service} {method} {path} → {response.status_code}: {response.text[:200]}")
            if response.status_code == 503 and time.monotonic() < deadline:
                return []
            return [response]

        # The deadline is the patience; the last request asked before it may take its own 30 s timeout.
        [response] = await until(answered, timeout=patience + 30, interval=0.25, what=f"{service} {method} {path}")
        assert response.status_code in wanted, f"{service} {method} {path} → {response.status_code}: " \
                                               f"{response.text[:500]}"
        return response.json() if response.content else None

    async def until(self, what: str, probe: Callable[[], Awaitable[Any]], timeout: float = HOP) -> Any:
        return await wait_for(probe, timeout=timeout, interval=0.25, what=what)


@dataclass
class People:
    head: dict[str, str]
    coordinator: dict[str, str]
    warehouse: dict[str, str]
    picker: dict[str, str]
    supervisor: dict[str, str]
    finance_head: dict[str, str]
    accountant: dict[str, str]
    sre: dict[str, str]

    @classmethod
    def of(cls, chain: Chain) -> People:
        pnq = {"warehouse_ids": ["PNQ"]}
        return cls(head=chain.who("SH01", "sales_head"),
                   coordinator=chain.who("SC01", "sales_coordinator", sales_owner="SC01"),
                   warehouse=chain.who("WC-PNQ", "warehouse_coordinator", **pnq),
                   picker=chain.who("PK-PNQ-1", "picker", **pnq),
                   supervisor=chain.who("DS-PNQ", "dispatch_supervisor", **pnq),
                   finance_head=chain.who("FH01", "finance_head", approval_limit="10000000"),
                   accountant=chain.who("AC01", "accountant"),
                   sre=chain.who("SRE01", "sre"))


@dataclass
class Batch:
    """One batch's masters: its own item (so its stock is its own to count), price list and customer."""

    label: str
    item_code: str
    customer_id: str
    opening: Decimal
    orders: list[OrderRun] = field(default_factory=list)


@dataclass
class OrderRun:
    order_id: str = ""
    shipment_id: str = ""
    picked: Decimal = field(default_factory=Decimal)
    invoice: dict[str, Any] = field(default_factory=dict)
    reached: list[str] = field(default_factory=list)


def _pan() -> str:
    letters = string.ascii_uppercase
    return ("".join(random.choices(letters, k=3)) + "C" + random.choice(letters)
            + "".join(random.choices(string.digits, k=4)) + random.choice(letters))


async def prepare_batch(chain: Chain, p: People, label: str, opening: str = "1000") -> Batch:
    """Pune (once per stack), a GST rate, the batch's item with its price and stock, an approved customer."""
    tag = uuid.uuid4().hex[:6].upper()
    item = {"code": f"FLT-{label.upper()}-{tag}", "name": f"Fault suite bolt {label} {tag}", "hsn": "73181500",
            "unit": "BOX", "product_line": "FAS"}
    await chain.call("inventory", "POST", "/warehouses", p.warehouse, expect=(201, 409), json={
        **PUNE, "bins": [{"code": "RCV-01", "kind": "receiving"}, {"code": "A-01-01"}]})
    await chain.call("sales", "POST", "/gst-rates", p.head, expect=(201, 409), json={
        "hsn_prefix": "73181500", "rate": "18", "effective_from": "2025-09-22"})
    await chain.call("sales", "POST", "/items", p.head, json=[item], expect=201)
    price_list = f"FLT{tag}"
    await chain.call("sales", "POST", "/price-lists", p.head, expect=201, json={
        "code": price_list, "name": f"Fault suite {tag}", "entries": [
            {"item_code": item["code"], "unit_price": "6000.00", "valid_from": "2026-04-01",
             "valid_to": "2027-03-31"}]})

    async def known() -> bool:
        atp = await chain.call("inventory", "GET", "/atp", p.warehouse, params={"items": item["code"]})
        return bool(atp["items"][0]["known"])

    await chain.until("inventory to learn the item", known)
    key = uuid.uuid4().hex
    await chain.call("inventory", "POST", "/stock/receipts", p.warehouse, expect=201,
                     headers={"Idempotency-Key": key + "-r"},
                     json={"warehouse_id": "PNQ", "item_code": item["code"], "quantity": opening,
                           "bin_code": "RCV-01", "reference": f"GRN-{tag}"})
    await chain.call("inventory", "POST", "/stock/putaways", p.warehouse, expect=201,
                     headers={"Idempotency-Key": key + "-p"},
                     json={"warehouse_id": "PNQ", "item_code": item["code"], "quantity": opening,
                           "from_bin": "RCV-01", "to_bin": "A-01-01", "reference": f"GRN-{tag}"})
    pan = _pan()
    created = await chain.call("sales", "POST", "/customers", p.coordinator, expect=201, json={
        "code": f"FLT{tag}", "legal_name": f"Fault {tag} Engineering Private Limited", "pan": pan,
        "gst_category": "registered", "payment_terms_days": 30, "price_list_code": price_list,
        "sales_owner": "SC01", "ship_policy": "ship_partial", "shortage_policy": "backorder",
        "requested_credit_limit": "10000000.00",
        "addresses": [{"address_id": "BILL", "name": f"Fault {tag}", "line1": "Plot J-147, MIDC Bhosari",
                       "place": "Pune", "district": "Pune", "state_code": "27", "pincode": "411026",
                       "gstin": gstin("27", pan)}],
        "contacts": [{"name": "Purchase desk", "email": f"purchase-{tag.lower()}@fault.example",
                      "channels": ["email"]}]})
    customer_id: str = created["customer_id"]
    await chain.call("sales", "POST", f"/customers/{customer_id}/approve", p.head)

    async def profile() -> bool:
        async with httpx.AsyncClient(base_url=chain.processes.url("credit"), timeout=10) as client:
            found = await client.get(f"/credit-profiles/{customer_id}", headers=p.finance_head)
        return found.status_code == 200 and bool(found.json().get("credit_profile"))

    await chain.until("credit to open the customer's profile", profile)
    return Batch(label, item["code"], customer_id, D(opening))


async def order_status(chain: Chain, p: People, order_id: str) -> str:
    order = await chain.call("sales", "GET", f"/orders/{order_id}", p.coordinator)
    return str(order["status"])


async def place(chain: Chain, p: People, batch: Batch, quantity: str = "10") -> OrderRun:
    quotation = await chain.call("sales", "POST", "/quotations", p.coordinator, expect=201, json={
        "customer_id": batch.customer_id, "ship_to_id": "BILL",
        "lines": [{"item_code": batch.item_code, "quantity": quantity}]})
    order = await chain.call("sales", "POST", f"/quotations/{quotation['quotation_id']}/orders", p.coordinator,
                             json={"customer_po_no": f"PO/{batch.label}"}, expect=201,
                             headers={"Idempotency-Key": uuid.uuid4().hex})
    run = OrderRun(order_id=order["order_id"], reached=["order"])
    batch.orders.append(run)
    return run


async def pick_list(chain: Chain, p: People, run: OrderRun) -> dict[str, Any]:
    """Released → the pick list issued at Pune (the saga, credit, inventory and dispatch hops)."""
    async def released() -> bool:
        return await order_status(chain, p, run.order_id) == "released"

    await chain.until(f"order {run.order_id} released", released)

    async def issued() -> dict[str, Any] | None:
        lists = await chain.call("dispatch", "GET", "/pick-lists", p.picker,
                                 params={"warehouse": "PNQ", "status": "open"})
        return next((x for x in lists if x["order_id"] == run.order_id), None)

    found: dict[str, Any] = await chain.until(f"the pick list of {run.order_id}", issued)
    return found


async def confirm_and_capture(chain: Chain, p: People, run: OrderRun, found: dict[str, Any]) -> None:
    """The pick list picked in full → the supervisor's dispatch details (ShipmentReady → invoicing)."""
    line = found["lines"][0]
    await chain.call("dispatch", "POST", f"/pick-lists/{found['pick_list_id']}/lines/1/confirm", p.picker,
                     json={"picked": line["quantity"], "bin_code": line["bin_code"]})
    run.shipment_id, run.picked = found["shipment_id"], D(line["quantity"])
    await chain.call("dispatch", "POST", f"/shipments/{run.shipment_id}/dispatch-details", p.supervisor, json={
        "mode": "road", "vehicle_no": "MH12AB1234", "vehicle_type": "R", "driver_name": "Balasaheb Shinde",
        "driver_phone": "+919097760055", "transporter_id": "88AAFCD4512K1ZX",
        "transporter_name": "Deccan Roadways Private Limited", "lr_no": f"LR-{run.order_id[-8:]}",
        "lr_date": date.today().isoformat(), "distance_km": pincode_distance("410501", "411026") or 30})
    run.reached.append("details")


async def pick_and_capture(chain: Chain, p: People, run: OrderRun) -> None:
    await confirm_and_capture(chain, p, run, await pick_list(chain, p, run))


async def invoiced(chain: Chain, p: People, run: OrderRun) -> dict[str, Any] | None:
    found = await chain.call("invoicing", "GET", "/invoices", p.accountant, params={"order_id": run.order_id})
    if found and found[0]["irn_status"] == "registered":
        run.invoice = found[0]
        return found[0]
    return None


async def ewaybill_decided(chain: Chain, p: People, run: OrderRun) -> bool:
    bills = await chain.call("ewaybill", "GET", "/ewaybills", p.supervisor, params={"order_id": run.order_id})
    return bool(bills) and bills[0]["status"] != "pending"


async def notified(chain: Chain, p: People, run: OrderRun) -> bool:
    notices = await chain.call("notify", "GET", "/notifications", p.coordinator, params={"order_id": run.order_id})
    return any(n["kind"] == "dispatched" for n in notices)


async def finish(chain: Chain, p: People, run: OrderRun) -> None:
    """Invoice with IRN and e-way bill → gate-out → notice → closed."""
    await documents_and_gate_out(chain, p, run)
    await closed(chain, p, run)


async def documents_and_gate_out(chain: Chain, p: People, run: OrderRun) -> None:
    await chain.until(f"the invoice of {run.order_id} with its IRN", lambda: invoiced(chain, p, run))

    async def documents() -> bool:
        shipment = await chain.call("dispatch", "GET", f"/shipments/{run.shipment_id}", p.supervisor)
        return not shipment["waiting_for"]

    await chain.until(f"the shipment of {run.order_id} to hold its documents", documents)
    await chain.call("dispatch", "POST", f"/shipments/{run.shipment_id}/gate-out", p.supervisor)


async def closed(chain: Chain, p: People, run: OrderRun) -> None:
    async def is_closed() -> bool:
        return await order_status(chain, p, run.order_id) == "closed"

    await chain.until(f"order {run.order_id} closed", is_closed)
    run.reached.append("closed")


async def whole(chain: Chain, p: People, run: OrderRun) -> None:
    await pick_and_capture(chain, p, run)
    await finish(chain, p, run)


async def no_duplicated_effect(chain: Chain, p: People, batch: Batch) -> None:
    """One invoice, one IRN and one e-way bill per shipment; one notice per event and channel; one receivable
    per invoice; stock issued = picked."""
    irns: set[str] = set()
    for run in batch.orders:
        invoices = await chain.call("invoicing", "GET", "/invoices", p.accountant, params={"order_id": run.order_id})
        assert [i["shipment_id"] for i in invoices] == [run.shipment_id], f"one invoice per shipment: {invoices}"
        irns.add(invoices[0]["irn"]["irn"])
        bills = await chain.call("ewaybill", "GET", "/ewaybills", p.supervisor, params={"order_id": run.order_id})
        assert [(b["shipment_id"], b["status"]) for b in bills] == [(run.shipment_id, "generated")], bills
        notices = await chain.call("notify", "GET", "/notifications", p.coordinator,
                                   params={"order_id": run.order_id})
        keys = [(n["kind"], n["channel"]) for n in notices]
        assert len(keys) == len(set(keys)) and ("dispatched", "email") in keys, f"one notice each: {keys}"
    assert len(irns) == len(batch.orders), "one IRN per invoice"
    receivables = await chain.call("credit", "GET", f"/receivables/{batch.customer_id}", p.accountant)
    numbers = sorted(r["invoice_no"] for r in receivables["receivables"])
    assert numbers == sorted(run.invoice["invoice_no"] for run in batch.orders), "one ledger entry per invoice"
    picked = sum((run.picked for run in batch.orders), D(0))

    async def issued() -> bool:
        rows = await chain.call("inventory", "GET", "/stock", p.warehouse,
                                params={"warehouse_id": "PNQ", "item_code": batch.item_code})
        return sum((D(r["confirmed"]) for r in rows), D(0)) == batch.opening - picked

    await chain.until(f"stock issued = picked ({picked})", issued)
