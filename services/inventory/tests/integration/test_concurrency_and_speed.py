"""Never oversold under concurrency, the ledger always balanced, and the speed of the two hot paths: ATP for
240 items in one call, reservations for 20 concurrent orders on overlapping items. Numbers are printed
(`pytest -s`) for the closing note."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from o2c.inventory.adapters.sql import _ATP_SQL
from o2c.inventory.app import DEFINITION
from o2c.inventory.bootstrap import bootstrap
from o2c.inventory.service_layer.orders import reserve_order
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import RunningService, ServiceHarness
from o2c.testsupport.inventory.inventory_support import (
    PNQ,
    add_warehouses,
    order,
    put_stock,
    scalar,
    seed_items,
    tokens,
)

pytestmark = pytest.mark.integration


async def reserve_concurrently(svc: RunningService, orders: list[Any]) -> float:
    """Every order in its own transaction, all released at once by a barrier; returns the elapsed seconds."""
    rt = svc.runtime
    barrier = asyncio.Barrier(len(orders))

    async def one(confirmed: Any) -> None:
        async with bootstrap(rt).transaction() as uow:
            await uow.session.execute(sa.text("SELECT 1"))  # hold a connection before the start signal
            await barrier.wait()
            await reserve_order(uow, confirmed)

    started = time.perf_counter()
    await asyncio.gather(*(one(o) for o in orders))
    return time.perf_counter() - started


async def ledger_balanced(svc: RunningService) -> bool:
    """Every balance equals the sum of its ledger deltas, and no location is reserved beyond what it holds."""
    mismatches = await scalar(svc, """
        WITH led AS (
            SELECT m.warehouse_id, m.item_code, d->>'bin_code' AS bin_code, coalesce(d->>'batch_no', '') AS batch_key,
                   sum((d->>'confirmed')::numeric) AS confirmed, sum((d->>'expected')::numeric) AS expected
            FROM stock_movement m, jsonb_array_elements(m.deltas) d
            GROUP BY 1, 2, 3, 4)
        SELECT count(*) FROM stock_balance b FULL JOIN led USING (warehouse_id, item_code, bin_code, batch_key)
        WHERE coalesce(b.confirmed, 0) <> coalesce(led.confirmed, 0)
           OR coalesce(b.expected, 0) <> coalesce(led.expected, 0)""")
    over = await scalar(svc, """
        SELECT count(*) FROM (
            SELECT a.warehouse_id, a.item_code, a.bin_code, a.batch_key, sum(a.quantity) AS held, max(b.confirmed) AS c
            FROM reservation_allocation a JOIN stock_balance b USING (warehouse_id, item_code, bin_code, batch_key)
            GROUP BY 1, 2, 3, 4) x WHERE held > c""")
    return mismatches == 0 and over == 0


async def test_twenty_concurrent_orders_for_the_last_ten_units_never_oversell(
    harness: ServiceHarness, issuer: LocalIssuer
) -> None:
    svc = await harness.start(DEFINITION, consumer=False)
    tok = tokens(issuer)
    rounds = 20
    items = [f"LAST-{r}" for r in range(rounds)]
    await seed_items(svc, *items)
    async with svc.client() as c:
        await add_warehouses(c, tok["wh"], PNQ)
        for item in items:
            await put_stock(c, tok["wh"], "PNQ", item, 6, "A-01")
            await put_stock(c, tok["wh"], "PNQ", item, 4, "A-02")
    for r, item in enumerate(items):
        orders = [order(f"o-{r}-{i}", [(item, 1 + i % 3)]) for i in range(20)]  # 40 wanted, 10 there
        await reserve_concurrently(svc, orders)
        reserved = await scalar(svc, "SELECT coalesce(sum(reserved), 0) FROM reservation WHERE item_code = :i", i=item)
        assert reserved == 10, (item, reserved)
        assert await scalar(svc, "SELECT count(*) FROM backorder WHERE item_code = :i", i=item) >= 10
    assert await ledger_balanced(svc)
    decided = await scalar(svc, "SELECT count(*) FROM order_allocation")
    assert decided == rounds * 20
    assert await scalar(svc, "SELECT count(*) FROM outbox") == rounds * 20


async def test_reservation_throughput_with_overlapping_items(harness: ServiceHarness, issuer: LocalIssuer) -> None:
    svc = await harness.start(DEFINITION, consumer=False)
    tok = tokens(issuer)
    items = [f"SKU-{i:02d}" for i in range(12)]
    await seed_items(svc, *items)
    async with svc.client() as c:
        await add_warehouses(c, tok["wh"])
        for item in items:
            for wh in ("PNQ", "AMD", "BLR"):
                await put_stock(c, tok["wh"], wh, item, 100000)
    rates = []
    for r in range(5):
        # 20 orders of 10 lines each, every order sharing most of its items with the others.
        orders = [order(f"t-{r}-{i}", [(items[(i + k) % len(items)], 3) for k in range(10)],
                        ("411001", "380001", "560001", "590001")[i % 4]) for i in range(20)]
        elapsed = await reserve_concurrently(svc, orders)
        rates.append(200 / elapsed)
    print(f"\nreservation throughput, 20 concurrent orders x 10 lines on 12 shared items x 3 warehouses: "
          f"median {statistics.median(rates):.0f} lines/s, min {min(rates):.0f} lines/s; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    assert await ledger_balanced(svc)
    assert await scalar(svc, "SELECT count(*) FROM reservation WHERE reserved <> requested") == 0
    # A floor against regressions on a shared, loaded machine; the target (≥ 200 lines/s) is reported.
    assert min(rates) > 5


async def test_atp_for_240_items_in_one_call(harness: ServiceHarness, issuer: LocalIssuer) -> None:
    svc = await harness.start(DEFINITION, consumer=False)
    tok = tokens(issuer)
    items = [f"ATP-{i:03d}" for i in range(240)]
    await seed_items(svc, *items[:200])
    await seed_items(svc, *items[200:], batch_tracked=True)
    async with svc.client() as c:
        await add_warehouses(c, tok["wh"])
    today = datetime.now(UTC).date()
    rows, stocks = [], []
    for n, item in enumerate(items):
        for wh in ("PNQ", "AMD", "BLR"):
            stocks.append({"warehouse_id": wh, "item_code": item, "safety_stock": Decimal(n % 3)})
            for b, bin_code in enumerate(("A-01", "A-02")):
                tracked = n >= 200
                rows.append({"warehouse_id": wh, "item_code": item, "bin_code": bin_code,
                             "batch_key": f"B{b}" if tracked else "", "bin_kind": "storage",
                             "batch_no": f"B{b}" if tracked else None,
                             "expiry_date": today.replace(year=today.year + (1 if b else -1)) if tracked else None,
                             "confirmed": Decimal(50 + n), "expected": Decimal(5)})
    async with svc.runtime.sessions() as session, session.begin():
        await session.execute(sa.text(
            "INSERT INTO item_stock (warehouse_id, item_code, safety_stock) VALUES (:warehouse_id, :item_code, "
            ":safety_stock)"), stocks)
        await session.execute(sa.text(
            "INSERT INTO stock_balance (warehouse_id, item_code, bin_code, batch_key, bin_kind, batch_no, expiry_date,"
            " confirmed, expected) VALUES (:warehouse_id, :item_code, :bin_code, :batch_key, :bin_kind, :batch_no, "
            ":expiry_date, :confirmed, :expected)"), rows)
    # Some reservations, made the real way.
    orders = [order(f"atp-{i}", [(items[(i * 7 + k) % 240], 5) for k in range(8)]) for i in range(30)]
    for chunk in range(0, 30, 10):
        await reserve_concurrently(svc, orders[chunk:chunk + 10])
    timings, cpu = [], []
    async with svc.client() as c:
        for _ in range(40):
            started, cpu_started = time.perf_counter(), time.process_time()
            r = await c.get("/atp", params={"items": ",".join(items)}, headers=tok["sales"])
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            assert r.status_code == 200
        body = r.json()
    async with svc.runtime.sessions() as session:
        plan = (await session.execute(sa.text("EXPLAIN (ANALYZE, FORMAT JSON) " + _ATP_SQL.text),
                                      {"items": items, "on": today, "warehouse": None})).scalar()
    load = os.getloadavg()[0]
    timings.sort()
    p50, p99 = statistics.median(timings), timings[int(len(timings) * 0.99) - 1]
    server = body["elapsed_ms"]
    print(f"\nATP 240 items x 3 warehouses, one call over the ASGI client (auth + JSON included): "
          f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {timings[-1]:.1f} ms; server-side last call {server} ms; "
          f"Python CPU per call (client + service) median {statistics.median(cpu):.1f} ms; PostgreSQL execution "
          f"{plan[0]['Execution Time']:.1f} ms; load average {load:.1f} on {os.cpu_count()} CPUs")
    assert len(body["items"]) == 240 and all(len(i["warehouses"]) == 3 for i in body["items"])
    first, tracked = body["items"][0], body["items"][239]
    assert first["warehouses"][0]["confirmed"] == "100.000"
    # A batch-tracked item: the expired batch (B0) is confirmed but not promised.
    wh = tracked["warehouses"][0]
    assert Decimal(wh["available"]) <= Decimal(50 + 239) - Decimal(wh["safety"])
    # The target (≤ 50 ms) is reported; timings never gate CI unless O2C_MEASURE_STRICT=1.
    if os.environ.get("O2C_MEASURE_STRICT") == "1":
        assert p99 < 50
