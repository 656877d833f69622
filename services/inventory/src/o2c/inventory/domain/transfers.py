"""Stock moving between warehouses and coming in from suppliers (docs/domain.md, "Stock transfers" and
"Receipts from suppliers").

- Within one GSTIN a transfer is no supply: the goods travel under a delivery challan. Between two GSTINs of one
  PAN (distinct persons, CGST Act Schedule I) it is a branch transfer: a taxable supply valued from the transfer
  price list. Between two PANs it is not a transfer at all.
- Goods in transit are in neither warehouse: what the receiver counts (received, short, damaged) closes each line.
- A purchase receipt may bring less than the purchase-order line: the shortfall is recorded, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from enum import StrEnum

from o2c.india.gstin import pan_of
from o2c.inventory.domain.errors import InvalidValue
from o2c.inventory.domain.quantities import NIL, Qty, non_negative_qty, positive_qty

PAISA = Decimal("0.01")


class TransferKind(StrEnum):
    DELIVERY_CHALLAN = "delivery_challan"
    BRANCH_TRANSFER = "branch_transfer"


def transfer_kind(from_gstin: str, to_gstin: str) -> TransferKind:
    """A delivery challan within one GSTIN, a branch transfer between two GSTINs of one PAN."""
    if from_gstin == to_gstin:
        return TransferKind.DELIVERY_CHALLAN
    if pan_of(from_gstin) != pan_of(to_gstin):
        raise InvalidValue("to_warehouse_id", f"GSTIN {to_gstin} belongs to another PAN than {from_gstin}: "
                                              "that is a sale, not a stock transfer")
    return TransferKind.BRANCH_TRANSFER


@dataclass(frozen=True)
class TransferPrice:
    """One row of the finance head's transfer price list: the value per unit of an item moved between two
    GSTINs, in force from its first day until a later row of the item takes effect (or its own last day)."""

    item_code: str
    unit_price: Decimal
    effective_from: date
    effective_to: date | None = None

    def __post_init__(self) -> None:
        if self.unit_price <= 0:
            raise InvalidValue("unit_price", "must be more than zero")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise InvalidValue("effective_to", "cannot be before effective_from")


def taxable_value(quantity: Qty, unit_price: Decimal) -> Decimal:
    """Quantity × transfer price, rounded half-up to the paisa."""
    return (positive_qty(quantity) * unit_price).quantize(PAISA, rounding=ROUND_HALF_UP)


def expected_arrival(dispatched_on: date, distance_km: int | None, km_per_day: Decimal) -> date:
    """The day the goods should reach the receiving warehouse: one day per `km_per_day` or part of it, at least
    one day (unknown distance: one day)."""
    if km_per_day <= 0:
        raise InvalidValue("km_per_day", "must be more than zero")
    days = 1 if not distance_km else max(1, int((Decimal(distance_km) / km_per_day)
                                                .to_integral_value(rounding=ROUND_CEILING)))
    return dispatched_on + timedelta(days=days)


@dataclass(frozen=True)
class ArrivalCount:
    """What the receiver counted of one transfer line: received in good order, damaged, and (the rest) short."""

    sent: Qty
    received: Qty
    damaged: Qty = NIL

    def __post_init__(self) -> None:
        non_negative_qty(self.received, "received")
        non_negative_qty(self.damaged, "damaged")
        if self.received + self.damaged > self.sent:
            raise InvalidValue("received", f"received {self.received} and damaged {self.damaged} are more than "
                                           f"the {self.sent} sent")

    @property
    def short(self) -> Qty:
        return self.sent - self.received - self.damaged


@dataclass(frozen=True)
class PurchaseLineCount:
    """One purchase-order line as received: the ordered quantity and what came (a short receipt records the
    rest as its shortfall)."""

    ordered: Qty
    received: Qty

    def __post_init__(self) -> None:
        positive_qty(self.ordered, "ordered")
        positive_qty(self.received, "quantity")

    @property
    def shortfall(self) -> Qty:
        return max(NIL, self.ordered - self.received)

    @property
    def excess(self) -> Qty:
        return max(NIL, self.received - self.ordered)
