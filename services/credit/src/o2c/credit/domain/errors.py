"""Why a credit rule refused something: one exception per kind of refusal, each naming what was wrong.

The entry points translate them: InvalidValue → 422 naming the field, NotAuthorised → 403,
ConflictingState → 409, UnknownInvoice → 404/422. The domain never knows about HTTP.
"""

from __future__ import annotations


class CreditError(Exception):
    """Base of every refusal the credit domain raises."""


class InvalidValue(CreditError, ValueError):
    """A value that can never be right (negative limit, naive timestamp, float money)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


class NotAuthorised(CreditError):
    """The person may not do this (role, or an approval above her approval limit)."""


class ConflictingState(CreditError):
    """The thing is not in a state that allows this (a sanction already decided, an expired hold)."""


class UnknownInvoice(CreditError, KeyError):
    """A payment or credit note names an invoice the customer's account does not hold."""

    def __init__(self, invoice_id: str) -> None:
        super().__init__(invoice_id)
        self.invoice_id = invoice_id

    def __str__(self) -> str:
        return f"no receivable for invoice {self.invoice_id}"
