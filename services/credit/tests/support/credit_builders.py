"""Builders for credit's service tests: input messages from the contract samples, changed where a test needs it
(the in-memory unit of work is `o2c.testsupport.credit.fakes`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from o2c.contracts.samples import sample
from o2c.contracts.v1.common import OrderTotals
from o2c.contracts.v1.invoicing import CreditNoteIssued, InvoiceCancelled, InvoiceIssued, InvoiceTotals
from o2c.contracts.v1.sales import CustomerApproved, OrderConfirmed, ReleaseCreditExposure

D = Decimal
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
