from collections.abc import Callable
from datetime import date
from decimal import Decimal

from o2c.credit.domain import CustomerAccount, Receivable

TODAY = date(2026, 6, 30)


def test_invoiced_part_moves_from_open_order_to_receivable(
    account: Callable[..., CustomerAccount], post: Callable[..., Receivable]
) -> None:
    acct = account("1000000")
    acct.check_order("SO-1", Decimal("118000"), TODAY)

    posting = acct.post_invoice(invoice_id="i1", invoice_no="INV/1", order_id="SO-1", invoice_date=TODAY,
                                amount=Decimal("59000"), taxable_value=Decimal("50000"))

    assert posting.is_new and posting.open_order_released == Decimal("59000.00")
    exposure = acct.exposure()
    assert (exposure.receivables, exposure.open_orders, exposure.total) == (
        Decimal("59000.00"), Decimal("59000.00"), Decimal("118000.00"))


def test_same_invoice_twice_makes_one_receivable(account: Callable[..., CustomerAccount]) -> None:
    acct = account()
    acct.check_order("SO-1", Decimal("59000"), TODAY)
    kwargs = dict(invoice_id="i1", invoice_no="INV/1", order_id="SO-1", invoice_date=TODAY,
                  amount=Decimal("59000"), taxable_value=Decimal("50000"))

    first = acct.post_invoice(**kwargs)  # type: ignore[arg-type]
    second = acct.post_invoice(**kwargs)  # type: ignore[arg-type]

    assert first.is_new and not second.is_new
    assert second.open_order_released == first.open_order_released
    assert len(acct.receivables) == 1
    assert acct.exposure().total == Decimal("59000.00")
    assert len(acct.ledger) == 1


def test_invoice_above_the_open_amount_never_makes_open_orders_negative(
    account: Callable[..., CustomerAccount],
) -> None:
    acct = account()
    acct.check_order("SO-1", Decimal("50000"), TODAY)
    posting = acct.post_invoice(invoice_id="i1", invoice_no="INV/1", order_id="SO-1", invoice_date=TODAY,
                                amount=Decimal("50010"), taxable_value=Decimal("42381.36"))
    assert posting.open_order_released == Decimal("50000.00")
    assert acct.exposure().open_orders == Decimal("0.00")
    assert acct.exposure().receivables == Decimal("50010.00")


def test_due_date_comes_from_payment_terms(account: Callable[..., CustomerAccount]) -> None:
    acct = account(terms=45)
    r = acct.post_invoice(invoice_id="i1", invoice_no="INV/1", order_id="SO-1", invoice_date=date(2026, 6, 1),
                          amount=Decimal("1180"), taxable_value=Decimal("1000")).receivable
    assert r.due_date == date(2026, 7, 16)
    r2 = acct.post_invoice(invoice_id="i2", invoice_no="INV/2", order_id="SO-1", invoice_date=date(2026, 6, 1),
                           amount=Decimal("1180"), taxable_value=Decimal("1000"), payment_terms_days=7).receivable
    assert r2.due_date == date(2026, 6, 8)


def test_short_picked_remainder_leaves_exposure_when_released(account: Callable[..., CustomerAccount]) -> None:
    acct = account()
    acct.check_order("SO-1", Decimal("100000"), TODAY)
    acct.post_invoice(invoice_id="i1", invoice_no="INV/1", order_id="SO-1", invoice_date=TODAY,
                      amount=Decimal("85000"), taxable_value=Decimal("72033.90"))

    release = acct.release_exposure("SO-1", "rel-1", Decimal("15000"))

    assert release.released_amount == Decimal("15000.00")
    assert release.open_order_exposure_after == Decimal("0.00")
    assert acct.exposure().total == Decimal("85000.00")


def test_repeated_release_request_releases_once(account: Callable[..., CustomerAccount]) -> None:
    acct = account()
    acct.check_order("SO-1", Decimal("100000"), TODAY)
    first = acct.release_exposure("SO-1", "rel-1", Decimal("30000"))
    again = acct.release_exposure("SO-1", "rel-1", Decimal("30000"))
    assert first == again
    assert acct.exposure().open_orders == Decimal("70000.00")


def test_cancelling_the_whole_order_releases_everything_uninvoiced(account: Callable[..., CustomerAccount]) -> None:
    acct = account()
    acct.check_order("SO-1", Decimal("100000"), TODAY)
    acct.post_invoice(invoice_id="i1", invoice_no="INV/1", order_id="SO-1", invoice_date=TODAY,
                      amount=Decimal("40000"), taxable_value=Decimal("33898.31"))
    release = acct.release_exposure("SO-1", "cancel", None)
    assert release.released_amount == Decimal("60000.00")
    assert acct.exposure().open_orders == Decimal("0.00")


