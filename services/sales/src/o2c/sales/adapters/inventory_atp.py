"""Available-to-promise from inventory's HTTP API, with a short timeout: when inventory is slow or down the
quotation goes on with availability shown as unknown (never as zero).

`GET {inventory_url}/atp?items=A,B` answers per item per warehouse; both shapes are read:
inventory's `{"items": [{"item_code": "A", "warehouses": [{"warehouse_id": "W1", "available": "10"}]}]}`,
and the simpler `{"items": {"A": [{"warehouse_id": "W1", "available": "10"}]}}` or `{"A": {"W1": "10"}}`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from o2c.kit.http import CLIENT_KEEPALIVE_SECONDS
from o2c.sales.domain.quotation import StockView, WarehouseAtp

log = logging.getLogger("o2c.sales.atp")
_CHUNK = 200  # item codes per request (query strings stay short)


def parse_atp(body: Any) -> dict[str, list[WarehouseAtp]]:
    data = body.get("items", body) if isinstance(body, Mapping) else body
    out: dict[str, list[WarehouseAtp]] = {}
    if isinstance(data, list):  # [{"item_code": "A", "warehouses": [...]}]
        data = {row.get("item_code"): row.get("warehouses", []) for row in data if isinstance(row, Mapping)}
    if not isinstance(data, Mapping):
        raise ValueError("unexpected ATP answer")
    for code, rows in data.items():
        if isinstance(rows, Mapping):
            rows = [{"warehouse_id": wh, "available": qty} for wh, qty in rows.items()]
        atp = []
        for row in rows:
            raw = row.get("available", row.get("atp", row.get("quantity")))
            if isinstance(raw, Mapping):
                raw = raw.get("value")
            try:
                available = None if raw is None else Decimal(str(raw))
            except InvalidOperation:
                available = None
            state = row.get("state_code")
            atp.append(WarehouseAtp(str(row["warehouse_id"]), available, str(state) if state else None))
        out[str(code)] = atp
    return out


class HttpStockSource:
    """One HTTP client for the process (its connections and TLS context are reused: building a client per
    quotation cost 6 % of sales' CPU); the caller's token goes with each request."""

    def __init__(self, base_url: str, timeout_seconds: float,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout_seconds
        self.transport = transport
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout, transport=self.transport,
                                             limits=httpx.Limits(keepalive_expiry=CLIENT_KEEPALIVE_SECONDS))
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def stock_view(self, item_codes: Sequence[str], bearer: str | None = None) -> StockView:
        codes = sorted(set(item_codes))
        if not codes:
            return StockView({})
        headers = {"Authorization": bearer} if bearer else {}
        found: dict[str, list[WarehouseAtp]] = {}
        try:
            # One deadline for the whole answer (httpx's timeouts are per phase): sales never waits longer.
            async with asyncio.timeout(self.timeout):
                for start in range(0, len(codes), _CHUNK):
                    response = await self.client.get(
                        "/atp", params={"items": ",".join(codes[start:start + _CHUNK])}, headers=headers)
                    response.raise_for_status()
                    found.update(parse_atp(response.json()))
        except (TimeoutError, httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("inventory ATP unavailable (%s: %s); quoting with stock unknown", type(exc).__name__, exc)
            return StockView.unknown()
        return StockView(found)
