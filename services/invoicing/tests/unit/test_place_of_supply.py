from types import ModuleType

import pytest
from o2c.invoicing.domain.place_of_supply import (
    Address,
    PlaceOfSupplyProblem,
    SupplyType,
    TaxRegime,
    place_of_supply,
    tax_regime,
)


def regime_for(
    given: ModuleType, supply: SupplyType, bill_to: Address, ship_to: Address, supplier: str = "27"
) -> tuple[str, TaxRegime]:
    pos = place_of_supply(supply, bill_to, ship_to)
    return pos, tax_regime(supply, supplier, pos)


def test_pune_to_mumbai_is_cgst_plus_sgst(given: ModuleType) -> None:
    assert regime_for(given, SupplyType.B2B, given.MUMBAI_BUYER, given.MUMBAI_BUYER) == ("27", TaxRegime.CGST_SGST)


def test_pune_to_bengaluru_is_igst(given: ModuleType) -> None:
    assert regime_for(given, SupplyType.B2B, given.BENGALURU_BUYER, given.BENGALURU_BUYER) == ("29", TaxRegime.IGST)


def test_bill_to_mumbai_ship_to_a_third_partys_gujarat_site_is_supplied_in_maharashtra(given: ModuleType) -> None:
    # IGST Act s.10(1)(b): the buyer directed delivery to a third party.
    assert regime_for(given, SupplyType.B2B, given.MUMBAI_BUYER, given.GUJARAT_SITE) == ("27", TaxRegime.CGST_SGST)


def test_unregistered_buyer_is_taxed_where_the_goods_are_delivered(given: ModuleType) -> None:
    billed_in_mumbai = given.same(given.MUMBAI_BUYER, gstin=None)
    assert regime_for(given, SupplyType.B2C, billed_in_mumbai, given.WALK_IN_GOA) == ("30", TaxRegime.IGST)


def test_a_sez_buyer_in_the_same_state_pays_igst(given: ModuleType) -> None:
    assert regime_for(given, SupplyType.SEZ_WITH_PAYMENT, given.MUMBAI_BUYER, given.MUMBAI_BUYER) == (
        "27",
        TaxRegime.IGST,
    )


def test_sez_and_export_under_lut_are_zero_rated(given: ModuleType) -> None:
    assert regime_for(given, SupplyType.SEZ_WITHOUT_PAYMENT, given.MUMBAI_BUYER, given.MUMBAI_BUYER)[1] is (
        TaxRegime.ZERO_RATED
    )
    overseas = Address(name="Gulf Traders LLC", line1="Deira", place="Dubai", state_code="96", pincode="999999",
                       country="AE")  # fmt: skip
    assert regime_for(given, SupplyType.EXPORT_WITHOUT_PAYMENT, overseas, overseas) == ("96", TaxRegime.ZERO_RATED)
    assert regime_for(given, SupplyType.EXPORT_WITH_PAYMENT, overseas, overseas) == ("96", TaxRegime.IGST)


def test_within_chandigarh_the_state_half_is_utgst(given: ModuleType) -> None:
    chandigarh_buyer = Address(name="Sector 17 Mart", line1="SCO 44", place="Chandigarh", state_code="04",
                               pincode="160017", gstin=given.BUYER_CH)  # fmt: skip
    assert regime_for(given, SupplyType.B2B, chandigarh_buyer, chandigarh_buyer, supplier="04") == (
        "04",
        TaxRegime.CGST_UTGST,
    )


def test_within_delhi_the_state_half_is_sgst() -> None:
    assert tax_regime(SupplyType.B2B, "07", "07") is TaxRegime.CGST_SGST


def test_a_b2b_supply_needs_a_registered_buyer(given: ModuleType) -> None:
    with pytest.raises(PlaceOfSupplyProblem):
        place_of_supply(SupplyType.B2B, given.WALK_IN_GOA, given.WALK_IN_GOA)
    with pytest.raises(PlaceOfSupplyProblem):
        place_of_supply(SupplyType.B2C, given.MUMBAI_BUYER, given.MUMBAI_BUYER)


def test_a_gstin_belongs_to_an_address_in_its_own_state(given: ModuleType) -> None:
    with pytest.raises(ValueError, match="registered in state 29"):
        given.same(given.MUMBAI_BUYER, gstin=given.BUYER_KA)
