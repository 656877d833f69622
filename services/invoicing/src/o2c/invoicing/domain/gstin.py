"""GSTIN: shape, check character and the state it belongs to."""

from __future__ import annotations

import re

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_REGULAR_TAXPAYER = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z][Z1-9ABD-J][0-9A-Z]$")


class InvalidGstin(ValueError):
    """A GSTIN that fails its shape or its check character."""


def gstin_check_character(first_fourteen: str) -> str:
    """Weights 1, 2, 1, 2 … over the 36-character alphabet; p // 36 + p % 36 summed; (36 − total % 36) % 36."""
    total = 0
    for position, character in enumerate(first_fourteen):
        product = _ALPHABET.index(character) * (1 if position % 2 == 0 else 2)
        total += product // 36 + product % 36
    return _ALPHABET[(36 - total % 36) % 36]


def gstin_problem(gstin: str) -> str | None:
    """Why a GSTIN is not valid, or None when it is."""
    if not _REGULAR_TAXPAYER.match(gstin):
        return f"GSTIN {gstin!r} does not have the shape of a regular taxpayer's GSTIN"
    expected = gstin_check_character(gstin[:14])
    if gstin[14] != expected:
        return f"GSTIN {gstin!r} has check character {gstin[14]!r}, expected {expected!r}"
    return None


def is_valid_gstin(gstin: str) -> bool:
    return gstin_problem(gstin) is None


def validated_gstin(gstin: str) -> str:
    problem = gstin_problem(gstin)
    if problem:
        raise InvalidGstin(problem)
    return gstin


def state_code_of(gstin: str) -> str:
    """The two-digit state code a GSTIN is registered in."""
    return gstin[:2]
