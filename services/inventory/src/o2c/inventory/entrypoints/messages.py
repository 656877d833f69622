"""Message handlers by type: each runs inside the consumer's batch transaction (the kit's inbox makes it run
once per message id), calls one use case on a unit of work in that transaction (`bootstrap.Inventory.handling`),
whose messages go to the outbox as caused by the message in hand.

A rule the message can never pass (an unknown warehouse, stock the ledger says is not there) is a
PermanentError: dead-lettered with the reason, its order parked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from o2c.contracts.envelope import Message
from o2c.contracts.v1.dispatch import PickConfirmed, PickListConfirmed, ShipmentDispatched
from o2c.contracts.v1.sales import (
    ItemCreated,
    ItemUpdated,
    OrderAmended,
    OrderBackordered,
    OrderCancelled,
    OrderConfirmed,
    ReleaseReservation,
    ReserveStock,
    ReturnAuthorised,
)
from o2c.inventory.bootstrap import Inventory
from o2c.inventory.domain import InventoryError
from o2c.inventory.service_layer import orders, stock
from o2c.inventory.service_layer.ports import UnitOfWork
from o2c.kit.messaging.consumer import Handler, MessageContext
from o2c.kit.messaging.errors import PermanentError

Use = Callable[[UnitOfWork, Any], Awaitable[object]]


def _guarded(inventory: Inventory, fn: Use) -> Handler:
    """The use case on a unit of work in the batch's transaction; a domain refusal is permanent."""
    async def handle(message: Message, ctx: MessageContext) -> None:
        try:
            async with inventory.handling(ctx) as uow:
                await fn(uow, message)
        except InventoryError as exc:
            raise PermanentError(f"{type(exc).__name__}: {exc}") from exc
    return handle


async def on_pick_confirmed(uow: UnitOfWork, message: PickConfirmed) -> None:
    if message.short.value > 0:
        await orders.correct_short_pick(uow, message)


async def on_pick_list_confirmed(uow: UnitOfWork, message: PickListConfirmed) -> None:
    for line in message.per_line():  # as the lines' PickConfirmed, in line order
        await on_pick_confirmed(uow, line)


# Message type → use case: the table the consumer dispatches on.
USE_CASES: dict[type[Message], Use] = {
    ItemCreated: stock.upsert_item,
    ItemUpdated: stock.upsert_item,
    OrderConfirmed: orders.reserve_order,
    OrderAmended: orders.reserve_order,
    OrderBackordered: orders.note_backorder,
    OrderCancelled: orders.cancel_order,
    ReleaseReservation: orders.release_reservation,
    ReserveStock: orders.reserve_stock,
    ShipmentDispatched: orders.issue_shipment,
    PickConfirmed: on_pick_confirmed,
    PickListConfirmed: on_pick_list_confirmed,
    ReturnAuthorised: stock.note_return,
}


def handlers(inventory: Inventory) -> dict[str, Handler]:
    return {kind.TYPE: _guarded(inventory, use) for kind, use in USE_CASES.items()}
