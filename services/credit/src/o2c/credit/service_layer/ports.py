"""What the use cases need from the outside: a unit of work over one transaction (accounts locked per customer,
sanction requests, payments, number series) and a way to publish messages in that same transaction."""

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


class UnitOfWork(Protocol):
    """One transaction. `lock_account` serialises every decision about one customer (row lock until commit)."""

    async def lock_account(self, customer_id: str) -> AccountRecord:
        """The customer's account, locked for this transaction (created empty when unknown)."""

    async def read_account(self, customer_id: str) -> AccountRecord | None: ...

    async def save_account(self, record: AccountRecord) -> None: ...

    async def add_sanction(self, request: SanctionRequest, customer_name: str) -> None: ...

    async def read_sanction(self, sanction_id: str) -> SanctionRequest | None: ...

    async def lock_sanction(self, sanction_id: str) -> SanctionRequest | None: ...

    async def save_sanction(self, request: SanctionRequest) -> None: ...

    async def pending_sanctions_of_order(self, order_id: str) -> list[SanctionRequest]:
        """Pending requests of the order, locked (the caller holds the customer's account lock)."""

    async def list_sanctions(self, status: str | None, limit: int, offset: int
                             ) -> list[tuple[SanctionRequest, str]]: ...

    async def sanctions_due(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        """(sanction id, customer id) of pending requests whose escalation or expiry is due."""

    async def next_number(self, series: str) -> int:
        """The next number of a gapless series (locked until commit)."""

    async def find_payment(self, idempotency_key: str) -> dict[str, Any] | None: ...

    async def add_payment(self, *, payment_id: str, customer_id: str, idempotency_key: str | None,
                          recorded_by: str, recorded_at: datetime, doc: dict[str, Any]) -> None: ...

    async def publish(self, message: Message) -> None: ...
