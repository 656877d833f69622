"""The tracking read API and the console's backend-for-frontend.

- `GET /tracking/orders/{id}`: the whole timeline in one response, from Redis (PostgreSQL on a miss, which
  refills the key).
- `POST /tracking/orders/{id}/stream-tickets`: a one-use ticket (30 s) for the stream, asked with the bearer.
- `GET /tracking/orders/{id}/stream?ticket=`: server-sent events, each a new version of the page (Redis
  pub/sub); never a bearer in the URL; the stream ends when the token the ticket was issued for expires.
- `GET /tracking/search?q=`: order, quotation, invoice, e-way bill, LR, vehicle, customer name or GSTIN.
- `GET /tracking/orders`: the caller's orders (a coordinator's workspace), newest first.
- `GET /tracking/dashboards?from=&to=&warehouse=`: the business measures per day and warehouse.
- `/console/api/{service}/{path}`: forwards the user's own bearer token to the owning service's API (the
  console never writes another service's data itself).
- `/console/`: the static console.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, StreamingResponse
from o2c.india.calendar import IST_ZONE_NAME
from o2c.india.rupees import DISPLAY_LOCALE
from o2c.kit.auth import Principal, principal_of_token
from o2c.kit.http import CLIENT_KEEPALIVE_SECONDS
from o2c.kit.messaging.schema import TABLES
from o2c.kit.policy import allow, authorize, confinement, warehouse_scope
from o2c.kit.problems import NotFound, Problem, problem_response
from o2c.kit.scope import CustomerScope, ensure_may_see, load_customer_scope, visible_customers
from o2c.kit.service import Runtime
from o2c.sales.adapters.db import parked_elsewhere
from o2c.sales.entrypoints.http.api import once_per_app
from o2c.sales.settings import SalesSettings
from o2c.sales.tracking import domain, store
from o2c.sales.tracking.handlers import Tracking, tracking_of
from o2c.sales.tracking.tables import tracking_order, tracking_shipment, tracking_term
from o2c.sales.tracking.tickets import TTL_SECONDS, StreamTickets, token_expiry

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"

# The console's pages run only their own files: no inline script or style, no framing (clickjacking), no
# content sniffing, no referrer with an order id leaving the site. Blob PDFs open in a new tab (object-src).
CONSOLE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; object-src blob:; base-uri 'none'; form-action 'self'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

# Tracking is open to every role the policy grants it (the data scope decides which orders).
Tracker = Annotated[Principal, Depends(allow("sales.tracking.read"))]
Analyst = Annotated[Principal, Depends(allow("sales.tracking.dashboards"))]

_DEAD_LETTER_REFRESH = 2.0




def _warehouse_scope(p: Principal) -> frozenset[str] | None:
    """Warehouse staff see only orders reserved at or shipped from their `warehouse_ids` (none: nothing)."""
    return warehouse_scope(p)


class DeadLetterIndex:
    """Open and parked dead letters by key (the order), and keys parked in other services, re-read every 2 s:
    the page shows them as exceptions without a query per request."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.by_key: dict[str, list[dict[str, Any]]] = {}
        self.loaded_at = 0.0
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    async def get(self, key: str) -> list[dict[str, Any]]:
        """Never waits for PostgreSQL: a stale index is refreshed in the background (a database restart must
        not stall the page, which is served from Redis)."""
        if time.monotonic() - self.loaded_at > _DEAD_LETTER_REFRESH and not self._lock.locked():
            task = asyncio.get_running_loop().create_task(self._refresh())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            if not self.loaded_at:
                await asyncio.wait({task}, timeout=0.2)  # the first page after a start waits a little
        return self.by_key.get(key, [])

    async def _refresh(self) -> None:
        async with self._lock:
            await self._load()

    async def _load(self) -> None:
        dl = TABLES.dead_letter
        try:
            async with self.rt.sessions() as session:
                rows = (await session.execute(
                    sa.select(dl.c.id, dl.c.key, dl.c.type, dl.c.reason, dl.c.status, dl.c.failed_at, dl.c.topic)
                    .where(dl.c.status.in_(("open", "parked"))).order_by(dl.c.id).limit(5000)
                )).all()
                pe = parked_elsewhere
                elsewhere = (await session.execute(
                    sa.select(pe.c.service, pe.c.topic, pe.c.key, pe.c.dead_letter_id, pe.c.message_type,
                              pe.c.reason, pe.c.parked_at).order_by(pe.c.parked_at).limit(5000))).all()
        except Exception:
            self.loaded_at = time.monotonic() or 1.0
            return
        found: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            if r.key:
                found.setdefault(r.key, []).append({
                    "key": f"dead_letter:{r.id}", "kind": "dead_letter", "open": True, "ref": str(r.id),
                    "detail": f"{r.type or 'message'} on {r.topic} {r.status}: {r.reason}",
                    "since": r.failed_at.isoformat() if r.failed_at else None, "shipment_id": None,
                    "closed_at": None,
                })
        for p in elsewhere:  # keys another service holds (its KeyParked notice)
            found.setdefault(p.key, []).append({
                "key": f"parked:{p.service}:{p.dead_letter_id}", "kind": "parked_elsewhere", "open": True,
                "ref": f"{p.service}/{p.dead_letter_id}",
                "detail": f"{p.message_type or 'message'} on {p.topic} parked in {p.service} behind dead letter "
                          f"{p.dead_letter_id}: {p.reason}",
                "since": p.parked_at.isoformat(), "shipment_id": None, "closed_at": None,
            })
        self.by_key = found
        self.loaded_at = time.monotonic()


