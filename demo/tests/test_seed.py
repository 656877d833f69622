"""The demo seed is valid by docs/domain.md's rules, complete, deterministic and fast.

Run: `cd /work/main && .venv/bin/pytest demo/tests -q`
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import indian_pincode
import pytest
from o2c.india.calendar import IST
from o2c.india.gstin import gstin_check_character
from o2c.india.vehicles import is_valid_vehicle_number, normalised_vehicle_number

SEED_PATH = Path(__file__).resolve().parents[1] / "seed.py"
REPO_ROOT = SEED_PATH.parents[1]

# Independent of the seed's own table: the India Post directory's name of each GST state the demo uses.
DIRECTORY_STATE = {
    "07": "DELHI",
    "08": "RAJASTHAN",
    "09": "UTTAR PRADESH",
    "23": "MADHYA PRADESH",
    "24": "GUJARAT",
    "27": "MAHARASHTRA",
    "29": "KARNATAKA",
    "30": "GOA",
    "33": "TAMIL NADU",
    "36": "TELANGANA",
}
GSTIN_PATTERN = re.compile(r"^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z][Z1-9ABD-J][0-9A-Z]$")
DECIMAL = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
MONEY = re.compile(r"^[0-9]+\.[0-9]{2}$")
ALLOWED_CHAPTERS = {"7318", "8536", "8537", "8538", "8544", "8507", "8541", "9405", "8414", "3917", "3919", "3926",
                    "2710", "3403", "3208", "3209", "3210", "3214", "3814"}
UQCS = {"NOS", "PCS", "BOX", "KGS", "LTR", "MTR", "PAC"}
AS_OF = date(2026, 11, 16)

Json = dict[str, Any]


def load_seed() -> ModuleType:
    spec = importlib.util.spec_from_file_location("o2c_demo_seed", SEED_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered while it executes
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def seed() -> ModuleType:
    return load_seed()


@pytest.fixture(scope="module")
def data(seed: ModuleType) -> Json:
    def no_floats(text: str) -> Any:
        raise AssertionError(f"a float in the JSON: {text}")

    rendered: str = seed.render(seed.build())
    loaded: Json = json.loads(rendered, parse_float=no_floats)
    return loaded


def reference_check_character(first_fourteen: str) -> str:
    """docs/domain.md's algorithm ("GSTIN"), written again here so the seed is not checked against itself."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    total = 0
    for i, char in enumerate(first_fourteen):
        p = alphabet.index(char) * (2 if i % 2 else 1)
        total += p // 36 + p % 36
    return alphabet[(36 - total % 36) % 36]


def valid_gstin(gstin: str) -> bool:
    return bool(GSTIN_PATTERN.match(gstin)) and gstin[14] == reference_check_character(gstin[:14])


def addresses(data: Json) -> Iterator[Json]:
    """Every address anywhere in the document (a dict with a pincode and a state code)."""

    def walk(node: Any) -> Iterator[Json]:
        if isinstance(node, dict):
            if "pincode" in node and "state_code" in node:
                yield node
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    yield from walk(data)


# --- GSTIN -------------------------------------------------------------------------------------------


def test_the_loaders_gstin_check_matches_domain_examples(seed: ModuleType) -> None:
    catalogue = sys.modules["catalogue"]  # imported by seed.py, which reads demo/data/ with it
    for good in ("24AUTPV8831F1ZZ", "29AABCR1718E1ZL", "05AAACG2115R1ZN", "33AAAAR6720M1ZG"):
        assert catalogue.gstin(good) == good
    for bad in ("29AAFCA7488L1Z0", "02AMBPG7773M002", "36AABCT1332L011"):
        with pytest.raises(ValueError, match="not a valid GSTIN"):
            catalogue.gstin(bad)
    assert reference_check_character("29AAFCA7488L1Z") == "W"


