"""Master data as the people would enter it: warehouses, bins and opening stock into inventory (received, then
put away = confirmed); GST rates, items (one bulk request), price lists, schemes and customers (a coordinator
creates, the sales head approves) into sales.

Everything is repeatable: a second run meets 409 "already exists" (fine), stock movements carry stable
Idempotency-Keys (a repeat moves nothing), and customers are found again by the ids kept in the state file.
"""

from __future__ import annotations

import time
from typing import Any

from driver.api import Refused, Unavailable
from driver.context import Ctx, bounded

RECEIVING_BIN = "RCV-01"
EXISTS = (409,)


def _already(response_status: int) -> bool:
    return response_status == 409


# --- inventory -------------------------------------------------------------------------------------


async def load_warehouses(ctx: Ctx) -> None:
    report, api = ctx.report, ctx.api
    with report.step("warehouses and bins"):
        api.need("inventory", "POST", "/warehouses")
        for wh in ctx.seed["warehouses"]:
            address = wh["address"]
            body = {"code": wh["warehouse_id"], "name": wh["name"], "line1": address["line1"],
                    "place": address["place"], "district": address["district"], "state_code": wh["state_code"],
                    "pincode": address["pincode"], "gstin": wh["gstin"],
                    "bins": [{"code": RECEIVING_BIN, "kind": "receiving"}]
                    + [{"code": b["code"], "kind": "storage"} for b in wh["bins"]]}
            who = ctx.person("warehouse_coordinator", wh["warehouse_id"])
            response = await api.call("inventory", "POST", "/warehouses", who=who, json=body, accept=EXISTS)
            verb = "already registered" if _already(response.status_code) else "registered"
            report.line(f"warehouse {wh['warehouse_id']} {wh['name']} ({address['pincode']}, GSTIN {wh['gstin']}): "
                        f"{verb} by {ctx.name(who)} with {len(body['bins'])} bins")


async def wait_for_item_replica(ctx: Ctx, codes: list[str]) -> bool:
    """Inventory learns items from sales' ItemCreated events; receipts of unknown items are refused."""
    if not ctx.api.has("inventory", "GET", "/atp"):
        return True
    who = ctx.person("warehouse_coordinator")

    async def known() -> bool:
        for start in range(0, len(codes), 400):
            chunk = codes[start:start + 400]
            rows = (await ctx.api.get("inventory", "/atp", who=who, params={"items": ",".join(chunk)})).json()
            if not all(r.get("known") for r in rows.get("items", [])):
                return False
        return True

    return bool(await ctx.report.wait(f"inventory to know all {len(codes)} items (ItemCreated over Kafka)", known,
                                      timeout=90, interval=1.0))


async def present_stock(ctx: Ctx) -> set[tuple[str, str, str, str]]:
    """(warehouse, bin, item, batch) that inventory already holds — a second run moves nothing for them."""
    present: set[tuple[str, str, str, str]] = set()
    if not ctx.api.has("inventory", "GET", "/stock"):
        return present
    for wh in ctx.seed["warehouses"]:
        who = ctx.person("warehouse_coordinator", wh["warehouse_id"])
        rows = (await ctx.api.get("inventory", "/stock", who=who, params={"warehouse_id": wh["warehouse_id"]})).json()
        present |= {(r["warehouse_id"], r["bin_code"], r["item_code"], r.get("batch_no") or "-") for r in rows
                    if r.get("bin_code") != RECEIVING_BIN}
    return present


