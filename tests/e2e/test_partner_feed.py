"""Issue 22's acceptance, end to end: a partner's reference subscriber (examples/partner-subscriber, FastStream) run as
a process against the real broker with the partner's own SCRAM credentials receives its customers' orders from
confirmation to dispatch and closing, and nothing of another customer's; with those credentials the broker refuses
it the internal topics and another partner's topic, and it refuses a client without credentials.

All seven services and both portal sandboxes run as processes (real Kafka, real PostgreSQL); every step is driven
over HTTP by the person who does it. The partners are onboarded by the SRE's command (`deploy/local/stack.sh partner
add`: user, topic on this run's prefix, grants; no service creates a topic). The story: the sales head binds Bhosari
Engineering to the EDI partner `acme` and Chakan Fabricators to another partner, `globex`. Each buys hex bolts from
Pune stock; both orders are released, picked, invoiced, e-way-billed where the value needs it, gated out and closed.
Acme's subscriber records Bhosari's order status by status, in order, and never hears of Chakan's order, which went
to globex's topic alone.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from o2c.contracts.catalog import decode_bytes
from o2c.contracts.topics import events_topic, partner_topic
from o2c.contracts.v1.partner import (
    PartnerEwayBillGenerated,
    PartnerOrderClosed,
    PartnerOrderConfirmed,
    PartnerOrderInvoiced,
    PartnerShipmentDispatched,
)
from o2c.india.gstin import gstin_check_character
from o2c.kit import testing
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.kafka_security import KafkaSecurity, kafka_client_options
from o2c.testsupport.process_chain import ProcessChain, running_chain
from o2c.testsupport.waits import end_offsets, records_on
from partner_subscriber.settings import Settings
from partner_subscriber.store import OrderBook

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

D = Decimal
HOP = 90.0  # seconds for one hop of the chain on a loaded two-core machine
STACK_SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "local" / "stack.sh"
COMPANY_PAN = "AAKCS4719M"
BOLT = {"code": "FAS-HB-M16X80-88ZP", "name": "Hex Bolt M16 x 80 mm Gr 8.8 Zinc Plated (Box of 25)",
        "hsn": "73181500", "unit": "BOX", "product_line": "FAS"}
SETTINGS = {"sales": {"atp_timeout_seconds": "5.0", "saga_tick_seconds": "0.5"},
            "invoicing": {"irn_poll_seconds": "0.1", "irn_retry_seconds": "0.5", "pdf_poll_seconds": "0.5"}}


def gstin(state: str, pan: str) -> str:
    head = f"{state}{pan}1Z"
    return head + gstin_check_character(head)


@dataclass
class Partner:
    """A partner as the onboarding made it: its topic on this run's prefix, its credentials (the subscriber's
    environment, as the onboarding's file gives it) and a consumer group of its own."""

    name: str
    topic: str
    group: str
    credentials: dict[str, str]

    def client_options(self) -> dict[str, Any]:
        """aiokafka's options for this partner, from the same settings the reference subscriber reads."""
        settings = Settings.from_env(self.credentials)
        return KafkaSecurity(security_protocol="SASL_PLAINTEXT", sasl_username=settings.username,
                             sasl_password=settings.password).client_options()  # type: ignore[arg-type]


@pytest.fixture
async def chain(scratch_databases: testing.TestDatabases, kafka_bootstrap: str, redis_url: str, jwks_file: str,
                issuer: LocalIssuer, run_prefix: str, tmp_path: Path) -> AsyncIterator[ProcessChain]:
    async with running_chain(scratch_databases, kafka_bootstrap, redis_url, jwks_file, tmp_path, issuer,
                             run_prefix=run_prefix, settings=SETTINGS, patience=HOP) as chain:
        yield chain


