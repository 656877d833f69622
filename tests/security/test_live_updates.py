"""Finding 9, live updates: the order page's stream never takes a bearer token in its URL (URLs end up in
access logs, proxies and browser history); it opens with a one-use ticket asked for with the bearer, and it
ends when the token the ticket was issued for expires. Real stack: sales' tracking projection fed from Kafka,
pages in Redis, the stream over a real HTTP port."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import RunningService, ServiceHarness, serve_app, wait_for
from o2c.sales.tracking.handlers import tracking_of
from o2c.testsupport.sales.tracking_support import NOW, TRACKING_ONLY, Publisher, story

pytestmark = [pytest.mark.integration]

ORDER = "ord-sec-live-1"


@pytest.fixture
async def live(harness: ServiceHarness, issuer: LocalIssuer) -> AsyncIterator[str]:
    """Sales (tracking only) on a real port, with one held order tracked."""
    running: RunningService = await harness.start(TRACKING_ONLY)
    running.runtime.extras["clock"] = lambda: NOW
    publisher = Publisher(harness.bootstrap, harness.prefix)
    await publisher.start()
    server, task, url = await serve_app(running.app)
    try:
        for message in story(ORDER, stop_after="CreditHeld"):
            await publisher.send(message)
        token = issuer.token("sec-finance", ["finance_head"])

        async def tracked() -> bool:
            async with httpx.AsyncClient(base_url=url) as c:
                r = await c.get(f"/tracking/orders/{ORDER}", headers={"Authorization": "Bearer " + token})
            return r.status_code == 200

        await wait_for(tracked, timeout=30, what="the order tracked")
        yield url
    finally:
        server.should_exit = True
        await task
        await publisher.stop()
        await tracking_of(running.runtime).cache.close()


async def _first_event(c: httpx.AsyncClient, params: dict[str, str]) -> tuple[int, str]:
    async with c.stream("GET", f"/tracking/orders/{ORDER}/stream", params=params) as r:
        if r.status_code != 200:
            await r.aread()
            return r.status_code, r.text
        async for line in r.aiter_lines():
            if line.startswith("event: "):
                return r.status_code, line
    return r.status_code, ""


async def test_stream_refuses_a_bearer_in_the_url_and_opens_with_a_one_use_ticket(
        live: str, issuer: LocalIssuer) -> None:
    token = issuer.token("sec-finance", ["finance_head"])
    async with httpx.AsyncClient(base_url=live, timeout=20) as c:
        status, body = await _first_event(c, {"access_token": token})
        assert status == 401, f"a valid bearer in the URL opened the stream: {status} {body}"
        assert "ticket" in body

        r = await c.post(f"/tracking/orders/{ORDER}/stream-tickets")
        assert r.status_code == 401  # a ticket is asked for with the bearer
        r = await c.post(f"/tracking/orders/{ORDER}/stream-tickets", headers={"Authorization": "Bearer " + token})
        assert r.status_code == 201, r.text
        ticket = r.json()["ticket"]
        assert token not in r.text and len(ticket) >= 32

        assert await _first_event(c, {"ticket": ticket}) == (200, "event: view")
        status, _ = await _first_event(c, {"ticket": ticket})
        assert status == 401  # used once: a ticket copied from a log opens nothing

        # A ticket is for the order it was asked for.
        other = (await c.post("/tracking/orders/ord-elsewhere/stream-tickets",
                              headers={"Authorization": "Bearer " + token})).status_code
        assert other == 404


async def test_stream_ends_when_its_token_expires(live: str, issuer: LocalIssuer) -> None:
    token = issuer.token("sec-finance-short", ["finance_head"], ttl_seconds=4)
    async with httpx.AsyncClient(base_url=live, timeout=30) as c:
        r = await c.post(f"/tracking/orders/{ORDER}/stream-tickets", headers={"Authorization": "Bearer " + token})
        assert r.status_code == 201, r.text
        events: list[str] = []

        async def read_all() -> None:
            async with c.stream("GET", f"/tracking/orders/{ORDER}/stream",
                                params={"ticket": r.json()["ticket"]}) as s:
                assert s.status_code == 200
                async for line in s.aiter_lines():
                    if line.startswith("event: "):
                        events.append(line[7:])

        started = time.monotonic()
        # The server must end the stream itself; the deadline only bounds a failing run.
        await asyncio.wait_for(read_all(), timeout=20)
        lasted = time.monotonic() - started
    assert events[0] == "view" and events[-1] == "expired", events
    assert lasted < 10, f"the stream outlived its 4 s token by {lasted - 4:.1f} s"
