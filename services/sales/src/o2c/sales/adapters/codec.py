"""Domain aggregates to JSON and back, driven by the dataclasses' own type hints.

Aggregates are stored as rows whose nested parts (lines, rounds, audit, history) live in JSONB. The codec
is generic over the domain's dataclasses: Decimal travels as a string (never a float), dates and instants in
ISO 8601, enums by value, tuples and frozensets as lists. Each dataclass carries its class name under
`"__t"`, which picks the member of a union (a scheme kind, an order change).

A loader is compiled once per type (a closure per field), so reading a 240-line order stays cheap.
"""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin

T = TypeVar("T")
_TAG = "__t"
Loader = Callable[[Any], Any]


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def dump(value: Any) -> Any:
    """A JSON-ready structure for a domain value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {_TAG: type(value).__name__}
        for name in _field_names(type(value)):
            out[name] = dump(getattr(value, name))
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


def _identity(data: Any) -> Any:
    return data


@cache
def _loader(hint: Any) -> Loader:
    if hint is Any:
        return _identity
    origin = get_origin(hint)
    if origin is Union or origin is types.UnionType:
        return _union_loader(hint)
    if origin in (tuple, list, frozenset, set):
        args = get_args(hint)
        inner = _loader(args[0]) if args else _identity
        make: Callable[[Any], Any] = {tuple: tuple, list: list, frozenset: frozenset, set: set}[origin]
        return lambda data: make([inner(v) for v in data])
    if origin is dict:
        key_hint, value_hint = get_args(hint)
        load_key, load_value = _loader(key_hint), _loader(value_hint)
        return lambda data: {load_key(k): load_value(v) for k, v in data.items()}
    if hint is type(None):
        return lambda data: None
    if not isinstance(hint, type):
        raise TypeError(f"cannot load {hint!r}")
    if issubclass(hint, Enum):
        return hint
    if hint is Decimal:
        return lambda data: Decimal(str(data))
    if hint is datetime:
        return datetime.fromisoformat
    if hint is date:
        return date.fromisoformat
    if hint is timedelta:
        return lambda data: timedelta(seconds=float(data))
    if hint in (str, int, bool):
        return hint
    if dataclasses.is_dataclass(hint):
        return _dataclass_loader(hint)
    raise TypeError(f"cannot load {hint!r}")


def _union_loader(hint: Any) -> Loader:
    members = [a for a in get_args(hint) if a is not type(None)]
    if len(members) == 1:
        only = _loader(members[0])
        return lambda data: None if data is None else only(data)
    tagged = {m.__name__: m for m in members if isinstance(m, type) and dataclasses.is_dataclass(m)}

    def load_union(data: Any) -> Any:
        if data is None:
            return None
        if isinstance(data, dict) and data.get(_TAG) in tagged:
            return _loader(tagged[data[_TAG]])(data)
        for member in members:  # scalars: the first that fits
            try:
                return _loader(member)(data)
            except (TypeError, ValueError, KeyError):
                continue
        raise TypeError(f"no member of {hint} fits {data!r}")

    return load_union


def _dataclass_loader(cls: type) -> Loader:
    fields: list[tuple[str, Loader]] = []
    late: list[tuple[str, Loader]] = []
    hints = _hints(cls)

    def field_loader(name: str) -> Loader:
        resolved: list[Loader] = []

        def load_field(data: Any) -> Any:  # resolved on first use: a type may refer to itself
            if not resolved:
                resolved.append(_loader(hints[name]))
            return resolved[0](data)

        return load_field

    for f in dataclasses.fields(cls):
        (fields if f.init else late).append((f.name, field_loader(f.name)))

    def load_dataclass(data: Any) -> Any:
        tag = data.get(_TAG)
        if tag is not None and tag != cls.__name__:
            raise TypeError(f"{tag} is not {cls.__name__}")
        obj = cls(**{name: load(data[name]) for name, load in fields if name in data})
        for name, load in late:
            if name in data:
                object.__setattr__(obj, name, load(data[name]))
        return obj

    return load_dataclass


def load(hint: Any, data: Any) -> Any:
    """The value of type `hint` from `dump`'s output."""
    return _loader(hint)(data)


def load_as(cls: type[T], data: Any) -> T:
    hint: Any = cls
    result: T = _loader(hint)(data)
    return result
