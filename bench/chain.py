"""Chain benchmark: N orders of L lines through the seven services, driven over their public APIs, with the
people played from the chain's own events; the bare limit (bench/bare_chain.py) measured in the same run.

Everything runs on this machine against the local stack (make up): the services and both sandboxes as real
processes (`python -m o2c.<service>`, as deploy/local/services.sh starts them) on scratch databases, a fresh
topic prefix and free ports; their own master data through the APIs. The people:
- the coordinator places quotation → order, at `--rate` orders/s or as fast as accepted (`--concurrency`);
- the picker confirms a pick list when PickListIssued arrives (`--pick whole`: every line in one request, the
  default; `--pick line`: line by line), then the supervisor enters the
  dispatch details (Part B);
- the supervisor asks for gate-out once the IRN is registered and the e-way bill decided (dispatch publishes no
  "ready for gate" event yet, so a refused gate-out is retried after 200 ms and counted).
Per order the time of every step comes from the Kafka record timestamps (the people's own steps from this
process's clock). Prints orders/s, per-hop p50/p95/p99, machine latency, CPU ms per order, per-database commits,
deadlocks and seq_scan deltas; checks nothing was lost or doubled (exit status 1 if so, never on a figure).
Writes bench/results/chain.json. Not a test: the figures gate nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from o2c.kit.messaging.kafka_security import kafka_client_options

sys.path.insert(0, str(Path(__file__).parent))
from bare_chain import run_bare
from o2c.contracts.topics import TOPICS
from o2c.india.gstin import gstin_check_character
from o2c.kit.local_issuer import LocalIssuer

HERE = Path(__file__).parent
REPO = HERE.parent
SERVICES = ["sales", "credit", "inventory", "dispatch", "invoicing", "ewaybill", "notify"]
CLK = os.sysconf("SC_CLK_TCK")
PATIENCE = 90.0  # seconds one step of the setup may take on a loaded machine


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f}/{five:.1f}/{fifteen:.1f}"


def gstin(state: str, pan: str) -> str:
    head = f"{state}{pan}1Z"
    return head + gstin_check_character(head)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- CPU accounting from /proc ---------------------------------------------------------------------------


def _stat(pid: int) -> tuple[float, float]:
    """(own, reaped children's) CPU seconds of a process; zeros once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime) / CLK, (cutime + cstime) / CLK


def _children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    except OSError:
        return []
    return [int(x) for x in out.split()]


def tree_cpu(pid: int) -> float:
    """A process, its live children and every child it has reaped (PostgreSQL's exited backends)."""
    own, reaped = _stat(pid)
    return own + reaped + sum(_stat(child)[0] + _stat(child)[1] for child in _children(pid))


def stack_pids() -> dict[str, int]:
    stack = Path(os.environ.get("O2C_STACK_DIR", REPO / ".stack"))
    pids: dict[str, int] = {}
    for name, path in (("postgresql", stack / "pg/data/postmaster.pid"), ("kafka", stack / "kafka/kafka.pid"),
                       ("redis", stack / "redis/redis.pid"),
                       # the trace backend and the scraper run by default: their CPU is the chain's cost too
                       ("jaeger", stack / "jaeger/jaeger.pid"), ("prometheus", stack / "prometheus/prometheus.pid")):
        with contextlib.suppress(OSError, ValueError):
            pids[name] = int(path.read_text().split()[0])
    return pids


# --- the services as processes ---------------------------------------------------------------------------


@dataclass
class Stack:
    prefix: str
    databases: dict[str, str]
    ports: dict[str, int]
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="o2c-bench-")))

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def env(self, jwks: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update({"O2C_TOPIC_PREFIX": self.prefix, "O2C_JWKS_FILE": jwks,
                    "O2C_IRP_SANDBOX_PORT": str(self.ports["irp-sandbox"]),
                    "O2C_EWB_SANDBOX_PORT": str(self.ports["nic-sandbox"]),
                    "O2C_INVOICING_IRP_BASE_URL": self.url("irp-sandbox"),
                    "O2C_EWAYBILL_EWB_SANDBOX_URL": self.url("nic-sandbox"),
                    "O2C_NOTIFY_NOTIFY_INVOICE_PDF_URL": self.url("invoicing") + "/invoices/{invoice_id}/pdf"})
        for name in SERVICES:
            up = name.upper()
            env[f"O2C_{up}_DATABASE_URL"] = self.databases[name]
            env[f"O2C_{up}_HTTP_PORT"] = str(self.ports[name])
            env[f"O2C_{up}_METRICS_PORT"] = str(self.ports[name + "-metrics"])
            env[f"O2C_{up}_CONSUMER_GROUP"] = f"{self.prefix}{name}"
            env[f"O2C_{up}_INSTANCE_ID"] = f"{self.prefix}{name}"
            env[f"O2C_SALES_{up}_URL"] = self.url(name)
        return env

    def spawn(self, jwks: str) -> dict[str, str]:
        env = self.env(jwks)
        modules = {"irp-sandbox": "o2c.invoicing.adapters.irp_sandbox",
                   "nic-sandbox": "o2c.ewaybill.adapters.sandbox_server",
                   **{name: f"o2c.{name}" for name in SERVICES}}
        for name, module in modules.items():
            log = (self.logs / f"{name}.log").open("ab")
            self.procs[name] = subprocess.Popen([sys.executable, "-m", module], env=env, stdout=log,
                                                stderr=subprocess.STDOUT, cwd=REPO)
        return modules

    async def start(self, jwks: str) -> None:
        modules = self.spawn(jwks)
        async with httpx.AsyncClient() as client:
            for name in modules:
                path = "/openapi.json" if name.endswith("sandbox") else "/readyz"
                deadline = time.monotonic() + 180
                while True:
                    if self.procs[name].poll() is not None:
                        raise RuntimeError(f"{name} exited; see {self.logs / (name + '.log')}")
                    with contextlib.suppress(httpx.HTTPError):
                        answer = await client.get(self.url(name) + path, timeout=3)
                        if answer.status_code in (200, 404) and (name.endswith("sandbox")
                                                                 or answer.status_code == 200):
                            break
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{name} not ready after 180 s; see {self.logs / (name + '.log')}")
                    await asyncio.sleep(0.5)

    def cpu(self) -> dict[str, float]:
        return {name: tree_cpu(proc.pid) for name, proc in self.procs.items()}

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


async def create_databases(admin_url: str, tag: str) -> dict[str, str]:
    conn = await asyncpg.connect(plain(admin_url), timeout=10)
    base = plain(admin_url).rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    urls = {}
    try:
        for name in SERVICES:
            await conn.execute(f'CREATE DATABASE "bench_{tag}_{name}"')
            urls[name] = f"{base}/bench_{tag}_{name}"
    finally:
        await conn.close()
    return urls


async def drop_databases(admin_url: str, urls: dict[str, str]) -> None:
    conn = await asyncpg.connect(plain(admin_url), timeout=10)
    try:
        for url in urls.values():
            await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


async def topics(bootstrap: str, prefix: str, create: bool) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000, **kafka_client_options())
    await admin.start()
    try:
        if create:
            await admin.create_topics([NewTopic(prefix + name, spec.partitions, 1) for name, spec in TOPICS.items()])
        else:
            mine = [t for t in await admin.list_topics() if t.startswith(prefix)]
            if mine:
                await admin.delete_topics(mine)
    finally:
        await admin.close()


