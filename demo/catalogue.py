"""The demo distributor's catalogue, read from demo/data/ and checked row by row as it is read.

Tables (items, GST rates, batches, stock, bins, negotiated prices) are CSV and load into frozen dataclasses with
`Decimal` money, quantities and rates and `date` days; nested documents (company, warehouses, people, customers,
price lists, schemes, logistics, product lines) are JSON, checked field by field against a declared shape and
kept as the plain JSON the seed writes (decimal strings, never floats). Any bad value stops the load with the
file, the row and the field named, so a hand edit cannot slip a float, a mistyped GSTIN or an unknown SKU into
the demo. demo/README.md describes the files.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from o2c.india.gst_rates import GstRate, GstRateSchedule
from o2c.india.gstin import PAN, TRANSIN, is_valid_gstin
from o2c.india.states import GST_STATE_CODES

Json = dict[str, Any]
T = TypeVar("T")
DATA = Path(__file__).resolve().parent / "data"

_MONEY = re.compile(r"^[0-9]+\.[0-9]{2}$")
_DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_PINCODE = re.compile(r"^[1-9][0-9]{5}$")
_HSN = re.compile(r"^[0-9]{8}$")
UQCS = frozenset({"NOS", "PCS", "BOX", "KGS", "LTR", "MTR", "PAC"})


class CatalogueError(ValueError):
    """A data file that does not hold what the demo needs; the message names the file, the row and the field."""

    def __init__(self, file: Path | str, row: str, field: str | None, problem: str) -> None:
        self.file, self.row, self.field, self.problem = str(file), row, field, problem
        where = f"{self.file}, {row}" + (f", field {field!r}" if field else "")
        super().__init__(f"{where}: {problem}")


# --- values: one parser per kind, shared by CSV cells and JSON fields --------------------------------------


def money(text: str) -> Decimal:
    """Rupees with exactly two places ("1250.00"), as written in every file of the demo."""
    if not _MONEY.match(text):
        raise ValueError(f"not an amount with 2 decimal places: {text!r}")
    return Decimal(text)


def decimal(text: str) -> Decimal:
    """A plain non-negative decimal ("90", "0.5"): quantities, pack sizes and rates."""
    if not _DECIMAL.match(text):
        raise ValueError(f"not a plain decimal number: {text!r}")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # the pattern should make this unreachable; say so if it is not
        raise ValueError(f"not a decimal number: {text!r}") from exc


def day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}") from None


def gstin(text: str) -> str:
    if not is_valid_gstin(text) or text[:2] not in GST_STATE_CODES:
        raise ValueError(f"not a valid GSTIN (pattern, state code or check character): {text!r}")
    return text


def transin(text: str) -> str:
    if not TRANSIN.match(text):
        raise ValueError(f"not a transporter id (TRANSIN): {text!r}")
    return text


def pan(text: str) -> str:
    if not PAN.match(text):
        raise ValueError(f"not a PAN: {text!r}")
    return text


def pincode(text: str) -> str:
    if not _PINCODE.match(text):
        raise ValueError(f"not a 6-digit pincode: {text!r}")
    return text


def state_code(text: str) -> str:
    if text not in GST_STATE_CODES:
        raise ValueError(f"not a GST state code: {text!r}")
    return text


def hsn(text: str) -> str:
    if not _HSN.match(text):
        raise ValueError(f"not an 8-digit HSN code: {text!r}")
    return text


def one_of(*allowed: str) -> Callable[[str], str]:
    def check(text: str) -> str:
        if text not in allowed:
            raise ValueError(f"{text!r} is not one of {', '.join(allowed)}")
        return text

    return check


def text(value: str) -> str:
    if not value.strip():
        raise ValueError("empty")
    return value


# --- CSV: typed rows ---------------------------------------------------------------------------------------


class Row:
    """One CSV row; every accessor parses its field or raises a `CatalogueError` naming file, row and field."""

    def __init__(self, file: Path, number: int, cells: Mapping[str, str]) -> None:
        self.file, self.number, self.cells = file, number, cells

    def error(self, field: str | None, problem: str) -> CatalogueError:
        # Row n is the n-th data row, on line n + 1 of the file (the header is line 1).
        return CatalogueError(self.file, f"row {self.number} (line {self.number + 1})", field, problem)

    def get(self, field: str, parse: Callable[[str], T]) -> T:
        try:
            return parse(self.cells[field])
        except ValueError as exc:
            raise self.error(field, str(exc)) from None

    def optional(self, field: str, parse: Callable[[str], T]) -> T | None:
        """An empty cell is None (the JSON's null)."""
        return None if self.cells[field] == "" else self.get(field, parse)

    def integer(self, field: str) -> int:
        value = self.cells[field]
        if not value.isdigit():
            raise self.error(field, f"not a whole number: {value!r}")
        return int(value)

    def flag(self, field: str) -> bool:
        value = self.cells[field]
        if value not in ("true", "false"):
            raise self.error(field, f"not true or false: {value!r}")
        return value == "true"


def read_csv(file: Path, columns: Sequence[str], parse: Callable[[Row], T]) -> list[T]:
    """Every row of `file` through `parse`; the header must name exactly `columns`, in that order."""
    with file.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header != list(columns):
            raise CatalogueError(file, "header (line 1)", None, f"expected columns {list(columns)}, found {header}")
        rows: list[T] = []
        for number, cells in enumerate(reader, start=1):
            if len(cells) != len(columns):
                raise CatalogueError(file, f"row {number} (line {number + 1})", None,
                                     f"{len(cells)} cells for {len(columns)} columns")
            rows.append(parse(Row(file, number, dict(zip(columns, cells, strict=True)))))
    return rows


# --- JSON: declared shapes ---------------------------------------------------------------------------------

Shape = Mapping[str, "Check"]
Check = Callable[[Any, str], None]
"""Checks one JSON value; raises ValueError(problem) or a `_FieldError` for a nested field."""


class _FieldError(ValueError):
    def __init__(self, path: str, problem: str) -> None:
        super().__init__(problem)
        self.path, self.problem = path, problem


def _refuse_float(literal: str) -> Any:
    raise ValueError(f"a float ({literal}) where money, quantities and rates are decimal strings")


def read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"), parse_float=_refuse_float)
    except ValueError as exc:
        raise CatalogueError(file, "the document", None, str(exc)) from None


def string(parse: Callable[[str], object] = text) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, str):
            raise _FieldError(path, f"expected a string, found {value!r}")
        try:
            parse(value)
        except ValueError as exc:
            raise _FieldError(path, str(exc)) from None

    return check


