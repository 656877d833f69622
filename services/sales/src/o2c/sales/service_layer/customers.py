"""Customer master use cases: register (pending), approve, change with audit, block and unblock."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from o2c.contracts.v1 import sales
from o2c.sales.domain.actors import Actor
from o2c.sales.domain.customer import (
    Address,
    AuditEntry,
    Contact,
    Customer,
    CustomerStatus,
    GstCategory,
    ShipPolicy,
    ShortagePolicy,
)
from o2c.sales.domain.errors import RuleViolation
from o2c.sales.domain.geography import INDIA_POST, PincodeDirectory
from o2c.sales.domain.gstin import Pan
from o2c.sales.service_layer.errors import NotFoundError
from o2c.sales.service_layer.facts import customer_facts
from o2c.sales.service_layer.ports import UnitOfWork


@dataclass(frozen=True)
class RegisterCustomer:
    code: str
    legal_name: str
    pan: Pan | None
    gst_category: GstCategory
    addresses: tuple[Address, ...]
    payment_terms_days: int
    price_list_code: str
    sales_owner: str
    ship_policy: ShipPolicy
    shortage_policy: ShortagePolicy = ShortagePolicy.BACKORDER
    requested_credit_limit: Decimal | None = None
    credit_grace_days: int = 0
    contacts: tuple[Contact, ...] = ()


async def load_customer(uow: UnitOfWork, customer_id: str, *, lock: bool = False) -> Customer:
    customer = await uow.repo.get_customer(customer_id, lock=lock)
    if customer is None:
        raise NotFoundError("customer", customer_id)
    return customer


async def register_customer(
    uow: UnitOfWork, cmd: RegisterCustomer, by: Actor, at: datetime, directory: PincodeDirectory = INDIA_POST,
) -> Customer:
    """A new customer, pending until a sales head approves; every address checked (GSTIN, pincode, state)."""
    if await uow.repo.price_list(cmd.price_list_code, []) is None:
        from o2c.sales.domain.errors import InvalidValue

        raise InvalidValue("price_list_code", f"no price list {cmd.price_list_code!r}", cmd.price_list_code)
    customer = Customer.register(
        customer_id=f"cus-{uuid.uuid4().hex[:12]}", code=cmd.code, legal_name=cmd.legal_name, pan=cmd.pan,
        gst_category=cmd.gst_category, addresses=cmd.addresses, payment_terms_days=cmd.payment_terms_days,
        price_list_code=cmd.price_list_code, sales_owner=cmd.sales_owner, ship_policy=cmd.ship_policy,
        created_by=by, at=at, shortage_policy=cmd.shortage_policy,
        requested_credit_limit=cmd.requested_credit_limit, credit_grace_days=cmd.credit_grace_days,
        directory=directory, contacts=cmd.contacts,
    )
    await uow.repo.add_customer(customer)
    return customer


async def approve_customer(uow: UnitOfWork, customer_id: str, by: Actor, at: datetime) -> Customer:
    """Pending → active by a sales head who did not create it; credit opens a profile from CustomerApproved."""
    customer = await load_customer(uow, customer_id, lock=True)
    entries = customer.approve(by, at)
    await uow.repo.save_customer(customer, entries)
    uow.publish(sales.CustomerApproved(**customer_facts(customer), approved_at=at))
    return customer


@dataclass(frozen=True)
class ChangeCustomer:
    """Only the fields given change; addresses listed replace (or add) the address with the same id."""

    legal_name: str | None = None
    payment_terms_days: int | None = None
    credit_grace_days: int | None = None
    price_list_code: str | None = None
    sales_owner: str | None = None
    ship_policy: ShipPolicy | None = None
    shortage_policy: ShortagePolicy | None = None
    requested_credit_limit: Decimal | None = None
    gst_category: GstCategory | None = None
    addresses: tuple[Address, ...] = ()
    remove_addresses: tuple[str, ...] = ()
    contacts: tuple[Contact, ...] | None = None


async def change_customer(
    uow: UnitOfWork, customer_id: str, change: ChangeCustomer, by: Actor, at: datetime,
    directory: PincodeDirectory = INDIA_POST,
) -> tuple[Customer, list[AuditEntry]]:
    customer = await load_customer(uow, customer_id, lock=True)
    entries: list[AuditEntry] = []
    if change.legal_name is not None:
        entries += customer.rename(change.legal_name, by, at)
    if change.payment_terms_days is not None:
        entries += customer.change_payment_terms(change.payment_terms_days, by, at)
    if change.credit_grace_days is not None:
        entries += customer.change_credit_grace_days(change.credit_grace_days, by, at)
    if change.price_list_code is not None:
        if await uow.repo.price_list(change.price_list_code, []) is None:
            from o2c.sales.domain.errors import InvalidValue

            raise InvalidValue("price_list_code", f"no price list {change.price_list_code!r}")
        entries += customer.change_price_list(change.price_list_code, by, at)
    if change.sales_owner is not None:
        entries += customer.change_sales_owner(change.sales_owner, by, at)
    if change.ship_policy is not None:
        entries += customer.change_ship_policy(change.ship_policy, by, at)
    if change.shortage_policy is not None:
        entries += customer.change_shortage_policy(change.shortage_policy, by, at)
    if change.requested_credit_limit is not None:
        entries += customer.change_requested_credit_limit(change.requested_credit_limit, by, at)
    known = {a.address_id for a in customer.addresses}
    for new in change.addresses:
        if new.address_id in known:
            entries += customer.replace_address(new, by, at, directory)
        else:
            entries += customer.add_address(new, by, at, directory)
    for address_id in change.remove_addresses:
        entries += customer.remove_address(address_id, by, at)
    if change.gst_category is not None:
        entries += customer.change_gst_category(change.gst_category, by, at, directory)
    if change.contacts is not None:
        entries += customer.change_contacts(change.contacts, by, at)
    if entries:
        await uow.repo.save_customer(customer, entries)
        _announce_change(uow, customer, entries, at)
    return customer, entries


def _announce_change(uow: UnitOfWork, customer: Customer, entries: Sequence[AuditEntry], at: datetime) -> None:
    """Partners hear of a customer once it is approved; a pending one's changes stay in sales."""
    if customer.approved_at is None and customer.status is CustomerStatus.PENDING:
        return
    changed = sorted({e.field.split(".")[0] for e in entries})
    uow.publish(sales.CustomerUpdated(**customer_facts(customer), updated_at=at, changed_fields=changed))


