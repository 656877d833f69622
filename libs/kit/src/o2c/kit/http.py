"""The FastAPI app every service starts from: problems, size limit, health, readiness, traces (metrics are
served on their own port: o2c.kit.telemetry.serve_metrics)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from o2c.kit.asgi import read_body, replaying
from o2c.kit.auth import JwksKeys, TokenVerifier
from o2c.kit.edge import InputGuard
from o2c.kit.policy import action_of, routes_of
from o2c.kit.problems import (
    PROBLEM_JSON,
    Problem,
    install_problem_handlers,
    problem_response,
    retryable_sqlstate,
    transient_problem,
)
from o2c.kit.settings import ServiceSettings
from o2c.kit.telemetry import HTTP_SECONDS
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ReadinessCheck = Callable[[], Awaitable[bool]]
_log = logging.getLogger("o2c.http")


class BodySizeLimit:
    """Refuses bodies over the limit with 413 before any handler (and so any write) runs."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        # A chunked body has no length up front: read it (bounded) before the app sees any of it.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, replaying(b"".join(chunks), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = Problem(413, "Content too large", f"request body exceeds {self.max_bytes} bytes")
        response = problem_response(problem)
        await response(scope, receive, send)


class RetryConflicts:
    """A request whose transaction met a deadlock or a serialization failure (40P01, 40001) runs again, from
    its buffered body, while no byte of the answer has been sent: PostgreSQL rolled the whole transaction
    back, so nothing of the failed attempt stays. Bounded, with jittered backoff. A connection-class failure
    (database or broker unreachable), or conflicts that outlast the attempts, answer 503 with Retry-After.
    One mechanism for every route of every service; routes never retry by themselves."""

    def __init__(self, app: ASGIApp, attempts: int = 4, base_delay: float = 0.05) -> None:
        self.app, self.attempts, self.base_delay = app, attempts, base_delay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)  # BodySizeLimit (outside) has bounded and buffered it already
        if body is None:
            await self.app(scope, receive, send)  # the client left before its body arrived
            return
        original = dict(scope)
        for attempt in range(1, self.attempts + 1):
            started = False
            replay = replaying(body, receive)

            async def watch(message: Message) -> None:
                nonlocal started
                started = True
                await send(message)

            try:
                await self.app(scope, replay, watch)
                return
            except Exception as exc:
                if started:
                    raise
                state = retryable_sqlstate(exc)
                if state is not None and attempt < self.attempts:
                    delay = self.base_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)
                    _log.info("%s %s: SQLSTATE %s, attempt %d of %d again in %.0f ms", scope["method"],
                              scope["path"], state, attempt + 1, self.attempts, delay * 1000)
                    await asyncio.sleep(delay)
                    scope.clear()
                    scope.update(original)  # routing writes into the scope: start each attempt from the same
                    continue
                problem = transient_problem(exc)
                if problem is None:
                    raise
                _log.warning("503 on %s %s after %d attempt(s): %r", scope["method"], scope["path"], attempt, exc)
                await problem_response(problem, Request(scope))(scope, replay, send)
                return


SERVER_KEEPALIVE_SECONDS = 30
"""How long a service keeps an idle client connection open (uvicorn's default is 5 s)."""
CLIENT_KEEPALIVE_SECONDS = 4.0
"""How long our clients keep an idle connection: shorter than any server's (uvicorn's 5 s default included), so a
client drops it first and never sends a request on a connection the server is closing (a ReadError, a 502 to the
console)."""
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})
"""Not traced: a probe every few seconds would bury the orders' traces."""


def untraced(scope: MutableMapping[str, Any]) -> bool:
    """FastAPI's own telemetry skips these requests (its `exclude` hook)."""
    return scope.get("path") in PROBES


TELEMETRY: TelemetryConfig = {"exclude": untraced, "operation_spans": False, "metrics": False, "logs": False}
"""FastAPI's native OpenTelemetry makes the one server span per request (continuing the caller's traceparent,
named by the route template); probes are left out, and so are its per-dependency/endpoint/serialization spans
(three more spans a request, for little) and its OTel metrics and logs (Prometheus and the JSON log have them)."""


