"""The partner feed's subscribers: each order event notify follows is told to the partners serving its customer
(decode, call the use case through the bootstrap; the rules live in domain/partner_feed.py and
service_layer/partner_feed.py)."""

from __future__ import annotations

from o2c.contracts.envelope import Message
from o2c.kit.messaging.consumer import Handler, MessageContext
from o2c.notify.bootstrap import Notify
from o2c.notify.domain.partner_feed import TOLD_TO_PARTNERS
from o2c.notify.service_layer.partner_feed import tell_partners


def handlers(notify: Notify) -> dict[str, Handler]:
    async def on_order_event(message: Message, ctx: MessageContext) -> None:
        await tell_partners(message, bindings=notify.partner_bindings(ctx), topics=notify.partner_topics,
                            feed=notify.partner_feed(ctx), transit=notify.telling.settings.transit)

    return {event.TYPE: on_order_event for event in TOLD_TO_PARTNERS}
