"""The unit of work on one SQLAlchemy session: dispatch's SQL repositories sharing its transaction. The caller
(the consumer's batch, an HTTP request, the gate sweep: see `o2c.dispatch.bootstrap`) owns the transaction and
writes `messages` to the outbox before it commits."""

from __future__ import annotations

from o2c.dispatch.adapters.distance import IndiaPostDistances
from o2c.dispatch.adapters.repository import (
    SqlDocumentNumbers,
    SqlShipments,
    SqlTrips,
    SqlUnreleasedCancellations,
)
from o2c.dispatch.service_layer.ports import RoadDistances, UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

DISTANCES = IndiaPostDistances()


class SqlUnitOfWork(UnitOfWork):
    shipments: SqlShipments  # the HTTP lists also filter by customer scope, which is SQL (`search(visible=...)`)

    def __init__(self, session: AsyncSession, distances: RoadDistances = DISTANCES) -> None:
        super().__init__(shipments=SqlShipments(session), cancellations=SqlUnreleasedCancellations(session),
                         trips=SqlTrips(session), numbers=SqlDocumentNumbers(session), distances=distances)
        self.session = session
