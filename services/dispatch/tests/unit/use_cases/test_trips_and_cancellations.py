"""Trips (one vehicle, several shipments, all or nothing) and the coordinator's CancelPickList."""

from __future__ import annotations

from decimal import Decimal

import pytest
from o2c.contracts.v1 import dispatch as v1
from o2c.dispatch.domain import ConflictingState, InvalidValue, ShipmentStatus
from o2c.dispatch.service_layer import use_cases
from o2c.dispatch.service_layer.errors import UnknownShipment
from o2c.testsupport.dispatch import dispatch_builders as b
from o2c.testsupport.dispatch.in_memory import DETAILS, NOW, InMemoryDispatch, allow, deny


async def test_trip_details_entered_once_apply_to_every_shipment(dispatch: InMemoryDispatch) -> None:
    await dispatch.released()
    await dispatch.released("ord-2", "shp-2")
    await dispatch.pick_all()
    made = await dispatch.run(use_cases.load_trip, b.WAREHOUSE, DETAILS, [("shp-1", 350), ("shp-2", 120)], "sup",
                              NOW, allow)
    assert made.trip.shipment_ids == ["shp-1", "shp-2"] and made.trip_no == "TRIP-000003"
    [ready] = dispatch.published(v1.ShipmentReady)  # shp-2 is still being picked
    assert (ready.shipment_id, ready.transport.vehicle_no, ready.transport.distance_km) == ("shp-1", "MH12AB1234", 350)
    shp2 = await dispatch.shipment("shp-2")
    assert shp2.shipment.details is not None and shp2.shipment.details.distance_km == 120
    trip, shipments = await dispatch.run(use_cases.read_trip, made.trip.trip_id, allow)
    assert trip == made and [s.shipment_id for s in shipments] == ["shp-1", "shp-2"]
    with pytest.raises(PermissionError):
        await dispatch.run(use_cases.read_trip, made.trip.trip_id, deny)


async def test_trip_is_all_or_nothing(dispatch: InMemoryDispatch) -> None:
    await dispatch.released()
    await dispatch.released("ord-2", "shp-2")
    await dispatch.run(use_cases.capture_dispatch_details, "shp-2", DETAILS, NOW, allow)
    rows = {k: dict(v) for k, v in dispatch.shipments.rows.items()}
    other = use_cases.DetailsInput(distance_km=0, vehicle_no="KA01AB1234", driver_name="S", driver_phone="9845012346")
    with pytest.raises(ConflictingState):  # shp-2 has its details already; shp-1 was loaded before that
        await dispatch.run(use_cases.load_trip, b.WAREHOUSE, other, [("shp-1", 10), ("shp-2", 10)], "sup", NOW, allow)
    assert dispatch.trips.rows == {} and dispatch.shipments.rows == rows
    with pytest.raises(InvalidValue, match="listed twice"):
        await dispatch.run(use_cases.load_trip, b.WAREHOUSE, other, [("shp-1", 10), ("shp-1", 10)], "sup", NOW,
                           allow)
    with pytest.raises(UnknownShipment):
        await dispatch.run(use_cases.load_trip, b.WAREHOUSE, other, [("shp-9", 10)], "sup", NOW, allow)


async def test_cancel_before_gate_out_restocks_what_was_picked(dispatch: InMemoryDispatch) -> None:
    await dispatch.released()
    await dispatch.run(use_cases.confirm_pick, "pl-shp-1", 1, use_cases.PickInput(Decimal(40), "A-2-3"), "p1", NOW,
                       allow)
    await dispatch.run(use_cases.cancel_pick_lists, b.cancel("ord-1", "shp-1"), NOW)
    [cancelled] = dispatch.published(v1.PickListCancelled)
    assert cancelled.request_id == "req-1"
    assert [(r.line_no, r.bin_code, r.batch_no, r.quantity.value) for r in cancelled.restocked] == [
        (1, "A-2-3", "TEA-2603-B6", Decimal(40))]
    assert (await dispatch.shipment()).shipment.status is ShipmentStatus.CANCELLED
    await dispatch.run(use_cases.cancel_pick_lists, b.cancel("ord-1", "shp-1"), NOW)  # re-sent: same answer
    again = dispatch.published(v1.PickListCancelled)
    assert len(again) == 2 and again[1].restocked == cancelled.restocked


async def test_cancel_after_gate_out_is_refused(dispatch: InMemoryDispatch) -> None:
    await dispatch.on_gate_list()
    await dispatch.run(use_cases.gate_out, "shp-1", "guard", NOW, allow)
    await dispatch.run(use_cases.cancel_pick_lists, b.cancel("ord-1"), NOW)  # empty: every shipment of the order
    [refused] = dispatch.published(v1.PickListCancellationRefused)
    assert (refused.shipment_id, refused.request_id) == ("shp-1", "req-1")
    assert not dispatch.published(v1.PickListCancelled)


async def test_cancel_before_the_release_is_read_means_the_release_issues_nothing(dispatch: InMemoryDispatch) -> None:
    await dispatch.run(use_cases.cancel_pick_lists, b.cancel("ord-1", "shp-1"), NOW)
    assert dispatch.published(v1.PickListCancelled)[0].restocked == []
    assert await dispatch.run(use_cases.issue_pick_lists, b.release(), NOW) == []
    assert not dispatch.published(v1.PickListIssued)


async def test_another_orders_shipment_is_not_cancelled(dispatch: InMemoryDispatch) -> None:
    await dispatch.released("ord-2", "shp-2")
    await dispatch.run(use_cases.cancel_pick_lists, b.cancel("ord-1", "shp-2"), NOW)
    assert (await dispatch.shipment("shp-2")).shipment.status is ShipmentStatus.PICKING
    assert not dispatch.published(v1.PickListCancelled)
