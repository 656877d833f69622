from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from o2c.sales.domain.actors import Actor, Role
from o2c.sales.domain.customer import (
    Address,
    Customer,
    CustomerStatus,
    GstCategory,
    ShipPolicy,
    with_gstin,
)
from o2c.sales.domain.errors import InvalidValue, RuleViolation, TransitionRefused
from o2c.sales.domain.geography import PincodeDirectory, StateCode
from o2c.sales.domain.gstin import Gstin

NOW = datetime(2026, 5, 4, 6, 30, tzinfo=UTC)
LATER = datetime(2026, 5, 5, 9, 0, tzinfo=UTC)
CREATOR = Actor.of("asha", Role.SALES_COORDINATOR)
SALES_HEAD = Actor.of("vikram", Role.SALES_HEAD)
FINANCE_HEAD = Actor.of("meera", Role.FINANCE_HEAD)

MakeAddress = Callable[..., Address]
MakeCustomer = Callable[..., Customer]


def test_maharashtra_gstin_on_a_maharashtra_address_is_accepted(make_customer: MakeCustomer) -> None:
    customer = make_customer(approved=False)
    assert customer.billing_address.gstin == Gstin.parse("27AAACR5055K1Z7")
    assert customer.status is CustomerStatus.PENDING


def test_maharashtra_gstin_on_a_gujarat_address_is_refused_naming_the_gstin(
    make_customer: MakeCustomer, make_address: MakeAddress
) -> None:
    gujarat = make_address("vadodara", state="24", pincode="390001", gstin="27AAACR5055K1Z7")
    with pytest.raises(InvalidValue) as error:
        make_customer(addresses=(gujarat,))
    assert error.value.field == "addresses[0].gstin"
    assert "27AAACR5055K1Z7" in error.value.reason
    assert "Gujarat" in error.value.reason


def test_gstin_of_another_pan_is_refused(make_customer: MakeCustomer, make_address: MakeAddress) -> None:
    other = Gstin.make("27", "AABCR1718E")
    with pytest.raises(InvalidValue, match="belongs to PAN AABCR1718E"):
        make_customer(addresses=(make_address(gstin=other.value),))


def test_pincode_outside_the_address_state_is_refused(make_customer: MakeCustomer, make_address: MakeAddress) -> None:
    with pytest.raises(InvalidValue) as error:
        make_customer(addresses=(make_address(pincode="390001"),))
    assert error.value.field == "addresses[0].pincode"


def test_buyer_registered_in_two_states_has_a_gstin_per_address(
    make_customer: MakeCustomer, make_address: MakeAddress
) -> None:
    karnataka = make_address("bengaluru", state="29", pincode="560001", gstin=Gstin.make("29", "AAACR5055K").value)
    customer = make_customer(addresses=(make_address(), karnataka))
    assert {a.gstin.state_code.value for a in customer.addresses if a.gstin} == {"27", "29"}
    assert customer.billing_address_for(karnataka) == karnataka


def test_registered_buyer_billing_address_needs_a_gstin(make_customer: MakeCustomer, make_address: MakeAddress) -> None:
    with pytest.raises(InvalidValue, match="needs the GSTIN registered in Maharashtra"):
        make_customer(addresses=(make_address(gstin=None),))


def test_ship_to_only_address_of_a_registered_buyer_may_omit_the_gstin(
    make_customer: MakeCustomer, make_address: MakeAddress
) -> None:
    site = make_address("site", state="33", pincode="600001", gstin=None, billing=False, third_party=True)
    customer = make_customer(addresses=(make_address(), site))
    assert customer.ship_to("site").gstin is None


def test_unregistered_customer_carries_no_gstin(make_customer: MakeCustomer, make_address: MakeAddress) -> None:
    with pytest.raises(InvalidValue, match="carries no GSTIN"):
        make_customer(category=GstCategory.UNREGISTERED, addresses=(make_address(),))
    customer = make_customer(category=GstCategory.UNREGISTERED, pan=None, addresses=(make_address(gstin=None),))
    assert customer.pan is None


def test_registered_customer_needs_a_pan(make_customer: MakeCustomer) -> None:
    with pytest.raises(InvalidValue) as error:
        make_customer(pan=None)
    assert error.value.field == "pan"


