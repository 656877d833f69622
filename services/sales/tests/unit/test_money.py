from __future__ import annotations

from decimal import Decimal

import pytest
from o2c.sales.domain.errors import InvalidValue
from o2c.sales.domain.money import money, percent_of, to_paise


def test_paise_round_half_up() -> None:
    assert to_paise(Decimal("0.005")) == Decimal("0.01")
    assert to_paise(Decimal("2.345")) == Decimal("2.35")
    assert to_paise(Decimal("-2.345")) == Decimal("-2.35")


def test_money_refuses_floats() -> None:
    with pytest.raises(InvalidValue, match="float"):
        money(0.1)


def test_money_refuses_fractions_of_a_paisa() -> None:
    with pytest.raises(InvalidValue, match="two decimal"):
        money("10.001")


def test_money_from_text_has_two_places() -> None:
    assert str(money("10")) == "10.00"


def test_percent_of_is_exact_to_the_paisa() -> None:
    assert percent_of(Decimal("45000.00"), Decimal("18")) == Decimal("8100.00")
    assert percent_of(Decimal("333.33"), Decimal("2.5")) == Decimal("8.33")
