"""`make demo`: the stack checked, the services started, and the Pune distributor played through the APIs.

    python demo/run.py [--orders 12] [--all-master] [--no-services] [--story D04]

1. The stack's state: Kafka topics, the seven databases, Redis.
2. The seed (`demo/seed.py` → .stack/demo/seed.json) and `bash deploy/local/services.sh up`.
3. Master data as the people enter it: warehouses, bins, opening stock (inventory); GST rates, items, price lists,
   schemes, customers created by coordinators and approved by the sales head (sales).
4. The order script: quotation → order → credit → picking → dispatch details → invoice and e-way bill → gate-out →
   notice → payment, every wait polled with a deadline.
5. One order's story read back from the services, and where to look next.

Honest by construction: a step whose service or route is not there prints "step X: <service> not available
(<reason>)" and the demo carries on with what it can do. Running it twice is fine (stable ids and
Idempotency-Keys; 409 "already exists" is expected the second time).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from driver.api import PORTS, Api, sandbox_ports, service_ports  # noqa: E402
from driver.context import Ctx  # noqa: E402
from driver.masters import load_everything  # noqa: E402
from driver.orders import chosen_orders, play  # noqa: E402
from driver.report import Report  # noqa: E402
from driver.stack import print_stack_state, start_services  # noqa: E402
from driver.state import State  # noqa: E402
from driver.story import Story, pick_story  # noqa: E402
from driver.undo import print_story  # noqa: E402


def load_env() -> None:
    """`make demo` exports .stack/env; a direct `python demo/run.py` reads it here."""
    env = Path(os.environ.get("O2C_STACK_DIR", REPO / ".stack")) / "env"
    if env.exists():
        for line in env.read_text().splitlines():
            key, sep, value = line.strip().partition("=")
            if sep and not key.startswith("#"):
                os.environ.setdefault(key, value)


def print_trace(trace_id: str) -> None:
    """The order's trace in Jaeger (the stack's trace backend): every service it crossed, one trace id."""
    query = os.environ.get("O2C_JAEGER_QUERY_URL", "")
    if not query:
        print(f"  trace id {trace_id} (no Jaeger on this stack: O2C_JAEGER_QUERY_URL unset)")
    else:
        print(f"  trace id {trace_id}: every hop of this order, one trace\n"
              f"  Jaeger query API: {query}/api/traces/{trace_id}")


def generate_seed(report: Report, out: Path) -> dict[str, Any]:
    report.section("seed (demo/seed.py)")
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(HERE / "seed.py"), "--out", str(out)], capture_output=True,
                          text=True, check=True)
    report.line(done.stdout.strip() or f"wrote {out}")
    report.line(f"seed ready in {time.monotonic() - started:.1f}s")
    seed: dict[str, Any] = json.loads(out.read_text())
    return seed


def token_factory(seed: dict[str, Any], state: State) -> Any:
    from o2c.kit.local_issuer import LocalIssuer

    issuer = LocalIssuer.in_dir()
    people = {p["user_id"]: p for p in seed["people"]}
    cache: dict[str, str] = {}

    def token(who: str) -> str:
        if who not in cache:
            if who.startswith("partner:"):
                cache[who] = issuer.token(who, ["partner"], name="EDI gateway", partner_id=who.split(":", 1)[1])
            elif who.startswith("customer:"):
                seed_id = who.split(":", 1)[1]
                cache[who] = issuer.token(who, ["customer"],
                                          customer_id=state.section("customers").get(seed_id, seed_id))
            elif who == "sre":
                cache[who] = issuer.token("demo-sre", ["sre"])
            else:
                p = people[who]
                scope = p.get("scope", {})
                cache[who] = issuer.token(who, list(p["roles"]), name=p["name"],
                                          warehouse_ids=scope.get("warehouses"),
                                          sales_owner=scope.get("sales_owner"),
                                          approval_limit=scope.get("approval_limit"))
        return cache[who]

    return token


async def where_next(ctx: Ctx, order_id: str | None) -> None:
    print("\nWhere to look next")
    sales = ctx.api.services["sales"].base_url
    try:
        console = (await ctx.api.client.get(f"{sales}/console/", timeout=5.0)).status_code == 200
    except Exception:
        console = False
    if console:
        print(f"  one screen {sales}/console/" + (f"#/orders/{order_id}" if order_id else "")
              + "   (the order's timeline; log in with a token from make token)")
    if order_id and ctx.api.has("sales", "GET", "/tracking/orders/{order_id}"):
        print(f"  timeline   GET {sales}/tracking/orders/{order_id}   (one response, every step)")
    for name in PORTS:
        state = ctx.api.services[name]
        port = int(state.base_url.rsplit(":", 1)[1])
        if state.routes is None:
            known = "routes unknown: /openapi.json fails"
        else:
            count = len([r for r in state.routes if not r[1].startswith(("/admin", "/healthz", "/readyz"))])
            known = f"{count} business routes"
        print(f"  {name:<10} http://127.0.0.1:{port}/docs   ({'up' if state.ready else state.reason}; {known})")
    sandboxes = sandbox_ports()
    print(f"  sandboxes  IRP http://127.0.0.1:{sandboxes['irp-sandbox']}/docs   NIC e-way bill "
          f"http://127.0.0.1:{sandboxes['nic-sandbox']}/docs")
    print("  a token    make token ROLE=finance_head LIMIT=10000000   (ROLE=picker WAREHOUSES=PNQ, "
          "ROLE=sales_coordinator OWNER=SC01, ROLE=customer CUSTOMER=<cus-id>)")
    print("             curl -H \"Authorization: Bearer $(make -s token ROLE=sales_head)\" "
          f"{sales}/orders/{order_id or '<order_id>'}")
    print("  logs       bash deploy/local/services.sh logs <service>   (.stack/services/<service>.log); "
          "make logs S=kafka|postgres|redis")
    print("  state      make status;  the ids this demo created: .stack/demo/state.json")
    if order_id:
        head = next((p["user_id"] for p in ctx.seed["people"] if "sales_head" in p["roles"]), None)
        token = ctx.api.tokens(head) if head else ""
        if token:
            print(f"\nOpen one order on the one screen (token for {head}, sales head, valid 8 hours; the page asks"
                  " you to confirm the login):")
            print(f"  {sales}/console/#/orders/{order_id}?token={token}")
            print(f"  token: {token}")


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=12, help="orders of the script to play (50 = all)")
    parser.add_argument("--all-master", action="store_true",
                        help="load all 300 customers and every opening-stock row (default: those the orders need; "
                             "sales and inventory take them one request each)")
    parser.add_argument("--no-services", action="store_true", help="do not run services.sh up")
    parser.add_argument("--only", help="comma-separated script ids to play (e.g. D04,D43), instead of --orders")
    parser.add_argument("--story", help="script id of the order whose story to print (default: the furthest)")
    parser.add_argument("--port-offset", type=int, default=None,
                        help="services on 8101+N… (a second environment next to the usual one; default: "
                             "$O2C_PORT_OFFSET, which `make demo` takes from the stack's env file)")
    parser.add_argument("--seed-out", type=Path,
                        default=Path(os.environ.get("O2C_STACK_DIR") or REPO / ".stack") / "demo" / "seed.json")
    args = parser.parse_args(argv)
    load_env()
    if args.port_offset is not None:
        os.environ["O2C_PORT_OFFSET"] = str(args.port_offset)  # services.sh and the services read it too
    report = Report()
    print("o2c demo: Sahyadri Industrial Supplies, Pune — order to cash through the services' APIs")
    if not await print_stack_state(report):
        report.line("the stack is not healthy: run `make up` (the demo carries on; what needs it will say so)")
    seed = generate_seed(report, args.seed_out)
    if not args.no_services:
        await start_services(report, REPO)
    state = State(args.seed_out.parent / "state.json")
    api = Api(token_factory(seed, state), ports=service_ports())
    ctx = Ctx(seed=seed, api=api, report=report, state=state)
    try:
        await api.probe_all()
        report.section("what the services offer")
        for name, svc in api.services.items():
            report.line(f"{name:<10} {svc.base_url}  {svc.reason}")
        scripts = chosen_orders(seed, args.orders)
        if args.only:
            wanted = {x.strip().upper() for x in args.only.split(",")}
            scripts = [s for s in seed["orders"] if s["script_id"] in wanted]
        customers = None if args.all_master else {s["customer_id"] for s in scripts}
        items = None if args.all_master else {ln["item_code"] for s in scripts for ln in s["lines"]}
        await load_everything(ctx, customers, items)
        plays = await play(ctx, scripts)
        chosen = next((p for p in plays if p.sid == args.story), None) if args.story else pick_story(plays)
        report.section("one order's story")
        if chosen is None:
            print("  no order got as far as sales: there is no story to read back yet")
        else:
            story = Story(ctx, chosen)
            await story.gather()
            story.print()
            print_trace(chosen.trace_id)
        undone = next((p for p in plays if p.undo_story), None)
        if undone is not None:
            print_story(ctx, undone.undo_story)
        report.section("summary")
        reached: dict[str, int] = {}
        for p in plays:
            for step in set(p.reached):
                reached[step] = reached.get(step, 0) + 1
        order_steps = ["quotation", "order", "credit", "release", "release (held)", "picking", "dispatch details",
                       "invoice", "e-way bill", "gate-out", "notification", "closed", "payment", "cancelled",
                       "undone after invoice"]
        print("  orders reaching each step: " + ", ".join(f"{s} {reached[s]}" for s in order_steps if s in reached)
              + f"  (of {len(plays)})")
        for line in report.summary():
            print(f"  {line}")
        grouped: dict[str, list[str]] = {}
        for line in report.failures:
            prefix, _, text = line.partition("] ") if line.startswith("[") else ("", "", line)
            grouped.setdefault(text, []).append(prefix.lstrip("["))
        for text, where in grouped.items():
            orders = sorted({w for w in where if w})
            times = f" ×{len(where)}" if len(where) > 1 else ""
            print(f"  problem{times}: {text}" + (f"  [{', '.join(orders)}]" if orders else ""))
        print(f"  {api.calls} API calls in {time.monotonic() - report.started:.1f}s")
        await where_next(ctx, chosen.order_id if chosen else None)
    finally:
        state.save()
        await api.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
