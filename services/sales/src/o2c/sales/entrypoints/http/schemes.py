"""Trade schemes over HTTP: quantity slabs and buy-X-get-Y, valid between two dates."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from o2c.kit.auth import Principal
from o2c.kit.edge import Code, EffectiveDate, Qty, Rate, RequestModel
from o2c.kit.policy import allow
from o2c.kit.problems import Conflict
from o2c.sales.domain.catalog import BuyGetScheme, QuantitySlabScheme, Scheme, SchemeScope, Slab
from o2c.sales.domain.money import parse_decimal
from o2c.sales.entrypoints.http.api import Api, domain_errors
from o2c.sales.service_layer import catalog
from pydantic import Field
from sqlalchemy.exc import IntegrityError

SchemeRead = Annotated[Principal, Depends(allow("sales.scheme.read"))]
SchemeWrite = Annotated[Principal, Depends(allow("sales.scheme.write"))]

router = APIRouter(prefix="/schemes", tags=["catalog"])


class SlabIn(RequestModel):
    min_quantity: Qty
    discount_percent: Rate


class SchemeIn(RequestModel):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["quantity_slab", "buy_x_get_y"]
    valid_from: EffectiveDate
    valid_to: EffectiveDate
    item_codes: list[str] = Field(default_factory=list)
    product_lines: list[str] = Field(default_factory=list)
    slabs: list[SlabIn] = Field(default_factory=list)
    buy_quantity: Qty | None = None
    free_quantity: Qty | None = None


def scheme_of(body: SchemeIn) -> Scheme:
    scope = SchemeScope(frozenset(c.upper() for c in body.item_codes), frozenset(body.product_lines))
    if body.kind == "quantity_slab":
        slabs = tuple(Slab(parse_decimal(s.min_quantity, f"slabs[{i}].min_quantity"),
                           parse_decimal(s.discount_percent, f"slabs[{i}].discount_percent"))
                      for i, s in enumerate(body.slabs))
        return QuantitySlabScheme(body.code, body.name, scope, body.valid_from, body.valid_to, slabs)
    return BuyGetScheme(body.code, body.name, scope, body.valid_from, body.valid_to,
                        parse_decimal(body.buy_quantity or "0", "buy_quantity"),
                        parse_decimal(body.free_quantity or "0", "free_quantity"))


@router.post("", status_code=201, summary="A quantity-slab or buy-X-get-Y scheme")
async def post_scheme(body: SchemeIn, _: SchemeWrite, api: Api) -> dict[str, Any]:
    with domain_errors():
        scheme = scheme_of(body)
    try:
        async with api.unit_of_work() as uow:
            await catalog.create_scheme(uow, scheme)
    except IntegrityError as exc:
        raise Conflict(f"scheme {body.code} already exists") from exc
    return body.model_dump(mode="json")


@router.get("")
async def get_schemes(_: SchemeRead, api: Api, on: date | None = None) -> list[dict[str, Any]]:
    async with api.reading() as uow:
        book = await uow.repo.schemes(on)
    return [{"code": s.code, "name": s.name, "kind": s.kind.value, "valid_from": s.valid_from.isoformat(),
             "valid_to": s.valid_to.isoformat()} for s in book]
