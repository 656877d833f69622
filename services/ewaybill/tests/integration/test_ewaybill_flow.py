"""InvoiceIssued on the real broker → the e-way bill through the sandbox portal over HTTP → events out."""

from __future__ import annotations

import uuid
from datetime import timedelta
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from o2c.contracts.envelope import Envelope
from o2c.contracts.samples import WAREHOUSE_ID
from o2c.contracts.topics import events_topic
from o2c.ewaybill.app import DEFINITION
from o2c.india.calendar import IST
from o2c.india.ewaybill import valid_until
from o2c.kit.db import make_engine
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.testing import ServiceHarness, bearer, wait_for
from o2c.testsupport.waits import paced, settled

pytestmark = pytest.mark.integration


async def rows(harness: ServiceHarness, sql: str, **params: Any) -> list[Any]:
    engine = make_engine(harness.urls["ewaybill"], pool_size=1)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(sa.text(sql), params)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def outbox_types(harness: ServiceHarness, order_id: str) -> list[str]:
    found = await rows(harness, "SELECT type FROM outbox WHERE key = :k ORDER BY id", k=order_id)
    return [r[0] for r in found]


def new_id() -> str:
    return uuid.uuid4().hex[:10].upper()


async def start(harness: ServiceHarness, sandbox: Any) -> Any:
    return await harness.start(DEFINITION, ewb_sandbox_url=sandbox.url)


async def bill_for(svc: Any, headers: dict[str, str], order_id: str) -> dict[str, Any] | None:
    async with svc.client(**headers) as c:
        found = (await c.get("/ewaybills", params={"order_id": order_id})).json()
    return found[0] if found and found[0]["status"] != "pending" else None


async def test_45000_at_18_percent_is_generated_with_validity_by_distance(
    harness: ServiceHarness, sandbox: Any, issuer: LocalIssuer, given: ModuleType
) -> None:
    svc = await start(harness, sandbox)
    headers = bearer(issuer, "compliance_officer")
    invoice = given.invoice(new_id(), "45000.00", "18", distance_km=160)
    await given.publish(harness, "invoicing", invoice)
    bill = await wait_for(lambda: bill_for(svc, headers, invoice.order_id), what="e-way bill decided")
    assert bill["status"] == "generated", bill["rejection"]
    assert bill["consignment_value"] == "53100.00"
    assert len(bill["ewaybill_no"]) == 12
    generated = __import__("datetime").datetime.fromisoformat(bill["generated_at"])
    assert bill["valid_until"] == valid_until(generated, 160).isoformat()
    assert valid_until(generated, 160).astimezone(IST).date() == generated.astimezone(IST).date() + timedelta(days=1)
    # Part B exactly as the supervisor typed it: nothing asked again.
    sent = [r["body"] for r in sandbox.requests if r["action"] == "GENEWAYBILL"]
    assert sent[-1]["vehicleNo"] == "KA01AB1234"
    assert sent[-1]["transporterId"] == invoice.transport.transporter_id
    assert sent[-1]["transDocNo"] == invoice.transport.lr_no
    assert sent[-1]["totInvValue"] == 53100
    assert await wait_for(lambda: outbox_types(harness, invoice.order_id), what="outbox") == ["EwayBillGenerated"]


async def test_40000_is_not_required(harness: ServiceHarness, sandbox: Any, issuer: LocalIssuer,
                                     given: ModuleType) -> None:
    svc = await start(harness, sandbox)
    invoice = given.invoice(new_id(), "40000.00", "18")
    await given.publish(harness, "invoicing", invoice)
    supervisor = bearer(issuer, "dispatch_supervisor", warehouse_ids=[WAREHOUSE_ID])
    bill = await wait_for(lambda: bill_for(svc, supervisor, invoice.order_id),
                          what="decision")
    assert bill["status"] == "not_required"
    assert bill["consignment_value"] == "47200.00" and bill["threshold"] == "50000.00"
    assert await outbox_types(harness, invoice.order_id) == ["EwayBillNotRequired"]
    assert sandbox.requests == []


