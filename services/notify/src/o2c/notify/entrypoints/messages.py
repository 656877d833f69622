"""Message handlers by type: each runs inside the consumer's batch transaction (the kit's inbox makes it run
once per message id) and calls one use case on a unit of work in that transaction (`bootstrap.Notify.handling`),
whose messages go to the outbox as caused by the message in hand. Customer-facing events are told once;
master data and orders keep the replicas."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from o2c.contracts.envelope import Message
from o2c.contracts.v1.credit import CreditHeld, CreditRejected, PaymentReceived
from o2c.contracts.v1.dispatch import ShipmentDispatched
from o2c.contracts.v1.sales import (
    CustomerApproved,
    CustomerUpdated,
    OrderBackordered,
    OrderCancelled,
    OrderConfirmed,
)
from o2c.kit.messaging.consumer import Handler, MessageContext
from o2c.notify.bootstrap import Notify
from o2c.notify.service_layer import use_cases
from o2c.notify.service_layer.ports import UnitOfWork
from o2c.notify.service_layer.use_cases import Cause, Telling

Tell = Callable[[UnitOfWork, Any, Telling, Cause], Awaitable[object]]
Keep = Callable[[UnitOfWork, Any], Awaitable[object]]

# Message type → use case: the tables the consumer dispatches on.
TELLS: dict[type[Message], Tell] = {
    ShipmentDispatched: use_cases.tell_dispatch,
    CreditHeld: use_cases.tell_credit_hold,
    CreditRejected: use_cases.tell_rejection,
    OrderBackordered: use_cases.tell_backorder,
    OrderCancelled: use_cases.tell_cancellation,
    PaymentReceived: use_cases.tell_receipt,
}
KEEPS: dict[type[Message], Keep] = {
    CustomerApproved: use_cases.keep_customer,
    CustomerUpdated: use_cases.keep_customer,
    OrderConfirmed: use_cases.keep_order,
}


def _telling(notify: Notify, use: Tell) -> Handler:
    async def handle(message: Message, ctx: MessageContext) -> None:
        async with notify.handling(ctx) as uow:
            await use(uow, message, notify.telling, Cause(str(ctx.envelope.message_id), notify.clock()))
    return handle


def _keeping(notify: Notify, use: Keep) -> Handler:
    async def handle(message: Message, ctx: MessageContext) -> None:
        async with notify.handling(ctx) as uow:
            await use(uow, message)
    return handle


def handlers(notify: Notify) -> dict[str, Handler]:
    return {**{kind.TYPE: _telling(notify, use) for kind, use in TELLS.items()},
            **{kind.TYPE: _keeping(notify, use) for kind, use in KEEPS.items()}}
