from datetime import date
from decimal import Decimal
from types import ModuleType

import pytest
from o2c.ewaybill.domain.seed import SEED_THRESHOLDS
from o2c.india.ewaybill import (
    EwayBillThreshold,
    Movement,
    NoThresholdInForce,
    ewaybill_requirement,
    threshold_in_force,
)

D = Decimal
ON = date(2026, 11, 5)


def test_45000_taxable_at_18_percent_is_53100_and_needs_an_eway_bill(given: ModuleType) -> None:
    invoice = given.invoice("45000.00")
    assert invoice.consignment_value == D("53100.00")
    decision = ewaybill_requirement(invoice.consignment_value, "27", "27", ON, SEED_THRESHOLDS)
    assert decision.required
    assert decision.reason == "consignment value ₹53100.00 exceeds the intra-state threshold of ₹50000"


def test_42000_taxable_at_18_percent_is_49560_and_needs_none(given: ModuleType) -> None:
    invoice = given.invoice("42000.00")
    assert invoice.consignment_value == D("49560.00")
    assert not ewaybill_requirement(invoice.consignment_value, "27", "27", ON, SEED_THRESHOLDS).required


def test_inter_state_49000_plus_18_percent_needs_one(given: ModuleType) -> None:
    invoice = given.invoice("49000.00", inter_state=True)
    decision = ewaybill_requirement(invoice.consignment_value, "27", "29", ON, SEED_THRESHOLDS)
    assert (decision.required, decision.movement) == (True, Movement.INTER_STATE)


def test_exactly_the_threshold_is_not_above_it() -> None:
    assert not ewaybill_requirement(D("50000.00"), "27", "27", ON, SEED_THRESHOLDS).required
    assert ewaybill_requirement(D("50000.01"), "27", "27", ON, SEED_THRESHOLDS).required


STATE_OVERRIDE = (
    *SEED_THRESHOLDS,
    EwayBillThreshold(value_above=D("100000"), effective_from=date(2019, 1, 1), state_code="07",
                      movement=Movement.INTRA_STATE),
)  # fmt: skip


def test_a_state_intra_state_limit_applies_only_within_that_state() -> None:
    assert threshold_in_force(STATE_OVERRIDE, "07", "07", ON).value_above == D("100000")
    assert threshold_in_force(STATE_OVERRIDE, "07", "06", ON).value_above == D("50000")
    assert threshold_in_force(STATE_OVERRIDE, "27", "27", ON).value_above == D("50000")
    assert not ewaybill_requirement(D("80000"), "07", "07", ON, STATE_OVERRIDE).required


def test_a_state_limit_takes_effect_on_its_date() -> None:
    assert threshold_in_force(STATE_OVERRIDE, "07", "07", date(2018, 12, 31)).value_above == D("50000")


def test_a_missing_table_is_an_error_not_a_silent_no() -> None:
    with pytest.raises(NoThresholdInForce):
        ewaybill_requirement(D("1"), "27", "27", date(2017, 1, 1), SEED_THRESHOLDS)