async def test_bad_vehicle_is_rejected_with_304_then_retried_after_correction(
    harness: ServiceHarness, sandbox: Any, issuer: LocalIssuer, given: ModuleType
) -> None:
    svc = await start(harness, sandbox)
    headers = bearer(issuer, "dispatch_supervisor", warehouse_ids=[WAREHOUSE_ID])
    invoice = given.invoice(new_id(), "49000.00", "18", vehicle_no="KA1234", inter_state=True, distance_km=350)
    await given.publish(harness, "invoicing", invoice)
    bill = await wait_for(lambda: bill_for(svc, headers, invoice.order_id), what="rejection")
    assert bill["status"] == "rejected"
    assert bill["rejection"]["code"] == "304"
    async with svc.client(**headers) as c:
        rejected = (await c.get("/ewaybills", params={"status": "rejected"})).json()
        assert [b["id"] for b in rejected] == [bill["id"]]
        retried = await c.post(f"/ewaybills/{bill['id']}/retry", json={"vehicle_no": "KA 01 AB 9876"})
        assert retried.status_code == 200, retried.text
        assert retried.json()["status"] == "generated"
        assert retried.json()["transport"]["vehicle_no"] == "KA01AB9876"
        generated = __import__("datetime").datetime.fromisoformat(retried.json()["generated_at"])
        assert retried.json()["valid_until"] == valid_until(generated, 350).isoformat()  # 350 km: two days
        again = await c.post(f"/ewaybills/{bill['id']}/retry", json={"vehicle_no": "KA01AB9876"})
        assert again.status_code == 409
        assert again.headers["content-type"].startswith("application/problem+json")
    assert await wait_for(lambda: outbox_types(harness, invoice.order_id), what="outbox") == [
        "EwayBillRejected", "EwayBillGenerated"]


async def test_same_invoice_twice_makes_one_ewaybill(harness: ServiceHarness, sandbox: Any, issuer: LocalIssuer,
                                                     given: ModuleType) -> None:
    svc = await start(harness, sandbox)
    invoice = given.invoice(new_id(), "45000.00", "18")
    await given.publish(harness, "invoicing", invoice)
    await given.publish(harness, "invoicing", invoice)  # a second envelope: the producer re-sent it
    sent = await given.publish(harness, "invoicing", invoice)
    await given.publish(harness, "invoicing", invoice, envelope=sent[0])  # Kafka redelivery of the same envelope
    headers = bearer(issuer, "compliance_officer")
    await wait_for(lambda: bill_for(svc, headers, invoice.order_id), what="e-way bill")
    await wait_for(lambda: rows(harness, "SELECT 1 FROM inbox HAVING count(*) >= 3"), what="all three consumed")
    assert len(await rows(harness, "SELECT id FROM ewaybill WHERE invoice_id = :i", i=invoice.invoice_id)) == 1
    assert await outbox_types(harness, invoice.order_id) == ["EwayBillGenerated"]
    assert len([r for r in sandbox.requests if r["action"] == "GENEWAYBILL"]) == 1


async def test_cancel_within_24_hours_and_refused_after(harness: ServiceHarness, sandbox: Any, issuer: LocalIssuer,
                                                        given: ModuleType) -> None:
    svc = await start(harness, sandbox)
    headers = bearer(issuer, "compliance_officer")
    late, early = given.invoice(new_id()), given.invoice(new_id())
    await given.publish(harness, "invoicing", late, early)
    late_bill = await wait_for(lambda: bill_for(svc, headers, late.order_id), what="late bill")
    early_bill = await wait_for(lambda: bill_for(svc, headers, early.order_id), what="early bill")
    # Generated 25 hours ago, and 23 hours ago.
    await rows(harness, "UPDATE ewaybill SET generated_at = now() - interval '25 hours' WHERE id = :i",
               i=late_bill["id"])
    await rows(harness, "UPDATE ewaybill SET generated_at = now() - interval '23 hours' WHERE id = :i",
               i=early_bill["id"])
    async with svc.client(**headers) as c:
        refused = await c.post(f"/ewaybills/{late_bill['id']}/cancel", json={"reason": "data_entry_mistake"})
        assert refused.status_code == 409
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "within 24 hours" in refused.json()["detail"]
        ok = await c.post(f"/ewaybills/{early_bill['id']}/cancel", json={"reason": "order_cancelled"})
        assert ok.status_code == 200, ok.text
        assert ok.json()["status"] == "cancelled"
        forbidden = await c.post(f"/ewaybills/{early_bill['id']}/cancel", json={"reason": "order_cancelled"},
                                 headers=bearer(issuer, "customer", customer_id="c1"))
        assert forbidden.status_code == 403
    assert await wait_for(lambda: outbox_types(harness, early.order_id), what="outbox") == [
        "EwayBillGenerated", "EwayBillCancelled"]
    assert [r["action"] for r in sandbox.requests].count("CANEWB") == 1


