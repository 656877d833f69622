"""One customer's credit account: the consistency boundary for credit decisions. Profile, open orders,
receivables, unapplied credit, TDS receivable and the statement ledger change together, so the service layer
loads and locks one account per customer and two orders can never pass on the same headroom."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from o2c.credit.domain.authority import FINANCE, Actor, require_role
from o2c.credit.domain.errors import ConflictingState, InvalidValue, UnknownInvoice
from o2c.credit.domain.exposure import Exposure, OpenOrder, OpenOrderStatus
from o2c.credit.domain.money import ZERO, Money, format_inr, non_negative, positive
from o2c.credit.domain.payments import AllocationPlan, InvoiceAllocation, Payment, plan_allocation
from o2c.credit.domain.profile import CreditProfile
from o2c.credit.domain.receivables import (
    Ageing,
    OverdueInvoice,
    PaymentBehaviour,
    Receivable,
    age_receivables,
    oldest_overdue_invoice,
    payment_behaviour,
)
from o2c.credit.domain.rules import CreditDecision, check_credit
from o2c.credit.domain.statement import EntryKind, LedgerEntry, Statement, customer_statement


@dataclass(frozen=True)
class ReceivablePosting:
    receivable: Receivable
    open_order_released: Money
    is_new: bool


@dataclass(frozen=True)
class ExposureRelease:
    order_id: str
    request_id: str
    released_amount: Money
    open_order_exposure_after: Money


@dataclass(frozen=True)
class PaymentOutcome:
    """What a payment (or an application of unapplied credit) did. `settled_invoices` and `settled_orders` name
    only what this payment settled, so each InvoiceSettled / OrderSettled is published once."""

    payment_id: str
    allocations: tuple[InvoiceAllocation, ...]
    unapplied_amount: Money
    tds_receivable: Money
    settled_invoices: tuple[str, ...]
    settled_orders: tuple[str, ...]


@dataclass(frozen=True)
class CreditNoteOutcome:
    credit_note_id: str
    invoice_id: str
    reduced_receivable: Money
    to_unapplied_credit: Money
    settled: bool


@dataclass(frozen=True)
class PaymentReversal:
    """A recorded payment that came back (a bounced cheque): what it restored. One per payment."""

    reversal_id: str
    payment_id: str
    reason: str
    note: str
    on: date
    by: str
    restored: tuple[InvoiceAllocation, ...]
    """Per receivable: `amount` the cash owed again, `write_off` the residue written off with it, owed again."""
    unapplied_reversed: Money
    reopened_invoices: tuple[str, ...]


@dataclass(frozen=True)
class Refund:
    """Unapplied credit paid back to the customer."""

    refund_id: str
    amount: Money
    on: date
    mode: str
    reference: str
    by: str
    unapplied_after: Money


@dataclass
class CustomerAccount:
    customer_id: str
    profile: CreditProfile | None = None
    receivables: dict[str, Receivable] = field(default_factory=dict)
    open_orders: dict[str, OpenOrder] = field(default_factory=dict)
    decisions: dict[tuple[str, int], CreditDecision] = field(default_factory=dict)
    rechecks: dict[str, CreditDecision] = field(default_factory=dict)
    payments: dict[str, PaymentOutcome] = field(default_factory=dict)
    credit_notes: dict[str, CreditNoteOutcome] = field(default_factory=dict)
    unapplied_credit: Money = ZERO
    tds_receivable: Money = ZERO
    ledger: list[LedgerEntry] = field(default_factory=list)
    reversals: dict[str, PaymentReversal] = field(default_factory=dict)
    """By payment id: a payment is reversed at most once."""
    refunds: dict[str, Refund] = field(default_factory=dict)

    # --- views ---------------------------------------------------------------------------------

    def exposure(self, excluding_order: str | None = None) -> Exposure:
        return Exposure.of(
            self.receivables.values(), self.open_orders.values(), self.unapplied_credit, excluding_order
        )

    def ageing(self, today: date) -> Ageing:
        return age_receivables(self.receivables.values(), today)

    def oldest_overdue(self, today: date) -> OverdueInvoice | None:
        return oldest_overdue_invoice(self.receivables.values(), today)

    def payment_history(self) -> PaymentBehaviour:
        return payment_behaviour(self.receivables.values())

    def statement(self, period_start: date, period_end: date) -> Statement:
        return customer_statement(self.customer_id, self.ledger, period_start, period_end)

    def _record(self, on: date, kind: EntryKind, reference: str, description: str,
                debit: Money = ZERO, credit: Money = ZERO) -> None:
        if debit or credit:
            self.ledger.append(LedgerEntry(len(self.ledger) + 1, on, kind, reference, description, debit, credit))

    # --- orders --------------------------------------------------------------------------------

    def check_order(self, order_id: str, gross_amount: Decimal, today: date, revision: int = 1) -> CreditDecision:
        """Decide an order (or a new revision of it). The same (order, revision) again returns the decision
        already taken; an older revision than the one known is refused. The order's own open part is left out
        of exposure, so it counts once, as its new amount."""
        known = self.decisions.get((order_id, revision))
        if known is not None:
            return known
        order = self.open_orders.get(order_id)
        if order is not None and revision < order.revision:
            raise ConflictingState(f"order {order_id}: revision {revision} is older than {order.revision}")
        if order is None:
            order = OpenOrder(order_id, self.customer_id, non_negative(gross_amount, "gross_amount"),
                              revision=revision)
            self.open_orders[order_id] = order
        else:
            order.revise(revision, gross_amount)
        decision = check_credit(
            self.profile, self.exposure(excluding_order=order_id), order.uninvoiced, self.receivables.values(), today
        )
        if decision.approved:
            order.approve()
        else:
            order.hold()
        self.decisions[(order_id, revision)] = decision
        return decision

    def recheck_order(
        self, order_id: str, request_id: str, gross_amount: Decimal, today: date, revision: int = 1
    ) -> CreditDecision:
        """RecheckCredit: decide `gross_amount` more of the order (a backorder refill about to ship, a re-opened
        order), so no order slips past the check. What of the order already counts stays counted; the amount is
        checked on top. Approved, it counts at once; held, it waits (`pending_additions`) and counts only when
        sanctioned. A re-opened order that was rejected or held starts from nothing: earlier approvals never
        count for it. Idempotent per request id."""
        known = self.rechecks.get(request_id)
        if known is not None:
            return known
        amount = non_negative(gross_amount, "amount")
        order = self.open_orders.get(order_id)
        if order is not None and revision < order.revision:
            raise ConflictingState(f"order {order_id}: revision {revision} is older than {order.revision}")
        if order is None:
            order = OpenOrder(order_id, self.customer_id, ZERO, status=OpenOrderStatus.APPROVED, revision=revision)
            self.open_orders[order_id] = order
        elif order.status is not OpenOrderStatus.APPROVED:
            order.release(f"recheck-reset:{request_id}")  # it did not count; it never will
            order.approve()
        order.revision = max(order.revision, revision)
        decision = check_credit(self.profile, self.exposure(), amount, self.receivables.values(), today)
        if decision.approved:
            order.add(amount)
        else:
            order.pending_additions[request_id] = amount
        self.rechecks[request_id] = decision
        return decision

    def _order(self, order_id: str) -> OpenOrder:
        order = self.open_orders.get(order_id)
        if order is None:
            raise ConflictingState(f"order {order_id} has no credit decision on this account")
        return order

    def sanction_order(self, order_id: str, request_id: str | None = None) -> None:
        """A finance sanction approved the held order (or the held re-checked part): from now on it uses headroom."""
        order = self._order(order_id)
        if request_id is not None and request_id in order.pending_additions:
            order.add(order.pending_additions.pop(request_id))
        elif request_id is None:
            order.approve()

    def reject_order(self, order_id: str, request_id: str | None = None) -> None:
        """Rejected (or the hold expired): the order (or the held re-checked part) no longer counts."""
        order = self._order(order_id)
        if request_id is not None:
            order.pending_additions.pop(request_id, None)
        else:
            order.reject()

    def release_exposure(
        self, order_id: str, request_id: str, amount: Decimal | None = None, revision: int | None = None
    ) -> ExposureRelease:
        """A cancelled, short-picked or backordered remainder leaves exposure (None: all that is uninvoiced);
        one of a revision older than the order's frees nothing (the amendment counts the whole new order)."""
        order = self.open_orders.get(order_id)
        if order is None:
            return ExposureRelease(order_id, request_id, ZERO, ZERO)
        counted_before = order.status is OpenOrderStatus.APPROVED
        freed = order.release(request_id, amount, revision)
        return ExposureRelease(order_id, request_id, freed if counted_before else ZERO, order.open_amount)

    # --- receivables ---------------------------------------------------------------------------

    def post_invoice(
        self,
        *,
        invoice_id: str,
        invoice_no: str,
        order_id: str,
        invoice_date: date,
        amount: Decimal,
        taxable_value: Decimal,
        payment_terms_days: int | None = None,
        shipment_id: str = "",
    ) -> ReceivablePosting:
        """InvoiceIssued → receivable (due date from terms). The same invoice twice posts one receivable."""
        existing = self.receivables.get(invoice_id)
        order = self.open_orders.get(order_id)
        if existing is not None:
            return ReceivablePosting(existing, existing.open_order_released, is_new=False)
        terms = payment_terms_days
        if terms is None:
            terms = self.profile.payment_terms_days if self.profile is not None else 0
        receivable = Receivable.post(
            invoice_id=invoice_id,
            invoice_no=invoice_no,
            customer_id=self.customer_id,
            order_id=order_id,
            invoice_date=invoice_date,
            amount=amount,
            taxable_value=taxable_value,
            payment_terms_days=terms,
            shipment_id=shipment_id,
        )
        self.receivables[invoice_id] = receivable
        released = ZERO
        if order is not None:
            counted = order.status is OpenOrderStatus.APPROVED
            moved = order.record_invoice(invoice_id, receivable.amount)
            released = moved if counted else ZERO
        receivable.open_order_released = released
        self._record(invoice_date, EntryKind.INVOICE, invoice_no, f"Invoice {invoice_no} (order {order_id})",
                     debit=receivable.amount)
        return ReceivablePosting(receivable, released, is_new=True)

    def post_opening_balance(self, receivable_id: str, legacy_no: str, invoice_date: date, due_date: date | None,
                             amount: Decimal) -> Receivable:
        """An invoice outstanding in the system used before o2c becomes a receivable of this account (no order, no
        o2c tax invoice): it counts in exposure and ageing and is paid like any other. Once per legacy number."""
        if receivable_id in self.receivables:
            raise ConflictingState(f"opening balance {legacy_no} is already imported")
        terms = self.profile.payment_terms_days if self.profile is not None else 0
        receivable = Receivable.post(
            invoice_id=receivable_id, invoice_no=legacy_no, customer_id=self.customer_id, order_id="",
            invoice_date=invoice_date, amount=amount, taxable_value=ZERO, payment_terms_days=terms,
        )
        if due_date is not None:
            receivable.due_date = due_date
        receivable.legacy_no = legacy_no
        self.receivables[receivable_id] = receivable
        self._record(invoice_date, EntryKind.OPENING_BALANCE, legacy_no,
                     f"Opening balance: legacy invoice {legacy_no}", debit=receivable.amount)
        return receivable

    def cancel_invoice(self, invoice_id: str, on: date) -> Money | None:
        """InvoiceCancelled: the receivable is reversed (kept, marked cancelled), cash already applied to it becomes
        unapplied credit, and the invoiced part returns to the order's open exposure (the goods did not leave;
        the shipment is invoiced again). Returns the amount reversed, None if unknown or already cancelled."""
        receivable = self.receivables.get(invoice_id)
        if receivable is None or receivable.is_cancelled:
            return None
        refund = receivable.cancel(on)
        self.unapplied_credit += refund
        order = self.open_orders.get(receivable.order_id)
        if order is not None:
            order.invoice_undone(invoice_id)
        self._record(on, EntryKind.CANCELLATION, receivable.invoice_no, f"Invoice {receivable.invoice_no} cancelled",
                     credit=receivable.amount)
        return receivable.amount

    def _receivable(self, invoice_id: str) -> Receivable:
        receivable = self.receivables.get(invoice_id)
        if receivable is None:
            raise UnknownInvoice(invoice_id)
        return receivable

    def _apply(self, reference: str, plan: AllocationPlan, on: date, tds_received: Money) -> PaymentOutcome:
        settled_invoices = []
        for allocation in plan.allocations:
            receivable = self.receivables[allocation.invoice_id]
            was_settled = receivable.is_settled
            receivable.apply_payment(reference, allocation.amount, allocation.tds_amount, on, allocation.write_off)
            if receivable.is_settled and not was_settled:
                settled_invoices.append(receivable.invoice_id)
        # An opening balance has no order: nothing of an order is settled by it.
        touched = dict.fromkeys(o for o in (self.receivables[i].order_id for i in settled_invoices) if o)
        settled_orders = tuple(order_id for order_id in touched if self.is_order_settled(order_id))
        return PaymentOutcome(reference, plan.allocations, plan.unapplied, tds_received,
                              tuple(settled_invoices), settled_orders)

    def standing_invoices(self, order_id: str) -> list[Receivable]:
        """The order's invoices that stand: neither cancelled nor undone by a credit note."""
        return [r for r in self.receivables.values()
                if r.order_id == order_id and not r.is_cancelled and not r.undone]

    def is_order_settled(self, order_id: str) -> bool:
        """Every standing invoice of the order is settled and nothing of it remains to be invoiced."""
        invoices = self.standing_invoices(order_id)
        order = self.open_orders.get(order_id)
        still_open = order is not None and order.open_amount > 0
        return bool(invoices) and all(r.is_settled for r in invoices) and not still_open

    def receive_payment(self, payment: Payment, write_off_limit: Decimal = ZERO) -> PaymentOutcome:
        """Allocate a payment; the same payment again returns the first outcome and changes nothing."""
        if payment.customer_id != self.customer_id:
            raise ConflictingState(f"payment {payment.payment_id} is for customer {payment.customer_id}")
        known = self.payments.get(payment.payment_id)
        if known is not None:
            return known
        plan = plan_allocation(
            list(self.receivables.values()), payment.amount, payment.tds_deducted, payment.invoice_ids,
            write_off_limit,
        )
        outcome = self._apply(payment.payment_id, plan, payment.received_on, payment.tds_deducted)
        self.unapplied_credit += plan.unapplied
        self.tds_receivable += payment.tds_deducted
        self._record(payment.received_on, EntryKind.PAYMENT, payment.receipt_no,
                     f"Payment {payment.receipt_no} ({payment.mode})", credit=payment.amount)
        self._record(payment.received_on, EntryKind.TDS, payment.receipt_no,
                     f"TDS deducted by buyer (s.194Q) on {payment.receipt_no}", credit=payment.tds_deducted)
        for allocation in plan.allocations:
            self._record(payment.received_on, EntryKind.WRITE_OFF, allocation.invoice_no,
                         f"Residue of {allocation.invoice_no} written off", credit=allocation.write_off)
        self.payments[payment.payment_id] = outcome
        return outcome

    def apply_unapplied_credit(
        self, application_id: str, on: date, invoice_ids: Sequence[str] = ()
    ) -> PaymentOutcome:
        """Use advances / unallocated cash against invoices (oldest first unless named). Idempotent per id."""
        known = self.payments.get(application_id)
        if known is not None:
            return known
        plan = plan_allocation(list(self.receivables.values()), self.unapplied_credit, ZERO, invoice_ids)
        outcome = self._apply(application_id, plan, on, ZERO)
        self.unapplied_credit = plan.unapplied
        self.payments[application_id] = outcome
        return outcome

    def apply_credit_note(
        self, credit_note_id: str, invoice_id: str, amount: Decimal, on: date, credit_note_no: str = "",
        *, goods_never_left: bool = False,
    ) -> CreditNoteOutcome:
        """A credit note reduces its invoice's receivable; what the invoice cannot absorb (already paid) becomes
        unapplied credit. The same note twice changes nothing.

        `goods_never_left`: the note undoes, past the IRP's 24 hours, the invoice of a shipment cancelled before
        gate-out (the coordinator's UndoInvoice), exactly as a cancellation would within them: the invoiced
        part is open order again, so an order reduced after invoicing counts its new revision until that is
        invoiced, and a cancelled one until the coordinator releases it. A return's note (goods that did leave)
        does not reopen the order."""
        known = self.credit_notes.get(credit_note_id)
        if known is not None:
            return known
        receivable = self._receivable(invoice_id)
        value = positive(amount, "credit_note_amount")
        excess = receivable.apply_credit_note(credit_note_id, value, on)
        self.unapplied_credit += excess
        order = self.open_orders.get(receivable.order_id)
        if goods_never_left:
            receivable.undone = True
            if order is not None:
                order.invoice_undone(invoice_id)
        number = credit_note_no or credit_note_id
        self._record(on, EntryKind.CREDIT_NOTE, number, f"Credit note {number} against {receivable.invoice_no}",
                     credit=value)
        outcome = CreditNoteOutcome(credit_note_id, invoice_id, value - excess, excess, receivable.is_settled)
        self.credit_notes[credit_note_id] = outcome
        return outcome

    def reverse_payment(self, payment_id: str, reversal_id: str, reason: str, note: str, on: date,
                        by: Actor) -> tuple[PaymentReversal, bool]:
        """A payment came back (a bounced cheque): each receivable it paid owes that cash again (and any residue
        written off with it), and its unapplied part leaves unapplied credit, so exposure is back to what it was
        without the payment. TDS the buyer deducted stays credited. Reversing it again returns the first
        reversal (False: nothing new)."""
        require_role(by, FINANCE, "reverse a payment")
        known = self.reversals.get(payment_id)
        if known is not None:
            return known, False
        paid = self.payments.get(payment_id)
        if paid is None or not payment_id.startswith("RCT/"):
            raise ConflictingState(f"customer {self.customer_id} has no recorded payment {payment_id}")
        # Cash on an invoice cancelled since went back to unapplied credit (cancel_invoice): taken back from there.
        on_cancelled = sum((a.amount for a in paid.allocations if self.receivables[a.invoice_id].is_cancelled), ZERO)
        from_unapplied = paid.unapplied_amount + on_cancelled
        if from_unapplied > self.unapplied_credit:
            raise ConflictingState(
                f"payment {payment_id} left {format_inr(from_unapplied)} unapplied but only "
                f"{format_inr(self.unapplied_credit)} is unapplied now (since used or refunded): reverse what "
                "used it first")
        restored: list[InvoiceAllocation] = []
        reopened: list[str] = []
        for allocation in paid.allocations:
            receivable = self.receivables[allocation.invoice_id]
            if receivable.is_cancelled:
                continue
            was_settled = receivable.is_settled
            cash, written_off = receivable.reverse_payment(payment_id, reversal_id, on)
            restored.append(InvoiceAllocation(allocation.invoice_id, allocation.invoice_no, allocation.order_id,
                                              cash, ZERO, written_off))
            if was_settled and not receivable.is_settled:
                reopened.append(receivable.invoice_id)
            self._record(on, EntryKind.PAYMENT_REVERSAL, reversal_id,
                         f"Payment {payment_id} reversed ({reason}) on {allocation.invoice_no}",
                         debit=cash + written_off)
        self.unapplied_credit -= from_unapplied
        self._record(on, EntryKind.PAYMENT_REVERSAL, reversal_id, f"Payment {payment_id} reversed ({reason}): "
                     "unapplied part", debit=from_unapplied)
        reversal = PaymentReversal(reversal_id, payment_id, reason, note, on, by.user_id, tuple(restored),
                                   from_unapplied, tuple(reopened))
        self.reversals[payment_id] = reversal
        return reversal, True

    def refund_unapplied(self, refund_id: str, amount: Decimal, on: date, mode: str, reference: str,
                         by: Actor) -> Refund:
        """Pay back unapplied credit (an advance or overpayment); never more than is unapplied. Once per id."""
        require_role(by, FINANCE, "refund unapplied credit")
        known = self.refunds.get(refund_id)
        if known is not None:
            return known
        value = positive(amount, "amount")
        if value > self.unapplied_credit:
            raise InvalidValue("amount", f"{format_inr(value)} is more than the {format_inr(self.unapplied_credit)} "
                                         "unapplied credit")
        self.unapplied_credit -= value
        self._record(on, EntryKind.REFUND, refund_id, f"Refund {refund_id} of unapplied credit ({mode} {reference})",
                     debit=value)
        refund = Refund(refund_id, value, on, mode, reference, by.user_id, self.unapplied_credit)
        self.refunds[refund_id] = refund
        return refund

    def write_off(
        self, write_off_id: str, invoice_id: str, amount: Decimal, limit: Decimal, on: date, by: Actor
    ) -> bool:
        """Finance writes off a small residue within the limit, so it does not age into a credit hold."""
        require_role(by, FINANCE, "write off a receivable")
        receivable = self._receivable(invoice_id)
        done = receivable.write_off(write_off_id, amount, limit, on)
        if done:
            self._record(on, EntryKind.WRITE_OFF, receivable.invoice_no,
                         f"Write-off {format_inr(positive(amount))} on {receivable.invoice_no} by {by.user_id}",
                         credit=positive(amount))
        return done
