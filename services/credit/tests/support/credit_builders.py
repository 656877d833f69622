"""Builders for credit's service tests: input messages from the contract samples, changed where a test needs it,
and an in-memory unit of work for use-case tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from o2c.contracts.envelope import Message
from o2c.contracts.samples import sample
from o2c.contracts.v1.common import OrderTotals
from o2c.contracts.v1.invoicing import CreditNoteIssued, InvoiceCancelled, InvoiceIssued, InvoiceTotals
from o2c.contracts.v1.sales import CustomerApproved, OrderConfirmed, ReleaseCreditExposure
from o2c.credit.adapters.codec import dump_account, dump_sanction, load_account, load_sanction
from o2c.credit.domain import CustomerAccount, SanctionRequest, SanctionStatus
from o2c.credit.service_layer.ports import AccountRecord

D = Decimal
M = TypeVar("M", bound=Message)
T0 = datetime(2026, 6, 30, 5, 30, tzinfo=UTC)  # 11:00 IST


def customer(customer_id: str, limit: str | None = "1000000.00", terms: int = 30, grace: int = 0,
             revision: int = 1, name: str = "Arun Retail LLP") -> CustomerApproved:
    return sample(CustomerApproved).model_copy(update={
        "customer_id": customer_id, "proposed_credit_limit": None if limit is None else D(limit),
        "payment_terms_days": terms, "credit_grace_days": grace, "revision": revision, "name": name,
    })


def order(order_id: str, customer_id: str, gross: str, revision: int = 1) -> OrderConfirmed:
    g = D(gross)
    taxable = (g / D("1.18")).quantize(D("0.01"))
    return sample(OrderConfirmed).model_copy(update={
        "order_id": order_id, "order_no": f"SO/{order_id}"[:16], "customer_id": customer_id, "revision": revision,
        "totals": OrderTotals(taxable_value=taxable, tax_amount=g - taxable, gross_value=g),
    })


def invoice(invoice_id: str, order_id: str, customer_id: str, gross: str, taxable: str | None = None,
            invoice_date: date = date(2026, 6, 1), terms: int = 30, invoice_no: str | None = None) -> InvoiceIssued:
    g = D(gross)
    t = D(taxable) if taxable is not None else (g / D("1.18")).quantize(D("0.01"))
    return sample(InvoiceIssued).model_copy(update={
        "invoice_id": invoice_id, "invoice_no": invoice_no or f"INV/26-27/{invoice_id[-6:]:0>6}",
        "order_id": order_id, "customer_id": customer_id, "invoice_date": invoice_date,
        "payment_terms_days": terms, "due_date": invoice_date + timedelta(days=terms),
        "totals": InvoiceTotals(taxable_value=t, igst=g - t, grand_total=g),
    })


def invoice_cancelled(inv: InvoiceIssued) -> InvoiceCancelled:
    return sample(InvoiceCancelled).model_copy(update={
        "invoice_id": inv.invoice_id, "invoice_no": inv.invoice_no, "order_id": inv.order_id,
        "customer_id": inv.customer_id, "grand_total": inv.totals.grand_total, "cancelled_at": T0,
    })


def credit_note(note_id: str, inv: InvoiceIssued, gross: str, on: date = date(2026, 6, 20)) -> CreditNoteIssued:
    g = D(gross)
    return sample(CreditNoteIssued).model_copy(update={
        "credit_note_id": note_id, "credit_note_no": f"CRN/26-27/{note_id[-4:]:0>4}", "credit_note_date": on,
        "order_id": inv.order_id, "customer_id": inv.customer_id, "original_invoice_id": inv.invoice_id,
        "original_invoice_no": inv.invoice_no, "original_invoice_date": inv.invoice_date,
        "totals": InvoiceTotals(taxable_value=(g / D("1.18")).quantize(D("0.01")), grand_total=g),
    })


def release(order_id: str, customer_id: str, amount: str, request_id: str) -> ReleaseCreditExposure:
    return sample(ReleaseCreditExposure).model_copy(update={
        "order_id": order_id, "customer_id": customer_id, "amount": D(amount), "request_id": request_id,
    })


@dataclass
class FakeUnitOfWork:
    """The use cases' port in memory: documents are stored as JSON (the same codec as the database)."""

    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    meta: dict[str, tuple[str, int, bool]] = field(default_factory=dict)
    sanctions: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    series: dict[str, int] = field(default_factory=dict)
    published: list[Message] = field(default_factory=list)

    async def lock_account(self, customer_id: str) -> AccountRecord:
        if customer_id not in self.accounts:
            self.accounts[customer_id] = dump_account(CustomerAccount(customer_id))
            self.meta[customer_id] = ("", 0, False)
        found = await self.read_account(customer_id)
        assert found is not None
        return found

    async def read_account(self, customer_id: str) -> AccountRecord | None:
        if customer_id not in self.accounts:
            return None
        name, revision, by_finance = self.meta[customer_id]
        return AccountRecord(load_account(self.accounts[customer_id]), name, revision, by_finance)

    async def save_account(self, record: AccountRecord) -> None:
        cid = record.account.customer_id
        self.accounts[cid] = dump_account(record.account)
        self.meta[cid] = (record.customer_name, record.master_revision, record.limit_set_by_finance)

    async def add_sanction(self, request: SanctionRequest, customer_name: str) -> None:
        assert request.sanction_id not in self.sanctions
        self.sanctions[request.sanction_id] = (dump_sanction(request), customer_name)

    async def read_sanction(self, sanction_id: str) -> SanctionRequest | None:
        found = self.sanctions.get(sanction_id)
        return None if found is None else load_sanction(found[0])

    lock_sanction = read_sanction

    async def save_sanction(self, request: SanctionRequest) -> None:
        self.sanctions[request.sanction_id] = (dump_sanction(request), self.sanctions[request.sanction_id][1])

    async def pending_sanctions_of_order(self, order_id: str) -> list[SanctionRequest]:
        found = [load_sanction(doc) for doc, _ in self.sanctions.values()]
        return [s for s in found if s.order_id == order_id and s.status is SanctionStatus.PENDING]

    async def list_sanctions(self, status: str | None, limit: int, offset: int
                             ) -> list[tuple[SanctionRequest, str]]:
        found = [(load_sanction(doc), name) for doc, name in self.sanctions.values()]
        found = [f for f in found if status is None or f[0].status.value == status]
        return sorted(found, key=lambda f: f[0].requested_at)[offset:offset + limit]

    async def sanctions_due(self, now: datetime, limit: int) -> list[tuple[str, str]]:
        found = [load_sanction(doc) for doc, _ in self.sanctions.values()]
        return [(s.sanction_id, s.customer_id) for s in found
                if s.is_pending and (s.expires_at <= now or (s.escalated_at is None and s.escalation_due_at <= now))
                ][:limit]

    async def next_number(self, series: str) -> int:
        self.series[series] = self.series.get(series, 0) + 1
        return self.series[series]

    async def find_payment(self, idempotency_key: str) -> dict[str, Any] | None:
        return self.payments.get(idempotency_key)

    async def add_payment(self, *, payment_id: str, customer_id: str, idempotency_key: str | None,
                          recorded_by: str, recorded_at: datetime, doc: dict[str, Any]) -> None:
        self.payments[idempotency_key or payment_id] = doc

    async def publish(self, message: Message) -> None:
        self.published.append(message)

    def of_type(self, kind: type[M]) -> list[M]:
        return [m for m in self.published if isinstance(m, kind)]
