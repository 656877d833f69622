"""Walking order of bins: codes such as `A-01-02` (aisle, rack, level) sort naturally, so a picker walks
aisle by aisle, rack by rack, level by level (A-2 before A-10). Lines without a bin come last."""

from __future__ import annotations

import re

_PART = re.compile(r"[0-9]+|[A-Za-z]+")


def walking_key(bin_code: str | None) -> tuple[int, tuple[tuple[int, int, str], ...]]:
    if bin_code is None or not bin_code.strip():
        return (1, ())
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p.upper()) for p in _PART.findall(bin_code))
    return (0, parts)