def test_overseas_customer_bills_abroad_without_pincode(directory: PincodeDirectory) -> None:
    abroad = Address("dubai", "Gulf Pumps LLC", "Jebel Ali", "Dubai", StateCode("96"), None)
    customer = Customer.register(
        customer_id="C9",
        code="GULF",
        legal_name="Gulf Pumps LLC",
        pan=None,
        gst_category=GstCategory.OVERSEAS,
        addresses=[abroad],
        payment_terms_days=60,
        price_list_code="EXPORT",
        sales_owner="asha",
        ship_policy=ShipPolicy.SHIP_COMPLETE,
        created_by=CREATOR,
        at=NOW,
        directory=directory,
    )
    assert customer.billing_address.is_abroad


def test_customer_needs_billing_and_ship_to_addresses(make_customer: MakeCustomer, make_address: MakeAddress) -> None:
    with pytest.raises(InvalidValue, match="ship-to"):
        make_customer(addresses=(make_address(shipping=False),))


def test_address_ids_are_unique(make_customer: MakeCustomer, make_address: MakeAddress) -> None:
    with pytest.raises(InvalidValue, match="unique"):
        make_customer(addresses=(make_address(), make_address()))


def test_new_customer_is_pending_and_cannot_trade(make_customer: MakeCustomer) -> None:
    customer = make_customer(approved=False)
    check = customer.can_trade()
    assert not check.allowed
    assert "pending approval by a sales head" in check.reason
    with pytest.raises(RuleViolation, match="pending"):
        customer.ensure_can_trade()


def test_sales_head_approval_activates_the_customer(make_customer: MakeCustomer) -> None:
    customer = make_customer(approved=False)
    entries = customer.approve(SALES_HEAD, LATER)
    assert customer.can_trade().allowed
    assert customer.approved_by == "vikram"
    assert entries[0].field == "status" and entries[0].before == "pending" and entries[0].after == "active"


def test_only_a_sales_head_approves(make_customer: MakeCustomer) -> None:
    customer = make_customer(approved=False)
    with pytest.raises(RuleViolation, match="sales head"):
        customer.approve(FINANCE_HEAD, LATER)


def test_creator_cannot_approve_their_own_customer(make_customer: MakeCustomer) -> None:
    customer = make_customer(approved=False)
    with pytest.raises(RuleViolation, match="someone other"):
        customer.approve(Actor.of("asha", Role.SALES_HEAD), LATER)


def test_approving_twice_is_refused(make_customer: MakeCustomer) -> None:
    customer = make_customer()
    with pytest.raises(TransitionRefused):
        customer.approve(SALES_HEAD, LATER)


def test_blocked_customer_cannot_trade_and_says_why(make_customer: MakeCustomer) -> None:
    customer = make_customer()
    customer.block(FINANCE_HEAD, LATER, "cheque bounced")
    check = customer.can_trade()
    assert not check.allowed and "blocked: cheque bounced" in check.reason
    customer.unblock(SALES_HEAD, LATER)
    assert customer.can_trade().allowed


def test_inactive_customer_goes_back_through_approval(make_customer: MakeCustomer) -> None:
    customer = make_customer()
    customer.deactivate(SALES_HEAD, LATER, "dormant two years")
    assert "inactive" in customer.can_trade().reason
    customer.reactivate(SALES_HEAD, LATER)
    assert customer.status is CustomerStatus.PENDING and customer.approved_by is None


def test_pending_customer_cannot_be_blocked(make_customer: MakeCustomer) -> None:
    with pytest.raises(TransitionRefused):
        make_customer(approved=False).block(SALES_HEAD, LATER, "x")


def test_each_change_is_audited_with_who_when_before_after(make_customer: MakeCustomer) -> None:
    customer = make_customer()
    revision = customer.revision
    entries = customer.change_payment_terms(45, SALES_HEAD, LATER)
    assert entries == [customer.audit[-1]]
    entry = entries[0]
    assert (entry.who, entry.when, entry.field, entry.before, entry.after) == (
        "vikram",
        LATER,
        "payment_terms_days",
        "30",
        "45",
    )
    assert customer.revision == revision + 1


