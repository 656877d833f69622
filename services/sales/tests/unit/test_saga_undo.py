"""Undo after documents exist (issue 21): a shipment cancelled after it was invoiced has its e-way bill cancelled,
then its invoice undone (cancelled or credited), and only then its exposure released."""

from __future__ import annotations

from o2c.sales.domain.saga import (
    DocumentUndo,
    SagaStatus,
    SendCancelEwayBill,
    SendReleaseCreditExposure,
    SendReleaseReservation,
    SendUndoInvoice,
    UndoState,
    cancellation_requested,
    ewaybill_undone,
    invoice_undone,
    pick_list_cancelled,
)

from .test_saga import ALL, GROSS, acted, commands, of_type, released

DOCS = DocumentUndo.of("O1-1-1", "inv-1", "INV/26-27/000001", "381001234567")


def test_the_ewaybill_goes_first_then_the_invoice_then_the_exposure() -> None:
    saga, decisions = acted(pick_list_cancelled(acted(cancellation_requested(released()))[0], "O1-1-1", DOCS))
    [ewb] = of_type(decisions, SendCancelEwayBill)
    assert (ewb.invoice_id, ewb.ewaybill_no) == ("inv-1", "381001234567")
    assert of_type(decisions, SendUndoInvoice) == [] and of_type(decisions, SendReleaseCreditExposure) == []
    assert of_type(decisions, SendReleaseReservation)[0].lines == ALL  # stock goes back at once
    saga, decisions = acted(ewaybill_undone(saga, ewb.key, cancelled=True, outcome="cancelled"))
    [undo] = of_type(decisions, SendUndoInvoice)
    assert undo.ewaybill_cancelled == "381001234567" and of_type(decisions, SendReleaseCreditExposure) == []
    saga, decisions = acted(invoice_undone(saga, undo.key, outcome="invoice cancelled with its IRN"))
    assert of_type(decisions, SendReleaseCreditExposure)[0].amount == GROSS
    assert [u.invoice for u in saga.undo] == [UndoState.DONE]
    assert ewb.key not in saga.awaiting and undo.key not in saga.awaiting
    again, repeated = acted(invoice_undone(saga, undo.key, outcome="again"))
    assert commands(repeated) == [] and again.undo == saga.undo


def test_a_bill_past_its_window_lapses_and_the_invoice_is_still_undone() -> None:
    saga, decisions = acted(pick_list_cancelled(acted(cancellation_requested(released()))[0], "O1-1-1", DOCS))
    [ewb] = of_type(decisions, SendCancelEwayBill)
    saga, decisions = acted(ewaybill_undone(saga, ewb.key, cancelled=False, outcome="past 24 hours"))
    [undo] = of_type(decisions, SendUndoInvoice)
    assert undo.ewaybill_cancelled is None and saga.undo[0].ewaybill is UndoState.REFUSED


def test_an_invoice_that_cannot_be_undone_is_a_failed_compensation() -> None:
    saga, decisions = acted(pick_list_cancelled(acted(cancellation_requested(released()))[0], "O1-1-1", DOCS))
    saga, decisions = acted(ewaybill_undone(saga, of_type(decisions, SendCancelEwayBill)[0].key, cancelled=True,
                                            outcome="cancelled"))
    saga, decisions = acted(invoice_undone(saga, of_type(decisions, SendUndoInvoice)[0].key, refused=True,
                                           outcome="past s.34(2)"))
    assert saga.status is SagaStatus.FAILED and "past s.34(2)" in (saga.failure or "")
