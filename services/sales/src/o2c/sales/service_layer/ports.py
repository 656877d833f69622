"""What the use cases need from the outside: a repository of sales aggregates and a stock view.

The SQL implementation is `adapters.repository.SqlRepository`; unit tests use an in-memory one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from o2c.contracts.envelope import Message
from o2c.sales.domain.catalog import Item, PriceEntry, PriceList, Scheme, SchemeBook
from o2c.sales.domain.customer import AuditEntry, Customer, GstCategory
from o2c.sales.domain.numbering import DocumentNumber, FinancialYear
from o2c.sales.domain.order import OrderStatus, SalesOrder
from o2c.sales.domain.quotation import Quotation, StockView
from o2c.sales.domain.saga import OrderSaga
from o2c.sales.domain.tax import GstRate, GstRateSchedule


@dataclass
class ItemRecord:
    item: Item
    revision: int = 1


@dataclass
class SagaRecord:
    """The pure saga plus the facts the coordinator's messages need: inventory's allocations per round
    (warehouse GSTIN, dispatch-from address, batches), the order's invoices, and exceptions for people."""

    saga: OrderSaga
    allocations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    waiting_for: str = ""
    next_check_at: datetime | None = None


@dataclass(frozen=True)
class SentCommand:
    request_id: str
    order_id: str
    type: str
    payload: dict[str, Any]
    attempts: int
    last_sent_at: datetime


@dataclass(frozen=True)
class ReturnRecord:
    return_id: str
    return_no: str
    order_id: str
    customer_id: str
    created_by: str
    doc: dict[str, Any]
    created_at: datetime


class Repository(Protocol):
    # customers
    async def get_customer(self, customer_id: str, *, lock: bool = False) -> Customer | None: ...
    async def add_customer(self, customer: Customer) -> None: ...
    async def save_customer(self, customer: Customer, new_audit: Sequence[AuditEntry]) -> None: ...
    async def announced_customer_ids(self) -> list[str]: ...

    # catalog
    async def get_items(self, codes: Sequence[str]) -> dict[str, ItemRecord]: ...
    async def add_items(self, items: Sequence[Item], at: datetime) -> None: ...
    async def save_item(self, record: ItemRecord, at: datetime) -> None: ...
    async def gst_rates(self) -> GstRateSchedule: ...
    async def add_gst_rate(self, rate: GstRate) -> int:
        """Store the rate (replacing the same prefix and date); its version, 1 for a new rate."""
        ...
    async def unpublished_gst_rates(self, limit: int) -> list[tuple[GstRate, int]]:
        """Rates (with their version) not yet published in their current version, locked for this transaction."""
        ...

    async def mark_gst_rates_published(self, rates: Sequence[tuple[GstRate, int]]) -> None: ...
    async def price_list(self, code: str, item_codes: Sequence[str] | None = None) -> PriceList | None: ...
    async def add_price_list(self, code: str, name: str) -> None: ...
    async def add_prices(self, price_list_code: str, entries: Sequence[PriceEntry]) -> None: ...
    async def end_price(self, price_list_code: str, entry: PriceEntry, valid_to: date, by: str, at: datetime,
                        reason: str) -> None:
        """Sets the entry's last day (who, when and why kept on the row)."""
    async def schemes(self, on: date | None = None) -> SchemeBook: ...
    async def add_scheme(self, scheme: Scheme) -> None: ...

    # numbering (gap-free: the series row stays locked until the transaction ends)
    async def next_number(self, prefix: str, financial_year: FinancialYear) -> DocumentNumber: ...

    # quotations
    async def get_quotation(self, quotation_id: str, *, lock: bool = False) -> Quotation | None: ...
    async def add_quotation(self, quotation: Quotation, at: datetime) -> None: ...
    async def save_quotation(self, quotation: Quotation, at: datetime) -> None: ...

    # orders
    async def get_order(self, order_id: str, *, lock: bool = False) -> SalesOrder | None: ...
    async def order_id_for_key(self, idempotency_key: str) -> str | None: ...
    async def add_order(self, order: SalesOrder, idempotency_key: str | None) -> None: ...
    async def save_order(self, order: SalesOrder, *, lines: bool = False) -> None: ...
    async def order_handle(self, order_id: str) -> OrderHandle | None: ...
    async def save_order_status(self, order: SalesOrder) -> None:
        """Store only the order's status facts (status, its reason, the revision credit cleared): what the saga's
        moves change, without rewriting the order's lines or document."""
        ...
    async def save_credit_clearance(self, order_id: str, revision: int) -> None:
        """Store that credit cleared the order's current `revision` (nothing else of the order changes)."""
        ...

    # the saga
    async def get_saga(self, order_id: str, *, lock: bool = False) -> SagaRecord | None: ...
    async def add_saga(self, record: SagaRecord) -> None: ...
    async def save_saga(self, record: SagaRecord, at: datetime) -> None: ...
    async def due_sagas(self, now: datetime, limit: int) -> list[str]: ...
    async def record_commands(self, commands: Sequence[SentCommand]) -> None: ...
    async def mark_replied(self, request_ids: Sequence[str], at: datetime) -> None: ...
    async def unanswered_commands(self, sent_before: datetime, limit: int) -> list[SentCommand]: ...
    async def command_resent(self, request_id: str, at: datetime) -> None: ...

    # returns
    async def add_return(self, record: ReturnRecord) -> None: ...


class StockSource(Protocol):
    async def stock_view(self, item_codes: Sequence[str], bearer: str | None = None) -> StockView: ...


class UnitOfWork:
    """One transaction's repository and the messages it causes (written to the outbox on commit)."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.messages: list[Message] = []

    def publish(self, *messages: Message) -> None:
        self.messages.extend(messages)


@dataclass
class OrderHandle:
    """The order as the coordinator needs it: its status facts at once, the full aggregate only when a
    decision must describe it (a release, a command) — most replies only move the saga."""

    order_id: str
    status: OrderStatus
    revision: int
    credit_cleared_revision: int | None
    category: GstCategory
    order: SalesOrder | None = None

    @classmethod
    def of(cls, order: SalesOrder, category: GstCategory) -> OrderHandle:
        return cls(order.order_id, order.status, order.revision, order.credit_cleared_revision, category, order)

    async def get(self, uow: UnitOfWork) -> SalesOrder:
        if self.order is None:
            self.order = await uow.repo.get_order(self.order_id)
            if self.order is None:
                raise LookupError(f"order {self.order_id} vanished under its saga")
        return self.order
