"""The unit of work on one SQLAlchemy session: the e-way bill service's SQL repositories sharing its transaction.
The caller (the consumer's batch, an HTTP request: see `o2c.ewaybill.bootstrap`) owns the transaction and writes
`messages` to the outbox before it commits."""

from __future__ import annotations

from o2c.ewaybill.adapters.repository import SqlEwayBills, SqlPortalAttempts, SqlThresholds
from o2c.ewaybill.service_layer.ports import UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(bills=SqlEwayBills(session), attempts=SqlPortalAttempts(session),
                         thresholds=SqlThresholds(session))
        self.session = session
