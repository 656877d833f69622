"""Finding 7: Idempotency-Key belongs to the caller and the endpoint, and a repeat must be the same request.

Before: in credit and inventory a key was shared across all callers (another finance user's key returned the
first customer's payment and the new payment was not recorded); no service compared the body (sales answered a
repeat with a different quantity with the first order).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from o2c.contracts.envelope import Envelope
from o2c.contracts.topics import topic_for
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.testing import RunningService, ServiceHarness, bearer, wait_for

ROOT = Path(__file__).parents[2]
from o2c.credit.app import DEFINITION as CREDIT
from o2c.inventory.app import DEFINITION as INVENTORY
from o2c.sales.app import DEFINITION as SALES
from o2c.testsupport.credit.credit_builders import customer
from o2c.testsupport.inventory.inventory_support import PNQ, add_warehouses, seed_items
from o2c.testsupport.sales.sales_support import approved_customer, seed_catalog, tokens

pytestmark = pytest.mark.integration


async def count(svc: RunningService, table: str) -> int:
    async with svc.runtime.sessions() as session:
        return int((await session.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one())


def refused_for_the_key(response: Any) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == "Idempotency-Key", response.text


async def test_credit_payment_key_of_another_user_records_a_new_payment(harness: ServiceHarness,
                                                                        issuer: LocalIssuer) -> None:
    svc = await harness.start(CREDIT, relay=False)
    producer = AIOKafkaProducer(bootstrap_servers=harness.bootstrap, **kafka_client_options())
    await producer.start()
    try:
        for customer_id in ("C-A", "C-B"):
            env = Envelope.wrap(customer(customer_id, "1000000.00"), producer="sales")
            await producer.send_and_wait(harness.prefix + topic_for(type(customer(customer_id))).name,
                                         env.to_bytes(), key=env.key.encode(), headers=env.headers())
    finally:
        await producer.stop()
    anita = {"Authorization": "Bearer " + issuer.token("anita", ["finance_executive"])}
    ravi = {"Authorization": "Bearer " + issuer.token("ravi", ["finance_executive"])}
    async with svc.client() as http:
        async def ready() -> bool:
            answers = [await http.get(f"/credit-profiles/{c}", headers=anita) for c in ("C-A", "C-B")]
            return all(a.status_code == 200 and a.json()["credit_profile"] is not None for a in answers)

        await wait_for(ready, what="both credit profiles")
        key = {"Idempotency-Key": "pay-0001"}
        paid_a = {"customer_id": "C-A", "amount": "35400.00", "received_on": "2026-06-30", "mode": "neft",
                  "bank_reference": "UTR-A"}
        first = await http.post("/payments", json=paid_a, headers=anita | key)
        assert first.status_code == 201, first.text
        again = await http.post("/payments", json=paid_a, headers=anita | key)
        assert again.status_code == 201 and again.json()["receipt_no"] == first.json()["receipt_no"]
        assert await count(svc, "payment") == 1

        # Another user, the same key, another customer's payment: a payment of its own, nothing of C-A's shown.
        paid_b = {**paid_a, "customer_id": "C-B", "amount": "1200.00", "bank_reference": "UTR-B"}
        other = await http.post("/payments", json=paid_b, headers=ravi | key)
        assert other.status_code == 201, other.text
        assert other.json()["customer_id"] == "C-B" and other.json()["amount"] == "1200.00"
        assert other.json()["receipt_no"] != first.json()["receipt_no"]
        assert await count(svc, "payment") == 2

        # The same caller and key with another amount: refused, not answered with the first payment.
        changed = await http.post("/payments", json={**paid_a, "amount": "35000.00"}, headers=anita | key)
        refused_for_the_key(changed)
        assert await count(svc, "payment") == 2


async def test_inventory_movement_key_is_per_caller_and_compares_the_body(harness: ServiceHarness,
                                                                          issuer: LocalIssuer) -> None:
    svc = await harness.start(INVENTORY, consumer=False, relay=False)
    await seed_items(svc, "PUMP")
    first_user = {"Authorization": "Bearer " + issuer.token("wh-1", ["warehouse_coordinator"], warehouse_ids=["PNQ"])}
    second_user = {"Authorization": "Bearer " + issuer.token("wh-2", ["warehouse_coordinator"], warehouse_ids=["PNQ"])}
    async with svc.client() as c:
        await add_warehouses(c, first_user, PNQ)
        receipt = {"warehouse_id": "PNQ", "item_code": "PUMP", "quantity": "10", "bin_code": "DOCK"}
        key = {"Idempotency-Key": "rcpt-1"}
        first = await c.post("/stock/receipts", json=receipt, headers=first_user | key)
        assert first.status_code == 201, first.text
        movements = await count(svc, "stock_movement")
        other = await c.post("/stock/receipts", json={**receipt, "quantity": "4"}, headers=second_user | key)
        assert other.status_code == 201, other.text
        assert "repeated" not in other.json() and other.json()["movement"] != first.json()["movement"]
        assert await count(svc, "stock_movement") == movements + 1
        refused_for_the_key(await c.post("/stock/receipts", json={**receipt, "quantity": "11"},
                                         headers=first_user | key))
        assert await count(svc, "stock_movement") == movements + 1
        repeat = await c.post("/stock/receipts", json=receipt, headers=first_user | key)
        assert repeat.status_code == 201 and repeat.json()["repeated"] is True


async def test_sales_order_repeat_with_another_quantity_is_refused(harness: ServiceHarness,
                                                                   issuer: LocalIssuer) -> None:
    svc = await harness.start(SALES, consumer=False, relay=False)
    tok = tokens(issuer)
    async with svc.client() as c:
        await seed_catalog(c, tok["head"])
        customer_id = await approved_customer(c, tok)
        order = {"customer_id": customer_id, "ship_to_id": "main", "lines": [{"item_code": "PUMP-1", "quantity": "2"}]}
        key = {"Idempotency-Key": "po-77"}
        first = await c.post("/orders", json=order, headers=tok["coord"] | key)
        assert first.status_code == 201, first.text
        changed = {**order, "lines": [{"item_code": "PUMP-1", "quantity": "20"}]}
        refused_for_the_key(await c.post("/orders", json=changed, headers=tok["coord"] | key))
        assert await count(svc, "sales_order") == 1
        # Another coordinator's identical request under the same key is an order of its own.
        other = bearer(issuer, "sales_head")
        second = await c.post("/orders", json=order, headers=other | key)
        assert second.status_code == 201, second.text
        assert second.json()["order_id"] != first.json()["order_id"]
        assert await count(svc, "sales_order") == 2
