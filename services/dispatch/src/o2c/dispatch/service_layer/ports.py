"""What dispatch's use cases need from the outside: one unit of work holding the repositories of one transaction,
and the messages the work causes (written to the outbox with the transaction's changes).

The SQL implementation is `o2c.dispatch.adapters.unit_of_work.SqlUnitOfWork` (wired in `o2c.dispatch.bootstrap`);
the use cases' unit tests run on an in-memory one (`o2c.testsupport.dispatch.in_memory`). Locking is part of the
contract: what a `for_update` read returns stays locked until the transaction ends, and a shipment is saved only
when the use case changed it (one UPDATE of its row, guarded by the version it was read at)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import Protocol

from o2c.contracts.envelope import Message
from o2c.dispatch.service_layer.records import ShipmentRecord, TripRecord

Authorise = Callable[[str], None]
"""Called with the shipment's warehouse before anything changes; raises to refuse."""


class Shipments(Protocol):
    """Shipment aggregates (with the release facts they were born from), one row each."""

    async def get(self, shipment_id: str, *, for_update: bool = False) -> ShipmentRecord | None: ...

    async def get_by_pick_list(self, pick_list_id: str, *, for_update: bool = False) -> ShipmentRecord | None: ...

    async def of_order(self, order_id: str, *, for_update: bool = False) -> list[ShipmentRecord]:
        """Ordered by shipment id."""
        ...

    async def add(self, record: ShipmentRecord) -> bool:
        """Insert; False (nothing written) when the shipment is already there."""
        ...

    async def save(self, record: ShipmentRecord) -> None:
        """Write the changed shipment back; refused when it changed since it was read (`version`)."""
        ...

    async def search(self, *, warehouses: Collection[str] | None = None, statuses: Collection[str] = (),
                     queues: Collection[str] = (), pick_statuses: Collection[str] = (), limit: int = 200
                     ) -> list[ShipmentRecord]:
        """Oldest first; `warehouses` None: every warehouse."""
        ...


class UnreleasedCancellations(Protocol):
    """Shipments cancelled before their release was read: the late release issues nothing for them."""

    async def add(self, shipment_id: str, order_id: str, request_id: str, at: datetime) -> None:
        """Noted once; noting it again changes nothing."""
        ...

    async def includes(self, shipment_id: str) -> bool: ...


class Trips(Protocol):
    async def add(self, record: TripRecord) -> None: ...

    async def get(self, trip_id: str) -> TripRecord | None: ...


class DocumentNumbers(Protocol):
    """One sequence for shipment, pick-list and trip numbers (SHP-000042, PL-000042, TRIP-000043)."""

    async def next(self) -> int: ...


class RoadDistances(Protocol):
    """Pincode-to-pincode road distance estimates (read-only, outside any transaction)."""

    def estimate(self, from_pincode: str, to_pincode: str) -> int | None:
        """In km; None when unknown (the supervisor then declares the distance)."""
        ...


class UnitOfWork:
    """One transaction's repositories and the messages it causes. The caller owns the transaction: it commits
    the changes together with `messages` (the outbox) or rolls both back."""

    def __init__(self, *, shipments: Shipments, cancellations: UnreleasedCancellations, trips: Trips,
                 numbers: DocumentNumbers, distances: RoadDistances) -> None:
        self.shipments = shipments
        self.cancellations = cancellations
        self.trips = trips
        self.numbers = numbers
        self.distances = distances
        self.messages: list[Message] = []

    def publish(self, message: Message) -> None:
        """Send `message` when (and only if) the transaction commits, after those published before it."""
        self.messages.append(message)
