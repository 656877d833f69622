"""Warehouses and bins as the use cases need them: the domain Warehouse plus the address it ships from."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from o2c.contracts.v1.common import Address
from o2c.inventory.domain import Coordinates, RoutingPolicy, RoutingStrategy, Warehouse
from o2c.inventory.service_layer.ports import UnitOfWork, WarehouseRecord


@dataclass(frozen=True)
class WarehouseSite:
    warehouse: Warehouse
    address: Address
    coordinates_source: str
    active: bool = True

    @property
    def code(self) -> str:
        return self.warehouse.code


def site_of(row: WarehouseRecord) -> WarehouseSite:
    coords = Coordinates(Decimal(row.latitude), Decimal(row.longitude)) \
        if row.latitude is not None and row.longitude is not None else None
    warehouse = Warehouse(row.warehouse_id, row.name, row.state_code, row.pincode, row.gstin, coords)
    address = Address(name=row.name, line1=row.line1 or row.name, place=row.place or row.name,
                      district=row.district, state_code=row.state_code, pincode=row.pincode, gstin=row.gstin)
    return WarehouseSite(warehouse, address, row.coordinates_source, row.active)


async def load_sites(uow: UnitOfWork, *, active_only: bool = True) -> dict[str, WarehouseSite]:
    return {r.warehouse_id: site_of(r) for r in await uow.warehouses.every(active_only=active_only)}


async def load_site(uow: UnitOfWork, warehouse_id: str) -> WarehouseSite | None:
    row = await uow.warehouses.get(warehouse_id)
    return site_of(row) if row else None


async def routing_policy_for(uow: UnitOfWork, customer_id: str | None) -> RoutingPolicy:
    """The customer's own policy if set, else the company's, else nearest."""
    scopes = ["company"] + ([f"customer:{customer_id}"] if customer_id else [])
    rows = await uow.routing_policies.of_scopes(scopes)
    row = rows.get(f"customer:{customer_id}") or rows.get("company")
    if row is None:
        return RoutingPolicy()
    return RoutingPolicy(RoutingStrategy(row.strategy), Decimal(row.km_per_day),
                         {k: int(v) for k, v in row.handling_days.items()})
