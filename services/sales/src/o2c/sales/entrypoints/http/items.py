"""The item catalogue over HTTP: create (one or a catalogue), read, change."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from o2c.kit.auth import Principal
from o2c.kit.edge import Code, RequestModel
from o2c.kit.policy import allow
from o2c.kit.problems import Conflict, InvalidField, NotFound
from o2c.sales.domain.catalog import Item
from o2c.sales.domain.errors import InvalidValue
from o2c.sales.entrypoints.http.api import Api
from o2c.sales.service_layer import catalog
from pydantic import Field
from sqlalchemy.exc import IntegrityError

ItemRead = Annotated[Principal, Depends(allow("sales.item.read"))]
ItemWrite = Annotated[Principal, Depends(allow("sales.item.write"))]

router = APIRouter(prefix="/items", tags=["catalog"])


class ItemIn(RequestModel):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    hsn: str = Field(max_length=8)
    unit: str = Field(max_length=8)
    product_line: str = Field(max_length=100)
    batch_tracked: bool = False
    stocked: bool = True
    lead_time_days: int = Field(default=0, ge=0, le=365)


class ItemPatch(RequestModel):
    name: str | None = None
    product_line: str | None = None
    batch_tracked: bool | None = None
    stocked: bool | None = None
    lead_time_days: int | None = Field(default=None, ge=0, le=365)
    active: bool | None = None


def item_view(item: Item, revision: int) -> dict[str, Any]:
    return {"code": item.code, "name": item.name, "hsn": item.hsn.value, "unit": item.unit.value,
            "product_line": item.product_line, "batch_tracked": item.batch_tracked, "stocked": item.stocked,
            "lead_time_days": item.lead_time_days, "active": item.active, "revision": revision}


@router.post("", status_code=201, summary="Create one item or many (a catalogue)")
async def post_items(body: ItemIn | list[ItemIn], who: ItemWrite, api: Api) -> dict[str, Any]:
    rows = body if isinstance(body, list) else [body]
    if not rows or len(rows) > 5000:
        raise InvalidField("items", "send between 1 and 5000 items")
    parsed: list[Item] = []
    for i, row in enumerate(rows):
        try:
            parsed.append(Item.create(**row.model_dump()))
        except InvalidValue as exc:
            field = f"[{i}].{exc.field}" if isinstance(body, list) else exc.field
            raise InvalidField(field, exc.detail) from exc
    try:
        async with api.unit_of_work() as uow:
            await catalog.create_items(uow, parsed, api.now())
    except IntegrityError as exc:
        raise Conflict("an item code already exists") from exc
    return {"created": len(parsed), "item_codes": [i.code for i in parsed]}


@router.get("/{code}")
async def get_item(code: str, _: ItemRead, api: Api) -> dict[str, Any]:
    async with api.reading() as uow:
        record = (await uow.repo.get_items([code.upper()])).get(code.upper())
    if record is None:
        raise NotFound("item", code)
    return item_view(record.item, record.revision)


@router.patch("/{code}", summary="Change an item (ItemUpdated)")
async def patch_item(code: str, body: ItemPatch, _: ItemWrite, api: Api) -> dict[str, Any]:
    async with api.unit_of_work() as uow:
        record = await catalog.update_item(uow, code.upper(), body.model_dump(exclude_none=True), api.now())
    return item_view(record.item, record.revision)
