"""Undo after documents exist (issue 21): the coordinator's CancelEwayBill within 24 hours (answered again when
re-sent), past them refused so the bill lapses; a cancelled bill's invoice gets a new bill, once its invoice
stands (a cancelled invoice's re-issue gets its own)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from o2c.contracts.samples import sample
from o2c.contracts.v1.ewaybill import EwayBillCancellationRefused, EwayBillCancelled, EwayBillGenerated
from o2c.contracts.v1.sales import CancelEwayBill
from o2c.ewaybill.service_layer import use_cases
from o2c.ewaybill.service_layer.ports import EwayBillRecord
from o2c.testsupport.ewaybill.fakes import NOW, InMemoryEwayBills, SandboxGateway, invoice


def command(record: EwayBillRecord) -> CancelEwayBill:
    assert record.ebn is not None
    return sample(CancelEwayBill).model_copy(update={
        "order_id": record.order_id, "shipment_id": record.shipment_id, "invoice_id": record.invoice_id,
        "ewaybill_no": record.ebn, "request_id": "ord:shipment-1:cancel-ewaybill"})


async def generated(ewb: InMemoryEwayBills, portal: SandboxGateway) -> EwayBillRecord:
    return await use_cases.decide_for_invoice(ewb.uow(), invoice(), portal, NOW)


async def cancel_command(ewb: InMemoryEwayBills, portal: SandboxGateway, record: EwayBillRecord,
                         hours: int) -> None:
    uow = ewb.uow()
    await use_cases.on_cancel_command(uow, command(record), portal, NOW + timedelta(hours=hours))
    ewb.commit(uow)


async def test_cancelled_within_24_hours_and_a_resent_command_answered_again(
        ewb: InMemoryEwayBills, portal: SandboxGateway) -> None:
    record = await generated(ewb, portal)
    for _ in range(2):
        await cancel_command(ewb, portal, record, 2)
    first, again = ewb.committed
    assert isinstance(first, EwayBillCancelled) and first.request_id == "ord:shipment-1:cancel-ewaybill"
    assert isinstance(again, EwayBillCancelled) and again.ewaybill_no == first.ewaybill_no
    kept = await ewb.uow().bills.get(record.id)
    assert kept is not None and kept.status == "cancelled"


async def test_past_24_hours_refused_and_the_bill_lapses(ewb: InMemoryEwayBills, portal: SandboxGateway) -> None:
    record = await generated(ewb, portal)
    await cancel_command(ewb, portal, record, 25)
    [refused] = ewb.committed
    assert isinstance(refused, EwayBillCancellationRefused) and "24 hours" in refused.reason
    kept = await ewb.uow().bills.get(record.id)
    assert kept is not None and kept.status == "generated" and "cancellation refused" in (kept.last_refusal or "")


async def test_a_command_for_another_bill_is_refused(ewb: InMemoryEwayBills, portal: SandboxGateway) -> None:
    record = await generated(ewb, portal)
    uow = ewb.uow()
    await use_cases.on_cancel_command(uow, command(record).model_copy(update={"ewaybill_no": "999999999999"}),
                                      portal, NOW)
    [refused] = uow.messages
    assert isinstance(refused, EwayBillCancellationRefused) and refused.reason == "no such e-way bill for this invoice"


async def test_a_new_bill_for_the_same_invoice_after_cancellation(ewb: InMemoryEwayBills,
                                                                  portal: SandboxGateway) -> None:
    record = await generated(ewb, portal)
    first = record.ebn
    with pytest.raises(use_cases.UseCaseError, match="only a cancelled one"):
        await use_cases.regenerate(ewb.uow(), record.id, use_cases.Corrections(), portal, NOW)
    await cancel_command(ewb, portal, record, 1)
    uow = ewb.uow()
    new = await use_cases.regenerate(uow, record.id, use_cases.Corrections(vehicle_no="KA09AB1234"), portal,
                                     NOW + timedelta(hours=2))
    [regenerated] = uow.messages
    assert isinstance(regenerated, EwayBillGenerated) and regenerated.replaces_ewaybill_no == first
    assert new.status == "generated" and new.replaced[0]["ewaybill_no"] == first
    await cancel_command(ewb, portal, new, 3)
    await use_cases.on_invoice_cancelled(ewb.uow(), record.invoice_id, portal, NOW + timedelta(hours=3))
    with pytest.raises(use_cases.UseCaseError, match="its re-issue gets its own"):
        await use_cases.regenerate(ewb.uow(), record.id, use_cases.Corrections(), portal, NOW)


async def test_a_cancelled_invoices_active_bill_is_cancelled_too(ewb: InMemoryEwayBills,
                                                                  portal: SandboxGateway) -> None:
    record = await generated(ewb, portal)
    uow = ewb.uow()
    await use_cases.on_invoice_cancelled(uow, record.invoice_id, portal, NOW + timedelta(hours=1))
    [cancelled] = uow.messages
    assert isinstance(cancelled, EwayBillCancelled) and cancelled.ewaybill_no == record.ebn
    kept = await ewb.uow().bills.get(record.id)
    assert kept is not None and kept.invoice_cancelled and kept.status == "cancelled"
