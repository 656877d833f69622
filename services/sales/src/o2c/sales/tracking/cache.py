"""Redis as the hot view and the fan-out: `<prefix>o2c:tracking:order:<id>` holds the page's JSON, and the
channel of the same name carries every new version to the open pages (server-sent events). Beside it,
`<prefix>o2c:tracking:meta:<id>` holds what a read needs to decide before sending the page (the customer, for
the scope check, and the IST day the page was derived on): both come in one MGET, so the hot path never parses
the page.

Redis is a cache: every write goes to PostgreSQL first; a miss (or a flushed Redis) reads the table and
refills the key. A Redis outage degrades the page to PostgreSQL speed, it never fails it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
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
    view = orjson.loads(body)
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
        """A connection for pub/sub: it waits on the channel, so no read timeout. Named, so an SRE sees it in
        `CLIENT LIST`."""
        return aioredis.Redis.from_url(self.url, socket_connect_timeout=0.5, client_name=self.subscriber_name)

    @property
    def subscriber_name(self) -> str:
        return "o2c-tracking-live-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in self.prefix)

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


class LivePages:
    """One Redis subscription per process, fanned out to the open pages in it: a thousand open pages are a
    thousand in-process queues, not a thousand Redis connections. When the subscription drops (Redis restart)
    it reconnects, and every open page is told to re-read its view, so an update missed meanwhile is not lost.
    """

    RESYNC = b""
    """Put on a page's queue after a reconnect: re-read the view (the page shows it if it changed)."""

    def __init__(self, cache: TrackingCache) -> None:
        self.cache = cache
        self.pages: dict[str, set[asyncio.Queue[bytes]]] = {}
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    def open(self, order_id: str) -> asyncio.Queue[bytes]:
        queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=16)
        self.pages.setdefault(order_id, set()).add(queue)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._listen())
        return queue

    def close(self, order_id: str, queue: asyncio.Queue[bytes]) -> None:
        found = self.pages.get(order_id)
        if found is not None:
            found.discard(queue)
            if not found:
                del self.pages[order_id]

    def _deliver(self, order_id: str, body: bytes) -> None:
        for queue in list(self.pages.get(order_id, ())):
            if queue.full():  # a page that does not keep up needs only the newest version
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(body)

    async def _listen(self) -> None:
        delay = 0.2
        while self.pages:
            subscriber = self.cache.subscriber()
            pubsub = subscriber.pubsub()
            try:
                await pubsub.psubscribe(self.cache.prefix + "*")
                self.connected.set()
                for order_id in list(self.pages):
                    self._deliver(order_id, self.RESYNC)
                delay = 0.2
                while self.pages:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is None:
                        continue
                    channel = message["channel"]
                    name = channel.decode() if isinstance(channel, bytes) else str(channel)
                    data = message["data"]
                    body = data if isinstance(data, bytes) else str(data).encode()
                    self._deliver(name[len(self.cache.prefix):], body)
            except Exception as exc:  # Redis gone: the pages keep what they show and are re-synced on return
                self.connected.clear()
                log.warning("tracking live subscription lost (%s); reconnecting in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
                    await subscriber.aclose()
        self.connected.clear()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