async def test_extend_outside_window_refused_and_vehicle_change_by_event(
    harness: ServiceHarness, sandbox: Any, issuer: LocalIssuer, given: ModuleType
) -> None:
    from o2c.contracts import samples
    from o2c.contracts.v1.dispatch import VehicleChanged

    svc = await start(harness, sandbox)
    headers = bearer(issuer, "dispatch_supervisor", warehouse_ids=[WAREHOUSE_ID])
    invoice = given.invoice(new_id())
    await given.publish(harness, "invoicing", invoice)
    bill = await wait_for(lambda: bill_for(svc, headers, invoice.order_id), what="bill")
    async with svc.client(**headers) as c:
        refused = await c.post(f"/ewaybills/{bill['id']}/extend", json={
            "remaining_distance_km": 50, "current_place": "Mandya", "current_pincode": "571401",
            "current_state_code": "29", "reason": "accident"})
        assert refused.status_code == 409
        assert "can be extended only between" in refused.json()["detail"]
        expiring = (await c.get("/ewaybills/expiring", params={"within_hours": 48})).json()
        assert bill["id"] in [b["id"] for b in expiring]
    changed = samples.sample(VehicleChanged).model_copy(update={
        "order_id": invoice.order_id, "shipment_id": invoice.shipment_id, "ewaybill_no": bill["ewaybill_no"],
        "transport": invoice.transport.model_copy(update={"vehicle_no": "KA05MN4321"}),
        "from_place": "Mandya", "from_state_code": "29", "changed_at": __import__("datetime").datetime.now(
            __import__("datetime").UTC)})
    await given.publish(harness, "dispatch", changed)

    async def updated() -> bool:
        async with svc.client(**headers) as c:
            current = (await c.get(f"/ewaybills/{bill['id']}")).json()
        return current["transport"]["vehicle_no"] == "KA05MN4321" and len(current["vehicle_movements"]) == 2

    assert await wait_for(updated, what="Part B updated")
    assert await wait_for(lambda: outbox_types(harness, invoice.order_id), what="outbox") == [
        "EwayBillGenerated", "EwayBillUpdated"]


async def test_sandbox_answers_unreadable_requests_with_an_error_not_a_crash(sandbox: Any) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=sandbox.url) as c:
        response = await c.post("/ewayapi", params={"action": "GENEWAYBILL"},
                                json={"transMode": "9", "transDistance": "far", "itemList": []})
    assert response.status_code == 400 and response.json()["status"] == "0"


async def test_a_state_threshold_added_by_compliance_applies(harness: ServiceHarness, sandbox: Any,
                                                            issuer: LocalIssuer, given: ModuleType) -> None:
    svc = await start(harness, sandbox)
    async with svc.client(**bearer(issuer, "compliance_officer")) as c:
        added = await c.post("/ewaybill-thresholds", json={
            "value_above": "100000.00", "effective_from": "2018-04-01", "state_code": "29",
            "movement": "intra_state", "note": "state notification (test)"})
        assert added.status_code == 201, added.text
        assert len((await c.get("/ewaybill-thresholds")).json()) == 2
    async with svc.client(**bearer(issuer, "dispatch_supervisor", warehouse_ids=[WAREHOUSE_ID])) as c:
        assert (await c.post("/ewaybill-thresholds", json={
            "value_above": "1.00", "effective_from": "2018-04-01"})).status_code == 403
    intra, inter = given.invoice(new_id()), given.invoice(new_id(), "49000.00", inter_state=True, distance_km=350)
    await given.publish(harness, "invoicing", intra, inter)
    headers = bearer(issuer, "compliance_officer")
    assert (await wait_for(lambda: bill_for(svc, headers, intra.order_id), what="intra"))["status"] == "not_required"
    assert (await wait_for(lambda: bill_for(svc, headers, inter.order_id), what="inter"))["status"] == "generated"


async def test_every_invoice_of_a_burst_gets_exactly_one_bill(harness: ServiceHarness, sandbox: Any,
                                                             given: ModuleType) -> None:
    """Twenty invoices at 20 a second (the rate bench/suites/test_ewaybill_measures.py times): each one
    generated once, on the broker, and nothing more once the service has settled."""
    svc = await start(harness, sandbox)
    invoices = [given.invoice(new_id()) for _ in range(20)]
    producer = AIOKafkaProducer(bootstrap_servers=harness.bootstrap, **kafka_client_options())
    await producer.start()
    try:
        async for index in paced(len(invoices), per_second=20.0):
            env = Envelope.wrap(invoices[index], producer="invoicing")
            await producer.send_and_wait(harness.prefix + events_topic("invoicing"), env.to_bytes(),
                                         key=env.key.encode(), headers=env.headers())
    finally:
        await producer.stop()
    await settled(svc)
    generated = await rows(harness, "SELECT key FROM outbox WHERE type = 'EwayBillGenerated'")
    assert sorted(r[0] for r in generated) == sorted(i.order_id for i in invoices)
