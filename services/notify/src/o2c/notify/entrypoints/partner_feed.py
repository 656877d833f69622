"""The partner feed's subscribers: each order event notify follows is told to the partners serving its customer
(decode, call the use case; the rules live in domain/partner_feed.py and service_layer/partner_feed.py)."""

from __future__ import annotations

from o2c.contracts.envelope import Message
from o2c.kit.messaging.consumer import Handler, MessageContext
from o2c.notify.adapters.partner_feed import OutboxPartnerFeed, ScopePartnerBindings
from o2c.notify.domain.delivery import TransitTable
from o2c.notify.domain.partner_feed import TOLD_TO_PARTNERS
from o2c.notify.service_layer.partner_feed import PartnerTopics, tell_partners


def handlers(topics: PartnerTopics, transit: TransitTable) -> dict[str, Handler]:
    async def on_order_event(message: Message, ctx: MessageContext) -> None:
        await tell_partners(message, bindings=ScopePartnerBindings(ctx.session), topics=topics,
                            feed=OutboxPartnerFeed(ctx), transit=transit)

    return {event.TYPE: on_order_event for event in TOLD_TO_PARTNERS}
