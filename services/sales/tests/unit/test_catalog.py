from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from o2c.sales.domain.catalog import (
    BuyGetScheme,
    Item,
    PriceEntry,
    PriceList,
    PriceSource,
    Pricing,
    QuantitySlabScheme,
    SchemeBook,
    SchemeKind,
    SchemeLine,
    SchemeScope,
    Slab,
    Uqc,
    best_scheme_for,
)
from o2c.sales.domain.errors import InvalidValue, RuleViolation
from o2c.sales.domain.tax import HsnCode, gst_rate_for

MAY = date(2026, 5, 4)


def test_item_from_raw_input_is_validated() -> None:
    item = Item.create(code="pump-2", name="Pump", hsn="8413 70", unit="nos", product_line="pumps")
    assert (item.code, item.hsn.value, item.unit) == ("PUMP-2", "841370", Uqc.NOS)


@pytest.mark.parametrize("hsn", ["841", "84137", "8413701", "841370101", "84A3"])
def test_hsn_has_four_six_or_eight_digits(hsn: str) -> None:
    with pytest.raises(InvalidValue) as error:
        Item.create(code="P", name="Pump", hsn=hsn, unit="NOS", product_line="pumps")
    assert error.value.field == "hsn"


def test_unit_must_be_a_gst_uqc() -> None:
    with pytest.raises(InvalidValue, match="UQC"):
        Item.create(code="P", name="Pump", hsn="8413", unit="EACH", product_line="pumps")


def test_non_stocked_item_needs_a_lead_time() -> None:
    with pytest.raises(InvalidValue, match="lead time"):
        Item(code="M", name="Motor", hsn=HsnCode("8501"), unit=Uqc.NOS, product_line="motors", stocked=False)


def test_negotiated_price_wins_while_valid(price_list: PriceList, items: dict[str, Item]) -> None:
    price = price_list.price_for(items["VALVE-1"], "C1", MAY)
    assert (price.unit_price, price.source) == (Decimal("240.00"), PriceSource.NEGOTIATED)


def test_expired_negotiated_price_falls_back_to_the_standard_list(
    price_list: PriceList, items: dict[str, Item]
) -> None:
    assert price_list.price_for(items["PUMP-1"], "C1", date(2026, 4, 30)).unit_price == Decimal("900.00")
    price = price_list.price_for(items["PUMP-1"], "C1", MAY)
    assert (price.unit_price, price.source) == (Decimal("1000.00"), PriceSource.STANDARD)


def test_other_customers_get_the_standard_price(price_list: PriceList, items: dict[str, Item]) -> None:
    assert price_list.price_for(items["VALVE-1"], "C2", MAY).source is PriceSource.STANDARD


def test_item_without_a_valid_price_is_refused(price_list: PriceList) -> None:
    with pytest.raises(RuleViolation, match="no price for PUMP-1 valid on 2026-03-31"):
        price_list.price_for("PUMP-1", None, date(2026, 3, 31))


def test_overlapping_prices_for_the_same_item_are_refused(price_list: PriceList) -> None:
    with pytest.raises(RuleViolation, match="already has a price"):
        price_list.add(PriceEntry("VALVE-1", Decimal("200.00"), date(2026, 6, 1), customer_id="C1"))
    price_list.add(PriceEntry("VALVE-1", Decimal("230.00"), date(2027, 1, 1), customer_id="C1"))


def test_price_validity_must_not_end_before_it_starts() -> None:
    with pytest.raises(InvalidValue):
        PriceEntry("X", Decimal("1.00"), date(2026, 5, 2), date(2026, 5, 1))


def _pump_line(items: dict[str, Item], quantity: str, price: str = "1000.00") -> SchemeLine:
    return SchemeLine(items["PUMP-1"], Decimal(quantity), Decimal(price))


def test_highest_slab_reached_gives_its_discount(schemes: SchemeBook, items: dict[str, Item]) -> None:
    choice = schemes.best_scheme_for(_pump_line(items, "60"), MAY)
    assert choice is not None
    assert choice.benefit.discount_percent == Decimal("5")
    assert choice.benefit.discount == Decimal("3000.00")


def test_below_the_first_slab_there_is_no_discount(schemes: SchemeBook, items: dict[str, Item]) -> None:
    assert schemes.best_scheme_for(_pump_line(items, "9"), MAY) is None