def onboard(name: str, topic_prefix: str) -> dict[str, str]:
    """The SRE's command: the partner's SCRAM user, its topic under this run's prefix, its grants; the credentials
    file it prints is what the partner is handed."""
    done = subprocess.run(["bash", str(STACK_SCRIPT), "partner", "add", name, "--topic-prefix", topic_prefix],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    credentials = Path(done.stdout.strip().splitlines()[-1])
    return dict(line.split("=", 1) for line in credentials.read_text().splitlines()
                if "=" in line and not line.startswith("#"))


@pytest.fixture
async def partners(chain: ProcessChain) -> dict[str, Partner]:
    """Two partners onboarded for this run (services create no topic)."""
    made: dict[str, Partner] = {}
    for name in ("acme", "globex"):
        credentials = await asyncio.to_thread(onboard, name, chain.prefix)
        made[name] = Partner(name, chain.prefix + partner_topic(name), f"partner-{name}.{uuid.uuid4().hex[:6]}",
                             credentials)
        assert credentials["O2C_PARTNER_USERNAME"] == f"partner-{name}" and credentials["O2C_PARTNER_PASSWORD"]
    return made


@dataclass
class Subscriber:
    """The reference subscriber as a partner runs it: `python -m partner_subscriber` with its environment."""

    proc: asyncio.subprocess.Process
    book: OrderBook
    log: Path

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:]) if self.log.exists() else ""


@pytest.fixture
async def acme_subscriber(chain: ProcessChain, partners: dict[str, Partner],
                          tmp_path: Path) -> AsyncIterator[Subscriber]:
    acme = partners["acme"]
    store, log = tmp_path / "acme-orders.sqlite3", tmp_path / "acme-subscriber.log"
    # Only what the partner was handed (no o2c variable of the stack, no test credentials), its group and store.
    handed = {k: v for k, v in acme.credentials.items() if k.startswith("O2C_PARTNER_")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("O2C_")} | handed | {
        "O2C_PARTNER_GROUP": acme.group, "O2C_PARTNER_STORE": str(store)}
    assert handed["O2C_PARTNER_TOPIC_PREFIX"] == chain.prefix
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "partner_subscriber", env=env,
                                                    stdout=out, stderr=out)
    subscriber = Subscriber(proc, OrderBook(store), log)
    try:
        yield subscriber
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()


# --- the people and their steps ---------------------------------------------------------------------------


@dataclass
class People:
    head: dict[str, str]
    coordinator: dict[str, str]
    warehouse: dict[str, str]
    picker: dict[str, str]
    supervisor: dict[str, str]
    finance_head: dict[str, str]


def people(chain: ProcessChain) -> People:
    pnq = {"warehouse_ids": ["PNQ"]}
    return People(head=chain.who("SH01", "sales_head"),
                  coordinator=chain.who("SC01", "sales_coordinator", sales_owner="SC01"),
                  warehouse=chain.who("WC-PNQ", "warehouse_coordinator", **pnq),
                  picker=chain.who("PK-PNQ-1", "picker", **pnq),
                  supervisor=chain.who("DS-PNQ", "dispatch_supervisor", **pnq),
                  finance_head=chain.who("FH01", "finance_head", approval_limit="10000000"))


async def open_pune_with_bolts(chain: ProcessChain, p: People) -> None:
    bins = [{"code": "RCV-01", "kind": "receiving"}, {"code": "A-01-01"}]
    await chain.call("inventory", "POST", "/warehouses", p.warehouse, expect=201, json={
        "code": "PNQ", "name": "Pune (Chakan) warehouse", "line1": "Gat No. 214, Chakan MIDC Phase II",
        "place": "Chakan", "district": "Pune", "state_code": "27", "pincode": "410501",
        "gstin": gstin("27", COMPANY_PAN), "bins": bins})
    await chain.call("sales", "POST", "/gst-rates", p.head, expect=201,
                     json={"hsn_prefix": BOLT["hsn"], "rate": "18", "effective_from": "2025-09-22"})
    await chain.call("sales", "POST", "/items", p.head, json=[BOLT], expect=201)
    await chain.call("sales", "POST", "/price-lists", p.head, expect=201, json={
        "code": "STD", "name": "Standard FY 2026-27", "entries": [
            {"item_code": BOLT["code"], "unit_price": "1500.00", "valid_from": "2026-04-01",
             "valid_to": "2027-03-31"}]})

    async def known() -> bool:
        atp = await chain.call("inventory", "GET", "/atp", p.warehouse, params={"items": BOLT["code"]})
        return bool(atp["items"][0]["known"])

    await chain.until("inventory to learn the item from ItemCreated", known)
    key = uuid.uuid4().hex
    move = {"warehouse_id": "PNQ", "item_code": BOLT["code"], "quantity": "100", "reference": "GRN-1"}
    await chain.call("inventory", "POST", "/stock/receipts", p.warehouse, expect=201,
                     headers={"Idempotency-Key": key + "-r"}, json={**move, "bin_code": "RCV-01"})
    await chain.call("inventory", "POST", "/stock/putaways", p.warehouse, expect=201,
                     headers={"Idempotency-Key": key + "-p"}, json={**move, "from_bin": "RCV-01", "to_bin": "A-01-01"})


