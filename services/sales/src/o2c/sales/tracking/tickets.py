"""Stream tickets: how a browser opens the live-updates stream without putting its bearer token in a URL.

`EventSource` cannot send an Authorization header, and a URL ends up in access logs, proxies and history. So
the page asks for a ticket with its bearer (`POST /tracking/orders/{id}/stream-tickets`) and opens the stream
with `?ticket=`: a random id, valid for one order, redeemable once, within `TTL_SECONDS`. The ticket holds
the verified principal and the token's expiry (never the token itself), in Redis so any sales instance
redeems it; the stream ends when that token expires.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

import jwt
from o2c.kit.auth import Principal
from o2c.sales.tracking.cache import TrackingCache

log = logging.getLogger("o2c.sales.tracking")

TTL_SECONDS = 30


@dataclass(frozen=True, slots=True)
class Ticket:
    principal: Principal
    order_id: str
    expires_at: float
    """When the token the ticket was issued for expires (epoch seconds): the stream closes then."""


def token_expiry(token: str) -> float:
    """The `exp` of a token that was already verified (the signature is not checked again here)."""
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return float(claims["exp"])


class StreamTickets:
    def __init__(self, cache: TrackingCache) -> None:
        self.cache = cache
        self.prefix = cache.prefix.replace(":order:", ":ticket:")

    async def issue(self, principal: Principal, order_id: str, expires_at: float) -> str:
        ticket = secrets.token_urlsafe(32)
        value = json.dumps({"principal": principal.model_dump(mode="json"), "order_id": order_id,
                            "expires_at": expires_at})
        await self.cache.client.set(self.prefix + ticket, value, ex=TTL_SECONDS)
        return ticket

    async def redeem(self, ticket: str, order_id: str) -> Ticket | None:
        """The ticket's holder, once (GETDEL); None when unknown, used, expired or for another order."""
        if not ticket or len(ticket) > 100:
            return None
        raw: Any = await self.cache.client.getdel(self.prefix + ticket)
        if raw is None:
            return None
        found = json.loads(raw)
        if found["order_id"] != order_id:
            return None
        return Ticket(Principal.model_validate(found["principal"]), order_id, float(found["expires_at"]))
