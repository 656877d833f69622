"""The notify service: tells customers (dispatch with invoice and e-way bill, holds, rejections,
backorders, cancellations, receipts) once per event and channel; `CustomerNotified` for the coordinator."""

from __future__ import annotations

from pathlib import Path

from o2c.contracts.topics import events_topic
from o2c.kit.db import migrations_dir
from o2c.kit.scope import with_customer_scope
from o2c.kit.service import Runtime, ServiceDefinition
from o2c.kit.settings import ServiceSettings
from o2c.notify.adapters.channels import LocalMailbox, SmtpChannel, WhatsAppCloudChannel
from o2c.notify.adapters.db import metadata
from o2c.notify.adapters.webhooks import HttpWebhookSender, SecretBox, UrlPolicy, run_sender
from o2c.notify.domain.delivery import TransitTable, TransitTerms
from o2c.notify.domain.seed_templates import SEED_TEMPLATES
from o2c.notify.domain.templates import TemplateBook
from o2c.notify.domain.webhooks import RetryPolicy
from o2c.notify.entrypoints import http, messages, webhooks_http
from o2c.notify.service_layer.ports import Channel, Channels
from o2c.notify.service_layer.use_cases import Settings
from o2c.notify.settings import NotifySettings

BOOK = TemplateBook(SEED_TEMPLATES)


def _settings(rt: Runtime) -> NotifySettings:
    settings: ServiceSettings = rt.settings
    return settings if isinstance(settings, NotifySettings) else NotifySettings(**settings.model_dump())


def channels(rt: Runtime) -> Channels:
    if "channels" not in rt.extras:
        s = _settings(rt)
        local = LocalMailbox()
        email: Channel = local
        if s.notify_email_adapter == "smtp":
            email = SmtpChannel(s.notify_smtp_host, s.notify_smtp_port, s.notify_smtp_sender,
                                username=s.notify_smtp_username, password=s.notify_smtp_password,
                                starttls=s.notify_smtp_starttls)
        whatsapp: Channel = local
        if s.notify_whatsapp_adapter == "whatsapp_cloud":
            whatsapp = WhatsAppCloudChannel(s.notify_whatsapp_api_url, s.notify_whatsapp_token)
        rt.extras["channels"] = Channels({"email": email, "whatsapp": whatsapp, "sms": local})
    found: Channels = rt.extras["channels"]
    return found


def use_case_settings(rt: Runtime) -> Settings:
    s = _settings(rt)
    transit = TransitTable(
        default=TransitTerms(days=s.notify_transit_days, per_km=s.notify_transit_km,
                             handling_days=s.notify_transit_handling_days),
        by_transporter={k: TransitTerms(days=d, per_km=km, handling_days=h)
                        for k, (d, km, h) in s.notify_transit_by_transporter.items()},
    )
    return Settings(invoice_pdf_url=s.notify_invoice_pdf_url, transit=transit)


def secret_box(rt: Runtime) -> SecretBox:
    """The key that seals subscription secrets; without it notify refuses to start (no default, never empty)."""
    if "secret_box" not in rt.extras:
        key = _settings(rt).notify_webhook_secrets_key
        if key is None or not key.get_secret_value():
            raise RuntimeError("O2C_NOTIFY_WEBHOOK_SECRETS_KEY is not set: notify does not start without the key "
                               "that seals webhook secrets (`make up` generates one into .stack/env)")
        rt.extras["secret_box"] = SecretBox(key.get_secret_value())
    found: SecretBox = rt.extras["secret_box"]
    return found


def url_policy(rt: Runtime) -> UrlPolicy:
    if "url_policy" not in rt.extras:
        rt.extras["url_policy"] = UrlPolicy(_settings(rt).notify_webhook_dev_hosts)
    found: UrlPolicy = rt.extras["url_policy"]
    return found


def webhook_sender(rt: Runtime) -> HttpWebhookSender:
    """The sender (tests may put one with their own httpx transport in rt.extras["webhook_sender"])."""
    if "webhook_sender" not in rt.extras:
        rt.extras["webhook_sender"] = HttpWebhookSender(url_policy(rt),
                                                        timeout=_settings(rt).notify_webhook_timeout_seconds)
    found: HttpWebhookSender = rt.extras["webhook_sender"]
    return found


async def send_webhooks(rt: Runtime) -> None:
    """ServiceDefinition.on_start: post due webhook deliveries in the background, retrying with backoff."""
    s = _settings(rt)
    policy = RetryPolicy(max_attempts=s.notify_webhook_max_attempts, backoff_seconds=s.notify_webhook_backoff_seconds,
                         backoff_max_seconds=s.notify_webhook_backoff_max_seconds)
    await run_sender(rt.sessions, webhook_sender(rt), secret_box(rt), policy, s.notify_webhook_sweep_seconds)


DEFINITION = ServiceDefinition(
    name="notify", title="o2c notify", http_port=8107,
    description="Customer notifications, sent once per event and channel.",
    metadata=metadata,
    versions_dir=migrations_dir(Path(__file__).resolve().parent),
    routers=lambda rt: [http.router(rt, BOOK), webhooks_http.router(rt, secret_box(rt), url_policy(rt))],
    handlers=lambda rt: with_customer_scope(messages.handlers(lambda: channels(rt), lambda: BOOK,
                                                              use_case_settings(rt))),
    subscribes_to=[events_topic("sales"), events_topic("credit"), events_topic("dispatch")],
    settings_class=NotifySettings,
    on_start=send_webhooks,
)