def test_every_gstin_passes_the_check_and_belongs_to_its_address(data: Json) -> None:
    company_pan = data["company"]["pan"]
    for registration in data["company"]["registrations"]:
        gstin = registration["gstin"]
        assert valid_gstin(gstin) and gstin[2:12] == company_pan and gstin[:2] == registration["state_code"]
    assert sorted(r["state_code"] for r in data["company"]["registrations"]) == ["24", "27", "29"]
    for warehouse in data["warehouses"]:
        assert warehouse["gstin"] == warehouse["address"]["gstin"]
        assert warehouse["gstin"][:2] == warehouse["state_code"] == warehouse["address"]["state_code"]

    seen = 0
    for customer in data["customers"]:
        registered = customer["gst_category"] != "unregistered"
        by_state = {r["state_code"]: r["gstin"] for r in customer["registrations"]}
        assert bool(by_state) == registered, customer["customer_id"]
        for gstin in by_state.values():
            assert valid_gstin(gstin), gstin
            assert gstin[2:12] == customer["pan"], "the PAN inside the GSTIN is the customer's"
        for address in customer["addresses"]:
            gstin = address["gstin"]
            if gstin is None:
                assert not (registered and address["is_billing"]), "a registered buyer's billing address has a GSTIN"
                continue
            seen += 1
            assert valid_gstin(gstin), gstin
            assert gstin[:2] == address["state_code"], "the GSTIN's state is the address's state"
            assert by_state[address["state_code"]] == gstin, "one GSTIN per registered state"
    assert seen >= 250


def test_gstins_agree_with_the_sales_module_when_present(data: Json) -> None:
    """The shared rule (o2c.india), the reference above and, where importable, the sales rules all agree."""
    try:
        sales = importlib.import_module("o2c.sales.domain.gstin")
    except ImportError:
        sales = None
    gstins = [a["gstin"] for a in addresses(data) if a["gstin"]]
    for gstin in gstins:
        assert gstin_check_character(gstin[:14]) == reference_check_character(gstin[:14])
        if sales is not None:
            assert sales.gstin_problem(gstin) is None, gstin


def test_transporters_use_transin_and_vehicles_have_portal_formats(data: Json) -> None:
    logistics = data["logistics"]
    transporters = {t["transporter_id"] for t in logistics["transporters"]}
    for tid in transporters:
        assert re.fullmatch(r"88[0-9A-Z]{13}", tid), tid
    drivers = {d["driver_id"] for d in logistics["drivers"]}
    for driver in logistics["drivers"]:
        assert re.fullmatch(r"[A-Z]{2}[0-9]{13}", driver["licence_no"])
        assert re.fullmatch(r"\+91[6-9][0-9]{9}", driver["phone"])
    for vehicle in logistics["vehicles"]:
        number = vehicle["vehicle_no"]
        assert is_valid_vehicle_number(number) and number == normalised_vehicle_number(number), number
        assert vehicle["transporter_id"] in transporters and vehicle["driver_id"] in drivers
    formats = {re.sub(r"[0-9]", "9", re.sub(r"[A-Z]", "A", v["vehicle_no"])) for v in logistics["vehicles"]}
    assert {"AA99AA9999", "AA99A9999", "AA999999"} <= formats


# --- pincodes ----------------------------------------------------------------------------------------


def test_every_pincode_is_in_its_address_state(data: Json) -> None:
    checked = 0
    for address in addresses(data):
        details = indian_pincode.get_details(address["pincode"])
        assert details is not None, f"{address['pincode']} is not in the India Post directory"
        assert details["states"] == [DIRECTORY_STATE[address["state_code"]]], (address["address_id"], details)
        checked += 1
    assert checked >= 400


# --- counts and structure ----------------------------------------------------------------------------


def test_counts(data: Json) -> None:
    assert [(w["warehouse_id"], w["state_code"]) for w in data["warehouses"]] == [
        ("PNQ", "27"), ("AMD", "24"), ("BLR", "29")
    ]
    for warehouse in data["warehouses"]:
        codes = [b["code"] for b in warehouse["bins"]]
        assert 50 <= len(codes) <= 70 and len(set(codes)) == len(codes)
        assert all(re.fullmatch(r"[A-Z]-[0-9]{2}-[0-9]{2}", c) for c in codes)
    skus = data["skus"]
    assert 1100 <= len(skus) <= 1300
    by_line = Counter(s["product_line"] for s in skus)
    assert set(by_line) == {"FAS", "ELE", "LUB"} and min(by_line.values()) >= 150
    assert len(data["customers"]) >= 250
    states = Counter(c["addresses"][0]["state_code"] for c in data["customers"])
    assert set(states) == set(DIRECTORY_STATE)
    assert states["27"] > states["24"] > states["33"] and states["29"] > states["33"]
    categories = Counter(c["gst_category"] for c in data["customers"])
    assert categories["sez"] >= 2 and categories["unregistered"] >= 2
    counts = data["meta"]["counts"]
    assert counts["skus"] == len(skus) and counts["customers"] == len(data["customers"])
    assert counts["orders"] == len(data["orders"])


