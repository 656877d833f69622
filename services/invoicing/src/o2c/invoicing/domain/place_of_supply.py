"""The e-invoice's kinds of supply and addresses; where a supply is taxed and how is India's rule
(o2c.india.supply, docs/domain.md "Place of supply")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from o2c.india.gstin import state_code_of, validated_gstin
from o2c.india.states import validated_state_code
from o2c.india.supply import Party, TaxRegime
from o2c.india.supply import place_of_supply as india_place_of_supply
from o2c.india.supply import tax_regime as india_tax_regime


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


def place_of_supply(supply_type: SupplyType, bill_to: Address, ship_to: Address, *, third_party: bool | None = None
                    ) -> str:
    """The state code of the place of supply of goods, by India's rule (o2c.india.supply); the kind of supply
    must fit the buyer (B2C for an unregistered buyer, B2B/SEZ/deemed export for a registered one)."""
    if not supply_type.is_export:
        if not bill_to.is_registered and supply_type is not SupplyType.B2C:
            raise PlaceOfSupplyProblem(f"a {supply_type.value} supply needs a registered buyer (bill-to GSTIN)")
        if bill_to.is_registered and supply_type is SupplyType.B2C:
            raise PlaceOfSupplyProblem("the buyer has a GSTIN: the supply is B2B, not B2C")
    return india_place_of_supply(Party(bill_to.state_code, bill_to.gstin), Party(ship_to.state_code, ship_to.gstin),
                                 export=supply_type.is_export, third_party=third_party)


def tax_regime(supply_type: SupplyType, supplier_state_code: str, place_of_supply_code: str) -> TaxRegime:
    """The taxes the supply carries (o2c.india.supply): IGST to a SEZ and on exports, nothing under LUT."""
    return india_tax_regime(supplier_state_code, place_of_supply_code, sez=supply_type.is_sez,
                            export=supply_type.is_export, under_lut=supply_type.is_zero_rated_under_lut)


__all__ = ["Address", "PlaceOfSupplyProblem", "SupplyType", "TaxRegime", "place_of_supply", "tax_regime"]
