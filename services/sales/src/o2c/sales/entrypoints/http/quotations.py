"""Quotations over HTTP: price, tax and promise the lines; read, print, revise (converting one is an order's
entry: `orders`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from o2c.kit.auth import Principal
from o2c.kit.edge import RequestModel
from o2c.kit.policy import allow
from o2c.sales.adapters.quotation_pdf import render_quotation_pdf
from o2c.sales.domain.quotation import Quotation
from o2c.sales.entrypoints import views
from o2c.sales.entrypoints.document import quotation_html
from o2c.sales.entrypoints.http.api import Api, SalesApi, actor, domain_errors, scoped_customer
from o2c.sales.entrypoints.http.bodies import LineIn, line_requests
from o2c.sales.service_layer import orders
from pydantic import Field

QuotationRead = Annotated[Principal, Depends(allow("sales.quotation.read"))]
QuotationWrite = Annotated[Principal, Depends(allow("sales.quotation.write"))]

router = APIRouter(prefix="/quotations", tags=["quotations"])


class QuotationIn(RequestModel):
    customer_id: str
    ship_to_id: str
    lines: list[LineIn] = Field(min_length=1, max_length=1000)


class RevisionIn(RequestModel):
    lines: list[LineIn] = Field(min_length=1, max_length=1000)
    ship_to_id: str | None = None


async def scoped_quotation(api: SalesApi, quotation_id: str, who: Principal) -> Quotation:
    """The quotation, if the caller may see its customer."""
    async with api.reading() as uow:
        quotation = await orders.load_quotation(uow, quotation_id)
        await scoped_customer(uow, quotation.customer_id, who)
    return quotation


@router.post("", status_code=201, summary="Price, tax and promise the lines; number from the series")
async def post_quotation(body: QuotationIn, request: Request, who: QuotationWrite, api: Api) -> dict[str, Any]:
    with domain_errors():
        requests = line_requests(body.lines)
    async with api.reading() as uow:
        await scoped_customer(uow, body.customer_id, who)
    stock = await api.stock_for(request, [r.item_code for r in requests])
    async with api.unit_of_work() as uow:
        quotation = await orders.create_quotation(
            uow, customer_id=body.customer_id, ship_to_id=body.ship_to_id, lines=requests, stock=stock,
            by=actor(who), at=api.now(), setup=api.setup)
    return views.quotation(quotation)


@router.get("/{quotation_id}")
async def get_quotation(quotation_id: str, who: QuotationRead, api: Api) -> dict[str, Any]:
    return views.quotation(await scoped_quotation(api, quotation_id, who))


@router.get("/{quotation_id}/document", response_class=HTMLResponse,
            summary="The quotation as a printable document for the customer")
async def quotation_document(quotation_id: str, who: QuotationRead, api: Api) -> HTMLResponse:
    quotation = await scoped_quotation(api, quotation_id, who)
    return HTMLResponse(quotation_html(quotation, api.settings.company_name))


@router.get("/{quotation_id}/pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}},
            summary="The quotation as a PDF for the customer")
async def quotation_pdf(quotation_id: str, who: QuotationRead, api: Api) -> Response:
    quotation = await scoped_quotation(api, quotation_id, who)
    content = await run_in_threadpool(render_quotation_pdf, quotation, api.settings.company_name,
                                      api.settings.company_gstin)
    filename = quotation.number.text.replace("/", "-")
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}.pdf"'})


@router.post("/{quotation_id}/revisions", summary="A new revision; history kept")
async def post_revision(quotation_id: str, body: RevisionIn, request: Request, who: QuotationWrite, api: Api
                        ) -> dict[str, Any]:
    with domain_errors():
        requests = line_requests(body.lines)
    stock = await api.stock_for(request, [r.item_code for r in requests])
    async with api.unit_of_work() as uow:
        quotation = await orders.load_quotation(uow, quotation_id)
        await scoped_customer(uow, quotation.customer_id, who)
        quotation = await orders.revise_quotation(uow, quotation_id, lines=requests, ship_to_id=body.ship_to_id,
                                                  stock=stock, by=actor(who), at=api.now(), setup=api.setup)
    return views.quotation(quotation)
