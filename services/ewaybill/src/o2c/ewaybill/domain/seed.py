"""Seed rows for the e-way bill threshold table: data, loaded into the service's table on first
start. The national limit of ₹50,000 (Rule 138(1)) covers every movement. States that notify a
higher intra-state limit are added as rows with `state_code`, `movement=INTRA_STATE` and the
notification's effective date — by the compliance officer from the state's notification, not
guessed here."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from o2c.india.ewaybill import EwayBillThreshold

SEED_THRESHOLDS: tuple[EwayBillThreshold, ...] = (
    EwayBillThreshold(value_above=Decimal("50000"), effective_from=date(2018, 4, 1)),
)
