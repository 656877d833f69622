"""An IRN refused after the goods left the gate, on the real broker and database: the coordinator raises an
exception for a person and the order page shows it open."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from o2c.contracts.samples import sample
from o2c.contracts.topics import events_topic
from o2c.contracts.v1 import dispatch, invoicing, sales
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import ServiceHarness, wait_for
from o2c.testsupport.sales.saga_service import of_type, start
from o2c.testsupport.sales.sales_support import approved, now, publish, reserved

pytestmark = pytest.mark.integration


async def test_irn_rejected_after_gate_out_is_an_open_exception_on_the_order_page(
    harness: ServiceHarness, issuer: LocalIssuer,
) -> None:
    svc, order, tok = await start(harness, issuer)
    order_id = order["order_id"]
    await publish(harness, approved(order), "credit")
    await publish(harness, reserved(order), "inventory")
    [release] = await wait_for(lambda: of_type(harness, events_topic("sales"), sales.OrderReleased),
                               what="OrderReleased")
    shipment_id = release.shipments[0].shipment_id
    left = now()
    issued = sample(invoicing.InvoiceIssued).model_copy(update={
        "order_id": order_id, "shipment_id": shipment_id, "irn": None, "irn_required": True, "issued_at": left})
    await publish(harness, issued, "invoicing")
    await publish(harness, sample(dispatch.ShipmentDispatched).model_copy(update={
        "order_id": order_id, "shipment_id": shipment_id, "invoice_id": issued.invoice_id,
        "invoice_no": issued.invoice_no, "dispatched_at": left}), "dispatch")
    await publish(harness, sample(invoicing.IrnRejected).model_copy(update={
        "order_id": order_id, "invoice_id": issued.invoice_id, "invoice_no": issued.invoice_no, "code": "2172",
        "message": "Buyer GSTIN is invalid", "rejected_at": left + timedelta(minutes=3)}), "invoicing")

    async def raised() -> list[dict[str, Any]]:
        async with svc.client() as client:
            page = (await client.get(f"/tracking/orders/{order_id}", headers=tok["coord"])).json()
        return [e for e in page.get("open_exceptions", []) if e["kind"] == "saga_problem"]

    [exception] = await wait_for(raised, what="the exception for a person on the order page")
    assert "after the goods left the gate" in exception["detail"] and "2172" in exception["detail"]
    events = await of_type(harness, events_topic("sales"), sales.OrderExceptionRaised)
    assert [e.key for e in events] == [f"{order_id}:irn-rejected-after-dispatch:{issued.invoice_id}"]
