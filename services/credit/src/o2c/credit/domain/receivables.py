"""Receivables: invoices the customer owes, what settled them (cash, TDS, write-offs, credit notes), how
overdue they are, and the ageing view finance reads (0–30, 31–60, 61–90, 90+ days past invoice date)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from o2c.credit.domain.errors import ConflictingState, InvalidValue
from o2c.credit.domain.money import ZERO, Money, format_inr, money, non_negative, positive


class CreditKind(StrEnum):
    """What reduced a receivable."""

    PAYMENT = "payment"
    TDS = "tds"
    WRITE_OFF = "write_off"
    CREDIT_NOTE = "credit_note"
    CANCELLATION = "cancellation"


@dataclass(frozen=True)
class ReceivableCredit:
    kind: CreditKind
    reference: str
    amount: Money
    on: date


@dataclass
class Receivable:
    """One invoice's amount owed (gross, with GST). `taxable_value` is kept for TDS under s.194Q."""

    invoice_id: str
    invoice_no: str
    customer_id: str
    order_id: str
    invoice_date: date
    due_date: date
    amount: Money
    taxable_value: Money
    shipment_id: str = ""
    open_order_released: Money = ZERO
    """How much open-order exposure this invoice replaced when posted (for ReceivablePosted)."""
    credits: list[ReceivableCredit] = field(default_factory=list)
    cancelled_on: date | None = None
    """Set when the invoice was cancelled (InvoiceCancelled): it owes nothing and never counts as settled."""
    legacy_no: str = ""
    """Set on an opening balance: the invoice's number in the system used before o2c. Such a receivable is owed
    and paid like any other but is no o2c tax invoice (no o2c series number, IRN or GSTR-1 row) and has no order."""
    undone: bool = False
    """Credited as the undo of an invoice whose goods never left (past the IRP's 24 hours): like a cancelled
    one, it is not one of the invoices the order is paid by."""

    @classmethod
    def post(
        cls,
        *,
        invoice_id: str,
        invoice_no: str,
        customer_id: str,
        order_id: str,
        invoice_date: date,
        amount: Decimal | int | str,
        taxable_value: Decimal | int | str,
        payment_terms_days: int,
        shipment_id: str = "",
    ) -> Receivable:
        """A receivable due `payment_terms_days` after the invoice date."""
        gross = positive(amount, "amount")
        taxable = non_negative(taxable_value, "taxable_value")
        if taxable > gross:
            raise InvalidValue("taxable_value", "cannot exceed the invoice's gross amount")
        if payment_terms_days < 0:
            raise InvalidValue("payment_terms_days", "must be ≥ 0")
        return cls(
            invoice_id=invoice_id,
            invoice_no=invoice_no,
            customer_id=customer_id,
            order_id=order_id,
            invoice_date=invoice_date,
            due_date=invoice_date + timedelta(days=payment_terms_days),
            amount=gross,
            taxable_value=taxable,
            shipment_id=shipment_id,
        )

    # --- amounts -------------------------------------------------------------------------------

    def _total(self, kind: CreditKind) -> Money:
        return sum((c.amount for c in self.credits if c.kind is kind), ZERO)

    @property
    def paid(self) -> Money:
        return self._total(CreditKind.PAYMENT)

    @property
    def tds(self) -> Money:
        return self._total(CreditKind.TDS)

    @property
    def written_off(self) -> Money:
        return self._total(CreditKind.WRITE_OFF)

    @property
    def credited(self) -> Money:
        return self._total(CreditKind.CREDIT_NOTE)

    @property
    def outstanding(self) -> Money:
        return self.amount - sum((c.amount for c in self.credits), ZERO)

    @property
    def is_settled(self) -> bool:
        return self.cancelled_on is None and self.outstanding <= 0

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_on is not None

    @property
    def is_opening_balance(self) -> bool:
        return bool(self.legacy_no)

    @property
    def settled_on(self) -> date | None:
        """The day of the credit that last brought the balance to zero (a reversed payment reopens it)."""
        balance, settled = self.amount, None
        for credit in self.credits:
            balance -= credit.amount
            if balance > 0:
                settled = None
            elif settled is None:
                settled = credit.on
        return settled

    # --- time ----------------------------------------------------------------------------------

    def days_past_invoice(self, today: date) -> int:
        return (today - self.invoice_date).days

    def days_overdue(self, today: date) -> int:
        """Days past the due date while something is unpaid; 0 when not yet due or settled."""
        if self.outstanding <= 0:
            return 0
        return max(0, (today - self.due_date).days)

    def is_overdue_beyond(self, grace_days: int, today: date) -> bool:
        """Overdue beyond payment terms by more than the grace days: what puts new orders on credit hold."""
        return self.days_overdue(today) > grace_days

    # --- settling ------------------------------------------------------------------------------

    def _has(self, kind: CreditKind, reference: str) -> bool:
        return any(c.kind is kind and c.reference == reference for c in self.credits)

    def _add(self, kind: CreditKind, reference: str, amount: Money, on: date) -> None:
        if amount > 0 and not self._has(kind, reference):
            self.credits.append(ReceivableCredit(kind, reference, amount, on))

    def apply_payment(
        self, payment_id: str, cash: Decimal, tds: Decimal, on: date, write_off: Decimal = ZERO
    ) -> bool:
        """Apply one payment's share (cash, TDS the buyer deducted, residue written off). Applying the same
        payment again changes nothing; returns whether anything was applied."""
        cash, tds, write_off = (non_negative(cash, "cash"), non_negative(tds, "tds"),
                                non_negative(write_off, "write_off"))
        if any(self._has(kind, payment_id) for kind in (CreditKind.PAYMENT, CreditKind.TDS, CreditKind.WRITE_OFF)):
            return False
        if cash + tds + write_off > self.outstanding:
            raise ConflictingState(
                f"invoice {self.invoice_no}: {format_inr(cash + tds + write_off)} exceeds the "
                f"{format_inr(self.outstanding)} outstanding"
            )
        self._add(CreditKind.PAYMENT, payment_id, cash, on)
        self._add(CreditKind.TDS, payment_id, tds, on)
        self._add(CreditKind.WRITE_OFF, payment_id, write_off, on)
        return True

    def apply_credit_note(self, credit_note_id: str, amount: Decimal | int | str, on: date) -> Money:
        """Reduce the receivable by a credit note against this invoice. Returns the part the invoice could not
        absorb (it was already paid): that part is the customer's credit. Idempotent per credit note."""
        value = positive(amount, "credit_note_amount")
        if self._has(CreditKind.CREDIT_NOTE, credit_note_id):
            return ZERO
        absorbed = min(value, max(self.outstanding, ZERO))
        # Only what the invoice absorbs is recorded here (possibly 0, which still marks the note as applied);
        # the rest becomes the customer's unapplied credit, so nothing is counted twice.
        self.credits.append(ReceivableCredit(CreditKind.CREDIT_NOTE, credit_note_id, absorbed, on))
        return value - absorbed

    def reverse_payment(self, payment_id: str, reversal_id: str, on: date) -> tuple[Money, Money]:
        """A payment came back (a bounced cheque): the cash it applied here, and any residue written off with it,
        are owed again. Recorded as negative credits under the reversal's reference (the history stays); TDS the
        buyer deducted stays credited (it was paid to the government, not by the cheque). Returns (cash,
        write-off) restored; a second reversal restores nothing."""
        if any(c.reference == reversal_id for c in self.credits):
            return ZERO, ZERO
        restored: list[Money] = []
        for kind in (CreditKind.PAYMENT, CreditKind.WRITE_OFF):
            amount = sum((c.amount for c in self.credits if c.kind is kind and c.reference == payment_id), ZERO)
            if amount > 0:
                self.credits.append(ReceivableCredit(kind, reversal_id, -amount, on))
            restored.append(amount)
        return restored[0], restored[1]

    def cancel(self, on: date) -> Money:
        """The invoice was cancelled before the goods left: what was outstanding is cancelled (a record, not a
        deletion); returns the cash already applied to it, which goes back to the customer's unapplied credit.
        Cancelling twice changes nothing (returns 0)."""
        if self.cancelled_on is not None:
            return ZERO
        self.cancelled_on = on
        refundable = self.paid
        self.credits.append(ReceivableCredit(CreditKind.CANCELLATION, "cancellation", self.outstanding, on))
        return refundable

    def write_off(self, write_off_id: str, amount: Decimal | int | str, limit: Decimal, on: date) -> bool:
        """Finance writes off a small residue, never more than `limit` and never more than what is owed."""
        value = positive(amount, "write_off")
        if self._has(CreditKind.WRITE_OFF, write_off_id):
            return False
        if value > money(limit, "write_off_limit"):
            raise ConflictingState(f"write-off {format_inr(value)} is above the limit {format_inr(limit)}")
        if value > self.outstanding:
            raise ConflictingState(
                f"write-off {format_inr(value)} exceeds the {format_inr(self.outstanding)} outstanding"
            )
        self.credits.append(ReceivableCredit(CreditKind.WRITE_OFF, write_off_id, value, on))
        return True


