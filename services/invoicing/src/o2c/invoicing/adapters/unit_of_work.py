"""The unit of work on one SQLAlchemy session: invoicing's SQL repositories sharing its transaction. The caller
(the consumer's batch, an HTTP request, the IRN worker: see `o2c.invoicing.bootstrap`) owns the transaction and
writes `messages` to the outbox before it commits."""

from __future__ import annotations

from o2c.invoicing.adapters.repository import (
    SqlCreditNotes,
    SqlDocumentSeriesBook,
    SqlInvoices,
    SqlIrnQueue,
    SqlPrintedInvoices,
    SqlRateReplica,
    SqlRefusedShipments,
    SqlReturns,
)
from o2c.invoicing.service_layer.ports import UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(
            invoices=SqlInvoices(session), credit_notes=SqlCreditNotes(session),
            series=SqlDocumentSeriesBook(session), rates=SqlRateReplica(session),
            refused=SqlRefusedShipments(session), returns=SqlReturns(session), irn_queue=SqlIrnQueue(session),
            printed=SqlPrintedInvoices(session))
        self.session = session