async def load_stock(ctx: Ctx, items: set[str] | None) -> None:
    """Opening stock: each row received into the receiving bin, then put away into its bin (confirmed).

    Inventory takes one movement per request (no bulk API), so by default only the rows of the items the
    played orders need are loaded; `--all-master` loads all of them."""
    report, api = ctx.report, ctx.api
    with report.step("opening stock"):
        api.need("inventory", "POST", "/stock/receipts")
        api.need("inventory", "POST", "/stock/putaways")
        batches = {b["batch_no"]: b for b in ctx.seed["batches"]}
        wanted = [r for r in ctx.seed["stock"] if items is None or r["item_code"] in items]
        present = await present_stock(ctx)
        rows = [r for r in wanted
                if (r["warehouse_id"], r["bin_code"], r["item_code"], r["batch_no"] or "-") not in present]
        scope = "all rows" if items is None else f"the rows of the {len(items)} items the orders played need"
        report.line(f"opening stock: {len(wanted)} of {len(ctx.seed['stock'])} seed rows ({scope}); "
                    f"{len(wanted) - len(rows)} already in inventory's bins, {len(rows)} to receive and put away")
        started = time.monotonic()
        counts = {"moved": 0, "repeated": 0}
        failures: list[str] = []

        async def one(row: dict[str, Any]) -> None:
            who = ctx.person("warehouse_coordinator", row["warehouse_id"])
            key = f"demo-open-{row['warehouse_id']}-{row['bin_code']}-{row['item_code']}-{row['batch_no'] or '-'}"
            batch = batches.get(row["batch_no"] or "")
            receipt = {"warehouse_id": row["warehouse_id"], "item_code": row["item_code"], "reference": "OPENING",
                       "quantity": row["quantity"], "bin_code": RECEIVING_BIN, "batch_no": row["batch_no"],
                       "expiry_date": row["expiry_date"], "manufactured_on": batch["mfg_date"] if batch else None}
            putaway = {"warehouse_id": row["warehouse_id"], "item_code": row["item_code"], "reference": "OPENING",
                       "quantity": row["quantity"], "from_bin": RECEIVING_BIN, "to_bin": row["bin_code"],
                       "batch_no": row["batch_no"]}
            try:
                first = await api.call("inventory", "POST", "/stock/receipts", who=who, json=receipt,
                                       headers={"Idempotency-Key": key + "-rcv"})
                second = await api.call("inventory", "POST", "/stock/putaways", who=who, json=putaway,
                                        headers={"Idempotency-Key": key + "-put"})
            except Refused as exc:
                failures.append(f"{row['warehouse_id']} {row['bin_code']} {row['item_code']}: {exc}")
                return
            repeated = first.json().get("repeated") and second.json().get("repeated")
            counts["repeated" if repeated else "moved"] += 1

        await bounded(rows, one, limit=8)
        seconds = time.monotonic() - started
        report.line(f"opening stock: {len(rows)} rows (warehouse × bin × item × batch) received into {RECEIVING_BIN} "
                    f"and put away by each warehouse coordinator: {counts['moved']} moved, {counts['repeated']} "
                    f"already done (same Idempotency-Key), {len(failures)} refused — {seconds:.1f}s")
        for failure in failures[:5]:
            report.line(f"  refused: {failure}")
        if failures:
            report.failures.append(f"opening stock: {len(failures)} rows refused")


# --- sales -----------------------------------------------------------------------------------------


async def load_gst_rates(ctx: Ctx) -> None:
    report, api = ctx.report, ctx.api
    with report.step("GST rates"):
        api.need("sales", "POST", "/gst-rates")
        who = ctx.person("sales_head")
        rows = [(h["hsn"], r) for h in ctx.seed["hsn_codes"] for r in h["rates"]]

        async def one(row: tuple[str, dict[str, Any]]) -> None:
            hsn, rate = row
            await api.call("sales", "POST", "/gst-rates", who=who, retries=2, json={  # an upsert: safe to repeat
                "hsn_prefix": hsn, "rate": rate["rate"], "effective_from": rate["valid_from"], "cess_rate": "0"})

        await bounded(rows, one, limit=4)
        report.line(f"GST rates: {len(rows)} effective-dated rates for {len(ctx.seed['hsn_codes'])} HSN codes "
                    f"(before and after 22 Sep 2025) by {ctx.name(who)}")


async def load_items(ctx: Ctx) -> None:
    report, api = ctx.report, ctx.api
    with report.step("items"):
        api.need("sales", "POST", "/items")
        who = ctx.person("sales_head")
        items = [{"code": s["code"], "name": s["name"], "hsn": s["hsn"], "unit": s["uqc"],
                  "product_line": s["product_line"], "batch_tracked": s["batch_tracked"], "stocked": s["stocked"],
                  "lead_time_days": s["lead_time_days"]} for s in ctx.seed["skus"]]
        started = time.monotonic()
        response = await api.call("sales", "POST", "/items", who=who, json=items, accept=EXISTS)
        if _already(response.status_code):
            report.line(f"items: the catalogue of {len(items)} SKUs is already there (409)")
        else:
            report.line(f"items: {response.json().get('created')} SKUs created in one request by {ctx.name(who)} "
                        f"({time.monotonic() - started:.1f}s; each published as ItemCreated)")


