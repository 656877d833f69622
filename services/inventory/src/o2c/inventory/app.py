"""The inventory service: its definition is the only module that knows all the others."""

from __future__ import annotations

from pathlib import Path

from o2c.contracts.topics import commands_topic, events_topic
from o2c.inventory.adapters.db import metadata
from o2c.inventory.bootstrap import bootstrap
from o2c.inventory.entrypoints import http, messages
from o2c.kit.db import migrations_dir
from o2c.kit.scope import with_customer_scope
from o2c.kit.service import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="inventory",
    title="o2c inventory",
    description="Warehouses, bins and batches; stock with its ledger; available-to-promise; reservations routed "
                "across warehouses; backorders; issue at gate-out; returns.",
    http_port=8103,
    metadata=metadata,
    versions_dir=migrations_dir(Path(__file__).resolve().parent),
    routers=lambda rt: http.ROUTERS,  # the routes reach the bootstrap through their `inventory_of` dependency
    handlers=lambda rt: with_customer_scope(messages.handlers(bootstrap(rt))),
    subscribes_to=[events_topic("sales"), commands_topic("inventory"), events_topic("dispatch")],
)
