"""Rupees as exact decimals with two places (ROUND_HALF_UP), and how the business writes them (₹10,50,000.00)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TypeAlias

from o2c.credit.domain.errors import InvalidValue
from o2c.india.rupees import format_inr as format_inr

Money: TypeAlias = Decimal
"""Rupees, always quantised to paise by `money()`; the alias says what a Decimal means."""

PAISA = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal | int | str, field: str = "amount") -> Money:
    """An amount in rupees, rounded half-up to the paisa. Floats are refused: 0.1 + 0.2 must never reach a ledger."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InvalidValue(field, f"money must be a Decimal, int or decimal string, not {type(value).__name__}")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value)
    except InvalidOperation as exc:
        raise InvalidValue(field, f"not a decimal number: {value!r}") from exc
    if not amount.is_finite():
        raise InvalidValue(field, f"not a finite amount: {value!r}")
    return amount.quantize(PAISA, rounding=ROUND_HALF_UP)


def non_negative(value: Decimal | int | str, field: str = "amount") -> Money:
    amount = money(value, field)
    if amount < 0:
        raise InvalidValue(field, f"must not be negative, got {amount}")
    return amount


def positive(value: Decimal | int | str, field: str = "amount") -> Money:
    amount = money(value, field)
    if amount <= 0:
        raise InvalidValue(field, f"must be more than zero, got {amount}")
    return amount


