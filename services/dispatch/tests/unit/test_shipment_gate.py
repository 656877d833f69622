from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from o2c.dispatch.domain import (
    IST,
    ConflictingState,
    DispatchDetails,
    EwayBillReference,
    GateClosed,
    InvalidValue,
    InvoiceReference,
    PickRequest,
    Shipment,
    ShipmentStatus,
    ShortReason,
    Trip,
    VehicleChangeReason,
)

NOW = datetime(2026, 6, 30, 10, 0, tzinfo=IST)

Documents = tuple[Callable[..., InvoiceReference], Callable[..., EwayBillReference]]


def test_shipment_becomes_ready_when_picked_and_vehicle_captured(
    shipment: Callable[..., Shipment], details: Callable[..., DispatchDetails]
) -> None:
    s = shipment()
    assert s.capture_dispatch_details(details())  # the vehicle may arrive while picking
    assert s.status is ShipmentStatus.PICKING
    s.confirm_pick(1, 20, "picker-1", NOW)
    assert s.status is ShipmentStatus.READY


def test_gate_stays_closed_until_invoice_and_eway_bill(ready: Shipment, documents: Documents) -> None:
    invoice, ewaybill = documents
    with pytest.raises(GateClosed) as no_invoice:
        ready.gate_out(NOW, "guard")
    assert "invoice" in no_invoice.value.missing

    ready.record_invoice(invoice())
    with pytest.raises(GateClosed) as no_ewaybill:
        ready.gate_out(NOW, "guard")
    assert "e-way bill" in no_ewaybill.value.missing

    ready.record_ewaybill(ewaybill())
    assert ready.gate_out(NOW + timedelta(minutes=5), "guard")
    assert ready.status is ShipmentStatus.DISPATCHED


def test_gate_opens_when_no_eway_bill_is_required(ready: Shipment, documents: Documents) -> None:
    invoice, _ = documents
    ready.record_invoice(invoice())
    ready.record_ewaybill_not_required("₹45,000 consignment, below ₹50,000")
    assert ready.gate_out(NOW, "guard")


def test_gate_out_twice_moves_the_goods_once(ready: Shipment, documents: Documents) -> None:
    invoice, ewaybill = documents
    ready.record_invoice(invoice())
    ready.record_ewaybill(ewaybill())
    assert ready.gate_out(NOW, "guard") is True
    assert ready.gate_out(NOW + timedelta(minutes=1), "guard") is False
    assert ready.dispatched_at == NOW


def test_expired_eway_bill_keeps_the_gate_closed(ready: Shipment, documents: Documents) -> None:
    invoice, ewaybill = documents
    ready.record_invoice(invoice())
    ready.record_ewaybill(ewaybill(valid_for=timedelta(hours=1)))
    with pytest.raises(GateClosed):
        ready.gate_out(NOW + timedelta(hours=2), "guard")


def test_invoice_before_ready_is_refused(shipment: Callable[..., Shipment], documents: Documents) -> None:
    invoice, _ = documents
    with pytest.raises(ConflictingState):
        shipment().record_invoice(invoice())


def test_invoice_quantity_must_equal_picked_quantity(
    shipment: Callable[..., Shipment], details: Callable[..., DispatchDetails], documents: Documents
) -> None:
    invoice, _ = documents
    s = shipment()
    s.confirm_pick(1, 17, "picker-1", NOW, reason=ShortReason.BIN_SHORT)
    s.accept_shortfall(1)
    s.capture_dispatch_details(details())

    with pytest.raises(InvalidValue) as refused:
        s.record_invoice(invoice({1: Decimal(20)}))
    assert refused.value.field == "quantities"
    assert s.record_invoice(invoice({1: Decimal(17)}))
    assert not s.record_invoice(invoice({1: Decimal(17)}))  # the same invoice again


def test_eway_bill_read_before_the_invoice_is_kept_but_the_gate_waits_for_the_invoice(
    ready: Shipment, documents: Documents
) -> None:
    invoice, ewaybill = documents
    assert ready.record_ewaybill(ewaybill())  # another topic: may be read before InvoiceIssued
    assert ready.status is ShipmentStatus.READY
    with pytest.raises(GateClosed, match="no tax invoice"):
        ready.gate_out(NOW, "guard")
    assert ready.record_invoice(invoice())
    assert ready.status is ShipmentStatus.EWAYBILL_GENERATED
    assert ready.gate_out(NOW, "guard")


