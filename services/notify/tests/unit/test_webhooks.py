"""Webhook rules: the signature a partner verifies and the retry schedule up to the dead letter."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from o2c.notify.domain.webhooks import RetryPolicy, after_attempt, body_bytes, signature, verify

AT = datetime(2026, 5, 4, 7, 0, tzinfo=UTC)


def test_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = body_bytes({"b": 1, "a": "₹"})
    assert body == '{"a":"₹","b":1}'.encode()
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("s3cret", 1_700_000_000, body) == f"t=1700000000,v1={expected}"


def test_a_receiver_accepts_only_the_right_secret_fresh_and_untampered() -> None:
    body = body_bytes({"kind": "dispatched"})
    header = signature("s3cret", 1_700_000_000, body)
    assert verify("s3cret", header, body, now=1_700_000_100)
    assert not verify("other", header, body, now=1_700_000_100)
    assert not verify("s3cret", header, body + b" ", now=1_700_000_100)
    assert not verify("s3cret", header, body, now=1_700_000_000 + 301)  # replayed later
    assert not verify("s3cret", "garbage", body, now=1_700_000_000)


def test_backoff_doubles_up_to_the_cap_then_dead_after_n_attempts() -> None:
    policy = RetryPolicy(max_attempts=4, backoff_seconds=5, backoff_max_seconds=12)
    assert [policy.delay_after(n).total_seconds() for n in (1, 2, 3)] == [5, 10, 12]
    assert after_attempt(policy, 1, False, AT).next_attempt_at == AT + timedelta(seconds=5)
    assert after_attempt(policy, 3, False, AT).status == "pending"
    assert after_attempt(policy, 4, False, AT).status == "dead"
    assert after_attempt(policy, 4, True, AT).status == "delivered"