def test_unchanged_value_produces_no_audit_entry(make_customer: MakeCustomer) -> None:
    customer = make_customer()
    assert customer.change_payment_terms(30, SALES_HEAD, LATER) == []


def test_money_changes_are_audited_with_two_places(make_customer: MakeCustomer) -> None:
    customer = make_customer()
    [entry] = customer.change_requested_credit_limit("750000", SALES_HEAD, LATER)
    assert (entry.before, entry.after) == ("500000.00", "750000.00")
    assert customer.requested_credit_limit == Decimal("750000.00")


def test_policy_price_list_owner_and_name_changes_are_audited(make_customer: MakeCustomer) -> None:
    customer = make_customer()
    customer.change_ship_policy(ShipPolicy.SHIP_COMPLETE, SALES_HEAD, LATER)
    customer.change_price_list("DEALER", SALES_HEAD, LATER)
    customer.change_sales_owner("ravi", SALES_HEAD, LATER)
    customer.rename("Ratan Traders Ltd", SALES_HEAD, LATER)
    assert [e.field for e in customer.audit[-4:]] == ["ship_policy", "price_list_code", "sales_owner", "legal_name"]
    assert customer.audit[-4].after == "ship_complete"


def test_negative_credit_limit_and_long_terms_are_refused(make_customer: MakeCustomer) -> None:
    customer = make_customer()
    with pytest.raises(InvalidValue):
        customer.change_requested_credit_limit("-1", SALES_HEAD, LATER)
    with pytest.raises(InvalidValue):
        customer.change_payment_terms(400, SALES_HEAD, LATER)


def test_added_address_is_validated_and_audited(
    make_customer: MakeCustomer, make_address: MakeAddress, directory: PincodeDirectory
) -> None:
    customer = make_customer()
    chennai = make_address("chennai", state="33", pincode="600001", gstin=Gstin.make("33", "AAACR5055K").value)
    [entry] = customer.add_address(chennai, SALES_HEAD, LATER, directory)
    assert entry.field == "addresses.chennai" and entry.before is None and "GSTIN 33AAACR5055K1Z" in str(entry.after)
    wrong = make_address("pune", state="27", pincode="411001", gstin=Gstin.make("33", "AAACR5055K").value)
    with pytest.raises(InvalidValue) as error:
        customer.add_address(wrong, SALES_HEAD, LATER, directory)
    assert error.value.field == "address.gstin"


def test_replacing_an_address_gstin_is_audited_with_before_and_after(
    make_customer: MakeCustomer, directory: PincodeDirectory
) -> None:
    customer = make_customer()
    moved = with_gstin(customer.address("mumbai"), Gstin.make("27", "AAACR5055K", "2"))
    [entry] = customer.replace_address(moved, SALES_HEAD, LATER, directory)
    assert "27AAACR5055K1Z7" in str(entry.before) and "27AAACR5055K2Z" in str(entry.after)


def test_last_billing_address_cannot_be_removed(make_customer: MakeCustomer) -> None:
    customer = make_customer()
    with pytest.raises(InvalidValue, match="billing"):
        customer.remove_address("mumbai", SALES_HEAD, LATER)


def test_becoming_unregistered_needs_addresses_without_gstin(
    make_customer: MakeCustomer, directory: PincodeDirectory
) -> None:
    customer = make_customer()
    with pytest.raises(InvalidValue, match="carries no GSTIN"):
        customer.change_gst_category(GstCategory.UNREGISTERED, SALES_HEAD, LATER, directory)
    assert customer.gst_category is GstCategory.REGISTERED


def test_unknown_ship_to_is_refused(make_customer: MakeCustomer) -> None:
    with pytest.raises(RuleViolation, match="no address"):
        make_customer().ship_to("nowhere")


def test_creation_is_the_first_audit_entry(make_customer: MakeCustomer) -> None:
    first = make_customer(approved=False).audit[0]
    assert (first.who, first.field, first.before) == ("asha", "customer", None)


def test_naive_timestamps_are_refused(make_customer: MakeCustomer) -> None:
    customer = make_customer()
    with pytest.raises(InvalidValue):
        customer.change_payment_terms(10, SALES_HEAD, datetime(2026, 5, 5, 9, 0))
    assert customer.payment_terms_days == 30
