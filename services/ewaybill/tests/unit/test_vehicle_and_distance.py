import pytest
from o2c.ewaybill.domain.distance import distance_error, longest_allowed_distance
from o2c.ewaybill.domain.vehicle import (
    TransportMode,
    is_valid_vehicle_number,
    normalised_vehicle_number,
    vehicle_number_error,
)


@pytest.mark.parametrize(
    "vehicle",
    ["AB121234", "AB12A1234", "AB12AB1234", "ABC1234", "AB123A1234", "AB12ABC1234", "TMKA2024001", "DF12345",
     "BP01A1234", "NP01PA1234", "ka 01 ab-1234"],
)  # fmt: skip
def test_accepted_vehicle_formats(vehicle: str) -> None:
    assert is_valid_vehicle_number(vehicle)
    assert vehicle_number_error(vehicle) is None


@pytest.mark.parametrize("vehicle", ["AB1234", "1212AB1234", "AB12ABCD1234", "TM12", "TM1234567890123X", "AB12-AB-12"])
def test_other_vehicle_numbers_are_304_invalid_format(vehicle: str) -> None:
    problem = vehicle_number_error(vehicle)
    assert problem is not None and problem.code == "304"


def test_a_road_movement_without_a_vehicle_is_303() -> None:
    problem = vehicle_number_error("  ")
    assert problem is not None and (problem.code, problem.message) == ("303", "Vehicle number is required")


def test_rail_air_and_ship_need_no_vehicle_number() -> None:
    assert vehicle_number_error(None, TransportMode.RAIL) is None


def test_vehicle_numbers_are_normalised_without_spaces_or_hyphens() -> None:
    assert normalised_vehicle_number("mh 12-ab 1234") == "MH12AB1234"


def test_declared_distance_may_exceed_the_pincode_distance_by_10_percent() -> None:
    assert longest_allowed_distance(150) == 165
    assert distance_error(165, "410501", "400050", 150) is None
    problem = distance_error(166, "410501", "400050", 150)
    assert problem is not None and problem.code == "702"
    assert "at most 165 km" in problem.message


def test_within_one_pincode_the_distance_is_at_most_100_km() -> None:
    assert distance_error(100, "400050", "400050", 0) is None
    problem = distance_error(101, "400050", "400050", 0)
    assert problem is not None and "within one pincode" in problem.message


def test_an_unknown_pincode_distance_is_not_held_against_the_declaration() -> None:
    assert distance_error(900, "410501", "400050", None) is None
