"""The shared GSTIN rule (docs/domain.md): the check character over the first 14 characters, and the shape."""

from __future__ import annotations

import pytest
from o2c.india.gstin import gstin_check_character, gstin_problem, gstin_shape_problem, is_valid_gstin


@pytest.mark.parametrize("gstin", ["24AUTPV8831F1ZZ", "29AABCR1718E1ZL", "05AAACG2115R1ZN"])
def test_known_gstins_are_valid_and_their_check_character_is_recomputed(gstin: str) -> None:
    assert is_valid_gstin(gstin)
    assert gstin_check_character(gstin[:14]) == gstin[14]


def test_a_wrong_check_character_is_named_with_the_expected_one() -> None:
    problem = gstin_problem("29AABCR1718E1ZM")
    assert problem is not None and "expected 'L'" in problem


@pytest.mark.parametrize("gstin", ["29AABCR1718E0ZL", "29aabcr1718e1zl", "29AABCR1718E1Z", "8829AABCR1718E1"])
def test_shapes_other_than_a_regular_taxpayer_fail(gstin: str) -> None:
    assert not is_valid_gstin(gstin)
    assert "shape" in (gstin_problem(gstin) or "")


@pytest.mark.parametrize("body", ["29AABCR1718E1", "29AABCR1718E1z", "29AABCR1718E1Z!"])
def test_the_check_character_needs_fourteen_characters_of_the_alphabet(body: str) -> None:
    with pytest.raises(ValueError, match="14 characters"):
        gstin_check_character(body)


def test_the_shape_problem_names_the_position_a_person_must_correct() -> None:
    assert gstin_shape_problem("27AAPFU0939F1ZV") is None
    for text, position in (("27AAPFU0939F1Z", "15 characters"), ("2XAAPFU0939F1ZV", "characters 1-2"),
                           ("27AAPF00939F1ZV", "characters 3-12"), ("270APFU0939F0ZV", "characters 3-12"),
                           ("27AAPFU0939F0ZV", "character 13"), ("27AAPFU0939F1CV", "character 14"),
                           ("27AAPFU0939F1Z-", "character 15")):
        assert position in (gstin_shape_problem(text) or ""), text
