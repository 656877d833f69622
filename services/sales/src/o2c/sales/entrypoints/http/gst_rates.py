"""GST rates as data: a rate for an HSN prefix from a date (sales owns the rate master)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from o2c.kit.auth import Principal
from o2c.kit.edge import EffectiveDate, Rate, RequestModel
from o2c.kit.policy import allow
from o2c.sales.domain.tax import gst_rate
from o2c.sales.entrypoints.http.api import Api, domain_errors
from o2c.sales.service_layer import catalog
from pydantic import Field

GstRateWrite = Annotated[Principal, Depends(allow("sales.gst-rate.write"))]

router = APIRouter(prefix="/gst-rates", tags=["catalog"])


class GstRateIn(RequestModel):
    hsn_prefix: str = Field(min_length=2, max_length=8, pattern=r"^[0-9]+$")
    rate: Rate
    effective_from: EffectiveDate
    cess_rate: Rate = Decimal(0)


@router.post("", status_code=201, summary="A GST rate from a date (data, not code)")
async def post_rate(body: GstRateIn, _: GstRateWrite, api: Api) -> dict[str, Any]:
    with domain_errors():
        rate = gst_rate(body.hsn_prefix, body.rate, body.effective_from, body.cess_rate)
    async with api.unit_of_work() as uow:
        version = await catalog.add_gst_rate(uow, rate, api.now())
    return body.model_dump(mode="json") | {"version": version}
