"""Helpers for inventory's integration tests: tokens, warehouses, items, stock, orders, a raw Kafka producer
(standing in for sales and dispatch) and a raw reader of inventory's events."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from o2c.contracts.catalog import decode_bytes
from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.samples import sample
from o2c.contracts.topics import commands_topic, events_topic
from o2c.contracts.types import Quantity, Uqc
from o2c.contracts.v1.common import Address, OrderLine
from o2c.contracts.v1.dispatch import DispatchedLine, ShipmentDispatched
from o2c.contracts.v1.sales import ItemCreated, OrderConfirmed, ReleaseReservation, ReserveStock
from o2c.inventory.adapters.unit_of_work import SqlUnitOfWork
from o2c.inventory.service_layer.stock import upsert_item
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.scope import record_customer_scope
from o2c.kit.testing import RunningService, ServiceHarness, bearer, wait_for

PNQ = {"code": "PNQ", "name": "Pune DC", "line1": "Plot 7, Bhosari MIDC", "place": "Pune", "state_code": "27",
       "pincode": "411001", "gstin": "27AABCR1718E1ZP"}
AMD = {"code": "AMD", "name": "Ahmedabad DC", "line1": "Shed 4, Naroda GIDC", "place": "Ahmedabad",
       "state_code": "24", "pincode": "380001", "gstin": "24AABCR1718E1ZV"}
BLR = {"code": "BLR", "name": "Bengaluru DC", "line1": "Plot 14, Peenya", "place": "Bengaluru",
       "state_code": "29", "pincode": "560001", "gstin": "29AABCR1718E1ZL"}
BINS = [{"code": "DOCK", "kind": "receiving"}, {"code": "A-01", "kind": "storage"},
        {"code": "A-02", "kind": "storage"}, {"code": "RET", "kind": "returns"}, {"code": "QC", "kind": "quarantine"}]

SHIP_TO = {"590001": ("29", "Belagavi"), "395003": ("24", "Surat"), "400001": ("27", "Mumbai"),
           "411001": ("27", "Pune"), "560001": ("29", "Bengaluru"), "380001": ("24", "Ahmedabad")}


def tokens(issuer: LocalIssuer) -> dict[str, dict[str, str]]:
    return {
        # warehouse staff act only at the warehouses of their claim (without one: nowhere)
        "wh": bearer(issuer, "warehouse_coordinator", warehouse_ids=["PNQ", "AMD", "BLR"]),
        "wh_pnq": bearer(issuer, "warehouse_coordinator", warehouse_ids=["PNQ"]),
        "sales": bearer(issuer, "sales_coordinator", sales_owner="asha"),
        "head": bearer(issuer, "sales_head"),
        "customer": bearer(issuer, "customer", customer_id="cus-1"),
    }


async def add_warehouses(client: Any, tok: dict[str, str], *sites: dict[str, str]) -> None:
    for site in sites or (PNQ, AMD, BLR):
        r = await client.post("/warehouses", json={**site, "bins": BINS}, headers=tok)
        assert r.status_code == 201, r.text


def item_created(code: str, *, batch_tracked: bool = False, stocked: bool = True, lead_time_days: int = 0,
                 revision: int = 1) -> ItemCreated:
    return ItemCreated(item_code=code, name=f"Item {code}", hsn="84137010", unit=Uqc.NOS, product_line="test",
                       batch_tracked=batch_tracked, stocked=stocked, lead_time_days=lead_time_days,
                       gst_rate=Decimal("18"), revision=revision, created_at=datetime.now(UTC))


async def seed_items(svc: RunningService, *codes: str, batch_tracked: bool = False, lead_time_days: int = 0) -> None:
    async with svc.runtime.sessions() as session, session.begin():
        uow = SqlUnitOfWork(session)
        for code in codes:
            await upsert_item(uow, item_created(code, batch_tracked=batch_tracked, lead_time_days=lead_time_days))


async def own_customer(svc: RunningService, customer_id: str = "cus-1", sales_owner: str = "asha") -> None:
    """Inventory's replica of the customer scope, as CustomerApproved would leave it: the coordinator token
    ("sales", owner asha) may then read this customer's reservations and backorders."""
    async with svc.runtime.sessions() as session, session.begin():
        await record_customer_scope(session, customer_id, sales_owner, [], 1)


async def put_stock(client: Any, tok: dict[str, str], warehouse: str, item: str, quantity: str | int,
                    bin_code: str = "A-01", batch_no: str | None = None, expiry: date | None = None) -> None:
    receipt: dict[str, Any] = {"warehouse_id": warehouse, "item_code": item, "quantity": str(quantity),
                               "bin_code": "DOCK"}
    if batch_no:
        receipt |= {"batch_no": batch_no, "expiry_date": expiry.isoformat() if expiry else None}
    r = await client.post("/stock/receipts", json=receipt, headers=tok)
    assert r.status_code == 201, r.text
    r = await client.post("/stock/putaways", json={"warehouse_id": warehouse, "item_code": item,
                                                   "quantity": str(quantity), "from_bin": "DOCK",
                                                   "to_bin": bin_code, "batch_no": batch_no}, headers=tok)
    assert r.status_code == 201, r.text


