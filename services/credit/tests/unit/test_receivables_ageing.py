from collections.abc import Callable
from datetime import date
from decimal import Decimal

from o2c.credit.domain import Ageing, Receivable, age_receivables, oldest_overdue_invoice, payment_behaviour

TODAY = date(2026, 6, 30)


def test_invoice_75_days_old_ages_in_61_to_90_with_its_exact_amount(invoice: Callable[..., Receivable]) -> None:
    ageing = age_receivables([invoice("123456.78", days_old=75)], TODAY)
    assert ageing == Ageing(days_61_90=Decimal("123456.78"))


def test_bucket_boundaries_follow_days_past_invoice_date(invoice: Callable[..., Receivable]) -> None:
    receivables = [invoice("1", days_old=d) for d in (0, 30)] + [invoice("10", days_old=d) for d in (31, 60)]
    receivables += [invoice("100", days_old=d) for d in (61, 90)] + [invoice("1000", days_old=d) for d in (91, 400)]

    ageing = age_receivables(receivables, TODAY)

    assert ageing == Ageing(Decimal("2.00"), Decimal("20.00"), Decimal("200.00"), Decimal("2000.00"))
    assert ageing.total == Decimal("2222.00")


def test_ageing_counts_only_what_is_still_owed(invoice: Callable[..., Receivable]) -> None:
    part_paid = invoice("59000", days_old=40)
    part_paid.apply_payment("p1", Decimal("9000"), Decimal("0"), TODAY)
    paid = invoice("1000", days_old=10)
    paid.apply_payment("p2", Decimal("1000"), Decimal("0"), TODAY)

    assert age_receivables([part_paid, paid], TODAY) == Ageing(days_31_60=Decimal("50000.00"))


def test_oldest_overdue_invoice_is_named(invoice: Callable[..., Receivable]) -> None:
    newer = invoice("5000", days_old=40, terms=30)
    oldest = invoice("7000", days_old=95, terms=60)
    invoice("9000", days_old=10, terms=30)  # not yet due

    found = oldest_overdue_invoice([newer, oldest], TODAY)

    assert found is not None
    assert (found.invoice_no, found.days_overdue, found.outstanding) == (oldest.invoice_no, 35, Decimal("7000.00"))


def test_settled_invoice_is_never_overdue(invoice: Callable[..., Receivable]) -> None:
    r = invoice("5000", days_old=100)
    r.apply_payment("p1", Decimal("5000"), Decimal("0"), TODAY)
    assert r.days_overdue(TODAY) == 0
    assert oldest_overdue_invoice([r], TODAY) is None


def test_payment_history_shows_how_late_the_customer_pays(invoice: Callable[..., Receivable]) -> None:
    on_time = invoice("1000", days_old=50, terms=30)
    on_time.apply_payment("p1", Decimal("1000"), Decimal("0"), date(2026, 5, 31))  # day 20
    late = invoice("1000", days_old=80, terms=30)
    late.apply_payment("p2", Decimal("1000"), Decimal("0"), date(2026, 5, 21))  # day 40, 10 late

    history = payment_behaviour([on_time, late, invoice("1", days_old=1)])

    assert history.invoices_settled == 2
    assert history.average_days_to_settle == Decimal("30.0")
    assert history.average_days_late == Decimal("5.0")
