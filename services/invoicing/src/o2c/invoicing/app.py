"""The invoicing service: the only module that knows all the others."""

from __future__ import annotations

from pathlib import Path

from o2c.contracts.topics import GST_RATES_TOPIC, commands_topic, events_topic
from o2c.invoicing.adapters.db import metadata
from o2c.invoicing.adapters.irp import GspIrpGateway, HttpIrpGateway
from o2c.invoicing.entrypoints import http, messages
from o2c.invoicing.entrypoints.workers import run_workers
from o2c.invoicing.service_layer.ports import IrpGateway
from o2c.invoicing.service_layer.use_cases import Policy
from o2c.invoicing.settings import InvoicingSettings
from o2c.kit.db import migrations_dir
from o2c.kit.scope import with_customer_scope
from o2c.kit.service import Runtime, ServiceDefinition


def make_gateway(settings: InvoicingSettings) -> IrpGateway | None:
    if settings.irp_mode == "off":
        return None
    if settings.irp_mode == "gsp":
        return GspIrpGateway(settings.irp_base_url, client_id=settings.gsp_client_id,
                             client_secret=settings.gsp_client_secret, username=settings.gsp_username,
                             password=settings.gsp_password, timeout=settings.irp_timeout_seconds)
    return HttpIrpGateway(settings.irp_base_url, timeout=settings.irp_timeout_seconds)


def wire(rt: Runtime) -> Runtime:
    """Put the gateway and the policy on the runtime once (routers, handlers and workers share them)."""
    if "policy" not in rt.extras:
        settings = rt.settings
        assert isinstance(settings, InvoicingSettings)
        rt.extras["policy"] = Policy(aggregate_turnover=settings.aggregate_turnover)
        rt.extras["irp"] = make_gateway(settings)
    return rt


async def on_start(rt: Runtime) -> None:
    await run_workers(wire(rt))


DEFINITION = ServiceDefinition(
    name="invoicing",
    title="o2c invoicing",
    description="GST tax invoices from pick-confirmed quantities, e-invoice (IRN), credit notes and GSTR-1.",
    http_port=8105,
    metadata=metadata,
    versions_dir=migrations_dir(Path(__file__).resolve().parent),
    routers=lambda rt: [http.router(wire(rt))],
    handlers=lambda rt: with_customer_scope(messages.handlers(wire(rt))),
    subscribes_to=[events_topic("dispatch"), events_topic("inventory"), events_topic("sales"),
                   events_topic("ewaybill"), GST_RATES_TOPIC, commands_topic("invoicing")],
    settings_class=InvoicingSettings,
    on_start=on_start,
)
