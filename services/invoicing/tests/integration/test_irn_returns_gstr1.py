"""E-invoice through the IRP sandbox (over HTTP shapes), credit notes for returns, GSTR-1 from the register."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from o2c.contracts.types import Quantity, Uqc
from o2c.contracts.v1.inventory import GoodsCondition, GoodsReturned, ReturnedLine
from o2c.invoicing.adapters.irp_sandbox import Registration, SandboxState
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import RunningService, bearer, wait_for

pytestmark = pytest.mark.integration
D = Decimal


async def _invoice_when(svc: RunningService, headers: dict[str, str], invoice_id: str, irn_status: str
                        ) -> dict[str, Any]:
    async with svc.client(**headers) as client:
        async def probe() -> dict[str, Any] | None:
            body: dict[str, Any] = (await client.get(f"/invoices/{invoice_id}")).json()
            return body if body["irn_status"] == irn_status else None

        return await wait_for(probe, what=f"IRN status {irn_status}")


async def test_b2b_invoice_is_registered_at_the_irp(
    invoicing: RunningService, broker: Any, given: ModuleType, issuer: LocalIssuer, sandbox: SandboxState
) -> None:
    accountant = bearer(issuer, "accountant")
    shipment = given.ready(given.line(1, "4"))
    await broker.send(shipment, "dispatch")
    [inv] = await given.invoice_of(invoicing, accountant, shipment.order_id)
    assert inv["irn_required"] is True
    done = await _invoice_when(invoicing, accountant, inv["invoice_id"], "registered")
    expected = hashlib.sha256(
        f"{given.SUPPLIER_MH}{inv['financial_year']}INV{inv['invoice_no']}".encode()).hexdigest()
    assert done["irn"]["irn"] == expected and done["irn"]["ack_no"] and done["irn"]["signed_qr_code"]
    [registered] = await broker.published("IrnRegistered")
    assert registered["payload"]["irn"]["irn"] == expected


async def test_duplicate_irn_2150_fetches_the_existing_registration(
    invoicing: RunningService, broker: Any, given: ModuleType, issuer: LocalIssuer, sandbox: SandboxState
) -> None:
    # An earlier attempt reached the IRP but its answer was lost: the IRP already holds the IRN.
    accountant = bearer(issuer, "accountant")
    gateway = invoicing.runtime.extras["irp"]
    invoicing.runtime.extras["irp"] = None  # the IRP "answers nothing" until the registration exists there
    shipment = given.ready(given.line(1, "4"))
    await broker.send(shipment, "dispatch")
    [inv] = await given.invoice_of(invoicing, accountant, shipment.order_id)
    irn = hashlib.sha256(f"{given.SUPPLIER_MH}{inv['financial_year']}INV{inv['invoice_no']}".encode()).hexdigest()
    sandbox.registrations[irn] = Registration(irn=irn, ack_no=999000111, ack_date=datetime.now(UTC).replace(
        microsecond=0), signed_invoice="x", signed_qr="earlier-qr")
    invoicing.runtime.extras["irp"] = gateway
    done = await _invoice_when(invoicing, accountant, inv["invoice_id"], "registered")
    # Refused with 2150 (naming the existing IRN), then the existing registration is fetched: no second one.
    assert sandbox.calls.count("generate") == 1 and sandbox.calls.count("get_by_irn") == 1
    assert (done["irn"]["irn"], done["irn"]["ack_no"], done["irn"]["signed_qr_code"]) == (
        irn, "999000111", "earlier-qr")
    assert len(sandbox.registrations) == 1


async def test_rejected_irn_is_visible_and_retried_after_correction(
    invoicing: RunningService, broker: Any, given: ModuleType, issuer: LocalIssuer, sandbox: SandboxState
) -> None:
    accountant = bearer(issuer, "accountant")
    sandbox.unregistered.add(given.BUYER_KA)
    shipment = given.ready(given.line(1, "4"), ship_to=given.BENGALURU)
    await broker.send(shipment, "dispatch")
    [inv] = await given.invoice_of(invoicing, accountant, shipment.order_id)
    rejected = await _invoice_when(invoicing, accountant, inv["invoice_id"], "rejected")
    assert rejected["irn_error"]["code"] == "3029"
    [event] = await broker.published("IrnRejected")
    assert event["payload"]["code"] == "3029" and event["payload"]["invoice_id"] == inv["invoice_id"]

    sandbox.unregistered.clear()  # the buyer's registration is corrected at the portal
    async with invoicing.client(**accountant) as client:
        retried = await client.post(f"/invoices/{inv['invoice_id']}/irn/retry")
        assert retried.status_code == 202, retried.text
        again = await client.post(f"/invoices/{inv['invoice_id']}/irn/retry")
    await _invoice_when(invoicing, accountant, inv["invoice_id"], "registered")
    assert again.status_code in (202, 409)


async def test_returns_credit_notes_and_gstr1_reconcile(
    invoicing: RunningService, broker: Any, given: ModuleType, issuer: LocalIssuer
) -> None:
    accountant = bearer(issuer, "accountant")
    shipment = given.ready(given.line(1, "17", "20"))
    await broker.send(shipment, "dispatch")
    [inv] = await given.invoice_of(invoicing, accountant, shipment.order_id)

    def returned(return_id: str, quantity: str) -> GoodsReturned:
        return GoodsReturned(
            return_id=return_id, return_no=return_id.upper(), order_id=shipment.order_id,
            customer_id=shipment.customer_id, invoice_id=inv["invoice_id"], invoice_no=inv["invoice_no"],
            invoice_date=inv["invoice_date"], warehouse_id="WH-PUN-1",
            lines=[ReturnedLine(invoice_line_no=1, item_code="ITEM-1", quantity=Quantity(value=D(quantity),
                                unit=Uqc.NOS), condition=GoodsCondition.SALEABLE)],
            received_at=datetime.now(UTC))

    await broker.send(returned("ret-1", "5"), "inventory")
    [note_event] = await broker.published("CreditNoteIssued")
    note = note_event["payload"]
    assert note["original_invoice_no"] == inv["invoice_no"] and note["original_invoice_date"] == inv["invoice_date"]
    assert note["lines"][0]["quantity"]["value"] == "5"
    assert (note["totals"]["taxable_value"], note["totals"]["cgst"], note["totals"]["sgst"]) == (
        "1250.00", "112.50", "112.50")

    await broker.send(returned("ret-2", "13"), "inventory")  # only 12 are left to return
    async with invoicing.client(**accountant) as client:
        async def refused() -> list[dict[str, Any]] | None:
            rows: list[dict[str, Any]] = (await client.get("/returns", params={"invoice_id": inv["invoice_id"]})).json()
            return rows if any(r["status"] == "refused" for r in rows) else None

        rows = await wait_for(refused, what="the second return refused")
        by_id = {r["return_id"]: r for r in rows}
        assert by_id["ret-1"]["status"] == "credited"
        assert "only 12" in by_id["ret-2"]["reason"]
        async def crn_registered() -> dict[str, Any] | None:
            body: dict[str, Any] = (await client.get(f"/credit-notes/{note['credit_note_id']}")).json()
            return body if body["irn_status"] == "registered" else None

        credit_note = await wait_for(crn_registered, what="the credit note's IRN (document type CRN)")
        assert credit_note["credit_note_no"] == note["credit_note_no"] and len(credit_note["irn"]["irn"]) == 64
        other = await client.get(f"/credit-notes/{note['credit_note_id']}",
                                 headers=bearer(issuer, "customer", customer_id="someone-else"))
        assert other.status_code == 403

        period = inv["invoice_date"][:7]
        gstr1 = await client.get("/gstr1", params={"gstin": given.SUPPLIER_MH, "period": period})
        assert gstr1.status_code == 200, gstr1.text
        report = gstr1.json()
        assert report["b2b"][0]["ctin"] == given.BUYER_MH
        assert report["b2b"][0]["inv"][0]["inum"] == inv["invoice_no"]
        assert report["cdnr"][0]["nt"][0]["nt_num"] == note["credit_note_no"]
        register = (await client.get("/invoice-register", params={"gstin": given.SUPPLIER_MH, "period": period}
                                     )).json()
        assert register["reconciled"] is True
        assert register["register_totals"]["taxable_value"] == "3000.00"  # 4250 − 1250
