from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from o2c.sales.domain.actors import Actor, Role
from o2c.sales.domain.catalog import Item, PriceEntry, PriceList, Pricing, SchemeBook, Uqc
from o2c.sales.domain.customer import Address, Customer
from o2c.sales.domain.errors import InvalidValue, RuleViolation, TransitionRefused
from o2c.sales.domain.geography import StateCode
from o2c.sales.domain.gstin import Gstin
from o2c.sales.domain.numbering import DocumentNumber, FinancialYear
from o2c.sales.domain.quotation import (
    LineRequest,
    PromiseBasis,
    Quotation,
    QuotationStatus,
    StockView,
    WarehouseAtp,
    promise_for,
)
from o2c.sales.domain.tax import GstRate, GstRateSchedule, HsnCode

TODAY = date(2026, 5, 4)
NOW = datetime(2026, 5, 4, 6, 30, tzinfo=UTC)
COORDINATOR = Actor.of("asha", Role.SALES_COORDINATOR)
MH = StateCode("27")
MakeCustomer = Callable[..., Customer]
MakeAddress = Callable[..., Address]

STOCK = StockView(
    {
        "PUMP-1": [WarehouseAtp("BHIWANDI", Decimal(8)), WarehouseAtp("PUNE", Decimal(10))],
        "VALVE-1": [WarehouseAtp("BHIWANDI", Decimal(0)), WarehouseAtp("PUNE", None)],
    }
)


def quote(
    customer: Customer,
    items: dict[str, Item],
    pricing: Pricing,
    requests: list[LineRequest],
    *,
    stock: StockView = STOCK,
    ship_to: str = "mumbai",
    supplier: StateCode = MH,
) -> Quotation:
    return Quotation.prepare(
        quotation_id="Q1",
        number=DocumentNumber.build("QTN", FinancialYear(2026), 42),
        customer=customer,
        ship_to_id=ship_to,
        requests=requests,
        items=items,
        pricing=pricing,
        stock=stock,
        supplier_state=supplier,
        today=TODAY,
        by=COORDINATOR,
    )