def test_catalog_follows_the_rate_and_unit_rules(data: Json) -> None:
    skus = data["skus"]
    assert len({s["code"] for s in skus}) == len(skus)
    reform = date(2025, 9, 22)
    hsn_table = {h["hsn"]: h for h in data["hsn_codes"]}
    for sku in skus:
        assert re.fullmatch(r"[0-9]{8}", sku["hsn"]) and sku["hsn"][:4] in ALLOWED_CHAPTERS, sku["hsn"]
        assert sku["hsn"] in hsn_table and hsn_table[sku["hsn"]]["rates"] == sku["gst_rates"]
        assert sku["gst_rate"] in {"5", "18", "40"} and sku["gst_rate_before_reform"] in {"5", "12", "18", "28"}
        current = [r for r in sku["gst_rates"] if date.fromisoformat(r["valid_from"]) <= AS_OF
                   and (r["valid_to"] is None or date.fromisoformat(r["valid_to"]) >= AS_OF)]
        assert [r["rate"] for r in current] == [sku["gst_rate"]]
        before = [r for r in sku["gst_rates"] if date.fromisoformat(r["valid_from"]) < reform]
        assert [r["rate"] for r in before] == [sku["gst_rate_before_reform"]]
        assert sku["uqc"] in UQCS
        assert MONEY.match(sku["standard_price"]) and Decimal(sku["standard_price"]) > 0
        assert DECIMAL.match(sku["pack_size"]) and Decimal(sku["pack_size"]) > 0
        assert sku["batch_tracked"] == (sku["product_line"] == "LUB") == (sku["shelf_life_months"] is not None)
        assert sku["stocked"] == (sku["lead_time_days"] == 0)
    share_stocked = sum(s["stocked"] for s in skus) / len(skus)
    assert 0.92 <= share_stocked <= 0.98
    rates = Counter(s["gst_rate"] for s in skus)
    assert rates["18"] > 0.9 * len(skus) and rates["5"] > 0
    assert {s["gst_rate_before_reform"] for s in skus} >= {"12", "18", "28"}


def test_stock_refers_to_known_bins_batches_and_items(data: Json) -> None:
    skus = {s["code"]: s for s in data["skus"]}
    bins = {w["warehouse_id"]: {b["code"] for b in w["bins"]} for w in data["warehouses"]}
    batches = {(b["item_code"], b["batch_no"]): b for b in data["batches"]}
    assert len({b["batch_no"] for b in data["batches"]}) == len(data["batches"])
    held: dict[str, set[str]] = {}
    expired_on_hand, near_expiry_on_hand = set(), set()
    for row in data["stock"]:
        sku = skus[row["item_code"]]
        assert sku["stocked"], "non-stocked items have no stock"
        assert row["bin_code"] in bins[row["warehouse_id"]]
        assert row["uqc"] == sku["uqc"]
        quantity = Decimal(row["quantity"])
        assert quantity > 0 and quantity % Decimal(sku["pack_size"]) == 0
        if sku["batch_tracked"]:
            batch = batches[(row["item_code"], row["batch_no"])]
            assert row["expiry_date"] == batch["expiry_date"]
            expiry = date.fromisoformat(batch["expiry_date"])
            assert date.fromisoformat(batch["mfg_date"]) < expiry
            if expiry < AS_OF:
                expired_on_hand.add(row["batch_no"])
            elif expiry <= AS_OF + timedelta(days=60):
                near_expiry_on_hand.add(row["batch_no"])
        else:
            assert row["batch_no"] is None and row["expiry_date"] is None
        held.setdefault(row["item_code"], set()).add(row["warehouse_id"])
    assert 1 <= len(expired_on_hand) <= 2
    assert len(near_expiry_on_hand) >= 5
    stocked = [code for code, s in skus.items() if s["stocked"]]
    assert sum(1 for code in stocked if len(held.get(code, set())) < 3) >= 50, "zero stock somewhere"
    assert sum(1 for code in stocked if len(held.get(code, set())) == 3) >= len(stocked) // 2


