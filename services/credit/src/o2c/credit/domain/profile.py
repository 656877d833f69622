"""A customer's credit profile: limit, payment terms, grace days, hold flag and temporary increases, with
every change kept as an audit record (who, when, old, new, why)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from o2c.credit.domain.authority import FINANCE, SALES, Actor, Role, require_role, require_sanction_authority
from o2c.credit.domain.business_time import as_business_date, business_date, require_aware
from o2c.credit.domain.errors import InvalidValue
from o2c.credit.domain.money import ZERO, Money, non_negative, positive

DEFAULT_PAYMENT_TERMS_DAYS = 30


@dataclass(frozen=True)
class TemporaryIncrease:
    """Extra headroom on top of the limit, from `valid_from` through `valid_until` (IST days, inclusive)."""

    amount: Money
    valid_from: date
    valid_until: date
    granted_by: str
    note: str = ""

    def applies_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until


@dataclass(frozen=True)
class ProfileChange:
    """One audited change. Values are kept as text so one record shape fits limits, days and flags."""

    what: str
    old: str
    new: str
    changed_by: str
    role: Role
    changed_at: datetime
    reason: str = ""


def _days(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidValue(name, f"must be a whole number of days ≥ 0, got {value!r}")
    return value


@dataclass
class CreditProfile:
    customer_id: str
    credit_limit: Money = ZERO
    payment_terms_days: int = DEFAULT_PAYMENT_TERMS_DAYS
    grace_days: int = 0
    on_hold: bool = False
    hold_reason: str = ""
    proposed_limit: Money | None = None
    temporary_increases: list[TemporaryIncrease] = field(default_factory=list)
    changes: list[ProfileChange] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.customer_id:
            raise InvalidValue("customer_id", "required")
        self.credit_limit = non_negative(self.credit_limit, "credit_limit")
        _days(self.payment_terms_days, "payment_terms_days")
        _days(self.grace_days, "grace_days")

    # --- reading ---------------------------------------------------------------------------------

    def effective_limit(self, at: date) -> Money:
        """The limit plus every temporary increase in force on that IST day (`at` may be a date or an instant)."""
        day = as_business_date(at)
        extra = sum((t.amount for t in self.temporary_increases if t.applies_on(day)), ZERO)
        return self.credit_limit + extra

    # --- changing (each change audited) --------------------------------------------------------

    def _audit(self, what: str, old: object, new: object, by: Actor, at: datetime, reason: str) -> None:
        self.changes.append(
            ProfileChange(what, str(old), str(new), by.user_id, by.role, require_aware(at, "changed_at"), reason)
        )

    def propose_limit(self, amount: Decimal | int | str, by: Actor, at: datetime, reason: str = "") -> None:
        """Sales proposes; the limit itself changes only when a finance head sets it."""
        require_role(by, SALES | {Role.FINANCE_HEAD}, "propose a credit limit")
        proposed = non_negative(amount, "proposed_limit")
        self._audit("proposed_limit", self.proposed_limit, proposed, by, at, reason)
        self.proposed_limit = proposed

    def set_limit(self, amount: Decimal | int | str, by: Actor, at: datetime, reason: str = "") -> None:
        require_role(by, frozenset({Role.FINANCE_HEAD}), "set a credit limit")
        new_limit = non_negative(amount, "credit_limit")
        if new_limit == self.credit_limit:
            return
        self._audit("credit_limit", self.credit_limit, new_limit, by, at, reason)
        self.credit_limit = new_limit
        self.proposed_limit = None

    def set_terms(
        self, payment_terms_days: int, grace_days: int, by: Actor, at: datetime, reason: str = ""
    ) -> None:
        require_role(by, FINANCE, "change payment terms")
        terms = _days(payment_terms_days, "payment_terms_days")
        grace = _days(grace_days, "grace_days")
        if terms != self.payment_terms_days:
            self._audit("payment_terms_days", self.payment_terms_days, terms, by, at, reason)
            self.payment_terms_days = terms
        if grace != self.grace_days:
            self._audit("grace_days", self.grace_days, grace, by, at, reason)
            self.grace_days = grace

    def place_on_hold(self, by: Actor, at: datetime, reason: str) -> None:
        require_role(by, FINANCE, "put a customer on credit hold")
        if not reason.strip():
            raise InvalidValue("reason", "a credit hold needs a reason")
        if self.on_hold:
            return
        self._audit("on_hold", False, True, by, at, reason)
        self.on_hold, self.hold_reason = True, reason

    def release_hold(self, by: Actor, at: datetime, reason: str = "") -> None:
        require_role(by, FINANCE, "release a credit hold")
        if not self.on_hold:
            return
        self._audit("on_hold", True, False, by, at, reason)
        self.on_hold, self.hold_reason = False, ""

    def grant_temporary_increase(
        self, amount: Decimal | int | str, valid_until: date, by: Actor, at: datetime, note: str = ""
    ) -> TemporaryIncrease:
        """A finance head, or a finance executive within her approval limit, adds headroom until a date."""
        increase = positive(amount, "temporary_increase")
        require_sanction_authority(by, increase, "grant a temporary limit increase")
        today = business_date(require_aware(at, "granted_at"))
        if isinstance(valid_until, datetime) or valid_until < today:
            raise InvalidValue("valid_until", f"must be a date on or after {today.isoformat()}")
        grant = TemporaryIncrease(increase, today, valid_until, by.user_id, note)
        self._audit("temporary_increase", "", f"{increase} until {valid_until.isoformat()}", by, at, note)
        self.temporary_increases.append(grant)
        return grant
