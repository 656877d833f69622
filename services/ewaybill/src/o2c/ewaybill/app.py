"""The e-way bill service: InvoiceIssued → EwayBillGenerated / NotRequired / Rejected, and the bill's life. Its
definition is the only module that knows all the others."""

from __future__ import annotations

from pathlib import Path

from o2c.contracts.topics import commands_topic, events_topic
from o2c.ewaybill.adapters.db import metadata
from o2c.ewaybill.bootstrap import bootstrap, close_gateway_on_stop
from o2c.ewaybill.entrypoints import http, messages
from o2c.ewaybill.settings import EwayBillSettings
from o2c.kit.db import migrations_dir
from o2c.kit.scope import with_customer_scope
from o2c.kit.service import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="ewaybill", title="o2c e-way bill", http_port=8106,
    description="E-way bills (CGST Rule 138) for issued invoices: generation through the NIC API, Part-B "
                "updates, cancellation and extension within their windows.",
    metadata=metadata,
    versions_dir=migrations_dir(Path(__file__).resolve().parent),
    routers=lambda rt: http.ROUTERS,  # the routes reach the bootstrap through their `ewaybill_of` dependency
    handlers=lambda rt: with_customer_scope(messages.handlers(bootstrap(rt))),
    subscribes_to=[events_topic("invoicing"), events_topic("dispatch"), events_topic("sales"),
                   commands_topic("ewaybill")],
    settings_class=EwayBillSettings,
    on_start=close_gateway_on_stop,
)
