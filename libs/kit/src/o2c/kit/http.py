"""The FastAPI app every service starts from: problems, size limit, health, readiness, traces (metrics are
served on their own port: o2c.kit.telemetry.serve_metrics)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from o2c.kit.auth import JwksKeys, TokenVerifier
from o2c.kit.problems import Problem, install_problem_handlers, problem_response
from o2c.kit.settings import ServiceSettings
from o2c.kit.telemetry import HTTP_SECONDS, tracer
from opentelemetry import propagate, trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ReadinessCheck = Callable[[], Awaitable[bool]]


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
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = Problem(413, "Content too large", f"request body exceeds {self.max_bytes} bytes")
        response = problem_response(problem)
        await response(scope, receive, send)


class RequestTelemetry:
    """A server span per request (continuing a caller's traceparent) and a latency histogram."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in {"/healthz", "/readyz", "/metrics"}:
            await self.app(scope, receive, send)
            return
        headers = {k.decode(): v.decode() for k, v in scope.get("headers") or []}
        status = [500]

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        started = time.perf_counter()
        name = f"{scope['method']} {scope['path']}"
        with tracer("o2c.http").start_as_current_span(
            # FastAPI may already have opened the server span; continue it, or the caller's traceparent.
            name, context=propagate.extract(headers) if "traceparent" in headers else None,
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": scope["method"], "url.path": scope["path"],
                        "o2c.service": self.service},
        ) as span:
            try:
                await self.app(scope, receive, send_status)
            finally:
                span.set_attribute("http.response.status_code", status[0])
                route = scope.get("route")
                path = getattr(route, "path", "unmatched")
                HTTP_SECONDS.labels(self.service, scope["method"], path, str(status[0])).observe(
                    time.perf_counter() - started
                )


def create_app(
    settings: ServiceSettings,
    *,
    title: str,
    routers: Sequence[APIRouter] = (),
    readiness: dict[str, ReadinessCheck] | None = None,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    description: str = "",
) -> FastAPI:
    app = FastAPI(title=title, description=description, version="1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.token_verifier = TokenVerifier(
        JwksKeys(file=settings.jwks_file, url=settings.jwks_url),
        issuer=settings.jwt_issuer, audience=settings.jwt_audience,
    )
    install_problem_handlers(app)
    checks = dict(readiness or {})

    @app.get("/healthz", tags=["ops"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service}

    @app.get("/readyz", tags=["ops"], summary="Database and broker reachable")
    async def readyz() -> JSONResponse:
        results = dict(zip(checks, await asyncio.gather(*(c() for c in checks.values())), strict=True))
        ready = all(results.values())
        body: dict[str, Any] = {"status": "ready" if ready else "not ready",
                                "checks": {k: "ok" if v else "failing" for k, v in results.items()}}
        return JSONResponse(body, status_code=200 if ready else 503)

    for router in routers:
        app.include_router(router)
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


