"""Who may change credit: sales proposes limits, finance decides, and a finance executive sanctions only up to
her own approval limit (a finance head above it)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from o2c.credit.domain.errors import NotAuthorised
from o2c.credit.domain.money import format_inr


class Role(StrEnum):
    SALES_COORDINATOR = "sales_coordinator"
    SALES_HEAD = "sales_head"
    FINANCE_EXECUTIVE = "finance_executive"
    FINANCE_HEAD = "finance_head"


FINANCE = frozenset({Role.FINANCE_EXECUTIVE, Role.FINANCE_HEAD})
SALES = frozenset({Role.SALES_COORDINATOR, Role.SALES_HEAD})


@dataclass(frozen=True)
class Actor:
    """A person acting on credit. `approval_limit` is the largest order a finance executive may sanction
    (None: she may sanction nothing on her own); a finance head's is ignored (no ceiling)."""

    user_id: str
    role: Role
    approval_limit: Decimal | None = None

    def may_sanction(self, amount: Decimal) -> bool:
        if self.role is Role.FINANCE_HEAD:
            return True
        if self.role is Role.FINANCE_EXECUTIVE and self.approval_limit is not None:
            return amount <= self.approval_limit
        return False


def require_role(actor: Actor, allowed: frozenset[Role], action: str) -> None:
    if actor.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise NotAuthorised(f"{actor.user_id} ({actor.role.value}) may not {action}; needs one of: {names}")


def require_sanction_authority(actor: Actor, amount: Decimal, action: str) -> None:
    require_role(actor, FINANCE, action)
    if not actor.may_sanction(amount):
        ceiling = "none" if actor.approval_limit is None else format_inr(actor.approval_limit)
        raise NotAuthorised(
            f"{actor.user_id} may approve up to {ceiling}; {format_inr(amount)} needs a finance head"
        )
