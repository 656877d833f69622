"""Finding 9, metrics: `/metrics` (handler timings, lags, counts per route) was open to anyone on the API port,
also through the console's forwarder. Now a service process serves it on its own metrics port (http + 1000, or
O2C_<SVC>_METRICS_PORT), where a scraper needs no token and a network policy admits only the scraper; the API
port has no such route and the console forwards nothing to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from o2c.kit.testing import ServiceHarness, serve_app, wait_for
from o2c.sales.tracking.handlers import tracking_of
from o2c.testsupport.sales.tracking_support import TRACKING_ONLY
from o2c.testsupport.service_process import ServiceProcess, free_port

pytestmark = [pytest.mark.integration]


async def test_a_service_process_serves_metrics_on_its_metrics_port_not_its_api_port(
        harness: ServiceHarness, jwks_file: str, tmp_path: Path) -> None:
    http_port, metrics_port = free_port(), free_port()
    notify = ServiceProcess("notify", {
        "DATABASE_URL": await harness.databases.create("notify"), "KAFKA_BOOTSTRAP": harness.bootstrap,
        "TOPIC_PREFIX": harness.prefix, "CONSUMER_GROUP": harness.prefix + "notify", "JWKS_FILE": jwks_file,
        "HTTP_PORT": str(http_port), "METRICS_PORT": str(metrics_port), "NOTIFY_WEBHOOK_SECRETS_KEY": "k" * 40,
    }, tmp_path / "notify.log")
    await notify.start()
    try:
        async with httpx.AsyncClient(timeout=5) as c:
            async def answers(url: str) -> httpx.Response | None:
                try:
                    return await c.get(url)
                except httpx.TransportError:
                    if notify.proc is not None and notify.proc.returncode is not None:
                        raise AssertionError(f"notify exited:\n{notify.output()}") from None
                    return None

            api = f"http://127.0.0.1:{http_port}"
            await wait_for(lambda: answers(api + "/healthz"), timeout=60, what="notify's API port")
            metrics = await wait_for(lambda: answers(f"http://127.0.0.1:{metrics_port}/metrics"), timeout=10,
                                     what=f"notify's metrics port {metrics_port}\n{notify.output()}")
            assert metrics.status_code == 200
            assert "o2c_" in metrics.text, metrics.text[:300]
            on_api = await c.get(api + "/metrics")
            assert on_api.status_code == 404, f"/metrics still on the API port: {on_api.status_code}"
            assert "o2c_" not in on_api.text
    finally:
        await notify.stop()


@pytest.fixture
async def console_and_credit(harness: ServiceHarness) -> AsyncIterator[str]:
    """Sales' console forwarder pointed at a running credit service on a real port."""
    from o2c.credit.app import DEFINITION as CREDIT

    credit = await harness.start(CREDIT, consumer=False, relay=False)
    server, task, credit_url = await serve_app(credit.app)
    sales = await harness.start(TRACKING_ONLY, consumer=False, relay=False, credit_url=credit_url)
    try:
        yield credit_url
    finally:
        server.should_exit = True
        await task
        await tracking_of(sales.runtime).cache.close()


async def test_api_port_and_console_forwarder_serve_no_metrics(
        harness: ServiceHarness, console_and_credit: str) -> None:
    async with httpx.AsyncClient(base_url=console_and_credit, timeout=5) as c:
        assert (await c.get("/healthz")).status_code == 200
        direct = await c.get("/metrics")
    assert direct.status_code == 404 and "o2c_" not in direct.text
    async with harness.running["sales"].client() as c:
        forwarded = await c.get("/console/api/credit/metrics")
        nested = await c.get("/console/api/credit//metrics/")
    assert forwarded.status_code == 404 and "o2c_" not in forwarded.text, forwarded.text[:200]
    assert nested.status_code == 404 and "o2c_" not in nested.text


def test_deployments_scrape_the_metrics_port_and_only_monitoring_reaches_it() -> None:
    """Kubernetes: Prometheus scrapes each service's metrics port (never its API port); only the monitoring
    namespace reaches that port. (That the committed base is what generate.py writes: tests/deploy/test_k8s.py.)"""
    import importlib.util
    import json

    k8s = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
    spec = importlib.util.spec_from_file_location("o2c_k8s_generate", k8s / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    written = (k8s / "base" / "20-services.yaml").read_text()
    docs = [json.loads(d) for d in written.split("---\n") if d.strip()]
    monitoring = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    for name, port in generate.SERVICES.items():
        pod = next(d for d in docs if d["kind"] == "StatefulSet" and d["metadata"]["name"] == name)["spec"]["template"]
        ports = {p["name"]: p["containerPort"] for p in pod["spec"]["containers"][0]["ports"]}
        assert ports == {"http": port, "metrics": port + 1000}, (name, ports)
        assert pod["metadata"]["annotations"]["prometheus.io/port"] == str(port + 1000)
        policy = next(d for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == name)
        rules = {r["ports"][0]["port"]: r.get("from") for r in policy["spec"]["ingress"]}
        assert set(rules) == {port, port + 1000}, rules
        assert rules[port + 1000] == [monitoring], rules  # metrics: the monitoring namespace only
        assert monitoring not in (rules[port] or []), rules  # the API port is not opened to monitoring
