"""GSTIN: shape, check character and the state it belongs to."""

from __future__ import annotations

from o2c.contracts.gstin import gstin_check_character, gstin_problem, is_valid_gstin

__all__ = ["InvalidGstin", "gstin_check_character", "gstin_problem", "is_valid_gstin", "state_code_of",
           "validated_gstin"]


class InvalidGstin(ValueError):
    """A GSTIN that fails its shape or its check character."""


def validated_gstin(gstin: str) -> str:
    problem = gstin_problem(gstin)
    if problem:
        raise InvalidGstin(problem)
    return gstin


def state_code_of(gstin: str) -> str:
    """The two-digit state code a GSTIN is registered in."""
    return gstin[:2]
