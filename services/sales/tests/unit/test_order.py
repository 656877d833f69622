from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from o2c.sales.domain.actors import Actor, Role
from o2c.sales.domain.catalog import Item, Pricing
from o2c.sales.domain.customer import Address, Customer, ShipPolicy
from o2c.sales.domain.errors import InvalidValue, RuleViolation, TransitionRefused
from o2c.sales.domain.geography import StateCode
from o2c.sales.domain.gstin import Gstin
from o2c.sales.domain.numbering import DocumentNumber, FinancialYear
from o2c.sales.domain.order import (
    AddLine,
    ChangeQuantity,
    ChangeShipTo,
    OrderStatus,
    RemoveLine,
    SalesOrder,
)
from o2c.sales.domain.quotation import LineRequest, Quotation, StockView, WarehouseAtp

TODAY = date(2026, 5, 4)
NOW = datetime(2026, 5, 4, 6, 30, tzinfo=UTC)
COORDINATOR = Actor.of("asha", Role.SALES_COORDINATOR)
SALES_HEAD = Actor.of("vikram", Role.SALES_HEAD)
CUSTOMER_LOGIN = Actor.of("buyer", "customer")
MH = StateCode("27")
STOCK = StockView({"PUMP-1": [WarehouseAtp("BHIWANDI", Decimal(100))]})
MakeCustomer = Callable[..., Customer]
MakeAddress = Callable[..., Address]
SO_1 = DocumentNumber.build("SO", FinancialYear(2026), 1)


def quotation_for(customer: Customer, items: dict[str, Item], pricing: Pricing) -> Quotation:
    return Quotation.prepare(
        quotation_id="Q1",
        number=DocumentNumber.build("QTN", FinancialYear(2026), 7),
        customer=customer,
        ship_to_id="mumbai",
        requests=[LineRequest("PUMP-1", Decimal(12)), LineRequest("MOTOR-9", Decimal(1))],
        items=items,
        pricing=pricing,
        stock=STOCK,
        supplier_state=MH,
        today=TODAY,
        by=COORDINATOR,
    )


def convert(quotation: Quotation, customer: Customer, today: date = TODAY) -> SalesOrder:
    return SalesOrder.from_quotation(
        quotation=quotation, customer=customer, order_id="O1", number=SO_1, today=today, by=COORDINATOR, at=NOW
    )


def entered(customer: Customer, items: dict[str, Item], pricing: Pricing, by: Actor = COORDINATOR) -> SalesOrder:
    return SalesOrder.enter(
        order_id="O2",
        number=SO_1,
        customer=customer,
        ship_to_id="mumbai",
        requests=[LineRequest("PUMP-1", Decimal(12))],
        items=items,
        pricing=pricing,
        stock=STOCK,
        supplier_state=MH,
        today=TODAY,
        by=by,
        at=NOW,
    )


