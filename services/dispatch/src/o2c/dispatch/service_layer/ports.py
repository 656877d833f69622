"""What the use cases need from the outside: a shipment store (inside the caller's transaction) and a way
to publish the messages a change causes (the outbox, same transaction)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from datetime import datetime
from typing import Any, Protocol

from o2c.contracts.envelope import Message
from o2c.dispatch.service_layer.records import ShipmentRecord, TripRecord

Publish = Callable[[Message], Awaitable[Any]]
DistanceEstimate = Callable[[str, str], int | None]
"""Road-distance estimate in km between two pincodes, None when unknown."""
Authorise = Callable[[str], None]
"""Called with the shipment's warehouse before anything changes; raises to refuse."""


class ShipmentRepository(Protocol):
    async def get(self, shipment_id: str, *, for_update: bool = False) -> ShipmentRecord | None: ...

    async def get_by_pick_list(self, pick_list_id: str, *, for_update: bool = False) -> ShipmentRecord | None: ...

    async def of_order(self, order_id: str, *, for_update: bool = False) -> list[ShipmentRecord]: ...

    async def add(self, record: ShipmentRecord) -> bool:
        """Insert; False (nothing written) when the shipment is already there."""
        ...

    async def save(self, record: ShipmentRecord) -> None: ...

    async def next_number(self) -> int: ...

    async def search(self, *, warehouses: Collection[str] | None = None, statuses: Collection[str] = (),
                     queues: Collection[str] = (), pick_statuses: Collection[str] = (), limit: int = 200
                     ) -> list[ShipmentRecord]: ...

    async def tombstone(self, shipment_id: str, order_id: str, request_id: str, at: datetime) -> None:
        """Remember a shipment cancelled before its release was read, so a late release issues nothing."""
        ...

    async def is_tombstoned(self, shipment_id: str) -> bool: ...

    async def add_trip(self, record: TripRecord) -> None: ...

    async def get_trip(self, trip_id: str | None = None, *, idempotency_key: str | None = None
                       ) -> TripRecord | None: ...
