"""Requests on the real database under faults: PostgreSQL stopped answers 503 with Retry-After (never 500),
and a real deadlock between two requests is retried by the kit, both callers get their answer, each effect
happens once."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi import APIRouter
from o2c.kit.db import make_engine, make_sessionmaker
from o2c.kit.http import create_app
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.settings import ServiceSettings
from o2c.kit.testing import TestDatabases, bearer
from o2c.testsupport.kit.probe_pair import ProbePair

pytestmark = pytest.mark.integration
STACK = Path(__file__).resolve().parents[4] / "deploy" / "local" / "stack.sh"


def stack(command: str) -> None:
    subprocess.run(["bash", str(STACK), command], check=True, capture_output=True, timeout=180)


async def test_postgres_down_answers_503_with_retry_after_and_up_again_answers_201(
    probe_pair: ProbePair, issuer: LocalIssuer
) -> None:
    sales = await probe_pair.start("sales", consumer=False, relay=False)
    body = {"order_id": "O1", "customer_id": "C1", "note": "during the outage"}
    async with sales.client as client:
        await asyncio.to_thread(stack, "pg-stop")
        try:
            down = await client.post("/probe/cancellations", headers=bearer(issuer, "sales_coordinator"), json=body)
        finally:
            await asyncio.to_thread(stack, "pg-start")
        up = await client.post("/probe/cancellations", headers=bearer(issuer, "sales_coordinator"),
                               json={**body, "note": "after"})
    assert down.status_code == 503, down.text
    assert down.headers["content-type"].startswith("application/problem+json")
    assert int(down.headers["retry-after"]) > 0 and down.json()["status"] == 503
    assert up.status_code == 201, up.text
    notes = await probe_pair.rows("sales", "SELECT note FROM order_note")
    assert [r.note for r in notes] == ["after"]


async def test_a_real_deadlock_between_two_requests_is_retried_and_each_effect_happens_once(
    scratch_databases: TestDatabases, jwks_file: str
) -> None:
    engine = make_engine(await scratch_databases.create("deadlock"), pool_size=4)
    sessions = make_sessionmaker(engine)
    async with engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)"))
        await conn.execute(sa.text("INSERT INTO counter VALUES (1, 0), (2, 0)"))
        await conn.execute(sa.text("CREATE TABLE effect (name text NOT NULL)"))
    locked = {"a": asyncio.Event(), "b": asyncio.Event()}
    attempts = {"a": 0, "b": 0}
    router = APIRouter()

    @router.post("/moves/{name}")
    async def move(name: str, first: int, second: int) -> dict[str, str]:
        # a locks row 1 then wants row 2, b the other way round: PostgreSQL kills one of them (40P01).
        attempts[name] += 1
        async with sessions() as session, session.begin():
            await session.execute(sa.text("UPDATE counter SET n = n + 1 WHERE id = :id"), {"id": first})
            locked[name].set()
            await asyncio.wait_for(locked["b" if name == "a" else "a"].wait(), 10)
            await session.execute(sa.text("UPDATE counter SET n = n + 1 WHERE id = :id"), {"id": second})
            await session.execute(sa.text("INSERT INTO effect VALUES (:name)"), {"name": name})
        return {"moved": name}

    app = create_app(ServiceSettings(service="example", jwks_file=jwks_file), title="example", routers=[router])
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://example") as client:
            a, b = await asyncio.gather(client.post("/moves/a", params={"first": 1, "second": 2}),
                                        client.post("/moves/b", params={"first": 2, "second": 1}))
        assert (a.status_code, b.status_code) == (200, 200), (a.text, b.text)
        assert sorted(attempts.values()) == [1, 2], "one of the two met the deadlock and ran again"
        async with engine.connect() as conn:
            assert (await conn.execute(sa.text("SELECT n FROM counter ORDER BY id"))).scalars().all() == [2, 2]
            assert sorted((await conn.execute(sa.text("SELECT name FROM effect"))).scalars().all()) == ["a", "b"]
    finally:
        await engine.dispose()
