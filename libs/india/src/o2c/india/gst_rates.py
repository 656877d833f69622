"""Effective-dated GST rates by HSN (docs/domain.md, "GST rates").

A rate names an HSN prefix (a chapter, heading, sub-heading or tariff item: 2, 4, 6 or 8 digits) and the day
it takes effect; it stays in force until a later rate for the same prefix takes effect (or its own last day, when
one is given). An item's HSN takes the most specific prefix in force on the date (longest match), so a heading
can carry the general rate and a sub-heading its exception. No rate in force → `NoRateInForce`, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

HSN_CODE_PATTERN = r"^[0-9]{4}([0-9]{2}){0,2}$"
"""An item's HSN code: 4, 6 or 8 digits (also the contracts' pattern)."""
HSN_PREFIX_PATTERN = r"^[0-9]{2}(?:[0-9]{2}){0,3}$"
HSN_CODE = re.compile(HSN_CODE_PATTERN)
HSN_PREFIX = re.compile(HSN_PREFIX_PATTERN)
"""A rate's HSN prefix: a chapter (2 digits), heading (4), sub-heading (6) or tariff item (8)."""


class InvalidGstRate(ValueError):
    """A rate row that cannot be: bad prefix, a negative or above-100 percentage, or an end before its start.
    `field` names the offending part."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


class NoRateInForce(LookupError):
    """No GST rate is in force for an HSN code on a date: the sales head must enter one first."""


def is_hsn_code(text: str) -> bool:
    return HSN_CODE.fullmatch(text) is not None


@dataclass(frozen=True, slots=True)
class GstRate:
    """The rate (percent) and compensation cess (percent, ad valorem) for HSN codes starting with `hsn_prefix`,
    from `effective_from` (until `effective_to` inclusive, when given)."""

    hsn_prefix: str
    rate: Decimal
    effective_from: date
    cess_rate: Decimal = Decimal(0)
    effective_to: date | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not HSN_PREFIX.fullmatch(self.hsn_prefix):
            raise InvalidGstRate("hsn_prefix", f"an HSN prefix is 2, 4, 6 or 8 digits, got {self.hsn_prefix!r}")
        for name, value in (("rate", self.rate), ("cess_rate", self.cess_rate)):
            if not isinstance(value, Decimal) or not value.is_finite() or not 0 <= value <= 100:
                raise InvalidGstRate(name, f"{name} is a percentage between 0 and 100, got {value!r}")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise InvalidGstRate("effective_to", f"HSN {self.hsn_prefix}: effective_to before effective_from")

    def covers(self, hsn: str) -> bool:
        return hsn.startswith(self.hsn_prefix)


class GstRateSchedule:
    """The effective-dated rates, looked up by HSN and date."""

    def __init__(self, rates: Iterable[GstRate]) -> None:
        # Longest prefix first, then the latest start within a prefix.
        self._rates = sorted(rates, key=lambda r: (len(r.hsn_prefix), r.effective_from), reverse=True)

    @property
    def rates(self) -> tuple[GstRate, ...]:
        return tuple(self._rates)

    def rate_on(self, hsn: str, on: date) -> GstRate:
        """The rate in force for an item's HSN on a date, or NoRateInForce."""
        if not is_hsn_code(hsn):
            raise NoRateInForce(f"an HSN code has 4, 6 or 8 digits, got {hsn!r}")
        decided: set[str] = set()
        for rate in self._rates:  # longest prefix first, latest start first within a prefix
            if rate.hsn_prefix in decided or not rate.covers(hsn) or rate.effective_from > on:
                continue
            # The latest start of a prefix decides it: a later rate supersedes an earlier one, and a rate whose
            # last day has passed leaves its prefix to the shorter ones.
            if rate.effective_to is None or on <= rate.effective_to:
                return rate
            decided.add(rate.hsn_prefix)
        raise NoRateInForce(f"no GST rate is in force for HSN {hsn} on {on.isoformat()}")
