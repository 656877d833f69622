"""Sales orders over HTTP: enter one (or convert a quotation) idempotently, read it and its saga, amend, cancel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from o2c.kit.auth import Principal
from o2c.kit.edge import Qty, RequestModel
from o2c.kit.idempotency import IdempotencyKey, IdempotentRequest, once
from o2c.kit.policy import allow
from o2c.sales.domain.money import positive_quantity
from o2c.sales.domain.order import SalesOrder
from o2c.sales.domain.quotation import StockView
from o2c.sales.entrypoints import views
from o2c.sales.entrypoints.http.api import Api, SalesApi, actor, domain_errors, scoped_customer, scoped_order
from o2c.sales.entrypoints.http.bodies import LineIn, Reason, line_requests
from o2c.sales.entrypoints.http.quotations import QuotationIn, scoped_quotation
from o2c.sales.entrypoints.parked import parked_keys
from o2c.sales.service_layer import orders
from o2c.sales.service_layer.ports import UnitOfWork
from pydantic import Field

OrderEntry = Annotated[Principal, Depends(allow("sales.order.enter"))]
OrderRead = Annotated[Principal, Depends(allow("sales.order.read"))]
OrderAmend = Annotated[Principal, Depends(allow("sales.order.amend"))]
Cancellers = Annotated[Principal, Depends(allow("sales.order.cancel"))]

router = APIRouter(tags=["orders"])

Create = Callable[[UnitOfWork, str | None], Awaitable[tuple[SalesOrder, bool]]]


class ConvertIn(RequestModel):
    customer_po_no: str | None = None


class OrderIn(QuotationIn):
    customer_po_no: str | None = None


class QuantityIn(RequestModel):
    line_no: int = Field(ge=1, le=100_000)
    quantity: Qty


class AmendIn(RequestModel):
    reason: str = Field(min_length=1, max_length=500)
    quantities: list[QuantityIn] = Field(default_factory=list)
    add_lines: list[LineIn] = Field(default_factory=list)
    remove_lines: list[int] = Field(default_factory=list)
    ship_to_id: str | None = None


async def order_answer(api: SalesApi, order_id: str) -> dict[str, Any]:
    """The order with its saga, and the saga's messages parked here or in any other service (their KeyParked
    notices): the kit parks the key so later messages wait behind it."""
    async with api.reading() as uow:
        order = await orders.load_order(uow, order_id)
        view = views.order(order, await uow.repo.get_saga(order_id))
        if view["saga"] is not None:
            view["saga"]["parked_messages"] = await parked_keys(uow.session, [order_id])
        return view


async def idempotent(api: SalesApi, asked: IdempotentRequest | None, create: Create, response: Response
                     ) -> dict[str, Any]:
    """Run `create` once per caller and Idempotency-Key (a repeat gets the stored answer, 200)."""
    written: dict[str, Any] | None = None
    async with api.unit_of_work() as uow:
        async def work() -> dict[str, Any]:
            nonlocal written
            order, _ = await create(uow, None)
            if order.order_id in uow.sagas_added:
                # Answered from what was written: no second session, no re-read of order and saga.
                written = views.order(order, uow.sagas_added[order.order_id])
            return {"order_id": order.order_id}

        answer, repeated = await once(uow.session, asked, work)  # the answer is stored in the order's transaction
    if repeated:
        response.status_code = 200
    if repeated or written is None:
        return await order_answer(api, str(answer["order_id"]))
    if written["saga"] is not None:
        written["saga"]["parked_messages"] = []  # an order made just now has none parked
    return written


@router.post("/quotations/{quotation_id}/orders", status_code=201,
             summary="Convert a valid quotation into an order (idempotent by Idempotency-Key)")
async def convert(quotation_id: str, response: Response, who: OrderEntry, request: Request, api: Api,
                  body: ConvertIn | None = None, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    await scoped_quotation(api, quotation_id, who)

    async def create(uow: UnitOfWork, key: str | None) -> tuple[SalesOrder, bool]:
        return await orders.convert_quotation(
            uow, quotation_id, idempotency_key=key, customer_po_no=body.customer_po_no if body else None,
            by=actor(who), at=api.now(), setup=api.setup)

    return await idempotent(api, IdempotentRequest.from_http(request, idempotency_key, who.subject, body), create,
                            response)


router.add_api_route("/quotations/{quotation_id}/convert", convert, methods=["POST"], status_code=201,
                     summary="Same as POST /quotations/{id}/orders")


@router.post("/orders", status_code=201, summary="Enter an order (idempotent by Idempotency-Key)")
async def post_order(body: OrderIn, request: Request, response: Response, who: OrderEntry, api: Api,
                     idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    with domain_errors():
        requests = line_requests(body.lines)
    async with api.reading() as uow:
        await scoped_customer(uow, body.customer_id, who)
    stock = await api.stock_for(request, [r.item_code for r in requests])

    async def create(uow: UnitOfWork, key: str | None) -> tuple[SalesOrder, bool]:
        return await orders.enter_order(
            uow, customer_id=body.customer_id, ship_to_id=body.ship_to_id, lines=requests, stock=stock,
            idempotency_key=key, customer_po_no=body.customer_po_no, by=actor(who), at=api.now(), setup=api.setup)

    return await idempotent(api, IdempotentRequest.from_http(request, idempotency_key, who.subject, body), create,
                            response)


@router.get("/orders/{order_id}", summary="The order: lines, committed dates, saga status")
async def get_order(order_id: str, who: OrderRead, api: Api) -> dict[str, Any]:
    await scoped_order(api, order_id, who)
    return await order_answer(api, order_id)


@router.get("/orders/{order_id}/saga", summary="The coordinator's view of the order")
async def get_saga(order_id: str, who: OrderRead, api: Api) -> dict[str, Any]:
    await scoped_order(api, order_id, who)
    async with api.reading() as uow:
        return views.saga(await orders.load_saga(uow, order_id))


@router.post("/orders/{order_id}/amend", summary="Amend before dispatch (credit re-checked)")
async def amend(order_id: str, body: AmendIn, request: Request, who: OrderAmend, api: Api) -> dict[str, Any]:
    await scoped_order(api, order_id, who)
    with domain_errors():
        change = orders.Amend(
            reason=body.reason,
            quantities=tuple(orders.QuantityChange(q.line_no, positive_quantity(
                q.quantity, f"quantities[{i}].quantity")) for i, q in enumerate(body.quantities)),
            add_lines=tuple(line_requests(body.add_lines, "add_lines")), remove_lines=tuple(body.remove_lines),
            ship_to_id=body.ship_to_id,
        )
    stock = await api.stock_for(request, [r.item_code for r in change.add_lines]) if change.add_lines \
        else StockView.unknown()
    async with api.unit_of_work() as uow:
        await orders.amend_order(uow, order_id, change, stock, actor(who), api.now(), api.setup)
    return await order_answer(api, order_id)


@router.post("/orders/{order_id}/cancel", summary="Cancel before gate-out")
async def cancel(order_id: str, body: Reason, who: Cancellers, api: Api) -> dict[str, Any]:
    await scoped_order(api, order_id, who)
    async with api.unit_of_work() as uow:
        await orders.cancel_order(uow, order_id, body.reason, actor(who), api.now())
    return await order_answer(api, order_id)
