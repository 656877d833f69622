"""The ready-for-gate list (issue 15) and undo before gate-out (issue 21): a shipment joins its warehouse's list
with ShipmentGateOpened once its documents let it leave, and leaves it with ShipmentGateClosed when a document
goes away — the e-way bill cancelled or expired, the invoice cancelled (it then waits for the re-issue)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from o2c.contracts.samples import SAMPLES
from o2c.contracts.v1 import dispatch as v1
from o2c.contracts.v1.ewaybill import EwayBillCancelled
from o2c.contracts.v1.invoicing import InvoiceCancelled, InvoiceIssued
from o2c.dispatch.domain import GateClosed, InvalidValue
from o2c.dispatch.service_layer import use_cases
from o2c.dispatch.service_layer.records import waiting_for
from o2c.testsupport.dispatch import dispatch_builders as b
from o2c.testsupport.dispatch.in_memory import NOW, InMemoryDispatch, allow


async def ready(dispatch: InMemoryDispatch) -> None:
    await dispatch.ready_for_documents()
    await dispatch.run(use_cases.record_invoice, b.invoice("ord-1", "shp-1", {1: 100, 2: 480}), NOW)
    assert dispatch.published(v1.ShipmentGateOpened) == []
    await dispatch.run(use_cases.record_ewaybill, b.ewaybill("ord-1", "shp-1"), NOW)


def invoice_cancelled() -> InvoiceCancelled:
    sample = SAMPLES[("InvoiceCancelled", 1)]
    assert isinstance(sample, InvoiceCancelled)
    return sample.model_copy(update={"order_id": "ord-1", "shipment_id": "shp-1", "invoice_id": "inv-1"})


def cancelled_bill(ewaybill_no: str) -> EwayBillCancelled:
    sample = SAMPLES[("EwayBillCancelled", 1)]
    assert isinstance(sample, EwayBillCancelled)
    return sample.model_copy(update={"order_id": "ord-1", "shipment_id": "shp-1", "invoice_id": "inv-1",
                                     "ewaybill_no": ewaybill_no})


async def test_an_ewaybill_cancelled_closes_the_gate_until_a_new_bill(dispatch: InMemoryDispatch) -> None:
    await ready(dispatch)
    [opened] = dispatch.published(v1.ShipmentGateOpened)
    assert (opened.shipment_id, opened.invoice_id) == ("shp-1", "inv-1") and opened.ewaybill_no is not None
    assert [r.shipment_id for r in await dispatch.run(use_cases.ready_for_gate, None, NOW, 10)] == ["shp-1"]
    bill = (await dispatch.shipment()).shipment.ewaybill
    assert bill is not None
    await dispatch.run(use_cases.record_ewaybill_cancelled, cancelled_bill(bill.ewaybill_no), NOW)
    [closed] = dispatch.published(v1.ShipmentGateClosed)
    assert closed.reason is v1.GateClosedReason.EWAYBILL_CANCELLED and closed.waiting_for == ["ewaybill"]
    assert await dispatch.run(use_cases.ready_for_gate, None, NOW, 10) == []
    with pytest.raises(GateClosed, match="e-way bill"):
        await dispatch.run(use_cases.gate_out, "shp-1", "guard", NOW, allow)
    # The stale bill read again changes nothing; a new bill for the same invoice opens the gate.
    await dispatch.run(use_cases.record_ewaybill, b.ewaybill("ord-1", "shp-1"), NOW)
    assert len(dispatch.published(v1.ShipmentGateOpened)) == 1
    renewed = b.ewaybill("ord-1", "shp-1").model_copy(update={"ewaybill_no": "381009999999"})
    await dispatch.run(use_cases.record_ewaybill, renewed, NOW)
    assert len(dispatch.published(v1.ShipmentGateOpened)) == 2
    record = await dispatch.run(use_cases.gate_out, "shp-1", "guard", NOW, allow)
    assert record.shipment.ewaybill is not None and record.shipment.ewaybill.ewaybill_no == "381009999999"
    assert not record.shipment.on_gate_list and len(dispatch.published(v1.ShipmentGateClosed)) == 1


async def test_an_invoice_cancelled_waits_for_its_reissue(dispatch: InMemoryDispatch) -> None:
    await ready(dispatch)
    record = await dispatch.run(use_cases.record_invoice_cancelled, invoice_cancelled(), NOW)
    assert record is not None and waiting_for(record) == ["new_invoice", "ewaybill"]
    [closed] = dispatch.published(v1.ShipmentGateClosed)
    assert closed.reason is v1.GateClosedReason.INVOICE_CANCELLED and closed.waiting_for[0] == "new_invoice"
    with pytest.raises(GateClosed, match="re-issue"):
        await dispatch.run(use_cases.gate_out, "shp-1", "guard", NOW, allow)
    reissued = b.invoice("ord-1", "shp-1", {1: 100, 2: 480}, invoice_id="inv-2").model_copy(
        update={"invoice_no": "INV/26-27/000124"})
    await dispatch.run(use_cases.record_invoice, reissued, NOW)
    await dispatch.run(use_cases.record_ewaybill, b.ewaybill("ord-1", "shp-1").model_copy(
        update={"ewaybill_no": "381009999998", "invoice_id": "inv-2", "invoice_no": "INV/26-27/000124"}), NOW)
    assert len(dispatch.published(v1.ShipmentGateOpened)) == 2
    gone = await dispatch.run(use_cases.gate_out, "shp-1", "guard", NOW, allow)
    assert gone.shipment.invoice is not None and gone.shipment.invoice.invoice_id == "inv-2"


async def test_an_expired_ewaybill_takes_the_shipment_off_the_list(dispatch: InMemoryDispatch) -> None:
    await ready(dispatch)
    later = datetime.now(UTC) + timedelta(days=30)  # the builder's bill is valid two days from now
    assert await dispatch.run(use_cases.ready_for_gate, None, later, 10) == []
    assert await dispatch.run(use_cases.sweep_gate, later) == 1
    [closed] = dispatch.published(v1.ShipmentGateClosed)
    assert closed.reason is v1.GateClosedReason.EWAYBILL_EXPIRED
    assert await dispatch.run(use_cases.sweep_gate, later) == 0


async def test_a_reissue_for_fewer_units_puts_the_rest_back_on_the_shelf_and_the_shipment_goes_short(
        dispatch: InMemoryDispatch) -> None:
    await ready(dispatch)
    record = await dispatch.run(use_cases.record_invoice_cancelled, invoice_cancelled(), NOW)
    assert record is not None
    [old_no] = record.shipment.cancelled_invoices

    def reissue(quantities: dict[int, int], invoice_id: str) -> InvoiceIssued:
        return b.invoice("ord-1", "shp-1", quantities, invoice_id=invoice_id).model_copy(
            update={"invoice_no": f"INV/26-27/{invoice_id[-6:]}", "replaces_invoice_id": "inv-1",
                    "replaces_invoice_no": old_no})

    with pytest.raises(InvalidValue, match="more goods need a pick list"):
        await dispatch.run(use_cases.record_invoice, reissue({1: 101, 2: 480}, "inv-000125"), NOW)
    with pytest.raises(InvalidValue, match="differ from picked"):  # only a re-issue may carry less
        await dispatch.run(use_cases.record_invoice, b.invoice("ord-1", "shp-1", {1: 60, 2: 480}, invoice_id="inv-7")
                                       .model_copy(update={"invoice_no": "INV/26-27/000126"}), NOW)
    assert dispatch.published(v1.ShipmentReduced) == []
    await dispatch.run(use_cases.record_invoice, reissue({1: 60, 2: 480}, "inv-000124"), NOW)
    await dispatch.run(use_cases.record_invoice, reissue({1: 60, 2: 480}, "inv-000124"), NOW)  # read twice
    [put] = dispatch.published(v1.ShipmentReduced)
    assert (put.invoice_no, put.replaces_invoice_no) == ("INV/26-27/000124", old_no)
    [line] = put.lines  # the last bin picked gives back first
    assert (line.line_no, line.quantity.value, line.shipping.value) == (1, 40, 60)
    assert [(a.bin_code, a.quantity.value) for a in line.allocations] == [("B-10-1", 40)]
    await dispatch.run(use_cases.record_ewaybill, b.ewaybill("ord-1", "shp-1").model_copy(
        update={"ewaybill_no": "381009999998", "invoice_id": "inv-000124", "invoice_no": "INV/26-27/000124"}),
        NOW)
    await dispatch.run(use_cases.gate_out, "shp-1", "guard", NOW, allow)
    [dispatched] = dispatch.published(v1.ShipmentDispatched)  # the goods that leave are the invoice's
    assert [(x.line_no, x.quantity.value) for x in dispatched.lines] == [(1, 60), (2, 480)]
