from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from o2c.credit.domain import (
    Actor,
    ConflictingState,
    CustomerAccount,
    InvalidValue,
    NotAuthorised,
    Payment,
    Receivable,
    UnknownInvoice,
    plan_allocation,
)

TODAY = date(2026, 6, 30)


def pay(amount: str, tds: str = "0", invoices: tuple[str, ...] = (), pid: str = "P1") -> Payment:
    return Payment(pid, f"RCPT/{pid}", "C1", TODAY, Decimal(amount), Decimal(tds), invoices)


def test_tds_deducted_by_the_buyer_settles_both_invoices_and_is_recorded(
    account: Callable[..., CustomerAccount], post: Callable[..., Receivable]
) -> None:
    acct = account()
    acct.check_order("SO-1", Decimal("118000"), TODAY)
    post(acct, "i1", "59000", days_old=20, order="SO-1", taxable="50000")
    post(acct, "i2", "59000", days_old=10, order="SO-1", taxable="50000")

    outcome = acct.receive_payment(pay("117900", tds="100"))

    assert outcome.settled_invoices == ("i1", "i2")
    assert outcome.settled_orders == ("SO-1",)
    assert outcome.tds_receivable == Decimal("100.00")
    assert acct.tds_receivable == Decimal("100.00")
    assert [(a.amount, a.tds_amount) for a in outcome.allocations] == [
        (Decimal("58950.00"), Decimal("50.00")), (Decimal("58950.00"), Decimal("50.00"))]
    assert outcome.unapplied_amount == Decimal("0.00")
    assert acct.exposure().total == Decimal("0.00")


def test_tds_follows_the_taxable_value_of_each_invoice(invoice: Callable[..., Receivable]) -> None:
    big = invoice("118000", days_old=20, taxable="100000")
    small = invoice("59000", days_old=10, taxable="50000")

    plan = plan_allocation([big, small], cash=Decimal("176850"), tds=Decimal("150"))

    assert [a.tds_amount for a in plan.allocations] == [Decimal("100.00"), Decimal("50.00")]
    assert all(a.settles for a in plan.allocations)


def test_payment_goes_to_the_oldest_invoice_first(
    account: Callable[..., CustomerAccount], post: Callable[..., Receivable]
) -> None:
    acct = account()
    post(acct, "new", "10000", days_old=5)
    post(acct, "old", "10000", days_old=50)

    outcome = acct.receive_payment(pay("15000"))

    assert [(a.invoice_id, a.amount, a.settles) for a in outcome.allocations] == [
        ("old", Decimal("10000.00"), True), ("new", Decimal("5000.00"), False)]
    assert acct.receivables["new"].outstanding == Decimal("5000.00")
    assert outcome.settled_invoices == ("old",)


def test_named_invoices_are_paid_even_if_older_ones_are_open(
    account: Callable[..., CustomerAccount], post: Callable[..., Receivable]
) -> None:
    acct = account()
    post(acct, "old", "10000", days_old=50)
    post(acct, "new", "10000", days_old=5)

    outcome = acct.receive_payment(pay("12000", invoices=("new",)))

    assert [(a.invoice_id, a.amount) for a in outcome.allocations] == [("new", Decimal("10000.00"))]
    assert outcome.unapplied_amount == Decimal("2000.00")  # the buyer named one invoice: the rest waits
    assert acct.receivables["old"].outstanding == Decimal("10000.00")


def test_payment_naming_an_unknown_invoice_is_refused(account: Callable[..., CustomerAccount]) -> None:
    with pytest.raises(UnknownInvoice):
        account().receive_payment(pay("100", invoices=("ghost",)))


def test_partial_payment_leaves_the_rest_owed_and_the_order_unsettled(
    account: Callable[..., CustomerAccount], post: Callable[..., Receivable]
) -> None:
    acct = account()
    post(acct, "i1", "59000", order="SO-1")
    outcome = acct.receive_payment(pay("20000"))
    assert outcome.settled_invoices == () and outcome.settled_orders == ()
    assert acct.receivables["i1"].outstanding == Decimal("39000.00")


def test_advance_without_invoices_becomes_unapplied_credit_and_lowers_exposure(
    account: Callable[..., CustomerAccount],
) -> None:
    acct = account("100000")
    outcome = acct.receive_payment(pay("25000"))
    assert outcome.allocations == () and outcome.unapplied_amount == Decimal("25000.00")
    assert acct.exposure().total == Decimal("-25000.00")
    assert acct.check_order("SO-1", Decimal("125000"), TODAY).approved


def test_unapplied_credit_is_applied_to_a_later_invoice(
    account: Callable[..., CustomerAccount], post: Callable[..., Receivable]
) -> None:
    acct = account()
    acct.receive_payment(pay("25000"))
    post(acct, "i1", "20000", order="SO-1")

    outcome = acct.apply_unapplied_credit("APPLY-1", TODAY)

    assert outcome.settled_invoices == ("i1",)
    assert acct.unapplied_credit == Decimal("5000.00")
    assert acct.apply_unapplied_credit("APPLY-1", TODAY) is outcome  # idempotent


