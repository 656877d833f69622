"""Builders for e-way bill unit tests: an invoice from a Pune warehouse and the dispatch details the
supervisor typed once."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from o2c.ewaybill.domain.generation import DispatchDetails, InvoiceForEwayBill, InvoiceItem, Place
from o2c.ewaybill.domain.lifecycle import EwayBill, VehicleChangeReason, VehicleMovement
from o2c.ewaybill.domain.vehicle import TransportMode
from o2c.india.calendar import IST
from o2c.india.ewaybill import VehicleType, valid_until

D = Decimal
SUPPLIER_MH = "27AAACO1234C1Z2"
BUYER_MH = "27AABCB5678D1ZO"
BUYER_KA = "29AABCK4321F1ZT"
TRANSPORTER = "27AABCS1111G1ZX"

PUNE = Place(name="Orbit Distributors Pvt Ltd", line1="Plot 12, MIDC Chakan", place="Pune", state_code="27",
             pincode="410501", gstin=SUPPLIER_MH)  # fmt: skip
MUMBAI = Place(name="Bharat Retail LLP", line1="14 Linking Road", place="Mumbai", state_code="27", pincode="400050",
               gstin=BUYER_MH)  # fmt: skip
BENGALURU = Place(name="Kaveri Stores Pvt Ltd", line1="22 MG Road", place="Bengaluru", state_code="29",
                  pincode="560001", gstin=BUYER_KA)  # fmt: skip


def ist(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=IST)


def invoice(
    taxable: str = "45000.00", rate: str = "18", inter_state: bool = False, **overrides: Any
) -> InvoiceForEwayBill:
    """An invoice of one item; intra-state (Pune → Mumbai) unless `inter_state` (Pune → Bengaluru)."""
    value = D(taxable)
    tax = (value * D(rate) / 100).quantize(D("0.01"))
    half = (value * D(rate) / 200).quantize(D("0.01"))
    item = InvoiceItem(
        name="Lead-acid battery 12V", hsn="85071000", quantity=D("30"), unit="NOS", taxable_value=value,
        cgst_rate=D("0") if inter_state else D(rate) / 2, sgst_rate=D("0") if inter_state else D(rate) / 2,
        igst_rate=D(rate) if inter_state else D("0"),
    )  # fmt: skip
    buyer = BENGALURU if inter_state else MUMBAI
    cgst = D("0") if inter_state else half
    igst = tax if inter_state else D("0")
    exact = value + 2 * cgst + igst
    grand = exact.quantize(D("1")).quantize(D("0.01"))
    values: dict[str, Any] = {
        "invoice_no": "INV/26-27/000123", "invoice_date": date(2026, 11, 5), "supplier_gstin": SUPPLIER_MH,
        "supplier": PUNE, "dispatch_from": PUNE, "bill_to": buyer, "ship_to": buyer, "supply_type": "B2B",
        "items": (item,), "taxable_value": value, "cgst": cgst, "sgst": cgst, "igst": igst, "cess": D("0"),
        "round_off": grand - exact, "grand_total": grand,
    }  # fmt: skip
    values.update(overrides)
    return InvoiceForEwayBill(**values)


def dispatch(**overrides: Any) -> DispatchDetails:
    values: dict[str, Any] = {
        "distance_km": 160, "mode": TransportMode.ROAD, "vehicle_no": "MH12AB1234", "transporter_id": TRANSPORTER,
        "transporter_name": "Sahyadri Roadways", "transport_doc_no": "LR-7781", "transport_doc_date": date(2026, 11, 5),
    }  # fmt: skip
    values.update(overrides)
    return DispatchDetails(**values)


def bill(generated_at: datetime | None = None, distance_km: int = 2467, **overrides: Any) -> EwayBill:
    at = generated_at or ist(2022, 9, 16, 19, 29)
    values: dict[str, Any] = {
        "ebn": "321001234567", "generated_at": at, "valid_until": valid_until(at, distance_km),
        "distance_km": distance_km, "vehicle_type": VehicleType.REGULAR,
        "movements": (VehicleMovement(vehicle_no="MH12AB1234", mode=TransportMode.ROAD, from_place="Pune",
                                      from_state_code="27", entered_at=at, reason=VehicleChangeReason.FIRST_TIME),),
    }  # fmt: skip
    values.update(overrides)
    return EwayBill(**values)


def same(value: object, **overrides: Any) -> Any:
    return replace(value, **overrides)  # type: ignore[type-var]


@pytest.fixture
def given() -> ModuleType:
    """The builders and sample parties of this module (tests cannot import a conftest directly)."""
    return sys.modules[__name__]
