"""The customer scope rule (issue 14, findings 1 and 5): partners held to the customers they serve, coordinators
with a sales owner to their customers, customer logins to themselves, everyone else unlimited."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from o2c.kit.auth import Principal, Role
from o2c.kit.policy import Confinement, confinement
from o2c.kit.problems import Problem
from o2c.kit.scope import (
    CustomerScope,
    customer_scope_handlers,
    ensure_may_see,
    may_see,
    visible_customers,
)
from sqlalchemy.dialects import postgresql

A = CustomerScope("cus-a", sales_owner="SC01", partner_ids=frozenset({"P-1"}))
B = CustomerScope("cus-b", sales_owner="SC02", partner_ids=frozenset({"P-2"}))


def who(*roles: Role, **claims: Any) -> Principal:
    return Principal(subject="u", roles=frozenset(roles), **claims)


def test_a_partner_sees_only_the_customers_that_name_it() -> None:
    partner = who(Role.PARTNER, partner_id="P-1")
    assert confinement(partner) == Confinement(partner_id="P-1")
    assert may_see(partner, "cus-a", A)
    assert not may_see(partner, "cus-b", B)
    assert not may_see(partner, "cus-a", None)  # unknown to the replica: refused
    assert not may_see(partner, "cus-b", A)  # a row for another customer proves nothing


def test_a_partner_token_without_a_partner_id_sees_nobody() -> None:
    anonymous = who(Role.PARTNER)
    assert not may_see(anonymous, "cus-a", A)
    with pytest.raises(Problem) as refused:
        ensure_may_see(anonymous, "cus-a", A)
    assert refused.value.status == 403 and "names no partner" in refused.value.detail


def test_a_coordinator_with_a_sales_owner_sees_only_their_customers() -> None:
    coordinator = who(Role.SALES_COORDINATOR, sales_owner="SC01")
    assert may_see(coordinator, "cus-a", A)
    assert not may_see(coordinator, "cus-b", B)
    with pytest.raises(Problem) as refused:
        ensure_may_see(coordinator, "cus-b", B)
    assert "another sales owner" in refused.value.detail
    assert confinement(who(Role.SALES_COORDINATOR)).everyone  # no owner claim: not limited by owner


def test_customer_logins_keep_their_isolation_and_need_no_replica() -> None:
    customer = who(Role.CUSTOMER, customer_id="cus-a")
    assert may_see(customer, "cus-a", None)
    assert not may_see(customer, "cus-b", B)
    assert not may_see(who(Role.CUSTOMER), "cus-a", A)
    assert not confinement(customer).needs_replica


def test_internal_roles_are_unlimited_and_unknown_roles_see_nothing() -> None:
    for role in (Role.SALES_HEAD, Role.FINANCE_HEAD, Role.ACCOUNTANT, Role.DISPATCH_SUPERVISOR, Role.SRE):
        assert may_see(who(role), "cus-b", None)
    # A broader role beside the coordinator's lifts the owner limit, as the sales API always did.
    assert may_see(who(Role.SALES_COORDINATOR, Role.SALES_HEAD, sales_owner="SC01"), "cus-b", B)
    assert not may_see(who(), "cus-a", A)


def _sql(condition: sa.ColumnElement[bool]) -> str:
    return str(condition.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def test_list_filter_follows_the_same_rule() -> None:
    column = sa.column("customer_id")
    assert _sql(visible_customers(who(Role.ACCOUNTANT), column)) == "true"
    assert _sql(visible_customers(who(), column)) == "false"
    assert _sql(visible_customers(who(Role.PARTNER), column)) == "false"
    assert _sql(visible_customers(who(Role.CUSTOMER, customer_id="cus-a"), column)) == "customer_id = 'cus-a'"
    partner = _sql(visible_customers(who(Role.PARTNER, partner_id="P-1"), column))
    assert "customer_scope.partner_ids @>" in partner and "P-1" in partner
    owner = _sql(visible_customers(who(Role.SALES_COORDINATOR, sales_owner="SC01"), column))
    assert "customer_scope.sales_owner = 'SC01'" in owner


def test_the_replica_keeps_both_customer_events() -> None:
    assert set(customer_scope_handlers()) == {"CustomerApproved", "CustomerUpdated"}