# --- ageing and overdue ------------------------------------------------------------------------


@dataclass(frozen=True)
class Ageing:
    """Outstanding amounts by days past invoice date."""

    days_0_30: Money = ZERO
    days_31_60: Money = ZERO
    days_61_90: Money = ZERO
    days_over_90: Money = ZERO

    @property
    def total(self) -> Money:
        return self.days_0_30 + self.days_31_60 + self.days_61_90 + self.days_over_90


def age_receivables(receivables: Iterable[Receivable], today: date) -> Ageing:
    buckets = [ZERO, ZERO, ZERO, ZERO]
    for receivable in receivables:
        owed = receivable.outstanding
        if owed <= 0:
            continue
        days = receivable.days_past_invoice(today)
        index = 0 if days <= 30 else 1 if days <= 60 else 2 if days <= 90 else 3
        buckets[index] += owed
    return Ageing(*buckets)


@dataclass(frozen=True)
class OverdueInvoice:
    invoice_id: str
    invoice_no: str
    invoice_date: date
    due_date: date
    outstanding: Money
    days_overdue: int


def _overdue(receivable: Receivable, today: date) -> OverdueInvoice:
    return OverdueInvoice(
        receivable.invoice_id,
        receivable.invoice_no,
        receivable.invoice_date,
        receivable.due_date,
        receivable.outstanding,
        receivable.days_overdue(today),
    )


