"""Seed rows for the effective-dated tables (B2C-large, e-invoicing and IRP reporting thresholds). Data, not
logic: a notification changes a table by adding a row with its effective date, never by editing code. GST rates
are not seeded here: they are sales' master, replicated from its rate topic (docs/domain.md, "GST rates")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from o2c.invoicing.domain.einvoice import EInvoiceThreshold, ReportingTimeLimit
from o2c.invoicing.domain.gstr1 import B2clThreshold

GST_LAUNCH = date(2017, 7, 1)

_D = Decimal

# GSTR-1 B2C (large): inter-state supplies to unregistered buyers above the limit are reported
# invoice by invoice (Notification 12/2024-CT lowered it to ₹1 lakh from 1 August 2024).
SEED_B2CL_THRESHOLDS: tuple[B2clThreshold, ...] = (
    B2clThreshold(invoice_value_above=_D("250000"), effective_from=GST_LAUNCH, effective_to=date(2024, 7, 31)),
    B2clThreshold(invoice_value_above=_D("100000"), effective_from=date(2024, 8, 1)),
)

# E-invoicing applies to a taxpayer whose aggregate turnover in any financial year since 2017-18
# exceeded the threshold in force on the invoice date.
_CRORE = _D("10000000")
SEED_EINVOICE_THRESHOLDS: tuple[EInvoiceThreshold, ...] = (
    EInvoiceThreshold(turnover_above=500 * _CRORE, effective_from=date(2020, 10, 1), effective_to=date(2020, 12, 31)),
    EInvoiceThreshold(turnover_above=100 * _CRORE, effective_from=date(2021, 1, 1), effective_to=date(2021, 3, 31)),
    EInvoiceThreshold(turnover_above=50 * _CRORE, effective_from=date(2021, 4, 1), effective_to=date(2022, 3, 31)),
    EInvoiceThreshold(turnover_above=20 * _CRORE, effective_from=date(2022, 4, 1), effective_to=date(2022, 9, 30)),
    EInvoiceThreshold(turnover_above=10 * _CRORE, effective_from=date(2022, 10, 1), effective_to=date(2023, 7, 31)),
    EInvoiceThreshold(turnover_above=5 * _CRORE, effective_from=date(2023, 8, 1)),
)

# IRP reporting time limit: taxpayers at or above the turnover may not report an invoice more
# than `days` after its date (₹100 crore from 1 Nov 2023; ₹10 crore from 1 Apr 2025).
SEED_REPORTING_TIME_LIMITS: tuple[ReportingTimeLimit, ...] = (
    ReportingTimeLimit(
        turnover_at_least=100 * _CRORE, days=30, effective_from=date(2023, 11, 1), effective_to=date(2025, 3, 31)
    ),
    ReportingTimeLimit(turnover_at_least=10 * _CRORE, days=30, effective_from=date(2025, 4, 1)),
)
