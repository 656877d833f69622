"""Receivables and payments: invoices posted once, cancelled invoices, credit notes, payments allocated with
TDS, write-offs, and the account document that carries them (on the in-memory unit of work)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from o2c.contracts.v1 import credit as c
from o2c.credit.domain import Actor, ConflictingState, InvalidValue, NotAuthorised, Role
from o2c.credit.service_layer import use_cases as uc
from o2c.testsupport.credit.credit_builders import T0, credit_note, customer, invoice, invoice_cancelled
from o2c.testsupport.credit.fakes import FakeUnitOfWork
from o2c.testsupport.credit.steps import EXEC, HEAD, decide

D = Decimal


async def test_tds_short_payment_settles_both_invoices_and_records_tds_receivable() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C3", "1000000.00"), T0)
    await decide(uow, "O-T", "C3", "118000.00")
    for n, day in (("inv-000001", date(2026, 6, 1)), ("inv-000002", date(2026, 6, 5))):
        assert await uc.post_invoice(uow, invoice(n, "O-T", "C3", "59000.00", "50000.00", invoice_date=day), T0)
    doc = await uc.record_payment(uow, uc.PaymentInput("C3", D("117900.00"), date(2026, 6, 30),
                                                       c.PaymentMode.NEFT, tds_deducted=D("100.00")),
                                  HEAD, T0)
    assert doc["receipt_no"] == "RCT/26-27/000001" and doc["tds_receivable"] == "100.00"
    assert sorted(doc["settled_invoices"]) == ["inv-000001", "inv-000002"] and doc["settled_orders"] == ["O-T"]
    settled = uow.of_type(c.InvoiceSettled)
    assert {s.invoice_id: (s.paid_amount, s.tds_amount) for s in settled} == {
        "inv-000001": (D("58950.00"), D("50.00")), "inv-000002": (D("58950.00"), D("50.00"))}
    assert [o.order_id for o in uow.of_type(c.OrderSettled)] == ["O-T"]
    advance = await uc.record_payment(uow, uc.PaymentInput("C3", D("5000.00"), date(2026, 6, 30),
                                                           c.PaymentMode.NEFT), HEAD, T0)
    assert advance["receipt_no"] == "RCT/26-27/000002" and advance["unapplied_amount"] == "5000.00"
    assert sorted(uow.payments.docs) == ["RCT/26-27/000001", "RCT/26-27/000002"]
    record = await uow.accounts.get("C3")
    assert record is not None and record.account.tds_receivable == D("100.00")


async def test_payment_without_invoices_goes_oldest_first_and_the_rest_stays_unapplied() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C4"), T0)
    await decide(uow, "O-1", "C4", "200000.00")
    await uc.post_invoice(uow, invoice("inv-000010", "O-1", "C4", "100000.00", invoice_date=date(2026, 6, 10)), T0)
    await uc.post_invoice(uow, invoice("inv-000009", "O-1", "C4", "50000.00", invoice_date=date(2026, 6, 2)), T0)
    doc = await uc.record_payment(uow, uc.PaymentInput("C4", D("80000.00"), date(2026, 6, 30), c.PaymentMode.UPI),
                                  HEAD, T0)
    assert [(a["invoice_id"], a["amount"]) for a in doc["allocations"]] == [
        ("inv-000009", "50000.00"), ("inv-000010", "30000.00")]
    doc = await uc.record_payment(uow, uc.PaymentInput("C4", D("75000.00"), date(2026, 6, 30), c.PaymentMode.UPI),
                                  HEAD, T0)
    assert doc["unapplied_amount"] == "5000.00"
    with pytest.raises(InvalidValue) as err:
        await uc.record_payment(uow, uc.PaymentInput("C4", D("1.00"), date(2026, 6, 30), c.PaymentMode.UPI,
                                                     invoice_ids=("inv-nope",)), HEAD, T0)
    assert err.value.field == "invoice_ids"
    with pytest.raises(InvalidValue) as err:
        await uc.record_payment(uow, uc.PaymentInput("C4", D("1.00"), date(2026, 6, 30), c.PaymentMode.UPI,
                                                     write_off_limit=D("500")), HEAD, T0, max_write_off=D("100"))
    assert err.value.field == "write_off_limit"


async def test_the_same_invoice_twice_posts_one_receivable() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C5"), T0)
    await decide(uow, "O-1", "C5", "100000.00")
    inv = invoice("inv-000020", "O-1", "C5", "100000.00")
    assert await uc.post_invoice(uow, inv, T0)
    assert not await uc.post_invoice(uow, inv, T0)
    (posted,) = uow.of_type(c.ReceivablePosted)
    assert posted.open_order_released == D("100000.00") and posted.due_date == date(2026, 7, 1)
    record = await uow.accounts.get("C5")
    assert record is not None and record.account.exposure().total == D("100000.00")


async def test_cancelled_invoice_returns_to_open_order_and_a_credit_note_reduces_the_receivable() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C7"), T0)
    await decide(uow, "O-1", "C7", "100000.00")
    inv = invoice("inv-000030", "O-1", "C7", "100000.00")
    await uc.post_invoice(uow, inv, T0)
    assert await uc.cancel_invoice(uow, invoice_cancelled(inv))
    assert not await uc.cancel_invoice(uow, invoice_cancelled(inv))
    record = await uow.accounts.get("C7")
    assert record is not None
    assert record.account.exposure().receivables == D("0.00")
    assert record.account.exposure().open_orders == D("100000.00")
    inv2 = invoice("inv-000031", "O-1", "C7", "100000.00")
    await uc.post_invoice(uow, inv2, T0)
    assert await uc.apply_credit_note(uow, credit_note("cn-0001", inv2, "20000.00"))
    assert not await uc.apply_credit_note(uow, credit_note("cn-0001", inv2, "20000.00"))
    record = await uow.accounts.get("C7")
    assert record is not None and record.account.receivables["inv-000031"].outstanding == D("80000.00")


async def test_a_payment_for_a_customer_credit_does_not_know_is_refused_naming_the_field() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(InvalidValue) as err:
        await uc.record_payment(uow, uc.PaymentInput("NOBODY", D("10.00"), date(2026, 6, 30), c.PaymentMode.UPI),
                                HEAD, T0)
    assert err.value.field == "customer_id" and "NOBODY" not in uow.accounts


async def test_the_account_document_round_trips_everything() -> None:
    from o2c.credit.adapters.codec import dump_account_json, load_account_json

    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C11", "100000.00"), T0)
    await uc.update_profile(uow, "C11", uc.ProfileUpdate(temporary_increase=uc.TemporaryIncreaseRequest(
        D("5000"), date(2026, 7, 15), "season")), HEAD, T0)
    await decide(uow, "O-1", "C11", "80000.00")
    await decide(uow, "O-1", "C11", "50000.00", request_id="rc-1")
    inv = invoice("inv-000041", "O-1", "C11", "59000.00", "50000.00")
    await uc.post_invoice(uow, inv, T0)
    await uc.apply_credit_note(uow, credit_note("cn-0041", inv, "1180.00"))
    await uc.record_payment(uow, uc.PaymentInput("C11", D("60000.00"), date(2026, 6, 30), c.PaymentMode.RTGS,
                                                 tds_deducted=D("49.00"), write_off_limit=D("1.00")),
                            HEAD, T0, max_write_off=D("100"))
    account = load_account_json(uow.accounts.rows["C11"][0])
    again = load_account_json(dump_account_json(account))
    assert again == account
    assert again.decisions and again.rechecks and again.payments and again.credit_notes and again.ledger
    assert again.open_orders["O-1"].pending_additions == {"rc-1": D("50000.00")}
    assert again.unapplied_credit > 0 and again.tds_receivable == D("49.00")
    # The first stored layout (the account's fields at the top, decisions beside them) still reads.
    current = json.loads(dump_account_json(account))
    first_layout = {**current["account"], "decisions": current["decisions"]}
    assert load_account_json(json.dumps(first_layout)) == account


async def test_finance_writes_off_a_small_residue_within_the_limit_and_the_invoice_settles() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C12"), T0)
    await decide(uow, "O-1", "C12", "59000.00")
    await uc.post_invoice(uow, invoice("inv-000050", "O-1", "C12", "59000.00", "50000.00"), T0)
    await uc.record_payment(uow, uc.PaymentInput("C12", D("58960.00"), date(2026, 6, 30), c.PaymentMode.NEFT),
                            HEAD, T0)
    with pytest.raises(InvalidValue) as err:
        await uc.write_off_residue(uow, "C12", "inv-000050", D("40.00"), HEAD, T0, limit=D("10.00"))
    assert err.value.field == "amount"
    with pytest.raises(ConflictingState):  # more than is owed
        await uc.write_off_residue(uow, "C12", "inv-000050", D("50.00"), HEAD, T0, limit=D("100.00"))
    with pytest.raises(NotAuthorised):
        await uc.write_off_residue(uow, "C12", "inv-000050", D("40.00"), Actor("s", Role.SALES_HEAD), T0,
                                   limit=D("100.00"))
    done = await uc.write_off_residue(uow, "C12", "inv-000050", D("40.00"), EXEC, T0, limit=D("100.00"))
    assert done["write_off_id"].startswith("WO/26-27/") and done["applied"]
    assert done["settled"] and done["outstanding"] == "0.00"
    with pytest.raises(ConflictingState):  # nothing is owed any more
        await uc.write_off_residue(uow, "C12", "inv-000050", D("1.00"), EXEC, T0, limit=D("100.00"))
    (settled,) = uow.of_type(c.InvoiceSettled)
    assert settled.written_off == D("40.00") and [o.order_id for o in uow.of_type(c.OrderSettled)] == ["O-1"]
