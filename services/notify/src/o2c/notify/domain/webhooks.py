"""Webhook rules, pure: the signature partners verify, which URLs may be called, the body they receive, and
the retry schedule.

Signature header `X-O2C-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<delivery id>." + raw body)>`
with the delivery id in `X-O2C-Delivery`; each subscription has its own secret. While a rotated-out secret is
still in its grace window the header carries one `v1=` per secret (the new one first), so a receiver that has
not yet installed the new secret keeps verifying. A receiver recomputes the HMAC over the raw bytes, accepts
when any `v1` matches, refuses timestamps outside the replay window and remembers delivery ids it has seen."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-O2C-Signature"
DELIVERY_HEADER = "X-O2C-Delivery"
EVENT_HEADER = "X-O2C-Event"
REPLAY_WINDOW_SECONDS = 300
SECRET_PREFIX = "whsec_"
MAX_URL_LENGTH = 2048

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes posted (and signed): compact, keys sorted."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def new_secret() -> str:
    """A subscription's signing secret: 256 random bits, shown to its owner once."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signed_bytes(timestamp: int, delivery_id: str, body: bytes) -> bytes:
    return f"{timestamp}.{delivery_id}.".encode() + body


MAX_PREVIOUS_SECRET_HOURS = 72
"""The longest a rotated-out secret keeps signing: long enough for a partner's change window, short enough that
a leaked secret does not stay useful."""


def signature(secret: str | Sequence[str], timestamp: int, delivery_id: str, body: bytes) -> str:
    """The header value: one `v1=` per secret, in the order given (current first)."""
    keys = [secret] if isinstance(secret, str) else list(secret)
    if not keys or not all(keys):
        raise ValueError("a webhook is never signed with an empty secret")
    signed = signed_bytes(timestamp, delivery_id, body)
    return ",".join([f"t={timestamp}", *(
        f"v1={hmac.new(key.encode(), signed, hashlib.sha256).hexdigest()}" for key in keys)])


def verify(secret: str, header: str, delivery_id: str, body: bytes, *, now: int,
           tolerance: int = REPLAY_WINDOW_SECONDS) -> bool:
    """What a receiver does: the HMAC over timestamp, delivery id and body matches, and the timestamp lies within
    the replay window. An empty secret verifies nothing (a key anyone can guess signs anything)."""
    if not secret or not delivery_id:
        return False
    pairs = [p.strip().split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [value for name, value in pairs if name == "t"]
    try:
        timestamp = int(stamps[0]) if len(stamps) == 1 else None
    except ValueError:
        return False
    if timestamp is None or abs(now - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), signed_bytes(timestamp, delivery_id, body), hashlib.sha256).hexdigest()
    # compare with every v1 (no early exit) so timing says nothing of which one matched
    matches = [hmac.compare_digest(expected, value) for name, value in pairs if name == "v1"]
    return any(matches)


# --- which URLs may be called ---------------------------------------------------------------------


class UrlRefused(ValueError):
    """The URL may not be a webhook target; the message says why (it is shown to the caller)."""


# Cloud metadata endpoints; most are caught as link-local or private anyway, Azure's wire server is not.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "169.254.169.123", "100.100.100.200", "168.63.129.16", "fd00:ec2::254"))
REFUSED_NAMES = ("localhost", "metadata.google.internal", "metadata", "instance-data")
# Documentation prefixes are "global" in some Python versions; they are never a partner's server.
NOT_ROUTED = tuple(ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
                                                      "2001:db8::/32"))
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?$", re.IGNORECASE)