def test_customers_are_complete(data: Json) -> None:
    owners = {p["user_id"] for p in data["people"] if "sales_coordinator" in p["roles"]}
    assert len(owners) == 5
    price_lists = {p["code"]: p for p in data["price_lists"]}
    standard = {e["item_code"]: Decimal(e["unit_price"]) for e in price_lists["STD"]["entries"]}
    assert len(standard) == len(data["skus"])
    pans = [c["pan"] for c in data["customers"]]
    assert len(set(pans)) == len(pans)
    constitution_letter = {"private_limited": "C", "public_limited": "C", "llp": "F", "partnership": "F",
                           "proprietorship": "P"}
    for customer in data["customers"]:
        pan = customer["pan"]
        assert re.fullmatch(r"[A-Z]{5}[0-9]{4}[A-Z]", pan) and pan[3] == constitution_letter[customer["constitution"]]
        assert customer["payment_terms_days"] in (15, 30, 45, 60)
        assert MONEY.match(customer["credit_limit"])
        assert Decimal(200000) <= Decimal(customer["credit_limit"]) <= Decimal(5000000)
        assert customer["ship_policy"] in ("ship_complete", "ship_partial")
        assert customer["sales_owner"] in owners
        assert 1 <= len(customer["addresses"]) <= 3
        ids = [a["address_id"] for a in customer["addresses"]]
        assert len(set(ids)) == len(ids) and customer["addresses"][0]["is_billing"]
        for address in customer["addresses"]:
            assert address["line1"] and address["place"] and address["name"]
            assert not (address["third_party"] and address["is_billing"])
        pl = price_lists[customer["price_list_code"]]
        if customer["price_list_code"] != "STD":
            assert pl["customer_id"] == customer["customer_id"]
            entries = pl["entries"]
            assert abs(len(entries) - 0.05 * len(data["skus"])) <= 2
            assert all(Decimal(e["unit_price"]) < standard[e["item_code"]] for e in entries)
    assert sum(1 for c in data["customers"] if c["price_list_code"] != "STD") >= 10


def test_schemes_fall_in_the_demo_season(data: Json) -> None:
    skus = {s["code"] for s in data["skus"]}
    kinds = Counter(s["kind"] for s in data["schemes"])
    assert kinds["quantity_slab"] >= 2 and kinds["buy_x_get_y"] >= 2
    for scheme in data["schemes"]:
        start, end = date.fromisoformat(scheme["valid_from"]), date.fromisoformat(scheme["valid_to"])
        assert date(2026, 11, 1) <= start <= end <= date(2026, 12, 31)
        assert set(scheme["scope"]["item_codes"]) <= skus
        assert scheme["scope"]["item_codes"] or scheme["scope"]["product_lines"]


# --- the order script --------------------------------------------------------------------------------


