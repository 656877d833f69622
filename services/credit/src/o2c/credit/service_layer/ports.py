"""What credit's use cases need from the outside: one unit of work holding the repositories of one transaction
(customer accounts, sanction requests, payments, number series) and the messages the work causes (written to
the outbox with the transaction's changes), and a clock.

The SQL implementation is `o2c.credit.adapters.unit_of_work.SqlUnitOfWork` (wired in `o2c.credit.bootstrap`);
the use cases' unit tests run on an in-memory one (`o2c.testsupport.credit.fakes`, tests/unit/use_cases).
Locking is part of the contract: `Accounts.lock` holds the customer's account until the transaction ends and
serialises every decision about that customer; a sanction request is locked only after its customer's account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from o2c.contracts.envelope import Message
from o2c.credit.domain import CustomerAccount, SanctionRequest


@dataclass
class AccountRecord:
    """A customer's account as stored, with the master-data facts credit keeps beside it."""

    account: CustomerAccount
    customer_name: str = ""
    master_revision: int = 0
    limit_set_by_finance: bool = False


class Accounts(Protocol):
    """One CustomerAccount per customer, the aggregate every credit decision loads."""

    async def lock(self, customer_id: str) -> AccountRecord:
        """The customer's account, locked for this transaction (created empty when unknown)."""
        ...

    async def get(self, customer_id: str) -> AccountRecord | None: ...

    async def save(self, record: AccountRecord) -> None: ...


class Sanctions(Protocol):
    """The finance queue: sanction requests raised for held orders."""

    async def add(self, request: SanctionRequest, customer_name: str) -> None: ...

    async def get(self, sanction_id: str) -> SanctionRequest | None: ...

    async def lock(self, sanction_id: str) -> SanctionRequest | None:
        """The request, locked (the caller holds its customer's account lock first)."""
        ...

    async def save(self, request: SanctionRequest) -> None: ...

    async def pending_of_order(self, order_id: str) -> list[SanctionRequest]:
        """Pending requests of the order, locked (the caller holds the customer's account lock)."""
        ...

    async def due(self, now: datetime, limit: int) -> list[str]:
        """Ids of pending requests whose expiry or escalation is due at `now`, the first to expire first."""
        ...

    async def queue_json(self, status: str | None, limit: int, offset: int) -> str:
        """A page of the queue, oldest request first, as the JSON array the HTTP API answers."""
        ...


class Payments(Protocol):
    async def add(self, *, payment_id: str, customer_id: str, recorded_by: str, recorded_at: datetime,
                  doc: dict[str, Any]) -> None: ...


class NumberSeries(Protocol):
    async def next(self, series: str) -> int:
        """The next number of a gapless series (locked until commit)."""
        ...


class Clock(Protocol):
    """The time the service acts at (a test's own clock sets and moves it)."""

    def now(self) -> datetime: ...


class UnitOfWork:
    """One transaction's repositories and the messages it causes. The caller owns the transaction: it commits
    the changes together with `messages` (the outbox) or rolls both back."""

    def __init__(self, *, accounts: Accounts, sanctions: Sanctions, payments: Payments,
                 numbers: NumberSeries) -> None:
        self.accounts = accounts
        self.sanctions = sanctions
        self.payments = payments
        self.numbers = numbers
        self.messages: list[Message] = []

    def publish(self, message: Message) -> None:
        """Send `message` when (and only if) the transaction commits, after those published before it."""
        self.messages.append(message)