def _with_dead_letters(body: bytes, dead: list[dict[str, Any]]) -> bytes:
    if not dead:
        return body
    view = json.loads(body)
    view["open_exceptions"] = [*view.get("open_exceptions", []), *dead]
    return json.dumps(view, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True, slots=True)
class Page:
    body: bytes
    customer_id: str
    warehouses: frozenset[str]


async def read_view(tracking: Tracking, order_id: str) -> Page | None:
    """The page's JSON and whose it is: Redis first (page and meta in one round trip, the page not parsed);
    on a miss PostgreSQL, derived as of now, and the keys refilled. A cached page derived on an earlier
    business day is derived again (expected dates move)."""
    now = tracking.now()
    cached = await tracking.cache.get(order_id)
    if cached is not None and cached.day == domain.ist_date(now).isoformat():
        return Page(cached.body, cached.customer_id, cached.warehouses)
    view: dict[str, Any] | None
    if cached is not None:
        view = json.loads(cached.body)
    else:
        async with tracking.page_reads, tracking.rt.sessions() as session:
            view = await store.load(session, order_id)
    if view is None:
        return None
    domain.derive(view, now, tracking.lead_times)
    body = store.dumps(view)
    await tracking.cache.put(order_id, body)
    return Page(body.encode(), str(view["customer"]["customer_id"]), frozenset(domain.order_warehouses(view)))


def _scoped(stmt: Any, who: Principal) -> Any:
    """A listing limited to what the login may see: its own orders (customer), its customers (a coordinator
    with a sales owner, a partner: the kit's scope), its sites (warehouse staff)."""
    o = tracking_order
    if not confinement(who).everyone:
        stmt = stmt.where(visible_customers(who, o.c.customer_id))
    sites = _warehouse_scope(who)
    if sites is not None:
        stmt = stmt.where(sa.or_(
            o.c.order_id.in_(sa.select(tracking_shipment.c.order_id)
                             .where(tracking_shipment.c.warehouse_id.in_(sorted(sites)))),
            *[o.c.doc["reservations"].contains([{"warehouse_id": w}]) for w in sorted(sites)]))
    return stmt


