"""GST on a sale: place of supply, intra- or inter-state split, and effective-dated rates by HSN.

Tax is computed per line on the taxable value (after discounts), each component rounded to the paisa.
Supplier state = place of supply → CGST + SGST (UTGST in union territories without legislature), each half
the rate; different states, a SEZ buyer or an export → IGST at the full rate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from o2c.sales.domain.customer import Address, GstCategory
from o2c.sales.domain.errors import InvalidValue, RuleViolation
from o2c.sales.domain.geography import StateCode, StateTax
from o2c.sales.domain.money import ZERO, Money, parse_decimal, percent_of

_HSN = re.compile(r"[0-9]{4}(?:[0-9]{2}){0,2}")


@dataclass(frozen=True, slots=True)
class HsnCode:
    """Harmonised System code of goods: 4, 6 or 8 digits (6+ above ₹5 crore turnover)."""

    value: str

    def __post_init__(self) -> None:
        if not _HSN.fullmatch(self.value):
            raise InvalidValue("hsn", f"an HSN code has 4, 6 or 8 digits, got {self.value!r}", self.value)

    @classmethod
    def parse(cls, raw: object, field: str = "hsn") -> HsnCode:
        text = "" if raw is None else str(raw).strip().replace(" ", "")
        if not _HSN.fullmatch(text):
            raise InvalidValue(field, f"an HSN code has 4, 6 or 8 digits, got {text!r}", text)
        return cls(text)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class GstRate:
    """The rate in force for HSN codes starting with `hsn_prefix` from `effective_from` (percent)."""

    hsn_prefix: str
    rate: Decimal
    effective_from: date
    cess_rate: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[0-9]{2,8}", self.hsn_prefix):
            raise InvalidValue("hsn_prefix", f"an HSN prefix is 2 to 8 digits, got {self.hsn_prefix!r}")
        for name, value in (("rate", self.rate), ("cess_rate", self.cess_rate)):
            if not Decimal(0) <= parse_decimal(value, name) <= Decimal(100):
                raise InvalidValue(name, "a rate is a percentage between 0 and 100", value)


class GstRateSchedule:
    """Effective-dated GST rates: the most specific HSN prefix in force on the date wins."""

    def __init__(self, rates: Iterable[GstRate]) -> None:
        self._rates = sorted(rates, key=lambda r: (len(r.hsn_prefix), r.effective_from), reverse=True)

    def rate_for(self, hsn: HsnCode, on: date) -> GstRate:
        for rate in self._rates:  # longest prefix first, latest first within a prefix
            if hsn.value.startswith(rate.hsn_prefix) and rate.effective_from <= on:
                return rate
        raise RuleViolation(f"no GST rate is set for HSN {hsn} on {on.isoformat()}")


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


def place_of_supply(bill_to: Address, ship_to: Address, category: GstCategory) -> StateCode:
    """Where the supply of goods takes place.

    Goods delivered to the buyer: where the movement ends (the ship-to state). Delivered to a third party
    on the buyer's direction: the buyer's billing state (IGST Act s.10(1)(b)). An unregistered buyer: the
    delivery address state. An export: other countries (96).
    """
    if category is GstCategory.OVERSEAS and ship_to.is_abroad:
        return ship_to.state_code
    if ship_to.third_party and category is not GstCategory.UNREGISTERED:
        return bill_to.state_code
    return ship_to.state_code


def is_inter_state(supplier_state: StateCode, place: StateCode, *, sez_buyer: bool = False) -> bool:
    """Whether the supply bears IGST: different states, a SEZ buyer, or an export."""
    return sez_buyer or place.is_abroad or supplier_state != place


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
    if zero_rated:
        return TaxSplit()
    cess = percent_of(taxable_value, cess_rate)
    if is_inter_state(supplier_state, place, sez_buyer=sez_buyer):
        return TaxSplit(igst=percent_of(taxable_value, rate), cess=cess)
    half = percent_of(taxable_value, rate / 2)
    if place.state.tax is StateTax.UTGST:
        return TaxSplit(cgst=half, utgst=half, cess=cess)
    return TaxSplit(cgst=half, sgst=half, cess=cess)
