"""Message handlers by type: each runs inside the consumer's batch transaction (the kit's inbox makes it run
once per message id), calls one use case, and publishes what it causes through `ctx.publish`.

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
from o2c.inventory.domain import InventoryError
from o2c.inventory.service_layer import orders, stock
from o2c.kit.messaging.consumer import Handler, MessageContext
from o2c.kit.messaging.errors import PermanentError
from o2c.kit.service import Runtime


def _guarded(fn: Callable[[Any, MessageContext], Awaitable[None]]) -> Handler:
    async def handle(message: Message, ctx: MessageContext) -> None:
        try:
            await fn(message, ctx)
        except InventoryError as exc:
            raise PermanentError(f"{type(exc).__name__}: {exc}") from exc
    return handle


async def on_item(message: ItemCreated | ItemUpdated, ctx: MessageContext) -> None:
    await stock.upsert_item(ctx.session, message)


async def on_order_confirmed(message: OrderConfirmed, ctx: MessageContext) -> None:
    await orders.reserve_order(ctx.session, message, ctx.publish)


async def on_order_amended(message: OrderAmended, ctx: MessageContext) -> None:
    await orders.reserve_order(ctx.session, message, ctx.publish)


async def on_order_backordered(message: OrderBackordered, ctx: MessageContext) -> None:
    await orders.note_backorder(ctx.session, message)


async def on_order_cancelled(message: OrderCancelled, ctx: MessageContext) -> None:
    await orders.cancel_order(ctx.session, message, ctx.publish)


async def on_release(message: ReleaseReservation, ctx: MessageContext) -> None:
    await orders.release_reservation(ctx.session, message, ctx.publish)


async def on_reserve(message: ReserveStock, ctx: MessageContext) -> None:
    await orders.reserve_stock(ctx.session, message, ctx.publish)


async def on_dispatched(message: ShipmentDispatched, ctx: MessageContext) -> None:
    await orders.issue_shipment(ctx.session, message, ctx.publish)


async def on_pick_confirmed(message: PickConfirmed, ctx: MessageContext) -> None:
    if message.short.value > 0:
        await orders.correct_short_pick(ctx.session, message)


async def on_pick_list_confirmed(message: PickListConfirmed, ctx: MessageContext) -> None:
    for line in message.per_line():  # as the lines' PickConfirmed, in line order
        await on_pick_confirmed(line, ctx)


async def on_return_authorised(message: ReturnAuthorised, ctx: MessageContext) -> None:
    await stock.note_return(ctx.session, message)


def handlers(rt: Runtime) -> dict[str, Handler]:
    del rt
    return {
        "ItemCreated": _guarded(on_item),
        "ItemUpdated": _guarded(on_item),
        "OrderConfirmed": _guarded(on_order_confirmed),
        "OrderAmended": _guarded(on_order_amended),
        "OrderBackordered": _guarded(on_order_backordered),
        "OrderCancelled": _guarded(on_order_cancelled),
        "ReleaseReservation": _guarded(on_release),
        "ReserveStock": _guarded(on_reserve),
        "ShipmentDispatched": _guarded(on_dispatched),
        "PickConfirmed": _guarded(on_pick_confirmed),
        "PickListConfirmed": _guarded(on_pick_list_confirmed),
        "ReturnAuthorised": _guarded(on_return_authorised),
    }
