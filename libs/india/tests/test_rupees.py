"""Indian digit grouping, shared by every service that shows an amount to a person."""

from __future__ import annotations

from decimal import Decimal

import pytest
from o2c.india.rupees import format_inr, indian_grouping


@pytest.mark.parametrize(("amount", "text"), [
    ("0", "0.00"), ("5", "5.00"), ("999.5", "999.50"), ("1000", "1,000.00"), ("82600", "82,600.00"),
    ("118000", "1,18,000.00"), ("1234567.891", "12,34,567.89"), ("100000000", "10,00,00,000.00"),
    ("0.005", "0.01"), ("-21240", "-21,240.00"),
])
def test_indian_grouping_rounds_half_up_to_the_paisa(amount: str, text: str) -> None:
    assert indian_grouping(Decimal(amount)) == text


def test_rupee_sign_goes_after_a_minus() -> None:
    assert format_inr(Decimal("361425.98")) == "₹3,61,425.98"
    assert format_inr(Decimal("-21240")) == "-₹21,240.00"
