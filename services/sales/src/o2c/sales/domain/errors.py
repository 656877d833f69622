"""Errors the sales domain raises: a bad value where data enters, or a business rule that refuses an act.

Entry points translate `InvalidValue` to 422 naming `field`, and `RuleViolation` to 409/422 with `reason`.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal by the sales domain; `reason` is written for the person who asked."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidValue(DomainError):
    """A value does not satisfy its rule (pattern, check character, lookup). `field` names where it came in."""

    def __init__(self, field: str, reason: str, value: object = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.value = value
        self.detail = reason


class RuleViolation(DomainError):
    """A business rule refuses the act (customer cannot trade, quotation expired, order already dispatched)."""


class TransitionRefused(RuleViolation):
    """A lifecycle does not allow moving from `current` to `wanted`."""

    def __init__(self, subject: str, current: str, wanted: str, reason: str = "") -> None:
        text = f"{subject} cannot go from {current} to {wanted}"
        super().__init__(f"{text}: {reason}" if reason else text)
        self.current = current
        self.wanted = wanted
