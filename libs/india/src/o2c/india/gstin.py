"""The GSTIN rule every service applies where data enters (docs/domain.md, "GSTIN"): a regular taxpayer's
shape and the check character over the first 14 characters. Pure and shared, so the services cannot drift
apart; each service wraps it in its own error type. Transporter ids (TRANSIN, state code 88) carry no
check character."""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
REGULAR_TAXPAYER = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z][Z1-9ABD-J][0-9A-Z]$")
TRANSIN = re.compile(r"^88[0-9A-Z]{13}$")
PAN = re.compile(r"^[A-Z]{5}[0-9]{4}[A-Z]$")
"""A permanent account number: five letters, four digits, a letter (characters 3-12 of a GSTIN)."""


def gstin_shape_problem(text: str) -> str | None:
    """What is wrong with a GSTIN's shape, position by position (for a person correcting it), or None when it has
    a regular taxpayer's shape. The check character is not looked at."""
    if len(text) != 15:
        return f"a GSTIN has 15 characters, got {len(text)}"
    if not text[:2].isdigit():
        return f"characters 1-2 must be the state code digits, got {text[:2]!r}"
    if not PAN.match(text[2:12]):
        return f"characters 3-12 must be a PAN (five letters, four digits, a letter), got {text[2:12]!r}"
    if not re.fullmatch(r"[1-9A-Z]", text[12]):
        return f"character 13 (entity number) must be 1-9 or A-Z, got {text[12]!r}"
    if not re.fullmatch(r"[Z1-9ABD-J]", text[13]):
        return f"character 14 must be Z (or 1-9, A, B, D-J), got {text[13]!r}"
    if not re.fullmatch(r"[0-9A-Z]", text[14]):
        return f"character 15 (check character) must be 0-9 or A-Z, got {text[14]!r}"
    if not REGULAR_TAXPAYER.match(text):  # pragma: no cover - the positional checks above are exhaustive
        return "does not match the GSTIN pattern"
    return None


def gstin_check_character(first_fourteen: str) -> str:
    """Weights alternate 1, 2, 1, 2 … over the 36-character alphabet; each product p adds `p // 36 + p % 36`;
    the check character is the alphabet's character at `(36 − total % 36) % 36`. Raises ValueError for
    anything but 14 characters of 0-9 and A-Z."""
    if len(first_fourteen) != 14 or any(c not in ALPHABET for c in first_fourteen):
        raise ValueError(f"needs 14 characters of 0-9 and A-Z, got {first_fourteen!r}")
    total = 0
    for position, character in enumerate(first_fourteen):
        product = ALPHABET.index(character) * (1 if position % 2 == 0 else 2)
        total += product // 36 + product % 36
    return ALPHABET[(36 - total % 36) % 36]


def gstin_problem(gstin: str) -> str | None:
    """Why a GSTIN is not valid, or None when it is."""
    if not REGULAR_TAXPAYER.match(gstin):
        return f"GSTIN {gstin!r} does not have the shape of a regular taxpayer's GSTIN"
    expected = gstin_check_character(gstin[:14])
    if gstin[14] != expected:
        return f"GSTIN {gstin!r} has check character {gstin[14]!r}, expected {expected!r}"
    return None


def is_valid_gstin(gstin: str) -> bool:
    return gstin_problem(gstin) is None


class InvalidGstin(ValueError):
    """A GSTIN that fails its shape or its check character."""


def validated_gstin(gstin: str) -> str:
    problem = gstin_problem(gstin)
    if problem:
        raise InvalidGstin(problem)
    return gstin


def pan_of(gstin: str) -> str:
    """The holder's PAN: characters 3-12 of a GSTIN (one PAN, one legal person, several state registrations)."""
    return gstin[2:12]


def state_code_of(gstin: str) -> str:
    """The two-digit state code a GSTIN is registered in."""
    return gstin[:2]
