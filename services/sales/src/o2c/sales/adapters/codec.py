"""Domain aggregates to JSON and back, driven by the dataclasses' own type hints.

Aggregates are stored as rows whose nested parts (lines, rounds, audit, history) live in JSONB. The codec
is generic over the domain's frozen dataclasses: Decimal travels as a string (never a float), dates and
instants in ISO 8601, enums by value, tuples and frozensets as lists. A dataclass inside a union of several
dataclasses (a scheme, an order change) carries its class name under `"__t"`.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin

T = TypeVar("T")
_TAG = "__t"


def dump(value: Any) -> Any:
    """A JSON-ready structure for a domain value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {_TAG: type(value).__name__}
        for f in dataclasses.fields(value):
            out[f.name] = dump(getattr(value, f.name))
        return out
    if isinstance(value, list | tuple):
        return [dump(v) for v in value]
    if isinstance(value, frozenset | set):
        return sorted(dump(v) for v in value)
    if isinstance(value, dict):
        return {str(k): dump(v) for k, v in value.items()}
    raise TypeError(f"cannot store {type(value).__name__}")


@cache
def _hints(cls: type) -> dict[str, Any]:
    module = sys.modules[cls.__module__]
    return typing.get_type_hints(cls, globalns=vars(module))


def load(hint: Any, data: Any) -> Any:
    """The value of type `hint` from `dump`'s output."""
    if hint is Any:
        return data
    origin = get_origin(hint)
    if origin is Union or origin is types.UnionType:
        members = [a for a in get_args(hint) if a is not type(None)]
        if data is None:
            return None
        if len(members) == 1:
            return load(members[0], data)
        if isinstance(data, dict) and _TAG in data:
            for arg in members:
                if isinstance(arg, type) and arg.__name__ == data[_TAG]:
                    return load(arg, data)
        for arg in members:  # scalars: the first that fits
            try:
                return load(arg, data)
            except (TypeError, ValueError, KeyError):
                continue
        raise TypeError(f"no member of {hint} fits {data!r}")
    if origin in (tuple, list, frozenset, set):
        args = get_args(hint)
        inner: Any = args[0] if args else Any
        loaded = [load(inner, v) for v in data]
        return {tuple: tuple, list: list, frozenset: frozenset, set: set}[origin](loaded)
    if origin is dict:
        key_hint, value_hint = get_args(hint)
        return {load(key_hint, k): load(value_hint, v) for k, v in data.items()}
    if origin is typing.ClassVar:
        return data
    if hint is type(None):
        return None
    if isinstance(hint, type):
        if issubclass(hint, Enum):
            return hint(data)
        if hint is Decimal:
            return Decimal(str(data))
        if hint is datetime:
            return datetime.fromisoformat(data)
        if hint is date:
            return date.fromisoformat(data)
        if hint is timedelta:
            return timedelta(seconds=float(data))
        if hint in (str, int, bool):
            return hint(data)
        if dataclasses.is_dataclass(hint):
            if isinstance(data, dict) and data.get(_TAG) not in (None, hint.__name__):
                raise TypeError(f"{data.get(_TAG)} is not {hint.__name__}")
            hints = _hints(hint)
            kwargs = {
                f.name: load(hints[f.name], data[f.name])
                for f in dataclasses.fields(hint)
                if f.init and f.name in data
            }
            obj = hint(**kwargs)
            for f in dataclasses.fields(hint):  # fields outside __init__ (none today), set as stored
                if not f.init and f.name in data:
                    object.__setattr__(obj, f.name, load(hints[f.name], data[f.name]))
            return obj
    raise TypeError(f"cannot load {hint!r}")


def load_as(cls: type[T], data: Any) -> T:
    result: T = load(cls, data)
    return result
