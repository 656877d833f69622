"""The unit of work on one SQLAlchemy session: inventory's SQL repositories sharing its transaction. The caller
(the consumer's batch, an HTTP request: see `o2c.inventory.bootstrap`) owns the transaction and writes
`messages` to the outbox before it commits."""

from __future__ import annotations

from o2c.inventory.adapters.pincodes import IndiaPostDirectory
from o2c.inventory.adapters.repository import SqlItemStocks
from o2c.inventory.adapters.sql import (
    SqlBackorders,
    SqlCommandReplies,
    SqlDocumentSeries,
    SqlItems,
    SqlOrderAllocations,
    SqlPurchaseReceipts,
    SqlReturnAuthorisations,
    SqlRoutingPolicies,
    SqlStockViews,
    SqlTransferPrices,
    SqlTransfers,
    SqlWarehouses,
)
from o2c.inventory.service_layer.ports import PincodeDirectory, UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession

DIRECTORY = IndiaPostDirectory()


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, session: AsyncSession, directory: PincodeDirectory = DIRECTORY) -> None:
        super().__init__(
            items=SqlItems(session), warehouses=SqlWarehouses(session),
            routing_policies=SqlRoutingPolicies(session), stocks=SqlItemStocks(session),
            allocations=SqlOrderAllocations(session), backorders=SqlBackorders(session),
            replies=SqlCommandReplies(session), returns=SqlReturnAuthorisations(session),
            views=SqlStockViews(session), directory=directory, series=SqlDocumentSeries(session),
            transfers=SqlTransfers(session), transfer_prices=SqlTransferPrices(session),
            receipts=SqlPurchaseReceipts(session))
        self.session = session
