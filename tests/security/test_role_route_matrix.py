"""The role × route matrix, generated from the access policy (issue 14: every route has an explicit policy,
deny by default; finding 2: a login whose roles o2c does not know is refused everywhere).

Every route of every service's app (in process, no database reachable: a granted call fails later, which is
not what is asked here) either declares a policy action or is one of the policy's public routes; for every
route × role the answer is the policy's 403 exactly when the policy denies the role the action.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from o2c.kit.auth import Role
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.policy import ACTIONS, POLICY, PUBLIC, action_of, allowed, routes_of
from o2c.kit.service import build_app, build_runtime

SERVICES = ("sales", "credit", "inventory", "dispatch", "invoicing", "ewaybill", "notify")
NOWHERE = "127.0.0.1:9"  # nothing listens: a granted request fails fast behind the policy


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalIssuer, Path]]:
    iss = LocalIssuer.generate()
    jwks = tmp_path_factory.mktemp("jwks") / "jwks.json"
    jwks.write_text(json.dumps(iss.jwks()))
    yield iss, jwks


@functools.cache
def app_of(service: str, jwks: Path) -> FastAPI:
    definition = importlib.import_module(f"o2c.{service}.app").DEFINITION
    values: dict[str, Any] = {
        "service": service, "database_url": f"postgresql+asyncpg://nobody:none@{NOWHERE}/none",
        "redis_url": f"redis://{NOWHERE}/0", "kafka_bootstrap": NOWHERE, "jwks_file": str(jwks),
    }
    for name, field in definition.settings_class.model_fields.items():
        if name.endswith("_url") and name not in values and name != "jwks_url":
            values[name] = f"http://{NOWHERE}"
        elif "SecretStr" in str(field.annotation):  # a service refuses to start without its secrets
            values[name] = "matrix-only-" + uuid.uuid4().hex
    runtime = build_runtime(definition, definition.settings_class(**values))
    return build_app(definition, runtime, run_consumer=False, run_relay=False)


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_declares_a_policy_action(service: str, issuer: tuple[LocalIssuer, Path]) -> None:
    app = app_of(service, issuer[1])
    missing = [f"{method} {path}" for method, path, route in routes_of(app)
               if action_of(route) is None and (method, path) not in PUBLIC]
    assert len(routes_of(app)) > 5
    assert not missing, f"{service} routes without a policy action (use Depends(allow(...))): {missing}"
    assert all(action_of(r) in ACTIONS for _, _, r in routes_of(app) if action_of(r) is not None)


@pytest.mark.parametrize("service", SERVICES)
async def test_role_by_route_matrix_follows_the_policy(service: str, issuer: tuple[LocalIssuer, Path]) -> None:
    iss, jwks = issuer
    app = app_of(service, jwks)
    tokens = {role.value: iss.token(f"m-{role.value}", [role.value], customer_id="C1", partner_id="P1",
                                    warehouse_ids=["W1"], sales_owner="S1") for role in POLICY}
    tokens["(unknown role)"] = iss.token("m-typo", ["sales_cordinator", "admin"])
    tokens["(no role)"] = iss.token("m-none", [])
    wrong: list[str] = []
    checked = 0
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://matrix") as client:
        for method, path, route in routes_of(app):
            action = action_of(route)
            if action is None:
                continue
            url = concrete(path)
            body = {"json": {}} if method in {"POST", "PUT", "PATCH"} else {}
            unauthenticated = await client.request(method, url, **body)
            if unauthenticated.status_code != 401:
                wrong.append(f"{method} {path} without a token → {unauthenticated.status_code}")
            for who, token in tokens.items():
                response = await client.request(method, url, headers={"Authorization": f"Bearer {token}"}, **body)
                refused = response.status_code == 403 and response.json().get("action") == action
                role = next((r for r in Role if r.value == who), None)
                expected = role is None or not allowed([role], action)
                checked += 1
                if refused != expected:
                    wrong.append(f"{method} {path} as {who}: {response.status_code} "
                                 f"(policy {'denies' if expected else 'grants'} {action})")
    assert checked > 0
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("service", SERVICES)
def test_openapi_declares_the_bearer_scheme_and_problem_answers(service: str,
                                                                issuer: tuple[LocalIssuer, Path]) -> None:
    app = app_of(service, issuer[1])
    doc = app.openapi()
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    guarded = [(m, p) for m, p, r in routes_of(app) if action_of(r) is not None and r.include_in_schema]
    assert guarded
    for method, path in guarded:
        operation = doc["paths"][path][method.lower()]
        assert operation["security"] == [{"bearer": []}], (method, path)
        for code in ("401", "403", "404", "409", "413", "422"):
            assert "application/problem+json" in operation["responses"][code]["content"], (method, path, code)
