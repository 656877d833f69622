"""HTTP as the seed's people, with an honest account of what is not there.

Every call names the service and the route. Before calling, the driver checks that the service answers
and that its OpenAPI document lists the route; if not, `Unavailable` says which and why, and the step
that needed it reports "step X: <service> not available (<reason>)" and the demo carries on.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from o2c.kit import ports

T = TypeVar("T")

PORTS = ports.SERVICE_PORTS
JOURNEY: ContextVar[str | None] = ContextVar("journey", default=None)
"""The trace id of the order a task is playing: each of its calls is a new span of that trace (a traceparent as an
instrumented client sends it), so the order's trace follows it through every service, people's steps included."""


def service_ports() -> dict[str, int]:
    """This copy's service ports: O2C_PORT_OFFSET moves them all (a second environment next to the usual one)."""
    return {name: ports.local_port(base) for name, base in ports.SERVICE_PORTS.items()}


def sandbox_ports() -> dict[str, int]:
    return {name: ports.local_port(base) for name, base in ports.SANDBOX_PORTS.items()}


class Unavailable(Exception):
    """A service, or one of its routes, is not there (yet): the step cannot be done."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service} not available ({reason})")
        self.service, self.reason = service, reason


class Refused(Exception):
    """The service answered with a problem (4xx/5xx) the step did not expect."""

    def __init__(self, service: str, method: str, path: str, response: httpx.Response) -> None:
        self.service, self.method, self.path, self.status = service, method, path, response.status_code
        self.body = _body(response)
        super().__init__(f"{service} {method} {path} → {self.status} {problem_text(self.body)}")


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:300]


def problem_text(body: Any) -> str:
    """The title, detail and first field errors of a problem+json body, on one line."""
    if not isinstance(body, dict):
        return str(body)[:300]
    parts = [str(body.get("title", "")), str(body.get("detail", ""))]
    for error in (body.get("errors") or [])[:3]:
        if isinstance(error, dict):
            parts.append(f"{error.get('field') or error.get('loc')}: {error.get('detail') or error.get('msg')}")
    return " — ".join(p for p in parts if p)[:400]


def _unrouted(response: httpx.Response) -> bool:
    """404/405 from the router itself (no such route), not a 404 for a missing resource."""
    if response.status_code == 405:
        return True
    if response.status_code != 404:
        return False
    body = _body(response)
    return isinstance(body, dict) and body.get("detail") == "Not Found"


def _template(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path.rstrip("/") or "/")


@dataclass
class ServiceState:
    name: str
    base_url: str
    ready: bool = False
    reason: str = "not probed"
    routes: set[tuple[str, str]] | None = field(default_factory=set)
    """None: the service's OpenAPI document is broken, so routes are found by calling them."""