def test_orders_script(data: Json) -> None:
    customers = {c["customer_id"]: c for c in data["customers"]}
    skus = {s["code"]: s for s in data["skus"]}
    schemes = {s["code"] for s in data["schemes"]}
    vehicles = {v["vehicle_no"]: v for v in data["logistics"]["vehicles"]}
    orders = data["orders"]
    assert 45 <= len(orders) <= 55
    assert len({o["customer_id"] for o in orders}) == len(orders), "one order per customer: credit stays legible"
    lines = [ln for o in orders for ln in o["lines"]]
    holds = [o for o in orders if o["credit"]["expect_hold"]]
    assert 0.08 <= len(holds) / len(orders) <= 0.12
    assert {o["credit"]["decision"] for o in holds} == {"approve", "reject"}
    shorts = [ln for ln in lines if ln["short_pick"]]
    assert 0.03 <= len(shorts) / len(lines) <= 0.07
    assert min(len(o["lines"]) for o in orders) == 1 and max(len(o["lines"]) for o in orders) <= 20
    placed = [datetime.fromisoformat(o["placed_at"]) for o in orders]
    assert placed == sorted(placed) and all(p.utcoffset() == IST.utcoffset(None) for p in placed)
    lr_numbers = [o["dispatch"]["lr_no"] for o in orders]
    assert len(set(lr_numbers)) == len(lr_numbers)
    for order in orders:
        customer = customers[order["customer_id"]]
        own = {a["address_id"]: a for a in customer["addresses"]}
        assert own[order["bill_to_address_id"]]["is_billing"] and own[order["ship_to_address_id"]]["is_shipping"]
        taxable = tax = Decimal(0)
        for line in order["lines"]:
            sku = skus[line["item_code"]]
            quantity = Decimal(line["quantity"])
            assert quantity > 0 and quantity % Decimal(sku["pack_size"]) == 0 and line["uqc"] == sku["uqc"]
            assert set(line["eligible_schemes"]) <= schemes
            value = (quantity * Decimal(line["expected_unit_price"])).quantize(Decimal("0.01"))
            taxable += value
            tax += (value * Decimal(line["gst_rate"]) / 100).quantize(Decimal("0.01"))
            if line["short_pick"]:
                assert Decimal(line["short_pick"]["picked_quantity"]) < quantity
        estimate = order["estimate"]
        assert (Decimal(estimate["taxable_value"]), Decimal(estimate["tax_amount"])) == (taxable, tax)
        gross, limit = Decimal(estimate["gross_value"]), Decimal(customer["credit_limit"])
        assert order["credit"]["credit_limit"] == customer["credit_limit"]
        if order["credit"]["expect_hold"]:
            assert gross * Decimal("0.92") > limit, "exceeds the limit even after the largest scheme discount"
        else:
            assert gross < limit
        dispatch = order["dispatch"]
        vehicle = vehicles[dispatch["vehicle_no"]]
        assert vehicle["transporter_id"] == dispatch["transporter_id"] and vehicle["driver_id"] == dispatch["driver_id"]
        assert re.fullmatch(r"[A-Z0-9/-]{1,15}", dispatch["lr_no"])
    assert any(not ln["stocked"] for ln in lines), "some lines promise by lead time"
    assert any(ln["expect_backorder"] for ln in lines)
    assert any(ln["eligible_schemes"] for ln in lines)


# --- JSON hygiene, determinism and speed -------------------------------------------------------------

MONEY_KEYS = {"standard_price", "unit_price", "credit_limit", "expected_unit_price", "taxable_value", "tax_amount",
              "gross_value", "approval_limit", "aggregate_turnover_last_fy"}
DECIMAL_KEYS = {"quantity", "pack_size", "picked_quantity", "min_quantity", "discount_percent", "buy_quantity",
                "free_quantity", "rate", "gst_rate", "cess_rate", "share_percent", "tds_percent"}


def test_no_floats_and_amounts_are_decimal_strings(data: Json) -> None:
    def walk(node: Any, key: str = "") -> Iterator[tuple[str, Any]]:
        if isinstance(node, dict):
            for k, v in node.items():
                yield from walk(v, k)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item, key)
        else:
            yield key, node

    checked = 0
    for key, value in walk(data):
        assert not isinstance(value, float), key
        if key in MONEY_KEYS and value is not None:
            assert isinstance(value, str) and MONEY.match(value), (key, value)
            checked += 1
        elif key in DECIMAL_KEYS and value is not None:
            assert isinstance(value, str) and DECIMAL.match(value), (key, value)
            checked += 1
    assert checked > 10000


def test_two_runs_are_identical_and_fast(tmp_path: Path) -> None:
    outputs = []
    for n, hash_seed in enumerate(("1", "4242")):
        out = tmp_path / f"seed-{n}.json"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, str(SEED_PATH), "--out", str(out)],
            check=True,
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
        )
        assert time.perf_counter() - started < 10, "the seed must stay fast"
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["meta"]["seed"] == 20261116
