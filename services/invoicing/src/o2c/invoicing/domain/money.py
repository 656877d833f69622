"""Rupees and paise: exact Decimal arithmetic, rounding half-up to the paisa or the rupee, and the
amount in words with Indian numbering (thousand, lakh, crore)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from o2c.india.rupees import indian_grouping as indian_grouping

PAISA = Decimal("0.01")
RUPEE = Decimal("1")
ZERO = Decimal("0.00")


def to_paisa(amount: Decimal) -> Decimal:
    """Round half-up to two places (tax per line, line values)."""
    return amount.quantize(PAISA, rounding=ROUND_HALF_UP)


def to_rupee(amount: Decimal) -> Decimal:
    """Round half-up to whole rupees, kept with two places (grand total)."""
    return amount.quantize(RUPEE, rounding=ROUND_HALF_UP).quantize(PAISA)


_ONES = (
    "Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten",
    "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen",
)  # fmt: skip
_TENS = ("", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety")


def _below_hundred(n: int) -> str:
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] if ones == 0 else f"{_TENS[tens]} {_ONES[ones]}"


def _below_thousand(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    parts = []
    if hundreds:
        parts.append(f"{_ONES[hundreds]} Hundred")
    if rest:
        parts.append(_below_hundred(rest))
    return " ".join(parts)


def number_in_words(n: int) -> str:
    """A whole number in words, Indian style: 1,53,100 → `One Lakh Fifty Three Thousand One Hundred`."""
    if n < 0:
        return f"Minus {number_in_words(-n)}"
    if n == 0:
        return "Zero"
    crores, rest = divmod(n, 10_000_000)
    lakhs, rest = divmod(rest, 100_000)
    thousands, rest = divmod(rest, 1_000)
    parts = []
    if crores:
        parts.append(f"{number_in_words(crores)} Crore")
    if lakhs:
        parts.append(f"{_below_hundred(lakhs)} Lakh")
    if thousands:
        parts.append(f"{_below_hundred(thousands)} Thousand")
    if rest:
        parts.append(_below_thousand(rest))
    return " ".join(parts)


def amount_in_words(amount: Decimal) -> str:
    """`Rupees One Lakh Fifty Three Thousand One Hundred and Fifty Paise Only`."""
    exact = to_paisa(amount)
    sign = "Minus " if exact < 0 else ""
    paise_total = int(abs(exact) * 100)
    rupees, paise = divmod(paise_total, 100)
    words = f"{sign}Rupees {number_in_words(rupees)}"
    if paise:
        words += f" and {number_in_words(paise)} Paise"
    return words + " Only"


