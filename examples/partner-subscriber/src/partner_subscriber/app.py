"""The subscriber: one FastStream handler on the partner's own topic, typed on the o2c contracts.

FastStream parses each record value into the contracts' `Envelope`; `decode` turns its payload into the typed
partner status. A type this version does not know is skipped (o2c adds types within v1), as is a field it does
not know (the models ignore them). Offsets are committed after the status is recorded (`NACK_ON_ERROR`: a
failure seeks back and the record comes again), and the store is idempotent on the message id, so a record that
comes twice is applied once.
"""

from __future__ import annotations

import logging

from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker
from faststream.security import SASLScram512
from o2c.contracts.catalog import InvalidPayload, UnknownMessage, decode
from o2c.contracts.envelope import Envelope
from o2c.contracts.v1.partner import PARTNER_STATUSES

from partner_subscriber.settings import Settings
from partner_subscriber.store import OrderBook

log = logging.getLogger("partner_subscriber")


def security(settings: Settings) -> SASLScram512 | None:
    """SCRAM-SHA-512 with the onboarding's credentials; none only for a broker without authentication."""
    if not settings.password:
        return None
    return SASLScram512(username=settings.username, password=settings.password, use_ssl=settings.use_tls)


def build(settings: Settings, book: OrderBook) -> FastStream:
    broker = KafkaBroker(settings.bootstrap, security=security(settings), client_id=settings.consumer_group,
                         consumer_only=True, allow_auto_create_topics=False)

    @broker.subscriber(settings.topic, group_id=settings.consumer_group, auto_offset_reset="earliest",
                       ack_policy=AckPolicy.NACK_ON_ERROR)
    async def on_order_status(envelope: Envelope) -> None:
        try:
            status = decode(envelope)
        except UnknownMessage:
            log.info("skipping %s v%s: a type this subscriber does not know", envelope.type, envelope.version)
            return
        except InvalidPayload as exc:  # retrying cannot mend it: keep it aside for a person, here the log
            log.error("cannot read message %s: %s", envelope.message_id, exc)
            return
        if not isinstance(status, PARTNER_STATUSES):
            log.warning("skipping %s: not an order status", envelope.type)
            return
        if book.record(envelope.message_id, envelope.occurred_at, status):
            log.info("order %s (%s): %s", status.order_no, status.order_id, envelope.type)

    return FastStream(broker)
