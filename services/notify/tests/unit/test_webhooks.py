"""Webhook rules: the signature a partner verifies, the URL policy, sealed secrets, and the retry schedule."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from o2c.notify.adapters.webhooks import SecretBox, UrlPolicy
from o2c.notify.domain.webhooks import (
    MAX_URL_LENGTH,
    IPAddress,
    RetryPolicy,
    UrlRefused,
    after_attempt,
    body_bytes,
    check_url,
    new_secret,
    numeric_ipv4,
    signature,
    verify,
)

AT = datetime(2026, 5, 4, 7, 0, tzinfo=UTC)
T = 1_700_000_000


# --- signature ------------------------------------------------------------------------------------


def test_signature_is_hmac_sha256_over_timestamp_delivery_id_and_body() -> None:
    body = body_bytes({"b": 1, "a": "₹"})
    assert body == '{"a":"₹","b":1}'.encode()
    expected = hmac.new(b"s3cret", b"1700000000.whd-1." + body, hashlib.sha256).hexdigest()
    assert signature("s3cret", T, "whd-1", body) == f"t=1700000000,v1={expected}"


def test_a_receiver_accepts_only_the_right_secret_delivery_id_fresh_and_untampered() -> None:
    body = body_bytes({"kind": "dispatched"})
    header = signature("s3cret", T, "whd-1", body)
    assert verify("s3cret", header, "whd-1", body, now=T + 100)
    assert not verify("other", header, "whd-1", body, now=T + 100)
    assert not verify("s3cret", header, "whd-2", body, now=T + 100)  # the delivery id is signed
    assert not verify("s3cret", header, "whd-1", body + b" ", now=T + 100)
    assert not verify("s3cret", header, "whd-1", body, now=T + 301)  # replayed after the window
    assert not verify("s3cret", header, "whd-1", body, now=T - 301)
    assert not verify("s3cret", "garbage", "whd-1", body, now=T)
    assert not verify("s3cret", header.replace("t=1700000000", "t=1700000100"), "whd-1", body, now=T + 100)


def test_during_a_rotation_both_secrets_sign_and_either_verifies() -> None:
    body = body_bytes({"kind": "dispatched"})
    header = signature(["new-secret", "old-secret"], T, "whd-1", body)
    assert header.startswith(f"t={T},v1=") and header.count("v1=") == 2
    assert header.split(",")[1] == signature("new-secret", T, "whd-1", body).split(",")[1]  # the new one first
    assert verify("new-secret", header, "whd-1", body, now=T)
    assert verify("old-secret", header, "whd-1", body, now=T)
    assert not verify("third", header, "whd-1", body, now=T)
    assert not verify("new-secret", f"t={T},{header}", "whd-1", body, now=T)  # two timestamps: refused
    with pytest.raises(ValueError):
        signature(["new-secret", ""], T, "whd-1", body)
    with pytest.raises(ValueError):
        signature([], T, "whd-1", body)


def test_an_empty_key_signs_nothing_and_verifies_nothing() -> None:
    body = body_bytes({"kind": "dispatched"})
    forged = f"t={T},v1={hmac.new(b'', f'{T}.whd-1.'.encode() + body, hashlib.sha256).hexdigest()}"
    assert not verify("", forged, "whd-1", body, now=T)
    with pytest.raises(ValueError):
        signature("", T, "whd-1", body)


def test_each_secret_is_new_and_long() -> None:
    a, b = new_secret(), new_secret()
    assert a != b and a.startswith("whsec_") and len(a) >= 40


def test_a_sealed_secret_opens_only_with_its_key_for_its_subscription() -> None:
    box = SecretBox("k" * 40)
    sealed = box.seal("whs-1", "whsec_abc")
    assert "whsec_abc" not in sealed
    assert box.open("whs-1", sealed) == "whsec_abc"
    with pytest.raises(ValueError):
        box.open("whs-2", sealed)  # copied onto another row
    with pytest.raises(ValueError):
        SecretBox("x" * 40).open("whs-1", sealed)
    with pytest.raises(ValueError):
        SecretBox("short")


# --- URL policy -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url, why", [
    ("http://partner.example/hook", "https"),
    ("ftp://partner.example/hook", "https"),
    ("https://127.0.0.1/hook", "loopback"),
    ("https://127.1/hook", "loopback"),
    ("https://0x7f000001/hook", "loopback"),
    ("https://2130706433/hook", "loopback"),
    ("https://0177.0.0.1/hook", "loopback"),
    ("https://[::1]/hook", "loopback"),
    ("https://[::ffff:127.0.0.1]/hook", "loopback"),
    ("https://[::ffff:7f00:1]/hook", "loopback"),
    ("https://[64:ff9b::a9fe:a9fe]/hook", "metadata"),
    ("https://169.254.169.254/latest/meta-data/", "metadata"),
    ("https://[fd00:ec2::254]/", "metadata"),
    ("https://100.100.100.200/", "metadata"),
    ("https://169.254.1.1/", "link-local"),
    ("https://[fe80::1]/", "link-local"),
    ("https://10.0.0.7/", "private"),
    ("https://192.168.1.1/", "private"),
    ("https://172.16.0.1/", "private"),
    ("https://[fc00::1]/", "private"),
    ("https://0.0.0.0/", "unspecified"),
    ("https://[::]/", "unspecified"),
    ("https://224.0.0.1/", "multicast"),
    ("https://[ff02::1]/", "multicast"),
    ("https://240.0.0.1/", "reserved"),
    ("https://100.64.0.1/", "public"),
    ("https://192.0.2.10/", "documentation"),
    ("https://localhost/hook", "local host"),
    ("https://LOCALHOST./hook", "local host"),
    ("https://api.localhost/hook", "local host"),
    ("https://metadata.google.internal/", "local host"),
    ("https://user:pw@partner.example/hook", "credentials"),
    ("https://0x08080808/hook", "non-canonical"),
    ("https:///hook", "no host"),
    ("https://partner.example:99999/", "valid"),
    ("https://partner.example/a b", "control"),
    ("https://partner.example/" + "a" * MAX_URL_LENGTH, "longer"),
])
def test_the_url_policy_refuses(url: str, why: str) -> None:
    with pytest.raises(UrlRefused, match=why):
        check_url(url)


def test_numeric_hosts_mean_what_resolvers_make_of_them() -> None:
    assert numeric_ipv4("2130706433") == ipaddress.IPv4Address("127.0.0.1")
    assert numeric_ipv4("0x7f.1") == ipaddress.IPv4Address("127.0.0.1")
    assert numeric_ipv4("10.1.2") == ipaddress.IPv4Address("10.1.0.2")
    assert numeric_ipv4("partner.example") is None
    assert numeric_ipv4("1.2.3.4.5") is None
    assert numeric_ipv4("256.1.1.1") is None


def test_public_https_passes_and_http_only_for_a_development_host() -> None:
    target = check_url("https://Partner.Example:8443/o2c/hook?x=1")
    assert (target.scheme, target.host, target.port, target.host_header) == (
        "https", "partner.example", 8443, "partner.example:8443")
    assert check_url("https://8.8.8.8/hook").literal == ipaddress.IPv4Address("8.8.8.8")
    assert check_url("http://receiver.test:8080/hook", dev_hosts=["receiver.test"]).port == 8080
    with pytest.raises(UrlRefused):
        check_url("http://127.0.0.1:8080/hook", dev_hosts=["receiver.test"])


def resolver_of(*addresses: str):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(a) for a in addresses]
    return resolve


async def test_a_name_is_judged_by_every_address_it_resolves_to_and_pinned_to_the_first() -> None:
    pinned = await UrlPolicy(resolver=resolver_of("93.184.216.34", "2606:2800:220:1::1")).pin(
        "https://partner.example/hook")
    assert pinned.address == ipaddress.ip_address("93.184.216.34")
    for internal in ("127.0.0.1", "169.254.169.254", "10.1.1.1", "::1", "::ffff:169.254.169.254"):
        with pytest.raises(UrlRefused, match="resolves to"):
            await UrlPolicy(resolver=resolver_of("93.184.216.34", internal)).pin("https://rebind.example/hook")


async def test_a_development_host_maps_to_its_configured_address_without_a_lookup() -> None:
    async def no_lookup(host: str, port: int) -> list[IPAddress]:
        raise AssertionError("looked up")

    policy = UrlPolicy({"Receiver.Test": "127.0.0.1"}, resolver=no_lookup)
    pinned = await policy.pin("http://receiver.test:9000/hook")
    assert pinned.address == ipaddress.ip_address("127.0.0.1") and pinned.target.host_header == "receiver.test:9000"
    with pytest.raises(UrlRefused):
        await policy.pin("http://localhost:9000/hook")


def test_a_development_host_must_map_to_an_address_and_there_is_none_by_default() -> None:
    from o2c.notify.settings import NotifySettings

    assert NotifySettings().notify_webhook_dev_hosts == {}
    with pytest.raises(ValueError):
        NotifySettings(notify_webhook_dev_hosts={"receiver.test": "receiver.internal"})


# --- retries --------------------------------------------------------------------------------------


def test_backoff_doubles_up_to_the_cap_then_dead_after_n_attempts() -> None:
    policy = RetryPolicy(max_attempts=4, backoff_seconds=5, backoff_max_seconds=12)
    assert [policy.delay_after(n).total_seconds() for n in (1, 2, 3)] == [5, 10, 12]
    assert after_attempt(policy, 1, False, AT).next_attempt_at == AT + timedelta(seconds=5)
    assert after_attempt(policy, 3, False, AT).status == "pending"
    assert after_attempt(policy, 4, False, AT).status == "dead"
    assert after_attempt(policy, 4, True, AT).status == "delivered"


# --- the partner's snippet in docs/webhooks.md ------------------------------------------------------


def test_the_verification_snippet_for_partners_accepts_our_signature_and_nothing_else() -> None:
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parents[4] / "docs" / "webhooks.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", page, re.DOTALL)
    assert snippet is not None
    namespace: dict[str, Any] = {}
    exec(snippet.group(1), namespace)  # the partner's code as published
    check = namespace["verify_o2c_webhook"]
    body = body_bytes({"kind": "dispatched", "delivery_id": "whd-1"})
    headers = {"X-O2C-Delivery": "whd-1", "X-O2C-Signature": signature("whsec_x", T, "whd-1", body)}
    assert check("whsec_x", headers, body, now=T + 10)
    assert not check("whsec_y", headers, body, now=T + 10)
    assert not check("whsec_x", {**headers, "X-O2C-Delivery": "whd-2"}, body, now=T + 10)
    assert not check("whsec_x", headers, body + b" ", now=T + 10)
    assert not check("whsec_x", headers, body, now=T + 301)
    assert not check("", headers, body, now=T + 10)
