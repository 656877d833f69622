"""Who is calling and what they may see: RS256 bearer tokens checked against a JWKS.

Claims carry the roles of docs/security.md and the data scope: `customer_id` for a customer login,
`warehouse_ids` for warehouse staff, `sales_owner` for coordinators, `approval_limit` for finance,
`partner_id` for a partner system (which customers it serves is customer-master data, not a claim).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Collection, Iterable
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request
from jwt import PyJWK
from o2c.kit.problems import Problem
from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    SALES_COORDINATOR = "sales_coordinator"
    SALES_HEAD = "sales_head"
    FINANCE_EXECUTIVE = "finance_executive"
    FINANCE_HEAD = "finance_head"
    WAREHOUSE_COORDINATOR = "warehouse_coordinator"
    PICKER = "picker"
    DISPATCH_SUPERVISOR = "dispatch_supervisor"
    ACCOUNTANT = "accountant"
    COMPLIANCE_OFFICER = "compliance_officer"
    CUSTOMER = "customer"
    PARTNER = "partner"
    SRE = "sre"


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: str
    name: str = ""
    roles: frozenset[Role]
    customer_id: str | None = None
    warehouse_ids: frozenset[str] = Field(default_factory=frozenset)
    sales_owner: str | None = None
    approval_limit: Decimal | None = None
    partner_id: str | None = None

    def has_any(self, roles: Iterable[Role]) -> bool:
        return bool(self.roles & set(roles))

    def may_see_customer(self, customer_id: str, *, sales_owner: str | None = None,
                         partners: Collection[str] | None = None) -> bool:
        """Whether a role of this login reaches the customer (the access policy's scopes; no role: none)."""
        from o2c.kit.policy import sees_customer

        return sees_customer(self, customer_id, sales_owner=sales_owner, partners=partners)

    def may_act_at_warehouse(self, warehouse_id: str) -> bool:
        """Whether a role of this login reaches the warehouse (warehouse staff: only their claim's; no role: none)."""
        from o2c.kit.policy import acts_at_warehouse

        return acts_at_warehouse(self, warehouse_id)

    def ensure_customer(self, customer_id: str, *, sales_owner: str | None = None,
                        partners: Collection[str] | None = None) -> None:
        """403 unless a role reaches the customer; pass its owner and bound partners where they are known."""
        if not self.may_see_customer(customer_id, sales_owner=sales_owner, partners=partners):
            raise Problem(403, "Forbidden", "this login may not see another customer's records")

    def ensure_warehouse(self, warehouse_id: str) -> None:
        if not self.may_act_at_warehouse(warehouse_id):
            raise Problem(403, "Forbidden", f"this login has no scope at warehouse {warehouse_id}")


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    known = {r.value for r in Role}
    roles = frozenset(Role(r) for r in claims.get("roles", []) if r in known)
    limit = claims.get("approval_limit")
    return Principal(
        subject=str(claims["sub"]),
        name=str(claims.get("name", "")),
        roles=roles,
        customer_id=claims.get("customer_id"),
        warehouse_ids=frozenset(claims.get("warehouse_ids", [])),
        sales_owner=claims.get("sales_owner"),
        approval_limit=Decimal(str(limit)) if limit is not None else None,
        partner_id=claims.get("partner_id"),
    )


class JwksKeys:
    """Keys by `kid`, from a JWKS file (local issuer) or URL (any OIDC provider); re-read on an unknown kid."""

    def __init__(self, *, file: str = "", url: str = "", min_refresh_seconds: float = 30.0) -> None:
        self.file, self.url = file, url
        self._keys: dict[str, PyJWK] = {}
        self._loaded_at = 0.0
        self._min_refresh = min_refresh_seconds

    def _load(self) -> None:
        if self.url:
            doc = httpx.get(self.url, timeout=5.0).json()
        elif self.file and Path(self.file).exists():
            doc = json.loads(Path(self.file).read_text())
        else:
            doc = {"keys": []}
        self._keys = {k["kid"]: PyJWK(k) for k in doc.get("keys", []) if "kid" in k}
        self._loaded_at = time.monotonic()

    def key(self, kid: str) -> PyJWK | None:
        if kid not in self._keys and time.monotonic() - self._loaded_at > self._min_refresh:
            self._load()
        if not self._keys and not self._loaded_at:
            self._load()
        return self._keys.get(kid)

    def force_reload(self) -> None:
        self._load()


class TokenVerifier:
    """Verifies bearer tokens. A token verified in the last minute is answered from memory: a page polls or
    reconnects with the same token, and an RS256 check costs about as much as a cached page. A remembered
    token never outlives its `exp`."""

    REMEMBER_SECONDS = 60.0
    REMEMBER_MAX = 10_000

    def __init__(self, keys: JwksKeys, *, issuer: str, audience: str) -> None:
        self.keys, self.issuer, self.audience = keys, issuer, audience
        self._verified: dict[str, tuple[Principal, float]] = {}

    def remembered(self, token: str) -> Principal | None:
        found = self._verified.get(token)
        if found is not None and found[1] > time.monotonic():
            return found[0]
        return None

    def verify(self, token: str) -> Principal:
        found = self.remembered(token)
        if found is not None:
            return found
        principal, expires_at = self._verify(token)
        if len(self._verified) >= self.REMEMBER_MAX:
            self._verified.clear()
        self._verified[token] = (principal, time.monotonic() + max(0.0, min(self.REMEMBER_SECONDS,
                                                                             expires_at - time.time())))
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Problem(401, "Unauthorized", "malformed bearer token") from exc
        if header.get("alg") != "RS256":
            raise Problem(401, "Unauthorized", "only RS256 tokens are accepted")
        key = self.keys.key(str(header.get("kid", "")))
        if key is None:
            raise Problem(401, "Unauthorized", "token signed by an unknown key")
        try:
            claims = jwt.decode(
                token, key.key, algorithms=["RS256"], issuer=self.issuer, audience=self.audience,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Problem(401, "Unauthorized", "token expired") from exc
        except jwt.PyJWTError as exc:
            raise Problem(401, "Unauthorized", f"invalid token: {exc}") from exc
        return principal_from_claims(claims), float(claims["exp"])


async def principal_of_token(request: Request, token: str) -> Principal:
    """The token's principal: from the verifier's memory on the event loop, else verified in a worker thread
    (an unknown key id may fetch the JWKS over the network)."""
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = verifier.remembered(token)
    if principal is None:
        principal = await asyncio.to_thread(verifier.verify, token)
    request.state.principal = principal
    return principal


async def current_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "Unauthorized", "a bearer token is required")
    return await principal_of_token(request, token.strip())


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency: the caller must hold one of `roles`. Routes use `o2c.kit.policy.allow(action)`
    instead (a route without a policy action fails the matrix tests); no roles given: none may pass."""

    async def guard(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if not principal.has_any(roles):
            wanted = ", ".join(r.value for r in roles)
            raise Problem(403, "Forbidden", f"this needs one of the roles: {wanted}")
        return principal

    return guard
