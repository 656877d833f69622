"""Steps the use cases' unit tests share: the people who act, the sanction policy, and a customer set up with
exposure (on the in-memory unit of work of `o2c.testsupport.credit.fakes`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from o2c.credit.domain import Actor, Role, SanctionPolicy
from o2c.credit.service_layer import use_cases as uc
from o2c.testsupport.credit.credit_builders import T0, customer, invoice
from o2c.testsupport.credit.fakes import FakeUnitOfWork

D = Decimal
POLICY = SanctionPolicy()
HEAD = Actor("meera", Role.FINANCE_HEAD)
EXEC = Actor("farah", Role.FINANCE_EXECUTIVE, approval_limit=D("100000"))


async def decide(uow: FakeUnitOfWork, order_id: str, cust: str, gross: str, revision: int = 1,
                 request_id: str | None = None, at: datetime = T0) -> None:
    """OrderConfirmed / OrderAmended (or RecheckCredit, with a request id) as credit's consumer decides it."""
    await uc.decide_order(uow, uc.OrderToDecide(order_id, cust, revision, D(gross), request_id), at, POLICY)


async def account_with_exposure(uow: FakeUnitOfWork) -> None:
    """Limit ₹10,00,000; receivables ₹6,00,000; an open order of ₹3,00,000 (nothing published is kept)."""
    await uc.apply_customer_master(uow, customer("C1", "1000000.00"), T0)
    await decide(uow, "O-A", "C1", "600000.00")
    await uc.post_invoice(uow, invoice("inv-A", "O-A", "C1", "600000.00", invoice_date=date(2026, 6, 20)), T0)
    await decide(uow, "O-B", "C1", "300000.00")
    uow.messages.clear()
