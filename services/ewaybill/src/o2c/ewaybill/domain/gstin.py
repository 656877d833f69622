"""GSTIN shape and check character, as the portal checks them (transporter ids, TRANSIN, use state 88)."""

from __future__ import annotations

from o2c.india.gstin import TRANSIN, gstin_check_character, is_valid_gstin

__all__ = ["UNREGISTERED_PERSON", "gstin_check_character", "is_valid_gstin", "is_valid_transporter_id"]

UNREGISTERED_PERSON = "URP"


def is_valid_transporter_id(transporter_id: str) -> bool:
    """A transporter's GSTIN, or a TRANSIN (state code 88, not check-digit validated)."""
    return bool(TRANSIN.match(transporter_id)) or is_valid_gstin(transporter_id)