async def customer_served_by(chain: ProcessChain, p: People, code: str, pan: str, partner: str) -> str:
    """A Pune buyer registered and approved, and the sales head's binding: `partner` serves it."""
    created = await chain.call("sales", "POST", "/customers", p.coordinator, expect=201, json={
        "code": code, "legal_name": f"{code.title()} Engineering Private Limited", "pan": pan,
        "gst_category": "registered", "payment_terms_days": 30, "price_list_code": "STD", "sales_owner": "SC01",
        "ship_policy": "ship_partial", "shortage_policy": "backorder", "requested_credit_limit": "1000000.00",
        "addresses": [{"address_id": "BILL", "name": f"{code.title()} Engineering", "line1": "Plot J-147, MIDC",
                       "place": "Pune", "district": "Pune", "state_code": "27", "pincode": "411026",
                       "gstin": gstin("27", pan)}],
        "contacts": [{"name": "Purchase desk", "email": f"purchase@{code.lower()}.example", "channels": ["email"]}]})
    customer_id: str = created["customer_id"]
    await chain.call("sales", "POST", f"/customers/{customer_id}/approve", p.head)
    served = await chain.call("sales", "PUT", f"/customers/{customer_id}/partners", p.head,
                              json={"partner_ids": [partner]})
    assert served["partner_ids"] == [partner]
    assert any(a["field"] == "partner_ids" and a["who"] == "SH01" for a in served["audit"]), "the binding is audited"

    async def profile() -> bool:
        async with chain.client("credit", **p.finance_head) as client:
            found = await client.get(f"/credit-profiles/{customer_id}")
        return found.status_code == 200 and bool(found.json().get("credit_profile"))

    await chain.until("credit to open the profile from CustomerApproved", profile)
    return customer_id


async def place_order(chain: ProcessChain, p: People, customer_id: str, quantity: str) -> dict[str, Any]:
    quotation = await chain.call("sales", "POST", "/quotations", p.coordinator, expect=201, json={
        "customer_id": customer_id, "ship_to_id": "BILL", "lines": [{"item_code": BOLT["code"], "quantity": quantity}]})
    order: dict[str, Any] = await chain.call(
        "sales", "POST", f"/quotations/{quotation['quotation_id']}/orders", p.coordinator, expect=201,
        json={"customer_po_no": f"PO/{customer_id[-4:]}"}, headers={"Idempotency-Key": uuid.uuid4().hex})
    return order


