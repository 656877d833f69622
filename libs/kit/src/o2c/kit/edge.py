"""Input at the HTTP edge, one rule for every service: what a request may carry before any use case sees it.

- `InputGuard` (middleware): no NUL or other control character in the path or a query parameter (tab and newline
  allowed in query text), no NUL anywhere in a JSON body; refused with 422 naming the field, nothing run.
- `RequestModel`: the base of every request body: unknown fields refused, control characters other than tab and
  newline refused in every string.
- Bounded values: `Amount` (money, ≤ 14 digits, 2 places), `Qty` (≤ 12 digits, 3 places), `Rate` (percentages);
  exponents are judged from the digits before any Decimal arithmetic, so `1E+999999` is a 422, not a 500.
- Codes: `GstStateCode` (a real GST state code), `Code` (ASCII, letters and digits with . _ / -),
  `EffectiveDate` (not before GST began, 2017-07-01); `Limit` for list sizes (1..500).

These bound the HTTP edge only; message contracts (o2c.contracts) keep their own, compatible types.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Path, Query
from o2c.india.states import GST_STATE_CODES as INDIA_GST_STATE_CODES
from o2c.kit.asgi import read_body, replaying
from o2c.kit.problems import PROBLEM_BASE, Problem, field_error, problem_response
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from starlette.types import ASGIApp, Receive, Scope, Send

GST_START = date(2017, 7, 1)
MAX_LIMIT = 500

# The GST state codes are India's rule (docs/domain.md, "States"), kept once in o2c.india.states.
GST_STATE_CODES = INDIA_GST_STATE_CODES

# Every C0 control character and DEL, except tab and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def refuse_control_characters(text: str) -> str:
    if _CONTROL.search(text):
        raise ValueError("control characters are not allowed (tab and newline are)")
    return text


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)


class RequestModel(BaseModel):
    """The base of every request body: unknown fields are refused, and free text carries no control characters
    (tab and newline allowed)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _printable(cls, value: Any, info: ValidationInfo) -> Any:
        for text in _strings(value):
            refuse_control_characters(text)
        return value


# --- bounded decimals ------------------------------------------------------------------------------------------


def _bounded(value: object, *, digits: int, places: int, floats: bool) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"not a decimal number: {value!r}")
    if isinstance(value, float):
        if not floats:
            raise ValueError("give the amount as a decimal string, not a float")
        value = repr(value)
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 64:
            raise ValueError("not a decimal number of reasonable length")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(f"not a decimal number: {value!r}") from exc
    elif isinstance(value, Decimal):
        number = value
    else:
        raise ValueError(f"not a decimal number: {value!r}")
    if not number.is_finite():
        raise ValueError("must be a finite number")
    # Judged on the digits and exponent alone: no arithmetic on a number like 1E+999999.
    _, coefficient, given_exponent = number.as_tuple()
    assert isinstance(given_exponent, int)
    significant, exponent = list(coefficient), given_exponent
    while len(significant) > 1 and significant[-1] == 0:
        significant.pop()
        exponent += 1
    if significant != [0]:
        if exponent < -places:
            raise ValueError(f"at most {places} decimal places")
        if len(significant) + exponent > digits - places:
            raise ValueError(f"at most {digits - places} digits before the decimal point")
    # Written as given (1.5 stays 1.5), unless the exponent itself is odd (1E+3, 0E-99999): then fixed places.
    return number if -places <= given_exponent <= 0 else number.quantize(Decimal(1).scaleb(-places))


def _schema(digits: int, places: int, description: str) -> WithJsonSchema:
    whole = digits - places
    return WithJsonSchema({"type": "string", "pattern": rf"^-?[0-9]{{1,{whole}}}(\.[0-9]{{1,{places}}})?$",
                           "description": description})


def _amount(value: object) -> Decimal:
    return _bounded(value, digits=14, places=2, floats=False)


def _quantity(value: object) -> Decimal:
    return _bounded(value, digits=12, places=3, floats=True)


def _rate(value: object) -> Decimal:
    return _bounded(value, digits=6, places=3, floats=True)


