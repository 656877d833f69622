"""Webhook rules, pure: the signature partners verify, the body they receive, and the retry schedule.

Signature header `X-O2C-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>`;
a receiver recomputes it over the raw bytes and rejects stale timestamps (replays)."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

SIGNATURE_HEADER = "X-O2C-Signature"
DELIVERY_HEADER = "X-O2C-Delivery"
EVENT_HEADER = "X-O2C-Event"


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes posted (and signed): compact, keys sorted."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    backoff_seconds: float = 5.0
    backoff_max_seconds: float = 600.0

    def delay_after(self, attempt: int) -> timedelta:
        """Wait after the `attempt`-th failed attempt (1-based): backoff × 2^(attempt-1), capped."""
        return timedelta(seconds=min(self.backoff_seconds * 2 ** (attempt - 1), self.backoff_max_seconds))


@dataclass(frozen=True)
class Outcome:
    """Where a delivery stands after one more attempt."""

    status: str  # delivered | pending | dead
    next_attempt_at: datetime | None


def after_attempt(policy: RetryPolicy, attempt: int, ok: bool, at: datetime) -> Outcome:
    if ok:
        return Outcome("delivered", None)
    if attempt >= policy.max_attempts:
        return Outcome("dead", None)
    return Outcome("pending", at + policy.delay_after(attempt))
