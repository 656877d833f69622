"""Where a supply of goods is taxed and how: the place of supply (IGST Act s.10) and the split into
CGST + SGST, CGST + UTGST or IGST."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from o2c.invoicing.domain.gstin import state_code_of, validated_gstin
from o2c.invoicing.domain.states import OTHER_COUNTRIES, levies_utgst, validated_state_code


class SupplyType(StrEnum):
    """Kind of supply, named as the e-invoice schema names it (B2C for unregistered buyers)."""

    B2B = "B2B"
    B2C = "B2C"
    SEZ_WITH_PAYMENT = "SEZWP"
    SEZ_WITHOUT_PAYMENT = "SEZWOP"
    EXPORT_WITH_PAYMENT = "EXPWP"
    EXPORT_WITHOUT_PAYMENT = "EXPWOP"
    DEEMED_EXPORT = "DEXP"

    @property
    def is_export(self) -> bool:
        return self in (SupplyType.EXPORT_WITH_PAYMENT, SupplyType.EXPORT_WITHOUT_PAYMENT)

    @property
    def is_sez(self) -> bool:
        return self in (SupplyType.SEZ_WITH_PAYMENT, SupplyType.SEZ_WITHOUT_PAYMENT)

    @property
    def is_zero_rated_under_lut(self) -> bool:
        """Export or SEZ supply under a letter of undertaking: no tax charged."""
        return self in (SupplyType.SEZ_WITHOUT_PAYMENT, SupplyType.EXPORT_WITHOUT_PAYMENT)


class TaxRegime(StrEnum):
    """Which taxes a supply carries."""

    CGST_SGST = "cgst_sgst"
    CGST_UTGST = "cgst_utgst"
    IGST = "igst"
    ZERO_RATED = "zero_rated"
    """Export or SEZ under LUT: IGST at nil; the schedule rate is still reported."""

    @property
    def is_intra_state(self) -> bool:
        return self in (TaxRegime.CGST_SGST, TaxRegime.CGST_UTGST)


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address with the GSTIN registered there (a GSTIN belongs to an address, not a customer)."""

    name: str
    line1: str
    place: str
    state_code: str
    pincode: str
    line2: str = ""
    gstin: str | None = None
    country: str = "IN"

    def __post_init__(self) -> None:
        validated_state_code(self.state_code)
        if self.gstin is not None:
            validated_gstin(self.gstin)
            if state_code_of(self.gstin) != self.state_code:
                raise ValueError(
                    f"GSTIN {self.gstin} is registered in state {state_code_of(self.gstin)}, "
                    f"but the address is in state {self.state_code}"
                )

    @property
    def is_registered(self) -> bool:
        return self.gstin is not None


class PlaceOfSupplyProblem(ValueError):
    """The parties do not fit the kind of supply (e.g. a B2B supply to an unregistered buyer)."""


def is_third_party_delivery(bill_to: Address, ship_to: Address) -> bool:
    """Goods go, on the buyer's direction, to someone other than the buyer's own registration at the
    bill-to: another GSTIN, or a place in another state."""
    if ship_to.gstin is not None:
        return ship_to.gstin != bill_to.gstin
    return ship_to.state_code != bill_to.state_code


def place_of_supply(supply_type: SupplyType, bill_to: Address, ship_to: Address) -> str:
    """The state code of the place of supply of goods.

    - export: 96 (other countries);
    - unregistered buyer: where the goods are delivered (ship-to state);
    - registered buyer (B2B, SEZ, deemed export), goods delivered to the buyer: where the movement
      ends (ship-to state);
    - registered buyer who directs delivery to a third party (bill-to/ship-to): the buyer's state,
      IGST Act s.10(1)(b).
    """
    if supply_type.is_export:
        return OTHER_COUNTRIES
    if not bill_to.is_registered:
        if supply_type is not SupplyType.B2C:
            raise PlaceOfSupplyProblem(f"a {supply_type.value} supply needs a registered buyer (bill-to GSTIN)")
        return ship_to.state_code
    if supply_type is SupplyType.B2C:
        raise PlaceOfSupplyProblem("the buyer has a GSTIN: the supply is B2B, not B2C")
    if is_third_party_delivery(bill_to, ship_to):
        return bill_to.state_code
    return ship_to.state_code


def tax_regime(supply_type: SupplyType, supplier_state_code: str, place_of_supply_code: str) -> TaxRegime:
    """CGST + SGST (or UTGST) within one state; IGST across states, to a SEZ and on exports (IGST Act
    s.7(5)); nothing under LUT for exports and SEZ supplies without payment."""
    if supply_type.is_zero_rated_under_lut:
        return TaxRegime.ZERO_RATED
    if supply_type.is_sez or supply_type.is_export:
        return TaxRegime.IGST
    if supplier_state_code != place_of_supply_code:
        return TaxRegime.IGST
    return TaxRegime.CGST_UTGST if levies_utgst(supplier_state_code) else TaxRegime.CGST_SGST


def is_inter_state(supplier_state_code: str, place_of_supply_code: str) -> bool:
    return supplier_state_code != place_of_supply_code