_AS_TEXT = PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json")

Amount = Annotated[Decimal, BeforeValidator(_amount), _AS_TEXT,
                   _schema(14, 2, "Rupees as a decimal string: at most 12 digits before the point, 2 places")]
"""Money at the edge: at most 14 digits with 2 places (the Numeric(14, 2) columns), as a string or integer."""
Qty = Annotated[Decimal, BeforeValidator(_quantity), _AS_TEXT,
                _schema(12, 3, "A quantity: at most 9 digits before the point, 3 places")]
"""A quantity at the edge: at most 12 digits with 3 places."""
Rate = Annotated[Decimal, BeforeValidator(_rate), _AS_TEXT,
                 _schema(6, 3, "A rate or percentage: at most 3 digits before the point, 3 places")]
"""A rate or percentage at the edge."""


# --- codes, dates, limits ----------------------------------------------------------------------------------------


def _state_code(value: str) -> str:
    text = value.strip()
    if len(text) == 1 and text.isdigit():
        text = "0" + text
    if text not in GST_STATE_CODES:
        raise ValueError(f"{value!r} is not a GST state code")
    return text


GstStateCode = Annotated[
    str, StringConstraints(min_length=1, max_length=2), AfterValidator(_state_code),
    WithJsonSchema({"type": "string", "enum": sorted(GST_STATE_CODES), "description": "GST state code"}),
]
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"
Code = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=CODE_PATTERN)]
"""A master-data code: ASCII letters and digits with . _ / - (not leading)."""
EffectiveDate = Annotated[date, Field(ge=GST_START, le=date(2099, 12, 31))]
"""A date a tax or price row takes effect: not before GST began (2017-07-01)."""
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Rows per page, 1..{MAX_LIMIT}")]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
RowId = Annotated[int, Path(ge=1, le=2**63 - 1, description="A row number")]


# --- the middleware ----------------------------------------------------------------------------------------------


def _refusal(field: str, detail: str) -> Problem:
    return Problem(422, "Invalid request", f"invalid field(s): {field}", type_=PROBLEM_BASE + "validation",
                   errors=[field_error(field, detail)])


def _nul_field(value: Any, at: str = "") -> str | None:
    """The dotted path of the first string (key or value) holding a NUL, or None."""
    if isinstance(value, str):
        return at or "body" if "\x00" in value else None
    items: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{at}.{key}" if at else str(key)
            if "\x00" in key:
                return name
            items.append((name, item))
    elif isinstance(value, list):
        items = [(f"{at}.{i}" if at else str(i), item) for i, item in enumerate(value)]
    for name, item in items:
        found = _nul_field(item, name)
        if found:
            return found
    return None


class InputGuard:
    """Refuses a NUL or control character in the path or query, and a NUL in a JSON body, before any handler."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = self._in_address(scope)
        if problem is not None:
            await problem_response(problem)(scope, receive, send)
            return
        body = await read_body(receive)
        if body is None:
            await self.app(scope, receive, send)  # the client left before its body arrived
            return
        if b"\x00" in body or b"\\u0000" in body:
            field = "body"
            with contextlib.suppress(ValueError):
                field = _nul_field(json.loads(body)) or "body"
            await problem_response(_refusal(field, "NUL characters are not allowed"))(scope, receive, send)
            return
        await self.app(scope, replaying(body, receive), send)

    @staticmethod
    def _in_address(scope: Scope) -> Problem | None:
        if _ANY_CONTROL.search(scope.get("path", "")):
            return _refusal("path", "control characters are not allowed in the path")
        query = scope.get("query_string", b"").decode("latin-1")
        if "%" not in query and not _ANY_CONTROL.search(query):
            return None
        for name, value in parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="replace"):
            if _CONTROL.search(name) or _CONTROL.search(value):
                return _refusal(f"query.{refuse_name(name)}", "control characters are not allowed (tab and "
                                                               "newline are)")
        return None


def refuse_name(name: str) -> str:
    """A parameter name fit to echo back: control characters shown as escapes."""
    return _ANY_CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", name)[:100]

