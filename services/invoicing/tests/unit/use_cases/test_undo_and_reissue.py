"""Undo after documents exist (issue 21): the coordinator's UndoInvoice cancels the invoice with its IRN within
the IRP's 24 hours, or past them issues a credit note for all of it (the returns' series and IRN path); every
delivery is answered once decided. The accountant re-issues a cancelled invoice's shipment under the next number."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from o2c.contracts.samples import sample
from o2c.contracts.v1 import invoicing as ci
from o2c.contracts.v1.sales import UndoInvoice
from o2c.invoicing.service_layer import use_cases as uc
from o2c.invoicing.service_layer.ports import InvoiceRecord, IrnStatus
from o2c.testsupport.invoicing.invoicing_builders import POLICY, SUPPLIER_MH, claimed, issue, ready
from o2c.testsupport.invoicing.invoicing_fakes import FakeIrp, InMemoryUnitOfWork


async def registered(uow: InMemoryUnitOfWork, irp: FakeIrp) -> InvoiceRecord:
    record = await issue(uow, ready())
    await uc.record_irn_outcome(uow, record.id, await uc.register_at_irp(irp, await claimed(uow)),
                                now=datetime.now(UTC))
    return uow.invoices.rows[record.id]


def undo(record: InvoiceRecord) -> UndoInvoice:
    return sample(UndoInvoice).model_copy(update={
        "order_id": record.issued.order_id, "shipment_id": "shp-1", "invoice_id": record.id,
        "request_id": "ord:shipment-shp-1:undo-invoice", "ewaybill_cancelled": None})


async def test_within_24_hours_the_invoice_and_its_irn_are_cancelled_and_a_repeat_is_answered_again() -> None:
    uow, irp = InMemoryUnitOfWork(), FakeIrp()
    record = await registered(uow, irp)
    now = datetime.now(UTC)
    assert await uc.undo_invoice(uow, undo(record), now=now, policy=POLICY, gateway=irp) == "cancelled"
    assert await uc.undo_invoice(uow, undo(record), now=now, policy=POLICY, gateway=irp) == "cancelled"
    first, again = [m for m in uow.messages if isinstance(m, ci.InvoiceCancelled)]
    assert first == again and first.request_id == undo(record).request_id and first.irn_cancelled
    assert record.irn is not None and irp.cancelled == [record.irn.irn]


async def test_past_24_hours_a_credit_note_for_all_of_it_in_the_crn_series() -> None:
    uow, irp = InMemoryUnitOfWork(), FakeIrp()
    record = await registered(uow, irp)
    later = datetime.now(UTC) + timedelta(hours=25)
    assert await uc.undo_invoice(uow, undo(record), now=later, policy=POLICY, gateway=irp) == "credited"
    assert await uc.undo_invoice(uow, undo(record), now=later, policy=POLICY, gateway=irp) == "credited"
    notes = [m for m in uow.messages if isinstance(m, ci.CreditNoteIssued)]
    assert len(notes) == 2 and notes[0] == notes[1] and len(uow.credit_notes.rows) == 1
    [note] = uow.credit_notes.rows.values()
    assert note.issued.totals.grand_total == record.issued.totals.grand_total
    assert note.issued.request_id == undo(record).request_id and note.irn_status is IrnStatus.PENDING
    assert uow.series.rows[(SUPPLIER_MH, "2026-27", "CRN")].last_sequence == 1
    assert irp.cancelled == [] and not uow.invoices.rows[record.id].is_cancelled


async def test_a_cancelled_invoice_is_reissued_under_the_next_number_unless_its_shipment_was_cancelled() -> None:
    uow, irp = InMemoryUnitOfWork(), FakeIrp()
    record = await registered(uow, irp)
    with pytest.raises(uc.Refused, match="not cancelled"):
        await uc.reissue_invoice(uow, record.id, uc.BuyerCorrection(), now=datetime.now(UTC), policy=POLICY)
    await uc.cancel_invoice(uow, record.id, ci.InvoiceCancelReason.DATA_ENTRY_MISTAKE, "buyer name",
                            now=datetime.now(UTC), gateway=irp)
    fixed = uc.BuyerCorrection(customer_name="Bharat Retail LLP (corrected)")
    new = await uc.reissue_invoice(uow, record.id, fixed, now=datetime.now(UTC), policy=POLICY)
    assert new.issued.replaces_invoice_no == record.issued.invoice_no
    assert new.issued.customer_name == "Bharat Retail LLP (corrected)" and new.irn_status is IrnStatus.PENDING
    assert int(new.issued.invoice_no[-6:]) == int(record.issued.invoice_no[-6:]) + 1  # gap-free series
    again = await uc.reissue_invoice(uow, record.id, fixed, now=datetime.now(UTC), policy=POLICY)
    assert again.id == new.id
    await uc.cancel_invoice(uow, new.id, ci.InvoiceCancelReason.ORDER_CANCELLED, "", now=datetime.now(UTC),
                            gateway=irp)
    await uc.record_shipment_cancelled(uow, "shp-1")
    with pytest.raises(uc.Refused, match="cancelled: nothing to invoice"):
        await uc.reissue_invoice(uow, new.id, fixed, now=datetime.now(UTC), policy=POLICY)


async def test_a_reissue_may_lower_a_lines_quantity_but_never_raise_it() -> None:
    from decimal import Decimal

    uow, irp = InMemoryUnitOfWork(), FakeIrp()
    record = await registered(uow, irp)
    await uc.cancel_invoice(uow, record.id, ci.InvoiceCancelReason.DATA_ENTRY_MISTAKE, "quantity",
                            now=datetime.now(UTC), gateway=irp)
    [first] = record.issued.lines  # one line: 17 units
    assert first.order_line_no is not None
    picked = first.quantity.value
    for wrong, why in ((picked + 1, "not within"), (Decimal(0), "at least one line"), (picked, "no line 9")):
        quantities = {9: wrong} if why == "no line 9" else {first.order_line_no: wrong}
        with pytest.raises(uc.Refused, match=why):
            await uc.reissue_invoice(uow, record.id, uc.BuyerCorrection(quantities=quantities),
                                     now=datetime.now(UTC), policy=POLICY)
    fewer = uc.BuyerCorrection(quantities={first.order_line_no: picked - 1})
    new = await uc.reissue_invoice(uow, record.id, fewer, now=datetime.now(UTC), policy=POLICY)
    line = next(x for x in new.issued.lines if x.order_line_no == first.order_line_no)
    assert line.quantity.value == picked - 1 and line.unit_price == first.unit_price
    assert new.issued.totals.grand_total < record.issued.totals.grand_total
    assert int(new.issued.invoice_no[-6:]) == int(record.issued.invoice_no[-6:]) + 1  # refusals used no number
