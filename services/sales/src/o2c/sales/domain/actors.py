"""Who acts on sales documents: a user id and the business roles (values match the kit's `Role`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """Roles the sales rules care about; the same strings the auth tokens carry."""

    SALES_COORDINATOR = "sales_coordinator"
    SALES_HEAD = "sales_head"
    FINANCE_HEAD = "finance_head"
    PARTNER = "partner"


@dataclass(frozen=True, slots=True)
class Actor:
    """A person or system acting; `roles` may hold any role strings (e.g. the kit's Role members)."""

    user_id: str
    roles: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, user_id: str, *roles: str) -> Actor:
        return cls(user_id, frozenset(roles))

    def has_any(self, roles: Iterable[str]) -> bool:
        return any(role in self.roles for role in roles)


