"""India's rules have one home: no Python file outside libs/india defines IST, the business date, the financial
year, the GST document-number rule, the GST rate lookup, the portals' JSON, pincode distance and its road
factor, or vehicle-number formats (docs/domain.md). Found by name (a `def`/`class`/assignment) and by pattern
(the tell-tale expressions a copy would contain); importing and re-exporting is allowed.

The console's JavaScript and HTML are held to the same patterns plus a browser's own ways of writing IST and the
Indian locale: the page receives the zone and locale from /console/config.json (served from libs/india). Tests'
expected values (a literal `+05:30` in an assertion) are not definitions and are not matched."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HOME = ROOT / "libs" / "india"
SKIP_DIRS = {".venv", ".git", ".stack", "node_modules", "__pycache__", "build", "o2c.egg-info"}

_NAMES = frozenset({
    # IST and the business date
    "IST", "IST_ZONE_NAME", "business_date", "ist_date", "start_of_business_day", "in_ist",
    # the financial year
    "FinancialYear", "financial_year", "financial_year_start", "financial_year_end", "short_financial_year",
    # the GST document-number rule
    "gst_document_number_problem", "document_number_problem", "validated_document_number",
    "GST_DOCUMENT_NUMBER_MAX", "GST_DOCUMENT_NUMBER_PATTERN", "series_number", "split_series",
    # the GST rate lookup
    "GstRate", "HsnRate", "RateSchedule", "GstRateSchedule", "RatesWithQuotedFallback", "RateInForce",
    "rows_in_force", "row_in_force", "is_in_force",
    # the portals' JSON shapes
    "dumps", "_encode", "portal_datetime", "parse_portal_datetime", "portal_date", "PORTAL_DATETIME",
    # pincode distance and its road factor
    "ROAD_FACTOR", "pincode_distance", "great_circle_km", "road_distance_km", "EARTH_RADIUS_KM",
    "DISTANCE_TOLERANCE", "TOLERANCE", "SAME_PINCODE_LIMIT_KM", "longest_allowed_distance",
    # vehicle-number formats
    "VEHICLE_FORMATS", "_VEHICLE_FORMATS", "_FORMATS", "VEHICLE_PATTERN", "normalised_vehicle_number",
    "normalise_vehicle_number", "is_valid_vehicle_number", "VEHICLE_MIN_LENGTH", "VEHICLE_MAX_LENGTH",
    # e-way bill validity and thresholds, states that levy UTGST
    "validity_days", "valid_until", "EwayBillThreshold", "threshold_in_force", "ewaybill_requirement",
    "levies_utgst", "UNION_TERRITORIES_WITHOUT_LEGISLATURE",
    # the GST state codes, the GSTIN's shape
    "GST_STATE_CODES", "STATE_NAMES", "gstin_shape_problem",
})
_LOOKUP_METHODS = frozenset({"rate_on", "rate_for"})
"""A rate lookup is a method wherever it is written."""

# What a copy would contain, whatever it is called.
_PATTERNS = {
    "IST by zone name": re.compile(r"""["']Asia/Kolkata["']"""),
    "IST as an offset": re.compile(
        r"timedelta\(\s*hours\s*=\s*5\s*,\s*minutes\s*=\s*30\s*\)|timedelta\(\s*hours\s*=\s*5\.5\s*\)"
        r"|timedelta\(\s*minutes\s*=\s*330\s*\)|timedelta\(\s*seconds\s*=\s*19800\s*\)"
    ),
    "the April-March year": re.compile(r"\.month\s*(?:>=\s*4|<\s*4|>\s*3|<=\s*3)\b"),
    "the document-number characters": re.compile(r"A-Za-z0-9/\\?-\]\{0,15\}|\[A-Za-z1-9\]\[A-Za-z0-9/"),
    "the haversine formula": re.compile(r"math\.asin\(|6371(?:\.0088)?\b"),
    "the road factor": re.compile(r"\b1\.25\b.*(?:road|distance)|(?:road|distance).*\b1\.25\b", re.IGNORECASE),
    "the portals' date-time": re.compile(r"%d/%m/%Y %I:%M:%S %p"),
    "vehicle-number formats": re.compile(r"\[A-Z\]\{2\}\[0-9\]\{2\}|\(TM\|DF"),
    "longest HSN prefix": re.compile(r"for length in \(8, 6, 4\)"),
}
# The console's JavaScript gets IST and the locale from the server (/console/config.json, from libs/india): what a
# copy in a browser would contain.
_JS_PATTERNS = {
    "IST as a browser offset": re.compile(r"5\.5\s*\*\s*(?:36e5|3600000|60)|330\s*\*\s*6e4|\b19800(?:000)?\b"),
    "the Indian locale": re.compile(r"""["']en-IN["']"""),
}
# Names that mean something else where they are defined; each entry is (path, name), short and justified.
_ALLOWED = {
    ("libs/contracts/src/o2c/contracts/schemas.py", "dumps"),  # JSON Schema text, not a portal's shape
    ("services/sales/src/o2c/sales/tracking/store.py", "dumps"),  # a projection's cache text
    ("libs/contracts/src/o2c/contracts/types.py", "FinancialYear"),  # the label's schema type (pattern below)
}


