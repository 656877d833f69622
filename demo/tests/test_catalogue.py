"""The catalogue loader reads demo/data/ into typed rows and names the file, row and field of any bad value.

Run: `.venv/bin/pytest demo/tests/test_catalogue.py -q` (no stack needed).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

DEMO = Path(__file__).resolve().parents[1]


def _load_catalogue_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("catalogue", DEMO / "catalogue.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered while it executes
    spec.loader.exec_module(module)
    return module


catalogue = sys.modules.get("catalogue") or _load_catalogue_module()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A private copy of demo/data/ that a test may spoil."""
    return Path(shutil.copytree(DEMO / "data", tmp_path / "data"))


def spoil_csv(file: Path, row: int, column: str, value: str) -> None:
    """Set one cell of data row `row` (1 = the first row under the header)."""
    lines = file.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    assert '"' not in lines[row], "pick a row without quoted cells"
    cells = lines[row].split(",")
    cells[header.index(column)] = value
    lines[row] = ",".join(cells)
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_good_rows_load_typed_with_money_and_rates_as_decimal() -> None:
    cat = catalogue.load()
    bolt = next(i for i in cat.items if i.code == "FAS-HB-M6X16-88ZP")
    assert bolt.price == Decimal("92.00") and type(bolt.price) is Decimal
    assert bolt.pack == Decimal(1) and bolt.line == "FAS" and bolt.uqc == "BOX" and not bolt.batch_tracked
    battery = next(i for i in cat.items if i.hsn.hsn == "85072000")
    assert battery.gst_percent(date(2025, 9, 21)) == Decimal(28)
    assert battery.gst_percent(date(2026, 11, 16)) == Decimal(18)
    assert all(type(p.unit_price) is Decimal for p in cat.negotiated)
    assert all(type(r.quantity) is Decimal and r.quantity % r.item.pack == 0 for r in cat.stock)
    assert all(r.batch is not None for r in cat.stock if r.item.batch_tracked)
    assert len(cat.items) == 1201 and len(cat.customers) == 300 and len(cat.stock) == 3707
    assert cat.company["registrations"][0]["gstin"] == "27AAKCS4719M1ZR"


def test_a_bad_price_names_the_file_the_row_and_the_field(data: Path) -> None:
    spoil_csv(data / "skus.csv", 3, "standard_price", "92.5")
    with pytest.raises(catalogue.CatalogueError) as caught:
        catalogue.load(data)
    error = caught.value
    assert (Path(error.file).name, error.row, error.field) == ("skus.csv", "row 3 (line 4)", "standard_price")
    assert "'92.5'" in str(error) and "2 decimal places" in str(error)


def test_stock_of_an_unknown_item_or_an_odd_quantity_is_refused(data: Path) -> None:
    spoil_csv(data / "stock.csv", 2, "item_code", "FAS-NOPE")
    with pytest.raises(catalogue.CatalogueError,
                       match=r"stock\.csv, row 2 \(line 3\), field 'item_code': unknown item"):
        catalogue.load(data)
    shutil.copy(DEMO / "data" / "stock.csv", data / "stock.csv")
    wire = next(n for n, line in enumerate((data / "stock.csv").read_text().splitlines()) if ",ELE-VJR-FR-" in line)
    spoil_csv(data / "stock.csv", wire, "quantity", "91")
    with pytest.raises(catalogue.CatalogueError, match=r"field 'quantity': 91 is not a multiple of the pack size 90"):
        catalogue.load(data)


def test_a_bad_json_field_names_the_record_and_its_path(data: Path) -> None:
    customers = json.loads((data / "customers.json").read_text(encoding="utf-8"))
    customers[1]["addresses"][0]["pincode"] = "41106"
    (data / "customers.json").write_text(json.dumps(customers), encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError) as caught:
        catalogue.load(data)
    error = caught.value
    assert (Path(error.file).name, error.row, error.field) == ("customers.json", "record 2 (C0002)",
                                                               "addresses[0].pincode")
    assert "not a 6-digit pincode: '41106'" in str(error)


def test_a_name_of_another_document_must_exist_there(data: Path) -> None:
    schemes = json.loads((data / "schemes.json").read_text(encoding="utf-8"))
    schemes[0]["scope"]["item_codes"][2] = "FAS-HB-M99X1-88ZP"
    (data / "schemes.json").write_text(json.dumps(schemes), encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError) as caught:
        catalogue.load(data)
    error = caught.value
    assert (Path(error.file).name, error.row, error.field) == ("schemes.json", "record 1 (SLAB-BOLTS-NOV26)",
                                                               "scope.item_codes[2]")
    assert "unknown item: 'FAS-HB-M99X1-88ZP'" in str(error)


def test_a_float_in_a_json_file_is_refused(data: Path) -> None:
    text = (data / "customers.json").read_text(encoding="utf-8")
    (data / "customers.json").write_text(text.replace('"credit_limit": "200000.00"', '"credit_limit": 200000.0', 1),
                                         encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError, match=r"customers\.json.*a float \(200000\.0\)"):
        catalogue.load(data)


def test_a_changed_header_is_named(data: Path) -> None:
    file = data / "gst_rates.csv"
    file.write_text(file.read_text(encoding="utf-8").replace("valid_to,rate", "valid_to,gst_rate", 1),
                    encoding="utf-8")
    with pytest.raises(catalogue.CatalogueError, match=r"gst_rates\.csv, header \(line 1\): expected columns"):
        catalogue.load(data)