async def load_price_lists(ctx: Ctx) -> None:
    """STD with every SKU; negotiated prices are added after the customers exist (they name the customer)."""
    report, api = ctx.report, ctx.api
    with report.step("price lists"):
        api.need("sales", "POST", "/price-lists")
        who = ctx.person("sales_head")
        for pl in ctx.seed["price_lists"]:
            if pl["customer_id"] is not None:
                continue
            entries = [{"item_code": e["item_code"], "unit_price": e["unit_price"], "valid_from": pl["valid_from"],
                        "valid_to": pl["valid_to"]} for e in pl["entries"]]
            response = await api.call("sales", "POST", "/price-lists", who=who, accept=EXISTS,
                                      json={"code": pl["code"], "name": pl["name"], "entries": entries})
            verb = "already there" if _already(response.status_code) else "created"
            report.line(f"price list {pl['code']} ({len(entries)} prices, {pl['valid_from']}…{pl['valid_to']}): "
                        f"{verb} by {ctx.name(who)}")


async def load_negotiated_prices(ctx: Ctx) -> None:
    report, api = ctx.report, ctx.api
    with report.step("negotiated prices"):
        api.need("sales", "POST", "/price-lists/{code}/prices")
        who = ctx.person("sales_head")
        added = already = missing = 0
        for pl in ctx.seed["price_lists"]:
            if pl["customer_id"] is None:
                continue
            customer_id = ctx.customer_id(pl["customer_id"])
            if customer_id is None:
                missing += 1
                continue
            entries = [{"item_code": e["item_code"], "unit_price": e["unit_price"], "valid_from": pl["valid_from"],
                        "valid_to": pl["valid_to"], "customer_id": customer_id} for e in pl["entries"]]
            response = await api.call("sales", "POST", "/price-lists/STD/prices", who=who, json={"entries": entries},
                                      template="/price-lists/{code}/prices", accept=(409,))
            if _already(response.status_code):
                already += 1
            else:
                added += 1
        report.line(f"negotiated prices ({ctx.seed['price_lists'][1]['code']}…): the seed's NEG-<customer> lists "
                    f"become customer prices in STD (sales falls back to standard within a list): {added} customers "
                    f"added, {already} already there, {missing} without a customer id")


async def load_schemes(ctx: Ctx) -> None:
    report, api = ctx.report, ctx.api
    with report.step("schemes"):
        api.need("sales", "POST", "/schemes")
        who = ctx.person("sales_head")
        made = []
        for s in ctx.seed["schemes"]:
            body = {"code": s["code"], "name": s["name"], "kind": s["kind"], "valid_from": s["valid_from"],
                    "valid_to": s["valid_to"], "item_codes": s["scope"]["item_codes"],
                    "product_lines": s["scope"]["product_lines"], "slabs": s.get("slabs", []),
                    "buy_quantity": s.get("buy_quantity"), "free_quantity": s.get("free_quantity")}
            response = await api.call("sales", "POST", "/schemes", who=who, json=body, accept=EXISTS)
            made.append(f"{s['code']}{' (already)' if _already(response.status_code) else ''}")
        report.line(f"schemes by {ctx.name(who)}: {', '.join(made)}")


def _customer_body(c: dict[str, Any]) -> dict[str, Any]:
    keep = ("address_id", "name", "line1", "line2", "place", "district", "state_code", "pincode", "gstin",
            "is_billing", "is_shipping", "third_party")
    return {
        "code": c["code"], "legal_name": c["legal_name"], "pan": c["pan"], "gst_category": c["gst_category"],
        "addresses": [{k: a[k] for k in keep} for a in c["addresses"]],
        "payment_terms_days": c["payment_terms_days"], "price_list_code": "STD", "sales_owner": c["sales_owner"],
        "ship_policy": c["ship_policy"], "shortage_policy": c["shortage_policy"],
        "requested_credit_limit": c["credit_limit"], "credit_grace_days": c["credit_grace_days"],
        # Who notify tells (sales keeps contacts on the customer master and passes them on).
        "contacts": [{"name": c["contact"]["name"], "email": c["contact"]["email"], "phone": c["contact"]["phone"],
                      "channels": c["contact"]["channels"]}],
    }


