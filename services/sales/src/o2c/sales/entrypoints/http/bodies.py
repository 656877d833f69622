"""Request bodies more than one resource takes."""

from __future__ import annotations

from collections.abc import Sequence

from o2c.kit.edge import Qty, RequestModel
from o2c.sales.domain.money import positive_quantity
from o2c.sales.domain.quotation import LineRequest
from pydantic import Field


class Reason(RequestModel):
    reason: str = Field(min_length=1, max_length=500)


class LineIn(RequestModel):
    item_code: str = Field(min_length=1, max_length=40)
    quantity: Qty


def line_requests(lines: Sequence[LineIn], field: str = "lines") -> list[LineRequest]:
    """The lines as the use cases take them (item codes upper case, quantities positive)."""
    return [
        LineRequest(line.item_code.strip().upper(), positive_quantity(line.quantity, f"{field}[{i}].quantity"))
        for i, line in enumerate(lines)
    ]
