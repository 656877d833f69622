"""Seed rows for the effective-dated tables (HSN rates, B2C-large, e-invoicing and IRP reporting
thresholds). Data, not logic: the service loads these into its tables on first start, and a
notification changes a table by adding a row with its effective date, never by editing code.

HSN rates: the GST rate rationalisation in force from 22 September 2025 moved most goods to 5 % or
18 % and a short list to 40 % (with compensation cess ended for them); earlier invoices used
5/12/18/28 % plus cess. The rows below cover a distributor's usual catalogue and are a starting
point for the compliance officer to confirm, not a complete tariff."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from o2c.india.gst_rates import GstRate
from o2c.invoicing.domain.einvoice import EInvoiceThreshold, ReportingTimeLimit
from o2c.invoicing.domain.gstr1 import B2clThreshold

GST_LAUNCH = date(2017, 7, 1)
LAST_DAY_BEFORE_RATIONALISATION = date(2025, 9, 21)
RATIONALISATION = date(2025, 9, 22)

_D = Decimal

# (hsn, description, gst before, cess before, gst from 22 Sep 2025)
_RATE_CHANGES: tuple[tuple[str, str, str, str, str], ...] = (
    ("0902", "Tea", "5", "0", "5"),
    ("0405", "Butter, ghee and other milk fats", "12", "0", "5"),
    ("1905", "Biscuits, bread and bakers' wares", "18", "0", "5"),
    ("2201", "Packaged drinking water", "18", "0", "5"),
    ("2202", "Aerated waters with added sugar or flavouring", "28", "12", "40"),
    ("3004", "Medicaments in measured doses", "12", "0", "5"),
    ("3305", "Hair oil and shampoo", "18", "0", "5"),
    ("3306", "Toothpaste and oral hygiene preparations", "18", "0", "5"),
    ("3401", "Toilet soap", "18", "0", "5"),
    ("2523", "Portland cement", "28", "0", "18"),
    ("8415", "Air conditioners", "28", "0", "18"),
    ("850710", "Lead-acid accumulators (batteries)", "28", "0", "18"),
    ("8528", "Television sets and monitors", "28", "0", "18"),
    ("870321", "Motor cars, petrol, up to 1000 cc", "28", "1", "18"),
    ("8471", "Computers and units thereof", "18", "0", "18"),
    ("8517", "Telephone sets, including mobile phones", "18", "0", "18"),
)


def _rows() -> tuple[GstRate, ...]:
    rows: list[GstRate] = []
    for hsn, description, before, cess_before, after in _RATE_CHANGES:
        rows.append(
            GstRate(
                hsn_prefix=hsn,
                description=description,
                rate=_D(before),
                cess_rate=_D(cess_before),
                effective_from=GST_LAUNCH,
                effective_to=LAST_DAY_BEFORE_RATIONALISATION,
            )
        )
        rows.append(GstRate(hsn_prefix=hsn, description=description, rate=_D(after), effective_from=RATIONALISATION))
    return tuple(rows)


SEED_HSN_RATES: tuple[GstRate, ...] = _rows()

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
