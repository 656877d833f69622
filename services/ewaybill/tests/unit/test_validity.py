from datetime import datetime

import pytest
from o2c.india.calendar import IST
from o2c.india.ewaybill import VehicleType, valid_until, validity_days


def at(text: str) -> datetime:
    return datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=IST)


def test_2467_km_generated_16_09_2022_19_29_is_valid_until_29_09_2022_23_59_ist() -> None:
    assert validity_days(2467) == 13
    assert valid_until(at("16/09/2022 19:29"), 2467) == at("29/09/2022 23:59")


def test_10_km_generated_25_02_2024_11_10_is_valid_until_26_02_2024_23_59_ist() -> None:
    assert valid_until(at("25/02/2024 11:10"), 10) == at("26/02/2024 23:59")


def test_the_day_of_generation_is_not_a_day_of_validity_even_just_after_midnight() -> None:
    assert valid_until(at("16/09/2022 00:05"), 150) == at("17/09/2022 23:59")


@pytest.mark.parametrize(("km", "days"), [(0, 1), (1, 1), (200, 1), (201, 2), (400, 2), (401, 3)])
def test_regular_cargo_gets_a_day_per_200_km_or_part(km: int, days: int) -> None:
    assert validity_days(km) == days


@pytest.mark.parametrize(("km", "days"), [(20, 1), (21, 2), (100, 5), (101, 6)])
def test_over_dimensional_cargo_gets_a_day_per_20_km_or_part(km: int, days: int) -> None:
    assert validity_days(km, VehicleType.OVER_DIMENSIONAL) == days


def test_midnight_is_ist_midnight_whatever_zone_the_instant_arrives_in() -> None:
    # 16/09/2022 19:29 IST is 13:59 UTC; the answer is still 29/09 23:59 IST (18:29 UTC).
    generated = at("16/09/2022 19:29").astimezone(datetime.now().astimezone().tzinfo)
    assert valid_until(generated, 2467).isoformat() == "2022-09-29T23:59:00+05:30"


def test_negative_distance_is_refused() -> None:
    with pytest.raises(ValueError):
        validity_days(-1)
