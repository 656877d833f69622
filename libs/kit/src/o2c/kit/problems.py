"""One error shape for every service: RFC 9457 problem details (application/problem+json)."""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Sequence
from typing import Any

import asyncpg
from aiokafka.errors import KafkaConnectionError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://o2c.example/problems/"


class Problem(Exception):
    """Raise from a handler or route: becomes a problem+json response; nothing is committed."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        type_: str | None = None,
        errors: Sequence[dict[str, Any]] = (),
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_ or PROBLEM_BASE + title.lower().replace(" ", "-")
        self.errors = list(errors)
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            out["detail"] = self.detail
        if instance:
            out["instance"] = instance
        if self.errors:
            out["errors"] = self.errors
        out.update(self.extensions)
        return out


def field_error(field: str, detail: str) -> dict[str, str]:
    """An `errors[]` entry: `pointer` is a JSON Pointer into the request body (RFC 9457 §3.2 style)."""
    return {"field": field, "pointer": "/" + field.replace(".", "/"), "detail": detail}


class InvalidField(Problem):
    """A business rule rejected a field (e.g. a GSTIN whose check character is wrong)."""

    def __init__(self, field: str, detail: str, status: int = 422) -> None:
        super().__init__(
            status, "Invalid field", f"{field}: {detail}", type_=PROBLEM_BASE + "validation",
            errors=[field_error(field, detail)],
        )


class NotFound(Problem):
    def __init__(self, what: str, ident: str) -> None:
        super().__init__(404, "Not found", f"{what} {ident} does not exist")


class Conflict(Problem):
    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(409, "Conflict", detail, **extensions)


# A dependency is unreachable (connection-class only: not a constraint, not a bug). SQLSTATE classes 08
# (connection exception), 57P01-03 (the server is shutting down or starting), 53300 (too many connections).
_UNREACHABLE_SQLSTATES = frozenset({"08000", "08001", "08003", "08004", "08006", "57P01", "57P02", "57P03",
                                    "53300"})
_NETWORK_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EHOSTUNREACH,
                             errno.ENETUNREACH, errno.ETIMEDOUT, errno.EPIPE, errno.EADDRNOTAVAIL})
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
"""Deadlock and serialization failure: the transaction was rolled back and the same request may simply run
again (o2c.kit.http.RetryConflicts does, before any answer)."""
RETRY_AFTER_SECONDS = 5


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not s for s in seen):
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _sqlstate(exc: BaseException) -> str | None:
    found = getattr(exc, "sqlstate", None) or getattr(getattr(exc, "orig", None), "sqlstate", None)
    return str(found) if found else None


def is_unreachable(exc: BaseException) -> bool:
    """The database or the broker could not be reached (or the connection broke): the caller may retry."""
    for current in _causes(exc):
        if isinstance(current, ConnectionError | TimeoutError | KafkaConnectionError | sa_exc.TimeoutError
                      | asyncpg.PostgresConnectionError | asyncpg.exceptions.ConnectionDoesNotExistError):
            return True
        if isinstance(current, socket.gaierror) or (isinstance(current, OSError) and (
                current.errno in _NETWORK_ERRNOS or str(current).startswith("Multiple exceptions: [Errno"))):
            return True  # refused, reset, unreachable (asyncio joins one error per address it tried)
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if _sqlstate(current) in _UNREACHABLE_SQLSTATES:
            return True
    return False


def retryable_sqlstate(exc: BaseException) -> str | None:
    """40P01 or 40001 when the failure (or what caused it) is a deadlock or a serialization failure."""
    for current in _causes(exc):
        state = _sqlstate(current)
        if state in RETRYABLE_SQLSTATES:
            return state
    return None


def transient_problem(exc: BaseException) -> Problem | None:
    """503 with Retry-After for a failure the caller should simply retry later; None for anything else."""
    if is_unreachable(exc):
        return Problem(503, "Service unavailable", "a database or broker this service needs is unreachable; "
                       "nothing was changed, retry shortly", retry_after=RETRY_AFTER_SECONDS)
    if retryable_sqlstate(exc):
        return Problem(503, "Service unavailable", "the request kept meeting concurrent updates; nothing was "
                       "changed, retry shortly", retry_after=RETRY_AFTER_SECONDS)
    return None


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="o2c"'} if problem.status == 401 else None
    if problem.status == 503 and "retry_after" in problem.extensions:
        headers = {"Retry-After": str(problem.extensions["retry_after"])}
    return JSONResponse(
        problem.body(str(request.url.path) if request else None),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _location(loc: Sequence[Any]) -> str:
    # FastAPI locations look like ("body", "lines", 0, "qty"); the field is everything after the source.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        source, parts = parts[0], parts[1:]
        return ".".join(parts) if source == "body" else f"{source}.{'.'.join(parts)}"
    return ".".join(parts)


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc, request)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [field_error(_location(e.get("loc", ())), str(e.get("msg", "invalid"))) for e in exc.errors()]
        fields = ", ".join(e["field"] for e in errors) or "body"
        problem = Problem(
            422, "Invalid request", f"invalid field(s): {fields}", type_=PROBLEM_BASE + "validation",
            errors=errors,
        )
        return problem_response(problem, request)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        titles = {401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
                  413: "Content too large"}
        problem = Problem(exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail or ""))
        return problem_response(problem, request)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Details go to the log with the trace id, never to the caller.
        transient = transient_problem(exc)
        if transient is not None:
            logging.getLogger("o2c.http").warning("503 on %s: %s", request.url.path, exc.__class__.__name__)
            return problem_response(transient, request)
        logging.getLogger("o2c.http").exception("unhandled error on %s", request.url.path)
        return problem_response(Problem(500, "Internal error", "see the service log for this trace"), request)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
