"""Builders for invoicing unit tests: a company registered in Maharashtra and Karnataka, buyers in
several states, and a ready shipment whose fields a test overrides as needed."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from o2c.india.calendar import IST
from o2c.india.gst_rates import GstRate, GstRateSchedule
from o2c.invoicing.domain.invoice import PickedLine, ReadyShipment, TaxInvoice, issue_tax_invoice
from o2c.invoicing.domain.place_of_supply import Address, SupplyType

SUPPLIER_MH = "27AAACO1234C1Z2"
SUPPLIER_KA = "29AAACO1234C1ZY"
SUPPLIER_CH = "04AAACO1234C1ZA"
BUYER_MH = "27AABCB5678D1ZO"
BUYER_KA = "29AABCK4321F1ZT"
THIRD_PARTY_GJ = "24AABCT9999E1ZU"
BUYER_CH = "04AABCU2222H1ZV"

PUNE_WAREHOUSE = Address(
    name="Orbit Distributors Pvt Ltd", line1="Plot 12, MIDC Chakan", place="Pune", state_code="27",
    pincode="410501", gstin=SUPPLIER_MH,
)  # fmt: skip
MUMBAI_BUYER = Address(
    name="Bharat Retail LLP", line1="14 Linking Road", place="Mumbai", state_code="27", pincode="400050",
    gstin=BUYER_MH,
)  # fmt: skip
BENGALURU_BUYER = Address(
    name="Kaveri Stores Pvt Ltd", line1="22 MG Road", place="Bengaluru", state_code="29", pincode="560001",
    gstin=BUYER_KA,
)  # fmt: skip
GUJARAT_SITE = Address(
    name="Tapi Projects Ltd", line1="Site 4, GIDC", place="Surat", state_code="24", pincode="394221",
    gstin=THIRD_PARTY_GJ,
)  # fmt: skip
WALK_IN_GOA = Address(
    name="A. Fernandes", line1="House 7, Calangute", place="Bardez", state_code="30", pincode="403516"
)

from o2c.testsupport.invoicing.invoicing_rate_master import RATE_MASTER

STANDARD_RATES = GstRateSchedule(
    [
        *RATE_MASTER,
        GstRate(hsn_prefix="9999", rate=Decimal("18"), effective_from=datetime(2017, 7, 1).date()),
    ]
)


def ist(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=IST)


def picked(line_no: int = 1, **overrides: Any) -> PickedLine:
    values: dict[str, Any] = {
        "line_no": line_no,
        "item_code": f"ITEM-{line_no}",
        "item_name": f"Item {line_no}",
        "hsn": "84713010",
        "unit": "NOS",
        "picked_quantity": Decimal("1"),
        "released_quantity": Decimal("1"),
        "unit_price": Decimal("100.00"),
    }
    values.update(overrides)
    if "picked_quantity" in overrides and "released_quantity" not in overrides:
        values["released_quantity"] = values["picked_quantity"]
    return PickedLine(**values)


def shipment(*lines: PickedLine, **overrides: Any) -> ReadyShipment:
    values: dict[str, Any] = {
        "shipment_id": "SHP-1",
        "order_id": "ORD-1",
        "order_no": "SO/26-27/0001",
        "customer_id": "CUST-1",
        "customer_name": "Bharat Retail LLP",
        "supplier_gstin": SUPPLIER_MH,
        "supplier": PUNE_WAREHOUSE,
        "dispatch_from": PUNE_WAREHOUSE,
        "bill_to": MUMBAI_BUYER,
        "ship_to": MUMBAI_BUYER,
        "supply_type": SupplyType.B2B,
        "lines": lines or (picked(),),
        "payment_terms_days": 30,
    }
    values.update(overrides)
    return ReadyShipment(**values)


def invoice(
    ready: ReadyShipment | None = None, at: datetime | None = None, number: str = "INV/26-27/000001"
) -> TaxInvoice:
    """A tax invoice issued with the standard rate table (5 Nov 2026 unless `at` says otherwise)."""
    return issue_tax_invoice(ready or shipment(), number, at or ist(2026, 11, 5), STANDARD_RATES)


def same(value: object, **overrides: Any) -> Any:
    """A copy of a frozen dataclass with some fields changed."""
    return replace(value, **overrides)  # type: ignore[type-var]


@pytest.fixture
def given() -> ModuleType:
    """The builders and sample parties of this module (tests cannot import a conftest directly)."""
    return sys.modules[__name__]
