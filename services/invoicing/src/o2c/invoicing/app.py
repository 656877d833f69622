"""The invoicing service: its definition is the only module that knows all the others."""

from __future__ import annotations

from pathlib import Path

from o2c.contracts.topics import GST_RATES_TOPIC, commands_topic, events_topic
from o2c.invoicing.adapters.db import metadata
from o2c.invoicing.bootstrap import bootstrap
from o2c.invoicing.entrypoints import http, messages
from o2c.invoicing.entrypoints.workers import run_workers
from o2c.invoicing.settings import InvoicingSettings
from o2c.kit.db import migrations_dir
from o2c.kit.scope import with_customer_scope
from o2c.kit.service import Runtime, ServiceDefinition


async def on_start(rt: Runtime) -> None:
    await run_workers(bootstrap(rt))


DEFINITION = ServiceDefinition(
    name="invoicing",
    title="o2c invoicing",
    description="GST tax invoices from pick-confirmed quantities, e-invoice (IRN), credit notes and GSTR-1.",
    http_port=8105,
    metadata=metadata,
    versions_dir=migrations_dir(Path(__file__).resolve().parent),
    routers=lambda rt: http.ROUTERS,  # the routes reach the bootstrap through their `invoicing_of` dependency
    handlers=lambda rt: with_customer_scope(messages.handlers(bootstrap(rt))),
    subscribes_to=[events_topic("dispatch"), events_topic("inventory"), events_topic("sales"),
                   events_topic("ewaybill"), GST_RATES_TOPIC, commands_topic("invoicing")],
    settings_class=InvoicingSettings,
    on_start=on_start,
)