def order(order_id: str, lines: list[tuple[str, int]], ship_to_pincode: str = "411001",
          customer_id: str = "cus-1") -> OrderConfirmed:
    state, place = SHIP_TO.get(ship_to_pincode, ("27", "Pune"))
    base = sample(OrderConfirmed)
    ship_to = Address(name="Buyer", line1="1 Main Road", place=place, state_code=state, pincode=ship_to_pincode)
    order_lines = [OrderLine(line_no=i, item_code=code, item_name=code, hsn="84137010",
                             quantity=Quantity(value=Decimal(q), unit=Uqc.NOS), unit_price=Decimal("100.00"),
                             taxable_value=Decimal(q * 100), gst_rate=Decimal("18"), promised_date=date(2026, 12, 31))
                   for i, (code, q) in enumerate(lines, start=1)]
    return base.model_copy(update={"order_id": order_id, "order_no": order_id.upper(), "customer_id": customer_id,
                                   "ship_to": ship_to, "lines": order_lines, "place_of_supply": state,
                                   "confirmed_at": datetime.now(UTC)})


def release(order_id: str, request_id: str) -> ReleaseReservation:
    return ReleaseReservation(order_id=order_id, request_id=request_id, reason="credit rejected",
                              requested_at=datetime.now(UTC))


def reserve_more(order_id: str, request_id: str, lines: list[tuple[int, str, int]], pincode: str = "411001",
                 exclude_bins: list[str] | None = None) -> ReserveStock:
    from o2c.contracts.v1.common import LineQuantity

    return ReserveStock(order_id=order_id, request_id=request_id, reason="backorder retry",
                        requested_at=datetime.now(UTC), ship_to_pincode=pincode, exclude_bins=exclude_bins or [],
                        lines=[LineQuantity(line_no=n, item_code=c, quantity=Quantity(value=Decimal(q), unit=Uqc.NOS))
                               for n, c, q in lines])


def dispatched(order_id: str, shipment_id: str, warehouse: str, lines: list[tuple[int, str, int]]
               ) -> ShipmentDispatched:
    base = sample(ShipmentDispatched)
    return base.model_copy(update={
        "order_id": order_id, "shipment_id": shipment_id, "warehouse_id": warehouse,
        "lines": [DispatchedLine(line_no=n, item_code=c, quantity=Quantity(value=Decimal(q), unit=Uqc.NOS))
                  for n, c, q in lines],
        "dispatched_at": datetime.now(UTC)})


async def publish(harness: ServiceHarness, messages: list[Message], producer_name: str = "sales") -> None:
    producer = AIOKafkaProducer(bootstrap_servers=harness.bootstrap, enable_idempotence=True, **kafka_client_options())
    await producer.start()
    try:
        for message in messages:
            envelope = Envelope.wrap(message, producer=producer_name)
            topic = commands_topic("inventory") if envelope.kind == "command" else events_topic(producer_name)
            await producer.send_and_wait(harness.prefix + topic, envelope.to_bytes(), key=envelope.key.encode(),
                                         headers=envelope.headers())
    finally:
        await producer.stop()


class Reader:
    """Reads inventory's events topic from the start, decoding every message."""

    def __init__(self, harness: ServiceHarness) -> None:
        self.harness = harness
        self.seen: list[Message] = []
        self._consumer: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> Reader:
        self._consumer = AIOKafkaConsumer(
            self.harness.prefix + events_topic("inventory"), bootstrap_servers=self.harness.bootstrap,
            auto_offset_reset="earliest", enable_auto_commit=False, group_id=None, **kafka_client_options())
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    async def poll(self) -> list[Message]:
        assert self._consumer is not None
        batch = await self._consumer.getmany(timeout_ms=100)
        for records in batch.values():
            self.seen.extend(decode_bytes(r.value or b"")[1] for r in records)
        return self.seen

    def of(self, order_id: str, *types: str) -> list[Message]:
        return [m for m in self.seen if getattr(m, "order_id", None) == order_id and (not types or m.TYPE in types)]

    async def wait(self, order_id: str, *types: str, count: int = 1, timeout: float = 30.0) -> list[Message]:
        async def probe() -> list[Message] | None:
            await self.poll()
            found = self.of(order_id, *types)
            return found if len(found) >= count else None
        return await wait_for(probe, timeout=timeout, what=f"{count} x {types} for {order_id}")

    async def quiet(self, seconds: float = 1.5) -> list[Message]:
        """Keep reading for a while (to show that nothing more arrives)."""
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            await self.poll()
        return self.seen


async def scalar(svc: RunningService, sql: str, **params: Any) -> Any:
    import sqlalchemy as sa

    async with svc.runtime.sessions() as session:
        return (await session.execute(sa.text(sql), params)).scalar()
