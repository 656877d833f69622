"""Rupees and quantities as exact decimals: money has two places, rounded half up to the paisa."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TypeAlias

from o2c.sales.domain.errors import InvalidValue

Money: TypeAlias = Decimal
"""Rupees, always quantized to two places by `to_paise`."""

PAISA = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def to_paise(amount: Decimal) -> Money:
    """Round to the paisa, half up (₹0.005 → ₹0.01), as GST amounts are rounded."""
    return amount.quantize(PAISA, rounding=ROUND_HALF_UP)


def parse_decimal(value: object, field: str) -> Decimal:
    """A decimal from a string, int or Decimal; floats are refused so binary fractions never reach money."""
    if isinstance(value, bool | float):
        raise InvalidValue(field, "must be given as a decimal string, not a float", value)
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise InvalidValue(field, f"{value!r} is not a decimal number", value) from exc
    else:
        raise InvalidValue(field, f"{value!r} is not a decimal number", value)
    if not result.is_finite():
        raise InvalidValue(field, "must be a finite number", value)
    return result


def money(value: object, field: str = "amount") -> Money:
    """Rupees from text or Decimal, with at most two decimal places."""
    amount = parse_decimal(value, field)
    if amount != amount.quantize(PAISA, rounding=ROUND_HALF_UP):
        raise InvalidValue(field, "rupees carry at most two decimal places", value)
    return amount.quantize(PAISA)


def percent_of(amount: Decimal, rate_percent: Decimal) -> Money:
    """`rate_percent` % of `amount`, rounded to the paisa (tax and discount amounts)."""
    return to_paise(amount * rate_percent / HUNDRED)


def positive_quantity(value: object, field: str = "quantity") -> Decimal:
    """A quantity greater than zero (units carry decimals for KGS, LTR, MTR …)."""
    quantity = parse_decimal(value, field)
    if quantity <= 0:
        raise InvalidValue(field, "must be greater than zero", value)
    return quantity