class RequestTelemetry:
    """The request-time histogram per route and status (the server span is FastAPI's own: TELEMETRY)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in PROBES:
            await self.app(scope, receive, send)
            return
        status = [500]

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_status)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            HTTP_SECONDS.labels(self.service, scope["method"], path, str(status[0])).observe(
                time.perf_counter() - started
            )


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object", "title": "Problem", "description": "RFC 9457 problem details",
    "required": ["type", "title", "status"], "additionalProperties": True,
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "instance": {"type": "string"},
        "action": {"type": "string", "description": "the policy action refused (403)"},
        "errors": {"type": "array", "items": {
            "type": "object", "additionalProperties": True,
            "properties": {"field": {"type": "string"}, "pointer": {"type": "string"},
                           "detail": {"type": "string"}}}},
    },
}
PROBLEM_ANSWERS = {
    401: "No bearer token, or a token that is malformed, expired or not signed by the issuer",
    403: "The access policy or the data scope refuses this login",
    404: "The resource does not exist",
    409: "Refused by a business rule or the resource's state",
    413: "The request body is too large",
    422: "A field is invalid (each named in `errors`)",
    503: "The database or broker cannot be reached for now: nothing was changed; retry after `Retry-After` seconds",
}


def declare_security(app: FastAPI, schema: dict[str, Any]) -> dict[str, Any]:
    """Adds to the app's OpenAPI document the bearer scheme, each guarded route's policy action and the problem
    answers it may give (generated here once, not per route)."""
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "RS256 token from the o2c issuer; roles and data scope in its claims"}
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for method, path, route in routes_of(app):
        if not route.include_in_schema:
            continue
        action = action_of(route)
        operation = schema.get("paths", {}).get(path, {}).get(method.lower())
        if operation is None:
            continue
        responses = operation.setdefault("responses", {})
        codes = [c for c in PROBLEM_ANSWERS if action or str(c) in responses]
        if action:
            operation["security"] = [{"bearer": []}]
            operation["x-o2c-action"] = action
        for code in codes:
            responses[str(code)] = {"description": PROBLEM_ANSWERS[code], "content": problem}
    text = str(schema.get("paths", {}))
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}" not in text:
            components.get("schemas", {}).pop(unused, None)
    return schema


def create_app(
    settings: ServiceSettings,
    *,
    title: str,
    routers: Sequence[APIRouter] = (),
    readiness: dict[str, ReadinessCheck] | None = None,
    liveness: dict[str, Callable[[], bool]] | None = None,
    advisory: dict[str, ReadinessCheck] | None = None,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    description: str = "",
) -> FastAPI:
    app = FastAPI(title=title, description=description, version="1.0", lifespan=lifespan, telemetry=TELEMETRY)
    app.state.settings = settings
    app.state.token_verifier = TokenVerifier(
        JwksKeys(file=settings.jwks_file, url=settings.jwks_url),
        issuer=settings.jwt_issuer, audience=settings.jwt_audience,
    )
    install_problem_handlers(app)
    checks = dict(readiness or {})

    alive_checks = dict(liveness or {})

    @app.get("/healthz", tags=["ops"], summary="The process is alive (503: restart it, e.g. a stalled consumer)")
    async def healthz() -> JSONResponse:
        failing = [name for name, check in alive_checks.items() if not check()]
        body: dict[str, Any] = {"status": "failing" if failing else "ok", "service": settings.service}
        if alive_checks:
            body["checks"] = {name: "failing" if name in failing else "ok" for name in alive_checks}
        return JSONResponse(body, status_code=503 if failing else 200)

    advisories = dict(advisory or {})

    @app.get("/readyz", tags=["ops"], summary="Ready to serve HTTP (database, migrations); broker reported")
    async def readyz() -> JSONResponse:
        every = checks | advisories
        results = dict(zip(every, await asyncio.gather(*(c() for c in every.values())), strict=True))
        # An advisory check is shown, not gating: e.g. writes go to the outbox while the broker is away.
        ready = all(v for k, v in results.items() if k in checks)
        body: dict[str, Any] = {"status": "ready" if ready else "not ready",
                                "checks": {k: "ok" if v else "failing" for k, v in results.items()}}
        return JSONResponse(body, status_code=200 if ready else 503)

    for router in routers:
        app.include_router(router)
    generate_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_security(app, generate_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(RetryConflicts)
    app.add_middleware(InputGuard)  # inside the size limit: it reads a body already bounded
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestTelemetry, service=settings.service)
    return app


async def tcp_reachable(bootstrap: str, timeout: float = 1.0) -> bool:
    """The broker answers on its port (first bootstrap address)."""
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), timeout)
    except Exception:
        return False
    writer.close()
    return True


