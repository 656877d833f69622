"""Issue 24 on the in-memory unit of work: opening balances (dry run naming every refused row, all-or-nothing
commit, counted in exposure and ageing, paid like any receivable, never imported twice), a payment reversal
(a bounced cheque) restoring receivables and exposure, and a refund of unapplied credit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from o2c.contracts.v1 import credit as c
from o2c.credit.domain import Actor, ConflictingState, InvalidValue, NotAuthorised, Role, business_date
from o2c.credit.domain.opening_balances import parse_opening_balances
from o2c.credit.service_layer import use_cases as uc
from o2c.testsupport.credit.credit_builders import T0, customer, invoice, invoice_cancelled
from o2c.testsupport.credit.fakes import FakeUnitOfWork
from o2c.testsupport.credit.steps import EXEC, HEAD, decide

D = Decimal
HEADER = "customer_id,legacy_invoice_no,invoice_date,due_date,amount\n"
GOOD = HEADER + "C1,OLD/25-26/0101,2026-02-10,,118000.00\nC1,OLD/25-26/0155,2026-06-05,2026-07-05,59000\n"


async def _with_customers(*ids: str) -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    for customer_id in ids:
        await uc.apply_customer_master(uow, customer(customer_id, "1000000.00", terms=30), T0)
    return uow


def test_every_fault_of_a_file_is_named_by_row_and_column() -> None:
    text = HEADER + ("C1,OLD-1,2026-02-30,,100\n"      # row 2: no such day
                     "C1,OLD-2,2026-05-01,,-5\n"        # row 3: negative
                     "C1,OLD-3,2026-05-01,,12.345\n"    # row 4: three places
                     "C1,old-2,2026-05-01,,10\n"        # row 5: duplicate of row 3 (case-insensitive)
                     "C1,OLD-5,2026-07-01,,10\n"        # row 6: after today
                     ",OLD-6,2026-05-01,2026-04-01,10\n")  # row 7: no customer, due before invoice
    rows, refusals = parse_opening_balances(text, date(2026, 6, 30))
    assert rows == []
    assert [(r.row, r.column) for r in refusals] == [
        (2, "invoice_date"), (3, "amount"), (4, "amount"), (5, "legacy_invoice_no"), (6, "invoice_date"),
        (7, "customer_id"), (7, "due_date")]
    assert "duplicate within the file (row 3)" in refusals[3].reason
    _, missing = parse_opening_balances("customer_id,amount\n", date(2026, 6, 30))
    assert [(r.row, r.column, r.reason) for r in missing] == [
        (1, "legacy_invoice_no", "missing column"), (1, "invoice_date", "missing column")]


async def test_dry_run_lists_refusals_and_changes_nothing_then_the_commit_is_all_or_nothing() -> None:
    uow = await _with_customers("C1")
    text = GOOD + "C9,OLD-9,2026-05-01,,10\nC1,OLD-X,2026-05-01,,abc\n"
    report = await uc.import_opening_balances(uow, text, commit=False, by=EXEC, now=T0)
    assert report["dry_run"] and not report["imported"] and report["rows_accepted"] == 2
    assert report["refused"] == [
        {"row": 4, "column": "customer_id", "reason": "unknown customer C9"},
        {"row": 5, "column": "amount", "reason": "bad amount 'abc': a positive rupee amount, at most 2 places"}]
    with pytest.raises(uc.OpeningBalancesRefused) as refused:
        await uc.import_opening_balances(uow, text, commit=True, by=EXEC, now=T0)
    assert [r.field for r in refused.value.refusals] == ["row 4.customer_id", "row 5.amount"]
    record = await uow.accounts.get("C1")
    assert record is not None and record.account.receivables == {}


async def test_imported_balances_count_in_exposure_and_ageing_are_paid_and_are_never_imported_twice() -> None:
    uow = await _with_customers("C1")
    report = await uc.import_opening_balances(uow, GOOD, commit=True, by=HEAD, now=T0)
    assert report["imported"] and report["total_amount"] == "177000.00"
    record = await uow.accounts.get("C1")
    assert record is not None
    account = record.account
    old = account.receivables["OB-OLD/25-26/0101"]
    assert old.is_opening_balance and old.order_id == "" and old.due_date == date(2026, 3, 12)  # 30 days' terms
    assert account.exposure().total == D("177000.00")
    ageing = account.ageing(business_date(T0))
    assert (ageing.days_0_30, ageing.days_over_90) == (D("59000.00"), D("118000.00"))
    assert [e.kind.value for e in account.ledger] == ["opening_balance", "opening_balance"]
    again = await uc.import_opening_balances(uow, GOOD, commit=False, by=HEAD, now=T0)
    assert [(r["row"], r["column"], r["reason"]) for r in again["refused"]] == [
        (2, "legacy_invoice_no", "already imported for customer C1"),
        (3, "legacy_invoice_no", "already imported for customer C1")]
    # Paid like any receivable, oldest first; no InvoiceSettled (no order, no o2c invoice for sales to mark).
    doc = await uc.record_payment(uow, uc.PaymentInput("C1", D("120000.00"), date(2026, 6, 30),
                                                       c.PaymentMode.NEFT), HEAD, T0)
    (received,) = uow.of_type(c.PaymentReceived)
    assert received.allocations == []
    assert [(a.invoice_no, a.amount) for a in received.opening_balance_allocations] == [
        ("OLD/25-26/0101", D("118000.00")), ("OLD/25-26/0155", D("2000.00"))]
    assert doc["settled_invoices"] == ["OB-OLD/25-26/0101"] and doc["settled_orders"] == []
    assert uow.of_type(c.InvoiceSettled) == [] and uow.of_type(c.OrderSettled) == []
    with pytest.raises(NotAuthorised):
        await uc.import_opening_balances(uow, GOOD, commit=False, by=Actor("s", Role.SALES_HEAD), now=T0)


async def test_a_bounced_cheque_restores_receivables_unapplied_credit_and_exposure_once() -> None:
    uow = await _with_customers("C2")
    await decide(uow, "O-1", "C2", "100000.00")
    await uc.post_invoice(uow, invoice("inv-000001", "O-1", "C2", "100000.00"), T0)
    doc = await uc.record_payment(uow, uc.PaymentInput("C2", D("105000.00"), date(2026, 6, 30),
                                                       c.PaymentMode.CHEQUE), HEAD, T0)
    assert doc["settled_orders"] == ["O-1"]
    before = await uow.accounts.get("C2")
    assert before is not None and before.account.exposure().total == D("-5000.00")
    answer = await uc.reverse_payment(uow, "C2", doc["payment_id"], c.PaymentReversalReason.CHEQUE_BOUNCED,
                                      "returned: funds insufficient", EXEC, T0, bounce_charge=D("590.00"))
    assert answer["reversal_id"] == "REV/26-27/000001" and answer["exposure"] == "100000.00"
    (reversed_,) = uow.of_type(c.PaymentReversed)
    assert reversed_.amount == D("105000.00") and reversed_.unapplied_reversed == D("5000.00")
    assert reversed_.bounce_charge == D("590.00") and reversed_.reopened_invoice_ids == ["inv-000001"]
    assert [(a.invoice_id, a.amount) for a in reversed_.allocations] == [("inv-000001", D("100000.00"))]
    after = await uow.accounts.get("C2")
    assert after is not None
    receivable = after.account.receivables["inv-000001"]
    assert receivable.outstanding == D("100000.00") and receivable.paid == D("0.00") and not receivable.is_settled
    assert receivable.settled_on is None and after.account.unapplied_credit == D("0.00")
    repeat = await uc.reverse_payment(uow, "C2", doc["payment_id"], c.PaymentReversalReason.CHEQUE_BOUNCED,
                                      "again", EXEC, T0, bounce_charge=D("590.00"))
    assert repeat["reversal_id"] == answer["reversal_id"] and len(uow.of_type(c.PaymentReversed)) == 1
    with pytest.raises(uc.NotFoundError):
        await uc.reverse_payment(uow, "C2", "RCT/26-27/009999", c.PaymentReversalReason.RECORDED_IN_ERROR, "",
                                 EXEC, T0)


async def test_a_reversal_whose_unapplied_part_was_refunded_is_refused() -> None:
    uow = await _with_customers("C3")
    doc = await uc.record_payment(uow, uc.PaymentInput("C3", D("5000.00"), date(2026, 6, 30), c.PaymentMode.CHEQUE),
                                  HEAD, T0)
    await uc.refund_unapplied_credit(uow, "C3", D("1000.00"), date(2026, 6, 30), c.PaymentMode.NEFT, "UTR1", "",
                                     HEAD, T0)
    with pytest.raises(ConflictingState):
        await uc.reverse_payment(uow, "C3", doc["payment_id"], c.PaymentReversalReason.RECORDED_IN_ERROR, "", HEAD,
                                 T0, bounce_charge=D("590.00"))


async def test_cash_on_an_invoice_cancelled_since_is_taken_back_from_unapplied_credit() -> None:
    uow = await _with_customers("C5")
    await decide(uow, "O-5", "C5", "50000.00")
    inv = invoice("inv-000050", "O-5", "C5", "50000.00")
    await uc.post_invoice(uow, inv, T0)
    doc = await uc.record_payment(uow, uc.PaymentInput("C5", D("50000.00"), date(2026, 6, 30), c.PaymentMode.CHEQUE),
                                  HEAD, T0)
    assert await uc.cancel_invoice(uow, invoice_cancelled(inv))
    answer = await uc.reverse_payment(uow, "C5", doc["payment_id"], c.PaymentReversalReason.CHEQUE_BOUNCED, "",
                                      HEAD, T0)
    assert answer["unapplied_reversed"] == "50000.00" and answer["unapplied_credit"] == "0.00"
    record = await uow.accounts.get("C5")
    assert record is not None and record.account.receivables["inv-000050"].outstanding <= 0


async def test_a_refund_reduces_unapplied_credit_never_below_zero() -> None:
    uow = await _with_customers("C4")
    await uc.record_payment(uow, uc.PaymentInput("C4", D("2500.00"), date(2026, 6, 30), c.PaymentMode.NEFT),
                            HEAD, T0)
    with pytest.raises(InvalidValue) as err:
        await uc.refund_unapplied_credit(uow, "C4", D("2500.01"), date(2026, 6, 30), c.PaymentMode.NEFT, "UTR9", "",
                                         HEAD, T0)
    assert err.value.field == "amount"
    doc = await uc.refund_unapplied_credit(uow, "C4", D("2500.00"), date(2026, 6, 30), c.PaymentMode.NEFT,
                                           "UTR2026063000001", "advance returned", EXEC, T0)
    assert doc["refund_id"] == "RFD/26-27/000001" and doc["unapplied_after"] == "0.00"
    (refunded,) = uow.of_type(c.UnappliedCreditRefunded)
    assert refunded.amount == D("2500.00") and refunded.reference == "UTR2026063000001"
    record = await uow.accounts.get("C4")
    assert record is not None and record.account.unapplied_credit == D("0.00")
    assert record.account.ledger[-1].kind.value == "refund" and record.account.ledger[-1].debit == D("2500.00")
    with pytest.raises(InvalidValue):
        await uc.refund_unapplied_credit(uow, "C4", D("1.00"), date(2026, 6, 30), c.PaymentMode.NEFT, "UTR3", "",
                                         HEAD, T0)
    with pytest.raises(uc.NotFoundError):
        await uc.refund_unapplied_credit(uow, "C-none", D("1.00"), date(2026, 6, 30), c.PaymentMode.NEFT, "U", "",
                                         HEAD, T0)