def _python_files() -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(ROOT):
        here = Path(folder)
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".") and here / d != HOME]
        found += [here / f for f in files if f.endswith(".py")]
    return found


def _script_files() -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        found += [Path(folder) / f for f in files if f.endswith((".js", ".html"))]
    return found


def _is_alias(value: ast.expr | None) -> bool:
    """`X = imported_x` or `X = module.x`: a name for India's definition, not a copy."""
    return isinstance(value, ast.Name | ast.Attribute)


def _defined_names(tree: ast.Module) -> list[tuple[str, int]]:
    """Module- and class-level definitions: functions, classes and assignments (not aliases)."""
    found: list[tuple[str, int]] = []

    def scan(body: list[ast.stmt], in_class: bool) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if node.name in _LOOKUP_METHODS or (not in_class and node.name in _NAMES):
                    found.append((node.name, node.lineno))
            elif isinstance(node, ast.ClassDef):
                if node.name in _NAMES:
                    found.append((node.name, node.lineno))
                scan(node.body, True)
            elif isinstance(node, ast.Assign) and not _is_alias(node.value):
                found.extend((t.id, node.lineno) for t in node.targets if isinstance(t, ast.Name) and t.id in _NAMES)
            elif (isinstance(node, ast.AnnAssign) and node.value is not None and not _is_alias(node.value)
                  and isinstance(node.target, ast.Name) and node.target.id in _NAMES and not in_class):
                found.append((node.target.id, node.lineno))

    scan(tree.body, False)
    return found


def _offences(path: Path, text: str) -> list[str]:
    where = path.relative_to(ROOT).as_posix()
    out = [f"{where}:{line}: defines {name}" for name, line in _defined_names(ast.parse(text))
           if (where, name) not in _ALLOWED]
    for what, pattern in _PATTERNS.items():
        for match in pattern.finditer(text):
            line = text[: match.start()].count("\n") + 1
            out.append(f"{where}:{line}: {what}: {match.group(0)!r}")
    return out


def test_no_rule_of_india_is_defined_outside_libs_india() -> None:
    offences = [o for path in _python_files() for o in _offences(path, path.read_text(encoding="utf-8"))]
    assert not offences, "India's rules live in libs/india (docs/domain.md):\n" + "\n".join(offences)


def _script_offences(path: Path, text: str) -> list[str]:
    where = path.relative_to(ROOT).as_posix()
    return [f"{where}:{text[: m.start()].count(chr(10)) + 1}: {what}: {m.group(0)!r}"
            for what, pattern in {**_PATTERNS, **_JS_PATTERNS}.items() for m in pattern.finditer(text)]


def test_the_console_names_no_rule_of_india_itself() -> None:
    scripts = _script_files()
    assert any(p.name == "app.js" for p in scripts), "the console's script is scanned"
    offences = [o for path in scripts for o in _script_offences(path, path.read_text(encoding="utf-8"))]
    assert not offences, "the console takes India's zone and locale from /console/config.json:\n" + "\n".join(offences)


def test_the_script_check_finds_a_copy() -> None:
    text = ('const t = d.toLocaleString("en-IN", { timeZone: "Asia/Kolkata" });\n'
            "const today = new Date(Date.now() + 5.5 * 36e5);\n")
    found = "\n".join(_script_offences(ROOT / "x.js", text))
    for expected in ("IST by zone name", "IST as a browser offset", "the Indian locale"):
        assert expected in found, expected


def test_the_check_finds_copies_by_name_and_by_pattern(tmp_path: Path) -> None:
    copy = tmp_path / "copy.py"
    text = (
        'IST = ZoneInfo("Asia/Kolkata")\n'
        "OFFSET = timedelta(hours=5, minutes=30)\n"
        "def business_date(at): ...\n"
        "start = day.year if day.month >= 4 else day.year - 1\n"
        "class RateSchedule:\n"
        "    def rate_on(self, hsn, on): ...\n"
        "ROAD_FACTOR = 1.25\n"
        'VEHICLE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z][0-9]{4}$")\n'
    )
    copy.write_text(text)
    found = "\n".join(_offences(ROOT / "x.py", text))
    for expected in ("defines IST", "IST by zone name", "IST as an offset", "defines business_date",
                     "the April-March year", "defines RateSchedule", "defines ROAD_FACTOR",
                     "vehicle-number formats", "defines rate_on"):
        assert expected in found, expected


def test_an_import_or_alias_is_not_a_copy() -> None:
    text = (
        "from o2c.india.calendar import IST, business_date\nist_date = business_date\n"
        "def build(financial_year): return Invoice(financial_year=financial_year, place_of_supply='27')\n"
    )
    assert _offences(ROOT / "x.py", text) == []