def test_slab_discount_is_exact_to_the_paisa(schemes: SchemeBook, items: dict[str, Item]) -> None:
    choice = schemes.best_scheme_for(_pump_line(items, "13", "333.33"), MAY)
    assert choice is not None
    assert choice.benefit.discount == Decimal("108.33")  # 2.5 % of 4333.29 = 108.33225


def test_buy_ten_get_one_gives_free_units_per_full_ten(schemes: SchemeBook, items: dict[str, Item]) -> None:
    choice = schemes.best_scheme_for(SchemeLine(items["VALVE-1"], Decimal(25), Decimal("240.00")), MAY)
    assert choice is not None
    assert choice.benefit.kind is SchemeKind.BUY_X_GET_Y
    assert choice.benefit.free_quantity == Decimal(2)
    assert choice.benefit.discount == Decimal("0.00")
    assert choice.benefit.value == Decimal("480.00")


def test_expired_scheme_does_not_apply(schemes: SchemeBook, items: dict[str, Item]) -> None:
    line = SchemeLine(items["VALVE-1"], Decimal(25), Decimal("240.00"))
    assert schemes.best_scheme_for(line, date(2026, 7, 1)) is None


def test_best_scheme_is_the_one_worth_most(items: dict[str, Item]) -> None:
    scope = SchemeScope(item_codes=frozenset({"PUMP-1"}))
    slab = QuantitySlabScheme(
        "SLAB", "s", scope, date(2026, 1, 1), date(2026, 12, 31), slabs=(Slab(Decimal(10), Decimal(5)),)
    )
    bogo = BuyGetScheme(
        "BOGO", "b", scope, date(2026, 1, 1), date(2026, 12, 31), buy_quantity=Decimal(10), free_quantity=Decimal(1)
    )
    # 10 pumps: 5 % is ₹500, one free pump is ₹1000.
    choice = best_scheme_for(_pump_line(items, "10"), [slab, bogo], MAY)
    assert choice is not None and choice.scheme.code == "BOGO"


def test_equal_worth_prefers_the_discount(items: dict[str, Item]) -> None:
    scope = SchemeScope(item_codes=frozenset({"PUMP-1"}))
    slab = QuantitySlabScheme(
        "SLAB", "s", scope, date(2026, 1, 1), date(2026, 12, 31), slabs=(Slab(Decimal(10), Decimal(10)),)
    )
    bogo = BuyGetScheme(
        "BOGO", "b", scope, date(2026, 1, 1), date(2026, 12, 31), buy_quantity=Decimal(10), free_quantity=Decimal(1)
    )
    choice = best_scheme_for(_pump_line(items, "10"), [bogo, slab], MAY)
    assert choice is not None and choice.scheme.code == "SLAB"


def test_scheme_codes_are_unique(schemes: SchemeBook) -> None:
    with pytest.raises(RuleViolation):
        schemes.add(next(iter(schemes)))


def test_slab_percent_must_be_between_zero_and_hundred() -> None:
    with pytest.raises(InvalidValue):
        Slab(Decimal(10), Decimal(100))


def test_pricing_combines_price_scheme_and_rate(pricing: Pricing, items: dict[str, Item]) -> None:
    line = pricing.price(items["PUMP-1"], Decimal(12), "C1", MAY)
    assert line.unit_price == Decimal("1000.00")
    assert line.scheme is not None and line.scheme.code == "PUMPSLAB"
    assert line.gross_amount == Decimal("12000.00")
    assert line.discount == Decimal("300.00")
    assert line.taxable_value == Decimal("11700.00")
    assert line.gst.rate == Decimal("5")  # 8413 moved from 12 % to 5 % on 22 September 2025


def test_gst_rate_is_the_one_in_force_on_the_date(pricing: Pricing, items: dict[str, Item]) -> None:
    assert gst_rate_for(pricing.rates, items["PUMP-1"].hsn, date(2025, 9, 21)).rate == Decimal("12")


def test_changing_quantity_reapplies_the_same_scheme(pricing: Pricing, items: dict[str, Item]) -> None:
    line = pricing.price(items["PUMP-1"], Decimal(12), "C1", MAY)
    smaller = line.with_quantity(Decimal(5))
    assert smaller.discount == Decimal("0.00")
    assert smaller.unit_price == line.unit_price
