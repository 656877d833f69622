"""The coordinator's message handlers: every reply it follows (`coordinator.REPLIES`, a table by message type)
goes through `coordinator.handle_reply` on a unit of work in the consumer's batch transaction
(`bootstrap.Sales.handling`: the saga row locked), and what it decides goes out via the same outbox, caused by
the message in hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from o2c.contracts.envelope import Message
from o2c.kit.messaging.consumer import Handler, MessageContext
from o2c.kit.messaging.errors import PermanentError
from o2c.sales.bootstrap import Sales
from o2c.sales.domain.errors import DomainError
from o2c.sales.service_layer import coordinator


def handlers(sales: Sales, clock: Callable[[], datetime] | None = None) -> dict[str, Handler]:
    async def handle(message: Message, ctx: MessageContext) -> None:
        now = clock() if clock else datetime.now(UTC)
        try:
            async with sales.handling(ctx) as uow:
                await coordinator.handle_reply(uow, message, str(ctx.envelope.message_id), now, faults=sales.faults())
        except DomainError as exc:  # a rule the message can never pass: dead-letter it, park the order
            raise PermanentError(f"{message.TYPE}: {exc.reason}") from exc

    return {cls.TYPE: handle for cls in coordinator.REPLIES}
