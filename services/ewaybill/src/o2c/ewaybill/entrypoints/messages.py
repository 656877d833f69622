"""Message handlers by type: InvoiceIssued → e-way bill decision; VehicleChanged → Part-B update; CancelEwayBill
(the coordinator undoing a cancelled shipment's documents); InvoiceCancelled (no new bill for a cancelled invoice).
Each runs inside the consumer's batch transaction (the kit's inbox makes it run once per message id) and calls one
use case on a unit of work in that transaction (`bootstrap.EwayBillService.handling`), whose messages go to the
outbox as caused by the message in hand. No threshold in force for an invoice's date is a PermanentError."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from o2c.contracts.envelope import Message
from o2c.contracts.v1.dispatch import VehicleChanged
from o2c.contracts.v1.invoicing import InvoiceCancelled, InvoiceIssued
from o2c.contracts.v1.sales import CancelEwayBill
from o2c.ewaybill.bootstrap import EwayBillService
from o2c.ewaybill.service_layer import use_cases
from o2c.ewaybill.service_layer.ports import EwayBillGateway, UnitOfWork
from o2c.india.ewaybill import NoThresholdInForce
from o2c.kit.messaging.consumer import Handler, MessageContext
from o2c.kit.messaging.errors import PermanentError

Use = Callable[[UnitOfWork, Any, EwayBillGateway, datetime], Awaitable[object]]


async def on_invoice_cancelled(uow: UnitOfWork, message: InvoiceCancelled, gateway: EwayBillGateway,
                               now: datetime) -> None:
    await use_cases.on_invoice_cancelled(uow, message.invoice_id, gateway, now)


# Message type → use case: the table the consumer dispatches on.
USE_CASES: dict[type[Message], Use] = {
    InvoiceIssued: use_cases.decide_for_invoice,
    VehicleChanged: use_cases.on_vehicle_changed,
    CancelEwayBill: use_cases.on_cancel_command,
    InvoiceCancelled: on_invoice_cancelled,
}


def _guarded(service: EwayBillService, use: Use) -> Handler:
    async def handle(message: Message, ctx: MessageContext) -> None:
        try:
            async with service.handling(ctx) as uow:
                await use(uow, message, service.gateway, service.now())
        except NoThresholdInForce as exc:
            raise PermanentError(str(exc)) from exc
    return handle


def handlers(service: EwayBillService) -> dict[str, Handler]:
    return {kind.TYPE: _guarded(service, use) for kind, use in USE_CASES.items()}
