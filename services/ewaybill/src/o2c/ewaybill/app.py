"""The e-way bill service: InvoiceIssued → EwayBillGenerated / NotRequired / Rejected, and the bill's life."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from o2c.contracts.topics import commands_topic, events_topic
from o2c.ewaybill.adapters.db import metadata
from o2c.ewaybill.adapters.gateway import NicHttpGateway
from o2c.ewaybill.adapters.gateways import gateway_from_settings
from o2c.ewaybill.entrypoints import http, messages
from o2c.ewaybill.service_layer.ports import EwayBillGateway
from o2c.ewaybill.settings import EwayBillSettings
from o2c.kit import clock as kit_clock
from o2c.kit.db import migrations_dir
from o2c.kit.scope import with_customer_scope
from o2c.kit.service import Runtime, ServiceDefinition


def gateway(rt: Runtime) -> EwayBillGateway:
    """One portal client per running service (tests may put their own in `rt.extras["gateway"]`)."""
    if "gateway" not in rt.extras:
        rt.extras["gateway"] = gateway_from_settings(rt.settings)
    found: EwayBillGateway = rt.extras["gateway"]
    return found


def clock(rt: Runtime) -> datetime:
    now = rt.extras.get("clock")
    return now() if callable(now) else kit_clock.now(rt.settings)


async def close_gateway_on_stop(rt: Runtime) -> None:
    """Runs for the service's life; on shutdown (cancelled) it closes the portal client's connections."""
    try:
        await asyncio.Event().wait()
    finally:
        found = rt.extras.pop("gateway", None)
        if isinstance(found, NicHttpGateway):
            await found.aclose()


DEFINITION = ServiceDefinition(
    name="ewaybill", title="o2c e-way bill", http_port=8106,
    description="E-way bills (CGST Rule 138) for issued invoices: generation through the NIC API, Part-B "
                "updates, cancellation and extension within their windows.",
    metadata=metadata,
    versions_dir=migrations_dir(Path(__file__).resolve().parent),
    routers=lambda rt: http.routers(rt, lambda: gateway(rt), lambda: clock(rt)),
    handlers=lambda rt: with_customer_scope(messages.handlers(lambda: gateway(rt), lambda: clock(rt))),
    subscribes_to=[events_topic("invoicing"), events_topic("dispatch"), events_topic("sales"),
                   commands_topic("ewaybill")],
    settings_class=EwayBillSettings,
    on_start=close_gateway_on_stop,
)
