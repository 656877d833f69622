"""GST rates on an invoice: the rate in force on the invoice date for the line's HSN (o2c.india.gst_rates).

`RatesWithQuotedFallback` keeps an HSN the rate table does not cover from blocking the gate by taking the rate
quoted on the order; the table (effective-dated) always wins."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from o2c.india.gst_rates import GstRate, GstRateSchedule, NoRateInForce

__all__ = ["GstRate", "GstRateSchedule", "NoRateInForce", "RatesWithQuotedFallback"]


class RatesWithQuotedFallback(GstRateSchedule):
    def __init__(self, table: GstRateSchedule, quoted: dict[str, tuple[Decimal, Decimal]]) -> None:
        super().__init__(table.rates)
        self._quoted = dict(quoted)

    def rate_on(self, hsn: str, on: date) -> GstRate:
        try:
            return super().rate_on(hsn, on)
        except NoRateInForce:
            if hsn not in self._quoted:
                raise
            gst, cess = self._quoted[hsn]
            return GstRate(hsn, gst, on, cess_rate=cess, description="rate quoted on order")
