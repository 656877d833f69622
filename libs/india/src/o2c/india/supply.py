"""Place of supply and the tax regime of a supply of goods (docs/domain.md, "Place of supply").

Decided once, by sales when it prices a quotation or order, and carried on the messages; invoicing checks its
invoice against the same rule and raises an exception for a person when they disagree.

- An export: other countries (96).
- Goods delivered to the buyer (ship-to is the buyer's own): where the movement ends, the ship-to state.
- A registered buyer who directs delivery to a third party (bill-to/ship-to, IGST Act s.10(1)(b)): the
  buyer's billing state.
- An unregistered buyer: where the goods are delivered.

Then the regime: supplier state = place of supply → CGST + SGST, or CGST + UTGST in a union territory without
legislature; different states, a SEZ buyer (IGST Act s.7(5)(b)) or an export → IGST; an export or SEZ supply
under a letter of undertaking → zero-rated (no tax charged).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from o2c.india.states import OTHER_COUNTRIES, levies_utgst, validated_state_code

PAISA = Decimal("0.01")


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
class Party:
    """What the rule needs to know of an address: its state and the GSTIN registered there (if any)."""

    state_code: str
    gstin: str | None = None


def is_third_party_delivery(bill_to: Party, ship_to: Party) -> bool:
    """Goods go, on the buyer's direction, to someone other than the buyer's own registration at the bill-to:
    another GSTIN, or (no GSTIN at the ship-to) a place in another state."""
    if ship_to.gstin is not None:
        return ship_to.gstin != bill_to.gstin
    return ship_to.state_code != bill_to.state_code


def place_of_supply(
    bill_to: Party, ship_to: Party, *, export: bool = False, third_party: bool | None = None
) -> str:
    """The state code of the place of supply of goods. `third_party`: whether the buyer directed delivery to
    someone else; None infers it from the addresses (`is_third_party_delivery`)."""
    if export:
        return OTHER_COUNTRIES
    validated_state_code(bill_to.state_code)
    validated_state_code(ship_to.state_code)
    if bill_to.gstin is None:
        return ship_to.state_code
    directed = is_third_party_delivery(bill_to, ship_to) if third_party is None else third_party
    return bill_to.state_code if directed else ship_to.state_code


def tax_regime(
    supplier_state: str, place: str, *, sez: bool = False, export: bool = False, under_lut: bool = False
) -> TaxRegime:
    """CGST + SGST (or UTGST) within one state; IGST across states, to a SEZ and on exports; nothing charged
    on an export or SEZ supply under a letter of undertaking."""
    if (sez or export) and under_lut:
        return TaxRegime.ZERO_RATED
    if sez or export or place == OTHER_COUNTRIES or supplier_state != place:
        return TaxRegime.IGST
    return TaxRegime.CGST_UTGST if levies_utgst(place) else TaxRegime.CGST_SGST


@dataclass(frozen=True, slots=True)
class GstAmounts:
    """The GST of one line, each component rounded half-up to the paisa."""

    cgst: Decimal = Decimal("0.00")
    sgst: Decimal = Decimal("0.00")
    utgst: Decimal = Decimal("0.00")
    igst: Decimal = Decimal("0.00")
    cess: Decimal = Decimal("0.00")

    @property
    def total(self) -> Decimal:
        return self.cgst + self.sgst + self.utgst + self.igst + self.cess


def percent_of(amount: Decimal, rate: Decimal) -> Decimal:
    """`rate` percent of `amount`, rounded half-up to the paisa."""
    return (amount * rate / Decimal(100)).quantize(PAISA, rounding=ROUND_HALF_UP)


def gst_amounts(taxable_value: Decimal, rate: Decimal, regime: TaxRegime, cess_rate: Decimal = Decimal(0)
                ) -> GstAmounts:
    """Split the GST of one line by regime: half the rate each to CGST and SGST/UTGST, or the full rate to IGST."""
    cess = percent_of(taxable_value, cess_rate)
    if regime is TaxRegime.ZERO_RATED:
        return GstAmounts()
    if regime is TaxRegime.IGST:
        return GstAmounts(igst=percent_of(taxable_value, rate), cess=cess)
    half = percent_of(taxable_value, rate / 2)
    if regime is TaxRegime.CGST_UTGST:
        return GstAmounts(cgst=half, utgst=half, cess=cess)
    return GstAmounts(cgst=half, sgst=half, cess=cess)
