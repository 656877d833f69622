"""Message handlers by type: each runs inside the consumer's batch transaction (the kit's inbox makes it run
once per message id), calls one use case on a unit of work in that transaction (`bootstrap.Invoicing.handling`),
whose messages go to the outbox as caused by the message in hand.

A message that can never be invoiced as sent (`InvalidShipment`: a supplier registration that does not fit, an
e-way bill for an unknown invoice) is a PermanentError: dead-lettered with the reason, its order parked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from o2c.contracts.envelope import Message
from o2c.contracts.v1.dispatch import PickListCancelled, ShipmentDispatched, ShipmentReady
from o2c.contracts.v1.ewaybill import EwayBillCancelled, EwayBillGenerated
from o2c.contracts.v1.inventory import GoodsReturned
from o2c.contracts.v1.sales import GstRateRecorded, ReturnAuthorised, UndoInvoice
from o2c.invoicing.bootstrap import Invoicing
from o2c.invoicing.service_layer import use_cases as uc
from o2c.invoicing.service_layer.ports import UnitOfWork
from o2c.kit.messaging.consumer import Handler, MessageContext
from o2c.kit.messaging.errors import PermanentError

Use = Callable[[Invoicing, UnitOfWork, Any], Awaitable[object]]


def _guarded(invoicing: Invoicing, use: Use) -> Handler:
    """The use case on a unit of work in the batch's transaction; a shipment that can never pass is permanent."""
    async def handle(message: Message, ctx: MessageContext) -> None:
        try:
            async with invoicing.handling(ctx) as uow:
                await use(invoicing, uow, message)
        except uc.InvalidShipment as exc:
            raise PermanentError(str(exc)) from exc
    return handle


async def on_shipment_ready(inv: Invoicing, uow: UnitOfWork, message: ShipmentReady) -> None:
    await uc.issue_invoice(uow, message, now=inv.now(), policy=inv.policy)


async def on_gst_rate_recorded(inv: Invoicing, uow: UnitOfWork, message: GstRateRecorded) -> None:
    await uc.record_gst_rate(uow, message, now=inv.now(), policy=inv.policy)


async def on_goods_returned(inv: Invoicing, uow: UnitOfWork, message: GoodsReturned) -> None:
    await uc.credit_goods_returned(uow, message, now=inv.now(), policy=inv.policy)


async def on_undo_invoice(inv: Invoicing, uow: UnitOfWork, message: UndoInvoice) -> None:
    await uc.undo_invoice(uow, message, now=inv.now(), policy=inv.policy, gateway=inv.gateway)


async def on_pick_list_cancelled(inv: Invoicing, uow: UnitOfWork, message: PickListCancelled) -> None:
    if message.invoice_id:  # a pick list cancelled before invoicing has nothing here
        await uc.record_shipment_cancelled(uow, message.shipment_id)


def _facts(use: Callable[[UnitOfWork, Any], Awaitable[None]]) -> Use:
    """A use case that only records another service's fact (no clock, policy or gateway)."""
    async def record(inv: Invoicing, uow: UnitOfWork, message: Any) -> None:
        await use(uow, message)
    return record


# Message type → use case: the table the consumer dispatches on.
USE_CASES: dict[type[Message], Use] = {
    ShipmentReady: on_shipment_ready,
    GstRateRecorded: on_gst_rate_recorded,
    ShipmentDispatched: _facts(uc.record_dispatched),
    EwayBillGenerated: _facts(uc.record_ewaybill),
    EwayBillCancelled: _facts(uc.record_ewaybill_cancelled),
    ReturnAuthorised: _facts(uc.record_return_authorised),
    GoodsReturned: on_goods_returned,
    UndoInvoice: on_undo_invoice,
    PickListCancelled: on_pick_list_cancelled,
}


def handlers(invoicing: Invoicing) -> dict[str, Handler]:
    return {kind.TYPE: _guarded(invoicing, use) for kind, use in USE_CASES.items()}
