"""The coordinator's message handlers: every reply it follows goes through `coordinator.handle_reply` inside
the consumer's batch transaction (the saga row locked), and what it decides goes out via the same outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from o2c.contracts.envelope import Message
from o2c.kit.messaging.consumer import Handler, MessageContext
from o2c.kit.messaging.errors import PermanentError
from o2c.kit.service import Runtime
from o2c.sales.adapters.repository import SqlRepository
from o2c.sales.domain.errors import DomainError
from o2c.sales.service_layer import coordinator
from o2c.sales.service_layer.ports import UnitOfWork


def handlers(rt: Runtime, clock: Any = None) -> dict[str, Handler]:
    async def handle(message: Message, ctx: MessageContext) -> None:
        uow = UnitOfWork(SqlRepository(ctx.session))
        now = clock() if clock else datetime.now(UTC)
        try:
            await coordinator.handle_reply(uow, message, str(ctx.envelope.message_id), now, faults=rt.faults)
        except DomainError as exc:  # a rule the message can never pass: dead-letter it, park the order
            raise PermanentError(f"{message.TYPE}: {exc.reason}") from exc
        if uow.messages:
            await ctx.outbox.add_many(ctx.session, uow.messages, correlation_id=ctx.envelope.correlation_id,
                                      causation_id=ctx.envelope.message_id)

    return dict.fromkeys(coordinator.HANDLED_TYPES, handle)
