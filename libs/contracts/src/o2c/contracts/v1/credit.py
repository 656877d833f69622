"""v1 messages credit publishes: credit decisions on orders, receivables, payments and settlement, and the
reply to the coordinator's ReleaseCreditExposure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from o2c.contracts.envelope import Message
from o2c.contracts.topics import Service, events_topic
from o2c.contracts.types import DocumentNumber, Money
from o2c.contracts.v1.common import Part
from o2c.contracts.v1.parking import KeyParked, KeyReleased
from pydantic import AwareDatetime, Field

EVENTS = events_topic(Service.CREDIT)


class Ageing(Part):
    """Receivables outstanding by days past invoice date."""

    days_0_30: Money = Decimal("0")
    days_31_60: Money = Decimal("0")
    days_61_90: Money = Decimal("0")
    days_over_90: Money = Decimal("0")


class ExposureSnapshot(Part):
    """The customer's exposure when the decision was taken (gross, with GST)."""

    credit_limit: Money
    receivables: Money = Field(description="Invoiced and unpaid")
    open_orders: Money = Field(description="Confirmed, not yet invoiced, excluding this order")
    this_order: Money
    total: Money = Field(description="receivables + open_orders + this_order")
    overdue_amount: Money = Decimal("0")
    max_days_overdue: int = Field(default=0, ge=0)
    ageing: Ageing = Field(default_factory=Ageing)


class _OrderDecision(Message):
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    order_id: str
    customer_id: str
    order_revision: int = Field(default=1, ge=1, description="The order revision this decision is for")
    request_id: str | None = Field(default=None, description="RecheckCredit request answered, if any")
    decided_at: AwareDatetime


class CreditApproved(_OrderDecision):
    """The order fits the customer's limit and nothing is overdue beyond grace: approved automatically.
    The coordinator counts credit as cleared for this revision."""

    TYPE: ClassVar[str] = "CreditApproved"

    amount: Money = Field(description="Gross amount approved")
    exposure: ExposureSnapshot


class HoldReason(StrEnum):
    OVER_LIMIT = "over_limit"
    OVERDUE = "overdue"
    NO_CREDIT_PROFILE = "no_credit_profile"
    CUSTOMER_BLOCKED = "customer_blocked"


class CreditHeld(_OrderDecision):
    """The order waits for a finance head's sanction (over limit, or overdue beyond grace). The coordinator
    keeps the order unreleased; credit publishes CreditSanctioned or CreditRejected (also when the hold
    expires undecided, reason sanction_expired)."""

    TYPE: ClassVar[str] = "CreditHeld"

    amount: Money = Field(description="Gross amount to be sanctioned")
    reasons: list[HoldReason] = Field(min_length=1)
    exposure: ExposureSnapshot
    sanction_due_by: AwareDatetime = Field(description="Target for the decision (4 hours); escalates after")
    hold_expires_at: AwareDatetime = Field(description="Undecided by then: rejected with sanction_expired")


class CreditSanctioned(_OrderDecision):
    """A finance head sanctioned a held order. The coordinator counts credit as cleared."""

    TYPE: ClassVar[str] = "CreditSanctioned"

    amount: Money
    sanctioned_by: str = Field(description="User id of the finance head")
    note: str = ""


class RejectionReason(StrEnum):
    REJECTED_BY_FINANCE = "rejected_by_finance"
    SANCTION_EXPIRED = "sanction_expired"
    CUSTOMER_BLOCKED = "customer_blocked"


class CreditRejected(_OrderDecision):
    """Credit refused the order (by a finance head, or the hold period ran out). The coordinator sends
    ReleaseReservation and cancels the order; the order's exposure is already released by credit."""

    TYPE: ClassVar[str] = "CreditRejected"

    reason: RejectionReason
    rejected_by: str | None = Field(default=None, description="User id; None when the hold expired")
    note: str = ""


class ReceivablePosted(Message):
    """An invoice became a receivable: its gross amount moved from open-order exposure to receivables.
    Sales shows it on the order; ageing starts at the invoice date."""

    TYPE: ClassVar[str] = "ReceivablePosted"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    order_id: str
    customer_id: str
    shipment_id: str
    invoice_id: str
    invoice_no: DocumentNumber
    invoice_date: date
    amount: Money = Field(description="Invoice grand total")
    due_date: date
    open_order_released: Money = Field(description="Open-order exposure this invoice replaced")
    posted_at: AwareDatetime


class PaymentMode(StrEnum):
    NEFT = "neft"
    RTGS = "rtgs"
    IMPS = "imps"
    UPI = "upi"
    CHEQUE = "cheque"
    CASH = "cash"
    OTHER = "other"


class PaymentAllocation(Part):
    """The part of a payment applied to one invoice."""

    invoice_id: str
    invoice_no: DocumentNumber
    order_id: str
    amount: Money
    tds_amount: Money = Field(default=Decimal("0"), description="TDS the buyer deducted (s.194Q) on this invoice")
    write_off: Money = Field(default=Decimal("0"), description="Small residue written off")


