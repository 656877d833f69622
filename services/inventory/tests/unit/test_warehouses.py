from decimal import Decimal

import pytest
from o2c.inventory.domain import Coordinates, InvalidValue, Warehouse, distance_km, is_valid_gstin


def test_known_gstins_pass_and_wrong_check_characters_fail() -> None:
    for good in ("24AUTPV8831F1ZZ", "29AABCR1718E1ZL", "05AAACG2115R1ZN", "33AAAAR6720M1ZG"):
        assert is_valid_gstin(good)
    for bad in ("29AAFCA7488L1Z0", "02AMBPG7773M002", "36AABCT1332L011"):
        assert not is_valid_gstin(bad)


def test_warehouse_gstin_must_be_registered_in_the_warehouse_state() -> None:
    with pytest.raises(InvalidValue) as refused:
        Warehouse("BLR", "Bengaluru", "27", "560001", "29AABCR1718E1ZL")
    assert refused.value.field == "gstin"


def test_warehouse_refuses_an_invalid_gstin_or_pincode() -> None:
    with pytest.raises(InvalidValue) as bad_gstin:
        Warehouse("X", "X", "29", "560001", "29AAFCA7488L1Z0")
    assert bad_gstin.value.field == "gstin"
    with pytest.raises(InvalidValue) as bad_pin:
        Warehouse("X", "X", "29", "060001", "29AABCR1718E1ZL")
    assert bad_pin.value.field == "pincode"


def test_distance_is_great_circle_kilometres() -> None:
    mumbai = Coordinates(Decimal("18.9388"), Decimal("72.8354"))
    pune = Coordinates(Decimal("18.5196"), Decimal("73.8553"))
    assert Decimal("115") < distance_km(mumbai, pune) < Decimal("125")
    assert distance_km(pune, pune) == Decimal("0.0")


def test_coordinates_refuse_floats_and_impossible_values() -> None:
    with pytest.raises(InvalidValue):
        Coordinates(18.5, Decimal("73.8"))  # type: ignore[arg-type]
    with pytest.raises(InvalidValue):
        Coordinates(Decimal("95"), Decimal("73.8"))
