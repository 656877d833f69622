"""The tracking projection on the real stack: chain messages over Kafka → PostgreSQL → Redis → the page,
search, scope, server-sent events, a Redis flush, dashboards; lag and page latency printed."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from o2c.contracts.v1 import sales
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import RunningService, ServiceHarness, bearer, wait_for
from o2c.sales.tracking import domain
from o2c.sales.tracking.handlers import tracking_of
from o2c.testsupport.sales.tracking_support import NOW, LiveServer, Publisher, scenario, story

pytestmark = pytest.mark.integration



def expected_view(messages: list[Any]) -> dict[str, Any]:
    return domain.project(messages[0].order_id, messages, NOW)


def comparable(view: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k not in {"as_of"}}


async def page(client: Any, order_id: str, headers: dict[str, str]) -> dict[str, Any] | None:
    r = await client.get(f"/tracking/orders/{order_id}", headers=headers)
    return r.json() if r.status_code == 200 else None


async def test_story_projects_searches_scopes_streams_and_survives_a_redis_flush(
        svc: RunningService, publisher: Publisher, issuer: LocalIssuer, harness: ServiceHarness) -> None:
    coord = bearer(issuer, "sales_coordinator")
    messages = story("ord-int-1", customer_id="cus-1001", customer_name="Arun Retail LLP")
    lags: list[float] = []
    async with svc.client() as c:
        # Message by message: each is visible on the page within the lag budget.
        for i, m in enumerate(messages):
            started = time.perf_counter()
            await publisher.send(m)
            want = len(expected_view(messages[: i + 1])["steps"])
            await wait_for(lambda want=want: _has_steps(c, "ord-int-1", coord, want), timeout=20, interval=0.005,
                           what=f"{m.TYPE} on the page")
            lags.append((time.perf_counter() - started) * 1000)
        got = await page(c, "ord-int-1", coord)
        assert got is not None
        assert comparable(got) == comparable(expected_view(messages))
        assert got["shipments"][0]["ewaybill"]["ewaybill_no"] == "381001234567"
        assert got["shipments"][1]["expected_dispatch_date"] == "2026-05-04"

        # Search by each kind of reference.
        for q, kind in [("arun retail", "customer"), ("33AAAAR6720M1ZG", "gstin"), ("ka01ab1234", "vehicle"),
                        ("381001234567", "ewaybill"), ("LR-558812", "lr"), ("INV/26-27/-int-1", "invoice"),
                        ("QT/ord-int-1", "quotation"), ("ord-int-1", "order")]:
            r = await c.get("/tracking/search", params={"q": q}, headers=coord)
            assert r.status_code == 200, r.text
            hits = r.json()
            assert [h["order_id"] for h in hits] == ["ord-int-1"], (q, hits)
            assert any(m.startswith(kind + ":") for m in hits[0]["matched"]), (q, hits)

        # A customer login sees its own order, and gets 403 on another customer's.
        own = bearer(issuer, "customer", customer_id="cus-1001")
        other = bearer(issuer, "customer", customer_id="cus-9999")
        assert (await c.get("/tracking/orders/ord-int-1", headers=own)).status_code == 200
        r = await c.get("/tracking/orders/ord-int-1", headers=other)
        assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
        assert (await c.get("/tracking/search", params={"q": "arun"}, headers=other)).json() == []
        assert (await c.get("/tracking/orders/nope", headers=coord)).status_code == 404

        # Warehouse staff see the orders of their sites only: page, list and search.
        pune = bearer(issuer, "picker", warehouse_ids=["WH-PUN-1"])
        nagpur = bearer(issuer, "dispatch_supervisor", warehouse_ids=["WH-NAG-1"])
        assert (await c.get("/tracking/orders/ord-int-1", headers=pune)).status_code == 200
        r = await c.get("/tracking/orders/ord-int-1", headers=nagpur)
        assert r.status_code == 403 and "warehouses" in r.json()["detail"]
        assert [o["order_id"] for o in (await c.get("/tracking/orders", headers=pune)).json()] == ["ord-int-1"]
        assert (await c.get("/tracking/orders", headers=nagpur)).json() == []
        assert (await c.get("/tracking/search", params={"q": "arun"}, headers=nagpur)).json() == []
        assert (await c.get("/tracking/orders/ord-int-1")).status_code == 401

        # Redis is flushed (every key this run's sales has there; the shared test Redis serves other suites):
        # the page answers from PostgreSQL, the same as before, and the hot view and its meta refill.
        cache = tracking_of(svc.runtime).cache
        r_client = aioredis.Redis.from_url(svc.runtime.settings.redis_url)
        try:
            await tracking_of(svc.runtime).drain()
            everything = svc.runtime.settings.topic_prefix + "o2c:*"
            keys = [k async for k in r_client.scan_iter(match=everything)]
            assert any(k.decode().startswith(cache.meta_prefix) for k in keys) and keys
            await r_client.delete(*keys)
            assert [k async for k in r_client.scan_iter(match=everything)] == []
            again = await page(c, "ord-int-1", coord)
            assert again is not None and comparable(again) == comparable(got)
            refilled = await r_client.get(cache.key("ord-int-1"))
            assert refilled is not None and json.loads(refilled)["order_id"] == "ord-int-1"
            hot = await cache.get("ord-int-1")
            assert hot is not None and hot.customer_id == "cus-1001" and hot.warehouses == {"WH-BLR-1", "WH-PUN-1"}
        finally:
            await r_client.aclose()

        dash = await c.get("/tracking/dashboards", params={"from": "2026-05-01", "to": "2026-05-04"},
                           headers=bearer(issuer, "sales_head"))
        assert dash.status_code == 200, dash.text
        figures = dash.json()
        assert figures["on_time_dispatch"] == [{"day": "2026-05-03", "warehouse_id": "WH-BLR-1", "shipments": 1,
                                                "on_time": 1, "rate": 1.0}]
        (cycle,) = figures["order_to_dispatch_hours"]
        assert cycle["avg"] == pytest.approx(23.5)
        (decision,) = figures["credit_decision_hours"]
        assert decision["avg"] == pytest.approx(2.48, abs=0.01)
        assert figures["dispatch_ageing"] == [{"warehouse_id": "WH-PUN-1", "bucket": "0-1 d", "shipments": 1}]

        # Page latency from the hot view.
        durations = []
        for _ in range(300):
            started = time.perf_counter()
            r = await c.get("/tracking/orders/ord-int-1", headers=coord)
            durations.append((time.perf_counter() - started) * 1000)
            assert r.status_code == 200
    durations.sort()
    lags.sort()
    print(f"\ntracking: projection lag per message (publish → on the page, polled every 5 ms) "
          f"p50 {statistics.median(lags):.0f} ms, max {lags[-1]:.0f} ms over {len(lags)} messages; "
          f"page in-process p50 {statistics.median(durations):.2f} ms "
          f"p99 {durations[int(len(durations) * .99)]:.2f} ms")
    assert lags[-1] < 2000


async def _has_steps(c: Any, order_id: str, headers: dict[str, str], want: int) -> bool:
    got = await page(c, order_id, headers)
    return got is not None and len(got["steps"]) >= want


async def test_stream_pushes_each_new_version(svc: RunningService, publisher: Publisher, issuer: LocalIssuer
                                              ) -> None:
    messages = story("ord-int-2", stop_after="CreditHeld")
    token = bearer(issuer, "finance_head")["Authorization"].split(" ", 1)[1]
    async with svc.client() as c:
        for m in messages:
            await publisher.send(m)
        await wait_for(lambda: _has_steps(c, "ord-int-2", {"Authorization": "Bearer " + token}, 4), timeout=20)
    live = LiveServer(svc.app)
    url = await live.start()
    seen: list[dict[str, Any]] = []
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as c:

            async def listen() -> None:
                async with c.stream("GET", "/tracking/orders/ord-int-2/stream",
                                    params={"ticket": await ticket(c, "ord-int-2", token)}) as r:
                    assert r.status_code == 200
                    assert r.headers["content-type"].startswith("text/event-stream")
                    async for line in r.aiter_lines():
                        if line.startswith("data: "):
                            seen.append(json.loads(line[6:]))
                            if len(seen) == 2:
                                return

            reader = asyncio.create_task(listen())
            await wait_for(lambda: _true(bool(seen)), timeout=10, what="the first event")
            assert seen[0]["status"] == "credit_hold"
            sanctioned = story("ord-int-2", stop_after="CreditSanctioned")[-1]
            started = time.perf_counter()
            await publisher.send(sanctioned)
            await asyncio.wait_for(reader, timeout=20)
            pushed_ms = (time.perf_counter() - started) * 1000
            r = await c.get("/tracking/orders/ord-int-2/stream", params={"ticket": "garbage"})
            assert r.status_code == 401
    finally:
        await live.stop()
    assert seen[1]["credit"]["status"] == "sanctioned" and seen[1]["open_exceptions"] == []
    print(f"\ntracking: sanction published → pushed to the open page in {pushed_ms:.0f} ms")


async def ticket(c: httpx.AsyncClient, order_id: str, token: str) -> str:
    r = await c.post(f"/tracking/orders/{order_id}/stream-tickets", headers={"Authorization": "Bearer " + token})
    assert r.status_code == 201, r.text
    return str(r.json()["ticket"])


async def _true(value: bool) -> bool:
    return value


async def test_open_pages_share_one_subscription_and_resync_after_it_drops(
        svc: RunningService, publisher: Publisher, issuer: LocalIssuer) -> None:
    messages = story("ord-int-4", stop_after="CreditHeld")
    token = bearer(issuer, "finance_head")["Authorization"].split(" ", 1)[1]
    for m in messages:
        await publisher.send(m)
    async with svc.client() as c:
        await wait_for(lambda: _has_steps(c, "ord-int-4", {"Authorization": "Bearer " + token}, 4), timeout=20)
    cache = tracking_of(svc.runtime).cache
    admin = aioredis.Redis.from_url(svc.runtime.settings.redis_url)
    live = LiveServer(svc.app)
    url = await live.start()
    pages: list[list[dict[str, Any]]] = [[], [], []]

    async def subscriptions() -> list[dict[str, Any]]:
        clients: list[dict[str, Any]] = await admin.client_list()
        return [x for x in clients if x.get("name") == cache.subscriber_name]

    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as c:

            async def listen(seen: list[dict[str, Any]]) -> None:
                async with c.stream("GET", "/tracking/orders/ord-int-4/stream",
                                    params={"ticket": await ticket(c, "ord-int-4", token)}) as r:
                    async for line in r.aiter_lines():
                        if line.startswith("data: "):
                            seen.append(json.loads(line[6:]))
                            if seen[-1]["credit"]["status"] == "sanctioned":
                                return

            readers = [asyncio.create_task(listen(seen)) for seen in pages]
            await wait_for(lambda: _true(all(pages)), timeout=10, what="three open pages")
            await wait_for(lambda: _true(len(tracking_of(svc.runtime).live.pages.get("ord-int-4", ())) == 3),
                           timeout=5, what="three pages registered")
            assert len(await subscriptions()) == 1  # one Redis connection for the three pages
            # The subscription drops (a Redis restart, a network blip) just as the sanction lands.
            (sub,) = await subscriptions()
            await admin.client_kill_filter(_id=sub["id"])
            await publisher.send(story("ord-int-4", stop_after="CreditSanctioned")[-1])
            await asyncio.wait_for(asyncio.gather(*readers), timeout=30)
            await wait_for(subscriptions, timeout=10, what="the subscription back")
    finally:
        await live.stop()
        await admin.aclose()
    assert all(seen[-1]["credit"]["status"] == "sanctioned" for seen in pages)


async def test_failed_compensation_on_the_page_and_in_the_sre_queue(
        svc: RunningService, publisher: Publisher, issuer: LocalIssuer) -> None:
    from o2c.contracts.samples import sample
    from o2c.contracts.v1 import sales

    sre = bearer(issuer, "sre")
    messages = story("ord-int-3", stop_after="CreditHeld")
    for m in messages:
        await publisher.send(m)
    failed = sample(sales.OrderExceptionRaised).model_copy(update={
        "order_id": "ord-int-3", "key": "ord-int-3:failed", "raised_at": scenario.at(2, 9)})
    await publisher.send(failed)
    async with svc.client() as c:
        want = len(expected_view([*messages, failed])["steps"])
        await wait_for(lambda: _has_steps(c, "ord-int-3", sre, want), timeout=20, what="the exception on the page")
        got = await page(c, "ord-int-3", sre)
        assert got is not None
        (exc,) = [e for e in got["open_exceptions"] if e["kind"] == "failed_compensation"]
        assert "keeps failing" in exc["detail"]
        r = await c.get("/tracking/orders", params={"exception_kind": "failed_compensation"}, headers=sre)
        assert [o["order_id"] for o in r.json()] == ["ord-int-3"]
        r = await c.get("/tracking/orders", params={"exception_kind": "irn_rejected"}, headers=sre)
        assert r.json() == []


async def test_an_order_that_carries_its_quotation_is_tracked_while_another_holds_the_quotation_lock(
        svc: RunningService, publisher: Publisher, issuer: LocalIssuer) -> None:
    """The quotation lock serialises an order with its QuotationIssued only when the order does not carry the
    quotation's facts. One that does takes no lock, so two lanes never wait on each other's quotations (issue 15:
    the lock taken across lanes deadlocked under load)."""
    confirmed, issued = story("ord-int-q1", stop_after="QuotationIssued")[:2]
    carried = confirmed.model_copy(update={"quotation": sales.QuotedFrom(
        quotation_no=issued.quotation_no, issued_at=issued.issued_at, valid_until=issued.valid_until,
        gross_value=issued.totals.gross_value)})
    coord = bearer(issuer, "sales_coordinator")
    async with svc.runtime.sessions() as holder:
        await holder.execute(sa.text("SELECT pg_advisory_lock(7262101, hashtext(:q))"),
                             {"q": confirmed.quotation_id})
        try:
            await publisher.send(carried)
            async with svc.client() as c:
                await wait_for(lambda: _has_steps(c, "ord-int-q1", coord, 2), timeout=20, interval=0.01,
                               what="the order on its page while its quotation is locked elsewhere")
                got = await page(c, "ord-int-q1", coord)
        finally:
            await holder.execute(sa.text("SELECT pg_advisory_unlock(7262101, hashtext(:q))"),
                                 {"q": confirmed.quotation_id})
    assert got is not None
    assert got["quotation"] == {"quotation_id": confirmed.quotation_id, "quotation_no": issued.quotation_no}
    assert [s["kind"] for s in got["steps"]] == ["quotation_issued", "order_confirmed"]
    assert got == {**got, "steps": domain.project("ord-int-q1", [carried], NOW)["steps"]}
