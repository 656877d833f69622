"""An in-memory dispatch for the use cases' unit tests (`from o2c.testsupport.dispatch.in_memory import ...`):
every repository port kept in dicts, a unit of work per transaction sharing them (what one commits the next one
reads), and the messages every committed unit of work published, in order.

Shipments go through the same JSON round trip as in PostgreSQL and are handed out as copies: a use case that
changes a shipment and never saves it changes nothing. A transaction that raises is rolled back: its writes
are undone and its messages never sent, as the SQL unit of work's transaction would."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import AsyncIterator, Collection
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from o2c.contracts.envelope import Message
from o2c.dispatch.adapters.repository import SHIPMENT
from o2c.dispatch.domain import ShortReason
from o2c.dispatch.service_layer import use_cases
from o2c.dispatch.service_layer.ports import (
    DocumentNumbers,
    RoadDistances,
    Shipments,
    Trips,
    UnitOfWork,
    UnreleasedCancellations,
)
from o2c.dispatch.service_layer.records import ReleaseFacts, ShipmentRecord, TripRecord
from o2c.testsupport.dispatch import dispatch_builders as b

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
M = TypeVar("M", bound=Message)

DETAILS = use_cases.DetailsInput(distance_km=350, vehicle_no="mh 12 ab 1234", driver_name="Ramesh Patil",
                                 driver_phone="+91 98450 12345", transporter_id="29AABCR1718E1ZL",
                                 transporter_name="Reliable Roadways", lr_no="LR/2026/0042", lr_date=NOW.date())


def allow(_: str) -> None:
    """Every warehouse is in the caller's scope."""


def deny(warehouse: str) -> None:
    raise PermissionError(warehouse)


class InMemoryShipments(Shipments):
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.writes = 0  # rows inserted or updated: a repeat must write none

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
        for row in self.rows.values():
            if row["state"]["pick_list"]["pick_list_id"] == pick_list_id:
                return self._load(row)
        return None

    async def of_order(self, order_id: str, *, for_update: bool = False) -> list[ShipmentRecord]:
        return [self._load(row) for _, row in sorted(self.rows.items()) if row["state"]["order_id"] == order_id]

    async def add(self, record: ShipmentRecord) -> bool:
        if record.shipment_id in self.rows:
            return False
        record.version = 1
        self.rows[record.shipment_id] = self._dump(record)
        self.writes += 1
        return True

    async def save(self, record: ShipmentRecord) -> None:
        if self.rows[record.shipment_id]["version"] != record.version:
            raise RuntimeError(f"shipment {record.shipment_id} changed concurrently (version {record.version})")
        record.version += 1
        self.rows[record.shipment_id] = self._dump(record)
        self.writes += 1

    async def search(self, *, warehouses: Collection[str] | None = None, statuses: Collection[str] = (),
                     queues: Collection[str] = (), pick_statuses: Collection[str] = (), limit: int = 200
                     ) -> list[ShipmentRecord]:
        records = [self._load(row) for row in self.rows.values()]  # insertion order: oldest first
        return [r for r in records
                if (warehouses is None or r.warehouse_id in warehouses)
                and (not statuses or r.shipment.status.value in statuses)
                and (not queues or r.queue.value in queues)
                and (not pick_statuses or r.pick_list_status.value in pick_statuses)][:limit]


class InMemoryUnreleasedCancellations(UnreleasedCancellations):
    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, str, datetime]] = {}

    async def add(self, shipment_id: str, order_id: str, request_id: str, at: datetime) -> None:
        self.rows.setdefault(shipment_id, (order_id, request_id, at))

    async def includes(self, shipment_id: str) -> bool:
        return shipment_id in self.rows


class InMemoryTrips(Trips):
    def __init__(self) -> None:
        self.rows: dict[str, TripRecord] = {}

    async def add(self, record: TripRecord) -> None:
        assert record.trip.trip_id not in self.rows, "primary key"
        self.rows[record.trip.trip_id] = copy.deepcopy(record)

    async def get(self, trip_id: str) -> TripRecord | None:
        found = self.rows.get(trip_id)
        return copy.deepcopy(found) if found else None