def nullable(inner: Check) -> Check:
    def check(value: Any, path: str) -> None:
        if value is not None:
            inner(value, path)

    return check


def integer(value: Any, path: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _FieldError(path, f"expected a whole number, found {value!r}")


def boolean(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise _FieldError(path, f"expected true or false, found {value!r}")


def obj(shape: Shape, *, optional: bool = False) -> Check:
    """An object with the shape's fields: all of them, or any of them when `optional`; never another field."""

    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise _FieldError(path, f"expected an object, found {value!r}")
        for name in value:
            if name not in shape:
                raise _FieldError(_join(path, name), "not a field of this document")
        for name, inner in shape.items():
            if name in value:
                inner(value[name], _join(path, name))
            elif not optional:
                raise _FieldError(_join(path, name), "missing")

    return check


def array(inner: Check) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise _FieldError(path, f"expected a list, found {value!r}")
        for i, item in enumerate(value):
            inner(item, f"{path}[{i}]")

    return check


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def check_record(file: Path, label: str, record: Any, shape: Check) -> None:
    try:
        shape(record, "")
    except _FieldError as exc:
        raise CatalogueError(file, label, exc.path or None, exc.problem) from None
    except ValueError as exc:
        raise CatalogueError(file, label, None, str(exc)) from None


def read_records(file: Path, shape: Check, key: str | None = None) -> list[Json]:
    """A JSON list of records, each checked against `shape`; the error names the record by number and `key`."""
    records = read_json(file)
    if not isinstance(records, list):
        raise CatalogueError(file, "the document", None, "expected a list of records")
    for number, record in enumerate(records, start=1):
        ident = record.get(key) if key and isinstance(record, dict) else None
        check_record(file, f"record {number}" + (f" ({ident})" if ident else ""), record, shape)
    return records


ADDRESS = obj({
    "address_id": string(), "name": string(), "line1": string(), "line2": string(), "place": string(),
    "district": string(), "state_code": string(state_code), "state": string(), "pincode": string(pincode),
    "country": string(one_of("IN")), "gstin": nullable(string(gstin)), "is_billing": boolean,
    "is_shipping": boolean, "third_party": boolean,
})
CONTACT = {"name": string(), "email": string(), "phone": string()}
WAREHOUSE = obj({"warehouse_id": string(), "name": string(), "state_code": string(state_code),
                 "gstin": string(gstin), "address": ADDRESS, "coordinator": string()})
COMPANY = obj({
    "legal_name": string(), "trade_name": string(), "pan": string(pan), "cin": string(), "head_office": ADDRESS,
    "registrations": array(obj({"state_code": string(state_code), "state": string(), "gstin": string(gstin),
                                "principal_place": string(), "additional_places": array(string()),
                                "invoice_series": string()})),
    "e_invoice_applicable": boolean, "aggregate_turnover_last_fy": string(money), "contact": obj(CONTACT),
})
PERSON = obj({
    "user_id": string(), "name": string(), "roles": array(string()), "email": string(),
    "scope": obj({"sales_owner": string(), "warehouses": array(string()), "approval_limit": string(money)},
                 optional=True),
    "territory": array(string()),
})
CUSTOMER = obj({
    "customer_id": string(), "code": string(), "legal_name": string(), "trade_name": string(),
    "constitution": string(one_of("private_limited", "public_limited", "llp", "partnership", "proprietorship")),
    "pan": string(pan), "gst_category": string(one_of("registered", "composition", "sez", "unregistered")),
    "registrations": array(obj({"state_code": string(state_code), "gstin": string(gstin)})),
    "addresses": array(ADDRESS), "payment_terms_days": integer, "credit_limit": string(money),
    "credit_grace_days": integer, "ship_policy": string(one_of("ship_complete", "ship_partial")),
    "shortage_policy": string(one_of("backorder", "cancel")), "sales_owner": string(), "price_list_code": string(),
    "segment": string(one_of("key_account", "trade", "retail")),
    "product_interest": string(one_of("FAS", "ELE", "LUB", "GEN")),
    "contact": obj({**CONTACT, "channels": array(string(one_of("email", "whatsapp", "sms")))}),
})
PRICE_LIST = obj({"code": string(), "name": string(), "customer_id": nullable(string()),
                  "currency": string(one_of("INR")), "valid_from": string(day), "valid_to": string(day),
                  "prices_exclude_gst": boolean})
PRODUCT_LINE = obj({"code": string(), "name": string(), "description": string(),
                    "families": array(obj({"code": string(), "name": string()}))})
_SCHEME_COMMON: Shape = {
    "code": string(), "name": string(), "kind": string(one_of("quantity_slab", "buy_x_get_y")),
    "scope": obj({"item_codes": array(string()), "product_lines": array(string())}),
    "valid_from": string(day), "valid_to": string(day),
}
_SCHEME_BY_KIND: dict[str, Check] = {
    "quantity_slab": obj({**_SCHEME_COMMON, "slabs": array(obj({"min_quantity": string(decimal),
                                                                 "discount_percent": string(decimal)}))}),
    "buy_x_get_y": obj({**_SCHEME_COMMON, "buy_quantity": string(decimal), "free_quantity": string(decimal)}),
}


def scheme(value: Any, path: str) -> None:
    """A scheme's fields depend on its kind: slabs, or buy and free quantities."""
    kind = value.get("kind") if isinstance(value, dict) else None
    _SCHEME_BY_KIND.get(str(kind), obj(_SCHEME_COMMON))(value, path)  # an unknown kind fails on `kind` itself


LOGISTICS = obj({
    "transporters": array(obj({"transporter_id": string(transin), "name": string(), "lr_prefix": string(),
                               "home_warehouse": nullable(string())})),
    "vehicles": array(obj({"vehicle_no": string(), "home_warehouse": string(), "transporter_id": string(transin),
                           "model": string(), "vehicle_type": string(one_of("R", "O")), "driver_id": string()})),
    "drivers": array(obj({"driver_id": string(), "name": string(), "licence_no": string(), "phone": string()})),
})


# --- the typed tables --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HsnCode:
    hsn: str
    description: str
    rates: tuple[GstRate, ...]
    """Effective-dated, oldest first (libs/india's rate rows, one prefix: this code)."""

    def gst_percent(self, on: date) -> Decimal:
        """The rate in force on a day, by libs/india's lookup (the rule has one home)."""
        return GstRateSchedule(self.rates).rate_on(self.hsn, on).rate


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    name: str
    line: str
    """Product line (FAS, ELE, LUB), the family's."""
    family: str
    brand: str | None
    hsn: HsnCode
    uqc: str
    pack: Decimal
    """Selling multiple in `uqc` units (a 90 m coil, a 20 L pail, a box); order quantities are multiples."""
    price: Decimal
    """Standard price per `uqc` unit, excluding GST."""
    cess_rate: Decimal
    shelf_life_months: int | None
    """Set for batch-tracked goods (lubricants and paints)."""
    stocked: bool
    lead_time_days: int
    """For items not stocked: bought against the order, promised by the supplier's lead time."""

    @property
    def batch_tracked(self) -> bool:
        return self.shelf_life_months is not None

    def gst_percent(self, on: date) -> Decimal:
        return self.hsn.gst_percent(on)


@dataclass(frozen=True, slots=True)
class Batch:
    item_code: str
    batch_no: str
    mfg_date: date
    expiry_date: date


@dataclass(frozen=True, slots=True)
class StockRow:
    """Opening stock: one row per warehouse, bin, item and batch (None unless batch-tracked)."""

    warehouse_id: str
    bin_code: str
    item: Item
    batch: Batch | None
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Bin:
    warehouse_id: str
    code: str
    """Aisle-rack-level, e.g. A-01-02."""
    zone: str
    """The product line stored there."""


@dataclass(frozen=True, slots=True)
class NegotiatedPrice:
    price_list: str
    item_code: str
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class Catalogue:
    company: Json
    """Registrations name their principal and additional places by address id (HQ, WH-<warehouse>)."""
    warehouses: list[Json]
    bins: list[Bin]
    people: list[Json]
    product_lines: list[Json]
    hsn_codes: list[HsnCode]
    items: list[Item]
    batches: list[Batch]
    stock: list[StockRow]
    price_lists: list[Json]
    """Headers only: STD holds every item at its standard price; the others' entries are `negotiated`."""
    negotiated: list[NegotiatedPrice]
    schemes: list[Json]
    customers: list[Json]
    logistics: Json


def known(names: Mapping[str, T] | frozenset[str], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in names:
            raise ValueError(f"unknown {what}: {value!r}")
        return value

    return check


def load(directory: Path = DATA) -> Catalogue:
    """Read and check every file of the catalogue; raises `CatalogueError` at the first bad value."""
    product_lines = read_records(directory / "product_lines.json", PRODUCT_LINE, "code")
    line_of = {f["code"]: pl["code"] for pl in product_lines for f in pl["families"]}

    descriptions = read_csv(directory / "hsn_codes.csv", ("hsn", "description"),
                            lambda r: (r.get("hsn", hsn), r.get("description", text)))
    rates = read_csv(directory / "gst_rates.csv", ("hsn", "valid_from", "valid_to", "rate"), lambda r: GstRate(
        hsn_prefix=r.get("hsn", known(dict(descriptions), "HSN code")), effective_from=r.get("valid_from", day),
        effective_to=r.optional("valid_to", day), rate=r.get("rate", decimal)))
    hsn_codes = {code: HsnCode(code, description, tuple(r for r in rates if r.hsn_prefix == code))
                 for code, description in descriptions}

    def item(r: Row) -> Item:
        family = r.get("family", known(line_of, "product family"))
        shelf_life = None if r.cells["shelf_life_months"] == "" else r.integer("shelf_life_months")
        return Item(code=r.get("code", text), name=r.get("name", text), line=line_of[family], family=family,
                    brand=r.optional("brand", text), hsn=hsn_codes[r.get("hsn", known(hsn_codes, "HSN code"))],
                    uqc=r.get("uqc", known(UQCS, "unit (UQC)")), pack=r.get("pack_size", decimal),
                    price=r.get("standard_price", money), cess_rate=r.get("cess_rate", decimal),
                    shelf_life_months=shelf_life, stocked=r.flag("stocked"),
                    lead_time_days=r.integer("lead_time_days"))

    items = read_csv(directory / "skus.csv", ("code", "name", "family", "brand", "hsn", "uqc", "pack_size",
                                              "standard_price", "cess_rate", "shelf_life_months", "stocked",
                                              "lead_time_days"), item)
    by_code = _unique(items, lambda i: i.code, directory / "skus.csv", "code")
    batches = read_csv(directory / "batches.csv", ("item_code", "batch_no", "mfg_date", "expiry_date"),
                       lambda r: Batch(r.get("item_code", known(by_code, "item")), r.get("batch_no", text),
                                       r.get("mfg_date", day), r.get("expiry_date", day)))
    batch_by_no = _unique(batches, lambda b: b.batch_no, directory / "batches.csv", "batch_no")

    warehouses = read_records(directory / "warehouses.json", WAREHOUSE, "warehouse_id")
    bins = read_csv(directory / "bins.csv", ("warehouse_id", "code", "zone"), lambda r: Bin(
        r.get("warehouse_id", known({w["warehouse_id"]: w for w in warehouses}, "warehouse")), r.get("code", text),
        r.get("zone", known({pl["code"]: pl for pl in product_lines}, "product line"))))
    bin_keys = frozenset(f"{b.warehouse_id} {b.code}" for b in bins)

    def stock_row(r: Row) -> StockRow:
        warehouse_id = r.get("warehouse_id", text)
        bin_code = r.get("bin_code", text)
        if f"{warehouse_id} {bin_code}" not in bin_keys:
            raise r.error("bin_code", f"no bin {bin_code!r} in warehouse {warehouse_id!r}")
        found = by_code[r.get("item_code", known(by_code, "item"))]
        batch_no = r.optional("batch_no", known(batch_by_no, "batch"))
        batch = batch_by_no[batch_no] if batch_no else None
        if found.batch_tracked != (batch is not None) or (batch and batch.item_code != found.code):
            raise r.error("batch_no", f"{batch_no!r} does not fit item {found.code} (batch-tracked: "
                                      f"{found.batch_tracked})")
        quantity = r.get("quantity", decimal)
        if quantity % found.pack:
            raise r.error("quantity", f"{quantity} is not a multiple of the pack size {found.pack}")
        return StockRow(warehouse_id, bin_code, found, batch, quantity)

    stock = read_csv(directory / "stock.csv", ("warehouse_id", "bin_code", "item_code", "batch_no", "quantity"),
                     stock_row)
    price_lists = read_records(directory / "price_lists.json", PRICE_LIST, "code")
    list_codes = {pl["code"]: pl for pl in price_lists if pl["customer_id"]}
    negotiated = read_csv(directory / "negotiated_prices.csv", ("price_list", "item_code", "unit_price"),
                          lambda r: NegotiatedPrice(r.get("price_list", known(list_codes, "negotiated price list")),
                                                    r.get("item_code", known(by_code, "item")),
                                                    r.get("unit_price", money)))
    company = read_json(directory / "company.json")
    check_record(directory / "company.json", "the company", company, COMPANY)
    logistics = read_json(directory / "logistics.json")
    check_record(directory / "logistics.json", "the logistics", logistics, LOGISTICS)
    catalogue = Catalogue(
        company=company, warehouses=warehouses, bins=bins,
        people=read_records(directory / "people.json", PERSON, "user_id"),
        product_lines=product_lines, hsn_codes=list(hsn_codes.values()), items=items, batches=batches, stock=stock,
        price_lists=price_lists, negotiated=negotiated,
        schemes=read_records(directory / "schemes.json", scheme, "code"),
        customers=read_records(directory / "customers.json", CUSTOMER, "customer_id"),
        logistics=logistics,
    )
    _check_references(directory, catalogue)
    return catalogue


def _check_references(directory: Path, cat: Catalogue) -> None:
    """What one JSON document names in another exists there (the CSV tables check theirs row by row)."""

    def must_know(file: str, record: str, field: str, value: Any, names: Collection[Any], what: str) -> None:
        if value not in names:
            raise CatalogueError(directory / file, record, field, f"unknown {what}: {value!r}")

    people = {p["user_id"] for p in cat.people}
    warehouse_ids = {w["warehouse_id"] for w in cat.warehouses}
    places = {cat.company["head_office"]["address_id"], *(w["address"]["address_id"] for w in cat.warehouses)}
    for i, r in enumerate(cat.company["registrations"]):
        for j, place in enumerate([r["principal_place"], *r["additional_places"]]):
            field = f"registrations[{i}]." + ("principal_place" if j == 0 else f"additional_places[{j - 1}]")
            must_know("company.json", "the company", field, place, places, "address id (HQ or a warehouse's)")
    for n, w in enumerate(cat.warehouses, start=1):
        must_know("warehouses.json", f"record {n} ({w['warehouse_id']})", "coordinator", w["coordinator"], people,
                  "person")
    customer_ids = {c["customer_id"] for c in cat.customers}
    list_codes = {pl["code"] for pl in cat.price_lists}
    for n, pl in enumerate(cat.price_lists, start=1):
        if pl["customer_id"] is not None:
            must_know("price_lists.json", f"record {n} ({pl['code']})", "customer_id", pl["customer_id"],
                      customer_ids, "customer")
    for n, c in enumerate(cat.customers, start=1):
        record = f"record {n} ({c['customer_id']})"
        must_know("customers.json", record, "sales_owner", c["sales_owner"], people, "person")
        must_know("customers.json", record, "price_list_code", c["price_list_code"], list_codes, "price list")
    items = {i.code for i in cat.items}
    lines = {pl["code"] for pl in cat.product_lines}
    for n, s in enumerate(cat.schemes, start=1):
        for j, code in enumerate(s["scope"]["item_codes"]):
            must_know("schemes.json", f"record {n} ({s['code']})", f"scope.item_codes[{j}]", code, items, "item")
        for j, line in enumerate(s["scope"]["product_lines"]):
            must_know("schemes.json", f"record {n} ({s['code']})", f"scope.product_lines[{j}]", line, lines,
                      "product line")
    transporters = {t["transporter_id"] for t in cat.logistics["transporters"]}
    drivers = {d["driver_id"] for d in cat.logistics["drivers"]}
    for i, t in enumerate(cat.logistics["transporters"]):
        if t["home_warehouse"] is not None:
            must_know("logistics.json", "the logistics", f"transporters[{i}].home_warehouse", t["home_warehouse"],
                      warehouse_ids, "warehouse")
    for i, v in enumerate(cat.logistics["vehicles"]):
        where = f"vehicles[{i}]"
        must_know("logistics.json", "the logistics", f"{where}.home_warehouse", v["home_warehouse"], warehouse_ids,
                  "warehouse")
        must_know("logistics.json", "the logistics", f"{where}.transporter_id", v["transporter_id"], transporters,
                  "transporter")
        must_know("logistics.json", "the logistics", f"{where}.driver_id", v["driver_id"], drivers, "driver")


def _unique(rows: Sequence[T], key: Callable[[T], str], file: Path, field: str) -> dict[str, T]:
    found: dict[str, T] = {}
    for number, row in enumerate(rows, start=1):
        value = key(row)
        if value in found:
            raise CatalogueError(file, f"row {number} (line {number + 1})", field, f"{value!r} appears twice")
        found[value] = row
    return found

