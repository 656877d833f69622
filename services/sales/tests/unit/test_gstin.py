from __future__ import annotations

import pytest
from o2c.sales.domain.errors import InvalidValue
from o2c.sales.domain.gstin import (
    Gstin,
    Pan,
    gstin_check_character,
    gstin_problem,
    is_valid_gstin,
)


@pytest.mark.parametrize("text", ["24AUTPV8831F1ZZ", "29AABCR1718E1ZL", "05AAACG2115R1ZN", "33AAAAR6720M1ZG"])
def test_valid_gstins_from_domain_rules_are_accepted(text: str) -> None:
    assert str(Gstin.parse(text)) == text
    assert is_valid_gstin(text)


@pytest.mark.parametrize("text", ["24AUTPV8831F1ZZ", "29AABCR1718E1ZL", "05AAACG2115R1ZN", "33AAAAR6720M1ZG"])
def test_check_character_is_computed_from_the_first_fourteen(text: str) -> None:
    assert gstin_check_character(text[:14]) == text[14]


def test_gstin_with_wrong_check_character_names_expected_one() -> None:
    with pytest.raises(InvalidValue) as error:
        Gstin.parse("29AAFCA7488L1Z0", field="addresses[0].gstin")
    assert error.value.field == "addresses[0].gstin"
    assert "'W'" in error.value.reason
    assert "29AAFCA7488L1Z0" in error.value.reason


@pytest.mark.parametrize("text", ["02AMBPG7773M002", "36AABCT1332L011"])
def test_gstin_with_zero_entity_number_fails_the_pattern(text: str) -> None:
    problem = gstin_problem(text)
    assert problem is not None and "character 13" in problem


def test_gstin_is_normalised_to_upper_case_without_spaces() -> None:
    assert Gstin.parse(" 27aaacr5055k1z7 ").value == "27AAACR5055K1Z7"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("27AAACR5055K1Z", "15 characters"),
        ("2AAAACR5055K1Z7", "state code"),
        ("27AAAC55055K1Z7", "PAN"),
        ("27AAACR5055K1X7", "character 14"),
        ("25AAACR5055K1Z7", "not a GST state code"),
    ],
)
def test_gstin_problem_says_which_part_is_wrong(text: str, words: str) -> None:
    problem = gstin_problem(text)
    assert problem is not None and words in problem


def test_gstin_carries_its_state_code_and_pan() -> None:
    gstin = Gstin.parse("27AAACR5055K1Z7")
    assert gstin.state_code.value == "27"
    assert gstin.state_code.name == "Maharashtra"
    assert gstin.pan == Pan("AAACR5055K")
    assert gstin.entity_number == "1"
    assert gstin.check_character == "7"


def test_make_builds_a_gstin_with_a_valid_check_character_for_seed_data() -> None:
    gstin = Gstin.make("29", "AABCR1718E")
    assert gstin.value == "29AABCR1718E1ZL"
    assert Gstin.make("24", "AABCR1718E", "2").value[:13] == "24AABCR1718E2"


def test_transin_is_not_a_taxpayer_gstin() -> None:
    with pytest.raises(InvalidValue, match="TRANSIN"):
        Gstin.parse("88AAACR5055K1Z0")


def test_pan_pattern_is_five_letters_four_digits_a_letter() -> None:
    assert Pan.parse("aaacr5055k").value == "AAACR5055K"
    with pytest.raises(InvalidValue):
        Pan.parse("AAAC15055K")


def test_check_character_needs_fourteen_characters() -> None:
    with pytest.raises(InvalidValue):
        gstin_check_character("27AAACR5055K1")