def test_converted_order_keeps_quoted_prices_schemes_and_taxes(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    customer = make_customer()
    quotation = quotation_for(customer, items, pricing)
    order = convert(quotation, customer, TODAY + timedelta(days=2))
    assert [line.priced for line in order.lines] == [line.priced for line in quotation.lines]
    assert [line.tax for line in order.lines] == [line.tax for line in quotation.lines]
    assert order.gross_value == quotation.totals.gross_value
    assert order.quotation_id == "Q1" and order.status is OrderStatus.CONFIRMED
    assert quotation.converted_order_id == "O1"


def test_committed_dates_keep_the_quoted_lead_from_the_order_date(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    customer = make_customer()
    order = convert(quotation_for(customer, items, pricing), customer, TODAY + timedelta(days=2))
    assert [line.committed_date for line in order.lines] == [
        TODAY + timedelta(days=3),  # in stock: one handling day
        TODAY + timedelta(days=23),  # motor: 21 days lead time
    ]


def test_expired_quotation_cannot_be_converted(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    customer = make_customer()
    quotation = quotation_for(customer, items, pricing)
    with pytest.raises(RuleViolation, match="expired"):
        convert(quotation, customer, quotation.valid_until + timedelta(days=1))


def test_quotation_of_a_customer_blocked_since_cannot_be_converted(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    customer = make_customer()
    quotation = quotation_for(customer, items, pricing)
    customer.block(SALES_HEAD, NOW, "overdue beyond 90 days")
    with pytest.raises(RuleViolation, match="blocked: overdue"):
        convert(quotation, customer)
    assert quotation.conversion_refusal(TODAY) is None


def test_order_for_a_pending_customer_is_refused_then_accepted_after_approval(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    customer = make_customer(approved=False)
    with pytest.raises(RuleViolation, match="pending approval by a sales head"):
        entered(customer, items, pricing)
    customer.approve(SALES_HEAD, NOW)
    assert entered(customer, items, pricing).status is OrderStatus.CONFIRMED


def test_direct_entry_needs_an_authorised_role(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    with pytest.raises(RuleViolation, match="sales coordinator"):
        entered(make_customer(), items, pricing, by=CUSTOMER_LOGIN)


def test_entered_order_carries_the_customers_policies_and_terms(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    order = entered(make_customer(ship_policy=ShipPolicy.SHIP_COMPLETE), items, pricing)
    assert order.ship_policy is ShipPolicy.SHIP_COMPLETE
    assert order.payment_terms_days == 30
    assert order.lines[0].committed_date == TODAY + timedelta(days=1)


def test_gross_value_for_credit_includes_gst(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    order = entered(make_customer(), items, pricing)
    # 12 pumps × 1000 − 2.5 % slab = 11 700; 5 % GST = 585
    assert order.totals.taxable_value == Decimal("11700.00")
    assert order.gross_value == Decimal("12285.00")


def test_release_before_credit_has_cleared_is_refused(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    order = entered(make_customer(), items, pricing)
    with pytest.raises(RuleViolation, match="has not cleared credit"):
        order.release(partially=False)
    order.credit_cleared(1)
    order.release(partially=False)
    assert order.status is OrderStatus.RELEASED


def test_amending_quantity_upward_records_the_change_and_needs_a_credit_recheck(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    order = entered(make_customer(), items, pricing)
    order.credit_cleared(1)
    order.release(partially=False)
    amendment = order.amend([ChangeQuantity(1, Decimal(60))], SALES_HEAD, NOW, "customer doubled the order")
    assert order.revision == 2 and order.status is OrderStatus.CONFIRMED
    assert order.needs_credit_check
    assert amendment.gross_before == Decimal("12285.00")
    assert amendment.gross_after == Decimal("59850.00")  # 60 × 1000 − 5 % slab = 57 000 + 5 %
    assert amendment.lines_before[0].quantity == Decimal(12)
    assert order.amendments == [amendment]
    with pytest.raises(RuleViolation):
        order.release(partially=False)


def test_old_revision_credit_decision_does_not_clear_an_amended_order(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    order = entered(make_customer(), items, pricing)
    order.amend([ChangeQuantity(1, Decimal(13))], SALES_HEAD, NOW, "one more")
    order.credit_cleared(1)
    assert order.needs_credit_check


def test_changing_ship_to_another_state_moves_the_tax_to_igst(
    make_customer: MakeCustomer, make_address: MakeAddress, items: dict[str, Item], pricing: Pricing
) -> None:
    blr = make_address("blr", state="29", pincode="560001", gstin=Gstin.make("29", "AAACR5055K").value)
    customer = make_customer(addresses=(make_address(), blr))
    order = entered(customer, items, pricing)
    amendment = order.amend([ChangeShipTo(blr, bill_to=blr)], SALES_HEAD, NOW, "deliver to Bengaluru branch")
    assert order.place_of_supply.value == "29"
    assert order.lines[0].tax.igst == Decimal("585.00") and order.lines[0].tax.cgst == 0
    assert amendment.ship_to_before.address_id == "mumbai" and amendment.ship_to_after.address_id == "blr"


def test_lines_can_be_added_and_removed_by_amendment(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    order = entered(make_customer(), items, pricing)
    valve = pricing.price(items["VALVE-1"], Decimal(5), "C1", TODAY)
    order.amend([AddLine(valve, TODAY + timedelta(days=6))], SALES_HEAD, NOW, "add valves")
    assert [line.line_no for line in order.lines] == [1, 2]
    assert order.lines[1].tax.cgst == Decimal("30.00")  # taxed like every line
    order.amend([RemoveLine(1)], SALES_HEAD, NOW, "pumps dropped")
    assert [line.line_no for line in order.lines] == [2]
    with pytest.raises(RuleViolation, match="cancel the order instead"):
        order.amend([RemoveLine(2)], SALES_HEAD, NOW, "nothing left")


def test_amending_an_unknown_line_names_the_change(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    order = entered(make_customer(), items, pricing)
    with pytest.raises(InvalidValue) as error:
        order.amend([ChangeQuantity(9, Decimal(1))], SALES_HEAD, NOW, "typo")
    assert error.value.field == "changes[0].line_no"


def test_no_amendment_or_cancellation_after_gate_out(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    order = entered(make_customer(), items, pricing)
    order.credit_cleared(1)
    order.release(partially=False)
    order.record_dispatch("O2-1-1")
    with pytest.raises(RuleViolation, match="gate-out"):
        order.amend([ChangeQuantity(1, Decimal(1))], SALES_HEAD, NOW, "late")
    with pytest.raises(RuleViolation, match="raise a return"):
        order.cancel(COORDINATOR, NOW, "customer changed mind")


def test_released_order_can_be_cancelled_before_gate_out_keeping_the_reason(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    order = entered(make_customer(), items, pricing)
    order.credit_cleared(1)
    order.release(partially=False)
    order.cancel(COORDINATOR, NOW, "customer changed mind")
    assert order.status is OrderStatus.CANCELLED
    assert (order.status_reason, order.cancelled_by) == ("customer changed mind", "asha")
    with pytest.raises(TransitionRefused):
        order.amend([ChangeQuantity(1, Decimal(1))], SALES_HEAD, NOW, "too late")


def test_a_closed_order_is_final(make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing) -> None:
    order = entered(make_customer(), items, pricing)
    order.credit_cleared(1)
    order.release(partially=False)
    order.close("saga: closed")
    assert (order.status, order.status_reason) == (OrderStatus.CLOSED, "saga: closed")
    for move in (order.wait_for_release, order.backorder, order.withdraw):
        with pytest.raises(TransitionRefused, match="closed"):
            move("late reply")


def test_cancelled_is_terminal_and_repeating_a_status_is_harmless(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    order = entered(make_customer(), items, pricing)
    order.hold_for_credit()
    order.hold_for_credit()
    assert order.status is OrderStatus.CREDIT_HELD
    with pytest.raises(TransitionRefused):
        order.close()


def test_backordered_order_moves_to_released_when_filled(
    make_customer: MakeCustomer, items: dict[str, Item], pricing: Pricing
) -> None:
    order = entered(make_customer(), items, pricing)
    order.backorder()
    order.credit_cleared(1)
    order.release(partially=True)
    assert order.status is OrderStatus.PARTIALLY_RELEASED
    order.release(partially=False)
    assert order.status is OrderStatus.RELEASED
