"""One trace from an HTTP request in one process to the consumer's handler in another."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import bearer, wait_for
from o2c.testsupport.kit.probe_pair import ProbePair

pytestmark = pytest.mark.integration
PROBE = "o2c.testsupport.kit.probe"  # run as `python -m`: the probe pair's services as processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spans(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def test_one_trace_id_from_http_request_to_consumer_in_another_process(
    probe_pair: ProbePair, issuer: LocalIssuer, tmp_path: Path
) -> None:
    ports = {"sales": free_port(), "credit": free_port()}
    procs = []
    for side in ("sales", "credit"):
        env = os.environ | {
            f"O2C_{side.upper()}_DATABASE_URL": probe_pair.urls[side],
            f"O2C_{side.upper()}_HTTP_PORT": str(ports[side]),
            f"O2C_{side.upper()}_METRICS_PORT": str(free_port()),  # not http + 1000: that one may be taken
            "O2C_KAFKA_BOOTSTRAP": probe_pair.bootstrap, "O2C_TOPIC_PREFIX": probe_pair.prefix,
            "O2C_CONSUMER_GROUP": f"{probe_pair.prefix}{side}", "O2C_JWKS_FILE": probe_pair.jwks_file,
            "O2C_OTEL_EXPORTER": "file", "O2C_OTEL_FILE": str(tmp_path / f"{side}.jsonl"),
            "O2C_RELAY_SWEEP_SECONDS": "0.5",
        }
        log = open(tmp_path / f"{side}.log", "w")  # noqa: SIM115 - closed with the process
        procs.append(subprocess.Popen([sys.executable, "-m", PROBE, "serve", side], env=env, stdout=log, stderr=log))
    try:
        async with httpx.AsyncClient() as client:
            async def ready(port: int) -> bool:
                try:
                    return (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200
                except httpx.HTTPError:
                    return False

            for side, port in ports.items():
                await wait_for(lambda p=port: ready(p), timeout=60, interval=0.3, what=f"{side} ready")  # type: ignore[misc]
            response = await client.post(
                f"http://127.0.0.1:{ports['sales']}/probe/cancellations", headers=bearer(issuer, "sales_coordinator"),
                json={"order_id": "T-1", "customer_id": "C1", "note": "traced"},
            )
            assert response.status_code == 201, response.text

        async def consumer_span() -> list[dict[str, object]]:
            return [s for s in spans(tmp_path / "credit.jsonl") if s["name"] == "handle OrderCancelled"]

        handled = await wait_for(consumer_span, timeout=30, what="the consumer's span")
        http = [s for s in spans(tmp_path / "sales.jsonl") if s["name"] == "POST /probe/cancellations"]
        assert len(http) == 1, f"one server span per request (FastAPI's), not {len(http)}"
        everything = spans(tmp_path / "sales.jsonl") + spans(tmp_path / "credit.jsonl")
        assert not [s for s in everything if "/readyz" in str(s["name"])], "probes are not traced"
        assert {s["trace_id"] for s in http} == {handled[0]["trace_id"]}
        assert handled[0]["service"] == "o2c-credit" and http[0]["service"] == "o2c-sales"
        attributes = handled[0]["attributes"]
        assert isinstance(attributes, dict)
        assert attributes["o2c.order_id"] == "T-1"
        assert attributes["o2c.message_type"] == "OrderCancelled"
        publish = [s for s in spans(tmp_path / "sales.jsonl") if str(s["name"]).startswith("publish ")]
        assert publish and publish[0]["trace_id"] == http[0]["trace_id"]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=20)
