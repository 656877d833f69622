"""Helpers for the sales integration tests: tokens, seed data, raw Kafka producers and readers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from o2c.contracts.catalog import decode_bytes
from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.samples import sample
from o2c.contracts.topics import events_topic
from o2c.contracts.types import Quantity
from o2c.contracts.v1 import credit, inventory
from o2c.contracts.v1.common import Address, ReservedLine, Shortfall, WarehouseAllocation
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.testing import ServiceHarness, bearer

ITEMS = ["PUMP-1", "VALVE-1", "MOTOR-9"]


def tokens(issuer: LocalIssuer) -> dict[str, dict[str, str]]:
    return {
        "coord": bearer(issuer, "sales_coordinator", sales_owner="asha"),
        "head": bearer(issuer, "sales_head"),
        "head_creator": {"Authorization": "Bearer " + issuer.token("meera", ["sales_head", "sales_coordinator"])},
        "sre": bearer(issuer, "sre"),
    }


def maharashtra_customer(code: str = "RATAN", gstin: str = "27AAACR5055K1Z7", state: str = "27",
                         pincode: str = "400001", **extra: Any) -> dict[str, Any]:
    return {
        "code": code, "legal_name": "Ratan Traders Pvt Ltd", "pan": "AAACR5055K", "gst_category": "registered",
        "addresses": [{"address_id": "main", "name": "Ratan Traders", "line1": "12 Market Road", "place": "Mumbai",
                       "state_code": state, "pincode": pincode, "gstin": gstin}],
        "payment_terms_days": 30, "price_list_code": "STD", "sales_owner": "asha",
        "requested_credit_limit": "500000.00", **extra,
    }


async def seed_catalog(client: Any, head: dict[str, str], count: int = 0) -> list[str]:
    items = [
        {"code": "PUMP-1", "name": "Monoblock pump 1 HP", "hsn": "84137010", "unit": "NOS", "product_line": "pumps",
         "lead_time_days": 10},
        {"code": "VALVE-1", "name": "Gate valve 2 in", "hsn": "84818030", "unit": "NOS", "product_line": "valves",
         "lead_time_days": 5},
        {"code": "MOTOR-9", "name": "Motor 9 kW", "hsn": "85015210", "unit": "NOS", "product_line": "motors",
         "stocked": False, "lead_time_days": 21},
    ]
    items += [{"code": f"SKU-{i:04d}", "name": f"Spare {i}", "hsn": "84139190", "unit": "PCS",
               "product_line": "spares", "lead_time_days": 7} for i in range(count)]
    r = await client.post("/items", json=items, headers=head)
    assert r.status_code == 201, r.text
    entries = [{"item_code": i["code"], "unit_price": "100.00", "valid_from": "2020-04-01"} for i in items]
    r = await client.post("/price-lists", json={"code": "STD", "name": "Standard", "entries": entries}, headers=head)
    assert r.status_code == 201, r.text
    return [i["code"] for i in items]


async def approved_customer(client: Any, tok: dict[str, dict[str, str]], **kw: Any) -> str:
    r = await client.post("/customers", json=maharashtra_customer(**kw), headers=tok["coord"])
    assert r.status_code == 201, r.text
    customer_id = str(r.json()["customer_id"])
    r = await client.post(f"/customers/{customer_id}/approve", headers=tok["head"])
    assert r.status_code == 200, r.text
    return customer_id


async def publish(harness: ServiceHarness, message: Message, producer: str) -> Envelope:
    envelope = Envelope.wrap(message, producer=producer)
    kafka = AIOKafkaProducer(bootstrap_servers=harness.bootstrap, **kafka_client_options())
    await kafka.start()
    try:
        await kafka.send_and_wait(harness.prefix + events_topic(producer), envelope.to_bytes(),
                                  key=envelope.key.encode(), headers=envelope.headers())
    finally:
        await kafka.stop()
    return envelope


async def read_topic(harness: ServiceHarness, topic: str, timeout_ms: int = 1500) -> list[Message]:
    consumer = AIOKafkaConsumer(harness.prefix + topic, bootstrap_servers=harness.bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False, group_id=None,
                                **kafka_client_options())
    await consumer.start()
    try:
        out: list[Message] = []
        while True:
            batch = await consumer.getmany(timeout_ms=timeout_ms)
            if not batch:
                return out
            for records in batch.values():
                out.extend(decode_bytes(r.value or b"")[1] for r in records)
    finally:
        await consumer.stop()


# --- replies as credit and inventory would publish them -------------------------------------------

WAREHOUSE = Address(name="Ratan Pumps Bhiwandi DC", line1="Gala 4, Mumbai-Nashik Highway", place="Bhiwandi",
                    state_code="27", pincode="421302", gstin="27AAACR5055K1Z7")


def now() -> datetime:
    return datetime.now(UTC)


def approved(order: dict[str, Any], revision: int = 1) -> credit.CreditApproved:
    return sample(credit.CreditApproved).model_copy(update={
        "order_id": order["order_id"], "customer_id": order["customer_id"], "order_revision": revision,
        "decided_at": now()})


def rejected(order: dict[str, Any]) -> credit.CreditRejected:
    return credit.CreditRejected(order_id=order["order_id"], customer_id=order["customer_id"], decided_at=now(),
                                 reason=credit.RejectionReason.REJECTED_BY_FINANCE, rejected_by="fin-head")


def _lines(order: dict[str, Any]) -> list[ReservedLine]:
    return [ReservedLine(line_no=x["line_no"], item_code=x["item_code"],
                         quantity=Quantity(value=Decimal(x["ship_quantity"]), unit=x["unit"]))
            for x in order["lines"]]


def reserved(order: dict[str, Any]) -> inventory.StockReserved:
    return inventory.StockReserved(order_id=order["order_id"], decided_at=now(), allocations=[
        WarehouseAllocation(warehouse_id="WH-MUM-1", warehouse_gstin="27AAACR5055K1Z7", dispatch_from=WAREHOUSE,
                            lines=_lines(order))])


def failed(order: dict[str, Any]) -> inventory.StockReservationFailed:
    return inventory.StockReservationFailed(order_id=order["order_id"], decided_at=now(), shortfalls=[
        Shortfall(line_no=x["line_no"], item_code=x["item_code"],
                  ordered=Quantity(value=Decimal(x["ship_quantity"]), unit=x["unit"]),
                  reserved=Quantity(value=Decimal(0), unit=x["unit"]),
                  short=Quantity(value=Decimal(x["ship_quantity"]), unit=x["unit"]), expected_date=date(2026, 12, 20))
        for x in order["lines"]])