class InMemoryDocumentNumbers(DocumentNumbers):
    def __init__(self) -> None:
        self.last = 0

    async def next(self) -> int:
        # A sequence: a number taken in a transaction that rolls back is not given again.
        self.last += 1
        return self.last


class FixedDistances(RoadDistances):
    """Known road distances between pincodes (either direction); every other pair is unknown."""

    def __init__(self, known: dict[tuple[str, str], int] | None = None) -> None:
        self.known = dict(known or {})

    def estimate(self, from_pincode: str, to_pincode: str) -> int | None:
        return self.known.get((from_pincode, to_pincode), self.known.get((to_pincode, from_pincode)))


class InMemoryDispatch:
    """The stores every unit of work shares, what the committed ones published, and builders for the tests."""

    def __init__(self, distances: RoadDistances | None = None) -> None:
        self.shipments = InMemoryShipments()
        self.cancellations = InMemoryUnreleasedCancellations()
        self.trips = InMemoryTrips()
        self.numbers = InMemoryDocumentNumbers()
        self.distances = distances or FixedDistances()
        self.sent: list[Message] = []

    def uow(self) -> UnitOfWork:
        return UnitOfWork(shipments=self.shipments, cancellations=self.cancellations, trips=self.trips,
                          numbers=self.numbers, distances=self.distances)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work whose messages are sent when the block ends; when it raises, its writes are undone
        and nothing is sent."""
        stored = (copy.deepcopy(self.shipments.rows), dict(self.cancellations.rows), dict(self.trips.rows))
        uow = self.uow()
        try:
            yield uow
        except BaseException:
            self.shipments.rows, self.cancellations.rows, self.trips.rows = stored
            raise
        self.sent += uow.messages

    async def run(self, use_case: Any, *args: Any, **kwargs: Any) -> Any:
        """One use case in a transaction of its own; what it returned."""
        async with self.transaction() as uow:
            return await use_case(uow, *args, **kwargs)

    def published(self, kind: type[M]) -> list[M]:
        return [m for m in self.sent if isinstance(m, kind)]

    async def shipment(self, shipment_id: str = "shp-1") -> ShipmentRecord:
        record = await self.shipments.get(shipment_id)
        assert record is not None, shipment_id
        return record

    # --- builders (the release of `dispatch_builders`: pick lines A-2-3 tea 40, A-10-1 soap 480, B-10-1 tea 60)

    async def released(self, order_id: str = "ord-1", shipment_id: str = "shp-1") -> ShipmentRecord:
        records = await self.run(use_cases.issue_pick_lists, b.release(order_id, shipment_id), NOW)
        assert len(records) == 1
        record: ShipmentRecord = records[0]
        return record

    async def pick_all(self, pick_list_id: str = "pl-shp-1", *, short_soap: int = 0) -> None:
        """Line by line, the soap maybe short (bin_short)."""
        soap = use_cases.PickInput(Decimal(480 - short_soap), "A-10-1",
                                   short_reason=ShortReason.BIN_SHORT if short_soap else None)
        for line_no, pick in ((1, use_cases.PickInput(Decimal(40), "A-2-3")), (2, soap),
                              (3, use_cases.PickInput(Decimal(60), "B-10-1"))):
            await self.run(use_cases.confirm_pick, pick_list_id, line_no, pick, "p1", NOW, allow)

    async def ready_for_documents(self, order_id: str = "ord-1", shipment_id: str = "shp-1") -> None:
        """Released, picked in full, vehicle captured: waiting for its invoice and e-way bill."""
        await self.released(order_id, shipment_id)
        await self.pick_all(f"pl-{shipment_id}")
        await self.run(use_cases.capture_dispatch_details, shipment_id, DETAILS, NOW, allow)

    async def on_gate_list(self) -> None:
        """shp-1 invoiced (inv-1) and with its e-way bill: on the ready-for-gate list."""
        await self.ready_for_documents()
        await self.run(use_cases.record_invoice, b.invoice("ord-1", "shp-1", {1: 100, 2: 480}), NOW)
        await self.run(use_cases.record_ewaybill, b.ewaybill("ord-1", "shp-1"), NOW)
