"""Dispatch's use cases on an in-memory store (records go through the same JSON round trip as in
PostgreSQL) and a list of published messages."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from o2c.contracts.envelope import Message
from o2c.contracts.v1 import dispatch as v1
from o2c.dispatch.adapters.repository import SHIPMENT
from o2c.dispatch.domain import (
    ConflictingState,
    GateClosed,
    InvalidValue,
    ShipmentStatus,
    ShortReason,
    TransportMode,
    VehicleChangeReason,
)
from o2c.dispatch.service_layer import use_cases
from o2c.dispatch.service_layer.errors import UnknownShipment
from o2c.dispatch.service_layer.records import Queue, ReleaseFacts, ShipmentRecord, TripRecord
from o2c.india.supply import TaxRegime
from o2c.testsupport.dispatch import dispatch_builders as b

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


class FakeShipments:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.tombstones: set[str] = set()
        self.number = 0
        self.trips: list[TripRecord] = []

    @staticmethod
    def _dump(record: ShipmentRecord) -> dict[str, Any]:
        return {"state": SHIPMENT.dump_python(record.shipment, mode="json"),
                "release": record.release.model_dump(mode="json"), "shipment_no": record.shipment_no,
                "pick_list_no": record.pick_list_no, "version": record.version}

    @staticmethod
    def _load(row: dict[str, Any]) -> ShipmentRecord:
        return ShipmentRecord(SHIPMENT.validate_python(row["state"]), ReleaseFacts.model_validate(row["release"]),
                              row["shipment_no"], row["pick_list_no"], row["version"])

    async def get(self, shipment_id: str, *, for_update: bool = False) -> ShipmentRecord | None:
        row = self.rows.get(shipment_id)
        return self._load(row) if row else None

    async def get_by_pick_list(self, pick_list_id: str, *, for_update: bool = False) -> ShipmentRecord | None:
        for shipment_id, row in self.rows.items():
            if row["state"]["pick_list"]["pick_list_id"] == pick_list_id:
                return await self.get(shipment_id)
        return None

    async def of_order(self, order_id: str, *, for_update: bool = False) -> list[ShipmentRecord]:
        return [self._load(r) for r in self.rows.values() if r["state"]["order_id"] == order_id]

    async def add(self, record: ShipmentRecord) -> bool:
        if record.shipment_id in self.rows:
            return False
        record.version = 1
        self.rows[record.shipment_id] = self._dump(record)
        return True

    async def save(self, record: ShipmentRecord) -> None:
        assert self.rows[record.shipment_id]["version"] == record.version
        record.version += 1
        self.rows[record.shipment_id] = self._dump(record)

    async def next_number(self) -> int:
        self.number += 1
        return self.number

    async def search(self, *, warehouses: Collection[str] | None = None, statuses: Collection[str] = (),
                     queues: Collection[str] = (), pick_statuses: Collection[str] = (), limit: int = 200
                     ) -> list[ShipmentRecord]:
        records = [self._load(r) for r in self.rows.values()]
        return [r for r in records
                if (warehouses is None or r.warehouse_id in warehouses)
                and (not statuses or r.shipment.status.value in statuses)
                and (not queues or r.queue.value in queues)
                and (not pick_statuses or r.pick_list_status.value in pick_statuses)][:limit]

    async def tombstone(self, shipment_id: str, order_id: str, request_id: str, at: datetime) -> None:
        self.tombstones.add(shipment_id)

    async def is_tombstoned(self, shipment_id: str) -> bool:
        return shipment_id in self.tombstones

    async def add_trip(self, record: TripRecord) -> None:
        self.trips.append(record)

    async def get_trip(self, trip_id: str | None = None, *, idempotency_key: str | None = None
                       ) -> TripRecord | None:
        return next((t for t in self.trips if (trip_id is not None and t.trip.trip_id == trip_id)
                     or (idempotency_key is not None and t.idempotency_key == idempotency_key)), None)


class Sent(list[Message]):
    async def __call__(self, message: Message) -> None:
        self.append(message)

    def of(self, kind: type[Any]) -> list[Any]:
        return [m for m in self if isinstance(m, kind)]


def allow(_: str) -> None:
    return None


def deny(warehouse: str) -> None:
    raise PermissionError(warehouse)


DETAILS = use_cases.DetailsInput(distance_km=350, vehicle_no="mh 12 ab 1234", driver_name="Ramesh Patil",
                                 driver_phone="+91 98450 12345", transporter_id="29AABCR1718E1ZL",
                                 transporter_name="Reliable Roadways", lr_no="LR/2026/0042", lr_date=NOW.date())


@pytest.fixture
def repo() -> FakeShipments:
    return FakeShipments()


@pytest.fixture
def sent() -> Sent:
    return Sent()


async def released(repo: FakeShipments, sent: Sent, order_id: str = "ord-1", shipment_id: str = "shp-1"
                   ) -> ShipmentRecord:
    records = await use_cases.issue_pick_lists(repo, sent, b.release(order_id, shipment_id), NOW)
    assert len(records) == 1
    return records[0]


async def pick_all(repo: FakeShipments, sent: Sent, *, short_soap: int = 0) -> None:
    """A-2-3 tea 40, A-10-1 soap 480 (maybe short), B-10-1 tea 60."""
    await use_cases.confirm_pick(repo, sent, "pl-shp-1", 1, use_cases.PickInput(Decimal(40), "A-2-3"), "p1", NOW,
                                 allow)
    soap = use_cases.PickInput(Decimal(480 - short_soap), "A-10-1",
                               short_reason=ShortReason.BIN_SHORT if short_soap else None)
    await use_cases.confirm_pick(repo, sent, "pl-shp-1", 2, soap, "p1", NOW, allow)
    await use_cases.confirm_pick(repo, sent, "pl-shp-1", 3, use_cases.PickInput(Decimal(60), "B-10-1"), "p1", NOW,
                                 allow)


async def test_release_issues_one_pick_list_per_shipment_in_walking_order(repo: FakeShipments, sent: Sent) -> None:
    record = await released(repo, sent)
    [issued] = sent.of(v1.PickListIssued)
    assert [(line.bin_code, line.line_no, line.quantity.value) for line in issued.lines] == [
        ("A-2-3", 1, Decimal(40)), ("A-10-1", 2, Decimal(480)), ("B-10-1", 1, Decimal(60))]
    assert issued.pick_list_id == "pl-shp-1" and issued.pick_list_no == record.pick_list_no == "PL-000001"
    assert record.queue is Queue.WAITING_FOR_VEHICLE


async def test_the_same_release_twice_issues_nothing_more(repo: FakeShipments, sent: Sent) -> None:
    await released(repo, sent)
    assert await use_cases.issue_pick_lists(repo, sent, b.release(), NOW) == []
    assert len(sent.of(v1.PickListIssued)) == 1 and len(repo.rows) == 1


async def test_ready_carries_the_tax_split_sales_decided_for_the_shipment(repo: FakeShipments, sent: Sent) -> None:
    message = b.release()
    shipment = message.shipments[0].model_copy(update={"tax_regime": TaxRegime.IGST})
    await use_cases.issue_pick_lists(repo, sent, message.model_copy(update={"shipments": [shipment]}), NOW)
    await use_cases.capture_dispatch_details(repo, sent, "shp-1", DETAILS, NOW, allow)
    await pick_all(repo, sent)
    [ready] = sent.of(v1.ShipmentReady)
    assert ready.tax_regime is TaxRegime.IGST


async def test_unallocated_rest_of_a_line_is_picked_without_a_named_bin(repo: FakeShipments, sent: Sent) -> None:
    message = b.release()
    shipment = message.shipments[0]
    soap = shipment.lines[1].model_copy(update={"allocations": [b.alloc(400, "A-10-1")]})
    message = message.model_copy(update={"shipments": [shipment.model_copy(update={
        "lines": [shipment.lines[0], soap]})]})
    [record] = await use_cases.issue_pick_lists(repo, sent, message, NOW)
    last = record.shipment.pick_list.lines[-1]
    assert (last.request.bin_code, last.quantity) == (None, Decimal(80))


async def test_short_pick_publishes_the_shortfall_and_ready_carries_confirmed_quantities(
    repo: FakeShipments, sent: Sent
) -> None:
    await released(repo, sent)
    await use_cases.capture_dispatch_details(repo, sent, "shp-1", DETAILS, NOW, allow)
    assert not sent.of(v1.ShipmentReady)
    await pick_all(repo, sent, short_soap=10)
    confirmed = sent.of(v1.PickConfirmed)
    assert [(c.line_no, c.picked.value, c.short.value) for c in confirmed] == [
        (1, Decimal(40), Decimal(0)), (2, Decimal(470), Decimal(10)), (1, Decimal(60), Decimal(0))]
    assert confirmed[1].short_reason == "bin_short" and confirmed[1].short_bins == ["A-10-1"]
    [ready] = sent.of(v1.ShipmentReady)
    assert {line.line_no: line.quantity.value for line in ready.lines} == {1: Decimal(100), 2: Decimal(470)}
    assert {line.line_no: line.released_quantity.value for line in ready.lines} == {1: Decimal(100), 2: Decimal(480)}
    tea = next(line for line in ready.lines if line.line_no == 1)
    assert sorted((a.batch_no, a.quantity.value) for a in tea.allocations) == [
        ("TEA-2603-B6", Decimal(40)), ("TEA-2604-B7", Decimal(60))]
    assert ready.transport.vehicle_no == "MH12AB1234" and ready.transport.distance_km == 350
    assert ready.transport.lr_no == "LR/2026/0042" and ready.transport.transporter_id == "29AABCR1718E1ZL"
    assert ready.warehouse_gstin == "29AABCR1718E1ZL" and ready.shipment_no == "SHP-000001"


async def test_repeated_confirmation_publishes_nothing_and_a_different_one_is_refused(
    repo: FakeShipments, sent: Sent
) -> None:
    await released(repo, sent)
    pick = use_cases.PickInput(Decimal(40), "A-2-3")
    await use_cases.confirm_pick(repo, sent, "pl-shp-1", 1, pick, "p1", NOW, allow)
    await use_cases.confirm_pick(repo, sent, "pl-shp-1", 1, pick, "p1", NOW, allow)
    assert len(sent.of(v1.PickConfirmed)) == 1
    with pytest.raises(ConflictingState):
        await use_cases.confirm_pick(repo, sent, "pl-shp-1", 1,
                                     use_cases.PickInput(Decimal(30), short_reason=ShortReason.DAMAGED), "p1", NOW,
                                     allow)


async def test_over_pick_and_wrong_bin_are_refused(repo: FakeShipments, sent: Sent) -> None:
    await released(repo, sent)
    with pytest.raises(InvalidValue, match="over-pick"):
        await use_cases.confirm_pick(repo, sent, "pl-shp-1", 1, use_cases.PickInput(Decimal(41)), "p1", NOW, allow)
    with pytest.raises(InvalidValue) as wrong:
        await use_cases.confirm_pick(repo, sent, "pl-shp-1", 1, use_cases.PickInput(Decimal(40), "B-10-1"), "p1",
                                     NOW, allow)
    assert wrong.value.field == "bin_code"
    assert not sent.of(v1.PickConfirmed)


async def test_other_warehouse_is_refused_before_anything_changes(repo: FakeShipments, sent: Sent) -> None:
    await released(repo, sent)
    with pytest.raises(PermissionError):
        await use_cases.confirm_pick(repo, sent, "pl-shp-1", 1, use_cases.PickInput(Decimal(40)), "p1", NOW, deny)
    record = await repo.get("shp-1")
    assert record is not None and record.shipment.pick_list.lines[0].confirmation is None


async def test_bad_vehicle_is_refused_with_304_and_nothing_is_written(repo: FakeShipments, sent: Sent) -> None:
    await released(repo, sent)
    before = dict(repo.rows["shp-1"])
    bad = use_cases.DetailsInput(distance_km=10, vehicle_no="12MHAB1234", driver_name="R", driver_phone="9845012345")
    with pytest.raises(InvalidValue) as refused:
        await use_cases.capture_dispatch_details(repo, sent, "shp-1", bad, NOW, allow)
    assert (refused.value.field, refused.value.code) == ("vehicle_no", "304")
    assert repo.rows["shp-1"] == before


async def test_gate_opens_only_after_invoice_and_ewaybill(repo: FakeShipments, sent: Sent) -> None:
    await released(repo, sent)
    await pick_all(repo, sent)
    await use_cases.capture_dispatch_details(repo, sent, "shp-1", DETAILS, NOW, allow)
    with pytest.raises(GateClosed, match="no tax invoice"):
        await use_cases.gate_out(repo, sent, "shp-1", "guard", NOW, allow)
    await use_cases.record_invoice(repo, b.invoice("ord-1", "shp-1", {1: 100, 2: 480}))
    with pytest.raises(GateClosed, match="e-way bill"):
        await use_cases.gate_out(repo, sent, "shp-1", "guard", NOW, allow)
    await use_cases.record_ewaybill_rejected(repo, b.ewaybill_rejected("ord-1", "shp-1"))
    with pytest.raises(GateClosed, match="rejected it: 238"):
        await use_cases.gate_out(repo, sent, "shp-1", "guard", NOW, allow)
    await use_cases.record_ewaybill(repo, b.ewaybill("ord-1", "shp-1"))
    record = await use_cases.gate_out(repo, sent, "shp-1", "guard", NOW, allow)
    assert record.shipment.status is ShipmentStatus.DISPATCHED
    await use_cases.gate_out(repo, sent, "shp-1", "guard", NOW, allow)  # a repeat: nothing more
    [dispatched] = sent.of(v1.ShipmentDispatched)
    assert dispatched.invoice_id == "inv-1" and dispatched.ewaybill_no is not None
    assert {line.line_no: line.quantity.value for line in dispatched.lines} == {1: Decimal(100), 2: Decimal(480)}


async def test_invoice_quantities_must_equal_picked(repo: FakeShipments, sent: Sent) -> None:
    await released(repo, sent)
    await pick_all(repo, sent, short_soap=10)
    await use_cases.capture_dispatch_details(repo, sent, "shp-1", DETAILS, NOW, allow)
    with pytest.raises(InvalidValue, match="differ from picked"):
        await use_cases.record_invoice(repo, b.invoice("ord-1", "shp-1", {1: 100, 2: 480}))
    await use_cases.record_invoice(repo, b.invoice("ord-1", "shp-1", {1: 100, 2: 470}))


async def test_not_required_verdict_opens_the_gate_without_an_ewaybill(repo: FakeShipments, sent: Sent) -> None:
    await released(repo, sent)
    await pick_all(repo, sent)
    await use_cases.capture_dispatch_details(repo, sent, "shp-1", DETAILS, NOW, allow)
    await use_cases.record_ewaybill_not_required(repo, b.ewaybill_not_required("ord-1", "shp-1"))  # read first
    await use_cases.record_invoice(repo, b.invoice("ord-1", "shp-1", {1: 100, 2: 480}))
    await use_cases.gate_out(repo, sent, "shp-1", "guard", NOW, allow)
    [dispatched] = sent.of(v1.ShipmentDispatched)
    assert dispatched.ewaybill_no is None


async def test_documents_for_an_unknown_shipment_are_refused(repo: FakeShipments) -> None:
    with pytest.raises(UnknownShipment):
        await use_cases.record_invoice(repo, b.invoice("ord-1", "shp-x", {1: 100}))


async def test_vehicle_change_only_after_gate_out(repo: FakeShipments, sent: Sent) -> None:
    await released(repo, sent)
    await pick_all(repo, sent)
    await use_cases.capture_dispatch_details(repo, sent, "shp-1", DETAILS, NOW, allow)
    other = use_cases.DetailsInput(distance_km=200, vehicle_no="KA01AB1234", driver_name="Suresh",
                                   driver_phone="9845012346", mode=TransportMode.ROAD)

    async def change() -> ShipmentRecord:
        return await use_cases.change_vehicle(repo, sent, "shp-1", other, VehicleChangeReason.BREAKDOWN, "Hubballi",
                                              "29", "axle broke", NOW, allow)

    with pytest.raises(ConflictingState):
        await change()
    await use_cases.record_invoice(repo, b.invoice("ord-1", "shp-1", {1: 100, 2: 480}))
    await use_cases.record_ewaybill(repo, b.ewaybill("ord-1", "shp-1"))
    await use_cases.gate_out(repo, sent, "shp-1", "guard", NOW, allow)
    await change()
    [changed] = sent.of(v1.VehicleChanged)
    assert (changed.previous_vehicle_no, changed.transport.vehicle_no) == ("MH12AB1234", "KA01AB1234")
    assert changed.reason is v1.VehicleChangeReason.BREAKDOWN and changed.ewaybill_no is not None


async def test_cancel_before_gate_out_restocks_what_was_picked(repo: FakeShipments, sent: Sent) -> None:
    await released(repo, sent)
    await use_cases.confirm_pick(repo, sent, "pl-shp-1", 1, use_cases.PickInput(Decimal(40), "A-2-3"), "p1", NOW,
                                 allow)
    await use_cases.cancel_pick_lists(repo, sent, b.cancel("ord-1", "shp-1"), NOW)
    [cancelled] = sent.of(v1.PickListCancelled)
    assert cancelled.request_id == "req-1"
    assert [(r.line_no, r.bin_code, r.batch_no, r.quantity.value) for r in cancelled.restocked] == [
        (1, "A-2-3", "TEA-2603-B6", Decimal(40))]
    record = await repo.get("shp-1")
    assert record is not None and record.shipment.status is ShipmentStatus.CANCELLED
    await use_cases.cancel_pick_lists(repo, sent, b.cancel("ord-1", "shp-1"), NOW)  # re-sent: same answer
    assert len(sent.of(v1.PickListCancelled)) == 2 and sent.of(v1.PickListCancelled)[1].restocked == cancelled.restocked


async def test_cancel_after_gate_out_is_refused(repo: FakeShipments, sent: Sent) -> None:
    await released(repo, sent)
    await pick_all(repo, sent)
    await use_cases.capture_dispatch_details(repo, sent, "shp-1", DETAILS, NOW, allow)
    await use_cases.record_invoice(repo, b.invoice("ord-1", "shp-1", {1: 100, 2: 480}))
    await use_cases.record_ewaybill(repo, b.ewaybill("ord-1", "shp-1"))
    await use_cases.gate_out(repo, sent, "shp-1", "guard", NOW, allow)
    await use_cases.cancel_pick_lists(repo, sent, b.cancel("ord-1"), NOW)  # empty: every shipment of the order
    [refused] = sent.of(v1.PickListCancellationRefused)
    assert (refused.shipment_id, refused.request_id) == ("shp-1", "req-1")
    assert not sent.of(v1.PickListCancelled)


async def test_cancel_before_the_release_is_read_means_the_release_issues_nothing(
    repo: FakeShipments, sent: Sent
) -> None:
    await use_cases.cancel_pick_lists(repo, sent, b.cancel("ord-1", "shp-1"), NOW)
    assert sent.of(v1.PickListCancelled)[0].restocked == []
    assert await use_cases.issue_pick_lists(repo, sent, b.release(), NOW) == []
    assert not sent.of(v1.PickListIssued)


async def test_queues(repo: FakeShipments, sent: Sent) -> None:
    await released(repo, sent)
    await released(repo, sent, "ord-2", "shp-2")
    await pick_all(repo, sent)
    await use_cases.capture_dispatch_details(repo, sent, "shp-1", DETAILS, NOW, allow)
    await use_cases.capture_dispatch_details(repo, sent, "shp-2", DETAILS, NOW, allow)
    queues = {r.shipment_id: r.queue for r in await repo.search()}
    assert queues == {"shp-1": Queue.WAITING_FOR_DOCUMENTS, "shp-2": Queue.PICKING}
    await use_cases.record_invoice(repo, b.invoice("ord-1", "shp-1", {1: 100, 2: 480}))
    await use_cases.record_ewaybill(repo, b.ewaybill("ord-1", "shp-1"))
    assert [r.shipment_id for r in await repo.search(queues=["ready_for_gate"])] == ["shp-1"]


async def test_a_shipment_with_nothing_picked_closes_itself(repo: FakeShipments, sent: Sent) -> None:
    await released(repo, sent)
    await use_cases.capture_dispatch_details(repo, sent, "shp-1", DETAILS, NOW, allow)
    for line_no in (1, 2, 3):
        await use_cases.confirm_pick(repo, sent, "pl-shp-1", line_no,
                                     use_cases.PickInput(Decimal(0), short_reason=ShortReason.BIN_SHORT), "p1", NOW,
                                     allow)
    assert [c.short.value for c in sent.of(v1.PickConfirmed)] == [Decimal(40), Decimal(480), Decimal(60)]
    [closed] = sent.of(v1.PickListCancelled)
    assert closed.request_id is None and closed.restocked == []
    assert not sent.of(v1.ShipmentReady)
    record = await repo.get("shp-1")
    assert record is not None and record.queue is Queue.CANCELLED


async def test_trip_details_entered_once_apply_to_every_shipment(repo: FakeShipments, sent: Sent) -> None:
    await released(repo, sent)
    await released(repo, sent, "ord-2", "shp-2")
    await pick_all(repo, sent)
    trip, _ = await use_cases.load_trip(repo, sent, b.WAREHOUSE, DETAILS, [("shp-1", 350), ("shp-2", 120)],
                                        "sup", NOW, allow, idempotency_key="k-1")
    assert trip.trip.shipment_ids == ["shp-1", "shp-2"]
    [ready] = sent.of(v1.ShipmentReady)  # shp-2 is still being picked
    assert (ready.shipment_id, ready.transport.vehicle_no, ready.transport.distance_km) == ("shp-1", "MH12AB1234", 350)
    shp2 = await repo.get("shp-2")
    assert shp2 is not None and shp2.shipment.details is not None and shp2.shipment.details.distance_km == 120
    again, _ = await use_cases.load_trip(repo, sent, b.WAREHOUSE, DETAILS, [("shp-1", 350)], "sup", NOW, allow,
                                         idempotency_key="k-1")
    assert again.trip.trip_id == trip.trip.trip_id and len(repo.trips) == 1


async def test_trip_is_all_or_nothing(repo: FakeShipments, sent: Sent) -> None:
    await released(repo, sent)
    await released(repo, sent, "ord-2", "shp-2", )
    await use_cases.capture_dispatch_details(repo, sent, "shp-2", DETAILS, NOW, allow)
    other = use_cases.DetailsInput(distance_km=0, vehicle_no="KA01AB1234", driver_name="S", driver_phone="9845012346")
    with pytest.raises(ConflictingState):
        await use_cases.load_trip(repo, sent, b.WAREHOUSE, other, [("shp-1", 10), ("shp-2", 10)], "sup", NOW, allow)
    # the fake has no transaction: the HTTP unit of work rolls back; here only the trip is checked
    assert repo.trips == []
    with pytest.raises(InvalidValue, match="listed twice"):
        await use_cases.load_trip(repo, sent, b.WAREHOUSE, other, [("shp-1", 10), ("shp-1", 10)], "sup", NOW, allow)


def estimate_300(from_pincode: str, to_pincode: str) -> int | None:
    return 300


async def test_distance_defaults_to_the_pincode_estimate_and_may_exceed_it_by_10_percent_only(
    repo: FakeShipments, sent: Sent
) -> None:
    await use_cases.issue_pick_lists(repo, sent, b.release(), NOW, estimate_300)
    with pytest.raises(InvalidValue) as refused:
        await use_cases.capture_dispatch_details(repo, sent, "shp-1", replace(DETAILS, distance_km=331), NOW, allow)
    assert refused.value.field == "distance_km"
    record = await use_cases.capture_dispatch_details(repo, sent, "shp-1", replace(DETAILS, distance_km=None), NOW,
                                                      allow)
    assert record.shipment.details is not None and record.shipment.details.distance_km == 300


async def test_without_an_estimate_the_distance_must_be_declared(repo: FakeShipments, sent: Sent) -> None:
    await released(repo, sent)
    with pytest.raises(InvalidValue, match="declare the distance"):
        await use_cases.capture_dispatch_details(repo, sent, "shp-1", replace(DETAILS, distance_km=None), NOW, allow)


def test_pincode_distance_estimate() -> None:
    from o2c.dispatch.adapters.distance import pincode_distance

    pune_mumbai = pincode_distance("411001", "400001")
    assert pune_mumbai is not None and 130 <= pune_mumbai <= 200  # road: ~150 km
    assert pincode_distance("411001", "411001") is None


async def test_documents_for_a_cancelled_shipment_change_nothing(repo: FakeShipments, sent: Sent) -> None:
    await released(repo, sent)
    await pick_all(repo, sent)
    await use_cases.capture_dispatch_details(repo, sent, "shp-1", DETAILS, NOW, allow)
    await use_cases.cancel_pick_lists(repo, sent, b.cancel("ord-1", "shp-1"), NOW)
    assert await use_cases.record_invoice(repo, b.invoice("ord-1", "shp-1", {1: 100, 2: 480})) is None
    assert await use_cases.record_ewaybill(repo, b.ewaybill("ord-1", "shp-1")) is None
    record = await repo.get("shp-1")
    assert record is not None and record.shipment.status is ShipmentStatus.CANCELLED
    assert record.shipment.invoice is None


async def _invoiced_with_ewaybill(repo: FakeShipments, sent: Sent, issued: Any) -> None:
    await released(repo, sent)
    await pick_all(repo, sent)
    await use_cases.capture_dispatch_details(repo, sent, "shp-1", DETAILS, NOW, allow)
    await use_cases.record_invoice(repo, issued)
    await use_cases.record_ewaybill(repo, b.ewaybill("ord-1", "shp-1"))


async def test_rejected_irn_blocks_the_gate_with_the_reason_until_irn_registered(
    repo: FakeShipments, sent: Sent
) -> None:
    from o2c.dispatch.entrypoints.views import shipment_view

    await _invoiced_with_ewaybill(repo, sent, b.irn_pending(b.invoice("ord-1", "shp-1", {1: 100, 2: 480})))
    # IrnRejected names the order and the invoice, not the shipment: found by the recorded invoice id
    record = await use_cases.record_irn_rejected(repo, b.irn_rejected("ord-1", "inv-1"))
    assert record is not None and record.shipment_id == "shp-1"
    stored = await repo.get("shp-1")
    assert stored is not None
    view = shipment_view(stored)
    assert view["irn_rejection"] == "IRN rejected: 2172 Buyer GSTIN is invalid"
    assert view["queue"] == "waiting_for_documents" and view["waiting_for"] == ["irn"]
    with pytest.raises(GateClosed, match="IRN rejected: 2172 Buyer GSTIN is invalid"):
        await use_cases.gate_out(repo, sent, "shp-1", "guard", NOW, allow)
    assert not sent.of(v1.ShipmentDispatched)

    await use_cases.record_irn_registered(repo, b.irn_registered("ord-1", "inv-1"))  # corrected and retried
    stored = await repo.get("shp-1")
    assert stored is not None and shipment_view(stored)["irn_rejection"] is None
    assert stored.queue is Queue.READY_FOR_GATE
    record = await use_cases.gate_out(repo, sent, "shp-1", "guard", NOW, allow)
    assert record.shipment.status is ShipmentStatus.DISPATCHED


async def test_irn_rejection_never_blocks_a_b2c_invoice(repo: FakeShipments, sent: Sent) -> None:
    await _invoiced_with_ewaybill(repo, sent, b.b2c(b.invoice("ord-1", "shp-1", {1: 100, 2: 480})))
    await use_cases.record_irn_rejected(repo, b.irn_rejected("ord-1", "inv-1"))
    record = await use_cases.gate_out(repo, sent, "shp-1", "guard", NOW, allow)
    assert record.shipment.status is ShipmentStatus.DISPATCHED and record.shipment.irn_rejection is None


async def test_irn_outcome_of_an_invoice_not_recorded_here_is_ignored(repo: FakeShipments, sent: Sent) -> None:
    await _invoiced_with_ewaybill(repo, sent, b.irn_pending(b.invoice("ord-1", "shp-1", {1: 100, 2: 480})))
    assert await use_cases.record_irn_rejected(repo, b.irn_rejected("ord-1", "inv-unknown")) is None
    assert await use_cases.record_irn_rejected(repo, b.irn_rejected("ord-unknown", "inv-1")) is None
    stored = await repo.get("shp-1")
    assert stored is not None and stored.shipment.irn_rejection is None  # still pending, not rejected
    await use_cases.record_irn_registered(repo, b.irn_registered("ord-1", "inv-1"))
    record = await use_cases.gate_out(repo, sent, "shp-1", "guard", NOW, allow)
    assert record.shipment.status is ShipmentStatus.DISPATCHED


async def test_pending_irn_keeps_the_gate_closed_and_waiting_for_names_it(repo: FakeShipments, sent: Sent) -> None:
    from o2c.dispatch.entrypoints.views import shipment_view

    await _invoiced_with_ewaybill(repo, sent, b.irn_pending(b.invoice("ord-1", "shp-1", {1: 100, 2: 480})))
    stored = await repo.get("shp-1")
    assert stored is not None
    view = shipment_view(stored)
    assert view["queue"] == "waiting_for_documents" and view["waiting_for"] == ["irn"]
    assert view["invoice"]["irn_status"] == "pending"
    with pytest.raises(GateClosed, match="not registered yet"):
        await use_cases.gate_out(repo, sent, "shp-1", "guard", NOW, allow)
    assert not sent.of(v1.ShipmentDispatched)


# --- a whole pick list in one request (issue 15) ----------------------------------------------------------------

WHOLE = {1: use_cases.PickInput(Decimal(40), "A-2-3"),
         2: use_cases.PickInput(Decimal(470), "A-10-1", short_reason=ShortReason.BIN_SHORT),
         3: use_cases.PickInput(Decimal(60), "B-10-1")}


async def test_a_whole_pick_list_is_one_message_telling_what_each_line_would(repo: FakeShipments, sent: Sent) -> None:
    await released(repo, sent)
    await use_cases.capture_dispatch_details(repo, sent, "shp-1", DETAILS, NOW, allow)
    await use_cases.confirm_pick_list(repo, sent, "pl-shp-1", WHOLE, "p1", NOW, allow)
    [whole] = sent.of(v1.PickListConfirmed)
    assert not sent.of(v1.PickConfirmed)
    one_by_one_repo, one_by_one = FakeShipments(), Sent()
    await released(one_by_one_repo, one_by_one)
    await pick_all(one_by_one_repo, one_by_one, short_soap=10)
    assert whole.per_line() == one_by_one.of(v1.PickConfirmed)
    [ready] = sent.of(v1.ShipmentReady)
    assert {line.line_no: line.quantity.value for line in ready.lines} == {1: Decimal(100), 2: Decimal(470)}


async def test_a_whole_pick_list_needs_every_open_line_and_repeats_none(repo: FakeShipments, sent: Sent) -> None:
    await released(repo, sent)
    with pytest.raises(InvalidValue, match="missing line"):
        await use_cases.confirm_pick_list(repo, sent, "pl-shp-1", {1: WHOLE[1], 3: WHOLE[3]}, "p1", NOW, allow)
    assert not sent.of(v1.PickListConfirmed)
    record = await repo.get("shp-1")
    assert record is not None and all(line.confirmation is None for line in record.shipment.pick_list.lines)
    await use_cases.confirm_pick(repo, sent, "pl-shp-1", 1, WHOLE[1], "p1", NOW, allow)
    await use_cases.confirm_pick_list(repo, sent, "pl-shp-1", WHOLE, "p1", NOW, allow)  # line 1 again: no change
    [whole] = sent.of(v1.PickListConfirmed)
    assert [(line.line_no, line.picked.value) for line in whole.lines] == [(2, Decimal(470)), (1, Decimal(60))]
    await use_cases.confirm_pick_list(repo, sent, "pl-shp-1", WHOLE, "p1", NOW, allow)  # all confirmed: nothing
    assert len(sent.of(v1.PickListConfirmed)) == 1 and len(sent.of(v1.PickConfirmed)) == 1
