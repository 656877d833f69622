"""GSTIN shape and check character, as the portal checks them (transporter ids, TRANSIN, use state 88)."""

from __future__ import annotations

import re

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_REGULAR_TAXPAYER = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z][Z1-9ABD-J][0-9A-Z]$")
_TRANSPORTER_ID = re.compile(r"^88[0-9A-Z]{13}$")
UNREGISTERED_PERSON = "URP"


def gstin_check_character(first_fourteen: str) -> str:
    total = 0
    for position, character in enumerate(first_fourteen):
        product = _ALPHABET.index(character) * (1 if position % 2 == 0 else 2)
        total += product // 36 + product % 36
    return _ALPHABET[(36 - total % 36) % 36]


def is_valid_gstin(gstin: str) -> bool:
    return bool(_REGULAR_TAXPAYER.match(gstin)) and gstin[14] == gstin_check_character(gstin[:14])


def is_valid_transporter_id(transporter_id: str) -> bool:
    """A transporter's GSTIN, or a TRANSIN (state code 88, not check-digit validated)."""
    return bool(_TRANSPORTER_ID.match(transporter_id)) or is_valid_gstin(transporter_id)
