"""The customer statement: ledger entries (invoices debit; payments, TDS, credit notes and write-offs credit)
with a running balance for a period, opening with everything before it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from o2c.credit.domain.errors import InvalidValue
from o2c.credit.domain.money import ZERO, Money


class EntryKind(StrEnum):
    INVOICE = "invoice"
    PAYMENT = "payment"
    TDS = "tds"
    CREDIT_NOTE = "credit_note"
    WRITE_OFF = "write_off"
    CANCELLATION = "cancellation"
    OPENING_BALANCE = "opening_balance"
    PAYMENT_REVERSAL = "payment_reversal"
    REFUND = "refund"


@dataclass(frozen=True)
class LedgerEntry:
    seq: int
    on: date
    kind: EntryKind
    reference: str
    description: str
    debit: Money = ZERO
    credit: Money = ZERO

    @property
    def net(self) -> Money:
        return self.debit - self.credit


@dataclass(frozen=True)
class StatementLine:
    entry: LedgerEntry
    balance: Money


@dataclass(frozen=True)
class Statement:
    customer_id: str
    period_start: date
    period_end: date
    opening_balance: Money
    lines: tuple[StatementLine, ...]

    @property
    def total_debits(self) -> Money:
        return sum((line.entry.debit for line in self.lines), ZERO)

    @property
    def total_credits(self) -> Money:
        return sum((line.entry.credit for line in self.lines), ZERO)

    @property
    def closing_balance(self) -> Money:
        return self.opening_balance + self.total_debits - self.total_credits


def customer_statement(
    customer_id: str, entries: Iterable[LedgerEntry], period_start: date, period_end: date
) -> Statement:
    """Balance positive: the customer owes us; negative: we hold the customer's money."""
    if period_end < period_start:
        raise InvalidValue("period_end", "must not be before period_start")
    ordered = sorted(entries, key=lambda e: (e.on, e.seq))
    opening = sum((e.net for e in ordered if e.on < period_start), ZERO)
    balance = opening
    lines = []
    for entry in ordered:
        if period_start <= entry.on <= period_end:
            balance += entry.net
            lines.append(StatementLine(entry, balance))
    return Statement(customer_id, period_start, period_end, opening, tuple(lines))
