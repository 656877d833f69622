"""GST on a sale: place of supply, intra- or inter-state split, and effective-dated rates by HSN.

Tax is computed per line on the taxable value (after discounts), each component rounded to the paisa.
Supplier state = place of supply → CGST + SGST (UTGST in union territories without legislature), each half
the rate; different states, a SEZ buyer or an export → IGST at the full rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from o2c.india.gst_rates import GstRate as GstRate
from o2c.india.gst_rates import GstRateSchedule as GstRateSchedule
from o2c.india.gst_rates import InvalidGstRate, NoRateInForce, is_hsn_code
from o2c.india.supply import Party, TaxRegime, gst_amounts, tax_regime
from o2c.india.supply import place_of_supply as india_place_of_supply
from o2c.sales.domain.customer import Address, GstCategory
from o2c.sales.domain.errors import InvalidValue, RuleViolation
from o2c.sales.domain.geography import StateCode
from o2c.sales.domain.money import ZERO, Money, parse_decimal


@dataclass(frozen=True, slots=True)
class HsnCode:
    """Harmonised System code of goods: 4, 6 or 8 digits (6+ above ₹5 crore turnover)."""

    value: str

    def __post_init__(self) -> None:
        if not is_hsn_code(self.value):
            raise InvalidValue("hsn", f"an HSN code has 4, 6 or 8 digits, got {self.value!r}", self.value)

    @classmethod
    def parse(cls, raw: object, field: str = "hsn") -> HsnCode:
        text = "" if raw is None else str(raw).strip().replace(" ", "")
        if not is_hsn_code(text):
            raise InvalidValue(field, f"an HSN code has 4, 6 or 8 digits, got {text!r}", text)
        return cls(text)

    def __str__(self) -> str:
        return self.value


def gst_rate_for(rates: GstRateSchedule, hsn: HsnCode, on: date) -> GstRate:
    """The rate in force for the item's HSN on the day (o2c.india.gst_rates), or RuleViolation for a person."""
    try:
        return rates.rate_on(hsn.value, on)
    except NoRateInForce as missing:
        raise RuleViolation(str(missing)) from None


def gst_rate(hsn_prefix: str, rate: object, effective_from: date, cess_rate: object = "0") -> GstRate:
    """A rate row from what a person typed, or InvalidValue naming the field."""
    try:
        return GstRate(hsn_prefix, parse_decimal(rate, "rate"), effective_from, parse_decimal(cess_rate, "cess_rate"))
    except InvalidGstRate as bad:
        raise InvalidValue(bad.field, str(bad)) from None


@dataclass(frozen=True, slots=True)
class TaxSplit:
    """The GST of one line, each component rounded to the paisa."""

    cgst: Money = ZERO
    sgst: Money = ZERO
    utgst: Money = ZERO
    igst: Money = ZERO
    cess: Money = ZERO

    @property
    def total(self) -> Money:
        return self.cgst + self.sgst + self.utgst + self.igst + self.cess

    def __add__(self, other: TaxSplit) -> TaxSplit:
        return TaxSplit(
            self.cgst + other.cgst,
            self.sgst + other.sgst,
            self.utgst + other.utgst,
            self.igst + other.igst,
            self.cess + other.cess,
        )


def _party(a: Address) -> Party:
    return Party(a.state_code.value, a.gstin.value if a.gstin else None)


def place_of_supply(bill_to: Address, ship_to: Address, category: GstCategory) -> StateCode:
    """Where the supply of goods takes place, by India's rule (o2c.india.supply): the ship-to state, the buyer's
    billing state when a registered buyer directs delivery to a third party, 96 for an export."""
    export = category is GstCategory.OVERSEAS and ship_to.is_abroad
    buyer = _party(bill_to) if category is not GstCategory.UNREGISTERED else Party(bill_to.state_code.value)
    return StateCode(india_place_of_supply(buyer, _party(ship_to), export=export, third_party=ship_to.third_party))


def regime_of(supplier_state: StateCode, place: StateCode, *, sez_buyer: bool = False, zero_rated: bool = False
              ) -> TaxRegime:
    """CGST + SGST, CGST + UTGST, IGST or zero-rated (o2c.india.supply)."""
    return tax_regime(supplier_state.value, place.value, sez=sez_buyer, export=place.is_abroad, under_lut=zero_rated)


def split_tax(
    taxable_value: Money,
    rate: Decimal,
    supplier_state: StateCode,
    place: StateCode,
    *,
    cess_rate: Decimal = Decimal(0),
    sez_buyer: bool = False,
    zero_rated: bool = False,
) -> TaxSplit:
    """GST of one line. `zero_rated`: export or SEZ supply under LUT, no tax charged."""
    regime = regime_of(supplier_state, place, sez_buyer=sez_buyer, zero_rated=zero_rated)
    if zero_rated and regime is not TaxRegime.ZERO_RATED:
        return TaxSplit()
    a = gst_amounts(taxable_value, rate, regime, cess_rate)
    return TaxSplit(cgst=a.cgst, sgst=a.sgst, utgst=a.utgst, igst=a.igst, cess=a.cess)
