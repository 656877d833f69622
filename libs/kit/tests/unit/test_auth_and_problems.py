"""Auth and the problem shape on a small example resource (no database needed)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import jwt
import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from o2c.kit.auth import Principal, Role, require
from o2c.kit.http import create_app
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.settings import ServiceSettings
from o2c.testsupport.waits import until_sync
from pydantic import BaseModel, Field


class Remark(BaseModel):
    customer_id: str = Field(min_length=1)
    amount: int = Field(gt=0)


def example_app(jwks: Path) -> TestClient:
    router = APIRouter()

    @router.get("/customers/{customer_id}/statement")
    def statement(customer_id: str, who: Annotated[Principal, Depends(require(Role.CUSTOMER, Role.ACCOUNTANT))]
                  ) -> dict[str, str]:
        who.ensure_customer(customer_id)
        return {"customer_id": customer_id}

    @router.post("/remarks")
    def remark(body: Remark, who: Annotated[Principal, Depends(require(Role.ACCOUNTANT))]) -> dict[str, str]:
        return {"ok": body.customer_id}

    settings = ServiceSettings(service="example", jwks_file=str(jwks), max_body_bytes=1000)
    return TestClient(create_app(settings, title="example", routers=[router]))


@pytest.fixture
def issuer(tmp_path: Path) -> tuple[LocalIssuer, TestClient]:
    iss = LocalIssuer.generate()
    (tmp_path / "jwks.json").write_text(json.dumps(iss.jwks()))
    return iss, example_app(tmp_path / "jwks.json")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_no_token_is_401_problem(issuer: tuple[LocalIssuer, TestClient]) -> None:
    _, client = issuer
    response = client.get("/customers/C1/statement")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "Unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_expired_token_is_401(issuer: tuple[LocalIssuer, TestClient]) -> None:
    iss, client = issuer
    token = iss.token("u1", ["accountant"], ttl_seconds=60, issued_at=time.time() - 3600)
    response = client.get("/customers/C1/statement", headers=auth(token))
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_token_signed_by_another_key_is_401(issuer: tuple[LocalIssuer, TestClient]) -> None:
    _, client = issuer
    stranger = LocalIssuer.generate()
    response = client.get("/customers/C1/statement", headers=auth(stranger.token("u1", ["accountant"])))
    assert response.status_code == 401


def test_forged_kid_with_another_key_is_401(issuer: tuple[LocalIssuer, TestClient]) -> None:
    iss, client = issuer
    forger = LocalIssuer(LocalIssuer.generate().private_pem(), kid=iss.kid)
    response = client.get("/customers/C1/statement", headers=auth(forger.token("u1", ["accountant"])))
    assert response.status_code == 401


def test_wrong_audience_is_401(issuer: tuple[LocalIssuer, TestClient]) -> None:
    iss, client = issuer
    other = LocalIssuer(iss.private_pem(), kid=iss.kid, audience="someone-else")
    assert client.get("/customers/C1/statement", headers=auth(other.token("u1", ["accountant"]))).status_code == 401


def test_token_without_the_role_is_403(issuer: tuple[LocalIssuer, TestClient]) -> None:
    iss, client = issuer
    response = client.get("/customers/C1/statement", headers=auth(iss.token("u1", ["picker"])))
    assert response.status_code == 403
    assert "customer" in response.json()["detail"]


def test_customer_token_for_another_customer_is_403_and_own_is_200(issuer: tuple[LocalIssuer, TestClient]) -> None:
    iss, client = issuer
    token = iss.token("buyer", ["customer"], customer_id="C1")
    assert client.get("/customers/C1/statement", headers=auth(token)).status_code == 200
    assert client.get("/customers/C2/statement", headers=auth(token)).status_code == 403


def test_bad_field_is_422_problem_naming_each_field(issuer: tuple[LocalIssuer, TestClient]) -> None:
    iss, client = issuer
    response = client.post("/remarks", headers=auth(iss.token("u", ["accountant"])),
                           json={"customer_id": "", "amount": 0})
    assert response.status_code == 422
    body = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert sorted(e["field"] for e in body["errors"]) == ["amount", "customer_id"]
    assert body["errors"][0]["pointer"].startswith("/")


def test_body_over_limit_is_413_even_without_content_length(issuer: tuple[LocalIssuer, TestClient]) -> None:
    iss, client = issuer

    def chunks() -> object:
        yield b'{"customer_id": "'
        yield b"x" * 2000
        yield b'", "amount": 1}'

    response = client.post("/remarks", headers=auth(iss.token("u", ["accountant"])) | {"content-type":
                           "application/json"}, content=chunks())  # type: ignore[arg-type]
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_unknown_route_is_problem_json(issuer: tuple[LocalIssuer, TestClient]) -> None:
    _, client = issuer
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")


def test_warehouse_staff_act_only_at_their_warehouses() -> None:
    picker = Principal(subject="p", roles=frozenset({Role.PICKER}), warehouse_ids=frozenset({"PNQ"}))
    assert picker.may_act_at_warehouse("PNQ")
    assert not picker.may_act_at_warehouse("AMD")
    supervisor = Principal(subject="s", roles=frozenset({Role.DISPATCH_SUPERVISOR}))
    assert not supervisor.may_act_at_warehouse("AMD")  # warehouse staff without a warehouse claim: nowhere
    officer = Principal(subject="c", roles=frozenset({Role.COMPLIANCE_OFFICER}))
    assert officer.may_act_at_warehouse("AMD")  # a role not scoped to warehouses: everywhere


def test_a_verified_token_is_remembered_but_never_past_its_expiry(tmp_path: Path) -> None:
    from o2c.kit.auth import JwksKeys, TokenVerifier

    iss = LocalIssuer.generate()
    (tmp_path / "jwks.json").write_text(json.dumps(iss.jwks()))
    verifier = TokenVerifier(JwksKeys(file=str(tmp_path / "jwks.json")), issuer=iss.issuer, audience=iss.audience)
    token = iss.token("FH01", ["finance_head"])
    assert verifier.remembered(token) is None
    assert verifier.verify(token).subject == "FH01"
    assert verifier.remembered(token) is not None  # the next request skips the RS256 check
    short = iss.token("FH02", ["finance_head"], ttl_seconds=1)
    assert verifier.verify(short).subject == "FH02"
    expires = jwt.decode(short, options={"verify_signature": False})["exp"]
    until_sync(lambda: time.time() > expires, timeout=5, what="the short token's exp to pass")
    assert verifier.remembered(short) is None  # remembered no longer than the token lives
