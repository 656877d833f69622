"""Redis as the hot view and the fan-out: `<prefix>o2c:tracking:order:<id>` holds the page's JSON, and the
channel of the same name carries every new version to the open pages (server-sent events).

Redis is a cache: every write goes to PostgreSQL first; a miss (or a flushed Redis) reads the table and
refills the key. A Redis outage degrades the page to PostgreSQL speed, it never fails it.
"""

from __future__ import annotations

import logging
from typing import Any

import redis.asyncio as aioredis

log = logging.getLogger("o2c.sales.tracking")

TTL_SECONDS = 7 * 24 * 3600


class TrackingCache:
    def __init__(self, url: str, prefix: str = "") -> None:
        self.url = url
        self.prefix = f"{prefix}o2c:tracking:order:"
        self._client: aioredis.Redis | None = None

    @property
    def client(self) -> aioredis.Redis:
        if self._client is None:
            self._client = aioredis.Redis.from_url(self.url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return self._client

    def subscriber(self) -> aioredis.Redis:
        """A connection for pub/sub: it waits on the channel, so no read timeout."""
        return aioredis.Redis.from_url(self.url, socket_connect_timeout=0.5)

    def key(self, order_id: str) -> str:
        return self.prefix + order_id

    def channel(self, order_id: str) -> str:
        return self.prefix + order_id

    async def get(self, order_id: str) -> bytes | None:
        try:
            found: Any = await self.client.get(self.key(order_id))
        except Exception as exc:  # a cache outage must not fail the page
            log.warning("tracking cache read failed: %s", exc)
            return None
        return bytes(found) if found is not None else None

    async def put(self, order_id: str, body: str, *, publish: bool = False) -> None:
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.set(self.key(order_id), body, ex=TTL_SECONDS)
            if publish:
                pipe.publish(self.channel(order_id), body)
            await pipe.execute()
        except Exception as exc:
            log.warning("tracking cache write failed: %s", exc)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