async def ship_and_close(chain: ProcessChain, p: People, order_id: str, lr_no: str) -> dict[str, Any]:
    """Release, pick everything, Part B, the documents, gate-out, the order closed; returns the invoice."""
    async def pick_list() -> dict[str, Any] | None:
        lists = await chain.call("dispatch", "GET", "/pick-lists", p.picker,
                                 params={"warehouse": "PNQ", "status": "open"})
        return next((x for x in lists if x["order_id"] == order_id), None)

    found = await chain.until(f"order {order_id} released and its pick list issued", pick_list)
    for line in found["lines"]:
        await chain.call("dispatch", "POST", f"/pick-lists/{found['pick_list_id']}/lines/{line['line_no']}/confirm",
                         p.picker, json={"picked": line["quantity"], "bin_code": line["bin_code"]})
    shipment_id = found["shipment_id"]
    await chain.call("dispatch", "POST", f"/shipments/{shipment_id}/dispatch-details", p.supervisor, json={
        "mode": "road", "vehicle_no": "MH12AB1234", "vehicle_type": "R", "driver_name": "Balasaheb Shinde",
        "driver_phone": "+919097760055", "transporter_id": "88AAFCD4512K1ZX",
        "transporter_name": "Deccan Roadways Private Limited", "lr_no": lr_no, "lr_date": date.today().isoformat()})

    async def documents() -> dict[str, Any] | None:
        shipment: dict[str, Any] = await chain.call("dispatch", "GET", f"/shipments/{shipment_id}", p.supervisor)
        return shipment if not shipment["waiting_for"] else None

    shipment = await chain.until(f"shipment {shipment_id} to hold its invoice and e-way bill decision", documents)
    await chain.call("dispatch", "POST", f"/shipments/{shipment_id}/gate-out", p.supervisor)

    async def closed() -> bool:
        order = await chain.call("sales", "GET", f"/orders/{order_id}", p.coordinator)
        return bool(order["status"] == "closed")

    await chain.until(f"order {order_id} closed (dispatched and notified)", closed)
    invoice: dict[str, Any] = shipment["invoice"]
    return invoice


async def statuses_on(bootstrap: str, topic: str) -> list[Any]:
    """Every partner status on a topic, decoded as a partner's system would (test-side reader, the test's user)."""
    ends = {tp: end for tp, end in (await end_offsets(bootstrap, [topic])).items() if end > 0}
    if not ends:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **kafka_client_options())
    await consumer.start()
    found: list[Any] = []
    try:
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for records in (await consumer.getmany(timeout_ms=1000)).values():
                found.extend(decode_bytes(r.value)[1] for r in records if r.value is not None)
    finally:
        await consumer.stop()
    return found


# --- the story ------------------------------------------------------------------------------------------------


