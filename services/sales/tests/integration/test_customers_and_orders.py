"""Customers, quotations and orders over HTTP against the real stack (PostgreSQL, Kafka)."""

from __future__ import annotations

import pytest
from o2c.contracts.topics import events_topic
from o2c.contracts.v1 import sales
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import ServiceHarness, wait_for
from o2c.sales.app import DEFINITION
from o2c.testsupport.sales.sales_support import (
    approved_customer,
    maharashtra_customer,
    read_topic,
    seed_catalog,
    tokens,
)

pytestmark = pytest.mark.integration


async def count(svc: object, sql: str) -> int:
    import sqlalchemy as sa

    async with svc.runtime.sessions() as session:  # type: ignore[attr-defined]
        return int((await session.execute(sa.text(sql))).scalar_one())


async def test_gstin_checked_against_state_and_check_character(harness: ServiceHarness, issuer: LocalIssuer) -> None:
    svc = await harness.start(DEFINITION, consumer=False)
    tok = tokens(issuer)
    async with svc.client() as c:
        await seed_catalog(c, tok["head"])
        r = await c.post("/customers", json=maharashtra_customer(), headers=tok["coord"])
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "pending"
        # The same GSTIN (state 27) on a Gujarat address: 422 naming the GSTIN field.
        r = await c.post("/customers", json=maharashtra_customer(code="GUJ", state="24", pincode="380001"),
                         headers=tok["coord"])
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"] == "addresses[0].gstin"
        # Wrong check character: 422 naming the field, nothing written.
        before = await count(svc, "SELECT count(*) FROM customer")
        r = await c.post("/customers", json=maharashtra_customer(code="KA", gstin="29AAFCA7488L1Z0", state="29",
                                                                 pincode="560001", pan=None),
                         headers=tok["coord"])
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"] == "addresses[0].gstin"
        assert "check" in r.json()["detail"].lower()
        assert await count(svc, "SELECT count(*) FROM customer") == before
        assert await count(svc, "SELECT count(*) FROM outbox") == 3 + 0  # only the three ItemCreated


async def test_approval_by_creator_refused_then_order_accepted_after_approval(
    harness: ServiceHarness, issuer: LocalIssuer,
) -> None:
    svc = await harness.start(DEFINITION, consumer=False)
    tok = tokens(issuer)
    async with svc.client() as c:
        await seed_catalog(c, tok["head"])
        r = await c.post("/customers", json=maharashtra_customer(), headers=tok["head_creator"])
        customer_id = r.json()["customer_id"]
        order = {"customer_id": customer_id, "ship_to_id": "main", "lines": [{"item_code": "PUMP-1", "quantity": "2"}]}
        r = await c.post("/orders", json=order, headers=tok["coord"])
        assert r.status_code == 409, r.text
        assert "pending approval" in r.json()["detail"]
        r = await c.post(f"/customers/{customer_id}/approve", headers=tok["head_creator"])
        assert r.status_code == 409, r.text
        assert "someone other than" in r.json()["detail"]
        r = await c.post(f"/customers/{customer_id}/approve", headers=tok["coord"])
        assert r.status_code == 403
        r = await c.post(f"/customers/{customer_id}/approve", headers=tok["head"])
        assert r.status_code == 200, r.text
        r = await c.post("/orders", json=order, headers=tok["coord"])
        assert r.status_code == 201, r.text
        # Changes are audited and published; blocking refuses new orders with the reason.
        r = await c.patch(f"/customers/{customer_id}", json={"payment_terms_days": 45}, headers=tok["coord"])
        assert r.status_code == 200, r.text
        audit = r.json()["audit"]
        assert audit[-1]["field"] == "payment_terms_days" and audit[-1]["before"] == "30"
        r = await c.post(f"/customers/{customer_id}/block", json={"reason": "cheque bounced"}, headers=tok["head"])
        assert r.status_code == 200, r.text
        r = await c.post("/orders", json=order, headers=tok["coord"])
        assert r.status_code == 409 and "cheque bounced" in r.json()["detail"]
    messages = await read_topic(harness, events_topic("sales"))
    kinds = [m.TYPE for m in messages]
    assert kinds.count("CustomerApproved") == 1 and kinds.count("CustomerUpdated") == 2
    updated = [m for m in messages if isinstance(m, sales.CustomerUpdated)]
    assert updated[0].payment_terms_days == 45 and updated[-1].active is False


