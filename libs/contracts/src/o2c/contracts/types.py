"""Value types every message shares: money as decimal strings, quantities with their GST unit (UQC)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from o2c.india.documents import GST_DOCUMENT_NUMBER_PATTERN
from o2c.india.gst_rates import HSN_CODE_PATTERN
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)


def _to_decimal(value: object) -> Decimal:
    # Floats are refused: 0.1 + 0.2 must never reach an invoice.
    if isinstance(value, float):
        raise ValueError("money and quantities travel as decimal strings, not floats")
    if isinstance(value, bool):
        raise ValueError(f"not a decimal number: {value!r}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | str):
        try:
            number = Decimal(str(value))
        except Exception as exc:  # decimal.InvalidOperation
            raise ValueError(f"not a decimal number: {value!r}") from exc
    else:
        raise ValueError(f"not a decimal number: {value!r}")
    if not number.is_finite():
        raise ValueError(f"not a finite decimal number: {value!r}")
    return number


_PAISA = Decimal("0.01")


def _to_money(value: object) -> Decimal:
    # Refused rather than rounded on the way out: rounding (to the paisa, per line) is a business rule
    # the producer applies explicitly, never a side effect of serialisation.
    number = _to_decimal(value)
    if number != number.quantize(_PAISA):
        raise ValueError(f"money has at most two decimal places (round to the paisa first): {value!r}")
    return number


_DECIMAL_SCHEMA = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}

Money = Annotated[
    Decimal,
    BeforeValidator(_to_money),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="always"),
    WithJsonSchema({**_DECIMAL_SCHEMA, "description": "Rupees, exactly two decimal places, as a string"}),
]
"""Rupees with two places; serialised as e.g. "1234.50"."""

DecimalStr = Annotated[
    Decimal,
    BeforeValidator(_to_decimal),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="always"),
    WithJsonSchema({**_DECIMAL_SCHEMA, "description": "Exact decimal as a string"}),
]
"""A rate, percentage or quantity: exact, serialised as a plain decimal string."""


class Uqc(StrEnum):
    """GST unit quantity codes used by GSTR-1 (uqc) and the e-way bill (qtyUnit)."""

    NOS = "NOS"
    PCS = "PCS"
    BOX = "BOX"
    KGS = "KGS"
    LTR = "LTR"
    MTR = "MTR"
    SET = "SET"
    PAC = "PAC"
    ROL = "ROL"
    BTL = "BTL"
    CAN = "CAN"
    DOZ = "DOZ"
    GMS = "GMS"
    MLT = "MLT"
    TON = "TON"
    UNT = "UNT"
    OTH = "OTH"


class Quantity(BaseModel):
    """A quantity always carries its unit."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    value: DecimalStr
    unit: Uqc


# Identifiers of the Indian tax world. Patterns here are deliberately the loose *shape* of each code:
# the services validate strictly (GSTIN check character, pincode directory) where data enters, and a
# contract that tightens a pattern later would break replay of messages written under the old one.
Gstin = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{2}[0-9A-Z]{13}$"),
    Field(description="GSTIN (15 chars, state code first); transporter ids (TRANSIN) use state code 88"),
]
StateCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$"), Field(description="GST state code, e.g. 29")]
Pincode = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{5}$"), Field(description="Six-digit PIN code")]
HsnCode = Annotated[
    str, StringConstraints(pattern=HSN_CODE_PATTERN), Field(description="HSN code, 4, 6 or 8 digits")
]
DocumentNumber = Annotated[
    str,
    StringConstraints(pattern=GST_DOCUMENT_NUMBER_PATTERN),
    Field(description="GST document number: at most 16 chars of letters, digits, / and -; not starting 0, / or -"),
]
FinancialYear = Annotated[
    str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}$"), Field(description="Indian financial year, e.g. 2026-27")
]
EwayBillNumber = Annotated[
    str, StringConstraints(pattern=r"^[0-9]{12}$"), Field(description="E-way bill number (EBN), 12 digits")
]
Irn = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{64}$"),
    Field(description="Invoice reference number: lowercase hex SHA-256"),
]
