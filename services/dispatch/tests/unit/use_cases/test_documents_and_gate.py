"""The documents (invoice, IRN outcome, e-way bill verdict) and the gate: goods leave only once the law's
documents exist; a vehicle change after gate-out; the supervisor's queues."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from o2c.contracts.v1 import dispatch as v1
from o2c.dispatch.domain import (
    ConflictingState,
    GateClosed,
    InvalidValue,
    ShipmentStatus,
    TransportMode,
    VehicleChangeReason,
)
from o2c.dispatch.entrypoints.views import shipment_view
from o2c.dispatch.service_layer import use_cases
from o2c.dispatch.service_layer.errors import UnknownShipment
from o2c.dispatch.service_layer.records import Queue, ShipmentRecord
from o2c.testsupport.dispatch import dispatch_builders as b
from o2c.testsupport.dispatch.in_memory import DETAILS, NOW, InMemoryDispatch, allow

INVOICE = b.invoice("ord-1", "shp-1", {1: 100, 2: 480})


async def gate_out(dispatch: InMemoryDispatch) -> ShipmentRecord:
    record: ShipmentRecord = await dispatch.run(use_cases.gate_out, "shp-1", "guard", NOW, allow)
    return record


async def test_gate_opens_only_after_invoice_and_ewaybill(dispatch: InMemoryDispatch) -> None:
    await dispatch.ready_for_documents()
    with pytest.raises(GateClosed, match="no tax invoice"):
        await gate_out(dispatch)
    await dispatch.run(use_cases.record_invoice, INVOICE, NOW)
    with pytest.raises(GateClosed, match="e-way bill"):
        await gate_out(dispatch)
    await dispatch.run(use_cases.record_ewaybill_rejected, b.ewaybill_rejected("ord-1", "shp-1"), NOW)
    with pytest.raises(GateClosed, match="rejected it: 238"):
        await gate_out(dispatch)
    await dispatch.run(use_cases.record_ewaybill, b.ewaybill("ord-1", "shp-1"), NOW)
    assert (await gate_out(dispatch)).shipment.status is ShipmentStatus.DISPATCHED
    writes = dispatch.shipments.writes
    await gate_out(dispatch)  # a repeat: nothing more
    assert dispatch.shipments.writes == writes
    [dispatched] = dispatch.published(v1.ShipmentDispatched)
    assert dispatched.invoice_id == "inv-1" and dispatched.ewaybill_no is not None
    assert {line.line_no: line.quantity.value for line in dispatched.lines} == {1: Decimal(100), 2: Decimal(480)}


async def test_invoice_quantities_must_equal_picked(dispatch: InMemoryDispatch) -> None:
    await dispatch.released()
    await dispatch.pick_all(short_soap=10)
    await dispatch.run(use_cases.capture_dispatch_details, "shp-1", DETAILS, NOW, allow)
    with pytest.raises(InvalidValue, match="differ from picked"):
        await dispatch.run(use_cases.record_invoice, INVOICE, NOW)
    record = await dispatch.run(use_cases.record_invoice, b.invoice("ord-1", "shp-1", {1: 100, 2: 470}), NOW)
    assert record.shipment.status is ShipmentStatus.INVOICED


async def test_not_required_verdict_opens_the_gate_without_an_ewaybill(dispatch: InMemoryDispatch) -> None:
    await dispatch.ready_for_documents()
    await dispatch.run(use_cases.record_ewaybill_not_required, b.ewaybill_not_required("ord-1", "shp-1"),
                       NOW)  # read first
    await dispatch.run(use_cases.record_invoice, INVOICE, NOW)
    await gate_out(dispatch)
    [dispatched] = dispatch.published(v1.ShipmentDispatched)
    assert dispatched.ewaybill_no is None


async def test_documents_for_an_unknown_shipment_are_refused(dispatch: InMemoryDispatch) -> None:
    with pytest.raises(UnknownShipment):
        await dispatch.run(use_cases.record_invoice, b.invoice("ord-1", "shp-x", {1: 100}), NOW)


async def test_documents_for_a_cancelled_shipment_change_nothing(dispatch: InMemoryDispatch) -> None:
    await dispatch.ready_for_documents()
    await dispatch.run(use_cases.cancel_pick_lists, b.cancel("ord-1", "shp-1"), NOW)
    sent = len(dispatch.sent)
    assert await dispatch.run(use_cases.record_invoice, INVOICE, NOW) is None
    assert await dispatch.run(use_cases.record_ewaybill, b.ewaybill("ord-1", "shp-1"), NOW) is None
    record = await dispatch.shipment()
    assert record.shipment.status is ShipmentStatus.CANCELLED and record.shipment.invoice is None
    assert len(dispatch.sent) == sent


async def test_vehicle_change_only_after_gate_out(dispatch: InMemoryDispatch) -> None:
    await dispatch.ready_for_documents()
    other = use_cases.DetailsInput(distance_km=200, vehicle_no="KA01AB1234", driver_name="Suresh",
                                   driver_phone="9845012346", mode=TransportMode.ROAD)

    async def change() -> Any:
        return await dispatch.run(use_cases.change_vehicle, "shp-1", other, VehicleChangeReason.BREAKDOWN,
                                  "Hubballi", "29", "axle broke", NOW, allow)

    with pytest.raises(ConflictingState):
        await change()
    await dispatch.run(use_cases.record_invoice, INVOICE, NOW)
    await dispatch.run(use_cases.record_ewaybill, b.ewaybill("ord-1", "shp-1"), NOW)
    await gate_out(dispatch)
    await change()
    [changed] = dispatch.published(v1.VehicleChanged)
    assert (changed.previous_vehicle_no, changed.transport.vehicle_no) == ("MH12AB1234", "KA01AB1234")
    assert changed.reason is v1.VehicleChangeReason.BREAKDOWN and changed.ewaybill_no is not None


async def test_queues(dispatch: InMemoryDispatch) -> None:
    await dispatch.released()
    await dispatch.released("ord-2", "shp-2")
    await dispatch.pick_all()
    await dispatch.run(use_cases.capture_dispatch_details, "shp-1", DETAILS, NOW, allow)
    await dispatch.run(use_cases.capture_dispatch_details, "shp-2", DETAILS, NOW, allow)
    queues = {r.shipment_id: r.queue for r in await dispatch.shipments.search()}
    assert queues == {"shp-1": Queue.WAITING_FOR_DOCUMENTS, "shp-2": Queue.PICKING}
    await dispatch.run(use_cases.record_invoice, INVOICE, NOW)
    await dispatch.run(use_cases.record_ewaybill, b.ewaybill("ord-1", "shp-1"), NOW)
    assert [r.shipment_id for r in await dispatch.run(use_cases.ready_for_gate, None, NOW, 10)] == ["shp-1"]


# --- the IRN of an e-invoice --------------------------------------------------------------------------------


async def invoiced_with_ewaybill(dispatch: InMemoryDispatch, issued: Any) -> None:
    await dispatch.ready_for_documents()
    await dispatch.run(use_cases.record_invoice, issued, NOW)
    await dispatch.run(use_cases.record_ewaybill, b.ewaybill("ord-1", "shp-1"), NOW)


async def test_rejected_irn_blocks_the_gate_with_the_reason_until_irn_registered(dispatch: InMemoryDispatch) -> None:
    await invoiced_with_ewaybill(dispatch, b.irn_pending(INVOICE))
    # IrnRejected names the order and the invoice, not the shipment: found by the recorded invoice id
    record = await dispatch.run(use_cases.record_irn_rejected, b.irn_rejected("ord-1", "inv-1"), NOW)
    assert record is not None and record.shipment_id == "shp-1"
    view = shipment_view(await dispatch.shipment())
    assert view["irn_rejection"] == "IRN rejected: 2172 Buyer GSTIN is invalid"
    assert view["queue"] == "waiting_for_documents" and view["waiting_for"] == ["irn"]
    with pytest.raises(GateClosed, match="IRN rejected: 2172 Buyer GSTIN is invalid"):
        await gate_out(dispatch)
    assert not dispatch.published(v1.ShipmentDispatched)

    await dispatch.run(use_cases.record_irn_registered, b.irn_registered("ord-1", "inv-1"), NOW)  # retried
    stored = await dispatch.shipment()
    assert shipment_view(stored)["irn_rejection"] is None and stored.queue is Queue.READY_FOR_GATE
    assert (await gate_out(dispatch)).shipment.status is ShipmentStatus.DISPATCHED


async def test_irn_rejection_never_blocks_a_b2c_invoice(dispatch: InMemoryDispatch) -> None:
    await invoiced_with_ewaybill(dispatch, b.b2c(INVOICE))
    await dispatch.run(use_cases.record_irn_rejected, b.irn_rejected("ord-1", "inv-1"), NOW)
    record = await gate_out(dispatch)
    assert record.shipment.status is ShipmentStatus.DISPATCHED and record.shipment.irn_rejection is None


async def test_irn_outcome_of_an_invoice_not_recorded_here_is_ignored(dispatch: InMemoryDispatch) -> None:
    await invoiced_with_ewaybill(dispatch, b.irn_pending(INVOICE))
    assert await dispatch.run(use_cases.record_irn_rejected, b.irn_rejected("ord-1", "inv-unknown"), NOW) is None
    assert await dispatch.run(use_cases.record_irn_rejected, b.irn_rejected("ord-unknown", "inv-1"), NOW) is None
    assert (await dispatch.shipment()).shipment.irn_rejection is None  # still pending, not rejected
    await dispatch.run(use_cases.record_irn_registered, b.irn_registered("ord-1", "inv-1"), NOW)
    assert (await gate_out(dispatch)).shipment.status is ShipmentStatus.DISPATCHED


async def test_pending_irn_keeps_the_gate_closed_and_waiting_for_names_it(dispatch: InMemoryDispatch) -> None:
    await invoiced_with_ewaybill(dispatch, b.irn_pending(INVOICE))
    view = shipment_view(await dispatch.shipment())
    assert view["queue"] == "waiting_for_documents" and view["waiting_for"] == ["irn"]
    assert view["invoice"]["irn_status"] == "pending"
    with pytest.raises(GateClosed, match="not registered yet"):
        await gate_out(dispatch)
    assert not dispatch.published(v1.ShipmentDispatched)
