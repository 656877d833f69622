import pytest
from o2c.india.gstin import InvalidGstin, gstin_problem, is_valid_gstin, validated_gstin
from o2c.india.states import UnknownStateCode, levies_utgst, state_name


@pytest.mark.parametrize("gstin", ["24AUTPV8831F1ZZ", "29AABCR1718E1ZL", "05AAACG2115R1ZN", "33AAAAR6720M1ZG"])
def test_valid_gstins_pass(gstin: str) -> None:
    assert is_valid_gstin(gstin)


def test_a_wrong_check_character_names_the_expected_one() -> None:
    problem = gstin_problem("29AAFCA7488L1Z0")
    assert problem is not None and "expected 'W'" in problem
    assert is_valid_gstin("29AAFCA7488L1ZW")


@pytest.mark.parametrize("gstin", ["02AMBPG7773M002", "36AABCT1332L011", "29AABCR1718E1Z", "29aabcr1718e1zl"])
def test_gstins_of_the_wrong_shape_are_refused(gstin: str) -> None:
    with pytest.raises(InvalidGstin, match="shape"):
        validated_gstin(gstin)


@pytest.mark.parametrize(
    ("code", "utgst"),
    [
        ("04", True),
        ("26", True),
        ("31", True),
        ("35", True),
        ("38", True),
        ("97", True),
        ("07", False),
        ("34", False),
        ("01", False),
        ("27", False),
    ],
)
def test_only_union_territories_without_legislature_levy_utgst(code: str, utgst: bool) -> None:
    assert levies_utgst(code) is utgst


def test_unknown_state_codes_are_refused() -> None:
    assert state_name("27") == "Maharashtra"
    with pytest.raises(UnknownStateCode):
        state_name("25")
