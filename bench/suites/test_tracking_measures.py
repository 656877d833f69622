"""Measures (printed, loosely bounded: the figures go in the closing note; a loaded two-core machine must not
turn them into flaky failures):

- order page API latency at 200 requests/s over 10,000 orders (open-loop load from a separate process
  against sales on a real port; hot view in Redis);
- projection lag: event published → the new view pushed on the order's Redis channel (what an open page
  receives), over 400 events on 200 orders.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import ServiceHarness, bearer, wait_for
from o2c.sales.tracking import domain, store
from o2c.sales.tracking.cache import page_meta
from o2c.sales.tracking.handlers import tracking_of
from o2c.sales.tracking.tables import tracking_order, tracking_term
from o2c.testsupport.sales.tracking_support import TRACKING_ONLY, LiveServer, Publisher, story
from sqlalchemy.dialects.postgresql import insert as pg_insert

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

ORDERS = 10_000
RATE = 200
SECONDS = 20

LOAD = r"""
# Open-loop load with a lean HTTP/1.1 keep-alive client on raw asyncio streams (uvloop when installed): httpx's
# connection pool costs more CPU per request than the page itself and, once requests queue, collapses the rate
# it can offer, which measured the client, not the page. Latency counts from the scheduled send time, so a
# client that falls behind shows up in the figures instead of hiding queueing (no coordinated omission).
import asyncio, json, random, sys, time
from urllib.parse import urlsplit
url, token, rate, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ids = json.loads(sys.stdin.read())  # every order id (too many for an argument)
host, port = urlsplit(url).hostname, urlsplit(url).port
idle, lat, errors, kinds = [], [], [0], {}
async def request(conn):
    reader, writer = conn
    writer.write(("GET /tracking/orders/" + random.choice(ids) + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                  + token + "\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    length = int(next(h.split(b":", 1)[1] for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")))
    await asyncio.wait_for(reader.readexactly(length), 5)
    return head
async def one(scheduled):
    try:
        if idle:
            conn = idle.pop()
            try:
                head = await request(conn)
            except (asyncio.IncompleteReadError, ConnectionError):  # closed by the server while idle: reconnect
                conn = await asyncio.open_connection(host, port)
                head = await request(conn)
        else:
            conn = await asyncio.open_connection(host, port)
            head = await request(conn)
        if head[9:12] != b"200":
            errors[0] += 1
            kinds[head[9:12].decode()] = kinds.get(head[9:12].decode(), 0) + 1
        idle.append(conn)
    except Exception as exc:
        errors[0] += 1
        kinds[type(exc).__name__] = kinds.get(type(exc).__name__, 0) + 1
    lat.append((time.perf_counter() - scheduled) * 1000)
async def main():
    # A pool of open connections, as a load balancer or a fleet of browsers holds them; more open on demand.
    idle.extend([await asyncio.open_connection(host, port) for _ in range(64)])
    for _ in range(20):
        await one(time.perf_counter())
    lat.clear()
    for _ in range(100):  # one at a time: the cost of one request, without queueing
        await one(time.perf_counter())
    sequential = sorted(lat)
    lat.clear()
    tasks, t0 = [], time.perf_counter()
    for i in range(rate * seconds):
        scheduled = t0 + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    took = time.perf_counter() - t0
    lat.sort()
    pick = lambda q: lat[min(len(lat) - 1, int(len(lat) * q))]
    print(json.dumps({"n": len(lat), "errors": errors[0], "rps": len(lat) / took, "p50": pick(.5), "p95": pick(.95),
                      "p99": pick(.99), "max": lat[-1], "connections": len(idle), "error_kinds": kinds,
                      "sequential_p50": sequential[50], "sequential_p99": sequential[98]}))
try:
    import uvloop
    uvloop.run(main())
except ImportError:
    asyncio.run(main())
