"""Finding 6: e-way bill actions ignored the warehouse scope dispatch enforces (a supervisor of another site
cancelled, extended or changed the vehicle of a bill), and a picker or warehouse token without a warehouse claim
acted at every warehouse. Now a bill's actions are held to its dispatch-from warehouse, and warehouse staff
without a warehouse claim act nowhere."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from o2c.contracts.samples import WAREHOUSE_ID
from o2c.dispatch.app import DEFINITION as DISPATCH
from o2c.ewaybill.adapters.sandbox_server import create_app as sandbox_portal
from o2c.ewaybill.app import DEFINITION as EWAYBILL
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.testing import ServiceHarness, bearer, serve_app, wait_for
from o2c.testsupport.dispatch import dispatch_builders as builders
from o2c.testsupport.ewaybill import ewaybill_support as given

pytestmark = pytest.mark.integration


EXTEND = {"remaining_distance_km": 50, "current_place": "Mandya", "current_pincode": "571401",
          "current_state_code": "29", "reason": "accident"}
VEHICLE = {"vehicle_no": "KA05MN4321", "reason": "breakdown", "from_place": "Mandya", "from_state_code": "29"}


async def test_ewaybill_actions_are_held_to_the_bills_warehouse(harness: ServiceHarness,
                                                                issuer: LocalIssuer) -> None:
    portal = sandbox_portal()
    server, task, portal_url = await serve_app(portal)
    try:
        svc = await harness.start(EWAYBILL, ewb_sandbox_url=portal_url)
        invoice = given.invoice(uuid.uuid4().hex[:10].upper())
        assert invoice.warehouse_id == WAREHOUSE_ID
        await given.publish(harness, "invoicing", invoice)
        own = bearer(issuer, "dispatch_supervisor", warehouse_ids=[WAREHOUSE_ID])
        other_site = bearer(issuer, "dispatch_supervisor", warehouse_ids=["WH-PNQ-1"])
        no_claim = bearer(issuer, "dispatch_supervisor")
        async with svc.client() as c:
            async def generated() -> dict[str, Any] | None:
                found = (await c.get("/ewaybills", params={"order_id": invoice.order_id}, headers=own)).json()
                return found[0] if found and found[0]["status"] == "generated" else None

            bill = await wait_for(generated, what="the e-way bill generated")
            url = f"/ewaybills/{bill['id']}"
            for who in (other_site, no_claim):
                for action, body in (("cancel", {"reason": "order_cancelled"}), ("extend", EXTEND),
                                     ("vehicle", VEHICLE)):
                    refused = await c.post(f"{url}/{action}", json=body, headers=who)
                    assert refused.status_code == 403, (action, refused.text)
                    assert "warehouse" in refused.json()["detail"]
            unchanged = (await c.get(url, headers=own)).json()
            assert unchanged["status"] == "generated" and len(unchanged["vehicle_movements"]) == 1
            # the bill's own site acts on it
            moved = await c.post(f"{url}/vehicle", json=VEHICLE, headers=own)
            assert moved.status_code == 200, moved.text
            cancelled = await c.post(f"{url}/cancel", json={"reason": "order_cancelled"}, headers=own)
            assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


async def test_warehouse_staff_without_a_warehouse_claim_act_nowhere(harness: ServiceHarness,
                                                                     issuer: LocalIssuer) -> None:
    from aiokafka import AIOKafkaProducer
    from o2c.contracts.envelope import Envelope

    svc = await harness.start(DISPATCH)
    release = builders.release("ord-sec-6", "shp-sec-6")
    kafka = AIOKafkaProducer(bootstrap_servers=harness.bootstrap, **kafka_client_options())
    await kafka.start()
    try:
        envelope = Envelope.wrap(release, producer="sales")
        await kafka.send_and_wait(harness.prefix + release.TOPIC, envelope.to_bytes(), key=envelope.key.encode(),
                                  headers=envelope.headers())
    finally:
        await kafka.stop()
    scoped = bearer(issuer, "picker", warehouse_ids=[builders.WAREHOUSE])
    async with svc.client() as c:
        async def issued() -> dict[str, Any] | None:
            response = await c.get("/pick-lists/pl-shp-sec-6", headers=scoped)
            return response.json() if response.status_code == 200 else None

        pick_list = await wait_for(issued, what="the pick list")
        line = pick_list["lines"][0]
        confirm = {"picked": line["quantity"], "bin_code": line["bin_code"], "batch_no": line["batch_no"]}
        for role in ("picker", "warehouse_coordinator"):
            unclaimed = bearer(issuer, role)
            assert (await c.get("/pick-lists/pl-shp-sec-6", headers=unclaimed)).status_code == 403
            assert (await c.get("/pick-lists", headers=unclaimed)).json() == []
            assert (await c.get("/shipments", headers=unclaimed)).json() == []
            refused = await c.post(f"/pick-lists/pl-shp-sec-6/lines/{line['line_no']}/confirm", json=confirm,
                                   headers=unclaimed)
            assert refused.status_code == 403, refused.text
        still_open = (await c.get("/pick-lists/pl-shp-sec-6", headers=scoped)).json()
        assert still_open["lines"][0]["confirmed"] is False
        done = await c.post(f"/pick-lists/pl-shp-sec-6/lines/{line['line_no']}/confirm", json=confirm,
                            headers=scoped)
        assert done.status_code == 200, done.text


async def test_a_warehouse_coordinator_without_a_warehouse_claim_moves_no_stock(harness: ServiceHarness,
                                                                                issuer: LocalIssuer) -> None:
    from o2c.inventory.app import DEFINITION as INVENTORY
    from o2c.testsupport.inventory.inventory_support import AMD, BINS, PNQ

    svc = await harness.start(INVENTORY, consumer=False, relay=False)
    unclaimed = bearer(issuer, "warehouse_coordinator")
    async with svc.client() as c:
        refused = await c.post("/warehouses", json={**AMD, "bins": BINS}, headers=unclaimed)
        assert refused.status_code == 403, refused.text
        made = await c.post("/warehouses", json={**PNQ, "bins": BINS},
                            headers=bearer(issuer, "warehouse_coordinator", warehouse_ids=["PNQ"]))
        assert made.status_code == 201, made.text
        receipt = {"warehouse_id": "PNQ", "item_code": "PUMP", "quantity": "5", "bin_code": "DOCK"}
        assert (await c.post("/stock/receipts", json=receipt, headers=unclaimed)).status_code == 403
        safety = {"warehouse_id": "PNQ", "item_code": "PUMP", "safety_stock": "2"}
        assert (await c.put("/stock/safety", json=safety, headers=unclaimed)).status_code == 403
        assert [w["code"] for w in (await c.get("/warehouses", headers=bearer(issuer, "sales_head"))).json()] \
            == ["PNQ"]
