"""Open-order exposure given back: the coordinator's releases, and an order reduced after invoicing before
gate-out (issue 21), whichever of its messages comes first (on the in-memory unit of work)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from o2c.contracts.v1 import credit as c
from o2c.contracts.v1.invoicing import InvoiceIssued
from o2c.credit.service_layer import use_cases as uc
from o2c.testsupport.credit.credit_builders import T0, credit_note, customer, invoice, invoice_cancelled, release
from o2c.testsupport.credit.fakes import FakeUnitOfWork
from o2c.testsupport.credit.steps import HEAD, decide

D = Decimal


async def test_release_is_idempotent_per_request_and_repeats_the_reply() -> None:
    uow = FakeUnitOfWork()
    await uc.apply_customer_master(uow, customer("C6"), T0)
    await decide(uow, "O-1", "C6", "100000.00")
    first = await uc.release_exposure(uow, release("O-1", "C6", "30000.00", "rq-1"), T0)
    again = await uc.release_exposure(uow, release("O-1", "C6", "30000.00", "rq-1"), T0)
    assert (first.released_amount, first.open_order_exposure_after) == (D("30000.00"), D("70000.00"))
    assert (again.released_amount, again.open_order_exposure_after) == (D("30000.00"), D("70000.00"))
    assert first.request_id == "rq-1" and len(uow.of_type(c.CreditExposureReleased)) == 2


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
    record = await uow.accounts.get(cust)
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
                                                 invoice_ids=(new.invoice_id,)), HEAD, T0)
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