"""


async def test_order_page_latency_at_200_rps_over_10000_orders(harness: ServiceHarness, issuer: LocalIssuer) -> None:
    svc = await harness.start(TRACKING_ONLY, consumer=False)
    tracking = tracking_of(svc.runtime)
    template = domain.new_view("ord-m-0")
    for m in story("ord-m-0"):
        domain.apply(template, m)
    domain.derive(template, datetime.now(UTC))
    body = store.dumps(template)
    ids = [f"ord-m-{i}" for i in range(ORDERS)]
    started = time.perf_counter()
    async with svc.runtime.sessions() as session, session.begin():
        for chunk in range(0, ORDERS, 500):
            rows, terms = [], []
            for oid in ids[chunk: chunk + 500]:
                view = json.loads(body.replace("ord-m-0", oid))
                rows.append({"order_id": oid, "order_no": view["order_no"], "customer_id": "cus-1001",
                             "customer_name": view["customer"]["name"], "status": view["status"], "doc": view,
                             "version": 1, "updated_at": datetime.now(UTC)})
                terms += [{"term": domain.normalise_term(v), "order_id": oid, "kind": k, "value": v}
                          for k, v in domain.search_terms(view)]
            await session.execute(pg_insert(tracking_order), rows)
            await session.execute(pg_insert(tracking_term).on_conflict_do_nothing(), terms)
    seeded = time.perf_counter() - started
    del rows, terms  # ten thousand parsed views would make every full GC of this process slow
    meta = page_meta(body)
    for chunk in range(0, ORDERS, 1000):  # the hot view, as the projection leaves it
        pipe = tracking.cache.client.pipeline(transaction=False)
        for oid in ids[chunk: chunk + 1000]:
            pipe.set(tracking.cache.key(oid), body.replace("ord-m-0", oid), ex=600)
            pipe.set(tracking.cache.meta_key(oid), meta, ex=600)
        await pipe.execute()
    hot = await tracking.cache.get(ids[-1])
    assert hot is not None and hot.customer_id and hot.day == domain.ist_date(datetime.now(UTC)).isoformat(), hot
    gc.collect()
    async with svc.runtime.sessions() as session:
        count = (await session.execute(sa.select(sa.func.count()).select_from(tracking_order))).scalar_one()
    assert count == ORDERS

    live = LiveServer(svc.app)
    url = await live.start()
    token = bearer(issuer, "sales_head")["Authorization"].split(" ", 1)[1]
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", LOAD, url, token, str(RATE), str(SECONDS),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = await proc.communicate(json.dumps(ids).encode())
    finally:
        await live.stop()
        keys = [tracking.cache.key(oid) for oid in ids] + [tracking.cache.meta_key(oid) for oid in ids]
        for chunk in range(0, len(keys), 1000):
            await tracking.cache.client.delete(*keys[chunk: chunk + 1000])
        await tracking.cache.close()
    assert proc.returncode == 0, err.decode()[-3000:]
    figures = json.loads(out.decode().strip().splitlines()[-1])
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    print(f"\ntracking page over HTTP: {ORDERS} orders seeded in {seeded:.1f} s; {figures['n']} requests at "
          f"{figures['rps']:.0f}/s: p50 {figures['p50']:.1f} ms, p95 {figures['p95']:.1f} ms, "
          f"p99 {figures['p99']:.1f} ms, max {figures['max']:.1f} ms, errors {figures['errors']} "
          f"{figures['error_kinds'] or ''}; "
          f"{figures['connections']} connections; one at a time "
          f"p50 {figures['sequential_p50']:.1f} ms, p99 {figures['sequential_p99']:.1f} ms "
          f"(load average {' '.join(load)} on {len(__import__('os').sched_getaffinity(0))} cores)")
    # A measure, not a gate (like bench/): the figures go in the closing note. Only a broken page fails it.
    # Offered load beyond what a loaded 2-core box serves shows up as timed-out requests; that is a measurement,
    # not a failure of the page, so only O2C_MEASURE_STRICT=1 gates on it. Correctness is asserted above.
    if os.environ.get("O2C_MEASURE_STRICT") == "1":
        assert figures["errors"] == 0


async def test_projection_lag(harness: ServiceHarness) -> None:
    svc = await harness.start(TRACKING_ONLY)
    tracking = tracking_of(svc.runtime)
    publisher = Publisher(harness.bootstrap, harness.prefix)
    await publisher.start()
    subscriber = tracking.cache.subscriber()
    pubsub = subscriber.pubsub()
    await pubsub.psubscribe(tracking.cache.prefix + "*")
    seen: dict[tuple[str, int], float] = {}

    async def listen() -> None:
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message is None:
                continue
            view = json.loads(message["data"])
            seen.setdefault((view["order_id"], len(view["steps"])), time.perf_counter())

    reader = asyncio.create_task(listen())
    sent: dict[tuple[str, int], float] = {}
    try:
        orders = [f"ord-lag-{i}" for i in range(200)]
        stories = {oid: [m for m in story(oid, stop_after="CreditHeld") if m.TYPE != "QuotationIssued"]
                   for oid in orders}
        for wave in range(2):  # OrderConfirmed for every order, then StockReserved: 400 events at ~40/s
            for oid in orders:
                sent[(oid, wave + 1)] = time.perf_counter()
                await publisher.send(stories[oid][wave])
                await asyncio.sleep(0.025)

        async def all_seen() -> bool:
            return all(k in seen for k in sent)

        await wait_for(all_seen, timeout=60, interval=0.1, what="every event on the page's channel")
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await subscriber.aclose()
        await publisher.stop()
        await tracking.cache.close()
    lags = sorted((seen[k] - t) * 1000 for k, t in sent.items() if k in seen)
    assert len(lags) == len(sent), f"{len(sent) - len(lags)} events never became visible"
    p99 = lags[int(len(lags) * 0.99)]
    print(f"\ntracking projection lag (published → pushed to the page's channel) over {len(lags)} events: "
          f"p50 {statistics.median(lags):.0f} ms, p95 {lags[int(len(lags) * .95)]:.0f} ms, p99 {p99:.0f} ms, "
          f"max {lags[-1]:.0f} ms")
    assert p99 < 5000  # the budget is 500 ms; this bound only catches a broken path