# --- database statistics ---------------------------------------------------------------------------------


async def db_stats(urls: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, url in urls.items():
        conn = await asyncpg.connect(plain(url), timeout=10)
        try:
            # sessions: backends opened on the database so far (a pool that opens and closes connections
            # under load shows here; each costs the server a fork and the client a TLS probe and handshake).
            row = await conn.fetchrow("SELECT xact_commit, xact_rollback, deadlocks, sessions FROM pg_stat_database "
                                      "WHERE datname = current_database()")
            tables = await conn.fetch("SELECT relname, seq_scan, seq_tup_read, n_live_tup FROM pg_stat_user_tables")
            out[name] = {"commits": row["xact_commit"], "rollbacks": row["xact_rollback"],
                         "deadlocks": row["deadlocks"], "sessions": row["sessions"],
                         "tables": {t["relname"]: {"seq_scan": t["seq_scan"], "seq_tup_read": t["seq_tup_read"],
                                                   "rows": t["n_live_tup"]} for t in tables}}
        finally:
            await conn.close()
    return out


def stats_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    delta: dict[str, Any] = {}
    for name, a in after.items():
        b = before.get(name, {"commits": 0, "rollbacks": 0, "deadlocks": 0, "sessions": 0, "tables": {}})
        scans = {}
        for table, t in a["tables"].items():
            bt = b["tables"].get(table, {"seq_scan": 0, "seq_tup_read": 0})
            if t["seq_scan"] - bt["seq_scan"]:
                scans[table] = {"seq_scan": t["seq_scan"] - bt["seq_scan"],
                                "rows_read": t["seq_tup_read"] - bt["seq_tup_read"], "rows": t["rows"]}
        delta[name] = {"commits": a["commits"] - b["commits"], "rollbacks": a["rollbacks"] - b["rollbacks"],
                       "deadlocks": a["deadlocks"] - b["deadlocks"], "sessions": a["sessions"] - b["sessions"],
                       "seq_scans": scans}
    return delta


# --- the people --------------------------------------------------------------------------------------------

COMPANY_PAN = "AAKCS4719M"
PUNE = {"code": "PNQ", "name": "Pune (Chakan) warehouse", "line1": "Gat No. 214, Chakan MIDC Phase II",
        "place": "Chakan", "district": "Pune", "state_code": "27", "pincode": "410501",
        "gstin": gstin("27", COMPANY_PAN)}
HSN = "73181500"
PRICE = "5000.00"
QUANTITY = 5  # per line: 3 lines of ₹5,000 × 5 + GST is above the e-way bill threshold


@dataclass
class Order:
    order_id: str
    placed_at: float
    steps: dict[str, float] = field(default_factory=dict)  # step → epoch seconds (first occurrence)
    shipments: set[str] = field(default_factory=set)
    details_at: dict[str, float] = field(default_factory=dict)
    irn: set[str] = field(default_factory=set)  # shipment ids with an IRN
    ewb: set[str] = field(default_factory=set)  # shipment ids with the e-way bill decided
    gate_tasks: set[str] = field(default_factory=set)
    gate_refusals: int = 0
    notified: bool = False
    closed: bool = False


class Bench:
    def __init__(self, stack: Stack, issuer: LocalIssuer, orders: int, lines: int, customers: int,
                 pick_mode: str = "whole") -> None:
        self.stack, self.issuer = stack, issuer
        self.pick_mode = pick_mode
        self.n_orders, self.lines, self.n_customers = orders, lines, customers
        self.client = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=64))
        pnq = {"warehouse_ids": ["PNQ"]}
        self.head = self.who("SH01", "sales_head")
        self.coordinator = self.who("SC01", "sales_coordinator", sales_owner="SC01")
        self.warehouse = self.who("WC-PNQ", "warehouse_coordinator", **pnq)
        self.picker = self.who("PK-PNQ-1", "picker", **pnq)
        self.supervisor = self.who("DS-PNQ", "dispatch_supervisor", **pnq)
        self.finance = self.who("FH01", "finance_head", approval_limit="100000000000")
        self.accountant = self.who("AC01", "accountant")
        self.items = [f"BEN-ITEM-{i:03d}" for i in range(lines)]
        self.customer_ids: list[str] = []
        self.orders: dict[str, Order] = {}
        self.events: Counter[tuple[str, str]] = Counter()  # (type, identity) → times seen
        self.notices: Counter[str] = Counter()  # cause message id → CustomerNotified records
        self.invoice_shipment: dict[str, str] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.failures: list[str] = []
        self.done = asyncio.Event()
        self.finished: set[str] = set()
        self.stuck: set[str] = set()  # orders a person's step failed for: they will never finish
        self.retried_503 = 0
        self.unplaced = 0

    def who(self, subject: str, *roles: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": "Bearer " + self.issuer.token(subject, list(roles), **claims)}

    async def call(self, service: str, method: str, path: str, who: dict[str, str], *,
                   expect: tuple[int, ...] = (200, 201), **kw: Any) -> Any:
        headers = {**who, **kw.pop("headers", {})}
        if method == "POST":
            headers.setdefault("Idempotency-Key", uuid.uuid4().hex)
        for attempt in range(6):  # a person asked to try again (503: the service was busy) does, same key
            response = await self.send(method, self.stack.url(service) + path, headers, **kw)
            if response.status_code != 503 or attempt == 5:
                break
            self.retried_503 += 1
            await asyncio.sleep(0.5 * 2 ** attempt)
        if response.status_code not in expect:
            raise RuntimeError(f"{service} {method} {path} → {response.status_code}: {response.text[:400]}")
        return response.json() if response.content else None

    async def send(self, method: str, url: str, headers: dict[str, str], **kw: Any) -> httpx.Response:
        """A request, sent again (same Idempotency-Key) when a kept-alive connection was closed under it."""
        for attempt in range(3):
            try:
                return await self.client.request(method, url, headers=headers, **kw)
            except httpx.TransportError:
                if attempt == 2:
                    raise
                await asyncio.sleep(0.2)
        raise AssertionError("unreachable")

    async def until(self, what: str, probe: Any) -> Any:
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            found = await probe()
            if found:
                return found
            await asyncio.sleep(0.25)
        raise RuntimeError(f"setup: timed out waiting for {what}")

    # master data -------------------------------------------------------------------------------------

    async def master_data(self) -> None:
        bins = [{"code": "RCV-01", "kind": "receiving"}] + [{"code": f"A-01-{i:02d}"} for i in range(self.lines)]
        await self.call("inventory", "POST", "/warehouses", self.warehouse, json={**PUNE, "bins": bins})
        await self.call("sales", "POST", "/gst-rates", self.head,
                        json={"hsn_prefix": HSN, "rate": "18", "effective_from": "2025-09-22"})
        await self.call("sales", "POST", "/items", self.head, json=[
            {"code": code, "name": f"Bench item {code}", "hsn": HSN, "unit": "BOX", "product_line": "FAS"}
            for code in self.items])
        today = date.today()
        await self.call("sales", "POST", "/price-lists", self.head, json={
            "code": "STD", "name": "Standard", "entries": [
                {"item_code": code, "unit_price": PRICE, "valid_from": f"{today.year - 1}-01-01",
                 "valid_to": f"{today.year + 1}-12-31"} for code in self.items]})

        async def known() -> bool:
            atp = await self.call("inventory", "GET", "/atp", self.warehouse, params={"items": ",".join(self.items)})
            return all(x["known"] for x in atp["items"]) and len(atp["items"]) == len(self.items)

        await self.until("inventory to learn the items (ItemCreated)", known)
        stock = str(self.n_orders * QUANTITY + 10)
        for i, code in enumerate(self.items):
            for path, body in (("/stock/receipts", {"bin_code": "RCV-01"}),
                               ("/stock/putaways", {"from_bin": "RCV-01", "to_bin": f"A-01-{i:02d}"})):
                await self.call("inventory", "POST", path, self.warehouse, json={
                    "warehouse_id": "PNQ", "item_code": code, "quantity": stock, "reference": "GRN-1", **body})
        for i in range(self.n_customers):
            pan = f"AA{chr(65 + i % 26)}CB{5000 + i:04d}R"
            code = f"BENCH{i:03d}"
            created = await self.call("sales", "POST", "/customers", self.coordinator, json={
                "code": code, "legal_name": f"Bench {i} Engineering Private Limited", "pan": pan,
                "gst_category": "registered", "payment_terms_days": 30, "price_list_code": "STD",
                "sales_owner": "SC01", "ship_policy": "ship_partial", "shortage_policy": "backorder",
                "requested_credit_limit": "5000000000.00",
                "addresses": [{"address_id": "BILL", "name": f"Bench {i}", "line1": "Plot J-147, MIDC Bhosari",
                               "place": "Pune", "district": "Pune", "state_code": "27", "pincode": "411026",
                               "gstin": gstin("27", pan)}],
                "contacts": [{"name": "Purchase desk", "email": f"purchase@bench{i}.example",
                              "channels": ["email"]}]})
            await self.call("sales", "POST", f"/customers/{created['customer_id']}/approve", self.head)
            self.customer_ids.append(created["customer_id"])
        for customer_id in self.customer_ids:
            async def profile(customer_id: str = customer_id) -> bool:
                found = await self.client.get(self.stack.url("credit") + f"/credit-profiles/{customer_id}",
                                              headers=self.finance)
                return found.status_code == 200 and bool(found.json().get("credit_profile"))

            await self.until("credit to open the profile (CustomerApproved)", profile)

    # the coordinator ---------------------------------------------------------------------------------

    async def place(self, n: int) -> None:
        customer_id = self.customer_ids[n % len(self.customer_ids)]
        quotation = await self.call("sales", "POST", "/quotations", self.coordinator, json={
            "customer_id": customer_id, "ship_to_id": "BILL",
            "lines": [{"item_code": code, "quantity": str(QUANTITY)} for code in self.items]})
        order = await self.call("sales", "POST", f"/quotations/{quotation['quotation_id']}/orders",
                                self.coordinator, json={"customer_po_no": f"PO/BENCH/{n}"})
        self.orders.setdefault(order["order_id"], Order(order["order_id"], time.time()))

    async def place_all(self, rate: float, concurrency: int) -> None:
        gate = asyncio.Semaphore(concurrency)
        started = time.monotonic()

        async def one(n: int) -> None:
            try:
                await self.place(n)
            except Exception as exc:  # an order not accepted is a lost order: reported, the run goes on
                self.failures.append(f"order {n} not placed: {exc}")
                self.unplaced += 1
            finally:
                gate.release()

        placing = []
        for n in range(self.n_orders):
            if rate > 0:
                await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            await gate.acquire()
            placing.append(asyncio.create_task(one(n)))
        await asyncio.gather(*placing)

    # the picker and the supervisor, from the events ------------------------------------------------

    def spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def pick_and_load(self, order: Order, payload: dict[str, Any]) -> None:
        try:
            picks = [{"line_no": n, "picked": str(line["quantity"]["value"] if isinstance(line["quantity"], dict)
                                                  else line["quantity"]), "bin_code": line["bin_code"]}
                     for n, line in enumerate(payload["lines"], 1)]  # pick list lines in their listed order
            if self.pick_mode == "whole":
                await self.call("dispatch", "POST", f"/pick-lists/{payload['pick_list_id']}/confirm", self.picker,
                                json={"lines": picks})
            else:
                for pick in picks:
                    await self.call("dispatch", "POST",
                                    f"/pick-lists/{payload['pick_list_id']}/lines/{pick.pop('line_no')}/confirm",
                                    self.picker, json=pick)
            order.steps["details_sent"] = time.time()
            await self.call("dispatch", "POST", f"/shipments/{payload['shipment_id']}/dispatch-details",
                            self.supervisor, json={
                                "mode": "road", "vehicle_no": "MH12AB1234", "vehicle_type": "R",
                                "driver_name": "Balasaheb Shinde", "driver_phone": "+919097760055",
                                "transporter_id": "88AAFCD4512K1ZX",
                                "transporter_name": "Deccan Roadways Private Limited",
                                "lr_no": f"DRW/{payload['shipment_id'][-8:]}", "lr_date": date.today().isoformat()})
            order.details_at[payload["shipment_id"]] = time.time()
        except Exception as exc:
            self.failures.append(f"order {order.order_id}: picking/details failed: {exc}")
            self.give_up(order)

    def give_up(self, order: Order) -> None:
        """The run ends once every order finished or can no longer finish (reported as a problem)."""
        self.stuck.add(order.order_id)
        if len(self.finished | self.stuck) + self.unplaced >= self.n_orders:
            self.done.set()

    async def gate_out(self, order: Order, shipment_id: str) -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            order.steps["gate_out_sent"] = time.time()  # the last attempt's: the one accepted
            try:
                response = await self.send("POST", self.stack.url("dispatch") + f"/shipments/{shipment_id}/gate-out",
                                           {**self.supervisor, "Idempotency-Key": f"gate-{shipment_id}"})
            except httpx.HTTPError as exc:
                self.failures.append(f"gate-out {shipment_id}: {exc!r}")
                self.give_up(order)
                return
            if response.status_code == 200:
                order.steps.setdefault("gate_out", time.time())
                return
            if response.status_code == 503:
                self.retried_503 += 1
                await asyncio.sleep(0.5)
                continue
            if response.status_code != 409:
                self.failures.append(f"gate-out {shipment_id} → {response.status_code}: {response.text[:200]}")
                self.give_up(order)
                return
            order.gate_refusals += 1
            await asyncio.sleep(0.2)
        self.failures.append(f"gate-out {shipment_id} refused for 300 s")
        self.give_up(order)

    def maybe_gate(self, order: Order) -> None:
        for shipment_id in order.shipments:
            if (shipment_id in order.irn and shipment_id in order.ewb and shipment_id in order.details_at
                    and shipment_id not in order.gate_tasks):
                order.gate_tasks.add(shipment_id)
                self.spawn(self.gate_out(order, shipment_id))

    def on_event(self, kind: str, payload: dict[str, Any], at: float, message_id: str) -> None:
        order = self.orders.get(payload.get("order_id", ""))
        if order is None:
            return
        order.steps.setdefault(kind, at)
        shipment_id = payload.get("shipment_id") or self.invoice_shipment.get(payload.get("invoice_id", ""), "")
        identity = {"InvoiceIssued": shipment_id, "EwayBillGenerated": shipment_id,
                    "EwayBillNotRequired": shipment_id, "IrnRegistered": shipment_id,
                    "ShipmentDispatched": shipment_id, "OrderClosed": order.order_id,
                    "OrderConfirmed": order.order_id, "PickListIssued": shipment_id}.get(kind)
        if identity is not None:
            self.events[(kind, identity)] += 1
        if kind == "PickListIssued":
            if shipment_id not in order.shipments:
                order.shipments.add(shipment_id)
                self.spawn(self.pick_and_load(order, payload))
        elif kind == "PickConfirmed":
            order.steps["PickConfirmed"] = at  # the last line's
        elif kind == "InvoiceIssued":
            self.invoice_shipment[payload["invoice_id"]] = shipment_id
        elif kind == "IrnRegistered":
            order.irn.add(shipment_id)
        elif kind in ("EwayBillGenerated", "EwayBillNotRequired"):
            order.steps.setdefault("ewaybill", at)
            order.ewb.add(shipment_id)
        elif kind == "CustomerNotified" and payload.get("subject") == "shipment_dispatched":
            self.notices[payload.get("cause_message_id") or message_id] += 1
            order.steps.setdefault("notified", at)
            order.notified = True
        elif kind == "OrderClosed":
            order.closed = True
        if kind in ("IrnRegistered", "EwayBillGenerated", "EwayBillNotRequired"):
            self.maybe_gate(order)
        if order.notified and order.closed:
            self.finished.add(order.order_id)  # counted, not re-checked over every order on every event
            if len(self.finished | self.stuck) + self.unplaced >= self.n_orders:
                self.done.set()

    async def listen(self, bootstrap: str, ready: asyncio.Event) -> None:
        names = [self.stack.prefix + name for name, spec in TOPICS.items() if spec.kind == "events"]
        consumer = AIOKafkaConsumer(*names, bootstrap_servers=bootstrap, group_id=None,
                                    auto_offset_reset="earliest", fetch_max_wait_ms=100, **kafka_client_options())
        await consumer.start()
        ready.set()
        pending: list[tuple[str, dict[str, Any], float, str]] = []  # events of orders not yet known (201 late)
        try:
            while True:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    for record in records:
                        envelope = json.loads(record.value)
                        item = (envelope["type"], envelope["payload"], record.timestamp / 1000,
                                envelope["message_id"])
                        if envelope["payload"].get("order_id") in self.orders:
                            self.on_event(*item)
                        elif "order_id" in envelope["payload"]:
                            pending.append(item)
                if pending and (known := [p for p in pending if p[1]["order_id"] in self.orders]):
                    for item in known:
                        self.on_event(*item)
                    pending = [p for p in pending if p[1]["order_id"] not in self.orders]
        finally:
            await consumer.stop()


# --- figures -----------------------------------------------------------------------------------------------

HOPS = [  # (name, from step, to step): per-hop latency from record timestamps
    ("accepted → credit decided", "OrderConfirmed", "CreditApproved"),
    ("accepted → stock reserved", "OrderConfirmed", "StockReserved"),
    ("accepted → released", "OrderConfirmed", "OrderReleased"),
    ("released → pick list issued", "OrderReleased", "PickListIssued"),
    ("details sent → shipment ready", "details_sent", "ShipmentReady"),
    ("shipment ready → invoice issued", "ShipmentReady", "InvoiceIssued"),
    ("invoice issued → IRN registered", "InvoiceIssued", "IrnRegistered"),
    ("invoice issued → e-way bill", "InvoiceIssued", "ewaybill"),
    ("documents → gate-out accepted", "documents", "gate_out"),
    ("gate-out sent → shipment dispatched", "gate_out_sent", "ShipmentDispatched"),
    ("dispatched → customer notified", "ShipmentDispatched", "notified"),
    ("notified → order closed", "notified", "OrderClosed"),
]


def figures(bench: Bench) -> dict[str, Any]:
    done = [o for o in bench.orders.values() if "notified" in o.steps and "OrderConfirmed" in o.steps]
    for o in bench.orders.values():
        if o.details_at:
            o.steps["details"] = max(o.details_at.values())
        if "IrnRegistered" in o.steps and "ewaybill" in o.steps:
            o.steps["documents"] = max(o.steps["IrnRegistered"], o.steps["ewaybill"])
    out: dict[str, Any] = {"completed": len(done)}
    if not done:
        return out
    first = min(o.steps["OrderConfirmed"] for o in done)
    ends = sorted(o.steps["notified"] for o in done)
    out["seconds"] = round(ends[-1] - first, 2)
    out["orders_per_s"] = round(len(done) / (ends[-1] - first), 2)
    lo, hi = int(len(ends) * 0.1), max(int(len(ends) * 0.9) - 1, int(len(ends) * 0.1))
    out["orders_per_s_10_90"] = round((hi - lo) / (ends[hi] - ends[lo]), 2) if ends[hi] > ends[lo] else None
    hops = {}
    for name, a, b in HOPS:
        values = [1000 * (o.steps[b] - o.steps[a]) for o in done if a in o.steps and b in o.steps]
        if values:
            hops[name] = {"p50": round(pct(values, 0.5)), "p95": round(pct(values, 0.95)),
                          "p99": round(pct(values, 0.99)), "n": len(values)}
    out["hops_ms"] = hops
    machine = [1000 * ((o.steps["notified"] - o.steps["OrderConfirmed"])
                       - (o.steps["details"] - o.steps["PickListIssued"]))
               for o in done if "details" in o.steps and "PickListIssued" in o.steps]
    out["machine_latency_ms"] = {"p50": round(pct(machine, 0.5)), "p95": round(pct(machine, 0.95)),
                                 "p99": round(pct(machine, 0.99))}
    out["requests_retried_after_503"] = bench.retried_503
    out["gate_refusals_per_shipment"] = round(
        sum(o.gate_refusals for o in done) / max(1, sum(len(o.shipments) for o in done)), 2)
    return out


async def checks(bench: Bench) -> list[str]:
    """Nothing lost, nothing doubled."""
    problems = list(bench.failures)
    for o in bench.orders.values():
        if not o.closed:
            problems.append(f"order {o.order_id} not closed (steps: {sorted(o.steps)})")
    if len(bench.orders) != bench.n_orders:
        problems.append(f"{bench.n_orders - len(bench.orders)} orders were never accepted")
    for (kind, identity), times in bench.events.items():
        if times != 1:
            problems.append(f"{kind} for {identity} published {times} times")
    shipments = {s for o in bench.orders.values() for s in o.shipments}
    for kind in ("InvoiceIssued", "ShipmentDispatched"):
        missing = [s for s in shipments if (kind, s) not in bench.events]
        if missing:
            problems.append(f"{len(missing)} shipments without {kind}")
    bills = [s for s in shipments if ("EwayBillGenerated", s) in bench.events
             or ("EwayBillNotRequired", s) in bench.events]
    if len(bills) != len(shipments):
        problems.append(f"{len(shipments) - len(bills)} shipments without an e-way bill decision")
    for cause, times in bench.notices.items():
        if times != 1:
            problems.append(f"dispatch notice for {cause} sent {times} times")
    conn = await asyncpg.connect(plain(bench.stack.databases["invoicing"]), timeout=10)
    try:
        rows = await conn.fetch("SELECT supplier_gstin, financial_year, invoice_no, shipment_id FROM invoice")
    finally:
        await conn.close()
    per_shipment = Counter(r["shipment_id"] for r in rows)
    problems += [f"shipment {s} has {n} invoices" for s, n in per_shipment.items() if n != 1]
    series: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for r in rows:
        head, number = re.match(r"(.*?)(\d+)$", r["invoice_no"]).groups()  # type: ignore[union-attr]
        series[(r["supplier_gstin"], r["financial_year"], head)].append(int(number))
    for key, numbers in series.items():
        numbers.sort()
        if numbers != list(range(numbers[0], numbers[0] + len(numbers))) or numbers[0] != 1:
            problems.append(f"GST invoice series {key} not gap-free: {numbers[:5]}…{numbers[-5:]}")
    conn = await asyncpg.connect(plain(bench.stack.databases["ewaybill"]), timeout=10)
    try:
        bills_db = await conn.fetch("SELECT shipment_id, count(*) AS n FROM ewaybill GROUP BY shipment_id")
    finally:
        await conn.close()
    problems += [f"shipment {r['shipment_id']} has {r['n']} e-way bills" for r in bills_db if r["n"] != 1]
    return problems


def commit() -> str:
    if os.environ.get("BENCH_COMMIT"):  # the code measured is not this checkout's (PYTHONPATH to another tree)
        return os.environ["BENCH_COMMIT"]
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO,
                              check=True).stdout.strip()
    return "?"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    bootstrap, admin_url = os.environ["O2C_KAFKA_BOOTSTRAP"], os.environ["O2C_PG_ADMIN_URL"]
    main_task = asyncio.current_task()
    assert main_task is not None
    for sig in (signal.SIGTERM, signal.SIGINT):  # stopped early: services, databases and topics still go
        asyncio.get_running_loop().add_signal_handler(sig, main_task.cancel)
    result: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "commit": commit(),
                              "cores": os.cpu_count(), "orders": args.orders, "lines": args.lines,
                              "rate": args.rate or "as fast as accepted", "concurrency": args.concurrency,
                              "pick": args.pick,
                              "load_at_start": load()}
    print(f"chain bench: {args.orders} orders × {args.lines} lines, {args.pick} pick lists, rate {result['rate']}, "
          f"{os.cpu_count()} cores, load {load()} (the machine is shared: figures are pessimistic)", flush=True)
    bare = await run_bare(args.bare_orders or args.orders, args.hops, bootstrap, admin_url)
    result["bare"] = bare
    print(f"bare chain ({args.hops} hops, plain aiokafka + asyncpg): {bare['orders_per_s']} orders/s "
          f"(load {load()})", flush=True)
    tag = uuid.uuid4().hex[:8]
    prefix = f"bench{tag}."
    await topics(bootstrap, prefix, create=True)
    urls = await create_databases(admin_url, tag)
    names = ["irp-sandbox", "nic-sandbox", *SERVICES]
    ports = {name: free_port() for name in names} | {f"{n}-metrics": free_port() for n in SERVICES}
    stack = Stack(prefix, urls, ports)
    issuer = LocalIssuer.generate()
    jwks = stack.logs / "jwks.json"
    jwks.write_text(json.dumps(issuer.jwks()))
    bench = Bench(stack, issuer, args.orders, args.lines, args.customers, args.pick)
    listener: asyncio.Task[None] | None = None
    try:
        t0 = time.monotonic()
        await stack.start(str(jwks))
        print(f"services up in {time.monotonic() - t0:.0f} s (logs in {stack.logs})", flush=True)
        ready = asyncio.Event()
        listener = asyncio.create_task(bench.listen(bootstrap, ready))
        await ready.wait()
        await bench.master_data()
        print(f"master data ready ({args.lines} items, {args.customers} customers); load {load()}", flush=True)
        before_db = await db_stats(urls)
        infra = stack_pids()
        cpu_before = stack.cpu() | {name: tree_cpu(pid) for name, pid in infra.items()}
        own_before = resource.getrusage(resource.RUSAGE_SELF)
        wall = time.monotonic()
        await bench.place_all(args.rate, args.concurrency)
        result["placement_seconds"] = round(time.monotonic() - wall, 1)
        print(f"{len(bench.orders)} orders accepted in {result['placement_seconds']} s; load {load()}", flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(bench.done.wait(), args.timeout)
        own_after = resource.getrusage(resource.RUSAGE_SELF)
        cpu_after = stack.cpu() | {name: tree_cpu(pid) for name, pid in infra.items()}
        result["load_at_end"] = load()
        await asyncio.sleep(1.5)  # PostgreSQL flushes a backend's statistics within a second
        result["databases"] = stats_delta(before_db, await db_stats(urls))
        result.update(figures(bench))
        completed = max(1, result["completed"])
        cpu = {name: round(1000 * (cpu_after[name] - cpu_before.get(name, 0.0)) / completed, 1)
               for name in cpu_after}
        result["cpu_ms_per_order"] = cpu
        result["cpu_ms_per_order_total"] = round(sum(cpu.values()), 1)
        result["bench_process_cpu_ms_per_order"] = round(1000 * (
            own_after.ru_utime + own_after.ru_stime - own_before.ru_utime - own_before.ru_stime) / completed, 1)
        if "orders_per_s" in result:
            result["ratio_to_bare"] = round(result["orders_per_s"] / bare["orders_per_s"], 3)
        problems = await checks(bench)
        result["problems"] = problems
    finally:
        if listener is not None:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
        for task in list(bench.tasks):
            task.cancel()
        await bench.client.aclose()
        stack.stop()
        if not args.keep:
            await drop_databases(admin_url, urls)
            await topics(bootstrap, prefix, create=False)
    return result


def report(r: dict[str, Any]) -> None:
    print(f"\n== chain: {r['orders']} orders × {r['lines']} lines ({r.get('pick', 'line')} pick lists), "
          f"{r['cores']} cores, load {r['load_at_start']} → "
          f"{r.get('load_at_end')} (shared machine: pessimistic), commit {r['commit']}")
    if "orders_per_s" in r:
        print(f"orders/s {r['orders_per_s']} ({r['completed']} completed in {r['seconds']} s; 10th–90th "
              f"{r['orders_per_s_10_90']}); bare chain {r['bare']['orders_per_s']}; ratio {r['ratio_to_bare']}")
        m = r["machine_latency_ms"]
        print(f"machine latency ms p50 {m['p50']} p95 {m['p95']} p99 {m['p99']}; gate-outs refused per shipment "
              f"{r['gate_refusals_per_shipment']}; requests retried after a 503 "
              f"{r.get('requests_retried_after_503', 0)}")
        print(f"{'hop':<36}{'p50':>8}{'p95':>8}{'p99':>8}   ms")
        for name, h in r["hops_ms"].items():
            print(f"{name:<36}{h['p50']:>8}{h['p95']:>8}{h['p99']:>8}")
    print(f"CPU ms per completed order: {r.get('cpu_ms_per_order_total')} "
          f"({', '.join(f'{k} {v}' for k, v in r.get('cpu_ms_per_order', {}).items())}); "
          f"this process apart: {r.get('bench_process_cpu_ms_per_order')}")
    for name, d in r.get("databases", {}).items():
        big = {t: s for t, s in d["seq_scans"].items() if s["rows"] > 1000}
        print(f"db {name:<10} commits {d['commits']:>7} rollbacks {d['rollbacks']:>5} deadlocks {d['deadlocks']:>3}"
              f"  sessions opened {d.get('sessions', 0):>4}"
              f"  seq scans {sum(s['seq_scan'] for s in d['seq_scans'].values())}"
              + (f"; on tables > 1,000 rows: {big}" if big else ""))
    problems = r.get("problems", [])
    print("nothing lost, nothing doubled" if not problems else f"PROBLEMS ({len(problems)}):")
    for p in problems[:30]:
        print(f"  {p}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--lines", type=int, default=10)
    parser.add_argument("--rate", type=float, default=0.0, help="orders/s offered; 0: as fast as accepted")
    parser.add_argument("--concurrency", type=int, default=8, help="orders being placed at once")
    parser.add_argument("--customers", type=int, default=10)
    parser.add_argument("--pick", choices=("whole", "line"), default="whole",
                        help="the picker confirms a whole pick list in one request, or line by line")
    parser.add_argument("--hops", type=int, default=10, help="hops of the bare chain")
    parser.add_argument("--bare-orders", type=int, default=0, help="orders through the bare chain (default N)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait for the last order")
    parser.add_argument("--out", default=str(HERE / "results" / "chain.json"), help="where the JSON goes")
    parser.add_argument("--keep", action="store_true", help="keep the databases and topics")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    result = asyncio.run(run(args))
    report(result)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    sys.exit(1 if result["problems"] else 0)


if __name__ == "__main__":
    main()
