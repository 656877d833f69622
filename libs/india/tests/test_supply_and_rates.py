"""Place of supply, the tax regime and its split, and effective-dated GST rates (docs/domain.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from o2c.india.gst_rates import GstRate, GstRateSchedule, InvalidGstRate, NoRateInForce
from o2c.india.states import OTHER_COUNTRIES, STATES, UnknownStateCode, levies_utgst, state_name
from o2c.india.supply import Party, TaxRegime, gst_amounts, is_third_party_delivery, place_of_supply, tax_regime

MH_BUYER = Party("27", "27AABCR1718E1ZO")
KA_SITE_OF_BUYER = Party("29", None)
KA_OTHER_COMPANY = Party("29", "29AABCR1718E1ZL")


def test_goods_delivered_to_the_buyer_are_supplied_where_the_movement_ends() -> None:
    assert place_of_supply(MH_BUYER, MH_BUYER) == "27"
    assert place_of_supply(Party("29"), Party("29")) == "29"


def test_bill_to_ship_to_is_supplied_in_the_buyers_billing_state() -> None:
    assert is_third_party_delivery(MH_BUYER, KA_OTHER_COMPANY)
    assert place_of_supply(MH_BUYER, KA_OTHER_COMPANY) == "27"
    # A buyer's own site elsewhere is not a third party when sales says so.
    assert place_of_supply(MH_BUYER, KA_SITE_OF_BUYER, third_party=False) == "29"
    assert place_of_supply(MH_BUYER, KA_SITE_OF_BUYER, third_party=True) == "27"


def test_an_unregistered_buyer_is_supplied_where_the_goods_are_delivered() -> None:
    assert place_of_supply(Party("27"), Party("29"), third_party=True) == "29"


def test_an_export_is_supplied_in_other_countries() -> None:
    assert place_of_supply(MH_BUYER, Party(OTHER_COUNTRIES), export=True) == "96"


def test_an_unknown_state_code_is_refused() -> None:
    with pytest.raises(UnknownStateCode):
        place_of_supply(Party("28"), Party("28"))


@pytest.mark.parametrize(
    ("supplier", "place", "kwargs", "regime"),
    [("27", "27", {}, TaxRegime.CGST_SGST), ("27", "29", {}, TaxRegime.IGST),
     ("04", "04", {}, TaxRegime.CGST_UTGST), ("38", "38", {}, TaxRegime.CGST_UTGST),
     ("07", "07", {}, TaxRegime.CGST_SGST), ("34", "34", {}, TaxRegime.CGST_SGST),
     ("27", "04", {}, TaxRegime.IGST), ("27", "27", {"sez": True}, TaxRegime.IGST),
     ("27", "27", {"sez": True, "under_lut": True}, TaxRegime.ZERO_RATED),
     ("27", "96", {"export": True}, TaxRegime.IGST), ("27", "96", {"export": True, "under_lut": True},
                                                    TaxRegime.ZERO_RATED)],
)  # fmt: skip
def test_the_tax_regime(supplier: str, place: str, kwargs: dict[str, bool], regime: TaxRegime) -> None:
    assert tax_regime(supplier, place, **kwargs) is regime


def test_union_territories_without_legislature_levy_utgst() -> None:
    assert {c for c in STATES if levies_utgst(c)} == {"04", "26", "31", "35", "38", "97"}
    assert state_name("04") == "Chandigarh"


def test_the_split_halves_the_rate_within_a_state_and_rounds_each_part_to_the_paisa() -> None:
    taxable = Decimal("1000.05")
    sgst = gst_amounts(taxable, Decimal(18), TaxRegime.CGST_SGST, Decimal(1))
    assert (sgst.cgst, sgst.sgst, sgst.utgst, sgst.igst, sgst.cess) == (
        Decimal("90.00"), Decimal("90.00"), 0, 0, Decimal("10.00"))
    utgst = gst_amounts(taxable, Decimal(5), TaxRegime.CGST_UTGST)
    assert (utgst.cgst, utgst.utgst, utgst.sgst) == (Decimal("25.00"), Decimal("25.00"), 0)
    igst = gst_amounts(taxable, Decimal(18), TaxRegime.IGST)
    assert (igst.igst, igst.total) == (Decimal("180.01"), Decimal("180.01"))
    assert gst_amounts(taxable, Decimal(18), TaxRegime.ZERO_RATED, Decimal(12)).total == 0


RATES = GstRateSchedule([
    GstRate("84", Decimal(18), date(2017, 7, 1)),
    GstRate("8413", Decimal(12), date(2017, 7, 1)),
    GstRate("8413", Decimal(5), date(2025, 9, 22)),
    GstRate("2202", Decimal(28), date(2017, 7, 1), cess_rate=Decimal(12), effective_to=date(2025, 9, 21)),
    GstRate("22", Decimal(18), date(2017, 7, 1)),
])


def test_the_rate_in_force_on_the_date_applies_and_a_later_one_supersedes_it() -> None:
    assert RATES.rate_on("84137010", date(2025, 9, 21)).rate == Decimal(12)
    assert RATES.rate_on("84137010", date(2025, 9, 22)).rate == Decimal(5)


def test_the_most_specific_prefix_in_force_wins() -> None:
    assert RATES.rate_on("84719000", date(2026, 1, 1)).rate == Decimal(18)
    assert RATES.rate_on("22021010", date(2025, 6, 1)).cess_rate == Decimal(12)
    # A rate whose last day has passed leaves its heading to the chapter's rate.
    assert RATES.rate_on("22021010", date(2025, 10, 1)).rate == Decimal(18)


def test_no_rate_in_force_is_refused_never_guessed() -> None:
    with pytest.raises(NoRateInForce, match="9503"):
        RATES.rate_on("95030010", date(2026, 1, 1))
    with pytest.raises(NoRateInForce):
        RATES.rate_on("8413", date(2017, 6, 30))
    with pytest.raises(NoRateInForce, match="4, 6 or 8 digits"):
        RATES.rate_on("841", date(2026, 1, 1))


@pytest.mark.parametrize(
    ("prefix", "rate", "field"),
    [("841", Decimal(5), "hsn_prefix"), ("8", Decimal(5), "hsn_prefix"), ("84", Decimal(101), "rate"),
     ("84", Decimal(-1), "rate")],
)  # fmt: skip
def test_an_impossible_rate_names_its_field(prefix: str, rate: Decimal, field: str) -> None:
    with pytest.raises(InvalidGstRate) as refused:
        GstRate(prefix, rate, date(2026, 1, 1))
    assert refused.value.field == field
