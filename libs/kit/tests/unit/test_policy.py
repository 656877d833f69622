"""The access policy: deny by default, scopes that fail closed, the generated table and OpenAPI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from o2c.kit.auth import Principal, Role, principal_from_claims
from o2c.kit.http import create_app
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.policy import ACTIONS, POLICY, Scope, allow, authorize, table, warehouse_scope
from o2c.kit.problems import Problem
from o2c.kit.settings import REPO_ROOT, ServiceSettings
from pydantic import BaseModel


def who(*roles: Role, **claims: object) -> Principal:
    return Principal(subject="u", roles=frozenset(roles), **claims)  # type: ignore[arg-type]


def test_every_role_is_in_the_policy_and_every_granted_action_exists() -> None:
    assert set(POLICY) == set(Role)
    for role, reach in POLICY.items():
        assert reach.actions <= set(ACTIONS), f"{role}: {sorted(reach.actions - set(ACTIONS))}"
    granted = set().union(*(reach.actions for reach in POLICY.values()))
    assert granted == set(ACTIONS), f"actions no role may do: {sorted(set(ACTIONS) - granted)}"


def test_a_principal_whose_roles_are_all_unknown_holds_none_and_may_do_nothing() -> None:
    typo = principal_from_claims({"sub": "u", "roles": ["sales_cordinator", "admin"]})
    assert typo.roles == frozenset()
    for action in ACTIONS:
        with pytest.raises(Problem) as refused:
            authorize(typo, action)
        assert refused.value.status == 403 and refused.value.extensions["action"] == action
    assert not typo.may_see_customer("C1")
    assert not typo.may_act_at_warehouse("PNQ")


def test_scopes_fail_closed() -> None:
    assert who(Role.CUSTOMER, customer_id="C1").may_see_customer("C1")
    assert not who(Role.CUSTOMER, customer_id="C1").may_see_customer("C2")
    assert not who(Role.CUSTOMER).may_see_customer("C1")  # a customer login without its customer: none
    partner = who(Role.PARTNER, partner_id="P1")
    assert not partner.may_see_customer("C1")  # the binding is not known here: none
    assert partner.may_see_customer("C1", partners={"P1"})
    assert not partner.may_see_customer("C1", partners={"P2"})
    assert not who(Role.PARTNER).may_see_customer("C1", partners={"P1"})
    coordinator = who(Role.SALES_COORDINATOR, sales_owner="S1")
    assert coordinator.may_see_customer("C1", sales_owner="S1")
    assert not coordinator.may_see_customer("C1", sales_owner="S2")
    assert who(Role.ACCOUNTANT).may_see_customer("C9")
    for role in (Role.PICKER, Role.WAREHOUSE_COORDINATOR, Role.DISPATCH_SUPERVISOR):
        assert Scope.WAREHOUSES in POLICY[role].scopes
        assert not who(role).may_act_at_warehouse("PNQ")
        assert warehouse_scope(who(role)) == frozenset()
        assert who(role, warehouse_ids=frozenset({"PNQ"})).may_act_at_warehouse("PNQ")
        assert not who(role, warehouse_ids=frozenset({"PNQ"})).may_act_at_warehouse("AMD")
    assert warehouse_scope(who(Role.COMPLIANCE_OFFICER)) is None


def test_authorize_acts_in_the_capacity_of_the_granting_roles() -> None:
    # a picker who is also a sales coordinator confirms picks as a picker: held to the picker's warehouses
    both = who(Role.PICKER, Role.SALES_COORDINATOR, warehouse_ids=frozenset({"PNQ"}))
    acting = authorize(both, "dispatch.pick.confirm")
    assert acting.roles == {Role.PICKER}
    assert not acting.may_act_at_warehouse("AMD")
    assert authorize(both, "dispatch.shipment.read").may_act_at_warehouse("AMD")


def test_docs_security_md_is_generated_from_the_policy() -> None:
    written = (REPO_ROOT / "docs" / "security.md").read_text()
    assert written == table(), "docs/security.md differs from the policy: run `make security-doc`"


class Note(BaseModel):
    text: str


@pytest.fixture
def app(tmp_path: Path) -> tuple[LocalIssuer, TestClient]:
    iss = LocalIssuer.generate()
    (tmp_path / "jwks.json").write_text(json.dumps(iss.jwks()))
    router = APIRouter()

    @router.post("/notes")
    def post_note(body: Note, _: Annotated[Principal, Depends(allow("sales.order.amend"))]) -> dict[str, str]:
        return {"text": body.text}

    settings = ServiceSettings(service="example", jwks_file=str(tmp_path / "jwks.json"))
    return iss, TestClient(create_app(settings, title="example", routers=[router]))


def test_the_guard_answers_401_then_403_naming_the_action(app: tuple[LocalIssuer, TestClient]) -> None:
    iss, client = app
    assert client.post("/notes", json={"text": "x"}).status_code == 401
    refused = client.post("/notes", json={"text": "x"},
                          headers={"Authorization": f"Bearer {iss.token('u', ['sales_cordinator'])}"})
    assert refused.status_code == 403
    assert refused.json()["action"] == "sales.order.amend"
    assert refused.headers["content-type"].startswith("application/problem+json")
    granted = client.post("/notes", json={"text": "x"},
                          headers={"Authorization": f"Bearer {iss.token('u', ['sales_coordinator'])}"})
    assert granted.status_code == 200


def test_openapi_declares_bearer_and_the_problem_answers(app: tuple[LocalIssuer, TestClient]) -> None:
    _, client = app
    doc = client.get("/openapi.json").json()
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "RS256 token from the o2c issuer; roles and data scope in its claims"}
    operation = doc["paths"]["/notes"]["post"]
    assert operation["security"] == [{"bearer": []}]
    assert operation["x-o2c-action"] == "sales.order.amend"
    for code in ("401", "403", "404", "409", "413", "422"):
        assert list(operation["responses"][code]["content"]) == ["application/problem+json"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    assert "security" not in doc["paths"]["/healthz"]["get"]


def test_an_unknown_action_fails_at_import_not_at_request() -> None:
    with pytest.raises(RuntimeError):
        allow("sales.order.teleport")
