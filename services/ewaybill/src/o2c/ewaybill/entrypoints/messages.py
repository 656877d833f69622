"""Message handlers: InvoiceIssued → e-way bill decision; VehicleChanged → Part-B update; CancelEwayBill (the
coordinator undoing a cancelled shipment's documents); InvoiceCancelled (no new bill for a cancelled invoice)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from o2c.contracts.envelope import Message
from o2c.contracts.v1.dispatch import VehicleChanged
from o2c.contracts.v1.invoicing import InvoiceCancelled, InvoiceIssued
from o2c.contracts.v1.sales import CancelEwayBill
from o2c.ewaybill.adapters.repository import SqlRepository
from o2c.ewaybill.service_layer import use_cases
from o2c.ewaybill.service_layer.ports import EwayBillGateway
from o2c.india.ewaybill import NoThresholdInForce
from o2c.kit.messaging.consumer import Handler, MessageContext
from o2c.kit.messaging.errors import PermanentError


def handlers(gateway: Callable[[], EwayBillGateway],
             clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> dict[str, Handler]:
    async def on_invoice_issued(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, InvoiceIssued)
        try:
            await use_cases.decide_for_invoice(message, SqlRepository(ctx.session), gateway(), ctx.publish, clock())
        except NoThresholdInForce as exc:
            raise PermanentError(str(exc)) from exc

    async def on_vehicle_changed(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, VehicleChanged)
        await use_cases.on_vehicle_changed(message, SqlRepository(ctx.session), gateway(), ctx.publish, clock())

    async def on_cancel(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, CancelEwayBill)
        await use_cases.on_cancel_command(message, SqlRepository(ctx.session), gateway(), ctx.publish, clock())

    async def on_invoice_cancelled(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, InvoiceCancelled)
        await use_cases.on_invoice_cancelled(message.invoice_id, SqlRepository(ctx.session), gateway(), ctx.publish,
                                             clock())

    return {"InvoiceIssued": on_invoice_issued, "VehicleChanged": on_vehicle_changed,
            CancelEwayBill.TYPE: on_cancel, InvoiceCancelled.TYPE: on_invoice_cancelled}