def test_eway_bill_before_the_shipment_is_ready_is_refused(
    shipment: Callable[..., Shipment], documents: Documents
) -> None:
    _, ewaybill = documents
    with pytest.raises(ConflictingState):
        shipment().record_ewaybill(ewaybill())


def test_rejected_eway_bill_keeps_the_gate_closed_and_says_why(ready: Shipment, documents: Documents) -> None:
    invoice, ewaybill = documents
    ready.record_invoice(invoice())
    assert ready.record_ewaybill_rejected("238", "Invalid vehicle")
    assert not ready.record_ewaybill_rejected("238", "Invalid vehicle")
    with pytest.raises(GateClosed, match="rejected it: 238"):
        ready.gate_out(NOW, "guard")
    assert ready.record_ewaybill(ewaybill())
    assert ready.ewaybill_rejection is None
    assert ready.gate_out(NOW, "guard")
    assert not ready.record_ewaybill(ewaybill())  # a repeat after gate-out changes nothing


def test_not_required_verdict_repeated_after_gate_out_changes_nothing(ready: Shipment, documents: Documents) -> None:
    invoice, _ = documents
    ready.record_invoice(invoice())
    assert ready.record_ewaybill_not_required("below_threshold")
    assert ready.gate_out(NOW, "guard")
    assert not ready.record_ewaybill_not_required("below_threshold")


def test_dispatch_details_are_captured_once(ready: Shipment, details: Callable[..., DispatchDetails]) -> None:
    assert not ready.capture_dispatch_details(details())  # same again: nothing changes
    with pytest.raises(ConflictingState):
        ready.capture_dispatch_details(details("KA01AB1234"))


def test_cancel_before_gate_out_returns_staged_goods_to_their_bins(
    shipment: Callable[..., Shipment],
) -> None:
    s = shipment(PickRequest(1, "SOAP", "Soap", Decimal(10), "A-01-01", None),
                 PickRequest(2, "OIL", "Oil", Decimal(4), "B-01-01", "B7"),
                 PickRequest(3, "TEA", "Tea", Decimal(2), "C-01-01"))
    s.confirm_pick(1, 10, "picker-1", NOW)
    s.confirm_pick(2, 3, "picker-1", NOW, reason=ShortReason.DAMAGED)

    cancellation = s.cancel(NOW, "customer cancelled")

    assert [(r.item_code, r.quantity, r.bin_code, r.batch_no) for r in cancellation.restock] == [
        ("SOAP", 10, "A-01-01", None), ("OIL", 3, "B-01-01", "B7")]
    assert s.status is ShipmentStatus.CANCELLED
    assert s.cancel(NOW, "again") is cancellation
    with pytest.raises(GateClosed):
        s.gate_out(NOW, "guard")


def test_cancel_after_invoicing_names_the_documents_to_cancel(ready: Shipment, documents: Documents) -> None:
    invoice, ewaybill = documents
    ready.record_invoice(invoice())
    ready.record_ewaybill(ewaybill())
    cancellation = ready.cancel(NOW, "customer cancelled")
    assert (cancellation.invoice_to_cancel, cancellation.ewaybill_to_cancel) == ("inv-1", "331234567890")


def test_cancel_after_gate_out_is_refused(ready: Shipment, documents: Documents) -> None:
    invoice, _ = documents
    ready.record_invoice(invoice())
    ready.record_ewaybill_not_required("below threshold")
    ready.gate_out(NOW, "guard")
    with pytest.raises(ConflictingState):
        ready.cancel(NOW, "too late")


def test_vehicle_change_only_after_gate_out_with_a_reason(
    ready: Shipment, documents: Documents, details: Callable[..., DispatchDetails]
) -> None:
    invoice, ewaybill = documents
    with pytest.raises(ConflictingState):
        ready.change_vehicle(details("KA01AB9999"), VehicleChangeReason.BREAKDOWN, NOW, from_place="Hubballi",
                             from_state_code="29")
    ready.record_invoice(invoice())
    ready.record_ewaybill(ewaybill())
    ready.gate_out(NOW, "guard")

    # "Other reasons" need remarks (the e-way bill's Part-B update refuses it without): named, nothing changes.
    with pytest.raises(InvalidValue) as refused:
        ready.change_vehicle(details("KA01AB9999"), VehicleChangeReason.OTHERS, NOW + timedelta(hours=3),
                             from_place="Hubballi", from_state_code="29", remarks="  ")
    assert refused.value.field == "remarks" and ready.details is not None and ready.details.vehicle_no == "MH12AB1234"
    change = ready.change_vehicle(details("KA01AB9999"), VehicleChangeReason.BREAKDOWN, NOW + timedelta(hours=3),
                                  from_place="Hubballi", from_state_code="29", remarks="clutch failed")

    assert (change.previous.vehicle_no, change.current.vehicle_no) == ("MH12AB1234", "KA01AB9999")
    assert ready.details is not None and ready.details.vehicle_no == "KA01AB9999"


