"""GST rates by HSN code, effective-dated: the rate in force on the invoice date applies.

A row names an HSN heading at any length (4, 6 or 8 digits); an item's HSN takes the most specific
row in force (longest matching prefix), so a heading can carry the general rate and a sub-heading
its exception."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from o2c.invoicing.domain.effective import rows_in_force

_HSN = re.compile(r"^[0-9]{4}([0-9]{2}){0,2}$")


class UnknownHsnRate(LookupError):
    """No rate in force for an HSN code on a date: the rate table needs a row before invoicing."""


@dataclass(frozen=True, slots=True)
class HsnRate:
    """One row of the rate table: GST and compensation cess (ad valorem, percent) for an HSN heading."""

    hsn: str
    gst_rate: Decimal
    effective_from: date
    effective_to: date | None = None
    cess_rate: Decimal = Decimal("0")
    description: str = ""

    def __post_init__(self) -> None:
        if not _HSN.match(self.hsn):
            raise ValueError(f"HSN heading must have 4, 6 or 8 digits: {self.hsn!r}")
        if self.gst_rate < 0 or self.cess_rate < 0:
            raise ValueError("rates are never negative")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"HSN {self.hsn}: effective_to before effective_from")


@dataclass(frozen=True, slots=True)
class RateInForce:
    hsn: str
    gst_rate: Decimal
    cess_rate: Decimal
    row: HsnRate


class RateSchedule:
    """The rate table: rows from seed data or the database, looked up by HSN and date."""

    def __init__(self, rows: Iterable[HsnRate]) -> None:
        self._by_heading: dict[str, list[HsnRate]] = {}
        for row in rows:
            self._by_heading.setdefault(row.hsn, []).append(row)

    def rate_on(self, hsn: str, on: date) -> RateInForce:
        """The rate in force for an item's HSN on a date; raises UnknownHsnRate if none."""
        if not _HSN.match(hsn):
            raise UnknownHsnRate(f"HSN code must have 4, 6 or 8 digits: {hsn!r}")
        for length in (8, 6, 4):
            if length > len(hsn):
                continue
            in_force = rows_in_force(self._by_heading.get(hsn[:length], ()), on)
            if in_force:
                row = in_force[0]
                return RateInForce(hsn=hsn, gst_rate=row.gst_rate, cess_rate=row.cess_rate, row=row)
        raise UnknownHsnRate(f"no GST rate in force for HSN {hsn} on {on.isoformat()}")


class RatesWithQuotedFallback(RateSchedule):
    """The rate table first; for an HSN code the table does not cover, the rate quoted on the order.

    The table (effective-dated) always wins, so a rate change between pricing and invoicing is applied;
    the quoted rate only keeps an item the compliance officer has not tabulated yet from blocking the gate."""

    def __init__(self, table: RateSchedule, quoted: dict[str, tuple[Decimal, Decimal]]) -> None:
        self._table = table
        self._quoted = dict(quoted)

    def rate_on(self, hsn: str, on: date) -> RateInForce:
        try:
            return self._table.rate_on(hsn, on)
        except UnknownHsnRate:
            if hsn not in self._quoted:
                raise
            gst, cess = self._quoted[hsn]
            row = HsnRate(hsn=hsn, gst_rate=gst, cess_rate=cess, effective_from=on, description="rate quoted on order")
            return RateInForce(hsn=hsn, gst_rate=gst, cess_rate=cess, row=row)
