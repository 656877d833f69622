"""The notify service: tells customers (dispatch with invoice and e-way bill, holds, rejections,
backorders, cancellations, receipts) once per event and channel; `CustomerNotified` for the coordinator.
Its definition is the only module that knows all the others."""

from __future__ import annotations

from pathlib import Path

from o2c.contracts.topics import events_topic
from o2c.kit.db import migrations_dir
from o2c.kit.messaging.consumer import combine_handlers
from o2c.kit.scope import with_customer_scope
from o2c.kit.service import ServiceDefinition
from o2c.notify.adapters.db import metadata
from o2c.notify.bootstrap import bootstrap
from o2c.notify.entrypoints import http, messages, partner_feed, webhooks_http, workers
from o2c.notify.settings import NotifySettings

DEFINITION = ServiceDefinition(
    name="notify", title="o2c notify", http_port=8107,
    description="Customer notifications, sent once per event and channel.",
    metadata=metadata,
    versions_dir=migrations_dir(Path(__file__).resolve().parent),
    routers=lambda rt: (*http.ROUTERS, *webhooks_http.ROUTERS),  # the routes reach the bootstrap via `http.notify_of`
    handlers=lambda rt: with_customer_scope(combine_handlers(
        messages.handlers(bootstrap(rt)),
        partner_feed.handlers(bootstrap(rt)))),
    subscribes_to=[events_topic("sales"), events_topic("credit"), events_topic("dispatch")],
    settings_class=NotifySettings,
    on_start=lambda rt: workers.send_webhooks(bootstrap(rt)),
)
