"""Helpers for the e-way bill service on the real stack (its integration tests and its measures in bench/suites):
invoices as invoicing issues them today, a raw producer standing in for the other services, and the NIC sandbox
portal served over real HTTP on a free local port."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from o2c.contracts import samples
from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.topics import events_topic
from o2c.contracts.types import Quantity
from o2c.contracts.v1.common import Address, TransportDetails
from o2c.contracts.v1.invoicing import InvoiceIssued, InvoiceLine, InvoiceTotals
from o2c.ewaybill.adapters.pincodes import pincode_distance
from o2c.ewaybill.adapters.sandbox_server import create_app
from o2c.ewaybill.domain.gstin import gstin_check_character
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.testing import ServiceHarness, wait_for

D = Decimal
TRANSPORTER = "29AAACV2234K1Z" + gstin_check_character("29AAACV2234K1Z")
MYSURU = Address(name="Kaveri Stores Pvt Ltd", line1="22 Sayyaji Rao Road", place="Mysuru", state_code="29",
                 pincode="570001", gstin=samples.SUPPLIER_GSTIN.replace("R1718E", "K4321F")[:14]
                 + gstin_check_character(samples.SUPPLIER_GSTIN.replace("R1718E", "K4321F")[:14]))


def invoice(invoice_id: str, taxable: str = "45000.00", rate: str = "18", *, vehicle_no: str | None = "KA01AB1234",
            distance_km: int = 150, inter_state: bool = False) -> InvoiceIssued:
    """One line; intra-state Bengaluru → Mysuru (CGST + SGST) or inter-state Bengaluru → Chennai (IGST)."""
    value = D(taxable)
    tax = (value * D(rate) / 100).quantize(D("0.01"))
    half = (tax / 2).quantize(D("0.01"))
    buyer = samples.SHIP_TO if inter_state else MYSURU
    rates: dict[str, Any] = ({"igst_rate": D(rate), "igst_amount": tax} if inter_state else
                             {"cgst_rate": D(rate) / 2, "sgst_rate": D(rate) / 2, "cgst_amount": half,
                              "sgst_amount": tax - half})
    line = InvoiceLine(line_no=1, item_code="BAT-12V", item_name="Lead-acid battery 12V", hsn="85071000",
                       quantity=Quantity(value="30", unit="NOS"), unit_price=(value / 30).quantize(D("0.01")),
                       taxable_value=value, gst_rate=D(rate), line_total=value + tax, **rates)
    totals = InvoiceTotals(taxable_value=value, grand_total=value + tax,
                           **({"igst": tax} if inter_state else {"cgst": half, "sgst": tax - half}))
    transport = TransportDetails(vehicle_no=vehicle_no, transporter_id=TRANSPORTER, transporter_name="VRL Logistics",
                                 lr_no="LR-" + invoice_id[-6:], lr_date=date.today(), distance_km=distance_km)
    base = samples.sample(InvoiceIssued)
    return base.model_copy(update={
        "invoice_id": invoice_id, "invoice_no": "INV/" + invoice_id[-10:], "order_id": "ord-" + invoice_id,
        "shipment_id": "shp-" + invoice_id, "invoice_date": date.today(), "bill_to": buyer, "ship_to": buyer,
        "buyer_gstin": buyer.gstin, "place_of_supply": buyer.state_code, "lines": [line], "totals": totals,
        "transport": transport, "issued_at": datetime.now(UTC),
    })


async def publish(harness: ServiceHarness, producer: str, *messages: Message, envelope: Envelope | None = None
                  ) -> list[Envelope]:
    kafka = AIOKafkaProducer(bootstrap_servers=harness.bootstrap, **kafka_client_options())
    await kafka.start()
    sent: list[Envelope] = []
    try:
        for message in messages:
            env = envelope or Envelope.wrap(message, producer=producer)
            await kafka.send_and_wait(harness.prefix + events_topic(producer), env.to_bytes(),
                                      key=env.key.encode(), headers=env.headers())
            sent.append(env)
    finally:
        await kafka.stop()
    return sent


class Sandbox:
    def __init__(self, app: FastAPI, url: str) -> None:
        self.app, self.url = app, url

    @property
    def requests(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.app.state.sandbox.requests
        return found


async def _started(server: uvicorn.Server) -> bool:
    return bool(server.started)


@contextlib.asynccontextmanager
async def serving_sandbox() -> AsyncIterator[Sandbox]:
    """The sandbox portal on a free local port, spoken to over real HTTP."""
    pincode_distance("560058", "570001")  # open the pincode directory once, outside any measured request
    app = create_app()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    try:
        await wait_for(lambda: _started(server), timeout=10, what="sandbox server listening")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield Sandbox(app, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await task
