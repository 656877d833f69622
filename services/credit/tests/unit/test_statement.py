from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from o2c.credit.domain import CustomerAccount, EntryKind, InvalidValue, Payment, Receivable, customer_statement

TODAY = date(2026, 6, 30)


def test_statement_runs_a_balance_from_the_opening_of_the_period(
    account: Callable[..., CustomerAccount], post: Callable[..., Receivable]
) -> None:
    acct = account()
    post(acct, "i0", "10000", days_old=40)  # 21 May, before the period
    post(acct, "i1", "59000", days_old=20, taxable="50000")  # 10 June
    acct.receive_payment(Payment("P1", "RCPT/1", "C1", date(2026, 6, 15), Decimal("68950"), Decimal("50")))
    acct.apply_credit_note("CN-1", "i1", Decimal("1180"), date(2026, 6, 20), "CRN/1")
    post(acct, "i2", "5900", days_old=0)

    statement = acct.statement(date(2026, 6, 1), date(2026, 6, 30))

    assert statement.opening_balance == Decimal("10000.00")
    assert [(line.entry.kind, line.balance) for line in statement.lines] == [
        (EntryKind.INVOICE, Decimal("69000.00")),
        (EntryKind.PAYMENT, Decimal("50.00")),
        (EntryKind.TDS, Decimal("0.00")),
        (EntryKind.CREDIT_NOTE, Decimal("-1180.00")),
        (EntryKind.INVOICE, Decimal("4720.00")),
    ]
    assert statement.closing_balance == Decimal("4720.00")
    assert statement.total_debits == Decimal("64900.00")
    assert statement.total_credits == Decimal("70180.00")


def test_statement_closing_balance_agrees_with_what_the_customer_owes(
    account: Callable[..., CustomerAccount], post: Callable[..., Receivable]
) -> None:
    acct = account()
    post(acct, "i1", "59000", days_old=20)
    post(acct, "i2", "1180", days_old=10)
    acct.receive_payment(Payment("P1", "R1", "C1", TODAY, Decimal("70000"), Decimal("0")))
    acct.apply_credit_note("CN-1", "i2", Decimal("500"), TODAY)

    exposure = acct.exposure()
    closing = acct.statement(date(2026, 1, 1), TODAY).closing_balance
    assert closing == exposure.receivables - exposure.unapplied_credit == Decimal("-10320.00")


def test_period_must_not_end_before_it_starts() -> None:
    with pytest.raises(InvalidValue):
        customer_statement("C1", [], TODAY, date(2026, 6, 1))
