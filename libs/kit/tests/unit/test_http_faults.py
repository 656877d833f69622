"""Requests under database faults, without a database: a deadlock or serialization failure is retried from the
buffered body before any answer; an unreachable dependency is a 503 with Retry-After, never a 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
from fastapi import APIRouter
from fastapi.testclient import TestClient
from o2c.kit.http import create_app
from o2c.kit.settings import ServiceSettings
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc


class Note(BaseModel):
    text: str


def _db_error(orig: Exception) -> sa_exc.DBAPIError:
    """What SQLAlchemy raises over asyncpg: the driver's error as `orig` and as the cause."""
    error = sa_exc.OperationalError("UPDATE stock SET qty = qty - 1", {}, orig)
    error.__cause__ = orig
    return error


def app_failing(failures: list[Exception]) -> tuple[TestClient, list[str], list[int]]:
    """POST /notes fails with the next of `failures` (one per attempt), then records the note once."""
    router = APIRouter()
    effects: list[str] = []
    calls = [0]

    @router.post("/notes")
    async def add(body: Note) -> dict[str, Any]:
        calls[0] += 1
        if failures:
            raise failures.pop(0)
        effects.append(body.text)
        return {"text": body.text, "attempt": calls[0]}

    settings = ServiceSettings(service="example", jwks_file=str(Path("/nonexistent")), max_body_bytes=10_000)
    return TestClient(create_app(settings, title="example", routers=[router]), raise_server_exceptions=False), \
        effects, calls


def test_a_deadlock_inside_the_request_is_retried_with_the_same_body_and_the_effect_happens_once() -> None:
    client, effects, calls = app_failing([_db_error(asyncpg.exceptions.DeadlockDetectedError("deadlock detected"))])
    response = client.post("/notes", json={"text": "gate-out SHP-1"})
    assert response.status_code == 200, response.text
    assert response.json() == {"text": "gate-out SHP-1", "attempt": 2}
    assert effects == ["gate-out SHP-1"] and calls == [2]


def test_a_serialization_failure_is_retried_too() -> None:
    serialization = asyncpg.exceptions.SerializationError("could not serialize access")
    client, effects, _ = app_failing([_db_error(serialization), _db_error(serialization)])
    assert client.post("/notes", json={"text": "x"}).status_code == 200
    assert effects == ["x"]


def test_conflicts_that_outlast_the_attempts_answer_503_with_retry_after_and_change_nothing() -> None:
    client, effects, calls = app_failing(
        [_db_error(asyncpg.exceptions.DeadlockDetectedError("deadlock detected")) for _ in range(10)])
    response = client.post("/notes", json={"text": "x"})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) > 0
    assert effects == [] and calls == [4]  # bounded


def test_an_unreachable_database_is_503_with_retry_after_not_500() -> None:
    for failure in (ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"),
                    _db_error(asyncpg.exceptions.CannotConnectNowError("the database system is starting up")),
                    OSError("Multiple exceptions: [Errno 111] Connect call failed, [Errno 99] Cannot assign"),
                    sa_exc.DBAPIError("SELECT 1", {}, Exception("closed"), connection_invalidated=True)):
        client, effects, calls = app_failing([failure])
        response = client.post("/notes", json={"text": "x"})
        assert response.status_code == 503, failure
        assert response.json()["status"] == 503 and response.json()["retry_after"] > 0
        assert response.headers["retry-after"] == str(response.json()["retry_after"])
        assert effects == [] and calls == [1]  # an outage is answered at once, not retried in the request


def test_other_failures_stay_500_and_are_not_retried() -> None:
    for failure in (RuntimeError("a bug"), FileNotFoundError(2, "no such template"),
                    _db_error(asyncpg.exceptions.UniqueViolationError("duplicate key"))):
        client, _, calls = app_failing([failure])
        response = client.post("/notes", json={"text": "x"})
        assert response.status_code == 500, failure
        assert "retry-after" not in response.headers and calls == [1]