async def test_a_partners_subscriber_receives_its_customers_orders_from_confirmation_to_dispatch_and_no_others(
        chain: ProcessChain, partners: dict[str, Partner], acme_subscriber: Subscriber) -> None:
    p = people(chain)
    await open_pune_with_bolts(chain, p)
    bhosari = await customer_served_by(chain, p, "BHOSARI", "AAFCB5862R", "acme")
    chakan = await customer_served_by(chain, p, "CHAKAN", "AAGCC7314K", "globex")
    await chain.caught_up("notify")  # notify holds both bindings before any order is placed

    ours = await place_order(chain, p, bhosari, "40")  # ₹70,800 with GST: an e-way bill is needed
    theirs = await place_order(chain, p, chakan, "10")  # ₹17,700: none
    invoice = await ship_and_close(chain, p, ours["order_id"], "DRW/245001")
    await ship_and_close(chain, p, theirs["order_id"], "DRW/245002")

    # Acme's subscriber holds Bhosari's order, every status in the order it happened.
    expected = ["PartnerOrderConfirmed", "PartnerOrderReleased", "PartnerOrderInvoiced", "PartnerEwayBillGenerated",
                "PartnerShipmentDispatched", "PartnerOrderClosed"]

    async def whole_story() -> list[str] | None:
        if acme_subscriber.proc.returncode is not None:
            raise AssertionError(f"the subscriber exited:\n{acme_subscriber.tail()}")
        history = acme_subscriber.book.history(ours["order_id"])
        return history if history[-1:] == ["PartnerOrderClosed"] else None

    assert await chain.until("acme's subscriber to record the order closed", whole_story) == expected
    [order] = [o for o in acme_subscriber.book.orders() if o.order_id == ours["order_id"]]
    assert (order.order_no, order.customer_id, order.status) == (ours["number"], bhosari, "closed")

    # What the partner read is what the customer may see: its order, invoice and e-way bill, the vehicle.
    acme_feed = await statuses_on(chain.bootstrap, partners["acme"].topic)
    confirmed = next(s for s in acme_feed if isinstance(s, PartnerOrderConfirmed))
    assert (confirmed.customer_po_no, D(confirmed.gross_value)) == (f"PO/{bhosari[-4:]}", D("70800"))
    invoiced = next(s for s in acme_feed if isinstance(s, PartnerOrderInvoiced))
    assert (invoiced.invoice_no, D(invoiced.amount)) == (invoice["invoice_no"], D("70800"))
    ewaybill = next(s for s in acme_feed if isinstance(s, PartnerEwayBillGenerated))
    assert len(ewaybill.ewaybill_no) == 12 and ewaybill.valid_until is not None
    dispatched = next(s for s in acme_feed if isinstance(s, PartnerShipmentDispatched))
    assert (dispatched.vehicle_no, dispatched.lr_no) == ("MH12AB1234", "DRW/245001")
    assert dispatched.expected_delivery_date is not None

    # Chakan's order went to globex's topic, whole; once it is there notify has sent all it ever will of it (its
    # closing comes after everything notify told of the order), and once acme's subscriber holds every record of its
    # topic (each a message id of its own), what it holds is all it will ever hold: nothing of Chakan's.
    async def globex_closed() -> list[Any] | None:
        feed = await statuses_on(chain.bootstrap, partners["globex"].topic)
        return feed if any(isinstance(s, PartnerOrderClosed) for s in feed) else None

    globex_feed = await chain.until("globex's topic to hold Chakan's order closed", globex_closed)
    assert {s.customer_id for s in globex_feed} == {chakan}
    assert [type(s).__name__ for s in globex_feed] == [
        "PartnerOrderConfirmed", "PartnerOrderReleased", "PartnerOrderInvoiced", "PartnerShipmentDispatched",
        "PartnerOrderClosed"]  # no e-way bill below the threshold
    async def read_to_the_end() -> bool:
        held = sum(len(acme_subscriber.book.history(o.order_id)) for o in acme_subscriber.book.orders())
        return held == await records_on(chain.bootstrap, [partners["acme"].topic])

    await chain.until("acme's subscriber to hold every record of its topic", read_to_the_end)
    assert {s.customer_id for s in await statuses_on(chain.bootstrap, partners["acme"].topic)} == {bhosari}
    assert {o.customer_id for o in acme_subscriber.book.orders()} == {bhosari}
    assert acme_subscriber.book.history(theirs["order_id"]) == []

    # With its own credentials the partner reads nothing but its topic: not o2c's internal topics, not globex's,
    # not in globex's consumer groups; and a client without credentials is refused outright.
    acme = partners["acme"]
    refused_topics = [chain.prefix + events_topic("sales"), chain.prefix + events_topic("notify"),
                      partners["globex"].topic]
    for topic in refused_topics:
        with pytest.raises(TopicAuthorizationFailedError):
            await read_as(chain.bootstrap, topic, acme.client_options())
    with pytest.raises(GroupAuthorizationFailedError):
        await read_as(chain.bootstrap, acme.topic, acme.client_options(), group=f"partner-globex.{uuid.uuid4().hex}")
    assert await read_as(chain.bootstrap, acme.topic, acme.client_options(), group=f"{acme.group}.probe")
    anonymous = AIOKafkaAdminClient(bootstrap_servers=chain.bootstrap, request_timeout_ms=5000)
    with pytest.raises((KafkaConnectionError, KafkaError, asyncio.TimeoutError)):
        await asyncio.wait_for(anonymous.start(), 20)
        await asyncio.wait_for(anonymous.list_topics(), 20)
    await anonymous.close()


async def read_as(bootstrap: str, topic: str, options: dict[str, Any], group: str | None = None) -> list[bytes]:
    """A few seconds of the topic from its start as the given user (and group); raises what the broker refuses."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                                enable_auto_commit=False, request_timeout_ms=10000, **options)
    try:
        await consumer.start()
        batches = await consumer.getmany(timeout_ms=5000)
        if group is not None:
            await consumer.commit()  # the group's right is exercised too, not only the topic's
        return [r.value or b"" for records in batches.values() for r in records]
    finally:
        await consumer.stop()