class TrackingApi:
    """What the tracking routes run on: the projection's shared `Tracking` (cache, live pages, clock), the dead
    letter index, stream tickets, the customers' scope (cached) and the console's clients of the other services."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.tracking = tracking_of(rt)
        self.dead_letters = DeadLetterIndex(rt)
        self.tickets = StreamTickets(self.tracking.cache)
        settings = rt.settings if isinstance(rt.settings, SalesSettings) else SalesSettings()
        self.service_urls = settings.service_urls()
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._scopes: dict[str, tuple[CustomerScope | None, float]] = {}

    async def authorise(self, who: Principal, page: Page) -> None:
        customer_id = page.customer_id
        ensure_may_see(who, customer_id,
                       await self.scope_of(customer_id) if confinement(who).needs_replica else None)
        sites = _warehouse_scope(who)
        if sites is not None and not sites & page.warehouses:
            raise Problem(403, "Forbidden", "this order is not reserved at or shipped from this login's warehouses")

    async def scope_of(self, customer_id: str) -> CustomerScope | None:
        """The customer's owner and partners, remembered for 30 s: a coordinator's or partner's pages must not
        each cost a query (a reassignment takes effect within that)."""
        now = time.monotonic()
        cached = self._scopes.get(customer_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        found = await load_customer_scope(self.rt.sessions, customer_id)
        if len(self._scopes) > 50_000:
            self._scopes.clear()
        self._scopes[customer_id] = (found, now + 30.0)
        return found

    async def page(self, order_id: str, who: Principal) -> Page:
        """The order's page if the caller may see it (404 unknown, 403 out of scope)."""
        found = await read_view(self.tracking, order_id)
        if found is None:
            raise NotFound("order", order_id)
        await self.authorise(who, found)
        return found

    def client(self, service: str, base: str) -> httpx.AsyncClient:
        """One client per other service for the console's forwarder (its connections reused)."""
        found = self._clients.get(service)
        if found is None:
            found = self._clients[service] = httpx.AsyncClient(
                base_url=base, timeout=10.0, limits=httpx.Limits(keepalive_expiry=CLIENT_KEEPALIVE_SECONDS))
        return found


async def tracking_api(request: Request) -> TrackingApi:
    return once_per_app(request, TrackingApi, TrackingApi)


Pages = Annotated[TrackingApi, Depends(tracking_api)]

router = APIRouter(tags=["tracking"])


@router.get("/tracking/orders/{order_id}", summary="The order's whole timeline, in one response")
async def get_order(order_id: str, who: Tracker, api: Pages) -> Response:
    found = await api.page(order_id, who)
    return Response(_with_dead_letters(found.body, await api.dead_letters.get(order_id)),
                    media_type="application/json", headers={"Cache-Control": "no-store"})


@router.post("/tracking/orders/{order_id}/stream-tickets", status_code=201,
             summary="A one-use ticket (30 s) to open the order's live-updates stream without a token in the URL")
async def stream_ticket(order_id: str, request: Request, response: Response, who: Tracker, api: Pages
                        ) -> dict[str, Any]:
    response.headers["Cache-Control"] = "no-store"  # a ticket is a credential, if a short-lived one
    await api.page(order_id, who)
    expires_at = token_expiry(request.headers.get("authorization", "").partition(" ")[2].strip())
    try:
        ticket = await api.tickets.issue(who, order_id, expires_at)
    except Exception as exc:  # Redis: live updates need it anyway; the page itself stays readable
        raise Problem(503, "Service unavailable", f"live updates are unavailable: {type(exc).__name__}") from exc
    return {"ticket": ticket, "expires_in": TTL_SECONDS,
            "stream": f"/tracking/orders/{order_id}/stream?ticket={ticket}"}