def test_quotation_lines_show_negotiated_price_scheme_and_intra_state_gst(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    quotation = quote(make_customer(), items, pricing, [LineRequest("VALVE-1", Decimal(20))])
    line = quotation.lines[0]
    assert line.unit_price == Decimal("240.00")  # negotiated
    assert line.priced.scheme is not None and line.priced.free_quantity == Decimal(2)
    assert line.taxable_value == Decimal("4800.00")
    assert (line.tax.cgst, line.tax.sgst, line.tax.igst) == (Decimal("120.00"), Decimal("120.00"), Decimal(0))
    assert line.gross_value == Decimal("5040.00")  # HSN 8413 at 5 %
    assert str(quotation.number) == "QTN/26-27/000042"


def test_ship_to_in_another_state_makes_the_estimate_igst(
    make_customer: MakeCustomer, make_address: MakeAddress, items: dict[str, Item], pricing: Pricing
) -> None:
    blr = make_address("blr", state="29", pincode="560001", gstin=Gstin.make("29", "AAACR5055K").value)
    customer = make_customer(addresses=(make_address(), blr))
    quotation = quote(customer, items, pricing, [LineRequest("PUMP-1", Decimal(2))], ship_to="blr")
    assert quotation.place_of_supply.value == "29"
    assert quotation.lines[0].tax.igst == Decimal("100.00")  # 5 % of 2000
    assert quotation.terms.bill_to.address_id == "blr"  # the buyer's registration in that state


def test_stock_held_only_in_the_buyers_state_decides_the_estimate_from_there(
    make_customer: MakeCustomer, make_address: MakeAddress, items: dict[str, Item], pricing: Pricing
) -> None:
    """A Gujarat buyer: with pumps held only in Ahmedabad the goods can leave from nowhere else, so the estimate
    is CGST + SGST like the invoice will be; held in Gujarat and Maharashtra, or unknown, it assumes the head
    office's Maharashtra registration (IGST)."""
    amd = make_address("amd", state="24", pincode="390001", gstin=Gstin.make("24", "AAACR5055K").value)
    customer = make_customer(addresses=(make_address(), amd))
    gujarat_only = StockView({"PUMP-1": [WarehouseAtp("AHMEDABAD", Decimal(8), "24"),
                                         WarehouseAtp("BHIWANDI", Decimal(0), "27")]})
    both = StockView({"PUMP-1": [WarehouseAtp("AHMEDABAD", Decimal(8), "24"),
                                 WarehouseAtp("BHIWANDI", Decimal(3), "27")]})
    request = [LineRequest("PUMP-1", Decimal(2))]
    local = quote(customer, items, pricing, request, ship_to="amd", stock=gujarat_only)
    assert local.terms.supplier_state == StateCode("24")
    assert (local.lines[0].tax.cgst, local.lines[0].tax.igst) == (Decimal("50.00"), Decimal(0))
    for stock in (both, StockView.unknown(), STOCK):
        estimate = quote(customer, items, pricing, request, ship_to="amd", stock=stock)
        assert estimate.terms.supplier_state == MH and estimate.lines[0].tax.igst == Decimal("100.00")


def test_quotation_for_a_pending_customer_is_refused_with_the_reason(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    with pytest.raises(RuleViolation, match="pending approval"):
        quote(make_customer(approved=False), items, pricing, [LineRequest("PUMP-1", Decimal(1))])


def test_stocked_and_available_item_is_promised_after_handling_days(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    line = quote(make_customer(), items, pricing, [LineRequest("PUMP-1", Decimal(15))]).lines[0]
    assert line.promise.basis is PromiseBasis.IN_STOCK
    assert line.promise.ship_date == TODAY + timedelta(days=1)
    assert line.atp is not None and [row.warehouse_id for row in line.atp] == ["BHIWANDI", "PUNE"]


def test_short_item_is_promised_by_lead_time(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    line = quote(make_customer(), items, pricing, [LineRequest("PUMP-1", Decimal(30))]).lines[0]
    assert line.promise.basis is PromiseBasis.SHORT
    assert line.promise.ship_date == TODAY + timedelta(days=11)


def test_free_units_count_against_availability(items: dict[str, Item]) -> None:
    atp = [WarehouseAtp("W", Decimal(10))]
    assert promise_for(items["VALVE-1"], Decimal(11), atp, TODAY).basis is PromiseBasis.SHORT


def test_non_stocked_item_is_promised_by_lead_time_without_stock(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    line = quote(make_customer(), items, pricing, [LineRequest("MOTOR-9", Decimal(1))]).lines[0]
    assert line.promise == promise_for(items["MOTOR-9"], Decimal(1), None, TODAY)
    assert line.promise.basis is PromiseBasis.LEAD_TIME
    assert line.promise.ship_date == TODAY + timedelta(days=21)


def test_quotation_works_when_inventory_is_down_and_says_stock_unknown(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    quotation = quote(make_customer(), items, pricing, [LineRequest("PUMP-1", Decimal(1))], stock=StockView.unknown())
    line = quotation.lines[0]
    assert line.atp is None
    assert line.promise.basis is PromiseBasis.STOCK_UNKNOWN
    assert line.promise.ship_date == TODAY + timedelta(days=11)


def test_unknown_warehouse_figure_is_not_taken_as_zero(items: dict[str, Item]) -> None:
    atp = [WarehouseAtp("BHIWANDI", None), WarehouseAtp("PUNE", Decimal(5))]
    assert promise_for(items["PUMP-1"], Decimal(5), atp, TODAY).basis is PromiseBasis.IN_STOCK


def test_unknown_item_is_named_by_its_line(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    with pytest.raises(InvalidValue) as error:
        quote(make_customer(), items, pricing, [LineRequest("PUMP-1", Decimal(1)), LineRequest("NOPE", Decimal(1))])
    assert error.value.field == "lines[1].item_code"


def test_zero_quantity_is_refused(make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing) -> None:
    with pytest.raises(InvalidValue) as error:
        quote(make_customer(), items, pricing, [LineRequest("PUMP-1", Decimal(0))])
    assert error.value.field == "lines[0].quantity"


def test_quotation_of_240_lines_with_an_expired_price_and_a_slab_scheme_prices_each_line_right(
    make_customer: MakeCustomer, schemes: SchemeBook
) -> None:
    codes = [f"ITEM-{n:03d}" for n in range(240)]
    catalog = {c: Item(c, c, HsnCode("8413"), Uqc.NOS, "spares") for c in codes}
    catalog["ITEM-000"] = Item("ITEM-000", "Pump", HsnCode("8413"), Uqc.NOS, "pumps")
    prices = PriceList("STD", "Standard", [PriceEntry(c, Decimal("100.00"), date(2026, 1, 1)) for c in codes])
    # ITEM-001's negotiated price expired yesterday: the standard price applies.
    prices.add(PriceEntry("ITEM-001", Decimal("80.00"), date(2026, 1, 1), TODAY - timedelta(days=1), customer_id="C1"))
    prices.add(PriceEntry("ITEM-002", Decimal("90.00"), date(2026, 1, 1), TODAY, customer_id="C1"))
    pricing = Pricing(prices, schemes, GstRateSchedule([GstRate("84", Decimal(18), date(2017, 7, 1))]))
    requests = [LineRequest(c, Decimal(20)) for c in codes]
    quotation = quote(make_customer(), catalog, pricing, requests, stock=StockView.unknown())
    assert len(quotation.lines) == 240
    first, second, third = quotation.lines[:3]
    assert first.priced.scheme is not None and first.discount == Decimal("50.00")  # slab 2.5 % of 2000
    assert second.unit_price == Decimal("100.00") and second.priced.scheme is None
    assert third.unit_price == Decimal("90.00")
    assert quotation.totals.taxable_value == Decimal("479750.00")  # 240 × 2000 − 50 − 200
    assert quotation.totals.gross_value == quotation.totals.taxable_value + quotation.totals.tax.total


def test_quotation_is_valid_through_its_validity_date(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    quotation = quote(make_customer(), items, pricing, [LineRequest("PUMP-1", Decimal(1))])
    assert quotation.valid_until == TODAY + timedelta(days=15)
    assert quotation.conversion_refusal(quotation.valid_until) is None
    assert quotation.conversion_refusal(quotation.valid_until + timedelta(days=1)) is not None
    assert "expired on 2026-05-19" in str(quotation.conversion_refusal(date(2026, 5, 20)))


def test_revision_keeps_the_previous_lines_in_history(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    customer = make_customer()
    quotation = quote(customer, items, pricing, [LineRequest("PUMP-1", Decimal(1))])
    original = quotation.lines
    later = TODAY + timedelta(days=3)
    previous = quotation.revise(
        customer=customer,
        requests=[LineRequest("PUMP-1", Decimal(12)), LineRequest("VALVE-1", Decimal(3))],
        items=items,
        pricing=pricing,
        stock=STOCK,
        today=later,
        by=COORDINATOR,
        at=NOW + timedelta(days=3),
    )
    assert quotation.revision == 2
    assert quotation.history == [previous]
    assert previous.revision == 1 and previous.lines == original and previous.superseded_by == "asha"
    assert len(quotation.lines) == 2
    assert quotation.valid_until == later + timedelta(days=15)


def test_converted_quotation_cannot_be_revised_or_converted_again(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    customer = make_customer()
    quotation = quote(customer, items, pricing, [LineRequest("PUMP-1", Decimal(1))])
    quotation.mark_converted("O1", TODAY)
    assert quotation.status is QuotationStatus.CONVERTED
    assert "already converted to order O1" in str(quotation.conversion_refusal(TODAY))
    with pytest.raises(TransitionRefused):
        quotation.revise(
            customer=customer,
            requests=[LineRequest("PUMP-1", Decimal(2))],
            items=items,
            pricing=pricing,
            stock=STOCK,
            today=TODAY,
            by=COORDINATOR,
            at=NOW,
        )


def test_withdrawn_quotation_is_not_convertible(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    quotation = quote(make_customer(), items, pricing, [LineRequest("PUMP-1", Decimal(1))])
    quotation.withdraw()
    assert quotation.conversion_refusal(TODAY) is not None
