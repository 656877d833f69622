"""ShipmentReady through the real broker → one tax invoice from the picked quantities → InvoiceIssued."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from o2c.contracts.envelope import Envelope
from o2c.contracts.v1.common import SupplyType
from o2c.contracts.v1.ewaybill import EwayBillGenerated
from o2c.invoicing.adapters.db import invoice as invoice_table
from o2c.invoicing.bootstrap import bootstrap
from o2c.invoicing.service_layer import use_cases as uc
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import RunningService, bearer, wait_for
from o2c.testsupport.waits import until

pytestmark = pytest.mark.integration
D = Decimal


async def test_one_invoice_per_shipment_from_picked_quantities_cgst_sgst(
    invoicing: RunningService, broker: Any, given: ModuleType, issuer: LocalIssuer
) -> None:
    accountant = bearer(issuer, "accountant")
    # Ordered/released 20, picked 17 at 250.00 (18 %); plus 3 soaps at 33.33 (5 % since 22 Sep 2025).
    shipment = given.ready(given.line(1, "17", "20"), given.line(2, "3", price="33.33", hsn="34011190"))
    first = await broker.send(shipment, "dispatch")
    await broker.send(shipment, "dispatch", envelope=first)  # the same record redelivered
    await broker.send(shipment, "dispatch")  # ShipmentReady re-sent by dispatch (a new message id)

    [inv] = await given.invoice_of(invoicing, accountant, shipment.order_id)
    assert inv["invoice_no"].startswith("INV/") and len(inv["invoice_no"]) <= 16
    assert inv["supplier_gstin"] == given.SUPPLIER_MH and inv["place_of_supply"] == "27"
    tea, soap = inv["lines"]
    assert tea["quantity"] == {"value": "17", "unit": "NOS"}
    assert (tea["taxable_value"], tea["cgst_rate"], tea["cgst_amount"], tea["sgst_amount"], tea["igst_amount"]) == (
        "4250.00", "9", "382.50", "382.50", "0.00")
    assert (soap["taxable_value"], soap["cgst_rate"], soap["cgst_amount"], soap["sgst_amount"]) == (
        "99.99", "2.5", "2.50", "2.50")
    assert inv["totals"] == {
        "taxable_value": "4349.99", "discount": "0.00", "cgst": "385.00", "sgst": "385.00", "utgst": "0.00",
        "igst": "0.00", "cess": "0.00", "round_off": "0.01", "grand_total": "5120.00"}
    assert inv["amount_in_words"] == "Rupees Five Thousand One Hundred Twenty Only"

    published = await broker.published("InvoiceIssued")
    mine = [m for m in published if m["payload"]["shipment_id"] == shipment.shipment_id]
    assert len(mine) == 1
    assert mine[0]["key"] == shipment.order_id and mine[0]["producer"] == "invoicing"
    assert mine[0]["payload"]["totals"]["grand_total"] == "5120.00"
    assert mine[0]["payload"]["transport"]["vehicle_no"] == shipment.transport.vehicle_no
    async with invoicing.runtime.sessions() as session:
        count = await session.scalar(sa.select(sa.func.count()).select_from(invoice_table))
    assert count == 1


async def test_inter_state_is_igst_and_the_ewaybill_number_is_kept(
    invoicing: RunningService, broker: Any, given: ModuleType, issuer: LocalIssuer
) -> None:
    accountant = bearer(issuer, "accountant")
    shipment = given.ready(given.line(1, "10", price="1000.00"), ship_to=given.BENGALURU)
    await broker.send(shipment, "dispatch")
    [inv] = await given.invoice_of(invoicing, accountant, shipment.order_id)
    assert inv["place_of_supply"] == "29"
    assert (inv["totals"]["igst"], inv["totals"]["cgst"], inv["totals"]["grand_total"]) == (
        "1800.00", "0.00", "11800.00")
    assert inv["lines"][0]["igst_rate"] == "18"

    ebn = EwayBillGenerated(
        order_id=shipment.order_id, shipment_id=shipment.shipment_id, invoice_id=inv["invoice_id"],
        invoice_no=inv["invoice_no"], ewaybill_no="381001234567", generated_at=datetime.now(UTC),
        valid_until=datetime.now(UTC), distance_km=840, vehicle_no="MH12AB1234", consignment_value=D("11800.00"))
    await broker.send(ebn, "ewaybill")
    async with invoicing.client(**accountant) as client:
        async def shows_ebn() -> dict[str, Any] | None:
            body: dict[str, Any] = (await client.get(f"/invoices/{inv['invoice_id']}")).json()
            return body if body["ewaybill_no"] == "381001234567" and body["irn_status"] == "registered" else None

        await wait_for(shows_ebn, what="EBN and IRN on the invoice")
        pdf = await client.get(f"/invoices/{inv['invoice_id']}/pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf.headers["content-type"] == "application/pdf"
        # With an active e-way bill the invoice cannot be cancelled (cancel the e-way bill first).
        refused = await client.post(f"/invoices/{inv['invoice_id']}/cancel",
                                    json={"reason": "data_entry_mistake", "remarks": "wrong rate"})
        assert refused.status_code == 409
        assert "e-way bill" in refused.json()["detail"]


async def test_200_concurrent_invoices_get_200_consecutive_numbers(
    harness: Any, given: ModuleType
) -> None:
    from o2c.invoicing.app import DEFINITION

    svc = await harness.start(DEFINITION, consumer=False, irp_mode="off")
    rt = svc.runtime
    invoicing = bootstrap(rt)
    async with rt.sessions() as session, session.begin():  # no consumer: the replica's one rate, put by hand
        await session.execute(sa.text("INSERT INTO hsn_rate (hsn, gst_rate, effective_from, version) "
                                      "VALUES ('84', 18, DATE '2017-07-01', 1)"))
    shipments = [given.ready(given.line(1, "1", price="100.00")) for _ in range(200)]

    async def issue(shipment: Any) -> str:
        # A deadlock victim or a serialisation failure is tried again, as the consumer does.
        async def attempt() -> str | None:
            try:
                async with invoicing.transaction() as uow:
                    record = await uc.issue_invoice(uow, shipment, now=datetime.now(UTC), policy=invoicing.policy)
                assert record is not None
                return str(record.issued.invoice_no)
            except sa.exc.DBAPIError:
                return None

        issued: str = await until(attempt, timeout=60, what=f"an invoice for {shipment.shipment_id}")
        return issued

    numbers = await asyncio.gather(*(issue(s) for s in shipments))
    assert len(set(numbers)) == 200
    sequences = sorted(int(n.rsplit("/", 1)[1]) for n in numbers)
    assert sequences == list(range(1, 201))
    async with rt.sessions() as session:
        last = await session.scalar(sa.text("SELECT last_sequence FROM document_series WHERE prefix = 'INV'"))
        outbox = await session.scalar(sa.text("SELECT count(*) FROM outbox WHERE type = 'InvoiceIssued'"))
    assert (last, outbox) == (200, 200)


async def test_http_guards_problem_json_and_customer_scope(
    invoicing: RunningService, broker: Any, given: ModuleType, issuer: LocalIssuer
) -> None:
    shipment = given.ready(given.line(1, "2"), customer_id="cus-own", ship_to=given.WALK_IN_MUMBAI,
                           supply_type=SupplyType.B2C)
    await broker.send(shipment, "dispatch")
    [inv] = await given.invoice_of(invoicing, bearer(issuer, "sales_coordinator"), shipment.order_id)
    assert inv["irn_status"] == "not_required" and inv["buyer_gstin"] is None
    url = f"/invoices/{inv['invoice_id']}"
    async with invoicing.client() as client:
        own = await client.get(url, headers=bearer(issuer, "customer", customer_id="cus-own"))
        assert own.status_code == 200
        other = await client.get(url, headers=bearer(issuer, "customer", customer_id="cus-other"))
        assert other.status_code == 403
        assert other.headers["content-type"].startswith("application/problem+json")
        listing = await client.get("/invoices", params={"customer_id": "cus-own"},
                                   headers=bearer(issuer, "customer", customer_id="cus-other"))
        assert listing.status_code == 403
        assert (await client.get(url, headers=bearer(issuer, "picker"))).status_code == 403
        assert (await client.get(url)).status_code == 401

        accountant = bearer(issuer, "accountant")
        bad_reason = await client.post(f"{url}/cancel", json={"reason": "felt like it"}, headers=accountant)
        assert bad_reason.status_code == 422
        assert bad_reason.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in bad_reason.json()["errors"]] == ["reason"]
        bad_period = await client.get("/gstr1", params={"gstin": given.SUPPLIER_MH, "period": "2026-13"},
                                      headers=accountant)
        assert bad_period.status_code == 422 and bad_period.json()["errors"][0]["field"] == "query.period"
        bad_gstin = await client.get("/gstr1", params={"gstin": "27AAACO1234C1Z0", "period": "2026-11"},
                                     headers=accountant)
        assert bad_gstin.status_code == 422 and bad_gstin.json()["errors"][0]["field"] == "gstin"

        cancelled = await client.post(f"{url}/cancel", json={"reason": "order_cancelled"}, headers=accountant)
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        again = await client.post(f"{url}/cancel", json={"reason": "order_cancelled"}, headers=accountant)
        assert again.status_code == 409
    [event] = await broker.published("InvoiceCancelled")
    assert event["payload"]["invoice_no"] == inv["invoice_no"]


async def test_the_same_envelope_twice_is_one_effect(
    invoicing: RunningService, broker: Any, given: ModuleType, issuer: LocalIssuer
) -> None:
    shipment = given.ready(given.line(1, "5"))
    envelope = Envelope.wrap(shipment, producer="dispatch")
    for _ in range(3):
        await broker.send(shipment, "dispatch", envelope=envelope)
    invoices = await given.invoice_of(invoicing, bearer(issuer, "accountant"), shipment.order_id)
    assert len(invoices) == 1


async def test_a_shipment_that_cannot_be_invoiced_is_dead_lettered_with_its_reason(
    invoicing: RunningService, broker: Any, given: ModuleType, issuer: LocalIssuer
) -> None:
    # The warehouse GSTIN is Maharashtra's but the goods leave from Karnataka: no valid tax invoice exists.
    wrong = given.ready(given.line(1, "1"), dispatch_from=given.PUNE.model_copy(
        update={"state_code": "29", "gstin": None, "place": "Bengaluru", "pincode": "560058"}))
    await broker.send(wrong, "dispatch")
    async with invoicing.client(**bearer(issuer, "sre")) as client:
        async def dead_letter() -> list[dict[str, Any]] | None:
            rows: list[dict[str, Any]] = (await client.get("/admin/dead-letters")).json()
            return rows or None

        [row] = await wait_for(dead_letter, what="the dead letter")
    assert row["type"] == "ShipmentReady" and "registered in state 27, but the address is in state 29" in row["reason"]
    async with invoicing.runtime.sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(invoice_table)) == 0
        assert await session.scalar(sa.text("SELECT coalesce(max(last_sequence), 0) FROM document_series")) == 0