def test_trip_details_entered_once_apply_to_every_shipment(
    details: Callable[..., DispatchDetails],
) -> None:
    first = Shipment.release("SHP-1", "SO-1", "PNQ", "PL-1", [PickRequest(1, "SOAP", "Soap", Decimal(1), "A-1")], NOW)
    second = Shipment.release("SHP-2", "SO-2", "PNQ", "PL-2", [PickRequest(1, "OIL", "Oil", Decimal(1), "A-2")], NOW)
    trip = Trip("TRIP-1", "PNQ", details())

    trip.load(first, 120, estimated_km=118)
    trip.load(second, 160)

    assert first.details is not None and second.details is not None
    assert first.details.vehicle_no == second.details.vehicle_no == "MH12AB1234"
    assert (first.details.distance_km, second.details.distance_km) == (120, 160)
    assert trip.shipment_ids == ["SHP-1", "SHP-2"]


def test_trip_cannot_load_a_shipment_from_another_warehouse(details: Callable[..., DispatchDetails]) -> None:
    elsewhere = Shipment.release("SHP-9", "SO-9", "AMD", "PL-9", [PickRequest(1, "SOAP", "Soap", Decimal(1))], NOW)
    with pytest.raises(InvalidValue):
        Trip("TRIP-1", "PNQ", details()).load(elsewhere, 10)


def test_rejected_irn_keeps_the_gate_closed_until_a_retry_registers_it(ready: Shipment, documents: Documents) -> None:
    invoice, ewaybill = documents
    ready.record_invoice(replace(invoice(), irn_required=True))
    ready.record_ewaybill(ewaybill())
    assert ready.record_irn_rejected("inv-1", "2172", "Buyer GSTIN is invalid")
    assert not ready.record_irn_rejected("inv-1", "2172", "Buyer GSTIN is invalid")  # a repeat: no change
    assert ready.irn_rejection == "IRN rejected: 2172 Buyer GSTIN is invalid"
    with pytest.raises(GateClosed) as closed:
        ready.gate_out(NOW, "guard")
    assert closed.value.missing == "IRN rejected: 2172 Buyer GSTIN is invalid"

    assert ready.record_irn_registered("inv-1")
    assert ready.irn_rejection is None
    assert not ready.record_irn_rejected("inv-1", "2172", "Buyer GSTIN is invalid")  # stale once registered
    assert ready.gate_out(NOW, "guard")


def test_irn_rejection_of_an_invoice_that_needs_no_irn_or_of_another_invoice_changes_nothing(
    ready: Shipment, documents: Documents
) -> None:
    invoice, ewaybill = documents
    ready.record_invoice(invoice())  # irn_required defaults to False (B2C)
    ready.record_ewaybill(ewaybill())
    assert not ready.record_irn_rejected("inv-1", "2172", "Buyer GSTIN is invalid")
    assert not ready.record_irn_rejected("inv-other", "2172", "Buyer GSTIN is invalid")
    assert ready.irn_rejection is None
    assert ready.gate_out(NOW, "guard")


def test_irn_rejection_after_gate_out_changes_nothing(ready: Shipment, documents: Documents) -> None:
    invoice, ewaybill = documents
    ready.record_invoice(replace(invoice(), irn_required=True, irn_registered=True))
    ready.record_ewaybill(ewaybill())
    assert ready.gate_out(NOW, "guard")
    assert not ready.record_irn_rejected("inv-1", "2150", "Duplicate IRN")
    assert ready.status is ShipmentStatus.DISPATCHED


def test_gate_waits_for_the_irn_of_an_e_invoice_until_it_is_registered(ready: Shipment, documents: Documents) -> None:
    invoice, ewaybill = documents
    ready.record_invoice(replace(invoice(), irn_required=True))  # issued while the IRP has not answered yet
    ready.record_ewaybill(ewaybill())
    assert ready.irn_pending
    with pytest.raises(GateClosed) as closed:
        ready.gate_out(NOW, "guard")
    assert "IRN" in closed.value.missing and "not registered" in closed.value.missing
    assert ready.status is ShipmentStatus.EWAYBILL_GENERATED

    assert ready.record_irn_registered("inv-1")
    assert not ready.irn_pending
    assert ready.gate_out(NOW, "guard")
