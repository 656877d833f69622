"""Errors of the use cases beyond the domain's (InvalidValue → 422, RuleViolation → 409)."""

from __future__ import annotations

from o2c.sales.domain.errors import DomainError


class NotFoundError(DomainError):
    def __init__(self, what: str, ident: str) -> None:
        super().__init__(f"{what} {ident} does not exist")
        self.what, self.ident = what, ident


class ForbiddenError(DomainError):
    """The caller may not see or act on this record (data scope)."""
