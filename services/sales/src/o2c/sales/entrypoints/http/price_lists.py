"""Price lists over HTTP: standard and customer-negotiated prices with validity, ended with who and why."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from o2c.kit.auth import Principal
from o2c.kit.edge import Amount, Code, EffectiveDate, RequestModel
from o2c.kit.policy import allow
from o2c.kit.problems import NotFound
from o2c.sales.domain.catalog import PriceEntry
from o2c.sales.domain.money import money
from o2c.sales.entrypoints import views
from o2c.sales.entrypoints.http.api import Api, domain_errors
from o2c.sales.service_layer import catalog
from pydantic import Field

PriceListRead = Annotated[Principal, Depends(allow("sales.price-list.read"))]
PriceListWrite = Annotated[Principal, Depends(allow("sales.price-list.write"))]

router = APIRouter(prefix="/price-lists", tags=["catalog"])


class PriceIn(RequestModel):
    item_code: Code
    unit_price: Amount
    valid_from: EffectiveDate
    valid_to: EffectiveDate | None = None
    customer_id: str | None = Field(default=None, description="Set: this customer's negotiated price")


class PriceListIn(RequestModel):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    entries: list[PriceIn] = Field(default_factory=list, max_length=20000)


class PriceEndIn(RequestModel):
    item_code: Code
    customer_id: str | None = Field(default=None, max_length=64, description="Set: that customer's price")
    valid_from: EffectiveDate = Field(description="The price's first day (which price is ended)")
    valid_to: EffectiveDate = Field(description="Its last day")
    reason: str = Field(min_length=1, max_length=200)


class PricesIn(RequestModel):
    entries: list[PriceIn] = Field(min_length=1, max_length=20000)


def price_entries(entries: Sequence[PriceIn]) -> list[PriceEntry]:
    return [
        PriceEntry(e.item_code.strip().upper(), money(e.unit_price, f"entries[{i}].unit_price"), e.valid_from,
                   e.valid_to, e.customer_id)
        for i, e in enumerate(entries)
    ]


@router.post("", status_code=201, summary="A price list with its prices")
async def post_price_list(body: PriceListIn, _: PriceListWrite, api: Api) -> dict[str, Any]:
    with domain_errors():
        entries = price_entries(body.entries)
    async with api.unit_of_work() as uow:
        await catalog.create_price_list(uow, body.code, body.name, entries)
    return {"code": body.code, "name": body.name, "entries": len(entries)}


@router.post("/{code}/prices", status_code=201, summary="Standard or customer-negotiated prices with validity")
async def post_prices(code: str, body: PricesIn, _: PriceListWrite, api: Api) -> dict[str, Any]:
    with domain_errors():
        entries = price_entries(body.entries)
    async with api.unit_of_work() as uow:
        added = await catalog.add_prices(uow, code, entries)
    return {"code": code, "added": added}


@router.post("/{code}/prices/end",
             summary="End a price on a date (so another can follow it); who, when and why are kept")
async def end_price(code: str, body: PriceEndIn, who: PriceListWrite, api: Api) -> dict[str, Any]:
    async with api.unit_of_work() as uow:
        ended = await catalog.end_price(uow, code, body.item_code.upper(), body.customer_id, body.valid_from,
                                        body.valid_to, who.subject, api.now(), body.reason)
    return {"code": code, "item_code": ended.item_code, "customer_id": ended.customer_id,
            "unit_price": f"{ended.unit_price:.2f}", "valid_from": ended.valid_from.isoformat(),
            "valid_to": body.valid_to.isoformat(), "ended_by": who.subject, "end_reason": body.reason}


@router.get("/{code}")
async def get_price_list(code: str, _: PriceListRead, api: Api, item: str | None = None) -> dict[str, Any]:
    async with api.reading() as uow:
        price_list = await uow.repo.price_list(code, [item.upper()] if item else None)
    if price_list is None:
        raise NotFound("price list", code)
    return {"code": price_list.code, "name": price_list.name, "entries": [
        {"item_code": e.item_code, "unit_price": views.dec(e.unit_price), "valid_from": e.valid_from.isoformat(),
         "valid_to": e.valid_to.isoformat() if e.valid_to else None, "customer_id": e.customer_id}
        for e in price_list.entries
    ]}
