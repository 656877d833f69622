"""Effective-dated data (docs/domain.md, "Effective dates"): rates and thresholds change by notification,
so every row carries the dates it is in force and a lookup takes the row in force on a business date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol, TypeVar


class EffectiveDated(Protocol):
    @property
    def effective_from(self) -> date: ...

    @property
    def effective_to(self) -> date | None:
        """Last day in force (inclusive); None while open-ended."""
        ...


RowT = TypeVar("RowT", bound=EffectiveDated)


def is_in_force(row: EffectiveDated, on: date) -> bool:
    return row.effective_from <= on and (row.effective_to is None or on <= row.effective_to)


def rows_in_force(rows: Iterable[RowT], on: date) -> list[RowT]:
    """Rows in force on a date, the most recently effective first."""
    return sorted((row for row in rows if is_in_force(row, on)), key=lambda row: row.effective_from, reverse=True)


def row_in_force(rows: Iterable[RowT], on: date) -> RowT | None:
    """The row in force on a date (the most recently effective if several overlap), or None."""
    found = rows_in_force(rows, on)
    return found[0] if found else None
