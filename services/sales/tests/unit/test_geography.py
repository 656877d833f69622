from __future__ import annotations

import pytest
from o2c.sales.domain.errors import InvalidValue
from o2c.sales.domain.geography import (
    INDIA_POST,
    STATES,
    GeoPoint,
    Pincode,
    PincodeDirectory,
    StateCode,
    StateTax,
    check_pincode_in_state,
    pincode_in_state,
    pincode_location,
    representative_point,
)


def test_state_table_has_every_code_of_the_domain_rules() -> None:
    expected = {f"{n:02d}" for n in range(1, 39)} - {"25", "28"} | {"96", "97"}
    assert set(STATES) == expected


@pytest.mark.parametrize("code", ["04", "26", "31", "35", "38", "97"])
def test_union_territories_without_legislature_use_utgst(code: str) -> None:
    assert STATES[code].tax is StateTax.UTGST
    assert STATES[code].union_territory


@pytest.mark.parametrize("code", ["07", "34", "01", "27"])
def test_states_and_territories_with_legislature_use_sgst(code: str) -> None:
    assert STATES[code].tax is StateTax.SGST


def test_state_code_accepts_a_single_digit_and_pads_it() -> None:
    assert StateCode.parse("7").name == "Delhi"


@pytest.mark.parametrize("raw", ["28", "99", "A1", ""])
def test_unknown_state_code_is_refused(raw: str) -> None:
    with pytest.raises(InvalidValue):
        StateCode.parse(raw)


@pytest.mark.parametrize("raw", ["012345", "12345", "1234567", "12a456", ""])
def test_pincode_is_six_digits_not_starting_with_zero(raw: str) -> None:
    with pytest.raises(InvalidValue) as error:
        Pincode.parse(raw, field="ship_to.pincode")
    assert error.value.field == "ship_to.pincode"


def test_pincode_with_a_space_is_normalised() -> None:
    assert Pincode.parse("400 001").value == "400001"


def test_pincode_in_state_uses_the_directory_not_the_prefix(directory: PincodeDirectory) -> None:
    assert pincode_in_state("160062", "03", directory)
    assert not pincode_in_state("160062", "04", directory)


def test_pincode_spanning_two_states_is_in_both(directory: PincodeDirectory) -> None:
    assert pincode_in_state("605110", "34", directory)
    assert pincode_in_state("605110", "33", directory)


def test_pincode_check_says_where_the_pincode_lies(directory: PincodeDirectory) -> None:
    with pytest.raises(InvalidValue) as error:
        check_pincode_in_state(Pincode("390001"), StateCode("27"), "pincode", directory)
    assert "Gujarat (24)" in error.value.reason and "Maharashtra" in error.value.reason


def test_unknown_pincode_is_reported_as_not_in_the_directory(directory: PincodeDirectory) -> None:
    with pytest.raises(InvalidValue, match="not in the India Post directory"):
        check_pincode_in_state(Pincode("999999"), StateCode("27"), "pincode", directory)


def test_representative_point_prefers_the_head_office() -> None:
    offices = [
        {"office_type": "PO", "latitude": 10.0, "longitude": 70.0, "geo_quality": "original"},
        {"office_type": "HO", "latitude": 12.0, "longitude": 72.0, "geo_quality": "original"},
    ]
    assert representative_point(offices) == GeoPoint(12.0, 72.0)


def test_representative_point_is_the_median_leaving_out_suspect_coordinates() -> None:
    offices = [
        {"office_type": "PO", "latitude": 10.0, "longitude": 70.0, "geo_quality": "original"},
        {"office_type": "BO", "latitude": 11.0, "longitude": 71.0, "geo_quality": "swapped"},
        {"office_type": "BO", "latitude": 12.0, "longitude": 75.0, "geo_quality": "original"},
        {"office_type": "HO", "latitude": 30.0, "longitude": 90.0, "geo_quality": "suspect"},
        {"office_type": "BO", "latitude": None, "longitude": None, "geo_quality": "missing"},
    ]
    assert representative_point(offices) == GeoPoint(11.0, 71.0)


def test_representative_point_is_none_without_usable_coordinates() -> None:
    assert (
        representative_point([{"office_type": "HO", "latitude": 1.0, "longitude": 2.0, "geo_quality": "suspect"}])
        is None
    )


# --- the real India Post directory (offline data shipped with indian-pincode[geo]) ---------------


@pytest.mark.parametrize(
    ("pincode", "state", "other"),
    [
        ("160001", "04", "03"),  # Chandigarh, not Punjab
        ("160062", "03", "04"),  # Mohali is Punjab though 160xxx
        ("396210", "26", "24"),  # Daman, not Gujarat though 396xxx
        ("396191", "24", "26"),
        ("400001", "27", "24"),
    ],
)
def test_india_post_directory_maps_pincodes_to_the_right_state(pincode: str, state: str, other: str) -> None:
    assert pincode_in_state(pincode, state, INDIA_POST)
    assert not pincode_in_state(pincode, other, INDIA_POST)


def test_india_post_directory_knows_a_pincode_in_two_states() -> None:
    assert pincode_in_state("605110", "34") and pincode_in_state("605110", "33")


def test_india_post_location_skips_suspect_coordinates() -> None:
    point = pincode_location("160062")
    assert point is not None
    assert point.latitude == pytest.approx(30.68, abs=0.05)
    assert point.longitude == pytest.approx(76.74, abs=0.05)


def test_india_post_location_of_unknown_pincode_is_none() -> None:
    assert pincode_location("999999") is None
