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


def test_an_order_reduced_after_invoicing_undoes_the_old_shipments_documents_and_releases_the_new_revision(
) -> None:
    from decimal import Decimal

    from o2c.sales.domain.saga import (
        CreditOutcome,
        LineQuantity,
        ReleaseShipments,
        SagaLine,
        credit_decided,
        order_amended,
        stock_reserved,
    )

    from .test_saga import LINES, full

    smaller = (SagaLine(1, "PUMP-1", Decimal(4), Decimal("4720.00")), LINES[1])
    saga, decisions = acted(order_amended(released(), revision=2, lines=smaller))
    new_lines = (LineQuantity(1, Decimal(4)), LineQuantity(2, Decimal(5)))
    saga = credit_decided(stock_reserved(saga, full(lines=new_lines), revision=2), CreditOutcome.APPROVED,
                          revision=2)
    saga, decisions = acted(pick_list_cancelled(saga, "O1-1-1", DOCS))
    [ewb] = of_type(decisions, SendCancelEwayBill)
    assert ewb.reason == "order amended"
    [release] = of_type(decisions, ReleaseShipments)  # the smaller revision goes to the warehouse at once
    assert release.shipments[0].lines == new_lines
    saga, decisions = acted(ewaybill_undone(saga, ewb.key, cancelled=True, outcome="cancelled"))
    [undo] = of_type(decisions, SendUndoInvoice)
    assert undo.reason == "order amended" and undo.invoice_id == "inv-1"


def test_an_invoice_issued_after_its_shipment_was_cancelled_is_undone_too() -> None:
    from o2c.sales.domain.saga import late_invoice

    saga, _ = acted(pick_list_cancelled(acted(cancellation_requested(released()))[0], "O1-1-1"))
    assert late_invoice(released(), "O1-1-1", "inv-9", "INV/9") == released()  # an open shipment's invoice stands
    saga, decisions = acted(late_invoice(saga, "O1-1-1", "inv-9", "INV/9"))
    [undo] = of_type(decisions, SendUndoInvoice)
    assert (undo.invoice_id, undo.ewaybill_cancelled) == ("inv-9", None)
    assert late_invoice(saga, "O1-1-1", "inv-9", "INV/9") == saga


def test_goods_put_back_after_a_reissue_for_less_ship_on_their_own_from_the_same_reservation() -> None:
    from decimal import Decimal

    from o2c.sales.domain.saga import (
        LineQuantity,
        ReleaseShipments,
        RoundKind,
        SendReserveStock,
        goods_put_back,
        shipment_dispatched,
    )

    from .test_saga import NOW

    before = released()
    four = (LineQuantity(1, Decimal(4)),)
    saga, decisions = acted(goods_put_back(before, shipment_id="O1-1-1", source_id="put-back:inv-2", lines=four,
                                           at=NOW))
    [release] = of_type(decisions, ReleaseShipments)  # no new reservation: the units lie reserved on the shelf
    assert [(s.warehouse_id, s.lines) for s in release.shipments] == [("BHIWANDI", four)]
    assert of_type(decisions, SendReserveStock) == [] and of_type(decisions, SendReleaseCreditExposure) == []
    assert saga.rounds[-1].kind is RoundKind.PUT_BACK
    assert saga.shipments[0].lines == (LineQuantity(1, Decimal(6)), LineQuantity(2, Decimal(5)))
    assert goods_put_back(saga, shipment_id="O1-1-1", source_id="put-back:inv-2", lines=four, at=NOW) == saga
    gone = shipment_dispatched(saga, "O1-1-1")
    assert gone.exposure == four  # credit still counts the put-back units until their own shipment leaves
