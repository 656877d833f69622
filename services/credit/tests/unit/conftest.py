"""Builders for credit's domain tests: a clock in IST, people with roles, profiles, invoices."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from o2c.credit.domain import IST, Actor, CreditProfile, CustomerAccount, Receivable, Role

TODAY = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 11, 0, tzinfo=IST)


@pytest.fixture
def head() -> Actor:
    return Actor("meera", Role.FINANCE_HEAD)


@pytest.fixture
def executive() -> Actor:
    return Actor("farah", Role.FINANCE_EXECUTIVE, approval_limit=Decimal("200000"))


@pytest.fixture
def sales() -> Actor:
    return Actor("sanjay", Role.SALES_COORDINATOR)


@pytest.fixture
def profile() -> Callable[..., CreditProfile]:
    def make(limit: str = "1000000", terms: int = 30, grace: int = 15, customer: str = "C1") -> CreditProfile:
        return CreditProfile(customer, Decimal(limit), payment_terms_days=terms, grace_days=grace)

    return make


@pytest.fixture
def invoice() -> Callable[..., Receivable]:
    counter = iter(range(1, 10_000))

    def make(
        amount: str,
        days_old: int = 0,
        terms: int = 30,
        order: str | None = None,
        taxable: str | None = None,
        customer: str = "C1",
    ) -> Receivable:
        n = next(counter)
        gross = Decimal(amount)
        return Receivable.post(
            invoice_id=f"inv-{n}",
            invoice_no=f"INV/26-27/{n:06d}",
            customer_id=customer,
            order_id=order or f"SO-{n}",
            invoice_date=TODAY - timedelta(days=days_old),
            amount=gross,
            taxable_value=Decimal(taxable) if taxable else (gross / Decimal("1.18")).quantize(Decimal("0.01")),
            payment_terms_days=terms,
        )

    return make


@pytest.fixture
def account(profile: Callable[..., CreditProfile]) -> Callable[..., CustomerAccount]:
    def make(limit: str = "1000000", terms: int = 30, grace: int = 15) -> CustomerAccount:
        return CustomerAccount("C1", profile(limit, terms, grace))

    return make


@pytest.fixture
def post() -> Callable[..., Receivable]:
    """Post an invoice on an account: post(acct, "i1", "59000", days_old=10, order="SO-1")."""

    def make(acct: CustomerAccount, invoice_id: str, amount: str, days_old: int = 0, order: str = "SO-X",
             taxable: str | None = None, terms: int | None = None) -> Receivable:
        gross = Decimal(amount)
        return acct.post_invoice(
            invoice_id=invoice_id,
            invoice_no=f"INV/26-27/{invoice_id}",
            order_id=order,
            invoice_date=TODAY - timedelta(days=days_old),
            amount=gross,
            taxable_value=Decimal(taxable) if taxable else (gross / Decimal("1.18")).quantize(Decimal("0.01")),
            payment_terms_days=terms,
        ).receivable

    return make
