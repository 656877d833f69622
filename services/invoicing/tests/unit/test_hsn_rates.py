from datetime import date
from decimal import Decimal

import pytest
from o2c.india.gst_rates import GstRate, GstRateSchedule, NoRateInForce
from o2c.testsupport.invoicing.invoicing_rate_master import RATE_MASTER

SEED = GstRateSchedule(RATE_MASTER)


def test_butter_is_12_percent_until_21_september_2025_and_5_percent_from_22() -> None:
    assert SEED.rate_on("04051000", date(2025, 9, 21)).rate == Decimal("12")
    assert SEED.rate_on("04051000", date(2025, 9, 22)).rate == Decimal("5")


def test_aerated_drinks_carried_cess_before_and_40_percent_without_cess_after() -> None:
    before = SEED.rate_on("22021010", date(2025, 6, 1))
    after = SEED.rate_on("22021010", date(2025, 10, 1))
    assert (before.rate, before.cess_rate) == (Decimal("28"), Decimal("12"))
    assert (after.rate, after.cess_rate) == (Decimal("40"), Decimal("0"))


def test_the_most_specific_heading_in_force_wins() -> None:
    rows = [
        GstRate(hsn_prefix="8507", rate=Decimal("18"), effective_from=date(2017, 7, 1)),
        GstRate(hsn_prefix="850710", rate=Decimal("28"), effective_from=date(2017, 7, 1)),
    ]
    schedule = GstRateSchedule(rows)
    assert schedule.rate_on("85071000", date(2024, 1, 1)).rate == Decimal("28")
    assert schedule.rate_on("85076000", date(2024, 1, 1)).rate == Decimal("18")


def test_a_later_notification_row_overrides_an_open_ended_one() -> None:
    schedule = GstRateSchedule(
        [
            GstRate(hsn_prefix="1905", rate=Decimal("18"), effective_from=date(2017, 7, 1)),
            GstRate(hsn_prefix="1905", rate=Decimal("5"), effective_from=date(2025, 9, 22)),
        ]
    )
    assert schedule.rate_on("1905", date(2025, 9, 21)).rate == Decimal("18")
    assert schedule.rate_on("1905", date(2025, 9, 22)).rate == Decimal("5")


def test_an_hsn_without_a_rate_in_force_is_refused_not_guessed() -> None:
    with pytest.raises(NoRateInForce, match="no GST rate is in force for HSN 9503"):
        SEED.rate_on("95030010", date(2026, 1, 1))
    with pytest.raises(NoRateInForce):
        SEED.rate_on("0405", date(2017, 6, 30))  # before GST


def test_malformed_hsn_codes_are_refused() -> None:
    with pytest.raises(NoRateInForce):
        SEED.rate_on("040", date(2026, 1, 1))
    with pytest.raises(ValueError):
        GstRate(hsn_prefix="04051", rate=Decimal("5"), effective_from=date(2017, 7, 1))
