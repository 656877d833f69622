"""What invoicing's rate replica holds once sales' rate master is replayed (test data)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from o2c.contracts.v1.dispatch import ShipmentReady
from o2c.india.gst_rates import GstRate, GstRateSchedule, NoRateInForce

_LAUNCH, _REFORM = date(2017, 7, 1), date(2025, 9, 22)
# What invoicing's replica holds once sales' rate master is replayed (sales migration 0004): per HSN heading,
# the rate from GST's launch and the one from the 22 September 2025 rationalisation.
RATE_MASTER: tuple[GstRate, ...] = tuple(
    rate
    for hsn, before, cess, after in (
        ("0902", "5", "0", "5"), ("0405", "12", "0", "5"), ("1905", "18", "0", "5"), ("2201", "18", "0", "5"),
        ("2202", "28", "12", "40"), ("3004", "12", "0", "5"), ("3305", "18", "0", "5"), ("3306", "18", "0", "5"),
        ("3401", "18", "0", "5"), ("2523", "28", "0", "18"), ("8415", "28", "0", "18"), ("850710", "28", "0", "18"),
        ("8528", "28", "0", "18"), ("870321", "28", "1", "18"), ("8471", "18", "0", "18"), ("8517", "18", "0", "18"),
    )
    for rate in (GstRate(hsn, Decimal(before), _LAUNCH, cess_rate=Decimal(cess)),
                 GstRate(hsn, Decimal(after), _REFORM))
)  # fmt: skip


def master_with(msg: ShipmentReady) -> GstRateSchedule:
    """The replica, plus a rate from GST's launch for each HSN of the message the master does not cover (as if
    the sales head had entered the rate the order was priced at)."""
    master = GstRateSchedule(RATE_MASTER)
    extra = []
    for line in msg.lines:
        try:
            master.rate_on(line.hsn, date(2017, 7, 1))
        except NoRateInForce:
            extra.append(GstRate(line.hsn, line.gst_rate, _LAUNCH, cess_rate=line.cess_rate))
    return GstRateSchedule([*RATE_MASTER, *extra])
