"""Notify's one bootstrap: how the entry points (HTTP, webhooks HTTP, the message handlers and the webhook
sender) get a unit of work and the adapters the use cases run with. It builds the channels, the secret box, the
URL policy and the sender from the settings once per running service, wires the SQL repositories
(`adapters.unit_of_work.SqlUnitOfWork`) on a session and writes what the use cases published to the outbox in
the same transaction, before it commits."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from o2c.kit.messaging.consumer import MessageContext
from o2c.kit.messaging.outbox import Outbox
from o2c.kit.service import Runtime
from o2c.kit.settings import ServiceSettings
from o2c.notify.adapters.channels import LocalMailbox, SmtpChannel, WhatsAppCloudChannel
from o2c.notify.adapters.partner_feed import BrokerPartnerTopics, OutboxPartnerFeed, ScopePartnerBindings
from o2c.notify.adapters.unit_of_work import SqlUnitOfWork
from o2c.notify.adapters.webhooks import HttpWebhookSender, SecretBox, UrlPolicy
from o2c.notify.domain.delivery import TransitTable, TransitTerms
from o2c.notify.domain.seed_templates import SEED_TEMPLATES
from o2c.notify.domain.templates import TemplateBook
from o2c.notify.domain.webhooks import RetryPolicy
from o2c.notify.service_layer.ports import Channel, Channels
from o2c.notify.service_layer.use_cases import Settings, Telling
from o2c.notify.settings import NotifySettings
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

BOOK = TemplateBook(SEED_TEMPLATES)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Notify:
    """The running service as its entry points see it."""

    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    telling: Telling
    sealer: SecretBox
    urls: UrlPolicy
    sender: HttpWebhookSender
    retry: RetryPolicy
    sweep_seconds: float
    partner_topics: BrokerPartnerTopics
    """Which partners are onboarded (their topic exists): one cache for the process."""
    clock: Callable[[], datetime] = field(default=_utc_now)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work in a transaction of its own (an HTTP request, a sender sweep): committed with its
        messages when the block ends, rolled back with them when it raises."""
        async with self.sessions() as session, session.begin():
            uow = SqlUnitOfWork(session)
            yield uow
            if uow.messages:
                await self.outbox.add_many(session, uow.messages)

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work for reading only (nothing it publishes is sent)."""
        async with self.sessions() as session:
            yield SqlUnitOfWork(session)

    @contextlib.asynccontextmanager
    async def handling(self, ctx: MessageContext) -> AsyncIterator[SqlUnitOfWork]:
        """A unit of work in the consumer's batch transaction: what it publishes is caused by the message in hand
        (same correlation) and commits with the batch."""
        uow = SqlUnitOfWork(ctx.session)
        yield uow
        if uow.messages:
            await ctx.outbox.add_many(ctx.session, uow.messages, correlation_id=ctx.envelope.correlation_id,
                                      causation_id=ctx.envelope.message_id)


    def partner_bindings(self, ctx: MessageContext) -> ScopePartnerBindings:
        """The partners serving a customer, read in the consumer's batch transaction."""
        return ScopePartnerBindings(ctx.session)

    def partner_feed(self, ctx: MessageContext) -> OutboxPartnerFeed:
        """Partner statuses into the outbox of the consumer's batch transaction, caused by the message in hand."""
        return OutboxPartnerFeed(ctx)


def notify_settings(settings: ServiceSettings) -> NotifySettings:
    return settings if isinstance(settings, NotifySettings) else NotifySettings(**settings.model_dump())


def channels(s: NotifySettings) -> Channels:
    local = LocalMailbox()
    email: Channel = local
    if s.notify_email_adapter == "smtp":
        email = SmtpChannel(s.notify_smtp_host, s.notify_smtp_port, s.notify_smtp_sender,
                            username=s.notify_smtp_username, password=s.notify_smtp_password,
                            starttls=s.notify_smtp_starttls)
    whatsapp: Channel = local
    if s.notify_whatsapp_adapter == "whatsapp_cloud":
        whatsapp = WhatsAppCloudChannel(s.notify_whatsapp_api_url, s.notify_whatsapp_token)
    return Channels({"email": email, "whatsapp": whatsapp, "sms": local})


def use_case_settings(s: NotifySettings) -> Settings:
    transit = TransitTable(
        default=TransitTerms(days=s.notify_transit_days, per_km=s.notify_transit_km,
                             handling_days=s.notify_transit_handling_days),
        by_transporter={k: TransitTerms(days=d, per_km=km, handling_days=h)
                        for k, (d, km, h) in s.notify_transit_by_transporter.items()},
    )
    return Settings(invoice_pdf_url=s.notify_invoice_pdf_url, transit=transit)


def secret_box(s: NotifySettings) -> SecretBox:
    """The key that seals subscription secrets; without it notify refuses to start (no default, never empty)."""
    key = s.notify_webhook_secrets_key
    if key is None or not key.get_secret_value():
        raise RuntimeError("O2C_NOTIFY_WEBHOOK_SECRETS_KEY is not set: notify does not start without the key "
                           "that seals webhook secrets (`make up` generates one into .stack/env)")
    return SecretBox(key.get_secret_value())


def bootstrap(rt: Runtime) -> Notify:
    """One `Notify` per running service (its routers, handlers and sender share the adapters)."""
    found = rt.extras.get("notify")
    if isinstance(found, Notify):
        return found
    s = notify_settings(rt.settings)
    urls = UrlPolicy(s.notify_webhook_dev_hosts)
    notify = Notify(
        sessions=rt.sessions, outbox=rt.outbox,
        telling=Telling(channels=channels(s), book=BOOK, settings=use_case_settings(s)),
        sealer=secret_box(s), urls=urls, sender=HttpWebhookSender(urls, timeout=s.notify_webhook_timeout_seconds),
        retry=RetryPolicy(max_attempts=s.notify_webhook_max_attempts,
                          backoff_seconds=s.notify_webhook_backoff_seconds,
                          backoff_max_seconds=s.notify_webhook_backoff_max_seconds),
        sweep_seconds=s.notify_webhook_sweep_seconds,
        partner_topics=BrokerPartnerTopics(s.kafka_bootstrap, s.topic_prefix),
    )
    rt.extras["notify"] = notify
    return notify