def overdue_invoices(receivables: Iterable[Receivable], today: date, grace_days: int = 0) -> list[OverdueInvoice]:
    """Invoices overdue by more than `grace_days`, most overdue first."""
    found = [_overdue(r, today) for r in receivables if r.is_overdue_beyond(grace_days, today)]
    return sorted(found, key=lambda o: (-o.days_overdue, o.invoice_date, o.invoice_no))


def oldest_overdue_invoice(receivables: Iterable[Receivable], today: date) -> OverdueInvoice | None:
    """The unpaid invoice past its due date with the oldest invoice date (grace not considered)."""
    found = overdue_invoices(receivables, today, grace_days=0)
    return min(found, key=lambda o: (o.invoice_date, o.invoice_no), default=None)


@dataclass(frozen=True)
class PaymentBehaviour:
    """How the customer has paid settled invoices: the sanction view's payment history."""

    invoices_settled: int
    average_days_to_settle: Decimal | None
    average_days_late: Decimal | None


def payment_behaviour(receivables: Iterable[Receivable]) -> PaymentBehaviour:
    to_settle: list[int] = []
    late: list[int] = []
    for receivable in receivables:
        settled_on = receivable.settled_on
        if settled_on is None or receivable.is_cancelled:
            continue
        to_settle.append((settled_on - receivable.invoice_date).days)
        late.append(max(0, (settled_on - receivable.due_date).days))
    if not to_settle:
        return PaymentBehaviour(0, None, None)
    count = Decimal(len(to_settle))
    one_place = Decimal("0.1")
    return PaymentBehaviour(
        len(to_settle),
        (Decimal(sum(to_settle)) / count).quantize(one_place),
        (Decimal(sum(late)) / count).quantize(one_place),
    )