class Api:
    """One httpx client per service; tokens per person; routes from each service's OpenAPI document."""

    def __init__(self, tokens: Callable[[str], str], *, host: str = "127.0.0.1", timeout: float = 60.0,
                 ports: dict[str, int] | None = None) -> None:
        self.tokens = tokens
        self.services = {name: ServiceState(name, f"http://{host}:{port}")
                         for name, port in (ports or service_ports()).items()}
        self.client = httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=40))
        self.calls = 0

    async def close(self) -> None:
        await self.client.aclose()

    async def probe(self, name: str) -> ServiceState:
        state = self.services[name]
        try:
            ready = await self.client.get(state.base_url + "/readyz", timeout=5.0)
        except httpx.HTTPError as exc:
            state.ready, state.reason = False, f"nothing answers on {state.base_url}: {type(exc).__name__}"
            return state
        if ready.status_code != 200:
            state.ready, state.reason = False, f"/readyz says {ready.status_code} {ready.text[:120]}"
            return state
        state.ready = True
        try:
            answer = await self.client.get(state.base_url + "/openapi.json", timeout=10.0)
            doc = answer.json() if answer.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            doc = None
        if doc is None:
            state.routes = None
            state.reason = "ready, but its /openapi.json fails (so /docs too): routes are tried by calling them"
            return state
        state.routes = {(method.upper(), _template(path))
                        for path, ops in doc.get("paths", {}).items() for method in ops}
        business = {r for r in state.routes if not r[1].startswith(("/admin", "/healthz", "/readyz"))}
        state.reason = "ready" if business else "ready, but it has no business routes yet"
        return state

    async def probe_all(self) -> None:
        await asyncio.gather(*(self.probe(name) for name in self.services))

    def has(self, service: str, method: str, path: str) -> bool:
        state = self.services[service]
        if state.routes is None:
            return state.ready
        return state.ready and (method.upper(), _template(path)) in state.routes

    def need(self, service: str, method: str, path: str) -> None:
        """Raise `Unavailable` unless the service is ready and lists the route."""
        state = self.services[service]
        if not state.ready:
            raise Unavailable(service, state.reason)
        if state.routes is not None and (method.upper(), _template(path)) not in state.routes:
            raise Unavailable(service, f"no {method.upper()} {path} in its API yet")

    def first(self, service: str, candidates: Iterable[tuple[str, str]]) -> tuple[str, str]:
        """The first (method, path) of the candidates the service lists; `Unavailable` naming them all."""
        options = list(candidates)
        for method, path in options:
            if self.has(service, method, path):
                return method, path
        state = self.services[service]
        if not state.ready:
            raise Unavailable(service, state.reason)
        raise Unavailable(service, "none of " + ", ".join(f"{m} {p}" for m, p in options) + " in its API yet")

    async def call(self, service: str, method: str, path: str, *, who: str, json: Any = None,
                   params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                   template: str | None = None, accept: Iterable[int] = (), retries: int | None = None
                   ) -> httpx.Response:
        """Call `path` as `who` (a seed user id); 2xx or a status in `accept` is returned, else `Refused`.

        `template` is the route as the OpenAPI document names it, when `path` has ids filled in.
        """
        self.need(service, method, template or path)
        sent = {"Authorization": f"Bearer {self.tokens(who)}", **(headers or {})}
        journey = JOURNEY.get()
        if journey:
            sent.setdefault("traceparent", f"00-{journey}-{secrets.token_hex(8)}-01")
        url = self.services[service].base_url + path
        # A GET, or a write the service dedupes (Idempotency-Key, upsert), is tried again after a dropped
        # connection; anything else is not, so nothing is ever done twice.
        attempts = 1 + (retries if retries is not None else (2 if method == "GET" or "Idempotency-Key" in sent
                                                              else 0))
        for attempt in range(attempts):
            try:
                response = await self.client.request(method, url, json=json, params=params, headers=sent)
                break
            except httpx.HTTPError as exc:
                if attempt + 1 >= attempts:
                    raise Unavailable(service, f"{method} {template or path}: {type(exc).__name__} {exc}".strip()
                                      ) from exc
                await asyncio.sleep(1.0 + attempt)
        self.calls += 1
        if _unrouted(response):
            raise Unavailable(service, f"no {method} {template or path} in its API yet (HTTP {response.status_code})")
        if response.is_success or response.status_code in set(accept):
            return response
        raise Refused(service, method, template or path, response)

    async def get(self, service: str, path: str, *, who: str, params: dict[str, Any] | None = None,
                  template: str | None = None, accept: Iterable[int] = ()) -> httpx.Response:
        return await self.call(service, "GET", path, who=who, params=params, template=template, accept=accept)


async def poll(probe: Callable[[], Awaitable[T | None]], *, timeout: float, interval: float = 0.25) -> tuple[
        T | None, float, str]:
    """Call `probe` until it returns something truthy or the deadline passes: (result or None, seconds, last
    error). A 5xx or a dropped connection while polling counts as "not yet" (a loaded service recovers); a
    missing route or a 4xx ends the wait at once."""
    started = time.monotonic()
    last_error = ""
    while True:
        try:
            result = await probe()
        except Refused as exc:
            if exc.status < 500:
                raise
            result, last_error = None, str(exc)
        except Unavailable as exc:
            if exc.reason.startswith("no "):
                raise
            result, last_error = None, str(exc)
        if result:
            return result, time.monotonic() - started, last_error
        if time.monotonic() - started > timeout:
            return None, time.monotonic() - started, last_error
        await asyncio.sleep(interval)
