"""How long an e-way bill is valid (CGST Rule 138(10); docs/domain.md, "E-way bills").

Regular cargo gets one day for every 200 km or part of it, over-dimensional cargo one day for every 20 km or
part of it, and at least one day. The Rule counts each day as "the period expiring at midnight of the day
immediately following the date of generation", so:

    valid_until = IST date of generation + max(1, ceil(km / slab)) days, at 23:59 IST

Checked against the published example: generated 16/09/2022 19:29 for 2,467 km → ceil(2467 / 200) = 13 days
→ 29/09/2022 23:59. The day of generation is not a day of validity: the first day ends at midnight of the
following day (10 km from 25/02/2024 11:10 → 26/02/2024 23:59). Extensions are computed the same way from the
moment of extension for the remaining distance.

Whether a consignment needs one depends on its value against the threshold in force (₹50,000 nationally, some
states differ, effective-dated); `requires_ewaybill` is that comparison.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from o2c.india.calendar import at_ist, business_date

END_OF_DAY = time(23, 59)
NATIONAL_THRESHOLD = Decimal("50000")


class VehicleType(StrEnum):
    """NIC vehicleType: R regular, O over-dimensional cargo."""

    REGULAR = "R"
    OVER_DIMENSIONAL = "O"

    @property
    def km_per_day(self) -> int:
        return 200 if self is VehicleType.REGULAR else 20


def validity_days(distance_km: int, vehicle_type: VehicleType = VehicleType.REGULAR) -> int:
    if distance_km < 0:
        raise ValueError("distance cannot be negative")
    return max(1, -(-distance_km // vehicle_type.km_per_day))


def valid_until(generated_at: datetime, distance_km: int, vehicle_type: VehicleType = VehicleType.REGULAR
                ) -> datetime:
    """The instant the e-way bill stops being valid: 23:59 IST of the last day (an aware datetime in IST)."""
    last_day = business_date(generated_at) + timedelta(days=validity_days(distance_km, vehicle_type))
    return at_ist(last_day, END_OF_DAY)


def requires_ewaybill(consignment_value: Decimal, threshold: Decimal) -> bool:
    """A movement needs an e-way bill when the consignment value exceeds the threshold in force."""
    return consignment_value > threshold
