from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from o2c.india.supply import TaxRegime
from o2c.sales.domain.customer import Address, GstCategory
from o2c.sales.domain.errors import RuleViolation
from o2c.sales.domain.geography import StateCode
from o2c.sales.domain.tax import (
    GstRate,
    GstRateSchedule,
    HsnCode,
    TaxSplit,
    gst_rate_for,
    place_of_supply,
    regime_of,
    split_tax,
)

MakeAddress = Callable[..., Address]
MH, KA, CH = StateCode("27"), StateCode("29"), StateCode("04")


def test_intra_state_supply_splits_into_cgst_and_sgst() -> None:
    tax = split_tax(Decimal("45000.00"), Decimal("18"), MH, MH)
    assert tax == TaxSplit(cgst=Decimal("4050.00"), sgst=Decimal("4050.00"))
    assert Decimal("45000.00") + tax.total == Decimal("53100.00")


def test_inter_state_supply_bears_igst_at_the_full_rate() -> None:
    assert split_tax(Decimal("45000.00"), Decimal("18"), MH, KA) == TaxSplit(igst=Decimal("8100.00"))


def test_union_territory_without_legislature_uses_utgst() -> None:
    assert split_tax(Decimal("1000.00"), Decimal("5"), CH, CH) == TaxSplit(
        cgst=Decimal("25.00"), utgst=Decimal("25.00")
    )


def test_sez_buyer_in_the_same_state_bears_igst() -> None:
    assert regime_of(MH, MH, sez_buyer=True) is TaxRegime.IGST
    assert split_tax(Decimal("100.00"), Decimal("18"), MH, MH, sez_buyer=True).igst == Decimal("18.00")


def test_each_half_is_rounded_to_the_paisa_half_up() -> None:
    tax = split_tax(Decimal("10.10"), Decimal("5"), MH, MH)  # 2.5 % of 10.10 = 0.2525
    assert (tax.cgst, tax.sgst) == (Decimal("0.25"), Decimal("0.25"))
    assert split_tax(Decimal("10.30"), Decimal("5"), MH, MH).cgst == Decimal("0.26")  # 0.2575


def test_cess_is_added_on_the_taxable_value() -> None:
    assert split_tax(Decimal("1000.00"), Decimal("28"), MH, KA, cess_rate=Decimal("12")).cess == Decimal("120.00")


def test_zero_rated_supply_carries_no_tax() -> None:
    assert split_tax(Decimal("1000.00"), Decimal("18"), MH, StateCode("96"), zero_rated=True).total == 0


def test_export_bears_igst() -> None:
    assert regime_of(MH, StateCode("96")) is TaxRegime.IGST


def test_place_of_supply_is_the_ship_to_state(make_address: MakeAddress) -> None:
    bill_to = make_address()
    ship_to = make_address("blr", state="29", pincode="560001", gstin=None, billing=False)
    assert place_of_supply(bill_to, ship_to, GstCategory.REGISTERED) == KA


def test_third_party_delivery_is_supplied_in_the_buyers_billing_state(make_address: MakeAddress) -> None:
    bill_to = make_address()
    site = make_address("site", state="29", pincode="560001", gstin=None, billing=False, third_party=True)
    assert place_of_supply(bill_to, site, GstCategory.REGISTERED) == MH


def test_unregistered_buyer_is_supplied_where_the_goods_are_delivered(make_address: MakeAddress) -> None:
    bill_to = make_address(gstin=None)
    site = make_address("site", state="29", pincode="560001", gstin=None, billing=False, third_party=True)
    assert place_of_supply(bill_to, site, GstCategory.UNREGISTERED) == KA


def test_most_specific_hsn_rate_wins() -> None:
    schedule = GstRateSchedule(
        [GstRate("84", Decimal(18), date(2017, 7, 1)), GstRate("8413", Decimal(5), date(2017, 7, 1))]
    )
    assert gst_rate_for(schedule, HsnCode("84137010"), date(2026, 1, 1)).rate == Decimal(5)
    assert gst_rate_for(schedule, HsnCode("8481"), date(2026, 1, 1)).rate == Decimal(18)


def test_missing_rate_is_refused() -> None:
    with pytest.raises(RuleViolation, match="no GST rate"):
        gst_rate_for(GstRateSchedule([]), HsnCode("8413"), date(2026, 1, 1))
