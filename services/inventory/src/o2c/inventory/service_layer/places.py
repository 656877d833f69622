"""Warehouses and bins as the use cases need them: the domain Warehouse plus the address it ships from."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from o2c.contracts.v1.common import Address
from o2c.inventory.adapters import db
from o2c.inventory.domain import Bin, BinKind, Coordinates, RoutingPolicy, RoutingStrategy, Warehouse
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class WarehouseSite:
    warehouse: Warehouse
    address: Address
    coordinates_source: str
    active: bool = True

    @property
    def code(self) -> str:
        return self.warehouse.code


def _site(row: sa.RowMapping) -> WarehouseSite:
    coords = Coordinates(Decimal(row["latitude"]), Decimal(row["longitude"])) \
        if row["latitude"] is not None and row["longitude"] is not None else None
    warehouse = Warehouse(row["warehouse_id"], row["name"], row["state_code"], row["pincode"], row["gstin"], coords)
    address = Address(name=row["name"], line1=row["line1"] or row["name"], place=row["place"] or row["name"],
                      district=row["district"], state_code=row["state_code"], pincode=row["pincode"],
                      gstin=row["gstin"])
    return WarehouseSite(warehouse, address, row["coordinates_source"], row["active"])


async def load_sites(session: AsyncSession, *, active_only: bool = True) -> dict[str, WarehouseSite]:
    query = sa.select(db.warehouse).order_by(db.warehouse.c.warehouse_id)
    if active_only:
        query = query.where(db.warehouse.c.active)
    return {r["warehouse_id"]: _site(r) for r in (await session.execute(query)).mappings()}


async def load_site(session: AsyncSession, warehouse_id: str) -> WarehouseSite | None:
    row = (await session.execute(sa.select(db.warehouse).where(db.warehouse.c.warehouse_id == warehouse_id))
           ).mappings().first()
    return _site(row) if row else None


async def load_bin(session: AsyncSession, warehouse_id: str, bin_code: str) -> Bin | None:
    row = (await session.execute(
        sa.select(db.bin_table.c.kind).where(db.bin_table.c.warehouse_id == warehouse_id,
                                             db.bin_table.c.bin_code == bin_code))).first()
    return Bin(bin_code, BinKind(row.kind)) if row else None


async def routing_policy_for(session: AsyncSession, customer_id: str | None) -> RoutingPolicy:
    """The customer's own policy if set, else the company's, else nearest."""
    scopes = ["company"] + ([f"customer:{customer_id}"] if customer_id else [])
    rows = {r["scope"]: r for r in (await session.execute(
        sa.select(db.routing_policy).where(db.routing_policy.c.scope.in_(scopes)))).mappings()}
    row = rows.get(f"customer:{customer_id}") or rows.get("company")
    if row is None:
        return RoutingPolicy()
    return RoutingPolicy(RoutingStrategy(row["strategy"]), Decimal(row["km_per_day"]),
                         {k: int(v) for k, v in row["handling_days"].items()})
