"""Handlers of what dispatch consumes: releases (sales events), CancelPickList (dispatch commands), the
invoice, its IRN outcomes and its cancellation (invoicing events) and the e-way bill verdicts and
cancellations (ewaybill events); each document change keeps the ready-for-gate list in step. Each runs in
the consumer's batch transaction; a rule that can never pass becomes a PermanentError (dead-lettered, key
parked)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from o2c.contracts.envelope import Message
from o2c.contracts.v1.ewaybill import EwayBillCancelled, EwayBillGenerated, EwayBillNotRequired, EwayBillRejected
from o2c.contracts.v1.invoicing import InvoiceCancelled, InvoiceIssued, IrnRegistered, IrnRejected
from o2c.contracts.v1.sales import CancelPickList, OrderReleased
from o2c.dispatch.adapters.distance import pincode_distance
from o2c.dispatch.adapters.repository import SqlShipments
from o2c.dispatch.domain import DispatchError
from o2c.dispatch.service_layer import use_cases
from o2c.dispatch.service_layer.errors import UnknownShipment
from o2c.kit import clock
from o2c.kit.messaging.consumer import Handler, MessageContext
from o2c.kit.messaging.errors import PermanentError
from o2c.kit.service import Runtime

M = TypeVar("M", bound=Message)


def _handler(kind: type[M], act: Callable[[SqlShipments, M, MessageContext], Awaitable[object]]) -> Handler:
    async def handle(message: Message, ctx: MessageContext) -> None:
        if not isinstance(message, kind):
            raise PermanentError(f"expected {kind.__name__}, got {type(message).__name__}")
        try:
            await act(SqlShipments(ctx.session), message, ctx)
        except (DispatchError, UnknownShipment) as exc:
            about = getattr(message, "shipment_id", None) or getattr(message, "order_id", "?")
            raise PermanentError(f"{kind.__name__} for {about}: {exc}") from exc

    return handle


def handlers(rt: Runtime) -> dict[str, Handler]:
    def now() -> datetime:
        return clock.now(rt.settings)

    async def released(repo: SqlShipments, message: OrderReleased, ctx: MessageContext) -> object:
        return await use_cases.issue_pick_lists(repo, ctx.publish, message, now(), pincode_distance)

    async def cancel(repo: SqlShipments, message: CancelPickList, ctx: MessageContext) -> object:
        await use_cases.cancel_pick_lists(repo, ctx.publish, message, now())
        return None

    async def invoiced(repo: SqlShipments, message: InvoiceIssued, ctx: MessageContext) -> object:
        return await use_cases.record_invoice(repo, message, ctx.publish, now())

    async def irn_rejected(repo: SqlShipments, message: IrnRejected, ctx: MessageContext) -> object:
        return await use_cases.record_irn_rejected(repo, message, ctx.publish, now())

    async def irn_registered(repo: SqlShipments, message: IrnRegistered, ctx: MessageContext) -> object:
        return await use_cases.record_irn_registered(repo, message, ctx.publish, now())

    async def generated(repo: SqlShipments, message: EwayBillGenerated, ctx: MessageContext) -> object:
        return await use_cases.record_ewaybill(repo, message, ctx.publish, now())

    async def not_required(repo: SqlShipments, message: EwayBillNotRequired, ctx: MessageContext) -> object:
        return await use_cases.record_ewaybill_not_required(repo, message, ctx.publish, now())

    async def ewaybill_cancelled(repo: SqlShipments, message: EwayBillCancelled, ctx: MessageContext) -> object:
        return await use_cases.record_ewaybill_cancelled(repo, message, ctx.publish, now())

    async def invoice_cancelled(repo: SqlShipments, message: InvoiceCancelled, ctx: MessageContext) -> object:
        return await use_cases.record_invoice_cancelled(repo, message, ctx.publish, now())

    async def rejected(repo: SqlShipments, message: EwayBillRejected, ctx: MessageContext) -> object:
        return await use_cases.record_ewaybill_rejected(repo, message)

    return {
        OrderReleased.TYPE: _handler(OrderReleased, released),
        CancelPickList.TYPE: _handler(CancelPickList, cancel),
        InvoiceIssued.TYPE: _handler(InvoiceIssued, invoiced),
        IrnRejected.TYPE: _handler(IrnRejected, irn_rejected),
        IrnRegistered.TYPE: _handler(IrnRegistered, irn_registered),
        EwayBillGenerated.TYPE: _handler(EwayBillGenerated, generated),
        EwayBillNotRequired.TYPE: _handler(EwayBillNotRequired, not_required),
        EwayBillRejected.TYPE: _handler(EwayBillRejected, rejected),
        EwayBillCancelled.TYPE: _handler(EwayBillCancelled, ewaybill_cancelled),
        InvoiceCancelled.TYPE: _handler(InvoiceCancelled, invoice_cancelled),
    }