def test_small_residue_is_written_off_within_the_limit(
    account: Callable[..., CustomerAccount], post: Callable[..., Receivable]
) -> None:
    acct = account()
    post(acct, "i1", "59000.40")
    outcome = acct.receive_payment(pay("59000"), write_off_limit=Decimal("1"))
    assert outcome.allocations[0].write_off == Decimal("0.40")
    assert outcome.settled_invoices == ("i1",)


def test_residue_above_the_write_off_limit_stays_owed(
    account: Callable[..., CustomerAccount], post: Callable[..., Receivable]
) -> None:
    acct = account()
    post(acct, "i1", "59010")
    outcome = acct.receive_payment(pay("59000"), write_off_limit=Decimal("1"))
    assert outcome.allocations[0].write_off == Decimal("0.00")
    assert acct.receivables["i1"].outstanding == Decimal("10.00")


def test_finance_writes_off_a_residue_later_but_not_above_the_limit(
    account: Callable[..., CustomerAccount], post: Callable[..., Receivable], executive: Actor, sales: Actor
) -> None:
    acct = account()
    post(acct, "i1", "59010")
    acct.receive_payment(pay("59000"))

    with pytest.raises(ConflictingState):
        acct.write_off("W1", "i1", Decimal("10"), Decimal("5"), TODAY, executive)
    with pytest.raises(NotAuthorised):
        acct.write_off("W1", "i1", Decimal("10"), Decimal("50"), TODAY, sales)
    assert acct.write_off("W1", "i1", Decimal("10"), Decimal("50"), TODAY, executive)
    assert not acct.write_off("W1", "i1", Decimal("10"), Decimal("50"), TODAY, executive)
    assert acct.receivables["i1"].is_settled


def test_same_payment_twice_is_applied_once(
    account: Callable[..., CustomerAccount], post: Callable[..., Receivable]
) -> None:
    acct = account()
    post(acct, "i1", "59000")
    first = acct.receive_payment(pay("30000"))
    again = acct.receive_payment(pay("30000"))
    assert again is first
    assert acct.receivables["i1"].outstanding == Decimal("29000.00")
    assert acct.statement(TODAY, TODAY).closing_balance == Decimal("29000.00")


def test_order_is_not_settled_while_part_of_it_is_still_to_be_invoiced(
    account: Callable[..., CustomerAccount], post: Callable[..., Receivable]
) -> None:
    acct = account()
    acct.check_order("SO-1", Decimal("100000"), TODAY)
    post(acct, "i1", "60000", order="SO-1")

    outcome = acct.receive_payment(pay("60000"))

    assert outcome.settled_invoices == ("i1",)
    assert outcome.settled_orders == ()
    acct.release_exposure("SO-1", "backorder-cancelled")
    assert acct.is_order_settled("SO-1")


def test_credit_note_reduces_the_receivable_of_its_invoice(
    account: Callable[..., CustomerAccount], post: Callable[..., Receivable]
) -> None:
    acct = account()
    post(acct, "i1", "59000")
    post(acct, "i2", "11800")

    outcome = acct.apply_credit_note("CN-1", "i2", Decimal("11800"), TODAY, "CRN/26-27/000001")

    assert outcome.settled and outcome.to_unapplied_credit == Decimal("0.00")
    assert acct.receivables["i1"].outstanding == Decimal("59000.00")
    assert acct.exposure().receivables == Decimal("59000.00")


def test_credit_note_on_a_paid_invoice_becomes_customer_credit_once(
    account: Callable[..., CustomerAccount], post: Callable[..., Receivable]
) -> None:
    acct = account()
    post(acct, "i1", "10000")
    acct.receive_payment(pay("6000"))

    first = acct.apply_credit_note("CN-1", "i1", Decimal("5000"), TODAY)
    again = acct.apply_credit_note("CN-1", "i1", Decimal("5000"), TODAY)

    assert first == again
    assert (first.reduced_receivable, first.to_unapplied_credit) == (Decimal("4000.00"), Decimal("1000.00"))
    assert acct.unapplied_credit == Decimal("1000.00")
    assert acct.exposure().total == Decimal("-1000.00")


def test_payment_must_bring_something() -> None:
    with pytest.raises(InvalidValue):
        pay("0")
    with pytest.raises(InvalidValue):
        pay("-5")


def test_receivable_refuses_more_than_is_owed(invoice: Callable[..., Receivable]) -> None:
    r = invoice("100")
    with pytest.raises(ConflictingState):
        r.apply_payment("p", Decimal("100.01"), Decimal("0"), TODAY)


def test_tds_on_an_advance_is_recorded_and_kept_as_credit(account: Callable[..., CustomerAccount]) -> None:
    acct = account()
    outcome = acct.receive_payment(pay("99900", tds="100"))
    assert acct.tds_receivable == Decimal("100.00")
    assert outcome.unapplied_amount == Decimal("100000.00")
