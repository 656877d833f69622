"""The sales use cases' story on the in-memory repository: a seeded catalogue and customer, an order placed,
replies fed to the coordinator (shared by the unit suites)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from o2c.contracts.envelope import Message
from o2c.contracts.samples import sample
from o2c.contracts.types import Quantity
from o2c.contracts.v1 import credit, inventory
from o2c.contracts.v1.common import Address as WireAddress
from o2c.contracts.v1.common import ReservedLine, Shortfall, WarehouseAllocation
from o2c.sales.domain.actors import Actor, Role
from o2c.sales.domain.catalog import Item, PriceEntry, Uqc
from o2c.sales.domain.customer import GstCategory, ShipPolicy, ShortagePolicy
from o2c.sales.domain.geography import StateCode
from o2c.sales.domain.quotation import LineRequest, StockView
from o2c.sales.domain.tax import GstRate, HsnCode
from o2c.sales.service_layer import catalog, coordinator, customers, orders
from o2c.sales.service_layer.ports import UnitOfWork
from o2c.testsupport.sales.directory import FakeDirectory, address
from o2c.testsupport.sales.fakes import InMemoryRepository

NOW = datetime(2026, 5, 4, 6, 30, tzinfo=UTC)  # 4 May 2026, 12:00 IST
COORD = Actor.of("asha", Role.SALES_COORDINATOR)
HEAD = Actor.of("vikram", Role.SALES_HEAD)
SETUP = orders.Setup(supplier_state=StateCode("27"))
WAREHOUSE = WireAddress(name="Bhiwandi DC", line1="Gala 4", place="Bhiwandi", state_code="27", pincode="421302",
                        gstin="27AAACR5055K1Z7")


def new_uow(repo: InMemoryRepository) -> UnitOfWork:
    return UnitOfWork(repo)  # type: ignore[arg-type]


@pytest.fixture
def repo() -> InMemoryRepository:
    return InMemoryRepository([GstRate("84", Decimal(18), date(2017, 7, 1))])


def item(code: str, line: str = "pumps", **kw: Any) -> Item:
    return Item(code=code, name=f"Item {code}", hsn=HsnCode("84137010"), unit=Uqc.NOS, product_line=line,
                lead_time_days=kw.pop("lead_time_days", 7), **kw)


async def seeded(repo: InMemoryRepository, *, ship_policy: ShipPolicy = ShipPolicy.SHIP_PARTIAL,
                 shortage: ShortagePolicy = ShortagePolicy.BACKORDER, items: int = 2) -> str:
    uow = new_uow(repo)
    await catalog.create_items(uow, [item(f"PUMP-{i}") for i in range(1, items + 1)], NOW)
    await catalog.create_price_list(uow, "STD", "Standard", [
        PriceEntry(f"PUMP-{i}", Decimal("100.00"), date(2020, 4, 1)) for i in range(1, items + 1)])
    cmd = customers.RegisterCustomer(
        code="RATAN", legal_name="Ratan Traders", pan=None, gst_category=GstCategory.REGISTERED,
        addresses=(address(),), payment_terms_days=30, price_list_code="STD", sales_owner="asha",
        ship_policy=ship_policy, shortage_policy=shortage)
    from o2c.sales.domain.gstin import Pan

    cmd = customers.RegisterCustomer(**{**cmd.__dict__, "pan": Pan("AAACR5055K")})
    customer = await customers.register_customer(uow, cmd, COORD, NOW, FakeDirectory())
    await customers.approve_customer(uow, customer.customer_id, HEAD, NOW)
    return customer.customer_id


async def place(repo: InMemoryRepository, customer_id: str, quantities: tuple[int, ...] = (3, 10),
                key: str | None = None) -> tuple[str, UnitOfWork]:
    uow = new_uow(repo)
    order, _ = await orders.enter_order(
        uow, customer_id=customer_id, ship_to_id="mumbai",
        lines=[LineRequest(f"PUMP-{i}", Decimal(q)) for i, q in enumerate(quantities, start=1)],
        stock=StockView.unknown(), idempotency_key=key, customer_po_no=None, by=COORD, at=NOW, setup=SETUP)
    return order.order_id, uow


def types(uow: UnitOfWork) -> list[str]:
    return [m.TYPE for m in uow.messages]


async def feed(repo: InMemoryRepository, message: Message, at: datetime = NOW) -> UnitOfWork:
    uow = new_uow(repo)
    await coordinator.handle_reply(uow, message, f"msg-{id(message)}", at)
    return uow


def approved(order_id: str, revision: int = 1) -> credit.CreditApproved:
    return sample(credit.CreditApproved).model_copy(update={"order_id": order_id, "order_revision": revision})


def rejected(order_id: str, reason: credit.RejectionReason = credit.RejectionReason.REJECTED_BY_FINANCE
             ) -> credit.CreditRejected:
    return credit.CreditRejected(order_id=order_id, customer_id="c", decided_at=NOW, reason=reason)


def reserved_lines(quantities: dict[int, int]) -> list[ReservedLine]:
    return [ReservedLine(line_no=n, item_code=f"PUMP-{n}", quantity=Quantity(value=Decimal(q), unit="NOS"))
            for n, q in quantities.items()]


def reserved(order_id: str, quantities: dict[int, int] | None = None) -> inventory.StockReserved:
    return inventory.StockReserved(order_id=order_id, decided_at=NOW, allocations=[WarehouseAllocation(
        warehouse_id="WH-1", warehouse_gstin="27AAACR5055K1Z7", dispatch_from=WAREHOUSE,
        lines=reserved_lines(quantities or {1: 3, 2: 10}))])


def shortfall(line_no: int, ordered: int, short: int) -> Shortfall:
    return Shortfall(line_no=line_no, item_code=f"PUMP-{line_no}", ordered=Quantity(value=Decimal(ordered), unit="NOS"),
                     reserved=Quantity(value=Decimal(ordered - short), unit="NOS"),
                     short=Quantity(value=Decimal(short), unit="NOS"), expected_date=date(2026, 6, 1))