@dataclass(frozen=True)
class WebhookTarget:
    """A URL that passed the policy: where to connect (host, port) and what to ask for."""

    url: str
    scheme: str
    host: str
    """Lower-case name or canonical address (IPv6 without brackets)."""
    port: int
    literal: IPAddress | None
    """The address when the URL names one instead of a host name."""

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if isinstance(self.literal, ipaddress.IPv6Address) else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address of an IPv4 host in any form resolvers accept (inet_aton): 2130706433, 0x7f000001, 0177.0.0.1,
    127.1 — so a literal is judged by what it means, not how it is spelt."""
    if not _NUMERIC_HOST.match(host):
        return None
    parts = host.rstrip(".").split(".")
    try:
        values = [int(p, 16) if p.lower().startswith("0x") else int(p, 8) if len(p) > 1 and p.startswith("0")
                  else int(p) for p in (p if p.lower() != "0x" else "0x0" for p in parts)]
    except ValueError:
        return None
    *leading, last = values
    if any(v > 255 for v in leading) or last >= 256 ** (4 - len(leading)):
        return None
    number = 0
    for v in leading:
        number = number << 8 | v
    return ipaddress.IPv4Address(number << 8 * (4 - len(leading)) | last)


def literal_address(host: str) -> IPAddress | None:
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        return ipaddress.ip_address(bare.split("%", 1)[0] if "%" in bare else bare)
    except ValueError:
        return numeric_ipv4(bare)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in ipaddress.ip_network("64:ff9b::/96"):  # NAT64
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(address))
    return None


def address_refusal(address: IPAddress) -> str | None:
    """Why a webhook may not be sent to `address`, or None when it is a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            reason = address_refusal(embedded)
            return f"{reason} (inside an IPv6 address)" if reason else None
    checks = (
        (address in METADATA_ADDRESSES, "a cloud metadata address"),
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address.is_reserved, "a reserved address"),
        (any(address in net for net in NOT_ROUTED), "a documentation address"),
        (address.is_private, "a private address"),
        (isinstance(address, ipaddress.IPv6Address) and address.is_site_local, "a site-local address"),
        (not address.is_global, "not a public address"),
    )
    return next((why for bad, why in checks if bad), None)


def check_url(url: str, *, dev_hosts: Iterable[str] = (), max_length: int = MAX_URL_LENGTH) -> WebhookTarget:
    """The URL policy before any lookup: https only (plain http for configured development hosts), no credentials,
    bounded length, no refused name or refused literal address. Raises UrlRefused."""
    if len(url) > max_length:
        raise UrlRefused(f"longer than {max_length} characters")
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise UrlRefused("contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
        hostname = parts.hostname
    except ValueError as exc:
        raise UrlRefused(f"not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise UrlRefused("must be an https URL")
    if not hostname:
        raise UrlRefused("has no host")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("must not carry credentials")
    host = hostname.lower()
    dev = {h.lower() for h in dev_hosts}
    if scheme == "http" and host not in dev:
        raise UrlRefused("must be an https URL (plain http only for configured development hosts)")
    literal = literal_address(host)
    if host not in dev:
        if literal is not None:
            reason = address_refusal(literal)
            if reason:
                raise UrlRefused(f"names {reason}")
            if isinstance(literal, ipaddress.IPv4Address) and str(literal) != host:
                raise UrlRefused("names an address in a non-canonical form")
        elif host.rstrip(".") in REFUSED_NAMES or host.rstrip(".").endswith(".localhost"):
            raise UrlRefused(f"names a local host ({host})")
    return WebhookTarget(url=url, scheme=scheme, host=str(literal) if literal else host,
                         port=port or (443 if scheme == "https" else 80), literal=literal)


def choose_address(target: WebhookTarget, resolved: Iterable[IPAddress],
                   dev_hosts: Mapping[str, str]) -> IPAddress:
    """The address to connect to, from what the host resolved to: every address must be allowed (a name that
    resolves to one public and one internal address is refused), and the first one is used. A configured
    development host maps to its configured address without a lookup."""
    if target.host in dev_hosts:
        return ipaddress.ip_address(dev_hosts[target.host])
    addresses = list(resolved)
    if not addresses:
        raise UrlRefused(f"{target.host} does not resolve")
    for address in addresses:
        reason = address_refusal(address)
        if reason:
            raise UrlRefused(f"{target.host} resolves to {reason}")
    return addresses[0]


# --- retries --------------------------------------------------------------------------------------


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
