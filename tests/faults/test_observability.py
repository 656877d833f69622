"""What an SRE sees, on the suite's own stack (every service a real process, tracing on by default): one order's
trace read back from Jaeger's query API crossing all seven services to the customer notice, with one server span
per request; every Kafka record of the order carrying its traceparent; Prometheus scraping every target; every
dashboard panel's PromQL parsing and naming only metrics the running services expose."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from o2c.contracts.topics import Service, events_topic
from o2c.kit.own_stack import OwnStack, ServiceProcesses
from o2c.kit.ports import METRICS_DISTANCE
from o2c.kit.testing import wait_for
from o2c.testsupport.fault_chain import Chain, People, place, prepare_batch, whole
from o2c.testsupport.fault_support import SERVICES

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
DASHBOARDS = Path(__file__).resolve().parents[2] / "deploy" / "observability" / "dashboards"


@dataclass
class Journey(Chain):
    """The people's HTTP calls for one order as one client trace (as an instrumented client would send them):
    each request a new span of the same trace, so the trace follows the order through every hop."""

    trace_id: str = ""

    async def call(self, service: str, method: str, path: str, who: dict[str, str], **kw: Any) -> Any:
        headers = {"traceparent": f"00-{self.trace_id}-{secrets.token_hex(8)}-01", **kw.pop("headers", {})}
        return await super().call(service, method, path, who, headers=headers, **kw)


def dispatch_notice_told(spans: list[dict[str, Any]]) -> bool:
    parent = {s["spanID"]: next((r["spanID"] for r in s["references"] if r["refType"] == "CHILD_OF"), None)
              for s in spans}
    name = {s["spanID"]: s["operationName"] for s in spans}
    for span in spans:
        if span["operationName"] != "handle CustomerNotified":
            continue
        at = parent.get(span["spanID"])
        while at is not None:
            if name.get(at) == "handle ShipmentDispatched":
                return True
            at = parent.get(at)
    return False


def jaeger_url(stack: OwnStack) -> str:
    return stack.values["O2C_JAEGER_QUERY_URL"]


async def test_one_trace_from_the_order_to_the_customer_notice(chain: Chain, people: People, own_stack: OwnStack,
                                                             processes: ServiceProcesses) -> None:
    batch = await prepare_batch(chain, people, "trace")
    journey = Journey(chain.processes, chain.issuer, trace_id=secrets.token_hex(16))
    run = await place(journey, people, batch)
    await whole(journey, people, run)

    async def read_back() -> dict[str, Any] | None:
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.get(f"{jaeger_url(own_stack)}/api/traces/{journey.trace_id}")
        if answer.status_code != 200:
            return None
        found: dict[str, Any] = answer.json()["data"][0]
        services = {p["serviceName"] for p in found["processes"].values()}
        # the spans arrive in batches (every 5 s per process): wait for the last hop, the dispatch notice told
        # (CustomerNotified handled, descending from notify's handling of ShipmentDispatched)
        # Each process exports on its own schedule: a service present by an early HTTP span may not have exported
        # its message handling yet, so wait until every service shows a handled message too.
        named = {pid: p["serviceName"] for pid, p in found["processes"].items()}
        handled = {named[s["processID"]] for s in found["spans"] if s["operationName"].startswith("handle ")}
        everyone = {f"o2c-{s}" for s in SERVICES}
        if services >= everyone and handled >= everyone and dispatch_notice_told(found["spans"]):
            return found
        return None

    found = await wait_for(read_back, timeout=60, interval=1, what="the order's trace in Jaeger, all seven services")
    spans = found["spans"]
    service_of = {pid: p["serviceName"] for pid, p in found["processes"].items()}
    kind = {s["spanID"]: next((t["value"] for t in s["tags"] if t["key"] == "span.kind"), "") for s in spans}
    by_service: dict[str, set[str]] = {}
    for s in spans:
        by_service.setdefault(service_of[s["processID"]], set()).add(s["operationName"])
    # every service handled a message of this order within the trace
    for service in SERVICES:
        assert any(n.startswith("handle ") for n in by_service[f"o2c-{service}"]), (service, by_service)
    assert "handle ShipmentDispatched" in by_service["o2c-notify"], by_service["o2c-notify"]
    # one server span per request: a server span's parent is never another server span
    servers = [s for s in spans if kind[s["spanID"]] == "server"]
    assert servers, "the HTTP requests have server spans"
    for s in servers:
        parents = [r["spanID"] for r in s["references"] if r["refType"] == "CHILD_OF"]
        assert not [p for p in parents if kind.get(p) == "server"], f"duplicate server span: {s['operationName']}"
    assert not [s for s in servers if s["operationName"].endswith(("/readyz", "/healthz"))], "probes not traced"
    # the outgoing HTTP calls are traced too (sales asks inventory for ATP; the console, notify…)
    assert [s for s in spans if kind[s["spanID"]] == "client"], "outgoing HTTP (httpx) has client spans"

    # log lines written within the order's hops carry its trace id (the IRN worker's call to the IRP, for one)
    lines = [json.loads(line) for line in processes.log("invoicing").splitlines() if journey.trace_id in line]
    assert lines and all(line["trace_id"] == journey.trace_id for line in lines), "invoicing's log lines"

    # every record of the order on the chain's topics carries the order's trace context
    headers = await order_record_headers(own_stack, run.order_id)
    assert len(headers) >= 8, f"the order's records: {len(headers)}"
    assert all(h.get("traceparent", "").split("-")[1:2] == [journey.trace_id] for h in headers), \
        [h for h in headers if h.get("traceparent", "").split("-")[1:2] != [journey.trace_id]]


async def order_record_headers(own_stack: OwnStack, order_id: str) -> list[dict[str, str]]:
    """The headers of every record keyed by the order on the chain's events topics, read from the start (no group:
    every partition, nothing committed)."""
    topics = [events_topic(s) for s in Service]
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=own_stack.bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False, **own_stack.kafka_admin())
    await consumer.start()
    found: list[dict[str, str]] = []
    ends: dict[Any, int] = {}
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                found += [{"topic": r.topic, **{k: v.decode() for k, v in r.headers}} for r in records
                          if r.key is not None and r.key.decode() == order_id]
            if not ends and len({tp.topic for tp in consumer.assignment()}) == len(topics):
                ends = await consumer.end_offsets(list(consumer.assignment()))
            if ends and all([await consumer.position(tp) >= end for tp, end in ends.items()]):
                return found
        raise AssertionError(f"the chain's topics not read to their end in 60 s ({len(found)} records of the order)")
    finally:
        await consumer.stop()


def exposed_names(text: str) -> set[str]:
    """Every sample name a /metrics page has, and the names a declared family can take (a labelled metric
    exists before its first sample; a histogram has _bucket, _count and _sum)."""
    names = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            suffixes = {"histogram": ("_bucket", "_count", "_sum"), "summary": ("_count", "_sum"),
                        "counter": ("_total",)}.get(kind, ())
            names |= {name, *(name.removesuffix("_total") + s for s in suffixes)}
    return names


def panel_queries() -> list[tuple[str, str]]:
    found = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                found.append((f"{path.name}: {panel['title']}", str(target["expr"])))
    return found


async def test_prometheus_scrapes_every_target_and_the_dashboards_match_the_metrics(
        processes: ServiceProcesses, own_stack: OwnStack) -> None:
    prometheus = own_stack.values["O2C_PROMETHEUS_URL"]
    async with httpx.AsyncClient(timeout=10) as client:
        async def all_up() -> list[dict[str, Any]] | None:
            targets = (await client.get(f"{prometheus}/api/v1/targets")).json()["data"]["activeTargets"]
            return targets if targets and all(t["health"] == "up" for t in targets) else None

        targets = await wait_for(all_up, timeout=60, interval=1, what="every Prometheus target up")
        assert {t["labels"].get("unit") for t in targets if t["labels"]["job"] == "o2c"} == set(SERVICES)
        # the alert rules are loaded and evaluate cleanly; alerts go to this stack's Alertmanager
        groups = (await client.get(f"{prometheus}/api/v1/rules")).json()["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]
        assert len(rules) >= 16 and all(r["health"] == "ok" for r in rules), [r for r in rules if r["health"] != "ok"]
        managers = (await client.get(f"{prometheus}/api/v1/alertmanagers")).json()["data"]["activeAlertmanagers"]
        assert [m["url"] for m in managers] == [f"{own_stack.values['O2C_ALERTMANAGER_URL']}/api/v2/alerts"]

        names: set[str] = {"up"}
        for service in SERVICES:
            port = own_stack.port(service) + METRICS_DISTANCE
            names |= exposed_names((await client.get(f"http://127.0.0.1:{port}/metrics")).text)
        queries = panel_queries()
        assert len(queries) >= 20
        for where, expr in queries:
            concrete = expr.replace("$__rate_interval", "1m").replace("$service", "sales")
            answer = await client.get(f"{prometheus}/api/v1/query", params={"query": concrete})
            assert answer.status_code == 200 and answer.json()["status"] == "success", (where, expr, answer.text)
            used = set(re.findall(r"\b(o2c_[a-z0-9_]+|up)\b(?![\"'])", concrete))
            assert used, (where, expr)
            assert used <= names, f"{where}: {sorted(used - names)} not exposed by any service"
