"""ATP from inventory's HTTP API: parsed per item per warehouse; slow or failing inventory → unknown."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
from o2c.sales.adapters.inventory_atp import HttpStockSource, parse_atp

INVENTORY_ANSWER = {"items": [
    {"item_code": "PUMP-1", "known": True, "available": "12", "warehouses": [
        {"warehouse_id": "WH-MUM", "state_code": "27", "confirmed": "20", "reserved": "5", "safety": "3",
         "available": "12"},
        {"warehouse_id": "WH-PUN", "available": "0"}]},
    {"item_code": "GHOST", "known": False, "available": "0", "warehouses": []},
], "elapsed_ms": 3.1}


def test_parses_inventorys_answer_and_the_simple_shapes() -> None:
    parsed = parse_atp(INVENTORY_ANSWER)
    assert [(w.warehouse_id, w.available) for w in parsed["PUMP-1"]] == [("WH-MUM", Decimal(12)), ("WH-PUN", 0)]
    assert [w.state_code for w in parsed["PUMP-1"]] == ["27", None]  # the state, where inventory names it
    assert parsed["GHOST"] == []
    assert parse_atp({"A": {"W1": "10"}})["A"][0].available == Decimal(10)
    assert parse_atp({"items": {"A": [{"warehouse_id": "W", "available": None}]}})["A"][0].available is None


async def test_stock_view_from_inventory_forwards_the_callers_token() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=INVENTORY_ANSWER)

    source = HttpStockSource("http://inventory", 1.0, transport=httpx.MockTransport(answer))
    view = await source.stock_view(["PUMP-1", "GHOST", "MISSING"], "Bearer t0k")
    assert seen[0].headers["authorization"] == "Bearer t0k"
    assert seen[0].url.params["items"] == "GHOST,MISSING,PUMP-1"
    assert view.known and view.for_item("PUMP-1") is not None and view.for_item("MISSING") is None


async def test_inventory_down_or_slow_gives_unknown_not_zero() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    view = await HttpStockSource("http://inventory", 1.0, transport=httpx.MockTransport(down)).stock_view(["A"])
    assert not view.known and view.for_item("A") is None

    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()  # inventory never answers: the 50 ms timeout must give up on it
        return httpx.Response(200, json={})

    view = await HttpStockSource("http://inventory", 0.05, transport=httpx.MockTransport(slow)).stock_view(["A"])
    assert not view.known

    view = await HttpStockSource("http://inventory", 1.0, transport=httpx.MockTransport(
        lambda r: httpx.Response(500, json={}))).stock_view(["A"])
    assert not view.known


async def test_one_client_serves_every_quotation_and_each_carries_its_own_token() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=INVENTORY_ANSWER)

    source = HttpStockSource("http://inventory", 1.0, transport=httpx.MockTransport(answer))
    await source.stock_view(["PUMP-1"], "Bearer one")
    first = source.client
    await source.stock_view(["PUMP-1"], "Bearer two")
    await source.stock_view(["PUMP-1"])
    assert source.client is first, "a client per quotation rebuilds its connection pool and TLS context"
    assert [r.headers.get("authorization") for r in seen] == ["Bearer one", "Bearer two", None]
    await source.aclose()