async def load_customers(ctx: Ctx, only: set[str] | None = None) -> None:
    """A coordinator (the customer's sales owner) registers each customer; the sales head approves it and names
    the partner systems that serve it (the EDI gateway, for the customers whose orders it places)."""
    report, api = ctx.report, ctx.api
    with report.step("customers"):
        api.need("sales", "POST", "/customers")
        api.need("sales", "POST", "/customers/{customer_id}/approve")
        ids = ctx.state.section("customers")
        head = ctx.person("sales_head")
        chosen = [c for c in ctx.seed["customers"] if only is None or c["customer_id"] in only]
        partners: dict[str, set[str]] = {}
        for script in ctx.seed["orders"]:
            if script["channel"] == "partner":
                partners.setdefault(script["customer_id"], set()).add(script["placed_by"].split(":", 1)[1])
        tally = {"created": 0, "approved": 0, "already": 0, "refused": 0, "unknown": 0, "contact added": 0,
                 "served by a partner": 0}
        refusals: list[str] = []
        started = time.monotonic()

        async def one(c: dict[str, Any]) -> None:
            try:
                known = ids.get(c["customer_id"])
                status = None
                if known:
                    found = await api.get("sales", f"/customers/{known}", who=head,
                                          template="/customers/{customer_id}", accept=(404,))
                    status = found.json().get("status") if found.status_code == 200 else None
                    if status is not None and "contacts" in found.json() and not found.json()["contacts"]:
                        # Registered before sales kept contacts: the coordinator adds the buyer's contact.
                        await api.call("sales", "PATCH", f"/customers/{known}", who=c["sales_owner"],
                                       template="/customers/{customer_id}",
                                       json={"contacts": _customer_body(c)["contacts"]})
                        tally["contact added"] += 1
                if status is None:
                    made = await api.call("sales", "POST", "/customers", who=c["sales_owner"],
                                          json=_customer_body(c), accept=EXISTS)
                    if made.status_code == 409:
                        tally["unknown" if not known else "already"] += 1
                        if not known:
                            refusals.append(f"{c['code']}: exists in sales but this run has no id for it "
                                            "(sales has no lookup by code)")
                        return
                    known = made.json()["customer_id"]
                    ids[c["customer_id"]] = known
                    status = made.json().get("status")
                    tally["created"] += 1
                else:
                    tally["already"] += 1
                if status == "pending":
                    await api.call("sales", "POST", f"/customers/{known}/approve", who=head,
                                   template="/customers/{customer_id}/approve")
                    tally["approved"] += 1
                if c["customer_id"] in partners:
                    await api.call("sales", "PUT", f"/customers/{known}/partners", who=head,
                                   template="/customers/{customer_id}/partners",
                                   json={"partner_ids": sorted(partners[c["customer_id"]])})
                    tally["served by a partner"] += 1
            except Refused as exc:
                tally["refused"] += 1
                refusals.append(f"{c['code']}: {exc}")

        try:
            await bounded(chosen, one, limit=8)
        finally:
            ctx.state.save()
        scope = "all" if only is None else "those of the orders played; --all-master loads all"
        report.line(f"customers: {len(chosen)} of {len(ctx.seed['customers'])} ({scope}) — "
                    f"{tally['created']} registered by their coordinators, {tally['approved']} approved by "
                    f"{ctx.name(head)}, {tally['already']} already there"
                    + (f" ({tally['contact added']} given their contact by the coordinator)" if tally["contact added"]
                       else "") + f", {tally['served by a partner']} served by a partner"
                    f", {tally['refused']} refused "
                    f"({time.monotonic() - started:.1f}s)")
        for text in refusals[:5]:
            report.line(f"  {text}")
        if tally["refused"] or tally["unknown"]:
            report.failures.append(f"customers: {tally['refused']} refused, {tally['unknown']} without id")


async def load_everything(ctx: Ctx, customer_scope: set[str] | None, item_scope: set[str] | None) -> None:
    report = ctx.report
    report.section("master data: inventory (warehouses, bins) and sales (GST rates, items, prices, schemes)")
    await load_warehouses(ctx)
    await load_gst_rates(ctx)
    await load_items(ctx)
    await load_price_lists(ctx)
    await load_schemes(ctx)
    report.section("customers: registered by the coordinators, approved by the sales head")
    await load_customers(ctx, customer_scope)
    await load_negotiated_prices(ctx)
    report.section("opening stock: received and put away (confirmed, promisable)")
    try:
        codes = [s["code"] for s in ctx.seed["skus"]]
        if ctx.api.services["inventory"].ready and ctx.api.has("sales", "POST", "/items"):
            await wait_for_item_replica(ctx, codes)
    except (Unavailable, Refused) as exc:
        report.line(f"could not check inventory's item replica: {exc}")
    await load_stock(ctx, item_scope)
