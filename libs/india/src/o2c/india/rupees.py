"""How an amount reads to people in India: rupees grouped in thousands, lakhs and crores (12,34,567.89), rounded
half-up to the paisa. Pure and shared, so quotations, invoices, credit explanations, notifications and the order
page cannot drift apart."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

PAISA = Decimal("0.01")
DISPLAY_LOCALE = "en-IN"
"""The BCP 47 locale a browser groups rupees (lakhs, crores) and writes dates in, for the console."""


def indian_grouping(amount: Decimal) -> str:
    """`Decimal("1234567.891")` → `12,34,567.89`: the last three digits, then groups of two."""
    exact = amount.quantize(PAISA, rounding=ROUND_HALF_UP)
    sign = "-" if exact < 0 else ""
    whole, _, paise = f"{abs(exact):.2f}".partition(".")
    head, groups = whole[:-3], [whole[-3:]]
    while head:
        groups.insert(0, head[-2:])
        head = head[:-2]
    return f"{sign}{','.join(groups)}.{paise}"


def format_inr(amount: Decimal) -> str:
    """`Decimal("118000")` → `₹1,18,000.00` (a negative amount reads `-₹21,240.00`)."""
    grouped = indian_grouping(amount)
    return f"-₹{grouped[1:]}" if grouped.startswith("-") else f"₹{grouped}"
