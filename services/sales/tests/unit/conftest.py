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
from o2c.sales.domain.geography import GeoPoint, Pincode, StateCode
from o2c.sales.domain.gstin import Gstin
from o2c.sales.domain.tax import GstRate, GstRateSchedule, HsnCode

NOW = datetime(2026, 5, 4, 6, 30, tzinfo=UTC)
TODAY = date(2026, 5, 4)


class FakeDirectory:
    """Pincode → state codes, as the India Post directory would answer (including a two-state pincode)."""

    def __init__(self) -> None:
        self.states = {
            "400001": {"27"},  # Mumbai
            "411001": {"27"},  # Pune
            "390001": {"24"},  # Vadodara
            "560001": {"29"},  # Bengaluru
            "600001": {"33"},  # Chennai
            "605110": {"34", "33"},  # Puducherry and Tamil Nadu
            "160001": {"04"},  # Chandigarh
            "160062": {"03"},  # Mohali, Punjab
            "396210": {"26"},  # Daman
        }

    def state_codes_of(self, pincode: Pincode) -> frozenset[str]:
        return frozenset(self.states.get(pincode.value, set()))

    def location_of(self, pincode: Pincode) -> GeoPoint | None:
        return GeoPoint(19.0, 72.8) if pincode.value in self.states else None


@pytest.fixture
def directory() -> FakeDirectory:
    return FakeDirectory()


CREATOR = Actor.of("asha", Role.SALES_COORDINATOR)
SALES_HEAD = Actor.of("vikram", Role.SALES_HEAD)
PAN = "AAACR5055K"


def address(
    address_id: str = "mumbai",
    state: str = "27",
    pincode: str = "400001",
    gstin: str | None = "27AAACR5055K1Z7",
    *,
    billing: bool = True,
    shipping: bool = True,
    third_party: bool = False,
) -> Address:
    return Address(
        address_id=address_id,
        name="Ratan Traders",
        line1="12 Market Road",
        place="City",
        state_code=StateCode(state),
        pincode=Pincode(pincode),
        gstin=Gstin.parse(gstin) if gstin else None,
        is_billing=billing,
        is_shipping=shipping,
        third_party=third_party,
    )


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