def test_release_never_frees_more_than_is_open(account: Callable[..., CustomerAccount]) -> None:
    acct = account()
    acct.check_order("SO-1", Decimal("10000"), TODAY)
    assert acct.release_exposure("SO-1", "r", Decimal("25000")).released_amount == Decimal("10000.00")


def test_released_remainder_of_a_held_order_is_not_counted_after_sanction(
    account: Callable[..., CustomerAccount],
) -> None:
    acct = account("100000")
    acct.check_order("SO-1", Decimal("150000"), TODAY)  # held
    release = acct.release_exposure("SO-1", "backorder", Decimal("50000"))
    assert release.released_amount == Decimal("0.00")  # it was not counted yet

    acct.sanction_order("SO-1")

    assert acct.exposure().open_orders == Decimal("100000.00")


def test_release_for_an_unknown_order_replies_with_nothing(account: Callable[..., CustomerAccount]) -> None:
    release = account().release_exposure("SO-404", "r1")
    assert release.released_amount == Decimal("0.00")


def test_invoice_of_an_order_that_never_used_headroom_releases_no_exposure(
    account: Callable[..., CustomerAccount],
) -> None:
    acct = account("1000")
    acct.check_order("SO-1", Decimal("5000"), TODAY)  # held
    posting = acct.post_invoice(invoice_id="i1", invoice_no="INV/1", order_id="SO-1", invoice_date=TODAY,
                                amount=Decimal("5000"), taxable_value=Decimal("4237.29"))
    assert posting.open_order_released == Decimal("0.00")
    assert acct.post_invoice(invoice_id="i1", invoice_no="INV/1", order_id="SO-1", invoice_date=TODAY,
                             amount=Decimal("5000"), taxable_value=Decimal("4237.29")).open_order_released == 0
    acct.sanction_order("SO-1")
    assert acct.exposure().total == Decimal("5000.00")  # counted once, as the receivable


# 40 boxes at ₹1,770 gross = ₹70,800; 10 boxes = ₹17,700; 30 boxes = ₹53,100.


def test_an_amended_order_counts_its_whole_new_revision_not_less_the_old_revisions_release(
    account: Callable[..., CustomerAccount],
) -> None:
    acct = account()
    acct.check_order("SO-1", Decimal("70800"), TODAY)
    assert acct.release_exposure("SO-1", "backorder", Decimal("17700")).released_amount == Decimal("17700.00")

    acct.check_order("SO-1", Decimal("53100"), TODAY, revision=2)  # amended to 30 boxes, all to ship

    assert acct.exposure().open_orders == Decimal("53100.00")
    again = acct.release_exposure("SO-1", "backorder", Decimal("17700"))  # the old release redelivered
    assert again.released_amount == Decimal("17700.00")  # its first reply, and it frees nothing more
    assert acct.exposure().open_orders == Decimal("53100.00")


def test_a_release_after_the_amendment_reduces_the_new_revision(account: Callable[..., CustomerAccount]) -> None:
    acct = account()
    acct.check_order("SO-1", Decimal("70800"), TODAY)
    acct.release_exposure("SO-1", "backorder-r1", Decimal("17700"))
    acct.check_order("SO-1", Decimal("53100"), TODAY, revision=2)

    release = acct.release_exposure("SO-1", "backorder-r2", Decimal("17700"))  # 10 of the 30 backordered

    assert (release.released_amount, release.open_order_exposure_after) == (Decimal("17700.00"),
                                                                          Decimal("35400.00"))
    assert acct.exposure().open_orders == Decimal("35400.00")


def test_a_release_of_the_old_revision_overtaken_by_the_amendment_frees_nothing(
    account: Callable[..., CustomerAccount],
) -> None:
    acct = account()
    acct.check_order("SO-1", Decimal("70800"), TODAY)
    acct.check_order("SO-1", Decimal("53100"), TODAY, revision=2)  # read before the release sent for revision 1

    late = acct.release_exposure("SO-1", "backorder-r1", Decimal("17700"), revision=1)
    again = acct.release_exposure("SO-1", "backorder-r1", Decimal("17700"), revision=1)

    assert late == again and late.released_amount == Decimal("0.00")
    assert acct.exposure().open_orders == Decimal("53100.00")
    current = acct.release_exposure("SO-1", "backorder-r2", Decimal("17700"), revision=2)
    assert (current.released_amount, acct.exposure().open_orders) == (Decimal("17700.00"), Decimal("35400.00"))
