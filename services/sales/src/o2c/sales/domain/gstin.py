"""GSTIN and PAN: shape, check character, and the facts a GSTIN carries (state, PAN).

A GSTIN is 15 characters: 2-digit state code, 10-character PAN, entity number (1-9 or A-Z), a 14th character
(normally `Z`) and a check character computed over the first 14 (docs/domain.md, "GSTIN"). A transporter id
(TRANSIN, state code 88: no check character) is not a taxpayer's GSTIN and is refused as one; sales keeps no
transporters (dispatch does).
"""

from __future__ import annotations

from dataclasses import dataclass

from o2c.india.gstin import PAN, REGULAR_TAXPAYER, gstin_shape_problem
from o2c.india.gstin import gstin_check_character as shared_check_character
from o2c.sales.domain.errors import InvalidValue
from o2c.sales.domain.geography import StateCode

GSTIN_PATTERN = REGULAR_TAXPAYER
PAN_PATTERN = PAN
TRANSIN_STATE_CODE = "88"


def gstin_check_character(first_fourteen: str) -> str:
    """The check character for the first 14 characters of a GSTIN (the shared rule; useful to make seed data)."""
    body = first_fourteen.upper()
    try:
        return shared_check_character(body)
    except ValueError:
        raise InvalidValue("gstin", f"needs 14 characters of 0-9 and A-Z to compute a check character, got {body!r}"
                           ) from None


def _normalise(raw: object) -> str:
    return "" if raw is None else str(raw).strip().upper()


def _shape_problem(text: str) -> str | None:
    """What is wrong with the GSTIN's shape, position by position (o2c.india.gstin)."""
    return gstin_shape_problem(text)


def gstin_problem(raw: object) -> str | None:
    """Why `raw` is not a valid regular-taxpayer GSTIN, or None when it is."""
    text = _normalise(raw)
    shape = _shape_problem(text)
    if shape is not None:
        return shape
    if text[:2] == TRANSIN_STATE_CODE:
        return "state code 88 is a transporter id (TRANSIN), not a taxpayer's GSTIN"
    try:
        StateCode.parse(text[:2])
    except InvalidValue:
        return f"{text[:2]} is not a GST state code"
    expected = gstin_check_character(text[:14])
    if text[14] != expected:
        return f"check character is {text[14]!r} but should be {expected!r}"
    return None


def is_valid_gstin(raw: object) -> bool:
    return gstin_problem(raw) is None


@dataclass(frozen=True, slots=True)
class Pan:
    """Permanent account number: `AAAAA9999A`."""

    value: str

    def __post_init__(self) -> None:
        if not PAN_PATTERN.match(self.value):
            reason = f"a PAN is five letters, four digits and a letter, got {self.value!r}"
            raise InvalidValue("pan", reason, self.value)

    @classmethod
    def parse(cls, raw: object, field: str = "pan") -> Pan:
        text = _normalise(raw)
        if not PAN_PATTERN.match(text):
            raise InvalidValue(field, f"a PAN is five letters, four digits and a letter, got {text!r}", text)
        return cls(text)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Gstin:
    """A regular taxpayer's GSTIN, valid in shape and check character. Build with `Gstin.parse(text, field)`."""

    value: str

    def __post_init__(self) -> None:
        problem = gstin_problem(self.value)
        if problem is not None or self.value != _normalise(self.value):
            raise InvalidValue("gstin", f"{self.value!r}: {problem or 'must be upper case'}", self.value)

    @classmethod
    def parse(cls, raw: object, field: str = "gstin") -> Gstin:
        text = _normalise(raw)
        problem = gstin_problem(text)
        if problem is not None:
            raise InvalidValue(field, f"GSTIN {text!r}: {problem}", text)
        return cls(text)

    @classmethod
    def make(cls, state_code: str, pan: str, entity_number: str = "1") -> Gstin:
        """A GSTIN with its check character computed (seed data, test fixtures)."""
        body = f"{state_code}{pan}{entity_number}Z".upper()
        return cls.parse(body + gstin_check_character(body))

    @property
    def state_code(self) -> StateCode:
        return StateCode(self.value[:2])

    @property
    def pan(self) -> Pan:
        return Pan(self.value[2:12])

    @property
    def entity_number(self) -> str:
        return self.value[12]

    @property
    def check_character(self) -> str:
        return self.value[14]

    def __str__(self) -> str:
        return self.value
