"""The sender connects to the address the policy checked, never looking the name up again, and speaks TLS to
it for the name: SNI and certificate verification for `receiver.test` while the socket goes to 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from o2c.notify.adapters.webhooks import HttpWebhookSender, UrlPolicy
from o2c.notify.domain.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, IPAddress, verify

SECRET = "whsec_test-only"


def certificate(name: str) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


class TlsReceiver:
    def __init__(self, cert: bytes, key: bytes, tmp: Path) -> None:
        (tmp / "cert.pem").write_bytes(cert)
        (tmp / "key.pem").write_bytes(key)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
        self.sni: list[str | None] = []

        def remember_sni(sock: ssl.SSLObject | ssl.SSLSocket, server_name: str | None, ctx: ssl.SSLContext) -> None:
            self.sni.append(server_name)

        context.sni_callback = remember_sni
        self.received: list[tuple[dict[str, str], bytes]] = []
        received = self.received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port: int = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[TlsReceiver, bytes]]:
    cert, key = certificate("receiver.test")
    server = TlsReceiver(cert, key, tmp_path)
    try:
        yield server, cert
    finally:
        server.close()


def resolving_to(address: str, calls: list[str]):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[IPAddress]:
        calls.append(host)
        return [ipaddress.ip_address(address)]
    return resolve


async def test_https_goes_to_the_checked_address_with_sni_and_certificate_for_the_name(
        receiver: tuple[TlsReceiver, bytes]) -> None:
    server, cert = receiver
    trust = ssl.create_default_context(cadata=cert.decode())
    # A development host maps to 127.0.0.1 without a lookup; https is used as in production.
    policy = UrlPolicy({"receiver.test": "127.0.0.1"})
    sender = HttpWebhookSender(policy, transport=httpx.AsyncHTTPTransport(verify=trust), timeout=5)
    url = f"https://receiver.test:{server.port}/o2c"
    result = await sender.post(url, SECRET, {"kind": "dispatched"}, delivery_id="whd-1", kind="dispatched")
    assert result.ok, result
    assert server.sni == ["receiver.test"]
    headers, body = server.received[0]
    assert headers["host"] == f"receiver.test:{server.port}"
    assert verify(SECRET, headers[SIGNATURE_HEADER.lower()], headers[DELIVERY_HEADER.lower()], body,
                  now=int(time.time()))

    # The same address under a name the certificate does not carry: refused by TLS, nothing received.
    other = HttpWebhookSender(UrlPolicy({"other.test": "127.0.0.1"}),
                              transport=httpx.AsyncHTTPTransport(verify=trust), timeout=5)
    refused = await other.post(f"https://other.test:{server.port}/o2c", SECRET, {}, delivery_id="whd-2", kind="x")
    assert not refused.ok and "certificate" in (refused.error or "").lower(), refused
    assert len(server.received) == 1


async def test_a_name_is_resolved_once_and_the_request_goes_to_that_address() -> None:
    calls: list[str] = []
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    sender = HttpWebhookSender(UrlPolicy(resolver=resolving_to("93.184.216.34", calls)),
                               transport=httpx.MockTransport(answer))
    result = await sender.post("https://hooks.partner.example/o2c?x=1", SECRET, {}, delivery_id="whd-3", kind="x")
    assert result.ok and calls == ["hooks.partner.example"]
    request = seen[0]
    assert request.url.host == "93.184.216.34" and request.url.path == "/o2c" and request.url.query == b"x=1"
    assert request.headers["host"] == "hooks.partner.example"
    assert request.extensions["sni_hostname"] == "hooks.partner.example"

    # A name that resolves to an internal address is refused before any connection.
    inside = HttpWebhookSender(UrlPolicy(resolver=resolving_to("169.254.169.254", [])),
                               transport=httpx.MockTransport(answer))
    refused = await inside.post("https://hooks.partner.example/o2c", SECRET, {}, delivery_id="whd-4", kind="x")
    assert not refused.ok and "metadata" in (refused.error or "") and len(seen) == 1


async def test_a_failed_answer_is_logged_by_its_first_characters_only() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, stream=httpx.ByteStream(b"x" * 1_000_000))

    sender = HttpWebhookSender(UrlPolicy(resolver=resolving_to("93.184.216.34", [])),
                               transport=httpx.MockTransport(answer))
    failed = await sender.post("https://hooks.partner.example/o2c", SECRET, {}, delivery_id="whd-5", kind="x")
    assert not failed.ok and failed.status_code == 500 and failed.error == "x" * 500
