"""Quantities of one item, exact decimals in the item's unit (UQC), and IST business dates."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TypeAlias

from o2c.inventory.domain.errors import InvalidValue

Qty: TypeAlias = Decimal
"""A quantity in the item's own unit (the item carries the UQC); never a float."""

NIL = Decimal(0)


def qty(value: Decimal | int | str, field: str = "quantity") -> Qty:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InvalidValue(field, f"quantity must be a Decimal, int or decimal string, not {type(value).__name__}")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value)
    except InvalidOperation as exc:
        raise InvalidValue(field, f"not a number: {value!r}") from exc
    if not amount.is_finite():
        raise InvalidValue(field, f"not a finite quantity: {value!r}")
    return amount


def positive_qty(value: Decimal | int | str, field: str = "quantity") -> Qty:
    amount = qty(value, field)
    if amount <= 0:
        raise InvalidValue(field, f"must be more than zero, got {amount}")
    return amount


def non_negative_qty(value: Decimal | int | str, field: str = "quantity") -> Qty:
    amount = qty(value, field)
    if amount < 0:
        raise InvalidValue(field, f"must not be negative, got {amount}")
    return amount


def require_aware(at: datetime, field: str = "at") -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidValue(field, "timestamp must carry a time zone")
    return at