class PaymentReceived(Message):
    """Finance recorded a customer payment and allocated it to invoices (oldest first unless specified);
    what is left stays unapplied. Sales shows payment status; settlement events follow."""

    TYPE: ClassVar[str] = "PaymentReceived"
    TOPIC: ClassVar[str] = EVENTS
    KEY_FIELD: ClassVar[str] = "customer_id"
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES, Service.NOTIFY)

    payment_id: str
    receipt_no: str
    customer_id: str
    received_on: date
    amount: Money
    mode: PaymentMode
    bank_reference: str | None = None
    allocations: list[PaymentAllocation] = Field(default_factory=list)
    unapplied_amount: Money = Decimal("0")
    recorded_at: AwareDatetime
    opening_balance_allocations: list[PaymentAllocation] = Field(
        default_factory=list,
        description="Parts applied to opening balances (legacy invoices loaded at go-live: no order, order_id "
                    "empty, invoice_no the legacy number); kept out of `allocations`, which name orders")


class PaymentReversalReason(StrEnum):
    CHEQUE_BOUNCED = "cheque_bounced"
    PAYMENT_RECALLED = "payment_recalled"
    RECORDED_IN_ERROR = "recorded_in_error"


class PaymentReversed(Message):
    """A recorded payment came back (a bounced cheque): each receivable it paid owes that cash again (and any
    residue written off with it), its unapplied part left unapplied credit, and exposure is restored. Once per
    payment. `bounce_charge` is the configured charge for a bounced cheque: credit does not raise it; it is a GST
    debit note, for invoicing to raise (not built yet, issue 24)."""

    TYPE: ClassVar[str] = "PaymentReversed"
    TOPIC: ClassVar[str] = EVENTS
    KEY_FIELD: ClassVar[str] = "customer_id"
    CONSUMERS: ClassVar[tuple[str, ...]] = ()

    reversal_id: str
    payment_id: str
    receipt_no: str
    customer_id: str
    reason: PaymentReversalReason
    note: str = ""
    reversed_on: date
    amount: Money = Field(description="The payment's cash, all of it reversed")
    allocations: list[PaymentAllocation] = Field(
        default_factory=list, description="Per order's invoice: `amount` cash and `write_off` owed again")
    opening_balance_allocations: list[PaymentAllocation] = Field(default_factory=list)
    unapplied_reversed: Money = Decimal("0")
    reopened_invoice_ids: list[str] = Field(default_factory=list, description="Invoices settled before, open now")
    bounce_charge: Money = Field(default=Decimal("0"), description="Configured charge for a bounced cheque, "
                                 "to be raised by invoicing as a debit note with its GST; 0 when none")
    reversed_by: str
    reversed_at: AwareDatetime


class UnappliedCreditRefunded(Message):
    """Unapplied credit (an advance or overpayment) was paid back to the customer."""

    TYPE: ClassVar[str] = "UnappliedCreditRefunded"
    TOPIC: ClassVar[str] = EVENTS
    KEY_FIELD: ClassVar[str] = "customer_id"
    CONSUMERS: ClassVar[tuple[str, ...]] = ()

    refund_id: str
    customer_id: str
    amount: Money
    refunded_on: date
    mode: PaymentMode
    reference: str
    note: str = ""
    unapplied_after: Money
    refunded_by: str
    refunded_at: AwareDatetime


class InvoiceSettled(Message):
    """An invoice is fully settled (paid, TDS and write-off together equal its total). Keyed by customer,
    like the payment that settled it."""

    TYPE: ClassVar[str] = "InvoiceSettled"
    TOPIC: ClassVar[str] = EVENTS
    KEY_FIELD: ClassVar[str] = "customer_id"
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    customer_id: str
    order_id: str
    invoice_id: str
    invoice_no: DocumentNumber
    invoice_date: date
    invoice_amount: Money
    paid_amount: Money
    tds_amount: Money = Decimal("0")
    written_off: Money = Decimal("0")
    receipt_nos: list[str] = Field(default_factory=list)
    settled_on: date


class OrderSettled(Message):
    """Every invoice of the order is settled. Sales marks the order paid (order-to-cash days end here)."""

    TYPE: ClassVar[str] = "OrderSettled"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    order_id: str
    customer_id: str
    invoice_nos: list[DocumentNumber] = Field(min_length=1)
    invoiced_amount: Money
    settled_on: date


class CreditExposureReleased(Message):
    """Reply to ReleaseCreditExposure: the amount no longer counts as open exposure (idempotent per
    request_id: a repeated command replies again with the same figures). The coordinator ticks the
    compensation off."""

    TYPE: ClassVar[str] = "CreditExposureReleased"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    order_id: str
    customer_id: str
    request_id: str
    released_amount: Money
    open_order_exposure_after: Money = Field(description="What of the order still counts as open exposure")
    released_at: AwareDatetime


# --- parked keys (issue 17): the same fields in every service, this service's own types and topic ---------


class CreditKeyParked(KeyParked):
    """Credit dead-lettered a message and holds its key's later messages on that topic behind it."""

    TYPE: ClassVar[str] = "CreditKeyParked"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)


class CreditKeyReleased(KeyReleased):
    """Credit replayed or discarded the dead letter that parked the key: its held messages ran."""

    TYPE: ClassVar[str] = "CreditKeyReleased"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)
