"""The credit service: the only module that knows all the others."""

from __future__ import annotations

from pathlib import Path

from o2c.contracts.topics import commands_topic, events_topic
from o2c.credit.adapters.db import metadata
from o2c.credit.bootstrap import bootstrap
from o2c.credit.entrypoints import http, messages, timers
from o2c.credit.settings import CreditSettings
from o2c.kit.db import migrations_dir
from o2c.kit.scope import with_customer_scope
from o2c.kit.service import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="credit",
    title="o2c credit",
    description="Credit decisions on orders, the finance sanction queue, receivables, payments and statements.",
    http_port=8102,
    metadata=metadata,
    versions_dir=migrations_dir(Path(__file__).resolve().parent),
    routers=lambda rt: http.ROUTERS,  # the routes reach the bootstrap through their `credit_of` dependency
    handlers=lambda rt: with_customer_scope(messages.handlers(bootstrap(rt))),
    subscribes_to=[events_topic("sales"), commands_topic("credit"), events_topic("invoicing")],
    settings_class=CreditSettings,
    on_start=lambda rt: timers.sanction_sweeper(bootstrap(rt)),
)
