"""The unit of work on one SQLAlchemy session: sales' SQL repository in its transaction. The caller (an HTTP
request, the consumer's batch, the saga timer: see `o2c.sales.bootstrap`) owns the transaction and writes
`messages` to the outbox before it commits."""

from __future__ import annotations

from o2c.sales.adapters.repository import SqlRepository
from o2c.sales.service_layer.ports import SagaRecord, UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, session: AsyncSession) -> None:
        self.sql = SqlRepository(session)
        super().__init__(self.sql)
        self.session = session

    @property
    def sagas_added(self) -> dict[str, SagaRecord]:
        """The sagas this transaction started (an order's 201 is answered from them, not read again)."""
        return self.sql.sagas_added