async def _streamer(request: Request, ticket: str | None, order_id: str, api: TrackingApi
                    ) -> tuple[Principal, float]:
    """Who opens the stream, and until when: a ticket, or a bearer header from a client that can send one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if ticket is not None:
        try:
            redeemed = await api.tickets.redeem(ticket, order_id)
        except Exception as exc:
            raise Problem(503, "Service unavailable", f"live updates are unavailable: {type(exc).__name__}"
                          ) from exc
        if redeemed is None:
            raise Problem(401, "Unauthorized", "unknown, used or expired stream ticket")
        return redeemed.principal, redeemed.expires_at
    if scheme.lower() == "bearer" and token.strip():
        return await principal_of_token(request, token.strip()), token_expiry(token.strip())
    raise Problem(401, "Unauthorized", "a stream ticket or a bearer token is required")


@router.get("/tracking/orders/{order_id}/stream", summary="Server-sent events: each new version of the page",
            response_class=StreamingResponse)
async def stream(order_id: str, request: Request, api: Pages, ticket: str | None = None,
                 access_token: Annotated[str | None, Query(include_in_schema=False)] = None
                 ) -> StreamingResponse:
    if access_token is not None:
        # A URL lands in access logs, proxies and history: a token there is refused, never used.
        raise Problem(401, "Unauthorized", "a bearer token in the URL is refused; open the stream with a "
                                           "ticket from POST /tracking/orders/{order_id}/stream-tickets")
    who, expires_at = await _streamer(request, ticket, order_id, api)
    if expires_at <= time.time():
        raise Problem(401, "Unauthorized", "token expired")
    who = authorize(who, "sales.tracking.read")
    first = (await api.page(order_id, who)).body
    return StreamingResponse(_events(api, order_id, first, expires_at), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


async def _events(api: TrackingApi, order_id: str, first: bytes, expires_at: float) -> AsyncIterator[bytes]:
    """The page, then each new version of it, until the token the stream was opened with expires."""
    tracking = api.tracking
    live = tracking.live
    queue = live.open(order_id)
    try:
        # Read again once listening: nothing published between the first read and now is lost.
        again = await read_view(tracking, order_id)
        shown = again.body if again else first
        yield b"event: view\ndata: " + _with_dead_letters(shown, await api.dead_letters.get(order_id)) + b"\n\n"
        while True:
            left = expires_at - time.time()
            if left <= 0:
                # The stream outlives no token: the page asks for a new login.
                yield b"event: expired\ndata: {}\n\n"
                return
            try:
                body = await asyncio.wait_for(queue.get(), min(15.0, left))
            except TimeoutError:
                if expires_at > time.time():
                    yield b": keep-alive\n\n"
                continue
            if body == live.RESYNC:  # the subscription was (re)established: re-read, show if changed
                found_again = await read_view(tracking, order_id)
                if found_again is None or found_again.body == shown:
                    continue
                body = found_again.body
            shown = body
            view = json.loads(body)
            domain.derive(view, tracking.now(), tracking.lead_times)
            payload = _with_dead_letters(store.dumps(view).encode(), await api.dead_letters.get(order_id))
            yield b"event: view\ndata: " + payload + b"\n\n"
    finally:
        live.close(order_id, queue)


@router.get("/tracking/search", summary="Find orders by order, quotation, invoice, EBN, LR, vehicle, "
                                        "customer name or GSTIN")
async def search(who: Tracker, api: Pages, q: Annotated[str, Query(min_length=2, max_length=100)],
                 limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[dict[str, Any]]:
    term = domain.normalise_term(q)
    t, o = tracking_term, tracking_order
    like = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    match = sa.or_(t.c.term.like(like + "%", escape="\\"),
                   sa.and_(t.c.kind.in_(("customer",)), t.c.term.like("%" + like + "%", escape="\\")))
    stmt = (sa.select(o.c.order_id, o.c.order_no, o.c.customer_id, o.c.customer_name, o.c.status,
                      o.c.updated_at, o.c.doc["next_dispatch_date"].astext.label("next_dispatch_date"),
                      sa.func.array_agg(sa.distinct(t.c.kind + ":" + t.c.value)).label("matched"))
            .join(o, o.c.order_id == t.c.order_id).where(match)
            .group_by(o.c.order_id).order_by(o.c.updated_at.desc()).limit(limit))
    stmt = _scoped(stmt, who)
    async with api.rt.sessions() as session:
        rows = (await session.execute(stmt)).all()
    return [{"order_id": r.order_id, "order_no": r.order_no, "customer_id": r.customer_id,
             "customer_name": r.customer_name, "status": r.status,
             "next_dispatch_date": r.next_dispatch_date, "matched": sorted(r.matched),
             "updated_at": r.updated_at.isoformat()} for r in rows]


@router.get("/tracking/orders", summary="Orders in the caller's scope, newest first (with open exceptions)")
async def list_orders(who: Tracker, api: Pages, status: str | None = None, exceptions: bool = False,
                      exception_kind: str | None = None, shipments: bool = False,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    o = tracking_order
    stmt = sa.select(o.c.order_id, o.c.order_no, o.c.customer_id, o.c.customer_name, o.c.status,
                     o.c.updated_at, o.c.doc["next_dispatch_date"].astext.label("next_dispatch_date"),
                     o.c.doc["open_exceptions"].label("open_exceptions"),
                     o.c.doc["committed_date"].astext.label("committed_date"),
                     (o.c.doc["shipments"] if shipments else sa.null()).label("shipments"),
                     ).order_by(o.c.updated_at.desc()).limit(limit)
    if status:
        stmt = stmt.where(o.c.status == status)
    if exceptions:
        stmt = stmt.where(sa.func.jsonb_array_length(o.c.doc["open_exceptions"]) > 0)
    if exception_kind:
        stmt = stmt.where(o.c.doc["open_exceptions"].contains([{"kind": exception_kind}]))
    stmt = _scoped(stmt, who)
    async with api.rt.sessions() as session:
        rows = (await session.execute(stmt)).all()
    return [{"order_id": r.order_id, "order_no": r.order_no, "customer_id": r.customer_id,
             "customer_name": r.customer_name, "status": r.status, "committed_date": r.committed_date,
             "next_dispatch_date": r.next_dispatch_date, "open_exceptions": r.open_exceptions or [],
             "updated_at": r.updated_at.isoformat(), **({"shipments": r.shipments or []} if shipments else {})}
            for r in rows]


@router.get("/tracking/dashboards", summary="Cycle time, on-time dispatch, ageing, credit decision time, "
                                            "e-way bill rejections, order-to-cash days; per day and warehouse")
async def dashboards(_: Analyst, api: Pages, from_: Annotated[date | None, Query(alias="from")] = None,
                     to: date | None = None, warehouse: str | None = None) -> dict[str, Any]:
    today = domain.ist_date(api.tracking.now())
    end = to or today
    start = from_ or end - timedelta(days=29)
    if start > end:
        raise Problem(422, "Invalid field", "from: must not be after to")
    async with api.rt.sessions() as session:
        return await dashboard_figures(session, start, end, warehouse, api.tracking.now())


# --- console -----------------------------------------------------------------------------------


@router.api_route("/console/api/{service}/{path:path}", methods=["GET", "POST", "PUT"], include_in_schema=False)
async def forward(service: str, path: str, request: Request, api: Pages) -> Response:
    """Backend-for-frontend: the user's own token, to the owning service's API; nothing else added."""
    try:
        response = await _forward_once(api, service, path, request)
    except Problem as problem:
        response = problem_response(problem, request)
    response.headers.update(CONSOLE_HEADERS)
    return response


async def _forward_once(api: TrackingApi, service: str, path: str, request: Request) -> Response:
    base = api.service_urls.get(service)
    if base is None:
        raise NotFound("service", service)
    if path.strip("/").split("/")[0] == "metrics":
        raise NotFound("path", path)  # metrics live on their own port; never through the console
    headers = {k: v for k, v in request.headers.items()
               if k.lower() in ("authorization", "content-type", "idempotency-key", "accept")}
    try:
        upstream = await api.client(service, base).request(request.method, "/" + path, params=request.query_params,
                                                           content=await request.body(), headers=headers)
    except httpx.HTTPError as exc:
        raise Problem(502, "Bad gateway", f"{service} did not answer: {type(exc).__name__}") from exc
    return Response(upstream.content, status_code=upstream.status_code,
                    media_type=upstream.headers.get("content-type"))


@router.get("/console/config.json", include_in_schema=False)
async def console_config(api: Pages) -> JSONResponse:
    # India's zone and locale from their one home (libs/india), so the console's JS copies neither.
    return JSONResponse({"services": sorted(["sales", *api.service_urls]),
                         "india": {"time_zone": IST_ZONE_NAME, "locale": DISPLAY_LOCALE}},
                        headers=CONSOLE_HEADERS)


@router.get("/console", include_in_schema=False)
async def console_root() -> RedirectResponse:
    return RedirectResponse("/console/", headers=CONSOLE_HEADERS)


@router.get("/console/{path:path}", include_in_schema=False)
async def console_file(path: str) -> FileResponse:
    target = (CONSOLE_DIR / (path or "index.html")).resolve()
    if not target.is_relative_to(CONSOLE_DIR) or not target.is_file():
        target = CONSOLE_DIR / "index.html"  # client-side routes (#/orders/…) land on the page
    return FileResponse(target, headers={"Cache-Control": "no-cache", **CONSOLE_HEADERS})


def day_of(column: Any) -> Any:
    """The IST business day of a timestamp column."""
    return sa.cast(sa.func.timezone(IST_ZONE_NAME, column), sa.Date)


async def dashboard_figures(session: Any, start: date, end: date, warehouse: str | None,
                            now: datetime) -> dict[str, Any]:
    """The six measures, per IST day (and per warehouse where a shipment decides it)."""
    s, o = tracking_shipment, tracking_order
    dispatched_day = day_of(s.c.dispatched_at)
    wh = [s.c.warehouse_id == warehouse] if warehouse else []

    cycle = (await session.execute(
        sa.select(dispatched_day.label("day"), s.c.warehouse_id,
                  sa.func.count().label("n"),
                  sa.func.avg(sa.extract("epoch", s.c.dispatched_at - o.c.confirmed_at) / 3600).label("avg_h"),
                  sa.func.percentile_cont(0.5).within_group(
                      sa.extract("epoch", s.c.dispatched_at - o.c.confirmed_at) / 3600).label("p50_h"),
                  sa.func.sum(sa.case((dispatched_day <= s.c.committed_date, 1), else_=0)).label("on_time"))
        .join(o, o.c.order_id == s.c.order_id)
        .where(s.c.dispatched_at.is_not(None), dispatched_day.between(start, end), *wh)
        .group_by(dispatched_day, s.c.warehouse_id).order_by(dispatched_day, s.c.warehouse_id)
    )).all()

    age_days = sa.extract("epoch", sa.literal(now) - s.c.released_at) / 86400
    bucket = sa.case((age_days < 1, "0-1 d"), (age_days < 2, "1-2 d"), (age_days < 3, "2-3 d"), else_="3+ d")
    ageing = (await session.execute(
        sa.select(s.c.warehouse_id, bucket.label("bucket"), sa.func.count().label("n"))
        .where(s.c.dispatched_at.is_(None), s.c.released_at.is_not(None), s.c.status != "cancelled", *wh)
        .group_by(s.c.warehouse_id, bucket).order_by(s.c.warehouse_id, bucket)
    )).all()

    held_day = day_of(o.c.credit_held_at)
    credit = (await session.execute(
        sa.select(held_day.label("day"), sa.func.count().label("n"),
                  sa.func.avg(sa.extract("epoch", o.c.credit_decided_at - o.c.credit_held_at) / 3600).label("avg_h"),
                  sa.func.max(sa.extract("epoch", o.c.credit_decided_at - o.c.credit_held_at) / 3600).label("max_h"))
        .where(o.c.credit_held_at.is_not(None), o.c.credit_decided_at.is_not(None), held_day.between(start, end))
        .group_by(held_day).order_by(held_day)
    )).all()

    released_day = day_of(s.c.released_at)
    rejections = (await session.execute(
        sa.select(released_day.label("day"), s.c.warehouse_id, sa.func.sum(s.c.ewaybill_rejections).label("n"))
        .where(s.c.ewaybill_rejections > 0, released_day.between(start, end), *wh)
        .group_by(released_day, s.c.warehouse_id).order_by(released_day)
    )).all()

    cash = (await session.execute(
        sa.select(o.c.settled_on.label("day"), sa.func.count().label("n"),
                  sa.func.avg(o.c.settled_on - sa.cast(sa.func.timezone(IST_ZONE_NAME, o.c.confirmed_at), sa.Date))
                  .label("avg_days"))
        .where(o.c.settled_on.is_not(None), o.c.settled_on.between(start, end))
        .group_by(o.c.settled_on).order_by(o.c.settled_on)
    )).all()

    def f(value: Any) -> float | None:
        return round(float(value), 4) if value is not None else None

    return {
        "from": start.isoformat(), "to": end.isoformat(), "warehouse": warehouse,
        "order_to_dispatch_hours": [{"day": r.day.isoformat(), "warehouse_id": r.warehouse_id, "shipments": r.n,
                                     "avg": f(r.avg_h), "p50": f(r.p50_h)} for r in cycle],
        "on_time_dispatch": [{"day": r.day.isoformat(), "warehouse_id": r.warehouse_id, "shipments": r.n,
                              "on_time": int(r.on_time or 0), "rate": f((r.on_time or 0) / r.n if r.n else None)}
                             for r in cycle],
        "dispatch_ageing": [{"warehouse_id": r.warehouse_id, "bucket": r.bucket, "shipments": r.n} for r in ageing],
        "credit_decision_hours": [{"day": r.day.isoformat(), "decisions": r.n, "avg": f(r.avg_h), "max": f(r.max_h)}
                                  for r in credit],
        "ewaybill_rejections": [{"day": r.day.isoformat(), "warehouse_id": r.warehouse_id, "rejections": int(r.n)}
                                for r in rejections],
        "order_to_cash_days": [{"day": r.day.isoformat(), "orders": r.n, "avg": f(r.avg_days)} for r in cash],
        "as_of": now.astimezone(UTC).isoformat(),
    }
