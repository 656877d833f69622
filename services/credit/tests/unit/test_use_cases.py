"""Credit's use cases on an in-memory unit of work: what each one changes and publishes."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from o2c.contracts.v1 import credit as c
from o2c.contracts.v1.invoicing import InvoiceIssued
from o2c.credit.domain import Actor, ConflictingState, InvalidValue, NotAuthorised, Role, SanctionPolicy
from o2c.credit.service_layer import use_cases as uc
from o2c.testsupport.credit.credit_builders import (
    T0,
    FakeUnitOfWork,
    credit_note,
    customer,
    invoice,
    invoice_cancelled,
    release,
)

D = Decimal
POLICY = SanctionPolicy()
HEAD = Actor("meera", Role.FINANCE_HEAD)
EXEC = Actor("farah", Role.FINANCE_EXECUTIVE, approval_limit=D("100000"))


async def decide(uow: FakeUnitOfWork, order_id: str, cust: str, gross: str, revision: int = 1,
                 request_id: str | None = None, at=T0) -> None:  # type: ignore[no-untyped-def]
    await uc.decide_order(uow, uc.OrderToDecide(order_id, cust, revision, D(gross), request_id), at, POLICY)


async def account_with_exposure(uow: FakeUnitOfWork) -> None:
    """Limit ₹10,00,000; receivables ₹6,00,000; an open order of ₹3,00,000."""
    await uc.apply_customer_master(uow, customer("C1", "1000000.00"), T0)
    await decide(uow, "O-A", "C1", "600000.00")
    await uc.post_invoice(uow, invoice("inv-A", "O-A", "C1", "600000.00", invoice_date=date(2026, 6, 20)), T0)
    await decide(uow, "O-B", "C1", "300000.00")
    uow.published.clear()


async def test_customer_master_opens_a_profile_from_the_proposed_limit_and_keeps_a_finance_limit() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C1", "500000.00", terms=45, grace=7), T0)
    record = await uow.read_account("C1")
    assert record is not None and record.account.profile is not None
    assert (record.account.profile.credit_limit, record.account.profile.payment_terms_days,
            record.account.profile.grace_days) == (D("500000.00"), 45, 7)
    await uc.update_profile(uow, "C1", uc.ProfileUpdate(credit_limit=D("800000")), HEAD, T0)
    assert await uc.apply_customer_master(uow, customer("C1", "900000.00", terms=60, revision=2), T0)
    assert not await uc.apply_customer_master(uow, customer("C1", "100.00", revision=2), T0)  # same revision
    record = await uow.read_account("C1")
    assert record is not None and record.account.profile is not None
    profile = record.account.profile
    assert profile.credit_limit == D("800000.00") and profile.proposed_limit == D("900000.00")
    assert profile.payment_terms_days == 60


async def test_over_limit_is_held_with_the_exposure_shown_and_a_small_order_is_approved() -> None:
    uow = FakeUnitOfWork()
    await account_with_exposure(uow)
    await decide(uow, "O-C", "C1", "150000.00")
    held = uow.of_type(c.CreditHeld)
    assert len(held) == 1 and held[0].reasons == [c.HoldReason.OVER_LIMIT]
    assert held[0].exposure.total == D("1050000.00")
    assert (held[0].exposure.receivables, held[0].exposure.open_orders) == (D("600000.00"), D("300000.00"))
    assert held[0].hold_expires_at == T0 + POLICY.hold_period and held[0].sanction_due_by == T0 + timedelta(hours=4)
    queue = await uow.list_sanctions("pending", 10, 0)
    assert [s.order_id for s, _ in queue] == ["O-C"]
    await decide(uow, "O-D", "C1", "50000.00")
    approved = uow.of_type(c.CreditApproved)
    assert [a.order_id for a in approved] == ["O-D"] and approved[0].exposure.total == D("950000.00")


async def test_overdue_beyond_grace_holds_even_within_limit_and_ageing_shows_61_to_90() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C2", "1000000.00", terms=30, grace=15), T0)
    await decide(uow, "O-1", "C2", "100000.00")
    await uc.post_invoice(uow, invoice("inv-old", "O-1", "C2", "100000.00", invoice_date=date(2026, 4, 16)), T0)
    await decide(uow, "O-2", "C2", "10000.00")
    held = uow.of_type(c.CreditHeld)
    assert held[0].reasons == [c.HoldReason.OVERDUE]
    assert held[0].exposure.ageing.days_61_90 == D("100000.00") and held[0].exposure.max_days_overdue == 45
    (request, _), = await uow.list_sanctions("pending", 10, 0)
    assert request.oldest_overdue is not None and request.oldest_overdue.invoice_id == "inv-old"


async def test_an_executive_above_her_limit_is_refused_and_the_head_sanctions() -> None:
    uow = FakeUnitOfWork()
    await account_with_exposure(uow)
    await decide(uow, "O-C", "C1", "150000.00")
    with pytest.raises(NotAuthorised):
        await uc.approve_sanction(uow, "san-O-C-r1", EXEC, T0 + timedelta(minutes=5))
    done = await uc.approve_sanction(uow, "san-O-C-r1", HEAD, T0 + timedelta(minutes=6), "good payer")
    assert done.status.value == "approved"
    (sanctioned,) = uow.of_type(c.CreditSanctioned)
    assert (sanctioned.order_id, sanctioned.sanctioned_by, sanctioned.amount) == ("O-C", "meera", D("150000.00"))
    record = await uow.read_account("C1")
    assert record is not None and record.account.exposure().total == D("1050000.00")
    with pytest.raises(ConflictingState):
        await uc.reject_sanction(uow, "san-O-C-r1", HEAD, T0 + timedelta(minutes=7), "too late")


async def test_approval_with_a_temporary_increase_raises_the_limit_until_a_date() -> None:
    uow = FakeUnitOfWork()
    await account_with_exposure(uow)
    await decide(uow, "O-C", "C1", "150000.00")
    await uc.approve_sanction(uow, "san-O-C-r1", HEAD, T0, "festive season",
                              uc.TemporaryIncreaseRequest(D("100000"), date(2026, 7, 31)))
    record = await uow.read_account("C1")
    assert record is not None and record.account.profile is not None
    assert record.account.profile.effective_limit(date(2026, 7, 1)) == D("1100000.00")
    await decide(uow, "O-E", "C1", "40000.00")
    assert [a.order_id for a in uow.of_type(c.CreditApproved)] == ["O-E"]


async def test_rejection_needs_a_note_and_frees_the_order() -> None:
    uow = FakeUnitOfWork()
    await account_with_exposure(uow)
    await decide(uow, "O-C", "C1", "150000.00")
    with pytest.raises(InvalidValue) as err:
        await uc.reject_sanction(uow, "san-O-C-r1", HEAD, T0, "  ")
    assert err.value.field == "note"
    await uc.reject_sanction(uow, "san-O-C-r1", HEAD, T0, "overdue elsewhere")
    (rejected,) = uow.of_type(c.CreditRejected)
    assert rejected.reason is c.RejectionReason.REJECTED_BY_FINANCE and rejected.rejected_by == "meera"


async def test_escalation_at_four_hours_and_expiry_at_the_hold_period() -> None:
    uow = FakeUnitOfWork()
    await account_with_exposure(uow)
    await decide(uow, "O-C", "C1", "150000.00")
    assert await uow.sanctions_due(T0 + timedelta(hours=3, minutes=59), 10) == []
    due = await uow.sanctions_due(T0 + timedelta(hours=4), 10)
    assert await uc.expire_or_escalate(uow, due[0][0], T0 + timedelta(hours=4)) == "escalated"
    assert await uow.sanctions_due(T0 + timedelta(hours=5), 10) == []
    assert not uow.of_type(c.CreditRejected)
    at = T0 + POLICY.hold_period
    (due_id, _), = await uow.sanctions_due(at, 10)
    assert await uc.expire_or_escalate(uow, due_id, at) == "expired"
    (rejected,) = uow.of_type(c.CreditRejected)
    assert rejected.reason is c.RejectionReason.SANCTION_EXPIRED and rejected.rejected_by is None
    record = await uow.read_account("C1")
    assert record is not None and record.account.exposure().total == D("900000.00")


async def test_an_amendment_supersedes_the_pending_request_and_is_decided_afresh() -> None:
    uow = FakeUnitOfWork()
    await account_with_exposure(uow)
    await decide(uow, "O-C", "C1", "150000.00")
    await decide(uow, "O-C", "C1", "90000.00", revision=2)
    approved = uow.of_type(c.CreditApproved)
    assert [(a.order_id, a.order_revision) for a in approved] == [("O-C", 2)]
    statuses = {s.sanction_id: s.status.value for s, _ in await uow.list_sanctions(None, 10, 0)}
    assert statuses == {"san-O-C-r1": "superseded"}
    await decide(uow, "O-C", "C1", "150000.00", revision=1)  # a stale revision changes nothing
    assert len(uow.published) == 2


async def test_tds_short_payment_settles_both_invoices_and_records_tds_receivable() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C3", "1000000.00"), T0)
    await decide(uow, "O-T", "C3", "118000.00")
    for n, day in (("inv-000001", date(2026, 6, 1)), ("inv-000002", date(2026, 6, 5))):
        assert await uc.post_invoice(uow, invoice(n, "O-T", "C3", "59000.00", "50000.00", invoice_date=day), T0)
    doc = await uc.record_payment(uow, uc.PaymentInput("C3", D("117900.00"), date(2026, 6, 30),
                                                       c.PaymentMode.NEFT, tds_deducted=D("100.00")),
                                  HEAD, T0, "key-1")
    assert doc["receipt_no"] == "RCT/26-27/000001" and doc["tds_receivable"] == "100.00"
    assert sorted(doc["settled_invoices"]) == ["inv-000001", "inv-000002"] and doc["settled_orders"] == ["O-T"]
    settled = uow.of_type(c.InvoiceSettled)
    assert {s.invoice_id: (s.paid_amount, s.tds_amount) for s in settled} == {
        "inv-000001": (D("58950.00"), D("50.00")), "inv-000002": (D("58950.00"), D("50.00"))}
    assert [o.order_id for o in uow.of_type(c.OrderSettled)] == ["O-T"]
    again = await uc.record_payment(uow, uc.PaymentInput("C3", D("117900.00"), date(2026, 6, 30),
                                                         c.PaymentMode.NEFT), HEAD, T0, "key-1")
    assert again == doc and len(uow.of_type(c.PaymentReceived)) == 1
    record = await uow.read_account("C3")
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
    record = await uow.read_account("C5")
    assert record is not None and record.account.exposure().total == D("100000.00")


async def test_release_is_idempotent_per_request_and_repeats_the_reply() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C6"), T0)
    await decide(uow, "O-1", "C6", "100000.00")
    first = await uc.release_exposure(uow, release("O-1", "C6", "30000.00", "rq-1"), T0)
    again = await uc.release_exposure(uow, release("O-1", "C6", "30000.00", "rq-1"), T0)
    assert (first.released_amount, first.open_order_exposure_after) == (D("30000.00"), D("70000.00"))
    assert (again.released_amount, again.open_order_exposure_after) == (D("30000.00"), D("70000.00"))
    assert first.request_id == "rq-1" and len(uow.of_type(c.CreditExposureReleased)) == 2


async def test_cancelled_invoice_returns_to_open_order_and_a_credit_note_reduces_the_receivable() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C7"), T0)
    await decide(uow, "O-1", "C7", "100000.00")
    inv = invoice("inv-000030", "O-1", "C7", "100000.00")
    await uc.post_invoice(uow, inv, T0)
    assert await uc.cancel_invoice(uow, invoice_cancelled(inv))
    assert not await uc.cancel_invoice(uow, invoice_cancelled(inv))
    record = await uow.read_account("C7")
    assert record is not None
    assert record.account.exposure().receivables == D("0.00")
    assert record.account.exposure().open_orders == D("100000.00")
    inv2 = invoice("inv-000031", "O-1", "C7", "100000.00")
    await uc.post_invoice(uow, inv2, T0)
    assert await uc.apply_credit_note(uow, credit_note("cn-0001", inv2, "20000.00"))
    assert not await uc.apply_credit_note(uow, credit_note("cn-0001", inv2, "20000.00"))
    record = await uow.read_account("C7")
    assert record is not None and record.account.receivables["inv-000031"].outstanding == D("80000.00")


async def test_recheck_decides_again_for_the_amount_and_echoes_the_request() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C8", "100000.00"), T0)
    await decide(uow, "O-1", "C8", "80000.00")
    await uc.release_exposure(uow, release("O-1", "C8", "30000.00", "rq-bo"), T0)
    await decide(uow, "O-2", "C8", "40000.00")  # fits only because the backorder was released
    await decide(uow, "O-1", "C8", "30000.00", request_id="rc-1")
    held = uow.of_type(c.CreditHeld)
    assert [(h.order_id, h.request_id) for h in held] == [("O-1", "rc-1")]
    assert held[0].exposure.total == D("120000.00")
    await uc.approve_sanction(uow, "san-O-1-rq-rc-1", HEAD, T0, "refill")
    (sanctioned,) = uow.of_type(c.CreditSanctioned)
    assert sanctioned.request_id == "rc-1"
    record = await uow.read_account("C8")
    assert record is not None and record.account.exposure().total == D("120000.00")


async def test_a_refused_recheck_leaves_the_counted_part_alone_and_a_reopened_order_starts_afresh() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C9", "100000.00"), T0)
    await decide(uow, "O-1", "C9", "80000.00")
    await decide(uow, "O-1", "C9", "30000.00", request_id="rc-1")
    await uc.reject_sanction(uow, "san-O-1-rq-rc-1", HEAD, T0, "no more this month")
    record = await uow.read_account("C9")
    assert record is not None and record.account.exposure().total == D("80000.00")
    await decide(uow, "O-2", "C9", "90000.00")  # held: 80k + 90k
    await uc.reject_sanction(uow, "san-O-2-r1", HEAD, T0, "over limit")
    await decide(uow, "O-2", "C9", "20000.00", request_id="reopen-1")  # re-opened for 20k: only 20k counts
    approved = uow.of_type(c.CreditApproved)
    assert [(a.order_id, a.request_id, a.exposure.total) for a in approved][-1] == ("O-2", "reopen-1", D("100000.00"))


async def test_a_cancelled_order_leaves_the_queue_and_cannot_be_sanctioned_later() -> None:
    from o2c.contracts.samples import sample
    from o2c.contracts.v1.sales import OrderCancelled

    uow = FakeUnitOfWork()
    await account_with_exposure(uow)
    await decide(uow, "O-C", "C1", "150000.00")
    cancelled = sample(OrderCancelled).model_copy(update={"order_id": "O-C", "customer_id": "C1",
                                                          "cancelled_lines": []})
    assert await uc.withdraw_cancelled_order(uow, cancelled, T0) == 1
    assert await uow.list_sanctions("pending", 10, 0) == []
    with pytest.raises(ConflictingState):
        await uc.approve_sanction(uow, "san-O-C-r1", HEAD, T0)


async def test_a_customer_deactivated_by_sales_is_blocked_until_reactivated() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C10"), T0)
    await uc.apply_customer_master(uow, customer("C10", revision=2).model_copy(update={"active": False}), T0)
    await decide(uow, "O-1", "C10", "1000.00")
    assert uow.of_type(c.CreditHeld)[0].reasons == [c.HoldReason.CUSTOMER_BLOCKED]
    await uc.apply_customer_master(uow, customer("C10", revision=3), T0)
    await decide(uow, "O-2", "C10", "1000.00")
    assert [a.order_id for a in uow.of_type(c.CreditApproved)] == ["O-2"]


async def test_a_payment_for_a_customer_credit_does_not_know_is_refused_naming_the_field() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(InvalidValue) as err:
        await uc.record_payment(uow, uc.PaymentInput("NOBODY", D("10.00"), date(2026, 6, 30), c.PaymentMode.UPI),
                                HEAD, T0)
    assert err.value.field == "customer_id" and "NOBODY" not in uow.accounts


async def test_the_account_document_round_trips_everything() -> None:
    from o2c.credit.adapters.codec import dump_account_json, load_account, load_account_json

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
    account = load_account(uow.accounts["C11"])
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
    done = await uc.write_off_residue(uow, "C12", "inv-000050", D("40.00"), EXEC, T0, limit=D("100.00"),
                                      write_off_id="wo-1")
    again = await uc.write_off_residue(uow, "C12", "inv-000050", D("40.00"), EXEC, T0, limit=D("100.00"),
                                       write_off_id="wo-1")
    assert done["settled"] and done["outstanding"] == "0.00" and not again["applied"]
    (settled,) = uow.of_type(c.InvoiceSettled)
    assert settled.written_off == D("40.00") and [o.order_id for o in uow.of_type(c.OrderSettled)] == ["O-1"]


# --- an order reduced after invoicing, before gate-out (issue 21) ----------------------------------------

UNDO = "O-R:shipment-O-R-1-1:undo-invoice"  # the coordinator's UndoInvoice the note answers


async def reduced_after_invoicing(cust: str) -> tuple[FakeUnitOfWork, InvoiceIssued]:
    """40 boxes (₹70,800) invoiced; the order then reduced to 24 boxes (₹42,480) before gate-out."""
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer(cust), T0)
    await decide(uow, "O-R", cust, "70800.00")
    old = invoice("inv-000040", "O-R", cust, "70800.00")
    await uc.post_invoice(uow, old, T0)
    await decide(uow, "O-R", cust, "42480.00", revision=2)
    return uow, old


async def exposure_of(uow: FakeUnitOfWork, cust: str) -> tuple[Decimal, Decimal, Decimal]:
    record = await uow.read_account(cust)
    assert record is not None
    found = record.account.exposure()
    return found.receivables, found.open_orders, found.total


async def test_a_reduced_order_credited_past_the_window_counts_its_new_revision_as_open() -> None:
    uow, old = await reduced_after_invoicing("C20")
    assert await exposure_of(uow, "C20") == (D("70800.00"), D("0.00"), D("70800.00"))  # the old invoice stands
    note = credit_note("cn-0040", old, "70800.00").model_copy(update={"request_id": UNDO})
    assert await uc.apply_credit_note(uow, note)
    # The goods never left: the customer owes nothing on the credited invoice and has 24 boxes on order.
    assert await exposure_of(uow, "C20") == (D("0.00"), D("42480.00"), D("42480.00"))
    await uc.post_invoice(uow, invoice("inv-000041", "O-R", "C20", "42480.00"), T0)
    assert await exposure_of(uow, "C20") == (D("42480.00"), D("0.00"), D("42480.00"))


async def test_a_reduced_order_counts_once_whichever_comes_first_the_new_invoice_or_the_old_ones_undo() -> None:
    for undo in ("credit note", "cancellation"):
        uow, old = await reduced_after_invoicing("C21")
        await uc.post_invoice(uow, invoice("inv-000041", "O-R", "C21", "42480.00"), T0)
        if undo == "credit note":
            await uc.apply_credit_note(uow, credit_note("cn-0041", old, "70800.00").model_copy(
                update={"request_id": UNDO}))
        else:
            await uc.cancel_invoice(uow, invoice_cancelled(old))
        assert await exposure_of(uow, "C21") == (D("42480.00"), D("0.00"), D("42480.00")), undo


async def test_a_credit_note_for_returned_goods_does_not_reopen_the_order() -> None:
    uow, old = await reduced_after_invoicing("C22")
    await decide(uow, "O-R", "C22", "70800.00", revision=3)  # back to 40 boxes; those 40 were delivered
    assert await uc.apply_credit_note(uow, credit_note("cn-0042", old, "7080.00"))  # 4 boxes came back
    assert await exposure_of(uow, "C22") == (D("63720.00"), D("0.00"), D("63720.00"))


async def test_a_cancelled_orders_release_read_before_its_credit_note_still_frees_what_the_note_puts_back() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C23"), T0)
    await decide(uow, "O-R", "C23", "70800.00")
    old = invoice("inv-000043", "O-R", "C23", "70800.00")
    await uc.post_invoice(uow, old, T0)
    early = await uc.release_exposure(uow, release("O-R", "C23", "70800.00", "O-R:exposure-1:release"), T0)
    assert early.released_amount == D("0.00")  # nothing open yet: the invoice still counts it
    await uc.apply_credit_note(uow, credit_note("cn-0043", old, "70800.00").model_copy(update={"request_id": UNDO}))
    assert await exposure_of(uow, "C23") == (D("0.00"), D("0.00"), D("0.00"))


async def test_an_amended_order_counts_its_new_revision_not_less_what_the_old_one_released() -> None:
    """40 boxes (₹70,800), 10 backordered and released; amended to 30 boxes (₹53,100): 30 boxes are open."""
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C24"), T0)
    await decide(uow, "O-A", "C24", "70800.00")
    await uc.release_exposure(uow, release("O-A", "C24", "17700.00", "O-A:exposure-1:release"), T0)
    assert await exposure_of(uow, "C24") == (D("0.00"), D("53100.00"), D("53100.00"))

    await decide(uow, "O-A", "C24", "53100.00", revision=2)
    await decide(uow, "O-A", "C24", "53100.00", revision=2)  # redelivered
    await uc.release_exposure(uow, release("O-A", "C24", "17700.00", "O-A:exposure-1:release"), T0)  # again

    assert await exposure_of(uow, "C24") == (D("0.00"), D("53100.00"), D("53100.00"))
    await uc.post_invoice(uow, invoice("inv-000044", "O-A", "C24", "53100.00"), T0)
    assert await exposure_of(uow, "C24") == (D("53100.00"), D("0.00"), D("53100.00"))


async def test_undoing_the_invoice_of_a_cancelled_order_does_not_settle_the_order() -> None:
    """Nothing was paid and nothing left: the note closes the invoice, but the order is not 'paid'."""
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C25"), T0)
    await decide(uow, "O-X", "C25", "70800.00")
    old = invoice("inv-000045", "O-X", "C25", "70800.00")
    await uc.post_invoice(uow, old, T0)
    await uc.release_exposure(uow, release("O-X", "C25", "70800.00", "O-X:exposure-1:release"), T0)  # read first
    await uc.apply_credit_note(uow, credit_note("cn-0045", old, "70800.00").model_copy(update={"request_id": UNDO}))
    assert uow.of_type(c.OrderSettled) == []


async def test_a_reduced_order_settles_on_its_standing_invoice_only() -> None:
    uow, old = await reduced_after_invoicing("C26")
    new = invoice("inv-000046", "O-R", "C26", "42480.00")
    await uc.post_invoice(uow, new, T0)
    await uc.record_payment(uow, uc.PaymentInput("C26", D("42480.00"), date(2026, 6, 30), c.PaymentMode.NEFT,
                                                 invoice_ids=(new.invoice_id,)), HEAD, T0, "key-26")
    assert uow.of_type(c.OrderSettled) == []  # the old invoice still stands until it is undone
    await uc.apply_credit_note(uow, credit_note("cn-0046", old, "70800.00").model_copy(update={"request_id": UNDO}))
    (settled,) = uow.of_type(c.OrderSettled)
    assert (settled.invoice_nos, settled.invoiced_amount) == ([new.invoice_no], D("42480.00"))


async def test_a_release_sent_before_the_amendment_but_read_after_it_frees_nothing() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C27"), T0)
    await decide(uow, "O-L", "C27", "70800.00")
    await decide(uow, "O-L", "C27", "53100.00", revision=2)
    late = release("O-L", "C27", "17700.00", "O-L:exposure-1:release").model_copy(update={"order_revision": 1})
    reply = await uc.release_exposure(uow, late, T0)
    assert (reply.released_amount, reply.open_order_exposure_after) == (D("0.00"), D("53100.00"))
    assert await exposure_of(uow, "C27") == (D("0.00"), D("53100.00"), D("53100.00"))
