"""The partner feed's adapters: the binding from the customer-scope replica, the onboarded partners from the
broker's metadata, and the statuses into the outbox of the handling transaction."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection, Sequence

from o2c.contracts.envelope import Message
from o2c.contracts.topics import partner_of
from o2c.kit.messaging.consumer import MessageContext
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.scope import load_customer_scope
from sqlalchemy.ext.asyncio import AsyncSession


class ScopePartnerBindings:
    """`partner_ids` of the customer as the kit's customer-scope replica holds them (CustomerApproved/Updated)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def partners_of(self, customer_id: str) -> Collection[str]:
        scope = await load_customer_scope(self.session, customer_id)
        return scope.partner_ids if scope else frozenset()


class BrokerPartnerTopics:
    """Which partners have a topic, from the broker's topic list (a metadata request: no admin right needed).

    One process-wide copy: a partner seen onboarded is believed for `known_seconds`, a missing one re-asked after
    `missing_seconds`, so a handled message costs a lookup in memory and the broker is asked at most that often.
    """

    def __init__(self, bootstrap: str, topic_prefix: str = "", *, known_seconds: float = 300.0,
                 missing_seconds: float = 10.0) -> None:
        self.bootstrap = bootstrap
        self.topic_prefix = topic_prefix
        self.known_seconds = known_seconds
        self.missing_seconds = missing_seconds
        self._partners: frozenset[str] = frozenset()
        self._asked_at = float("-inf")
        self._lock = asyncio.Lock()

    async def onboarded(self, partner: str) -> bool:
        if self._fresh(partner):
            return partner in self._partners
        async with self._lock:
            if not self._fresh(partner):  # another lane may have asked while this one waited
                self._partners = await self._ask()
                self._asked_at = time.monotonic()
        return partner in self._partners

    def _fresh(self, partner: str) -> bool:
        age = time.monotonic() - self._asked_at
        return age < (self.known_seconds if partner in self._partners else self.missing_seconds)

    async def _ask(self) -> frozenset[str]:
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="o2c-notify-partner-topics",
                                    request_timeout_ms=10000, **kafka_client_options())
        await admin.start()
        try:
            names: list[str] = await admin.list_topics()
        finally:
            await admin.close()
        found = (partner_of(name.removeprefix(self.topic_prefix)) for name in names
                 if name.startswith(self.topic_prefix))
        return frozenset(p for p in found if p is not None)


class OutboxPartnerFeed:
    """The statuses go into the outbox of the transaction handling the event: same correlation, caused by it."""

    def __init__(self, ctx: MessageContext) -> None:
        self.ctx = ctx

    async def publish(self, partner: str, statuses: Sequence[Message]) -> None:
        await self.ctx.outbox.add_many(
            self.ctx.session, list(statuses), correlation_id=self.ctx.envelope.correlation_id,
            causation_id=self.ctx.envelope.message_id, partner=partner)
