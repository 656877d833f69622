"""Returns over HTTP: authorise a return against an invoice of an order the caller may see."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from o2c.contracts.v1.sales import ReturnReason
from o2c.kit.auth import Principal
from o2c.kit.edge import Qty, RequestModel
from o2c.kit.policy import allow
from o2c.sales.domain.money import positive_quantity
from o2c.sales.entrypoints.http.api import Api, actor, domain_errors, scoped_order
from o2c.sales.service_layer import orders
from pydantic import Field

ReturnAuthorise = Annotated[Principal, Depends(allow("sales.return.authorise"))]

router = APIRouter(prefix="/returns", tags=["returns"])


class ReturnLineIn(RequestModel):
    invoice_line_no: int = Field(ge=1)
    line_no: int = Field(ge=1)
    quantity: Qty
    reason: ReturnReason
    batch_no: str | None = None


class ReturnIn(RequestModel):
    order_id: str
    invoice_id: str
    warehouse_id: str | None = None
    lines: list[ReturnLineIn] = Field(min_length=1)


@router.post("", status_code=201, summary="Authorise a return against an invoice")
async def post_return(body: ReturnIn, who: ReturnAuthorise, api: Api) -> dict[str, Any]:
    await scoped_order(api, body.order_id, who)
    with domain_errors():
        lines = [orders.ReturnLineRequest(x.invoice_line_no, x.line_no,
                                          positive_quantity(x.quantity, f"lines[{i}].quantity"), x.reason,
                                          x.batch_no) for i, x in enumerate(body.lines)]
    async with api.unit_of_work() as uow:
        record = await orders.authorise_return(uow, order_id=body.order_id, invoice_id=body.invoice_id,
                                               lines=lines, warehouse_id=body.warehouse_id, by=actor(who),
                                               at=api.now())
    return record.doc
