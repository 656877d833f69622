"""The sanction queue: a held order waits for finance with the facts (order, exposure, limit, headroom, ageing,
oldest overdue invoice, payment history). Finance approves, approves with a temporary limit increase, or
rejects with a note; an undecided request escalates after a few hours and expires after the hold period."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from o2c.credit.domain.authority import FINANCE, Actor, require_role, require_sanction_authority
from o2c.credit.domain.business_time import require_aware
from o2c.credit.domain.errors import ConflictingState, InvalidValue
from o2c.credit.domain.exposure import Exposure
from o2c.credit.domain.money import Money
from o2c.credit.domain.profile import CreditProfile, TemporaryIncrease
from o2c.credit.domain.receivables import Ageing, OverdueInvoice, PaymentBehaviour
from o2c.credit.domain.rules import CreditDecision, Hold, HoldReason


@dataclass(frozen=True)
class SanctionPolicy:
    """Configurable timings: target decision time (escalate after) and how long an order may stay held."""

    escalate_after: timedelta = timedelta(hours=4)
    hold_period: timedelta = timedelta(hours=48)

    def __post_init__(self) -> None:
        if self.escalate_after <= timedelta(0) or self.hold_period <= timedelta(0):
            raise InvalidValue("sanction_policy", "escalation and hold period must be positive")
        if self.escalate_after > self.hold_period:
            raise InvalidValue("escalate_after", "must not be later than the hold period")


class SanctionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    """A newer revision of the order (or a recheck) was decided; this request needs no answer any more."""


@dataclass
class SanctionRequest:
    sanction_id: str
    order_id: str
    customer_id: str
    order_revision: int
    amount: Money
    holds: tuple[Hold, ...]
    exposure: Exposure
    credit_limit: Money
    ageing: Ageing
    oldest_overdue: OverdueInvoice | None
    payment_history: PaymentBehaviour | None
    requested_at: datetime
    escalation_due_at: datetime
    expires_at: datetime
    status: SanctionStatus = SanctionStatus.PENDING
    escalated_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str = ""
    temporary_increase: TemporaryIncrease | None = field(default=None)
    request_id: str | None = None
    """The RecheckCredit request this sanction answers, if any (echoed on the decision)."""

    @classmethod
    def raise_for(
        cls,
        *,
        sanction_id: str,
        order_id: str,
        customer_id: str,
        order_revision: int,
        decision: CreditDecision,
        ageing: Ageing,
        oldest_overdue: OverdueInvoice | None,
        requested_at: datetime,
        payment_history: PaymentBehaviour | None = None,
        policy: SanctionPolicy | None = None,
    ) -> SanctionRequest:
        if decision.approved:
            raise ConflictingState(f"order {order_id} was approved; there is nothing to sanction")
        rules = policy or SanctionPolicy()
        at = require_aware(requested_at, "requested_at")
        return cls(
            sanction_id=sanction_id,
            order_id=order_id,
            customer_id=customer_id,
            order_revision=order_revision,
            amount=decision.order_amount,
            holds=decision.holds,
            exposure=decision.exposure,
            credit_limit=decision.credit_limit,
            ageing=ageing,
            oldest_overdue=oldest_overdue,
            payment_history=payment_history,
            requested_at=at,
            escalation_due_at=at + rules.escalate_after,
            expires_at=at + rules.hold_period,
        )

    # --- what the approval view shows ------------------------------------------------------------

    @property
    def reasons(self) -> tuple[HoldReason, ...]:
        return tuple(h.reason for h in self.holds)

    @property
    def headroom(self) -> Money:
        return self.credit_limit - self.exposure.total

    @property
    def exposure_with_order(self) -> Money:
        return self.exposure.with_order(self.amount)

    @property
    def is_pending(self) -> bool:
        return self.status is SanctionStatus.PENDING

    # --- time ----------------------------------------------------------------------------------

    def is_escalation_due(self, now: datetime) -> bool:
        return self.is_pending and self.escalated_at is None and require_aware(now, "now") >= self.escalation_due_at

    def escalate(self, now: datetime) -> bool:
        """Mark escalated (once); returns whether this call escalated it."""
        if not self.is_escalation_due(now):
            return False
        self.escalated_at = now
        return True

    def is_expiry_due(self, now: datetime) -> bool:
        return self.is_pending and require_aware(now, "now") >= self.expires_at

    def expire(self, now: datetime) -> bool:
        """Undecided at the end of the hold period: rejected as expired (the saga releases the stock)."""
        if not self.is_expiry_due(now):
            return False
        self.status, self.decided_at, self.decided_by = SanctionStatus.EXPIRED, now, None
        return True

    def supersede(self, now: datetime) -> bool:
        """A newer decision for the order replaces this pending request (no message: the newer one answers)."""
        if not self.is_pending:
            return False
        self.status, self.decided_at, self.decided_by = SanctionStatus.SUPERSEDED, require_aware(now, "now"), None
        return True

    # --- deciding ------------------------------------------------------------------------------

    def _require_decidable(self, at: datetime) -> datetime:
        at = require_aware(at, "decided_at")
        if not self.is_pending:
            raise ConflictingState(f"sanction {self.sanction_id} is already {self.status.value}")
        if at >= self.expires_at:
            raise ConflictingState(
                f"sanction {self.sanction_id} expired at {self.expires_at.isoformat()}; the order is released"
            )
        return at

    def _decide(self, status: SanctionStatus, by: Actor, at: datetime, note: str) -> None:
        at = self._require_decidable(at)
        self.status, self.decided_by, self.decided_at, self.note = status, by.user_id, at, note

    def approve(self, by: Actor, at: datetime, note: str = "") -> None:
        """Sanction this order. A finance executive may approve orders up to her approval limit."""
        require_sanction_authority(by, self.amount, "sanction an order")
        self._decide(SanctionStatus.APPROVED, by, at, note)

    def approve_with_temporary_increase(
        self,
        by: Actor,
        at: datetime,
        profile: CreditProfile,
        increase: Decimal | int | str,
        valid_until: date,
        note: str = "",
    ) -> TemporaryIncrease:
        """Sanction this order and raise the customer's limit until a date (audited on the profile)."""
        if profile.customer_id != self.customer_id:
            raise InvalidValue("profile", f"belongs to {profile.customer_id}, not {self.customer_id}")
        require_sanction_authority(by, self.amount, "sanction an order")
        self._require_decidable(at)
        grant = profile.grant_temporary_increase(increase, valid_until, by, at, note or f"sanction {self.sanction_id}")
        self._decide(SanctionStatus.APPROVED, by, at, note)
        self.temporary_increase = grant
        return grant

    def reject(self, by: Actor, at: datetime, note: str) -> None:
        require_role(by, FINANCE, "reject an order on credit")
        if not note.strip():
            raise InvalidValue("note", "a rejection needs a note for sales and the customer")
        self._decide(SanctionStatus.REJECTED, by, at, note)
