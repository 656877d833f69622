"""Builders for inventory's domain tests: three warehouses (Pune, Ahmedabad, Bengaluru) and stock that is
physically confirmed (received, then put away)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import pytest
from o2c.inventory.domain import IST, Batch, Bin, BinKind, Coordinates, ItemStock, Warehouse

NOW = datetime(2026, 6, 30, 10, 0, tzinfo=IST)
DOCK = Bin("DOCK-01", BinKind.RECEIVING)


@pytest.fixture
def pune() -> Warehouse:
    return Warehouse("PNQ", "Pune DC", "27", "411001", "27AABCR1718E1ZP", Coordinates(Decimal("18.5196"),
                                                                                       Decimal("73.8553")))


@pytest.fixture
def ahmedabad() -> Warehouse:
    return Warehouse("AMD", "Ahmedabad DC", "24", "380001", "24AABCR1718E1ZV",
                     Coordinates(Decimal("23.0258"), Decimal("72.5873")))


@pytest.fixture
def bengaluru() -> Warehouse:
    return Warehouse("BLR", "Bengaluru DC", "29", "560001", "29AABCR1718E1ZL",
                     Coordinates(Decimal("12.9716"), Decimal("77.5946")))


@pytest.fixture
def stocked() -> Callable[..., ItemStock]:
    """stocked("PNQ", "ITEM", ("A-01-01", 10), ("A-02-01", 5, Batch(...)), batch_tracked=..., safety=...)"""

    def make(warehouse: str, item: str, *bins: tuple[str, int] | tuple[str, int, Batch], batch_tracked: bool = False,
             safety: int = 0) -> ItemStock:
        stock = ItemStock(warehouse, item, batch_tracked=batch_tracked, safety_stock=Decimal(safety))
        for spec in bins:
            bin_code, quantity = spec[0], Decimal(spec[1])
            batch = spec[2] if len(spec) == 3 else None  # type: ignore[misc]
            stock.receive(quantity, DOCK, NOW, batch, reference="GRN-1")
            stock.put_away(quantity, DOCK.code, Bin(bin_code), NOW, batch.batch_no if batch else None)
        return stock

    return make


def batch(number: str, expiry: date) -> Batch:
    return Batch(number, expiry)
