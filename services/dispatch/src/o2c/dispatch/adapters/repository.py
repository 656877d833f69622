"""Dispatch's repositories on PostgreSQL (the ports of `o2c.dispatch.service_layer.ports`), inside the caller's
session and transaction. SQLAlchemy Core on the SQLModel tables: a shipment is one SELECT (locked when asked) and,
when the use case changed it, one UPDATE guarded by its version; no ORM identity map or change tracking."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from o2c.dispatch.adapters.db import cancelled_unreleased, document_seq, shipment, trip
from o2c.dispatch.domain import DispatchDetails, Shipment, Trip
from o2c.dispatch.service_layer.ports import DocumentNumbers, Shipments, Trips, UnreleasedCancellations
from o2c.dispatch.service_layer.records import ReleaseFacts, ShipmentRecord, TripRecord
from pydantic import TypeAdapter
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

SHIPMENT = TypeAdapter(Shipment)
DETAILS = TypeAdapter(DispatchDetails)


def _row(record: ShipmentRecord) -> dict[str, Any]:
    return {
        "shipment_id": record.shipment_id, "shipment_no": record.shipment_no,
        "pick_list_id": record.pick_list_id, "pick_list_no": record.pick_list_no, "order_id": record.order_id,
        "warehouse_id": record.warehouse_id, "status": record.shipment.status.value, "queue": record.queue.value,
        "pick_list_status": record.pick_list_status.value, "release": record.release.model_dump(mode="json"),
        "state": SHIPMENT.dump_python(record.shipment, mode="json"),
    }


def _record(row: Any) -> ShipmentRecord:
    return ShipmentRecord(
        shipment=SHIPMENT.validate_python(row.state), release=ReleaseFacts.model_validate(row.release),
        shipment_no=row.shipment_no, pick_list_no=row.pick_list_no, version=row.version,
    )


class SqlShipments(Shipments):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _one(self, where: Any, for_update: bool) -> ShipmentRecord | None:
        query = sa.select(shipment).where(where)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return _record(row) if row else None

    async def get(self, shipment_id: str, *, for_update: bool = False) -> ShipmentRecord | None:
        return await self._one(shipment.c.shipment_id == shipment_id, for_update)

    async def get_by_pick_list(self, pick_list_id: str, *, for_update: bool = False) -> ShipmentRecord | None:
        return await self._one(shipment.c.pick_list_id == pick_list_id, for_update)

    async def of_order(self, order_id: str, *, for_update: bool = False) -> list[ShipmentRecord]:
        query = sa.select(shipment).where(shipment.c.order_id == order_id).order_by(shipment.c.shipment_id)
        if for_update:
            query = query.with_for_update()
        return [_record(r) for r in await self.session.execute(query)]

    async def add(self, record: ShipmentRecord) -> bool:
        result = await self.session.execute(
            insert(shipment).values(**_row(record)).on_conflict_do_nothing(index_elements=["shipment_id"])
            .returning(shipment.c.version)
        )
        version = result.scalar()
        if version is None:
            return False
        record.version = version
        return True

    async def save(self, record: ShipmentRecord) -> None:
        values = _row(record)
        del values["shipment_id"]
        result = await self.session.execute(
            sa.update(shipment)
            .where(shipment.c.shipment_id == record.shipment_id, shipment.c.version == record.version)
            .values(**values, version=shipment.c.version + 1, updated_at=sa.func.now())
            .returning(shipment.c.version)
        )
        version = result.scalar()
        if version is None:
            raise RuntimeError(f"shipment {record.shipment_id} changed concurrently (version {record.version})")
        record.version = version

    async def search(self, *, warehouses: Collection[str] | None = None, statuses: Collection[str] = (),
                     queues: Collection[str] = (), pick_statuses: Collection[str] = (), limit: int = 200,
                     visible: Callable[[Any], sa.ColumnElement[bool]] | None = None) -> list[ShipmentRecord]:
        """`visible`: the caller's customer scope, a condition on the customer id (kept in the release facts)."""
        query = sa.select(shipment).order_by(shipment.c.created_at, shipment.c.shipment_id).limit(limit)
        if visible is not None:
            query = query.where(visible(shipment.c.release["customer_id"].astext))
        if warehouses is not None:
            query = query.where(shipment.c.warehouse_id.in_(list(warehouses)))
        if statuses:
            query = query.where(shipment.c.status.in_(list(statuses)))
        if queues:
            query = query.where(shipment.c.queue.in_(list(queues)))
        if pick_statuses:
            query = query.where(shipment.c.pick_list_status.in_(list(pick_statuses)))
        return [_record(r) for r in await self.session.execute(query)]



class SqlUnreleasedCancellations(UnreleasedCancellations):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, shipment_id: str, order_id: str, request_id: str, at: datetime) -> None:
        await self.session.execute(
            insert(cancelled_unreleased).values(shipment_id=shipment_id, order_id=order_id, request_id=request_id,
                                                cancelled_at=at).on_conflict_do_nothing()
        )

    async def includes(self, shipment_id: str) -> bool:
        found = await self.session.execute(
            sa.select(cancelled_unreleased.c.shipment_id).where(cancelled_unreleased.c.shipment_id == shipment_id)
        )
        return found.first() is not None


class SqlTrips(Trips):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, record: TripRecord) -> None:
        # The table's idempotency_key column stays empty: a repeated POST /trips is answered by the kit's
        # idempotent_request table.
        await self.session.execute(trip.insert().values(
            trip_id=record.trip.trip_id, trip_no=record.trip_no, warehouse_id=record.trip.warehouse_code,
            details=DETAILS.dump_python(record.trip.details, mode="json"), shipment_ids=record.trip.shipment_ids,
            created_by=record.created_by,
        ))

    async def get(self, trip_id: str) -> TripRecord | None:
        row = (await self.session.execute(sa.select(trip).where(trip.c.trip_id == trip_id))).first()
        if row is None:
            return None
        return TripRecord(Trip(row.trip_id, row.warehouse_id, DETAILS.validate_python(row.details),
                               list(row.shipment_ids)), row.trip_no, row.created_by)


class SqlDocumentNumbers(DocumentNumbers):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next(self) -> int:
        return int((await self.session.execute(sa.select(document_seq.next_value()))).scalar_one())
