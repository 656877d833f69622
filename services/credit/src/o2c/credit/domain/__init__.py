"""Credit's pure domain: profiles, exposure, the automatic check, sanctions, receivables, payments, statements.

No I/O and no framework here; the service layer loads a CustomerAccount (locked per customer), calls it, and
turns what it returns into messages."""

from o2c.credit.domain.account import (
    CreditNoteOutcome,
    CustomerAccount,
    ExposureRelease,
    PaymentOutcome,
    ReceivablePosting,
)
from o2c.credit.domain.authority import FINANCE, Actor, Role, require_role
from o2c.credit.domain.business_time import IST, business_date
from o2c.credit.domain.errors import ConflictingState, CreditError, InvalidValue, NotAuthorised, UnknownInvoice
from o2c.credit.domain.exposure import Exposure, OpenOrder, OpenOrderStatus
from o2c.credit.domain.money import ZERO, Money, format_inr, money
from o2c.credit.domain.payments import AllocationPlan, InvoiceAllocation, Payment, plan_allocation
from o2c.credit.domain.profile import CreditProfile, ProfileChange, TemporaryIncrease
from o2c.credit.domain.receivables import (
    Ageing,
    CreditKind,
    OverdueInvoice,
    PaymentBehaviour,
    Receivable,
    ReceivableCredit,
    age_receivables,
    oldest_overdue_invoice,
    overdue_invoices,
    payment_behaviour,
)
from o2c.credit.domain.rules import CreditDecision, Hold, HoldReason, check_credit
from o2c.credit.domain.sanction import (
    SanctionPolicy,
    SanctionRequest,
    SanctionStatus,
)
from o2c.credit.domain.statement import EntryKind, LedgerEntry, Statement, StatementLine, customer_statement

__all__ = [
    "FINANCE",
    "IST",
    "ZERO",
    "Actor",
    "Ageing",
    "AllocationPlan",
    "ConflictingState",
    "CreditDecision",
    "CreditError",
    "CreditKind",
    "CreditNoteOutcome",
    "CreditProfile",
    "CustomerAccount",
    "EntryKind",
    "Exposure",
    "ExposureRelease",
    "Hold",
    "HoldReason",
    "InvalidValue",
    "InvoiceAllocation",
    "LedgerEntry",
    "Money",
    "NotAuthorised",
    "OpenOrder",
    "OpenOrderStatus",
    "OverdueInvoice",
    "Payment",
    "PaymentBehaviour",
    "PaymentOutcome",
    "ProfileChange",
    "Receivable",
    "ReceivableCredit",
    "ReceivablePosting",
    "Role",
    "SanctionPolicy",
    "SanctionRequest",
    "SanctionStatus",
    "Statement",
    "StatementLine",
    "TemporaryIncrease",
    "UnknownInvoice",
    "age_receivables",
    "business_date",
    "check_credit",
    "customer_statement",
    "format_inr",
    "money",
    "oldest_overdue_invoice",
    "overdue_invoices",
    "payment_behaviour",
    "plan_allocation",
    "require_role",
]
