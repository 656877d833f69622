"""The development token issuer: an RSA key and a JWKS file under .stack/jwt, and `make token`.

Production uses any OIDC provider: set O2C_JWKS_URL and O2C_JWT_ISSUER; nothing here runs there.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from o2c.kit.settings import LOCAL_STACK_DIR


class LocalIssuer:
    def __init__(self, private_pem: bytes, kid: str, issuer: str = "https://auth.o2c.local",
                 audience: str = "o2c") -> None:
        self._key = serialization.load_pem_private_key(private_pem, password=None)
        self.kid, self.issuer, self.audience = kid, issuer, audience

    @classmethod
    def generate(cls, **kw: Any) -> LocalIssuer:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return cls(pem, kid=uuid.uuid4().hex[:16], **kw)

    @classmethod
    def in_dir(cls, folder: Path = LOCAL_STACK_DIR / "jwt") -> LocalIssuer:
        """Load the local issuer, creating its key and JWKS once (idempotent)."""
        folder.mkdir(parents=True, exist_ok=True)
        pem_path, kid_path = folder / "private.pem", folder / "kid"
        if not pem_path.exists():
            fresh = cls.generate()
            pem_path.write_bytes(fresh.private_pem())
            pem_path.chmod(0o600)
            kid_path.write_text(fresh.kid)
        issuer = cls(pem_path.read_bytes(), kid=kid_path.read_text().strip())
        (folder / "jwks.json").write_text(json.dumps(issuer.jwks(), indent=2))
        return issuer

    def private_pem(self) -> bytes:
        assert isinstance(self._key, rsa.RSAPrivateKey)
        return self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def jwks(self) -> dict[str, Any]:
        assert isinstance(self._key, rsa.RSAPrivateKey)
        public = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        public.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [public]}

    def token(self, subject: str, roles: list[str], *, ttl_seconds: int = 8 * 3600,
              issued_at: float | None = None, **claims: Any) -> str:
        now = int(issued_at if issued_at is not None else time.time())
        body = {"iss": self.issuer, "aud": self.audience, "sub": subject, "iat": now,
                "exp": now + ttl_seconds, "roles": roles}
        body.update({k: v for k, v in claims.items() if v is not None})
        return jwt.encode(body, self._key, algorithm="RS256", headers={"kid": self.kid})  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print a development bearer token")
    parser.add_argument("--init", action="store_true", help="only create the key and JWKS (idempotent)")
    parser.add_argument("--role", help="comma-separated roles, e.g. finance_head")
    parser.add_argument("--customer", help="customer id (customer logins)")
    parser.add_argument("--warehouses", help="comma-separated warehouse ids (warehouse staff)")
    parser.add_argument("--sales-owner", help="sales owner code (coordinators)")
    parser.add_argument("--approval-limit", help="rupees (finance roles)")
    parser.add_argument("--partner", help="partner id (partner systems)")
    parser.add_argument("--subject", default=None)
    parser.add_argument("--hours", type=int, default=8)
    args = parser.parse_args(argv)
    issuer = LocalIssuer.in_dir()
    if args.init:
        return
    if not args.role:
        parser.error("--role is required, e.g. make token ROLE=finance_head")
    roles = [r.strip() for r in args.role.split(",") if r.strip()]
    print(issuer.token(
        args.subject or f"dev-{roles[0]}", roles, ttl_seconds=args.hours * 3600,
        customer_id=args.customer,
        warehouse_ids=args.warehouses.split(",") if args.warehouses else None,
        sales_owner=args.sales_owner, approval_limit=args.approval_limit, partner_id=args.partner,
    ))


if __name__ == "__main__":
    main()
