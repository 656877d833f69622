"""Invoicing on the real stack (`o2c.testsupport.invoicing.invoicing_stack`), for its integration tests and its
measurement suite: ready shipments as dispatch sends them, input events sent through the real broker as their
producers would send them (sales' GST rates among them), and the IRP sandbox as a process of its own."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.samples import sample
from o2c.contracts.topics import GST_RATES_TOPIC, events_topic
from o2c.contracts.types import Quantity, Uqc
from o2c.contracts.v1.common import Address, SupplyType
from o2c.contracts.v1.dispatch import ReadyLine, ShipmentReady
from o2c.contracts.v1.sales import GstRateRecorded
from o2c.india.gstin import gstin_check_character
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.testing import RunningService, ServiceHarness, wait_for
from o2c.testsupport.waits import until_sync

D = Decimal


def gstin(state: str, pan: str, entity: str = "1") -> str:
    head = f"{state}{pan}{entity}Z"
    return head + gstin_check_character(head)


SUPPLIER_MH = gstin("27", "AAACO1234C")
SUPPLIER_KA = gstin("29", "AAACO1234C")
BUYER_MH = gstin("27", "AABCB5678D")
BUYER_KA = gstin("29", "AABCK4321F")

PUNE = Address(name="Orbit Distributors Pvt Ltd - Pune DC", line1="Plot 12, MIDC Chakan", place="Pune",
               state_code="27", pincode="410501", gstin=SUPPLIER_MH)
MUMBAI = Address(name="Bharat Retail LLP", line1="14 Linking Road", place="Mumbai", state_code="27",
                 pincode="400050", gstin=BUYER_MH)
BENGALURU = Address(name="Kaveri Stores Pvt Ltd", line1="22 MG Road", place="Bengaluru", state_code="29",
                    pincode="560001", gstin=BUYER_KA)
WALK_IN_MUMBAI = Address(name="R. Sharma", line1="7 Hill Road", place="Mumbai", state_code="27", pincode="400050")


def line(line_no: int, picked: str, released: str | None = None, *, price: str = "250.00", hsn: str = "84713010",
         discount: str = "0", item: str | None = None) -> ReadyLine:
    return ReadyLine(
        line_no=line_no, item_code=item or f"ITEM-{line_no}", item_name=f"Laptop model {line_no}", hsn=hsn,
        quantity=Quantity(value=D(picked), unit=Uqc.NOS), released_quantity=Quantity(value=D(released or picked),
                                                                                 unit=Uqc.NOS),
        unit_price=D(price), discount=D(discount), gst_rate=D("18"), promised_date=datetime.now(UTC).date(),
    )


def ready(*lines: ReadyLine, ship_to: Address = MUMBAI, bill_to: Address | None = None,
          supply_type: SupplyType = SupplyType.B2B, customer_id: str = "cus-1", **overrides: Any) -> ShipmentReady:
    base = sample(ShipmentReady)
    ident = uuid.uuid4().hex[:8]
    values: dict[str, Any] = dict(
        order_id=f"ord-{ident}", order_no=f"SO/{ident}", shipment_id=f"shp-{ident}", shipment_no=f"SHP/{ident}",
        warehouse_id="WH-PUN-1", warehouse_gstin=SUPPLIER_MH, dispatch_from=PUNE, customer_id=customer_id,
        customer_name=(bill_to or ship_to).name, bill_to=bill_to or ship_to, ship_to=ship_to,
        place_of_supply=(bill_to or ship_to).state_code, supply_type=supply_type,
        lines=list(lines) or [line(1, "17", "20")], ready_at=datetime.now(UTC),
    )
    values.update(overrides)
    return base.model_copy(update=values)


class Broker:
    """Sends input events as their producer would, and reads what invoicing published."""

    def __init__(self, harness: ServiceHarness) -> None:
        self.harness = harness
        self.producer = AIOKafkaProducer(bootstrap_servers=harness.bootstrap, **kafka_client_options())

    async def send(self, message: Message, producer: str, envelope: Envelope | None = None) -> Envelope:
        envelope = envelope or Envelope.wrap(message, producer=producer)
        await self.producer.send_and_wait(
            self.harness.prefix + events_topic(producer), envelope.to_bytes(), key=envelope.key.encode(),
            headers=envelope.headers(),
        )
        return envelope

    async def send_rate(self, hsn_prefix: str, rate: str, effective_from: date, *, version: int = 1,
                        cess_rate: str = "0") -> None:
        """A rate of sales' GST rate master, as sales publishes it on the compacted rate topic."""
        message = GstRateRecorded(
            rate_id=f"{hsn_prefix}@{effective_from.isoformat()}", hsn_prefix=hsn_prefix, effective_from=effective_from,
            rate=D(rate), cess_rate=D(cess_rate), version=version, set_at=datetime.now(UTC))
        envelope = Envelope.wrap(message, producer="sales")
        await self.producer.send_and_wait(self.harness.prefix + GST_RATES_TOPIC, envelope.to_bytes(),
                                          key=envelope.key.encode(), headers=envelope.headers())

    async def published(self, type_: str, *, at_least: int = 1, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Every message of a type on invoicing's events topic (waits until `at_least` are there)."""
        found: list[dict[str, Any]] = []
        consumer = AIOKafkaConsumer(
            self.harness.prefix + events_topic("invoicing"), bootstrap_servers=self.harness.bootstrap,
            auto_offset_reset="earliest", enable_auto_commit=False, group_id=None, **kafka_client_options()
        )
        await consumer.start()
        try:
            async def probe() -> bool:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        body = json.loads(record.value)
                        if body["type"] == type_:
                            found.append(body)
                return len(found) >= at_least

            await wait_for(probe, timeout=timeout, interval=0.0, what=f"{at_least} {type_} on the invoicing topic")
            # Anything more already on the topic (a duplicate would show here).
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                found.extend(b for b in (json.loads(r.value) for r in records) if b["type"] == type_)
        finally:
            await consumer.stop()
        return found


@contextlib.asynccontextmanager
async def started_broker(harness: ServiceHarness) -> AsyncIterator[Broker]:
    """The broker, with the rates the tests' HSNs need already on sales' rate topic (any invoicing started
    afterwards replays them; `rates_replicated` waits for that)."""
    broker = Broker(harness)
    await broker.producer.start()
    try:
        for hsn_prefix, rate, start in RATES:
            await broker.send_rate(hsn_prefix, rate, start)
        yield broker
    finally:
        await broker.producer.stop()


GST_LAUNCH, RATIONALISATION = date(2017, 7, 1), date(2025, 9, 22)
RATES = (("84", "18", GST_LAUNCH), ("0902", "5", GST_LAUNCH), ("3401", "18", GST_LAUNCH),
         ("3401", "5", RATIONALISATION))
"""The rates of sales' master the tests' HSNs need (laptops, tea, soap)."""


async def replica_size(svc: RunningService) -> int:
    async with svc.runtime.sessions() as session:
        return int((await session.execute(sa.text("SELECT count(*) FROM hsn_rate"))).scalar_one())


async def rates_replicated(svc: RunningService) -> None:
    async def replicated() -> bool:
        return await replica_size(svc) >= len(RATES)

    await wait_for(replicated, timeout=30, what="invoicing's rate replica filled from the rate topic")


async def invoice_of(svc: RunningService, headers: dict[str, str], order_id: str, count: int = 1
                     ) -> list[dict[str, Any]]:
    async with svc.client(**headers) as client:
        async def probe() -> list[dict[str, Any]] | None:
            response = await client.get("/invoices", params={"order_id": order_id})
            assert response.status_code == 200, response.text
            body: list[dict[str, Any]] = response.json()
            return body if len(body) >= count else None

        return await wait_for(probe, timeout=30, what=f"invoice of {order_id}")


@contextlib.contextmanager
def irp_sandbox_process() -> Iterator[str]:
    """The IRP sandbox as its own process on a free port (the kill test and the measurement call it over HTTP);
    its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "o2c.invoicing.adapters.irp_sandbox"],
                               env=os.environ | {"O2C_IRP_SANDBOX_PORT": str(port)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def answering() -> bool:
        try:
            return httpx.get(url + "/openapi.json", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        until_sync(answering, timeout=20, interval=0.1, what=f"the sandbox answering on {url}")
    except AssertionError:
        process.kill()
        raise
    yield url
    process.kill()  # a graceful stop would wait out a slow answer still pending for a dead caller
    process.wait(timeout=10)
