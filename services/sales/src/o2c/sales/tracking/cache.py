"""Redis as the hot view and the fan-out: `<prefix>o2c:tracking:order:<id>` holds the page's JSON, and the
channel of the same name carries every new version to the open pages (server-sent events). Beside it,
`<prefix>o2c:tracking:meta:<id>` holds what a read needs to decide before sending the page (the customer, for
the scope check, and the IST day the page was derived on): both come in one MGET, so the hot path never parses
the page.

Redis is a cache: every write goes to PostgreSQL first; a miss (or a flushed Redis) reads the table and
refills the key. A Redis outage degrades the page to PostgreSQL speed, it never fails it.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from o2c.sales.tracking.domain import ist_date, order_warehouses

log = logging.getLogger("o2c.sales.tracking")

TTL_SECONDS = 7 * 24 * 3600
SKIP_AFTER_FAILURE_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class CachedPage:
    body: bytes
    customer_id: str
    day: str
    """The IST business day (ISO) the page was derived on."""
    warehouses: frozenset[str]
    """Where the order is reserved or shipped from (the scope of warehouse staff)."""


def page_meta(body: str) -> str:
    """`customer_id<TAB>day<TAB>warehouse,…` of a derived page (writes are rare next to reads: parsing here is
    cheap)."""
    view = json.loads(body)
    customer = (view.get("customer") or {}).get("customer_id") or ""
    as_of = view.get("as_of") or ""
    day = ""
    if as_of:
        day = ist_date(datetime.fromisoformat(as_of)).isoformat()
    return f"{customer}\t{day}\t{','.join(sorted(order_warehouses(view)))}"


class TrackingCache:
    def __init__(self, url: str, prefix: str = "") -> None:
        self.url = url
        self.prefix = f"{prefix}o2c:tracking:order:"
        self.meta_prefix = f"{prefix}o2c:tracking:meta:"
        self._client: aioredis.Redis | None = None
        self._skip_until = 0.0

    @property
    def client(self) -> aioredis.Redis:
        if self._client is None:
            # Redis answers in well under a millisecond; a read timeout only fires when this process is
            # saturated, and then a short one would turn every page into a database read and make it worse.
            self._client = aioredis.Redis.from_url(self.url, socket_timeout=2.0, socket_connect_timeout=0.5)
        return self._client

    def subscriber(self) -> aioredis.Redis:
        """A connection for pub/sub: it waits on the channel, so no read timeout."""
        return aioredis.Redis.from_url(self.url, socket_connect_timeout=0.5)

    def key(self, order_id: str) -> str:
        return self.prefix + order_id

    def channel(self, order_id: str) -> str:
        return self.prefix + order_id

    def meta_key(self, order_id: str) -> str:
        return self.meta_prefix + order_id

    async def get(self, order_id: str) -> CachedPage | None:
        """The cached page with its customer and day; None on a miss (either key gone) or an outage. After a
        failed read the cache is skipped for a moment: an outage costs one timeout, not one per page."""
        if time.monotonic() < self._skip_until:
            return None
        try:
            found: Any = await self.client.mget(self.key(order_id), self.meta_key(order_id))
        except Exception as exc:  # a cache outage must not fail the page
            self._skip_until = time.monotonic() + SKIP_AFTER_FAILURE_SECONDS
            log.warning("tracking cache read failed (reading PostgreSQL for %.0f s): %s",
                        SKIP_AFTER_FAILURE_SECONDS, exc)
            return None
        body, meta = found
        if body is None or meta is None:
            return None
        customer_id, day, warehouses = [*bytes(meta).decode().split("\t"), "", ""][:3]
        return CachedPage(bytes(body), customer_id, day, frozenset(w for w in warehouses.split(",") if w))

    async def put(self, order_id: str, body: str, *, publish: bool = False) -> None:
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.set(self.key(order_id), body, ex=TTL_SECONDS)
            pipe.set(self.meta_key(order_id), page_meta(body), ex=TTL_SECONDS)
            if publish:
                pipe.publish(self.channel(order_id), body)
            await pipe.execute()
        except Exception as exc:
            log.warning("tracking cache write failed: %s", exc)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
