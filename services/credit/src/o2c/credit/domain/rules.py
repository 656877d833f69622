"""The automatic credit check: approve at once when the order fits the effective limit, nothing is overdue
beyond terms + grace and the customer is not on hold; otherwise hold it for sanction, saying why with amounts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from o2c.credit.domain.business_time import as_business_date
from o2c.credit.domain.exposure import Exposure
from o2c.credit.domain.money import ZERO, Money, format_inr, non_negative
from o2c.credit.domain.profile import CreditProfile
from o2c.credit.domain.receivables import OverdueInvoice, Receivable, overdue_invoices


class HoldReason(StrEnum):
    """Values equal the v1 contract's HoldReason, so the message maps by value."""

    OVER_LIMIT = "over_limit"
    OVERDUE = "overdue"
    NO_CREDIT_PROFILE = "no_credit_profile"
    CUSTOMER_ON_HOLD = "customer_blocked"


@dataclass(frozen=True)
class Hold:
    reason: HoldReason
    explanation: str


@dataclass(frozen=True)
class CreditDecision:
    order_amount: Money
    credit_limit: Money
    exposure: Exposure
    holds: tuple[Hold, ...] = ()
    overdue: tuple[OverdueInvoice, ...] = ()

    @property
    def approved(self) -> bool:
        return not self.holds

    @property
    def reasons(self) -> tuple[HoldReason, ...]:
        return tuple(h.reason for h in self.holds)

    @property
    def exposure_after(self) -> Money:
        """Exposure including this order: what the approval view shows."""
        return self.exposure.with_order(self.order_amount)

    @property
    def headroom(self) -> Money:
        """Limit left before this order (negative when already over)."""
        return self.credit_limit - self.exposure.total

    @property
    def excess(self) -> Money:
        """By how much this order would take the customer over the limit."""
        return max(ZERO, self.exposure_after - self.credit_limit)


def check_credit(
    profile: CreditProfile | None,
    exposure: Exposure,
    new_order_gross: Decimal,
    receivables: Iterable[Receivable],
    today: date,
) -> CreditDecision:
    """Decide one order. `exposure` must exclude the order itself (see `Exposure.of(excluding_order=...)`);
    `today` is the IST business date (an instant is converted)."""
    day = as_business_date(today)
    amount = non_negative(new_order_gross, "order_amount")
    if profile is None:
        hold = Hold(HoldReason.NO_CREDIT_PROFILE, "customer has no credit profile; a finance head must set one")
        return CreditDecision(amount, ZERO, exposure, (hold,))

    limit = profile.effective_limit(day)
    holds: list[Hold] = []
    if profile.on_hold:
        why = f": {profile.hold_reason}" if profile.hold_reason else ""
        holds.append(Hold(HoldReason.CUSTOMER_ON_HOLD, f"customer is on credit hold{why}"))

    after = exposure.with_order(amount)
    if after > limit:
        holds.append(
            Hold(
                HoldReason.OVER_LIMIT,
                f"exposure {format_inr(after)} (receivables {format_inr(exposure.receivables)} + open orders "
                f"{format_inr(exposure.open_orders)} + this order {format_inr(amount)}"
                + (f" − unapplied credit {format_inr(exposure.unapplied_credit)}" if exposure.unapplied_credit
                   else "")
                + f") exceeds the limit {format_inr(limit)} by {format_inr(after - limit)}",
            )
        )

    overdue = tuple(overdue_invoices(receivables, day, profile.grace_days))
    if overdue:
        worst = overdue[0]
        holds.append(
            Hold(
                HoldReason.OVERDUE,
                f"{len(overdue)} invoice(s) overdue beyond {profile.grace_days} grace days, "
                f"{format_inr(sum((o.outstanding for o in overdue), ZERO))} in all; oldest {worst.invoice_no} "
                f"({format_inr(worst.outstanding)}) due {worst.due_date.isoformat()}, "
                f"{worst.days_overdue} days overdue",
            )
        )
    return CreditDecision(amount, limit, exposure, tuple(holds), overdue)
