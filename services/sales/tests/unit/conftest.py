"""Builders for the sales domain's unit tests: a small pincode directory, customers, a catalog."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from o2c.sales.domain.actors import Actor, Role
from o2c.sales.domain.catalog import (
    BuyGetScheme,
    Item,
    PriceEntry,
    PriceList,
    Pricing,
    QuantitySlabScheme,
    SchemeBook,
    SchemeScope,
    Slab,
    Uqc,
)
from o2c.sales.domain.customer import Address, Customer, GstCategory, ShipPolicy
from o2c.sales.domain.tax import GstRate, GstRateSchedule, HsnCode
from o2c.testsupport.sales.directory import FakeDirectory, address

NOW = datetime(2026, 5, 4, 6, 30, tzinfo=UTC)
TODAY = date(2026, 5, 4)


@pytest.fixture
def directory() -> FakeDirectory:
    return FakeDirectory()


CREATOR = Actor.of("asha", Role.SALES_COORDINATOR)
SALES_HEAD = Actor.of("vikram", Role.SALES_HEAD)
PAN = "AAACR5055K"


CustomerFactory = Callable[..., Customer]


@pytest.fixture
def make_address() -> Callable[..., Address]:
    return address


@pytest.fixture
def make_customer(directory: FakeDirectory) -> CustomerFactory:
    def make(
        *,
        approved: bool = True,
        addresses: tuple[Address, ...] | None = None,
        category: GstCategory = GstCategory.REGISTERED,
        pan: str | None = PAN,
        ship_policy: ShipPolicy = ShipPolicy.SHIP_PARTIAL,
        customer_id: str = "C1",
    ) -> Customer:
        customer = Customer.register(
            customer_id=customer_id,
            code=f"CUST-{customer_id}",
            legal_name="Ratan Traders Pvt Ltd",
            pan=pan,
            gst_category=category,
            addresses=addresses or (address(),),
            payment_terms_days=30,
            price_list_code="STD",
            sales_owner="asha",
            ship_policy=ship_policy,
            created_by=CREATOR,
            at=NOW,
            requested_credit_limit="500000.00",
            directory=directory,
        )
        if approved:
            customer.approve(SALES_HEAD, NOW)
        return customer

    return make


def item(code: str = "PUMP-1", *, stocked: bool = True, lead_time_days: int = 0, line: str = "pumps") -> Item:
    return Item(
        code=code,
        name=f"Item {code}",
        hsn=HsnCode("84137010"),
        unit=Uqc.NOS,
        product_line=line,
        stocked=stocked,
        lead_time_days=lead_time_days,
    )


@pytest.fixture
def items() -> dict[str, Item]:
    return {
        "PUMP-1": item("PUMP-1", lead_time_days=10),
        "VALVE-1": item("VALVE-1", line="valves", lead_time_days=5),
        "MOTOR-9": item("MOTOR-9", stocked=False, lead_time_days=21, line="motors"),
    }


@pytest.fixture
def rates() -> GstRateSchedule:
    return GstRateSchedule(
        [
            GstRate("84", Decimal("18"), date(2017, 7, 1)),
            GstRate("8413", Decimal("12"), date(2017, 7, 1)),
            GstRate("8413", Decimal("5"), date(2025, 9, 22)),
        ]
    )


@pytest.fixture
def price_list() -> PriceList:
    return PriceList(
        "STD",
        "Standard",
        [
            PriceEntry("PUMP-1", Decimal("1000.00"), date(2026, 4, 1)),
            PriceEntry("VALVE-1", Decimal("250.50"), date(2026, 4, 1)),
            PriceEntry("MOTOR-9", Decimal("15999.99"), date(2026, 4, 1)),
            PriceEntry("PUMP-1", Decimal("900.00"), date(2026, 4, 1), date(2026, 4, 30), customer_id="C1"),
            PriceEntry("VALVE-1", Decimal("240.00"), date(2026, 4, 1), date(2026, 12, 31), customer_id="C1"),
        ],
    )


@pytest.fixture
def schemes() -> SchemeBook:
    return SchemeBook(
        [
            QuantitySlabScheme(
                "PUMPSLAB",
                "Pump volume discount",
                SchemeScope(product_lines=frozenset({"pumps"})),
                date(2026, 4, 1),
                date(2027, 3, 31),
                slabs=(Slab(Decimal(10), Decimal("2.5")), Slab(Decimal(50), Decimal("5"))),
            ),
            BuyGetScheme(
                "VALVE10+1",
                "Valves: buy 10 get 1",
                SchemeScope(item_codes=frozenset({"VALVE-1"})),
                date(2026, 4, 1),
                date(2026, 6, 30),
                buy_quantity=Decimal(10),
                free_quantity=Decimal(1),
            ),
        ]
    )


@pytest.fixture
def pricing(price_list: PriceList, schemes: SchemeBook, rates: GstRateSchedule) -> Pricing:
    return Pricing(price_list, schemes, rates)
