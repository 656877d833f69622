"""Builders for dispatch's domain tests: a released shipment, vehicle details, invoice and e-way bill."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from o2c.dispatch.domain import (
    IST,
    DispatchDetails,
    EwayBillReference,
    InvoiceReference,
    PickRequest,
    Shipment,
)

NOW = datetime(2026, 6, 30, 10, 0, tzinfo=IST)
TODAY = date(2026, 6, 30)


@pytest.fixture
def details() -> Callable[..., DispatchDetails]:
    def make(vehicle_no: str = "MH12AB1234", distance_km: int = 150) -> DispatchDetails:
        return DispatchDetails.capture(today=TODAY, distance_km=distance_km, vehicle_no=vehicle_no,
                                       driver_name="Ramesh Patil", driver_phone="+91 98450 12345",
                                       transporter_id="29AABCR1718E1ZL", transporter_name="Reliable Roadways",
                                       lr_no="LR/2026/0042", lr_date=TODAY)

    return make


@pytest.fixture
def shipment() -> Callable[..., Shipment]:
    def make(*requests: PickRequest) -> Shipment:
        lines = requests or (PickRequest(1, "SOAP", "Bath soap 100 g", Decimal(20), "A-01-01"),)
        return Shipment.release("SHP-1", "SO-1", "PNQ", "PL-1", lines, NOW)

    return make


@pytest.fixture
def ready(shipment: Callable[..., Shipment], details: Callable[..., DispatchDetails]) -> Shipment:
    s = shipment()
    s.confirm_pick(1, Decimal(20), "picker-1", NOW, bin_code="A-01-01")
    s.capture_dispatch_details(details())
    return s


def invoice(quantities: dict[int, Decimal] | None = None) -> InvoiceReference:
    return InvoiceReference("inv-1", "INV/26-27/000123", TODAY, Decimal("59000.00"), quantities or {})


def ewaybill(valid_for: timedelta = timedelta(days=1)) -> EwayBillReference:
    return EwayBillReference("331234567890", NOW + valid_for)


@pytest.fixture
def documents() -> tuple[Callable[..., InvoiceReference], Callable[..., EwayBillReference]]:
    return invoice, ewaybill
