"""An in-memory repository for the use-case tests. Aggregates go through the same JSON codec as the SQL
repository, so a test also proves that what is stored comes back equal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from o2c.sales.adapters.codec import dump, load_as
from o2c.sales.domain.catalog import Item, PriceEntry, PriceList, Scheme, SchemeBook
from o2c.sales.domain.customer import AuditEntry, Customer
from o2c.sales.domain.numbering import DocumentNumber, FinancialYear
from o2c.sales.domain.order import SalesOrder
from o2c.sales.domain.quotation import Quotation, StockView
from o2c.sales.domain.saga import OrderSaga
from o2c.sales.domain.tax import GstRate, GstRateSchedule
from o2c.sales.service_layer.ports import ItemRecord, ReturnRecord, SagaRecord, SentCommand


class InMemoryRepository:
    def __init__(self, rates: Sequence[GstRate]) -> None:
        self.customers: dict[str, Any] = {}
        self.audit: dict[str, list[AuditEntry]] = {}
        self.items: dict[str, ItemRecord] = {}
        self.rates = list(rates)
        self.rate_versions: dict[tuple[str, date], int] = {}
        self.published: dict[tuple[str, date], int] = {}
        self.price_lists: dict[str, str] = {}
        self.prices: dict[str, list[PriceEntry]] = {}
        self.ended_prices: list[tuple[str, str, str, str]] = []
        self.scheme_book: list[Scheme] = []
        self.series: dict[tuple[str, int], int] = {}
        self.quotations: dict[str, Any] = {}
        self.orders: dict[str, Any] = {}
        self.keys: dict[str, str] = {}
        self.sagas: dict[str, tuple[Any, dict[str, Any]]] = {}
        self.commands: dict[str, SentCommand] = {}
        self.replied: set[str] = set()
        self.returns: list[ReturnRecord] = []

    async def get_customer(self, customer_id: str, *, lock: bool = False) -> Customer | None:
        if customer_id not in self.customers:
            return None
        customer = load_as(Customer, self.customers[customer_id])
        customer.audit = list(self.audit[customer_id])
        return customer

    async def add_customer(self, customer: Customer) -> None:
        assert all(load_as(Customer, c).code != customer.code for c in self.customers.values())
        self.customers[customer.customer_id] = dump(replace(customer, audit=[]))
        self.audit[customer.customer_id] = list(customer.audit)

    async def save_customer(self, customer: Customer, new_audit: Sequence[AuditEntry]) -> None:
        self.customers[customer.customer_id] = dump(replace(customer, audit=[]))
        self.audit[customer.customer_id] += list(new_audit)

    async def announced_customer_ids(self) -> list[str]:
        return sorted(k for k, doc in self.customers.items() if doc.get("approved_at") or doc["status"] != "pending")

    async def get_items(self, codes: Sequence[str]) -> dict[str, ItemRecord]:
        return {c: self.items[c] for c in codes if c in self.items}

    async def add_items(self, items: Sequence[Item], at: datetime) -> None:
        for item in items:
            self.items[item.code] = ItemRecord(item, 1)

    async def save_item(self, record: ItemRecord, at: datetime) -> None:
        self.items[record.item.code] = record

    async def gst_rates(self) -> GstRateSchedule:
        return GstRateSchedule(self.rates)

    async def add_gst_rate(self, rate: GstRate) -> int:
        key = (rate.hsn_prefix, rate.effective_from)
        self.rates = [r for r in self.rates if (r.hsn_prefix, r.effective_from) != key] + [rate]
        self.rate_versions[key] = self.rate_versions.get(key, 0) + 1
        self.published[key] = self.rate_versions[key]  # the caller publishes it
        return self.rate_versions[key]

    async def unpublished_gst_rates(self, limit: int) -> list[tuple[GstRate, int]]:
        return [(r, self.rate_versions.get((r.hsn_prefix, r.effective_from), 1)) for r in self.rates
                if self.published.get((r.hsn_prefix, r.effective_from), 0)
                < self.rate_versions.get((r.hsn_prefix, r.effective_from), 1)][:limit]

    async def mark_gst_rates_published(self, rates: Sequence[tuple[GstRate, int]]) -> None:
        for rate, version in rates:
            self.published[(rate.hsn_prefix, rate.effective_from)] = version

    async def price_list(self, code: str, item_codes: Sequence[str] | None = None) -> PriceList | None:
        if code not in self.price_lists:
            return None
        wanted = None if item_codes is None else set(item_codes)
        return PriceList(code, self.price_lists[code],
                         (e for e in self.prices[code] if wanted is None or e.item_code in wanted))

    async def add_price_list(self, code: str, name: str) -> None:
        self.price_lists[code] = name
        self.prices[code] = []

    async def add_prices(self, price_list_code: str, entries: Sequence[PriceEntry]) -> None:
        self.prices[price_list_code] += list(entries)

    async def end_price(self, price_list_code: str, entry: PriceEntry, valid_to: date, by: str, at: datetime,
                        reason: str) -> None:
        self.prices[price_list_code] = [replace(e, valid_to=valid_to) if e == entry else e
                                        for e in self.prices[price_list_code]]
        self.ended_prices.append((price_list_code, entry.item_code, by, reason))

    async def schemes(self, on: date | None = None) -> SchemeBook:
        return SchemeBook(s for s in self.scheme_book if on is None or s.is_valid_on(on))

    async def add_scheme(self, scheme: Scheme) -> None:
        self.scheme_book.append(scheme)

    async def next_number(self, prefix: str, financial_year: FinancialYear) -> DocumentNumber:
        key = (prefix, financial_year.start_year)
        self.series[key] = self.series.get(key, 0) + 1
        return DocumentNumber.build(prefix, financial_year, self.series[key])

    async def get_quotation(self, quotation_id: str, *, lock: bool = False) -> Quotation | None:
        doc = self.quotations.get(quotation_id)
        return None if doc is None else load_as(Quotation, doc)

    async def add_quotation(self, quotation: Quotation, at: datetime) -> None:
        self.quotations[quotation.quotation_id] = dump(quotation)

    async def save_quotation(self, quotation: Quotation, at: datetime) -> None:
        self.quotations[quotation.quotation_id] = dump(quotation)

    async def get_order(self, order_id: str, *, lock: bool = False) -> SalesOrder | None:
        doc = self.orders.get(order_id)
        return None if doc is None else load_as(SalesOrder, doc)

    async def order_id_for_key(self, idempotency_key: str) -> str | None:
        return self.keys.get(idempotency_key)

    async def add_order(self, order: SalesOrder, idempotency_key: str | None) -> None:
        self.orders[order.order_id] = dump(order)
        if idempotency_key:
            self.keys[idempotency_key] = order.order_id

    async def save_order(self, order: SalesOrder, *, lines: bool = False) -> None:
        self.orders[order.order_id] = dump(order)

    async def order_handle(self, order_id: str) -> Any:
        from o2c.sales.service_layer.ports import OrderHandle

        order = await self.get_order(order_id)
        if order is None:
            return None
        customer = await self.get_customer(order.customer_id)
        assert customer is not None
        return OrderHandle(order_id, order.status, order.revision, order.credit_cleared_revision,
                           customer.gst_category)

    async def save_order_status(self, order: SalesOrder) -> None:
        doc = dict(self.orders[order.order_id])
        doc.update(status=order.status.value, status_reason=order.status_reason,
                   credit_cleared_revision=order.credit_cleared_revision)
        self.orders[order.order_id] = doc

    async def save_credit_clearance(self, order_id: str, revision: int) -> None:
        self.orders[order_id] = {**self.orders[order_id], "credit_cleared_revision": revision}

    async def get_saga(self, order_id: str, *, lock: bool = False) -> SagaRecord | None:
        if order_id not in self.sagas:
            return None
        state, extra = self.sagas[order_id]
        return SagaRecord(saga=load_as(OrderSaga, state), **extra)

    async def add_saga(self, record: SagaRecord) -> None:
        await self.save_saga(record, datetime.min)

    async def save_saga(self, record: SagaRecord, at: datetime) -> None:
        self.sagas[record.saga.order_id] = (dump(record.saga), {
            "allocations": record.allocations, "invoices": record.invoices, "exceptions": record.exceptions,
            "waiting_for": record.waiting_for, "next_check_at": record.next_check_at})

    async def due_sagas(self, now: datetime, limit: int) -> list[str]:
        return [k for k, (_, extra) in self.sagas.items()
                if extra["next_check_at"] is not None and extra["next_check_at"] <= now][:limit]

    async def record_commands(self, commands: Sequence[SentCommand]) -> None:
        for c in commands:
            self.commands.setdefault(c.request_id, c)

    async def mark_replied(self, request_ids: Sequence[str], at: datetime) -> None:
        self.replied |= set(request_ids)

    async def unanswered_commands(self, sent_before: datetime, limit: int) -> list[SentCommand]:
        return [c for k, c in self.commands.items() if k not in self.replied and c.last_sent_at < sent_before][:limit]

    async def command_resent(self, request_id: str, at: datetime) -> None:
        c = self.commands[request_id]
        self.commands[request_id] = replace(c, attempts=c.attempts + 1, last_sent_at=at)

    async def add_return(self, record: ReturnRecord) -> None:
        self.returns.append(record)


class FixedStock:
    def __init__(self, view: StockView) -> None:
        self.view = view

    async def stock_view(self, item_codes: Sequence[str], bearer: str | None = None) -> StockView:
        return self.view
