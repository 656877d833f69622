"""Pincode distance, vehicle numbers, e-way bill validity and the portals' JSON (docs/domain.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from o2c.india.calendar import IST
from o2c.india.distance import (
    ROAD_FACTOR,
    great_circle_km,
    longest_allowed_distance,
    pincode_distance,
    road_distance_km,
)
from o2c.india.ewaybill import (
    EwayBillThreshold,
    Movement,
    NoThresholdInForce,
    VehicleType,
    ewaybill_requirement,
    valid_until,
    validity_days,
)
from o2c.india.portal import dumps, parse_portal_datetime, portal_date, portal_datetime
from o2c.india.vehicles import is_valid_vehicle_number, normalised_vehicle_number

PUNE, MUMBAI = (18.5204, 73.8567), (18.9388, 72.8354)


def test_road_distance_is_the_great_circle_times_the_road_factor() -> None:
    crow = great_circle_km(PUNE, MUMBAI)
    assert 115 < crow < 125
    assert road_distance_km(PUNE, MUMBAI) == round(crow * ROAD_FACTOR)
    assert road_distance_km(PUNE, PUNE) == 1


def test_pincode_distance_uses_the_locator_and_knows_no_distance_within_one_pincode() -> None:
    places = {"411001": PUNE, "400001": MUMBAI}
    assert pincode_distance("411001", "400001", places.get) == road_distance_km(PUNE, MUMBAI)
    assert pincode_distance("411001", "411001", places.get) is None
    assert pincode_distance("411001", "999999", places.get) is None


def test_the_portal_accepts_ten_percent_over_the_pincode_distance_and_100_km_within_one() -> None:
    assert longest_allowed_distance(150) == 165
    assert longest_allowed_distance(151) == 166
    assert longest_allowed_distance(0, same_pincode=True) == 100


@pytest.mark.parametrize(
    "vehicle", ["MH12AB1234", "mh 12 ab-1234", "MH.12.AB.1234", "AB121234", "ABC1234", "TMKA2024001", "DF12345"]
)
def test_vehicle_numbers_the_portal_accepts(vehicle: str) -> None:
    assert is_valid_vehicle_number(vehicle)


@pytest.mark.parametrize("vehicle", ["AB1234", "1212AB1234", "AB12ABCD1234", "TM12", "TM1234567890123X"])
def test_vehicle_numbers_the_portal_refuses(vehicle: str) -> None:
    assert not is_valid_vehicle_number(vehicle)


def test_vehicle_numbers_are_normalised() -> None:
    assert normalised_vehicle_number("mh 12 ab-1234") == "MH12AB1234"


def test_ewaybill_validity_ends_at_midnight_of_the_day_after_the_last_counted_day() -> None:
    generated = datetime(2022, 9, 16, 19, 29, tzinfo=IST)
    assert validity_days(2467) == 13
    assert valid_until(generated, 2467) == datetime(2022, 9, 29, 23, 59, tzinfo=IST)
    assert valid_until(datetime(2024, 2, 25, 11, 10, tzinfo=IST), 10) == datetime(2024, 2, 26, 23, 59, tzinfo=IST)
    assert validity_days(21, VehicleType.OVER_DIMENSIONAL) == 2
    with pytest.raises(ValueError):
        validity_days(-1)


def test_a_consignment_above_the_threshold_in_force_needs_an_ewaybill() -> None:
    national = EwayBillThreshold(Decimal("50000"), date(2018, 4, 1))
    delhi_intra = EwayBillThreshold(Decimal("100000"), date(2018, 4, 1), state_code="07",
                                    movement=Movement.INTRA_STATE)
    rows = [national, delhi_intra]
    assert not ewaybill_requirement(Decimal("50000"), "27", "29", date(2026, 1, 1), rows).required
    assert ewaybill_requirement(Decimal("50000.01"), "27", "29", date(2026, 1, 1), rows).required
    assert not ewaybill_requirement(Decimal("90000"), "07", "07", date(2026, 1, 1), rows).required
    assert ewaybill_requirement(Decimal("90000"), "07", "06", date(2026, 1, 1), rows).required
    with pytest.raises(NoThresholdInForce):
        ewaybill_requirement(Decimal("1"), "27", "27", date(2018, 3, 31), rows)


def test_portal_json_keeps_every_digit_of_an_amount() -> None:
    text = dumps({"a": Decimal("1234.50"), "b": [1, "₹"], "c": None, "d": True})
    assert text == '{"a":1234.50,"b":[1,"₹"],"c":null,"d":true}'
    with pytest.raises(TypeError):
        dumps({"when": date(2026, 1, 1)})
    with pytest.raises(ValueError):
        dumps({"a": Decimal("NaN")})


def test_portal_dates_are_written_in_ist() -> None:
    instant = datetime(2022, 9, 16, 13, 59, tzinfo=UTC)
    assert portal_datetime(instant) == "16/09/2022 07:29:00 PM"
    assert parse_portal_datetime("16/09/2022 07:29:00 PM") == instant
    assert portal_date(date(2022, 9, 6)) == "06/09/2022"
