"""Message handlers: each runs inside the consumer's batch transaction (inbox: once per message id)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from o2c.contracts.envelope import Message
from o2c.contracts.v1.dispatch import PickListCancelled, ShipmentDispatched, ShipmentReady
from o2c.contracts.v1.ewaybill import EwayBillCancelled, EwayBillGenerated
from o2c.contracts.v1.inventory import GoodsReturned
from o2c.contracts.v1.sales import GstRateRecorded, ReturnAuthorised, UndoInvoice
from o2c.invoicing.adapters.repository import SqlUnitOfWork
from o2c.invoicing.entrypoints.workers import gateway, now, policy
from o2c.invoicing.service_layer import use_cases as uc
from o2c.kit.messaging.consumer import MessageContext
from o2c.kit.messaging.errors import PermanentError
from o2c.kit.service import Runtime

Handler = Callable[[Message, MessageContext], Awaitable[None]]


def _uow(ctx: MessageContext) -> SqlUnitOfWork:
    async def publish(message: Message) -> Any:
        return await ctx.publish(message)

    return SqlUnitOfWork(ctx.session, publish)


def handlers(rt: Runtime) -> dict[str, Handler]:
    async def shipment_ready(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, ShipmentReady)
        try:
            await uc.issue_invoice(_uow(ctx), message, now=now(rt), policy=policy(rt))
        except uc.InvalidShipment as exc:
            raise PermanentError(str(exc)) from exc

    async def shipment_dispatched(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, ShipmentDispatched)
        await uc.record_dispatched(_uow(ctx), message)

    async def ewaybill_generated(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, EwayBillGenerated)
        try:
            await uc.record_ewaybill(_uow(ctx), message)
        except uc.InvalidShipment as exc:
            raise PermanentError(str(exc)) from exc

    async def ewaybill_cancelled(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, EwayBillCancelled)
        await uc.record_ewaybill_cancelled(_uow(ctx), message)

    async def return_authorised(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, ReturnAuthorised)
        await uc.record_return_authorised(_uow(ctx), message)

    async def goods_returned(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, GoodsReturned)
        await uc.credit_goods_returned(_uow(ctx), message, now=now(rt), policy=policy(rt))

    async def gst_rate_recorded(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, GstRateRecorded)
        await uc.record_gst_rate(_uow(ctx), message, now=now(rt), policy=policy(rt))

    async def undo_invoice(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, UndoInvoice)
        await uc.undo_invoice(_uow(ctx), message, now=now(rt), policy=policy(rt), gateway=gateway(rt))

    async def pick_list_cancelled(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, PickListCancelled)
        if message.invoice_id:
            await uc.record_shipment_cancelled(_uow(ctx), message.shipment_id)

    return {
        UndoInvoice.TYPE: undo_invoice,
        PickListCancelled.TYPE: pick_list_cancelled,
        "GstRateRecorded": gst_rate_recorded,
        "ShipmentReady": shipment_ready,
        "ShipmentDispatched": shipment_dispatched,
        "EwayBillGenerated": ewaybill_generated,
        "EwayBillCancelled": ewaybill_cancelled,
        "ReturnAuthorised": return_authorised,
        "GoodsReturned": goods_returned,
    }
