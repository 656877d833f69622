"""GST state codes, and which union territories levy UTGST instead of SGST."""

from __future__ import annotations

STATE_NAMES: dict[str, str] = {
    "01": "Jammu & Kashmir",
    "02": "Himachal Pradesh",
    "03": "Punjab",
    "04": "Chandigarh",
    "05": "Uttarakhand",
    "06": "Haryana",
    "07": "Delhi",
    "08": "Rajasthan",
    "09": "Uttar Pradesh",
    "10": "Bihar",
    "11": "Sikkim",
    "12": "Arunachal Pradesh",
    "13": "Nagaland",
    "14": "Manipur",
    "15": "Mizoram",
    "16": "Tripura",
    "17": "Meghalaya",
    "18": "Assam",
    "19": "West Bengal",
    "20": "Jharkhand",
    "21": "Odisha",
    "22": "Chhattisgarh",
    "23": "Madhya Pradesh",
    "24": "Gujarat",
    "26": "Dadra & Nagar Haveli and Daman & Diu",
    "27": "Maharashtra",
    "29": "Karnataka",
    "30": "Goa",
    "31": "Lakshadweep",
    "32": "Kerala",
    "33": "Tamil Nadu",
    "34": "Puducherry",
    "35": "Andaman & Nicobar",
    "36": "Telangana",
    "37": "Andhra Pradesh",
    "38": "Ladakh",
    "96": "Other countries",
    "97": "Other territory",
}

OTHER_COUNTRIES = "96"

# UTGST Act 2017 s.2(e)/s.7: union territories *without* a legislature levy UTGST. Delhi (07),
# Puducherry (34) and Jammu & Kashmir (01) have legislatures and levy SGST like states.
# "Other territory" (97) is in the UTGST Act's definition too.
UNION_TERRITORIES_WITHOUT_LEGISLATURE: frozenset[str] = frozenset({"04", "26", "31", "35", "38", "97"})


class UnknownStateCode(ValueError):
    """A two-digit code that is not a GST state code."""


def validated_state_code(code: str) -> str:
    if code not in STATE_NAMES:
        raise UnknownStateCode(f"{code!r} is not a GST state code")
    return code


def state_name(code: str) -> str:
    return STATE_NAMES[validated_state_code(code)]


def levies_utgst(code: str) -> bool:
    """True for a union territory without legislature: intra-state supplies there pay CGST + UTGST."""
    return validated_state_code(code) in UNION_TERRITORIES_WITHOUT_LEGISLATURE