async def test_quotation_to_order_publishes_order_confirmed_and_is_idempotent(
    harness: ServiceHarness, issuer: LocalIssuer,
) -> None:
    svc = await harness.start(DEFINITION, consumer=False, inventory_url="http://127.0.0.1:9", atp_timeout_seconds=0.3)
    tok = tokens(issuer)
    async with svc.client() as c:
        await seed_catalog(c, tok["head"])
        customer_id = await approved_customer(c, tok)
        r = await c.post("/quotations", headers=tok["coord"], json={
            "customer_id": customer_id, "ship_to_id": "main",
            "lines": [{"item_code": "PUMP-1", "quantity": "4"}, {"item_code": "MOTOR-9", "quantity": "1"}]})
        assert r.status_code == 201, r.text
        quotation = r.json()
        assert quotation["number"].startswith("QTN/") and quotation["number"].endswith("/000001")
        first = quotation["lines"][0]
        assert first["atp"] is None and first["promise_basis"] == "stock_unknown"  # inventory is down
        assert first["tax"]["cgst"] == "36.00" and first["tax"]["sgst"] == "36.00"  # 400 at 18 %, intra-state
        assert quotation["lines"][1]["promise_basis"] == "lead_time"
        document = await c.get(f"/quotations/{quotation['quotation_id']}/document", headers=tok["coord"])
        assert document.status_code == 200 and document.headers["content-type"].startswith("text/html")
        assert quotation["number"] in document.text
        key = {"Idempotency-Key": "po-4711"}
        r1 = await c.post(f"/quotations/{quotation['quotation_id']}/orders", headers=tok["coord"] | key)
        r2 = await c.post(f"/quotations/{quotation['quotation_id']}/orders", headers=tok["coord"] | key)
        assert r1.status_code == 201, r1.text
        assert r2.status_code == 200, r2.text
        order = r1.json()
        assert r2.json()["order_id"] == order["order_id"]
        assert r2.json() == order, "the 201 (from what was written) says what the order reads back as"
        assert order["lines"][0]["committed_date"] and order["saga"]["status"] == "waiting"
        assert await count(svc, "SELECT count(*) FROM sales_order") == 1
        assert await count(svc, "SELECT count(*) FROM order_saga") == 1
        # Converting again with another key: the quotation is already converted.
        r = await c.post(f"/quotations/{quotation['quotation_id']}/orders", headers=tok["coord"])
        assert r.status_code == 409 and "already converted" in r.json()["detail"]

    async def confirmed() -> list[sales.OrderConfirmed]:
        return [m for m in await read_topic(harness, events_topic("sales"), 500)
                if isinstance(m, sales.OrderConfirmed)]

    found = await wait_for(confirmed, what="OrderConfirmed on the sales events topic")
    assert len(found) == 1
    assert found[0].order_id == order["order_id"] and found[0].quotation_id == quotation["quotation_id"]
    assert str(found[0].totals.gross_value) == order["totals"]["gross_value"]


async def test_data_scope_customer_login_and_sales_owner(harness: ServiceHarness, issuer: LocalIssuer) -> None:
    from o2c.kit.testing import bearer

    svc = await harness.start(DEFINITION, consumer=False, inventory_url="http://127.0.0.1:9", atp_timeout_seconds=0.2)
    tok = tokens(issuer)
    async with svc.client() as c:
        await seed_catalog(c, tok["head"])
        mine = await approved_customer(c, tok)
        other = await approved_customer(c, tok, code="OTHER")
        r = await c.post("/orders", headers=tok["coord"], json={
            "customer_id": mine, "ship_to_id": "main", "lines": [{"item_code": "PUMP-1", "quantity": "1"}]})
        order_id = r.json()["order_id"]
        own_login = bearer(issuer, "customer", customer_id=mine)
        other_login = bearer(issuer, "customer", customer_id=other)
        assert (await c.get(f"/orders/{order_id}", headers=own_login)).status_code == 200
        assert (await c.get(f"/orders/{order_id}", headers=other_login)).status_code == 403
        assert (await c.get(f"/customers/{mine}", headers=other_login)).status_code == 403
        # A coordinator scoped to another sales owner may not see or quote this customer.
        stranger = bearer(issuer, "sales_coordinator", sales_owner="ravi")
        assert (await c.get(f"/customers/{mine}", headers=stranger)).status_code == 403
        r = await c.post("/quotations", headers=stranger, json={
            "customer_id": mine, "ship_to_id": "main", "lines": [{"item_code": "PUMP-1", "quantity": "1"}]})
        assert r.status_code == 403
        # A customer may cancel its own order (before gate-out); the saga says so.
        r = await c.post(f"/orders/{order_id}/cancel", headers=own_login, json={"reason": "ordered twice"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "cancelled" and r.json()["saga"]["status"] == "cancelled"
        r = await c.get("/saga-exceptions", headers=tok["head"])
        assert r.status_code == 200 and r.json() == []


async def test_concurrent_conversions_with_one_key_give_one_order(harness: ServiceHarness, issuer: LocalIssuer) -> None:
    import asyncio

    svc = await harness.start(DEFINITION, consumer=False, inventory_url="http://127.0.0.1:9", atp_timeout_seconds=0.2)
    tok = tokens(issuer)
    async with svc.client() as c:
        await seed_catalog(c, tok["head"])
        customer_id = await approved_customer(c, tok)
        r = await c.post("/quotations", headers=tok["coord"], json={
            "customer_id": customer_id, "ship_to_id": "main", "lines": [{"item_code": "VALVE-1", "quantity": "3"}]})
        url = f"/quotations/{r.json()['quotation_id']}/orders"
        key = tok["coord"] | {"Idempotency-Key": "same-key"}
        answers = await asyncio.gather(*(c.post(url, headers=key) for _ in range(5)))
        assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201], [a.text for a in answers]
        assert len({a.json()["order_id"] for a in answers}) == 1
        assert await count(svc, "SELECT count(*) FROM order_saga") == 1
        assert await count(svc, "SELECT count(*) FROM outbox WHERE type = 'OrderConfirmed'") == 1
