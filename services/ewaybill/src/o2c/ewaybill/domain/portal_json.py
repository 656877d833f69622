"""JSON for the e-way bill portal with exact amounts: Decimal values are written as JSON numbers digit
for digit, never through float."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any


def _encode(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite amount: {value}")
        return format(value, "f")
    if isinstance(value, int | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, date):
        raise TypeError("format dates as the portal expects (dd/mm/yyyy or dd-mm-yyyy) before encoding")
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{_encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    raise TypeError(f"cannot encode {type(value).__name__} for a portal")


def dumps(document: Mapping[str, Any]) -> str:
    """Compact JSON text; Decimal amounts keep every digit (`1234.50` stays `1234.50`)."""
    return _encode(document)
