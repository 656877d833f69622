"""The HTTP kit on a real database: bad input changes nothing, scope is enforced."""

from __future__ import annotations

import pytest
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import bearer
from o2c.testsupport.kit.probe_pair import ProbePair

pytestmark = pytest.mark.integration


async def rows(pair: ProbePair) -> int:
    return int(await pair.scalar("sales", "SELECT count(*) FROM order_note")) + int(
        await pair.scalar("sales", "SELECT count(*) FROM outbox"))


async def test_bad_field_is_422_problem_naming_the_field_and_writes_nothing(
    probe_pair: ProbePair, issuer: LocalIssuer
) -> None:
    sales = await probe_pair.start("sales", relay=False)
    async with sales.client as client:
        response = await client.post("/probe/cancellations", headers=bearer(issuer, "sales_coordinator"),
                                     json={"order_id": "", "customer_id": "C1"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 422 and body["type"].endswith("/validation")
    assert [e["field"] for e in body["errors"]] == ["order_id"]
    assert await rows(probe_pair) == 0


async def test_body_over_the_limit_is_413_and_writes_nothing(probe_pair: ProbePair, issuer: LocalIssuer) -> None:
    sales = await probe_pair.start("sales", relay=False, max_body_bytes=2048)
    async with sales.client as client:
        response = await client.post("/probe/cancellations", headers=bearer(issuer, "sales_coordinator"),
                                     json={"order_id": "O1", "customer_id": "C1", "note": "x" * 4000})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await rows(probe_pair) == 0


async def test_customer_login_cannot_read_another_customers_records(
    probe_pair: ProbePair, issuer: LocalIssuer
) -> None:
    sales = await probe_pair.start("sales", relay=False)
    async with sales.client as client:
        await client.post("/probe/cancellations", headers=bearer(issuer, "sales_coordinator"),
                          json={"order_id": "O1", "customer_id": "C1", "note": "mine"})
        own = await client.get("/probe/customers/C1/notes", headers=bearer(issuer, "customer", customer_id="C1"))
        other = await client.get("/probe/customers/C2/notes", headers=bearer(issuer, "customer", customer_id="C1"))
    assert own.status_code == 200 and own.json() == ["mine"]
    assert other.status_code == 403
    assert other.json()["title"] == "Forbidden"


async def test_openapi_document_is_served_with_the_admin_routes(probe_pair: ProbePair) -> None:
    sales = await probe_pair.start("sales", relay=False)
    async with sales.client as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/admin/dead-letters" in paths and "/probe/cancellations" in paths
