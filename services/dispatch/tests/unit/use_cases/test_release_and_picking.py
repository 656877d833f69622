"""From the release to the picked shipment: pick lists in walking order, line by line or whole-list confirmation,
short picks handed on, repeats that write and publish nothing, the distance estimated at release."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from o2c.contracts.v1 import dispatch as v1
from o2c.dispatch.domain import ConflictingState, InvalidValue, ShortReason
from o2c.dispatch.service_layer import use_cases
from o2c.dispatch.service_layer.errors import UnknownShipment
from o2c.dispatch.service_layer.records import Queue
from o2c.india.supply import TaxRegime
from o2c.testsupport.dispatch import dispatch_builders as b
from o2c.testsupport.dispatch.in_memory import DETAILS, NOW, FixedDistances, InMemoryDispatch, allow, deny

WHOLE = {1: use_cases.PickInput(Decimal(40), "A-2-3"),
         2: use_cases.PickInput(Decimal(470), "A-10-1", short_reason=ShortReason.BIN_SHORT),
         3: use_cases.PickInput(Decimal(60), "B-10-1")}


async def test_release_issues_one_pick_list_per_shipment_in_walking_order(dispatch: InMemoryDispatch) -> None:
    record = await dispatch.released()
    [issued] = dispatch.published(v1.PickListIssued)
    assert [(line.bin_code, line.line_no, line.quantity.value) for line in issued.lines] == [
        ("A-2-3", 1, Decimal(40)), ("A-10-1", 2, Decimal(480)), ("B-10-1", 1, Decimal(60))]
    assert issued.pick_list_id == "pl-shp-1" and issued.pick_list_no == record.pick_list_no == "PL-000001"
    assert record.queue is Queue.WAITING_FOR_VEHICLE


async def test_the_same_release_twice_issues_nothing_more(dispatch: InMemoryDispatch) -> None:
    await dispatch.released()
    assert await dispatch.run(use_cases.issue_pick_lists, b.release(), NOW) == []
    assert len(dispatch.published(v1.PickListIssued)) == 1 and len(dispatch.shipments.rows) == 1


async def test_ready_carries_the_tax_split_sales_decided_for_the_shipment(dispatch: InMemoryDispatch) -> None:
    message = b.release()
    shipment = message.shipments[0].model_copy(update={"tax_regime": TaxRegime.IGST})
    await dispatch.run(use_cases.issue_pick_lists, message.model_copy(update={"shipments": [shipment]}), NOW)
    await dispatch.run(use_cases.capture_dispatch_details, "shp-1", DETAILS, NOW, allow)
    await dispatch.pick_all()
    [ready] = dispatch.published(v1.ShipmentReady)
    assert ready.tax_regime is TaxRegime.IGST


async def test_unallocated_rest_of_a_line_is_picked_without_a_named_bin(dispatch: InMemoryDispatch) -> None:
    message = b.release()
    shipment = message.shipments[0]
    soap = shipment.lines[1].model_copy(update={"allocations": [b.alloc(400, "A-10-1")]})
    message = message.model_copy(update={"shipments": [shipment.model_copy(update={
        "lines": [shipment.lines[0], soap]})]})
    [record] = await dispatch.run(use_cases.issue_pick_lists, message, NOW)
    last = record.shipment.pick_list.lines[-1]
    assert (last.request.bin_code, last.quantity) == (None, Decimal(80))


async def test_short_pick_publishes_the_shortfall_and_ready_carries_confirmed_quantities(
    dispatch: InMemoryDispatch,
) -> None:
    await dispatch.released()
    await dispatch.run(use_cases.capture_dispatch_details, "shp-1", DETAILS, NOW, allow)
    assert not dispatch.published(v1.ShipmentReady)
    await dispatch.pick_all(short_soap=10)
    confirmed = dispatch.published(v1.PickConfirmed)
    assert [(c.line_no, c.picked.value, c.short.value) for c in confirmed] == [
        (1, Decimal(40), Decimal(0)), (2, Decimal(470), Decimal(10)), (1, Decimal(60), Decimal(0))]
    assert confirmed[1].short_reason == "bin_short" and confirmed[1].short_bins == ["A-10-1"]
    [ready] = dispatch.published(v1.ShipmentReady)
    assert {line.line_no: line.quantity.value for line in ready.lines} == {1: Decimal(100), 2: Decimal(470)}
    assert {line.line_no: line.released_quantity.value for line in ready.lines} == {1: Decimal(100), 2: Decimal(480)}
    tea = next(line for line in ready.lines if line.line_no == 1)
    assert sorted((a.batch_no, a.quantity.value) for a in tea.allocations) == [
        ("TEA-2603-B6", Decimal(40)), ("TEA-2604-B7", Decimal(60))]
    assert ready.transport.vehicle_no == "MH12AB1234" and ready.transport.distance_km == 350
    assert ready.transport.lr_no == "LR/2026/0042" and ready.transport.transporter_id == "29AABCR1718E1ZL"
    assert ready.warehouse_gstin == "29AABCR1718E1ZL" and ready.shipment_no == "SHP-000001"


async def test_repeated_confirmation_writes_and_publishes_nothing_and_a_different_one_is_refused(
    dispatch: InMemoryDispatch,
) -> None:
    await dispatch.released()
    pick = use_cases.PickInput(Decimal(40), "A-2-3")
    await dispatch.run(use_cases.confirm_pick, "pl-shp-1", 1, pick, "p1", NOW, allow)
    writes = dispatch.shipments.writes
    await dispatch.run(use_cases.confirm_pick, "pl-shp-1", 1, pick, "p1", NOW, allow)
    assert len(dispatch.published(v1.PickConfirmed)) == 1 and dispatch.shipments.writes == writes
    with pytest.raises(ConflictingState):
        await dispatch.run(use_cases.confirm_pick, "pl-shp-1", 1,
                           use_cases.PickInput(Decimal(30), short_reason=ShortReason.DAMAGED), "p1", NOW, allow)


async def test_over_pick_and_wrong_bin_are_refused(dispatch: InMemoryDispatch) -> None:
    await dispatch.released()
    with pytest.raises(InvalidValue, match="over-pick"):
        await dispatch.run(use_cases.confirm_pick, "pl-shp-1", 1, use_cases.PickInput(Decimal(41)), "p1", NOW, allow)
    with pytest.raises(InvalidValue) as wrong:
        await dispatch.run(use_cases.confirm_pick, "pl-shp-1", 1, use_cases.PickInput(Decimal(40), "B-10-1"), "p1",
                           NOW, allow)
    assert wrong.value.field == "bin_code"
    assert not dispatch.published(v1.PickConfirmed)


async def test_other_warehouse_is_refused_before_anything_changes(dispatch: InMemoryDispatch) -> None:
    await dispatch.released()
    writes = dispatch.shipments.writes
    with pytest.raises(PermissionError):
        await dispatch.run(use_cases.confirm_pick, "pl-shp-1", 1, use_cases.PickInput(Decimal(40)), "p1", NOW, deny)
    assert (await dispatch.shipment()).shipment.pick_list.lines[0].confirmation is None
    assert dispatch.shipments.writes == writes


async def test_an_unknown_pick_list_is_not_found(dispatch: InMemoryDispatch) -> None:
    with pytest.raises(UnknownShipment):
        await dispatch.run(use_cases.confirm_pick, "pl-none", 1, use_cases.PickInput(Decimal(1)), "p1", NOW, allow)
    with pytest.raises(UnknownShipment):
        await dispatch.run(use_cases.read_pick_list, "pl-none", allow)


async def test_a_shipment_with_nothing_picked_closes_itself(dispatch: InMemoryDispatch) -> None:
    await dispatch.released()
    await dispatch.run(use_cases.capture_dispatch_details, "shp-1", DETAILS, NOW, allow)
    for line_no in (1, 2, 3):
        await dispatch.run(use_cases.confirm_pick, "pl-shp-1", line_no,
                           use_cases.PickInput(Decimal(0), short_reason=ShortReason.BIN_SHORT), "p1", NOW, allow)
    assert [c.short.value for c in dispatch.published(v1.PickConfirmed)] == [Decimal(40), Decimal(480), Decimal(60)]
    [closed] = dispatch.published(v1.PickListCancelled)
    assert closed.request_id is None and closed.restocked == []
    assert not dispatch.published(v1.ShipmentReady)
    assert (await dispatch.shipment()).queue is Queue.CANCELLED


# --- a whole pick list in one request (issue 15) ------------------------------------------------------------


async def test_a_whole_pick_list_is_one_message_telling_what_each_line_would(dispatch: InMemoryDispatch) -> None:
    await dispatch.released()
    await dispatch.run(use_cases.capture_dispatch_details, "shp-1", DETAILS, NOW, allow)
    writes = dispatch.shipments.writes
    await dispatch.run(use_cases.confirm_pick_list, "pl-shp-1", WHOLE, "p1", NOW, allow)
    assert dispatch.shipments.writes == writes + 1  # the whole list: one read, one write
    [whole] = dispatch.published(v1.PickListConfirmed)
    assert not dispatch.published(v1.PickConfirmed)
    one_by_one = InMemoryDispatch()
    await one_by_one.released()
    await one_by_one.pick_all(short_soap=10)
    assert whole.per_line() == one_by_one.published(v1.PickConfirmed)
    [ready] = dispatch.published(v1.ShipmentReady)
    assert {line.line_no: line.quantity.value for line in ready.lines} == {1: Decimal(100), 2: Decimal(470)}


async def test_a_whole_pick_list_needs_every_open_line_and_repeats_none(dispatch: InMemoryDispatch) -> None:
    await dispatch.released()
    with pytest.raises(InvalidValue, match="missing line"):
        await dispatch.run(use_cases.confirm_pick_list, "pl-shp-1", {1: WHOLE[1], 3: WHOLE[3]}, "p1", NOW, allow)
    assert not dispatch.published(v1.PickListConfirmed)
    assert all(line.confirmation is None for line in (await dispatch.shipment()).shipment.pick_list.lines)
    await dispatch.run(use_cases.confirm_pick, "pl-shp-1", 1, WHOLE[1], "p1", NOW, allow)
    await dispatch.run(use_cases.confirm_pick_list, "pl-shp-1", WHOLE, "p1", NOW, allow)  # line 1 again: no change
    [whole] = dispatch.published(v1.PickListConfirmed)
    assert [(line.line_no, line.picked.value) for line in whole.lines] == [(2, Decimal(470)), (1, Decimal(60))]
    writes = dispatch.shipments.writes
    await dispatch.run(use_cases.confirm_pick_list, "pl-shp-1", WHOLE, "p1", NOW, allow)  # all confirmed: nothing
    assert len(dispatch.published(v1.PickListConfirmed)) == 1 and len(dispatch.published(v1.PickConfirmed)) == 1
    assert dispatch.shipments.writes == writes


# --- vehicle details and the distance -----------------------------------------------------------------------


async def test_bad_vehicle_is_refused_with_304_and_nothing_is_written(dispatch: InMemoryDispatch) -> None:
    await dispatch.released()
    before = dict(dispatch.shipments.rows["shp-1"])
    bad = use_cases.DetailsInput(distance_km=10, vehicle_no="12MHAB1234", driver_name="R", driver_phone="9845012345")
    with pytest.raises(InvalidValue) as refused:
        await dispatch.run(use_cases.capture_dispatch_details, "shp-1", bad, NOW, allow)
    assert (refused.value.field, refused.value.code) == ("vehicle_no", "304")
    assert dispatch.shipments.rows["shp-1"] == before


async def test_distance_defaults_to_the_pincode_estimate_and_may_exceed_it_by_10_percent_only() -> None:
    release = b.release()
    route = (release.shipments[0].dispatch_from.pincode, release.ship_to.pincode)
    dispatch = InMemoryDispatch(FixedDistances({route: 300}))
    [record] = await dispatch.run(use_cases.issue_pick_lists, release, NOW)
    assert record.release.estimated_distance_km == 300
    with pytest.raises(InvalidValue) as refused:
        await dispatch.run(use_cases.capture_dispatch_details, "shp-1", replace(DETAILS, distance_km=331), NOW, allow)
    assert refused.value.field == "distance_km"
    record = await dispatch.run(use_cases.capture_dispatch_details, "shp-1", replace(DETAILS, distance_km=None), NOW,
                                allow)
    assert record.shipment.details is not None and record.shipment.details.distance_km == 300


async def test_without_an_estimate_the_distance_must_be_declared(dispatch: InMemoryDispatch) -> None:
    await dispatch.released()
    with pytest.raises(InvalidValue, match="declare the distance"):
        await dispatch.run(use_cases.capture_dispatch_details, "shp-1", replace(DETAILS, distance_km=None), NOW, allow)
