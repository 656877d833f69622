"""The unit of work on one SQLAlchemy session: notify's SQL repositories sharing its transaction. The caller
(the consumer's batch, an HTTP request, the webhook sender's sweep: see `o2c.notify.bootstrap`) owns the
transaction and writes `messages` to the outbox before it commits."""

from __future__ import annotations

from o2c.notify.adapters.repository import SqlCustomers, SqlNotifications, SqlOrders
from o2c.notify.adapters.webhooks import SqlWebhookDeliveries, SqlWebhookSubscriptions
from o2c.notify.service_layer.ports import UnitOfWork
from sqlalchemy.ext.asyncio import AsyncSession


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(customers=SqlCustomers(session), orders=SqlOrders(session),
                         notifications=SqlNotifications(session), subscriptions=SqlWebhookSubscriptions(session),
                         deliveries=SqlWebhookDeliveries(session))
        self.session = session
