"""The access policy: which role may do which action, and which data scopes hold it. Deny by default.

Every route of every service declares its action with `Depends(allow("<service>.<thing>.<verb>"))`; the
policy below is the only place that says which roles may do it. A role is written once, as data: its
actions and its scopes. A login whose roles o2c does not know holds no role and may do nothing (403).

Scopes narrow a granted action to the caller's data:
- `customer`: a customer login sees only its own customer (`customer_id` claim).
- `partner`: a partner system sees only the customers it is bound to (customer-master data; the service
  passes the customer's partners, unknown partners: nothing).
- `sales_owner`: a coordinator with a `sales_owner` claim sees only the customers they own (the service
  that knows the customer's owner passes it).
- `warehouses`: warehouse staff act and read only at the warehouses of their `warehouse_ids` claim; without
  the claim they act nowhere.
- `approval_limit`: finance approves up to the token's `approval_limit` (the credit domain applies it).

`python -m o2c.kit.policy` writes docs/security.md from this data (a test fails when the file differs).
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends
from o2c.kit.auth import Principal, Role, current_principal
from o2c.kit.problems import PROBLEM_BASE, Problem


class Scope(StrEnum):
    CUSTOMER = "customer"
    PARTNER = "partner"
    SALES_OWNER = "sales_owner"
    WAREHOUSES = "warehouses"
    APPROVAL_LIMIT = "approval_limit"


SERVICES = ("sales", "credit", "inventory", "dispatch", "invoicing", "ewaybill", "notify")
EVERY_SERVICE = "every service"

# The actions, by service: `<service>.<thing>.<verb>` (admin acts in every service's own admin routes).
ACTIONS: dict[str, str] = {
    # sales: customers, catalogue, quotations, orders, returns, tracking
    "sales.customer.register": "register a customer (pending approval)",
    "sales.customer.read": "read a customer's master data and audit trail",
    "sales.customer.change": "change a customer's master data",
    "sales.customer.approve": "approve a registered customer",
    "sales.customer.block": "block or unblock a customer's trading",
    "sales.customer.partners": "name the partner systems that serve a customer (audited)",
    "sales.item.read": "read an item",
    "sales.item.write": "create or change items",
    "sales.gst-rate.write": "add a GST rate",
    "sales.price-list.read": "read a price list",
    "sales.price-list.write": "create a price list or add prices",
    "sales.scheme.read": "read schemes",
    "sales.scheme.write": "create a scheme",
    "sales.quotation.read": "read a quotation, its document and PDF",
    "sales.quotation.write": "issue a quotation or a revision",
    "sales.order.enter": "enter an order (directly or from a quotation)",
    "sales.order.read": "read an order and its saga",
    "sales.order.amend": "amend an order before dispatch",
    "sales.order.cancel": "cancel an order before gate-out",
    "sales.saga-exception.read": "read the orders a person must look at",
    "sales.return.authorise": "authorise a return against an invoice",
    "sales.tracking.read": "track orders: page, live updates, search, list",
    "sales.tracking.dashboards": "read the business dashboards",
    "sales.dead-letter-group.read": "list one record's dead letters grouped across the services that read it",
    "sales.dead-letter-group.resolve": "discard or replay one record's dead letters in every service at once",
    # credit
    "credit.sanction.read": "read the sanction queue and a sanction",
    "credit.sanction.decide": "approve or reject a held order",
    "credit.payment.record": "record a customer payment",
    "credit.receivable.write-off": "write off a receivable",
    "credit.profile.read": "read a credit profile",
    "credit.profile.set": "set limit, terms, hold and temporary increases",
    "credit.receivable.read": "read open receivables and a statement",
    "credit.opening-balance.import": "import opening balances (legacy outstanding invoices), dry run or commit",
    "credit.payment.reverse": "reverse a recorded payment (a bounced cheque)",
    "credit.refund.record": "refund a customer's unapplied credit",
    # inventory
    "inventory.warehouse.register": "register a warehouse, add a bin",
    "inventory.warehouse.read": "read warehouses and bins",
    "inventory.stock.move": "receive, put away, transfer, adjust, count, set safety stock, receive returns",
    "inventory.stock.read": "read balances and the movement ledger",
    "inventory.atp.read": "read available to promise",
    "inventory.reservation.read": "read reservations and backorders",
    "inventory.routing-policy.read": "read the routing policy",
    "inventory.routing-policy.set": "set the routing policy",
    "inventory.transfer.dispatch": "send stock to another warehouse (delivery challan or branch transfer)",
    "inventory.transfer.receive": "confirm a transfer's arrival: received, short, damaged, put away",
    "inventory.transfer.read": "read stock transfers, their challans and tax facts",
    "inventory.transfer-price.read": "read the transfer price list",
    "inventory.transfer-price.set": "set a transfer price (the value of branch transfers)",
    "inventory.purchase-receipt.record": "receive goods from a supplier against a purchase order",
    "inventory.purchase-receipt.read": "read receipts against purchase orders",
    # dispatch
    "dispatch.pick-list.read": "read pick lists",
    "dispatch.pick.confirm": "confirm a pick line",
    "dispatch.shipment.read": "read shipments and trips",
    "dispatch.shipment.dispatch": "capture dispatch details, gate out, change vehicle, load a trip",
    "dispatch.gate.read": "read a warehouse's ready-for-gate list",
    # invoicing
    "invoicing.invoice.read": "read invoices, PDFs, credit notes and returns",
    "invoicing.invoice.cancel": "cancel an invoice, retry its IRN, see and invoice refused shipments",
    "invoicing.invoice.reissue": "re-issue a cancelled invoice's shipment (next number, corrected buyer, fewer units)",
    "invoicing.gst-return.read": "read GSTR-1 and the invoice register",
    # ewaybill
    "ewaybill.bill.read": "read e-way bills and thresholds",
    "ewaybill.bill.act": "retry, cancel, extend an e-way bill, change its vehicle (Part B)",
    "ewaybill.bill.regenerate": "generate a new bill for an invoice whose bill was cancelled",
    "ewaybill.threshold.add": "add a threshold row",
    # notify
    "notify.notification.read": "read notifications sent",
    "notify.template.preview": "preview a template",
    "notify.webhook.subscribe": "subscribe a URL, list and manage own subscriptions",
    "notify.webhook.delivery.read": "read webhook deliveries and dead letters",
    # the kit's admin routes, in every service
    "admin.dead-letter.read": "list dead letters and the messaging state",
    "admin.dead-letter.resolve": "replay or discard a dead letter",
}


def service_of(action: str) -> str:
    prefix = action.partition(".")[0]
    return prefix if prefix in SERVICES else EVERY_SERVICE


@dataclass(frozen=True)
class Reach:
    actions: frozenset[str]
    scopes: frozenset[Scope] = frozenset()


def _reach(*actions: str, scopes: Iterable[Scope] = ()) -> Reach:
    return Reach(frozenset(actions), frozenset(scopes))


_SALES_READS = ("sales.customer.read", "sales.item.read", "sales.quotation.read", "sales.order.read",
                "sales.tracking.read")
_SALES_DESK = (*_SALES_READS, "sales.customer.register", "sales.customer.change", "sales.item.write",
               "sales.price-list.read", "sales.scheme.read", "sales.quotation.write", "sales.order.enter",
               "sales.order.amend", "sales.order.cancel", "sales.return.authorise")
_CREDIT_READS = ("credit.profile.read", "credit.receivable.read")
_FINANCE = (*_SALES_READS, *_CREDIT_READS, "credit.sanction.read", "credit.sanction.decide",
            "credit.payment.record", "credit.receivable.write-off", "credit.profile.set",
            "credit.opening-balance.import", "credit.payment.reverse", "credit.refund.record",
            "inventory.warehouse.read", "inventory.stock.read", "inventory.reservation.read",
            "inventory.routing-policy.read", "notify.notification.read", "sales.tracking.dashboards",
            "inventory.transfer.read", "inventory.transfer-price.read", "inventory.purchase-receipt.read")
_WAREHOUSE_READS = ("inventory.warehouse.read", "inventory.stock.read", "inventory.atp.read",
                    "inventory.reservation.read", "inventory.routing-policy.read")

# Each role's reach, once. Anything not listed is denied.
POLICY: dict[Role, Reach] = {
    Role.SALES_COORDINATOR: _reach(
        *_SALES_DESK, *_CREDIT_READS, *_WAREHOUSE_READS, "sales.tracking.dashboards",
        "dispatch.shipment.read", "invoicing.invoice.read", "ewaybill.bill.read",
        "notify.notification.read", "notify.template.preview",
        scopes=[Scope.SALES_OWNER]),
    Role.SALES_HEAD: _reach(
        *_SALES_DESK, *_CREDIT_READS, *_WAREHOUSE_READS, "sales.tracking.dashboards",
        "sales.customer.approve", "sales.customer.block", "sales.customer.partners", "sales.gst-rate.write",
        "sales.price-list.write", "sales.scheme.write", "sales.saga-exception.read", "inventory.routing-policy.set",
        "ewaybill.bill.read", "notify.notification.read", "notify.template.preview"),
    Role.FINANCE_EXECUTIVE: _reach(*_FINANCE, scopes=[Scope.APPROVAL_LIMIT]),
    Role.FINANCE_HEAD: _reach(*_FINANCE, "sales.customer.block", "inventory.transfer-price.set",
                              scopes=[Scope.APPROVAL_LIMIT]),
    Role.ACCOUNTANT: _reach(
        *_SALES_READS, *_CREDIT_READS, "credit.payment.record", "sales.tracking.dashboards",
        "invoicing.invoice.read", "invoicing.invoice.cancel", "invoicing.invoice.reissue",
        "invoicing.gst-return.read", "ewaybill.bill.read", "notify.notification.read",
        "inventory.transfer.read", "inventory.transfer-price.read"),
    Role.COMPLIANCE_OFFICER: _reach(
        *_SALES_READS, "sales.tracking.dashboards", "inventory.warehouse.read", "inventory.stock.read",
        "inventory.reservation.read", "inventory.routing-policy.read", "inventory.transfer.read",
        "invoicing.invoice.read", "invoicing.invoice.cancel", "invoicing.invoice.reissue", "invoicing.gst-return.read",
        "ewaybill.bill.read", "ewaybill.bill.act", "ewaybill.bill.regenerate", "ewaybill.threshold.add",
        "notify.notification.read"),
    Role.WAREHOUSE_COORDINATOR: _reach(
        *_SALES_READS, *_WAREHOUSE_READS, "sales.tracking.dashboards", "inventory.warehouse.register",
        "inventory.stock.move", "inventory.routing-policy.set", "inventory.transfer.dispatch",
        "inventory.transfer.receive", "inventory.transfer.read", "inventory.purchase-receipt.record",
        "inventory.purchase-receipt.read",
        "dispatch.pick-list.read", "dispatch.pick.confirm", "dispatch.shipment.read", "dispatch.gate.read",
        scopes=[Scope.WAREHOUSES]),
    Role.PICKER: _reach(
        "sales.tracking.read", *_WAREHOUSE_READS, "dispatch.pick-list.read", "dispatch.pick.confirm",
        "dispatch.shipment.read",
        scopes=[Scope.WAREHOUSES]),
    Role.DISPATCH_SUPERVISOR: _reach(
        *_SALES_READS, *_WAREHOUSE_READS, "sales.tracking.dashboards", "dispatch.pick-list.read",
        "dispatch.shipment.read", "dispatch.shipment.dispatch", "dispatch.gate.read", "ewaybill.bill.read",
        "inventory.transfer.read",
        "ewaybill.bill.act", "ewaybill.bill.regenerate", "notify.notification.read",
        scopes=[Scope.WAREHOUSES]),
    Role.CUSTOMER: _reach(
        *_SALES_READS, *_CREDIT_READS, "sales.order.cancel", "invoicing.invoice.read",
        "notify.notification.read",
        scopes=[Scope.CUSTOMER]),
    Role.PARTNER: _reach(
        *_SALES_READS, "sales.order.enter", "inventory.atp.read", "notify.webhook.subscribe",
        scopes=[Scope.PARTNER]),
    Role.SRE: _reach(
        "sales.tracking.read", "sales.tracking.dashboards", "sales.saga-exception.read",
        "notify.webhook.subscribe", "notify.webhook.delivery.read",
        "admin.dead-letter.read", "admin.dead-letter.resolve",
        "sales.dead-letter-group.read", "sales.dead-letter-group.resolve"),
}

# Routes open without a token, by (method, path): probes, the static console and its forwarder (which passes
# the caller's own token to the owning service, where the policy applies). Metrics have their own port.
PUBLIC: frozenset[tuple[str, str]] = frozenset({
    ("GET", "/healthz"), ("GET", "/readyz"),
    ("GET", "/console"), ("GET", "/console/{path}"), ("GET", "/console/config.json"),
    ("GET", "/console/api/{service}/{path}"), ("POST", "/console/api/{service}/{path}"),
    ("PUT", "/console/api/{service}/{path}"),
})
# Routes that authenticate themselves (a one-use ticket, or the bearer header) and call `authorize`.
SELF_AUTHORISED: dict[tuple[str, str], str] = {
    ("GET", "/tracking/orders/{order_id}/stream"): "sales.tracking.read",
}


def allowed(roles: Iterable[Role], action: str) -> bool:
    return any(action in POLICY[r].actions for r in roles if r in POLICY)


def roles_for(action: str) -> frozenset[Role]:
    return frozenset(r for r, reach in POLICY.items() if action in reach.actions)


def _limited(principal: Principal, scope: Scope) -> bool:
    """Every role of the login carries `scope`: it is held to it (a role without the scope is not)."""
    return bool(principal.roles) and all(scope in POLICY[r].scopes for r in principal.roles)


@dataclass(frozen=True, slots=True)
class Confinement:
    """How far a caller reaches across customers: everyone, or only the customers named here."""

    everyone: bool = False
    customer_id: str | None = None
    """A customer login: this customer."""
    partner_id: str | None = None
    """A partner: the customers it serves."""
    sales_owner: str | None = None
    """A sales coordinator: the customers of this owner."""

    @property
    def needs_replica(self) -> bool:
        return bool(self.partner_id or self.sales_owner)


def confinement(p: Principal) -> Confinement:
    """The one rule for a caller's customer reach, read from the roles' scopes in POLICY: a role without a
    customer-kind scope reaches every customer; a coordinator without a `sales_owner` claim likewise."""
    customer_id = partner_id = sales_owner = None
    for role in p.roles:
        scopes = POLICY[role].scopes
        if Scope.CUSTOMER in scopes:
            customer_id = p.customer_id or None
        elif Scope.PARTNER in scopes:
            partner_id = p.partner_id or None
        elif Scope.SALES_OWNER in scopes:
            if not p.sales_owner:
                return Confinement(everyone=True)
            sales_owner = p.sales_owner
        else:
            return Confinement(everyone=True)
    return Confinement(customer_id=customer_id, partner_id=partner_id, sales_owner=sales_owner)


def sees_customer(principal: Principal, customer_id: str, *, sales_owner: str | None = None,
                  partners: Collection[str] | None = None) -> bool:
    """Whether some role of the login reaches `customer_id`. `sales_owner` is the customer's owner and
    `partners` its bound partners, where the caller knows them. No role: nothing."""
    for role in principal.roles:
        scopes = POLICY[role].scopes
        if Scope.CUSTOMER in scopes:
            if principal.customer_id is not None and principal.customer_id == customer_id:
                return True
        elif Scope.PARTNER in scopes:
            if principal.partner_id and partners is not None and principal.partner_id in partners:
                return True
        elif Scope.SALES_OWNER in scopes:
            if not principal.sales_owner or sales_owner is None or sales_owner == principal.sales_owner:
                return True
        else:
            return True
    return False


def acts_at_warehouse(principal: Principal, warehouse_id: str) -> bool:
    """Whether some role of the login reaches `warehouse_id`: a warehouse-scoped role only at the warehouses
    of its claim (none: nowhere); any other role anywhere. No role: nowhere."""
    for role in principal.roles:
        if Scope.WAREHOUSES not in POLICY[role].scopes or warehouse_id in principal.warehouse_ids:
            return True
    return False


def warehouse_scope(principal: Principal) -> frozenset[str] | None:
    """The warehouses a login is held to (empty: none), or None when it reaches every warehouse."""
    if not principal.roles:
        return frozenset()
    if _limited(principal, Scope.WAREHOUSES):
        return principal.warehouse_ids
    return None


def authorize(principal: Principal, action: str) -> Principal:
    """The login acting in the capacity of the roles that grant `action` (its scopes are theirs), or 403."""
    if action not in ACTIONS:
        raise RuntimeError(f"no action {action!r} in the access policy")
    granting = frozenset(r for r in principal.roles if r in POLICY and action in POLICY[r].actions)
    if not granting:
        detail = (f"this login may not {ACTIONS[action]}" if principal.roles
                  else "this login holds no role o2c knows")
        raise Problem(403, "Forbidden", detail, type_=PROBLEM_BASE + "forbidden-action", action=action)
    return principal if granting == principal.roles else principal.model_copy(update={"roles": granting})


class _Guard:
    """A route's policy dependency; `action` names what the route does (the matrix tests read it)."""

    def __init__(self, action: str) -> None:
        if action not in ACTIONS:
            raise RuntimeError(f"no action {action!r} in the access policy")
        self.action = action

    async def __call__(self, principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        return authorize(principal, self.action)


def allow(action: str) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency: a bearer token whose roles grant `action` (401 without a good token, else 403)."""
    return _Guard(action)


def action_of(route: Any) -> str | None:
    """The action a route declares (through `allow`), or the one it authorises itself; None: no policy."""
    stack = [getattr(route, "dependant", None)]
    while stack:
        dependant = stack.pop()
        if dependant is None:
            continue
        if isinstance(dependant.call, _Guard):
            return dependant.call.action
        stack.extend(dependant.dependencies)
    for method in getattr(route, "methods", ()) or ():
        found = SELF_AUTHORISED.get((method, str(getattr(route, "path_format", ""))))
        if found:
            return found
    return None


def routes_of(app: Any) -> list[tuple[str, str, Any]]:
    """(method, path, route) for every API route of an app, routers included (FastAPI's route contexts)."""
    from fastapi.routing import APIRoute, iter_route_contexts

    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute):
            found += [(m, str(context.path_format), context) for m in sorted(context.methods or ())]
    return sorted(found, key=lambda t: (t[1], t[0]))


def table() -> str:
    """docs/security.md: the role × service × action table, generated from POLICY."""
    roles = list(POLICY)
    head = ["# Access policy", "",
            "Generated from `libs/kit/src/o2c/kit/policy.py` by `make security-doc` "
            "(`python -m o2c.kit.policy write`); a test fails when this file differs from the policy. "
            "Deny by default: a role may do only what is marked here; a login whose roles o2c does not know "
            "may do nothing (403); a bad or missing token is 401.", "",
            "## Scopes", "",
            "| role | scopes |", "|---|---|"]
    head += [f"| {r.value} | {', '.join(sorted(s.value for s in POLICY[r].scopes)) or 'none (every customer)'} |"
             for r in roles]
    head += ["", "- customer: only the login's own `customer_id`.",
             "- partner: only customers bound to the login's `partner_id` (customer-master data).",
             "- sales_owner: with a `sales_owner` claim, only the customers that owner holds.",
             "- warehouses: only the warehouses of the `warehouse_ids` claim; without the claim, nowhere.",
             "- approval_limit: sanctions up to the token's `approval_limit`.", ""]
    head += ["## Routes", "",
             "Every route declares its action: `Depends(allow(\"<action>\"))` (the OpenAPI operation carries it as "
             "`x-o2c-action`); `tests/security/test_role_route_matrix.py` fails for a route without one and checks "
             "each route × role against this table. Open without a token: "
             + ", ".join(f"`{m} {p}`" for m, p in sorted(PUBLIC))
             + ". Authorising itself (a stream ticket or the bearer header): "
             + ", ".join(f"`{m} {p}` ({a})" for (m, p), a in sorted(SELF_AUTHORISED.items())) + ".", ""]
    abbrev = {r: "".join(w[0] for w in r.value.split("_")).upper() if "_" in r.value else r.value.upper()
              for r in roles}
    abbrev.update({Role.ACCOUNTANT: "AC", Role.PICKER: "PK", Role.CUSTOMER: "CU", Role.PARTNER: "PA"})
    head += ["## Actions", "", "Columns: " + ", ".join(f"{abbrev[r]} = {r.value}" for r in roles) + ".", ""]
    for service in (*SERVICES, EVERY_SERVICE):
        actions = [a for a in ACTIONS if service_of(a) == service]
        head += [f"### {service}", "", "| action | what | " + " | ".join(abbrev[r] for r in roles) + " |",
                 "|---|---|" + "---|" * len(roles)]
        for action in actions:
            marks = " | ".join("x" if action in POLICY[r].actions else "" for r in roles)
            head.append(f"| `{action}` | {ACTIONS[action]} | {marks} |")
        head.append("")
    return "\n".join(head + broker_section())


def broker_section() -> list[str]:
    """docs/security.md's Kafka part: who the broker admits and to what (o2c.contracts.access)."""
    from o2c.contracts.access import Grant, fixture_grants, partner_grants

    def rows(user: str, grants: list[Grant]) -> list[str]:
        return [f"| {user} | {g.resource} | `{g.name}` | {g.pattern} | {', '.join(g.operations)} |" for g in grants]

    return ["## The broker (Kafka)", "",
            "Every client authenticates with SCRAM-SHA-512 (locally `SASL_PLAINTEXT` on 127.0.0.1, on Kubernetes "
            "over TLS); the broker's standard authorizer denies what no ACL allows "
            "(`allow.everyone.if.no.acl.found=false`). The grants come from one computation, "
            "`o2c.contracts.access`: `deploy/local/stack.sh` applies them to the local broker, "
            "`deploy/k8s/generate.py` writes them as Strimzi KafkaUsers.", "",
            "- **A service** (`o2c-<service>`): WRITE, DESCRIBE on the topics the topic registry names it the "
            "producer of (its events and dead letters; sales also the commands and the GST rates); READ, DESCRIBE "
            "on the topics it consumes (its ServiceDefinition's subscriptions and read models'); READ, DESCRIBE on "
            "its consumer group `o2c-<service>` and `o2c-<service>.*` (read models). No topic creation, no "
            "cluster right. `deploy/local/kafka_access.py spec` prints every grant.",
            "- **The admin** (`o2c-admin`, local only): the super user, used by the SRE's scripts alone (topic "
            "creation, ACLs, partner onboarding); its credentials are in `.stack/kafka/admin.*`, never in a "
            "service's or a test's environment.",
            "- **A partner** (`partner-<partner>`, onboarded by `deploy/local/stack.sh partner add <partner>`): "
            "its own order-status topic, read only, and its own consumer groups:", "",
            "| user | resource | name | pattern | operations |", "|---|---|---|---|---|",
            *rows("partner-acme", partner_grants("acme")), "",
            "- **The test fixtures, the demo driver and `bench/`** (`o2c-test`, local only): their per-run "
            "prefixes, and DESCRIBE (listing, not reading) on the real topics:", "",
            "| user | resource | name | pattern | operations |", "|---|---|---|---|---|",
            *rows("o2c-test", fixture_grants()), ""]


def _main(argv: list[str]) -> None:
    if argv[:1] == ["write"]:
        target = Path(argv[1]) if len(argv) > 1 else Path("docs/security.md")
        target.write_text(table())
        return
    sys.stdout.write(table())


if __name__ == "__main__":
    _main(sys.argv[1:])
