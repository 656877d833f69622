"""Dispatch on the real stack: its own database, the broker under a per-test prefix; input events sent by a
raw producer as sales, invoicing and ewaybill would send them; outputs read from the dispatch events topic."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from o2c.contracts.catalog import decode_bytes
from o2c.contracts.envelope import Envelope, Message
from o2c.contracts.topics import events_topic
from o2c.contracts.v1 import dispatch as v1
from o2c.dispatch.app import DEFINITION
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.testing import RunningService, ServiceHarness, bearer, wait_for
from o2c.testsupport.dispatch import dispatch_builders as b
from o2c.testsupport.waits import records_on, settled, until
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.integration

WH = b.WAREHOUSE


class Outputs:
    """Everything dispatch published in this test, decoded, collected in the background."""

    def __init__(self, harness: ServiceHarness) -> None:
        self.bootstrap, self.topic = harness.bootstrap, harness.prefix + events_topic("dispatch")
        self.consumer = AIOKafkaConsumer(
            self.topic, bootstrap_servers=harness.bootstrap,
            auto_offset_reset="earliest", enable_auto_commit=False, group_id=None, **kafka_client_options()
        )
        self.messages: list[Message] = []
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for record in self.consumer:
            self.messages.append(decode_bytes(record.value or b"")[1])

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.consumer.stop()

    def of(self, kind: type[Any]) -> list[Any]:
        return [m for m in self.messages if isinstance(m, kind)]

    async def settled(self, service: RunningService) -> None:
        """Dispatch handled everything sent so far and published all it caused, and this reader has read it all:
        what `of` returns now is everything dispatch will publish about it."""
        await settled(service)
        total = await records_on(self.bootstrap, [self.topic])

        async def read_all() -> bool:
            return len(self.messages) >= total

        await until(read_all, what=f"the reader to see all {total} dispatch events")

    async def wait(self, kind: type[Any], count: int = 1) -> list[Any]:
        async def enough() -> list[Any]:
            found = self.of(kind)
            return found if len(found) >= count else []

        return await wait_for(enough, what=f"{count} {kind.__name__}")


async def send(harness: ServiceHarness, *messages: Message, producer: str) -> None:
    kafka = AIOKafkaProducer(bootstrap_servers=harness.bootstrap, **kafka_client_options())
    await kafka.start()
    try:
        for message in messages:
            envelope = Envelope.wrap(message, producer=producer)
            topic = message.TOPIC  # o2c.<producer>.events.v1 or o2c.dispatch.commands.v1
            await kafka.send_and_wait(harness.prefix + topic, envelope.to_bytes(), key=envelope.key.encode(),
                                      headers=envelope.headers())
    finally:
        await kafka.stop()


async def scalar(harness: ServiceHarness, sql: str) -> Any:
    url = make_url(harness.urls["dispatch"]).set(drivername="postgresql")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


@pytest.fixture
async def dispatch(harness: ServiceHarness) -> AsyncIterator[tuple[RunningService, Outputs]]:
    service = await harness.start(DEFINITION)
    outputs = Outputs(harness)
    await outputs.start()
    yield service, outputs
    await outputs.stop()


def picker(issuer: LocalIssuer, warehouse: str = WH) -> dict[str, str]:
    return bearer(issuer, "picker", warehouse_ids=[warehouse])


def supervisor(issuer: LocalIssuer) -> dict[str, str]:
    return bearer(issuer, "dispatch_supervisor", warehouse_ids=[WH])


async def pick_list_of(service: RunningService, issuer: LocalIssuer, pick_list_id: str) -> dict[str, Any]:
    async with service.client(**picker(issuer)) as client:
        async def probe() -> dict[str, Any] | None:
            response = await client.get(f"/pick-lists/{pick_list_id}")
            return response.json() if response.status_code == 200 else None

        return await wait_for(probe, what=f"pick list {pick_list_id}")


async def test_release_to_gate_out(harness: ServiceHarness, dispatch: tuple[RunningService, Outputs],
                                   issuer: LocalIssuer) -> None:
    service, outputs = dispatch
    await send(harness, b.release("ord-1", "shp-1"), producer="sales")

    pick_list = await pick_list_of(service, issuer, "pl-shp-1")
    assert [(ln["line_no"], ln["bin_code"], ln["order_line_no"], ln["quantity"]) for ln in pick_list["lines"]] == [
        (1, "A-2-3", 1, "40"), (2, "A-10-1", 2, "480"), (3, "B-10-1", 1, "60")]
    [issued] = await outputs.wait(v1.PickListIssued)
    assert [line.bin_code for line in issued.lines] == ["A-2-3", "A-10-1", "B-10-1"]

    async with service.client(**picker(issuer)) as client:
        for line_no, body in [
            (1, {"picked": "40", "bin_code": "A-2-3", "batch_no": "TEA-2603-B6"}),
            (2, {"picked": "470", "bin_code": "A-10-1", "short_reason": "bin_short", "note": "10 crushed"}),
        ]:
            response = await client.post(f"/pick-lists/pl-shp-1/lines/{line_no}/confirm", json=body)
            assert response.status_code == 200, response.text
    confirmed = await outputs.wait(v1.PickConfirmed, 2)
    short = next(c for c in confirmed if c.line_no == 2)
    assert (short.requested.value, short.picked.value, short.short.value) == (480, 470, 10)
    assert short.short_bins == ["A-10-1"] and short.short_reason.startswith("bin_short")

    async with service.client(**supervisor(issuer)) as client:
        response = await client.post("/shipments/shp-1/dispatch-details", json=b.DETAILS)
        assert response.status_code == 200, response.text
        assert response.json()["queue"] == "picking"
        again = await client.post("/shipments/shp-1/dispatch-details", json=b.DETAILS)  # the same once more
        assert again.status_code == 200
        other = await client.post("/shipments/shp-1/dispatch-details", json={**b.DETAILS, "vehicle_no": "KA01AB1234"})
        assert other.status_code == 409

    async with service.client(**picker(issuer)) as client:
        response = await client.post("/pick-lists/pl-shp-1/lines/3/confirm",
                                     json={"picked": "60", "bin_code": "B-10-1"})
        assert response.status_code == 200, response.text

    [ready] = await outputs.wait(v1.ShipmentReady)
    assert {line.line_no: line.quantity.value for line in ready.lines} == {1: 100, 2: 470}
    assert {line.line_no: line.released_quantity.value for line in ready.lines} == {1: 100, 2: 480}
    transport = ready.transport
    assert (transport.vehicle_no, transport.transporter_id, transport.transporter_name, transport.lr_no,
            transport.distance_km, transport.driver_phone) == (
        "MH12AB1234", "29AABCR1718E1ZL", "Reliable Roadways", "LR/2026/0042", 350, "9845012345")

    async with service.client(**supervisor(issuer)) as client:
        queue = await client.get("/shipments", params={"status": "waiting_for_documents"})
        assert [s["shipment_id"] for s in queue.json()] == ["shp-1"]
        refused = await client.post("/shipments/shp-1/gate-out")
        assert refused.status_code == 409
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "invoice" in refused.json()["detail"] and refused.json()["waiting_for"] == ["invoice", "ewaybill"]

        await send(harness, b.invoice("ord-1", "shp-1", {1: 100, 2: 470}), producer="invoicing")

        async def invoiced() -> bool:
            return (await client.get("/shipments/shp-1")).json()["status"] == "invoiced"

        await wait_for(invoiced, what="the invoice recorded")
        still = await client.post("/shipments/shp-1/gate-out")
        assert still.status_code == 409 and still.json()["waiting_for"] == ["ewaybill"]

        await send(harness, b.ewaybill_rejected("ord-1", "shp-1"), producer="ewaybill")

        async def rejection_shown() -> bool:
            return (await client.get("/shipments/shp-1")).json()["ewaybill_rejection"] is not None

        await wait_for(rejection_shown, what="the e-way bill rejection shown")
        assert (await client.post("/shipments/shp-1/gate-out")).status_code == 409

        await send(harness, b.ewaybill("ord-1", "shp-1"), producer="ewaybill")

        async def ready_for_gate() -> bool:
            return (await client.get("/shipments/shp-1")).json()["queue"] == "ready_for_gate"

        await wait_for(ready_for_gate, what="the shipment ready for the gate")
        gate = await client.post("/shipments/shp-1/gate-out")
        assert gate.status_code == 200, gate.text
        assert gate.json()["status"] == "dispatched"
        assert (await client.post("/shipments/shp-1/gate-out")).status_code == 200  # a repeat changes nothing

        change = await client.post("/shipments/shp-1/vehicle", json={
            **b.DETAILS, "vehicle_no": "KA01AB1234", "reason": "breakdown", "from_place": "Hubballi",
            "from_state_code": "29", "remarks": "axle broke"})
        assert change.status_code == 200, change.text

    [dispatched] = await outputs.wait(v1.ShipmentDispatched)
    assert (dispatched.invoice_id, dispatched.ewaybill_no) == ("inv-1", b.ewaybill("o", "s").ewaybill_no)
    [changed] = await outputs.wait(v1.VehicleChanged)
    assert (changed.previous_vehicle_no, changed.transport.vehicle_no) == ("MH12AB1234", "KA01AB1234")
    await outputs.settled(service)
    assert len(outputs.of(v1.ShipmentDispatched)) == 1


async def test_the_same_release_twice_gives_one_pick_list(harness: ServiceHarness,
                                                          dispatch: tuple[RunningService, Outputs],
                                                          issuer: LocalIssuer) -> None:
    service, outputs = dispatch
    release = b.release("ord-2", "shp-2")
    await send(harness, release, release, producer="sales")  # two envelopes, two message ids
    await pick_list_of(service, issuer, "pl-shp-2")
    await outputs.wait(v1.PickListIssued)
    await wait_for(lambda: _handled(service, 2), what="both deliveries handled")
    await outputs.settled(service)
    assert len(outputs.of(v1.PickListIssued)) == 1
    assert await scalar(harness, "SELECT count(*) FROM shipment") == 1
    async with service.client(**picker(issuer)) as client:
        listed = await client.get("/pick-lists", params={"warehouse": WH, "status": "open"})
        assert [p["pick_list_id"] for p in listed.json()] == ["pl-shp-2"]


async def _handled(service: RunningService, count: int) -> bool:
    consumer = service.runtime.consumer
    return bool(consumer and consumer.handled >= count)


async def test_guards_scope_and_vehicle_format(harness: ServiceHarness, dispatch: tuple[RunningService, Outputs],
                                               issuer: LocalIssuer) -> None:
    service, _ = dispatch
    await send(harness, b.release("ord-3", "shp-3"), producer="sales")
    await pick_list_of(service, issuer, "pl-shp-3")
    async with service.client(**picker(issuer, "WH-PNQ-1")) as client:
        assert (await client.get("/pick-lists/pl-shp-3")).status_code == 403
        forbidden = await client.post("/pick-lists/pl-shp-3/lines/1/confirm", json={"picked": "40"})
        assert forbidden.status_code == 403
        assert (await client.get("/pick-lists", params={"warehouse": WH})).status_code == 403
        assert (await client.get("/pick-lists")).json() == []  # only its own warehouse
    async with service.client(**picker(issuer)) as client:
        assert (await client.post("/shipments/shp-3/dispatch-details", json=b.DETAILS)).status_code == 403

    async with service.client(**supervisor(issuer)) as client:
        bad = await client.post("/shipments/shp-3/dispatch-details", json={**b.DETAILS, "vehicle_no": "12MHAB1234"})
        assert bad.status_code == 422
        problem = bad.json()
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert problem["code"] == "304" and problem["errors"][0]["field"] == "vehicle_no"
        missing = await client.post("/shipments/shp-3/dispatch-details", json={**b.DETAILS, "vehicle_no": None})
        assert missing.status_code == 422 and missing.json()["code"] == "303"
        too_far = await client.post("/shipments/shp-3/dispatch-details", json={**b.DETAILS, "distance_km": 900})
        assert too_far.status_code == 422 and too_far.json()["errors"][0]["field"] == "distance_km"
        shown = (await client.get("/shipments/shp-3")).json()
        assert shown["dispatch_details"] is None and shown["queue"] == "waiting_for_vehicle"
    assert await scalar(harness, "SELECT version FROM shipment WHERE shipment_id = 'shp-3'") == 1
    assert await scalar(harness, "SELECT count(*) FROM outbox WHERE type <> 'PickListIssued'") == 0


async def test_cancel_pick_list_before_and_after_gate_out(harness: ServiceHarness,
                                                          dispatch: tuple[RunningService, Outputs],
                                                          issuer: LocalIssuer) -> None:
    service, outputs = dispatch
    await send(harness, b.release("ord-4", "shp-4"), producer="sales")
    await pick_list_of(service, issuer, "pl-shp-4")
    async with service.client(**picker(issuer)) as client:
        response = await client.post("/pick-lists/pl-shp-4/lines/1/confirm", json={"picked": "40"})
        assert response.status_code == 200
    await send(harness, b.cancel("ord-4", "shp-4", request_id="req-4"), producer="sales")
    [cancelled] = await outputs.wait(v1.PickListCancelled)
    assert cancelled.request_id == "req-4"
    assert [(r.bin_code, r.batch_no, r.quantity.value) for r in cancelled.restocked] == [
        ("A-2-3", "TEA-2603-B6", 40)]
    async with service.client(**supervisor(issuer)) as client:
        shown = (await client.get("/shipments/shp-4")).json()
        assert shown["status"] == "cancelled"
        assert (await client.post("/shipments/shp-4/gate-out")).status_code == 409


async def test_trip_details_once_for_two_shipments(harness: ServiceHarness, dispatch: tuple[RunningService, Outputs],
                                                   issuer: LocalIssuer) -> None:
    service, outputs = dispatch
    await send(harness, b.release("ord-5", "shp-5"), b.release("ord-6", "shp-6"), producer="sales")
    for pick_list_id in ("pl-shp-5", "pl-shp-6"):
        await pick_list_of(service, issuer, pick_list_id)
        async with service.client(**picker(issuer)) as client:
            for line_no, picked in ((1, "40"), (2, "480"), (3, "60")):
                response = await client.post(f"/pick-lists/{pick_list_id}/lines/{line_no}/confirm",
                                             json={"picked": picked})
                assert response.status_code == 200, response.text
    body = {**{k: v for k, v in b.DETAILS.items() if k != "distance_km"}, "warehouse_id": WH,
            "shipments": [{"shipment_id": "shp-5", "distance_km": 350}, {"shipment_id": "shp-6"}]}
    async with service.client(**supervisor(issuer), **{"Idempotency-Key": "trip-k1"}) as client:
        made = await client.post("/trips", json=body)
        assert made.status_code == 201, made.text
        again = await client.post("/trips", json=body)
        assert again.json()["trip_id"] == made.json()["trip_id"]
        shown = (await client.get(f"/trips/{made.json()['trip_id']}")).json()
        assert [s["queue"] for s in shown["shipments"]] == ["waiting_for_documents", "waiting_for_documents"]
    ready = await outputs.wait(v1.ShipmentReady, 2)
    estimate = shown["shipments"][1]["estimated_distance_km"]  # Bengaluru 560058 → Chennai 600032
    assert 300 <= estimate <= 400
    assert {(r.shipment_id, r.transport.vehicle_no, r.transport.distance_km) for r in ready} == {
        ("shp-5", "MH12AB1234", 350), ("shp-6", "MH12AB1234", estimate)}
    await outputs.settled(service)
    assert len(outputs.of(v1.ShipmentReady)) == 2


async def test_concurrent_confirmations_give_one_shipment_ready(harness: ServiceHarness,
                                                                dispatch: tuple[RunningService, Outputs],
                                                                issuer: LocalIssuer) -> None:
    service, outputs = dispatch
    await send(harness, b.release("ord-7", "shp-7"), producer="sales")
    await pick_list_of(service, issuer, "pl-shp-7")
    async with service.client(**supervisor(issuer)) as client:
        assert (await client.post("/shipments/shp-7/dispatch-details", json=b.DETAILS)).status_code == 200
    async with service.client(**picker(issuer)) as client:
        responses = await asyncio.gather(*[
            client.post(f"/pick-lists/pl-shp-7/lines/{n}/confirm", json={"picked": picked})
            for n, picked in ((1, "40"), (2, "480"), (3, "60"), (1, "40"))  # line 1 twice: a double tap
        ])
    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    await outputs.wait(v1.ShipmentReady)
    await outputs.settled(service)
    assert len(outputs.of(v1.ShipmentReady)) == 1
    assert len(outputs.of(v1.PickConfirmed)) == 3


async def test_a_pending_or_rejected_irn_keeps_the_gate_closed_until_the_irn_is_registered(
    harness: ServiceHarness, dispatch: tuple[RunningService, Outputs], issuer: LocalIssuer
) -> None:
    service, outputs = dispatch
    await send(harness, b.release("ord-9", "shp-9"), producer="sales")
    await pick_list_of(service, issuer, "pl-shp-9")
    async with service.client(**picker(issuer)) as client:
        for line_no, picked in ((1, "40"), (2, "480"), (3, "60")):
            response = await client.post(f"/pick-lists/pl-shp-9/lines/{line_no}/confirm", json={"picked": picked})
            assert response.status_code == 200, response.text
    async with service.client(**supervisor(issuer)) as client:
        response = await client.post("/shipments/shp-9/dispatch-details", json=b.DETAILS)
        assert response.status_code == 200, response.text
        await outputs.wait(v1.ShipmentReady)

        issued = b.irn_pending(b.invoice("ord-9", "shp-9", {1: 100, 2: 480}, invoice_id="inv-9"))
        await send(harness, issued, producer="invoicing")
        await send(harness, b.ewaybill("ord-9", "shp-9"), producer="ewaybill")

        async def shipment() -> dict[str, Any]:
            return (await client.get("/shipments/shp-9")).json()  # type: ignore[no-any-return]

        async def pending() -> bool:
            return (await shipment())["status"] == "ewaybill_generated"

        # The IRP has not answered yet: invoice and e-way bill are there, the gate still waits for the IRN.
        await wait_for(pending, what="invoice and e-way bill recorded, IRN pending")
        assert (await shipment())["invoice"]["irn_status"] == "pending"
        refused = await client.post("/shipments/shp-9/gate-out")
        assert refused.status_code == 409, refused.text
        assert "not registered yet" in refused.json()["detail"] and refused.json()["waiting_for"] == ["irn"]

        await send(harness, b.irn_rejected("ord-9", "inv-9"), producer="invoicing")

        async def blocked() -> bool:
            shown = await shipment()
            return shown["status"] == "ewaybill_generated" and shown["irn_rejection"] is not None

        await wait_for(blocked, what="the IRN rejection shown with the e-way bill there")
        shown = await shipment()
        assert shown["irn_rejection"] == "IRN rejected: 2172 Buyer GSTIN is invalid"
        assert shown["queue"] == "waiting_for_documents"
        refused = await client.post("/shipments/shp-9/gate-out")
        assert refused.status_code == 409
        assert "IRN rejected: 2172 Buyer GSTIN is invalid" in refused.json()["detail"]
        assert refused.json()["waiting_for"] == ["irn"]

        await send(harness, b.irn_registered("ord-9", "inv-9"), producer="invoicing")  # corrected, retried

        async def cleared() -> bool:
            shown = await shipment()
            return shown["irn_rejection"] is None and shown["queue"] == "ready_for_gate"

        await wait_for(cleared, what="the IRN registered after the retry")
        gate = await client.post("/shipments/shp-9/gate-out")
        assert gate.status_code == 200, gate.text
    [dispatched] = await outputs.wait(v1.ShipmentDispatched)
    assert dispatched.invoice_id == "inv-9"
