"""Credit's ports in memory, for the use cases' unit tests (tests/unit/use_cases), and a clock a test sets.

Documents are kept as the database keeps them (the account as JSON text, a sanction request as a JSON document,
through the same codec), so a use case that forgot to save what it changed is caught here too."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, TypeVar

from o2c.contracts.envelope import Message
from o2c.credit.adapters.codec import dump_account_json, dump_sanction, load_account_json, load_sanction
from o2c.credit.adapters.views import sanction_view
from o2c.credit.domain import CustomerAccount, SanctionRequest, SanctionStatus
from o2c.credit.service_layer.ports import AccountRecord, UnitOfWork

M = TypeVar("M", bound=Message)


class InMemoryAccounts:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[str, str, int, bool]] = {}  # id → (document, name, revision, limit by finance)

    def __contains__(self, customer_id: str) -> bool:
        return customer_id in self.rows

    async def lock(self, customer_id: str) -> AccountRecord:
        if customer_id not in self.rows:
            self.rows[customer_id] = (dump_account_json(CustomerAccount(customer_id)), "", 0, False)
        found = await self.get(customer_id)
        assert found is not None
        return found

    async def get(self, customer_id: str) -> AccountRecord | None:
        if customer_id not in self.rows:
            return None
        doc, name, revision, by_finance = self.rows[customer_id]
        return AccountRecord(load_account_json(doc), name, revision, by_finance)

    async def save(self, record: AccountRecord) -> None:
        self.rows[record.account.customer_id] = (dump_account_json(record.account), record.customer_name,
                                                 record.master_revision, record.limit_set_by_finance)


class InMemorySanctions:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[dict[str, Any], str]] = {}  # id → (document, customer name)

    def every(self, status: SanctionStatus | None = None) -> list[SanctionRequest]:
        """The requests, oldest first (as the queue shows them)."""
        found = sorted((load_sanction(doc) for doc, _ in self.rows.values()),
                       key=lambda s: (s.requested_at, s.sanction_id))
        return [s for s in found if status is None or s.status is status]

    async def add(self, request: SanctionRequest, customer_name: str) -> None:
        assert request.sanction_id not in self.rows, f"{request.sanction_id} added twice"
        self.rows[request.sanction_id] = (dump_sanction(request), customer_name)

    async def get(self, sanction_id: str) -> SanctionRequest | None:
        found = self.rows.get(sanction_id)
        return None if found is None else load_sanction(found[0])

    lock = get

    async def save(self, request: SanctionRequest) -> None:
        self.rows[request.sanction_id] = (dump_sanction(request), self.rows[request.sanction_id][1])

    async def pending_of_order(self, order_id: str) -> list[SanctionRequest]:
        return [s for s in self.every(SanctionStatus.PENDING) if s.order_id == order_id]

    async def due(self, now: datetime, limit: int) -> list[str]:
        due = [s for s in self.every() if s.is_expiry_due(now) or s.is_escalation_due(now)]
        return [s.sanction_id for s in sorted(due, key=lambda s: s.expires_at)][:limit]

    async def queue_json(self, status: str | None, limit: int, offset: int) -> str:
        names = {sid: name for sid, (_, name) in self.rows.items()}
        shown = [s for s in self.every() if status is None or s.status.value == status][offset:offset + limit]
        return json.dumps([sanction_view(s, names[s.sanction_id]) for s in shown])


class InMemoryPayments:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    async def add(self, *, payment_id: str, customer_id: str, recorded_by: str, recorded_at: datetime,
                  doc: dict[str, Any]) -> None:
        assert payment_id not in self.docs, f"payment {payment_id} recorded twice"
        self.docs[payment_id] = doc


class InMemoryNumberSeries:
    def __init__(self) -> None:
        self.last: dict[str, int] = {}

    async def next(self, series: str) -> int:
        self.last[series] = self.last.get(series, 0) + 1
        return self.last[series]


class FakeUnitOfWork(UnitOfWork):
    """One in-memory unit of work a test keeps across use cases; `messages` collects all they published."""

    accounts: InMemoryAccounts
    sanctions: InMemorySanctions
    payments: InMemoryPayments
    numbers: InMemoryNumberSeries

    def __init__(self) -> None:
        super().__init__(accounts=InMemoryAccounts(), sanctions=InMemorySanctions(), payments=InMemoryPayments(),
                         numbers=InMemoryNumberSeries())

    def of_type(self, kind: type[M]) -> list[M]:
        return [m for m in self.messages if isinstance(m, kind)]


class ManualClock:
    """A clock a test sets and moves (`runtime.extras["clock"]`): escalation at 4 hours, expiry at the hold
    period, ageing on a given day, without waiting."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, by: timedelta) -> datetime:
        self.at += by
        return self.at
