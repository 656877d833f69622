"""The unit of work on one SQLAlchemy session: credit's SQL repositories sharing its transaction. The caller
(the consumer's batch, an HTTP request, the sanction sweeper: see `o2c.credit.bootstrap`) owns the transaction
and writes `messages` to the outbox before it commits."""

from __future__ import annotations

from o2c.credit.adapters.repository import SqlAccounts, SqlNumberSeries, SqlPayments, SqlSanctions
from o2c.credit.service_layer.ports import UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(accounts=SqlAccounts(session), sanctions=SqlSanctions(session),
                         payments=SqlPayments(session), numbers=SqlNumberSeries(session))
        self.session = session