async def serve_by_partners(uow: UnitOfWork, customer_id: str, partner_ids: Sequence[str], by: Actor,
                            at: datetime) -> Customer:
    """The sales head names the partners serving a customer; every service learns it from CustomerUpdated."""
    customer = await load_customer(uow, customer_id, lock=True)
    entries = customer.serve_by_partners(partner_ids, by, at)
    if entries:
        await uow.repo.save_customer(customer, entries)
        _announce_change(uow, customer, entries, at)
    return customer


async def announce_all(uow: UnitOfWork, at: datetime) -> int:
    """Every announced customer's record once more (CustomerUpdated, revision unchanged): a service that began
    replicating the customer scope after those customers were approved fills its replica; readers that hold the
    revision already change nothing."""
    ids = await uow.repo.announced_customer_ids()
    for customer_id in ids:
        customer = await load_customer(uow, customer_id)
        uow.publish(sales.CustomerUpdated(**customer_facts(customer), updated_at=at, changed_fields=[]))
    return len(ids)


async def block_customer(uow: UnitOfWork, customer_id: str, reason: str, by: Actor, at: datetime) -> Customer:
    customer = await load_customer(uow, customer_id, lock=True)
    if customer.status is CustomerStatus.BLOCKED:
        raise RuleViolation(f"customer {customer.code} is already blocked")
    entries = customer.block(by, at, reason)
    await uow.repo.save_customer(customer, entries)
    _announce_change(uow, customer, entries, at)
    return customer


async def unblock_customer(uow: UnitOfWork, customer_id: str, by: Actor, at: datetime) -> Customer:
    customer = await load_customer(uow, customer_id, lock=True)
    entries = customer.unblock(by, at)
    await uow.repo.save_customer(customer, entries)
    _announce_change(uow, customer, entries, at)
    return customer
