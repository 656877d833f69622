from collections.abc import Callable
from datetime import date, timedelta

import pytest
from o2c.dispatch.domain import (
    INVALID_VEHICLE_FORMAT,
    VEHICLE_REQUIRED,
    DispatchDetails,
    InvalidValue,
    TransportMode,
    VehicleType,
    check_declared_distance,
    is_valid_vehicle_number,
    normalise_driver_phone,
    normalise_transporter_id,
    vehicle_number,
)

TODAY = date(2026, 6, 30)


@pytest.mark.parametrize("number", ["AB121234", "AB12A1234", "AB12AB1234", "ABC1234", "AB123A1234", "AB12ABC1234",
                                    "TMKA2026000123", "DF12345", "BP01A1234", "NP02PA1234"])
def test_every_format_the_portal_accepts_is_accepted(number: str) -> None:
    assert is_valid_vehicle_number(number)


def test_vehicle_number_is_normalised() -> None:
    assert vehicle_number("MH12AB1234") == "MH12AB1234"
    assert vehicle_number("mh 12 ab 1234") == "MH12AB1234"
    assert vehicle_number("ka-01-ab-1234") == "KA01AB1234"


@pytest.mark.parametrize("number", ["12MHAB1234", "MH12AB12345", "MH1", "TM1", "TM1234567890ABCD", "MH12AB12€4"])
def test_wrong_vehicle_formats_are_refused_with_error_304(number: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        vehicle_number(number)
    assert (refused.value.field, refused.value.code) == ("vehicle_no", INVALID_VEHICLE_FORMAT)


def test_road_transport_without_a_vehicle_is_error_303() -> None:
    with pytest.raises(InvalidValue) as refused:
        vehicle_number("  ")
    assert (refused.value.field, refused.value.code) == ("vehicle_no", VEHICLE_REQUIRED)
    assert vehicle_number(None, TransportMode.RAIL) is None


def test_transporter_is_a_gstin_with_its_check_character_or_a_transin() -> None:
    assert normalise_transporter_id("29aabcr1718e1zl") == "29AABCR1718E1ZL"
    assert normalise_transporter_id("88AAACT1234A1Z5") == "88AAACT1234A1Z5"  # TRANSIN: no check character
    for bad in ("29AAFCA7488L1Z0", "88SHORT", "AB12345"):
        with pytest.raises(InvalidValue) as refused:
            normalise_transporter_id(bad)
        assert refused.value.field == "transporter_id"


def test_driver_phone_becomes_ten_digits() -> None:
    assert normalise_driver_phone("+91 98450-12345") == "9845012345"
    assert normalise_driver_phone("09845012345") == "9845012345"
    assert normalise_driver_phone("919845012345") == "9845012345"
    with pytest.raises(InvalidValue):
        normalise_driver_phone("12345")


def test_declared_distance_may_exceed_the_estimate_by_ten_percent_at_most() -> None:
    assert check_declared_distance(110, estimated_km=100) == 110
    with pytest.raises(InvalidValue):
        check_declared_distance(111, estimated_km=100)
    with pytest.raises(InvalidValue):
        check_declared_distance(101, same_pincode=True)
    with pytest.raises(InvalidValue):
        check_declared_distance(4001)


def test_details_are_captured_validated_and_normalised(details: Callable[..., DispatchDetails]) -> None:
    d = details("mh 12 ab 1234")
    assert (d.vehicle_no, d.driver_phone, d.mode, d.vehicle_type) == (
        "MH12AB1234", "9845012345", TransportMode.ROAD, VehicleType.REGULAR)


def test_road_transport_needs_the_driver() -> None:
    with pytest.raises(InvalidValue) as refused:
        DispatchDetails.capture(today=TODAY, distance_km=10, vehicle_no="MH12AB1234", driver_phone="9845012345")
    assert refused.value.field == "driver_name"


def test_rail_needs_its_transport_document_not_a_vehicle() -> None:
    with pytest.raises(InvalidValue) as refused:
        DispatchDetails.capture(today=TODAY, distance_km=900, mode=TransportMode.RAIL)
    assert refused.value.field == "lr_no"
    rail = DispatchDetails.capture(today=TODAY, distance_km=900, mode=TransportMode.RAIL, lr_no="RR-55", lr_date=TODAY)
    assert rail.vehicle_no is None


def test_lorry_receipt_has_a_number_and_a_date_not_in_the_future() -> None:
    base = dict(today=TODAY, distance_km=10, vehicle_no="MH12AB1234", driver_name="R", driver_phone="9845012345")
    with pytest.raises(InvalidValue) as no_date:
        DispatchDetails.capture(lr_no="LR1", **base)  # type: ignore[arg-type]
    assert no_date.value.field == "lr_date"
    with pytest.raises(InvalidValue) as future:
        DispatchDetails.capture(lr_no="LR1", lr_date=TODAY + timedelta(days=1), **base)  # type: ignore[arg-type]
    assert future.value.field == "lr_date"
    with pytest.raises(InvalidValue) as too_long:
        DispatchDetails.capture(lr_no="LR-0123456789012", lr_date=TODAY, **base)  # type: ignore[arg-type]
    assert too_long.value.field == "lr_no"


def test_over_dimensional_cargo_is_recorded() -> None:
    d = DispatchDetails.capture(today=TODAY, distance_km=300, vehicle_no="KA01AB1234", driver_name="R",
                                driver_phone="9845012345", vehicle_type=VehicleType.OVER_DIMENSIONAL)
    assert d.vehicle_type.value == "O"
