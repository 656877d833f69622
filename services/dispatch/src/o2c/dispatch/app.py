"""The dispatch service: the only module that knows all the others."""

from __future__ import annotations

from pathlib import Path

from o2c.contracts.topics import Service, commands_topic, events_topic
from o2c.dispatch.adapters.db import metadata
from o2c.dispatch.bootstrap import bootstrap
from o2c.dispatch.entrypoints import http, messages, workers
from o2c.kit.db import migrations_dir
from o2c.kit.scope import with_customer_scope
from o2c.kit.service import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="dispatch",
    title="o2c dispatch",
    http_port=8104,
    metadata=metadata,
    versions_dir=migrations_dir(Path(__file__).resolve().parent),
    routers=lambda rt: http.ROUTERS,  # the routes reach the bootstrap through their `dispatch_of` dependency
    handlers=lambda rt: with_customer_scope(messages.handlers(bootstrap(rt))),
    subscribes_to=[
        events_topic(Service.SALES),
        commands_topic(Service.DISPATCH),
        events_topic(Service.INVOICING),
        events_topic(Service.EWAYBILL),
    ],
    on_start=workers.sweep_gate_forever,
    description="Pick lists in walking order, pick confirmations, dispatch details, and the gate: goods leave "
                "only after the tax invoice and the e-way bill (or its not-required verdict).",
)
