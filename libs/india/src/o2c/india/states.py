"""GST state codes, and which union territories levy UTGST instead of SGST (docs/domain.md, "States").

UTGST Act 2017 s.2(e)/s.7: union territories *without* a legislature levy UTGST; Delhi (07), Puducherry (34)
and Jammu & Kashmir (01) have legislatures and levy SGST like states. "Other territory" (97) is in the UTGST
Act's definition too. 96 is "other countries" (exports), which has no intra-state supply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class StateTax(StrEnum):
    """Which tax goes with CGST on an intra-state supply there."""

    SGST = "SGST"
    UTGST = "UTGST"
    NONE = "NONE"  # other countries: no intra-state supply exists


@dataclass(frozen=True, slots=True)
class State:
    code: str
    name: str
    union_territory: bool = False
    tax: StateTax = StateTax.SGST
    directory_name: str | None = None
    """The state's name in the India Post directory (None: not an Indian postal state)."""

    @property
    def is_union_territory_without_legislature(self) -> bool:
        return self.tax is StateTax.UTGST


def _ut(code: str, name: str, directory_name: str | None) -> State:
    return State(code, name, union_territory=True, tax=StateTax.UTGST, directory_name=directory_name)


STATES: Mapping[str, State] = {
    s.code: s
    for s in (
        State("01", "Jammu & Kashmir", union_territory=True, directory_name="JAMMU AND KASHMIR"),
        State("02", "Himachal Pradesh", directory_name="HIMACHAL PRADESH"),
        State("03", "Punjab", directory_name="PUNJAB"),
        _ut("04", "Chandigarh", "CHANDIGARH"),
        State("05", "Uttarakhand", directory_name="UTTARAKHAND"),
        State("06", "Haryana", directory_name="HARYANA"),
        State("07", "Delhi", union_territory=True, directory_name="DELHI"),
        State("08", "Rajasthan", directory_name="RAJASTHAN"),
        State("09", "Uttar Pradesh", directory_name="UTTAR PRADESH"),
        State("10", "Bihar", directory_name="BIHAR"),
        State("11", "Sikkim", directory_name="SIKKIM"),
        State("12", "Arunachal Pradesh", directory_name="ARUNACHAL PRADESH"),
        State("13", "Nagaland", directory_name="NAGALAND"),
        State("14", "Manipur", directory_name="MANIPUR"),
        State("15", "Mizoram", directory_name="MIZORAM"),
        State("16", "Tripura", directory_name="TRIPURA"),
        State("17", "Meghalaya", directory_name="MEGHALAYA"),
        State("18", "Assam", directory_name="ASSAM"),
        State("19", "West Bengal", directory_name="WEST BENGAL"),
        State("20", "Jharkhand", directory_name="JHARKHAND"),
        State("21", "Odisha", directory_name="ODISHA"),
        State("22", "Chhattisgarh", directory_name="CHHATTISGARH"),
        State("23", "Madhya Pradesh", directory_name="MADHYA PRADESH"),
        State("24", "Gujarat", directory_name="GUJARAT"),
        _ut("26", "Dadra & Nagar Haveli and Daman & Diu", "THE DADRA AND NAGAR HAVELI AND DAMAN AND DIU"),
        State("27", "Maharashtra", directory_name="MAHARASHTRA"),
        State("29", "Karnataka", directory_name="KARNATAKA"),
        State("30", "Goa", directory_name="GOA"),
        _ut("31", "Lakshadweep", "LAKSHADWEEP"),
        State("32", "Kerala", directory_name="KERALA"),
        State("33", "Tamil Nadu", directory_name="TAMIL NADU"),
        State("34", "Puducherry", union_territory=True, directory_name="PUDUCHERRY"),
        _ut("35", "Andaman & Nicobar", "ANDAMAN AND NICOBAR ISLANDS"),
        State("36", "Telangana", directory_name="TELANGANA"),
        State("37", "Andhra Pradesh", directory_name="ANDHRA PRADESH"),
        _ut("38", "Ladakh", "LADAKH"),
        State("96", "Other countries", tax=StateTax.NONE),
        _ut("97", "Other territory", None),
    )
}
"""Every GST state code, keyed by code."""

OTHER_COUNTRIES = "96"
GST_STATE_CODES: frozenset[str] = frozenset(STATES)
"""The GST state codes (the e-invoice / e-way bill master): 25 (Daman & Diu) merged into 26 in 2020, 28 (old
Andhra Pradesh) is no longer issued."""
STATE_NAMES: Mapping[str, str] = {code: s.name for code, s in STATES.items()}
UNION_TERRITORIES_WITHOUT_LEGISLATURE: frozenset[str] = frozenset(
    code for code, s in STATES.items() if s.tax is StateTax.UTGST
)
BY_DIRECTORY_NAME: Mapping[str, str] = {s.directory_name: s.code for s in STATES.values() if s.directory_name}


class UnknownStateCode(ValueError):
    """A code that is not a GST state code."""


def is_state_code(code: str) -> bool:
    return code in STATES


def validated_state_code(code: str) -> str:
    if code not in STATES:
        raise UnknownStateCode(f"{code!r} is not a GST state code")
    return code


def state_name(code: str) -> str:
    return STATES[validated_state_code(code)].name


def levies_utgst(code: str) -> bool:
    """True for a union territory without legislature: intra-state supplies there pay CGST + UTGST."""
    return validated_state_code(code) in UNION_TERRITORIES_WITHOUT_LEGISLATURE
