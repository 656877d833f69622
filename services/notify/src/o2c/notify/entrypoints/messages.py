"""Handlers: each customer-facing event is told once; master data and orders keep the replicas."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

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
from o2c.notify.adapters.repository import SqlRepository
from o2c.notify.adapters.webhooks import WebhookRepository
from o2c.notify.domain.notices import Notice
from o2c.notify.domain.templates import TemplateBook
from o2c.notify.service_layer import use_cases
from o2c.notify.service_layer.ports import Channels


def handlers(channels: Callable[[], Channels], book: Callable[[], TemplateBook], settings: use_cases.Settings,
             clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> dict[str, Handler]:
    async def tell(ctx: MessageContext, notice: Notice, *, event_key: str, customer_id: str, order_id: str | None,
                   shipment_id: str | None = None, contact: use_cases.Contact | None = None) -> None:
        await use_cases.tell(
            notice, event_key=event_key, cause_message_id=str(ctx.envelope.message_id), customer_id=customer_id,
            order_id=order_id, shipment_id=shipment_id,
            contact=use_cases.contact_point(contact) if contact else None, repo=SqlRepository(ctx.session),
            channels=channels(), book=book(), publish=ctx.publish, now=clock(),
        )
        await use_cases.queue_webhooks(
            notice, event_key=event_key, cause_message_id=str(ctx.envelope.message_id), customer_id=customer_id,
            order_id=order_id, shipment_id=shipment_id,
            queue=WebhookRepository(ctx.session), repo=SqlRepository(ctx.session), book=book(), now=clock(),
        )

    async def on_dispatched(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, ShipmentDispatched)
        await tell(ctx, use_cases.dispatch_notice(message, settings), event_key=f"dispatched:{message.shipment_id}",
                   customer_id=message.customer_id, order_id=message.order_id, shipment_id=message.shipment_id,
                   contact=message.contact)

    async def on_credit_held(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, CreditHeld)
        notice = await use_cases.credit_hold_notice(message, SqlRepository(ctx.session))
        await tell(ctx, notice, event_key=f"credit_held:{message.order_id}:r{message.order_revision}:"
                   f"{message.request_id or ''}", customer_id=message.customer_id, order_id=message.order_id)

    async def on_credit_rejected(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, CreditRejected)
        notice = await use_cases.rejection_notice(message, SqlRepository(ctx.session), settings)
        await tell(ctx, notice, event_key=f"credit_rejected:{message.order_id}:r{message.order_revision}",
                   customer_id=message.customer_id, order_id=message.order_id)

    async def on_backordered(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, OrderBackordered)
        notice = await use_cases.backorder_notice(message, SqlRepository(ctx.session))
        await tell(ctx, notice, event_key=f"backordered:{message.order_id}:{message.backordered_at.isoformat()}",
                   customer_id=message.customer_id, order_id=message.order_id, contact=message.contact)

    async def on_cancelled(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, OrderCancelled)
        notice = await use_cases.cancellation_notice(message, SqlRepository(ctx.session))
        await tell(ctx, notice, event_key=f"cancelled:{message.order_id}", customer_id=message.customer_id,
                   order_id=message.order_id, contact=message.contact)

    async def on_payment(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, PaymentReceived)
        notice = await use_cases.receipt_notice(message, SqlRepository(ctx.session))
        order_id = message.allocations[0].order_id if message.allocations else None
        await tell(ctx, notice, event_key=f"payment:{message.payment_id}", customer_id=message.customer_id,
                   order_id=order_id)

    async def on_customer(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, CustomerApproved | CustomerUpdated)
        await use_cases.keep_customer(message, SqlRepository(ctx.session))

    async def on_order(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, OrderConfirmed)
        await use_cases.keep_order(message, SqlRepository(ctx.session))

    return {
        "ShipmentDispatched": on_dispatched, "CreditHeld": on_credit_held, "CreditRejected": on_credit_rejected,
        "OrderBackordered": on_backordered, "OrderCancelled": on_cancelled, "PaymentReceived": on_payment,
        "CustomerApproved": on_customer, "CustomerUpdated": on_customer, "OrderConfirmed": on_order,
    }
