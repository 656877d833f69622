"""The customer master: who may buy, where their goods go, under which GSTIN, and every change audited.

A GSTIN belongs to an address, not to the customer: a buyer registered in several states has one GSTIN per
state. A new customer is pending until a sales head (not the person who created it) approves it; only an
active customer can be quoted or sold to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from o2c.sales.domain.actors import Actor, Role
from o2c.sales.domain.errors import InvalidValue, RuleViolation, TransitionRefused
from o2c.sales.domain.geography import (
    INDIA_POST,
    Pincode,
    PincodeDirectory,
    StateCode,
    check_pincode_in_state,
)
from o2c.sales.domain.gstin import Gstin, Pan
from o2c.sales.domain.money import Money, money

MAX_PAYMENT_TERMS_DAYS = 365


PARTNER_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?")
"""A partner id names the partner's order-status topic, broker user and consumer groups (the contracts' partner
name, o2c.contracts.topics.PARTNER_NAME): letters, digits and inner hyphens, at most 64."""


class GstCategory(StrEnum):
    REGISTERED = "registered"
    UNREGISTERED = "unregistered"
    COMPOSITION = "composition"
    SEZ = "sez"
    OVERSEAS = "overseas"

    @property
    def is_registered(self) -> bool:
        """Registered buyers (regular, composition, SEZ units) carry a GSTIN at their billing addresses."""
        return self in (GstCategory.REGISTERED, GstCategory.COMPOSITION, GstCategory.SEZ)


class CustomerStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    BLOCKED = "blocked"
    INACTIVE = "inactive"


class ShipPolicy(StrEnum):
    """Whether the customer accepts an order in several deliveries (values as in the v1 contracts)."""

    SHIP_COMPLETE = "ship_complete"
    SHIP_PARTIAL = "ship_partial"


class ShortagePolicy(StrEnum):
    """What the customer wants when nothing can be reserved: wait for stock, or cancel."""

    BACKORDER = "backorder"
    CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class Address:
    """A billing and/or ship-to address. `third_party` marks a consignee who is not the buyer (bill-to /
    ship-to: the place of supply is then the buyer's billing state, IGST Act s.10(1)(b))."""

    address_id: str
    name: str
    line1: str
    place: str
    state_code: StateCode
    pincode: Pincode | None
    gstin: Gstin | None = None
    line2: str = ""
    district: str = ""
    is_billing: bool = True
    is_shipping: bool = True
    third_party: bool = False

    @property
    def is_abroad(self) -> bool:
        return self.state_code.is_abroad

    def summary(self) -> str:
        """One line for audit entries and messages."""
        parts = [self.name, self.line1, self.line2, self.place, f"{self.state_code.name} {self.pincode or ''}".strip()]
        text = ", ".join(p for p in parts if p)
        return f"{text}; GSTIN {self.gstin}" if self.gstin else text


CONTACT_CHANNELS = frozenset({"email", "sms", "whatsapp", "webhook"})


@dataclass(frozen=True, slots=True)
class Contact:
    """Who to tell about the customer's orders (notify's channels). Never logged."""

    name: str
    email: str | None = None
    phone: str | None = None
    channels: tuple[str, ...] = ()

    def summary(self) -> str:
        return f"{self.name} ({', '.join(self.channels) or 'no channel'})"


def check_contact(contact: Contact, field: str) -> None:
    if not contact.name.strip():
        raise InvalidValue(f"{field}.name", "is required")
    if not contact.email and not contact.phone:
        raise InvalidValue(field, "a contact needs an e-mail address or a phone number")
    if contact.email is not None and "@" not in contact.email:
        raise InvalidValue(f"{field}.email", f"{contact.email!r} is not an e-mail address")
    unknown = sorted(set(contact.channels) - CONTACT_CHANNELS)
    if unknown:
        raise InvalidValue(f"{field}.channels", f"unknown channel(s): {', '.join(unknown)}")
    if "email" in contact.channels and not contact.email:
        raise InvalidValue(f"{field}.email", "the e-mail channel needs an e-mail address")
    if {"sms", "whatsapp"} & set(contact.channels) and not contact.phone:
        raise InvalidValue(f"{field}.phone", "SMS and WhatsApp need a phone number")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change of a master record: who changed which field when, from what to what."""

    who: str
    when: datetime
    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class TradeCheck:
    """Whether quotations and orders may be made for the customer, and if not, why."""

    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidValue("at", "instants carry a time zone (store UTC)", at)
    return at


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, StrEnum):
        return value.value
    return str(value)


def check_address(
    address: Address,
    category: GstCategory,
    pan: Pan | None,
    field: str,
    directory: PincodeDirectory = INDIA_POST,
) -> None:
    """Every rule an address must pass for a customer of `category` with `pan`; InvalidValue names the field."""
    if not address.address_id.strip():
        raise InvalidValue(f"{field}.address_id", "is required")
    if not address.name.strip() or not address.line1.strip() or not address.place.strip():
        raise InvalidValue(field, "name, first line and place are required")
    if address.third_party and address.is_billing:
        raise InvalidValue(f"{field}.third_party", "a billing address is the buyer's own, not a third party's")
    if not (address.is_billing or address.is_shipping):
        raise InvalidValue(field, "an address is used for billing, shipping, or both")
    if address.is_abroad:
        if category is not GstCategory.OVERSEAS:
            raise InvalidValue(f"{field}.state_code", "only an overseas customer has an address in other countries")
        if address.gstin is not None:
            raise InvalidValue(f"{field}.gstin", "an address abroad carries no GSTIN")
        return
    if category is GstCategory.OVERSEAS and address.is_billing:
        raise InvalidValue(f"{field}.state_code", "an overseas customer's billing address is abroad (state code 96)")
    if address.pincode is None:
        raise InvalidValue(f"{field}.pincode", "an address in India needs its pincode")
    check_pincode_in_state(address.pincode, address.state_code, f"{field}.pincode", directory)
    gstin = address.gstin
    if gstin is None:
        if category.is_registered and address.is_billing:
            raise InvalidValue(
                f"{field}.gstin",
                f"a {category.value} customer's billing address needs the GSTIN registered in "
                f"{address.state_code.name}",
            )
        return
    if not category.is_registered:
        raise InvalidValue(
            f"{field}.gstin", f"GSTIN {gstin}: a {category.value} customer carries no GSTIN; change the GST category"
        )
    if gstin.state_code != address.state_code:
        raise InvalidValue(
            f"{field}.gstin",
            f"GSTIN {gstin} is registered in {gstin.state_code.name} ({gstin.state_code}), but the address is in "
            f"{address.state_code.name} ({address.state_code})",
            gstin.value,
        )
    if pan is not None and gstin.pan != pan:
        raise InvalidValue(
            f"{field}.gstin", f"GSTIN {gstin} belongs to PAN {gstin.pan}, not the customer's PAN {pan}", gstin.value
        )


def _check_address_book(addresses: Sequence[Address]) -> None:
    ids = [a.address_id for a in addresses]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InvalidValue("addresses", f"address ids must be unique: {', '.join(duplicates)}")
    if not any(a.is_billing for a in addresses):
        raise InvalidValue("addresses", "at least one billing address is required")
    if not any(a.is_shipping for a in addresses):
        raise InvalidValue("addresses", "at least one ship-to address is required")


_TRANSITIONS: dict[CustomerStatus, frozenset[CustomerStatus]] = {
    CustomerStatus.PENDING: frozenset({CustomerStatus.ACTIVE, CustomerStatus.INACTIVE}),
    CustomerStatus.ACTIVE: frozenset({CustomerStatus.BLOCKED, CustomerStatus.INACTIVE}),
    CustomerStatus.BLOCKED: frozenset({CustomerStatus.ACTIVE, CustomerStatus.INACTIVE}),
    # Re-activating a dormant customer goes through approval again.
    CustomerStatus.INACTIVE: frozenset({CustomerStatus.PENDING}),
}


@dataclass
class Customer:
    """The customer aggregate. Create with `Customer.register`; the constructor only rehydrates."""

    customer_id: str
    code: str
    legal_name: str
    pan: Pan | None
    gst_category: GstCategory
    addresses: tuple[Address, ...]
    payment_terms_days: int
    price_list_code: str
    sales_owner: str
    ship_policy: ShipPolicy
    created_by: str
    created_at: datetime
    shortage_policy: ShortagePolicy = ShortagePolicy.BACKORDER
    requested_credit_limit: Money | None = None
    credit_grace_days: int = 0
    contacts: tuple[Contact, ...] = ()
    status: CustomerStatus = CustomerStatus.PENDING
    status_reason: str = ""
    approved_by: str | None = None
    approved_at: datetime | None = None
    revision: int = 1
    audit: list[AuditEntry] = field(default_factory=list)
    partner_ids: tuple[str, ...] = ()
    """Partner systems that serve this customer: a partner token sees only the customers naming it."""

    # --- creation ------------------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        *,
        customer_id: str,
        code: str,
        legal_name: str,
        pan: Pan | str | None,
        gst_category: GstCategory,
        addresses: Iterable[Address],
        payment_terms_days: int,
        price_list_code: str,
        sales_owner: str,
        ship_policy: ShipPolicy,
        created_by: Actor,
        at: datetime,
        shortage_policy: ShortagePolicy = ShortagePolicy.BACKORDER,
        requested_credit_limit: Decimal | str | None = None,
        credit_grace_days: int = 0,
        directory: PincodeDirectory = INDIA_POST,
        contacts: Iterable[Contact] = (),
    ) -> Customer:
        """A new customer, pending approval, after every master-data rule has passed."""
        name = legal_name.strip()
        if not name:
            raise InvalidValue("legal_name", "is required")
        if not code.strip():
            raise InvalidValue("code", "is required")
        the_pan = Pan.parse(pan) if isinstance(pan, str) else pan
        if the_pan is None and gst_category.is_registered:
            raise InvalidValue("pan", f"a {gst_category.value} customer needs a PAN")
        book = tuple(addresses)
        _check_address_book(book)
        for index, address in enumerate(book):
            check_address(address, gst_category, the_pan, f"addresses[{index}]", directory)
        customer = cls(
            customer_id=customer_id,
            code=code.strip(),
            legal_name=name,
            pan=the_pan,
            gst_category=gst_category,
            addresses=book,
            payment_terms_days=_payment_terms(payment_terms_days),
            price_list_code=_required(price_list_code, "price_list_code"),
            sales_owner=_required(sales_owner, "sales_owner"),
            ship_policy=ship_policy,
            shortage_policy=shortage_policy,
            requested_credit_limit=_credit_limit(requested_credit_limit),
            credit_grace_days=_grace_days(credit_grace_days),
            created_by=created_by.user_id,
            created_at=_aware(at),
            contacts=_contacts(contacts),
        )
        customer.audit.append(AuditEntry(created_by.user_id, at, "customer", None, "registered (pending approval)"))
        return customer

    # --- trading ----------------------------------------------------------------------------------

    def can_trade(self) -> TradeCheck:
        """Whether quotations and orders may be made now; the reason is shown to the user when not."""
        if self.status is CustomerStatus.ACTIVE:
            return TradeCheck(True)
        if self.status is CustomerStatus.PENDING:
            return TradeCheck(False, f"customer {self.code} is pending approval by a sales head")
        why = f": {self.status_reason}" if self.status_reason else ""
        return TradeCheck(False, f"customer {self.code} is {self.status.value}{why}")

    def ensure_can_trade(self) -> None:
        check = self.can_trade()
        if not check.allowed:
            raise RuleViolation(check.reason)

    def address(self, address_id: str) -> Address:
        for address in self.addresses:
            if address.address_id == address_id:
                return address
        raise RuleViolation(f"customer {self.code} has no address {address_id!r}")

    def ship_to(self, address_id: str) -> Address:
        address = self.address(address_id)
        if not address.is_shipping:
            raise RuleViolation(f"address {address_id!r} of customer {self.code} is not a ship-to address")
        return address

    @property
    def billing_address(self) -> Address:
        return next(a for a in self.addresses if a.is_billing)

    def billing_address_for(self, ship_to: Address) -> Address:
        """The billing address to invoice a delivery to `ship_to`: the registration in the same state when
        the buyer has one there, else the first billing address."""
        same_state = [a for a in self.addresses if a.is_billing and a.state_code == ship_to.state_code]
        return same_state[0] if same_state else self.billing_address

    # --- lifecycle --------------------------------------------------------------------------------

    def approve(self, by: Actor, at: datetime) -> list[AuditEntry]:
        """Pending → active; only a sales head who did not create the customer may approve."""
        if not by.has_any([Role.SALES_HEAD]):
            raise RuleViolation("only a sales head may approve a customer")
        if by.user_id == self.created_by:
            raise RuleViolation("a customer is approved by someone other than the person who created it")
        entries = self._move(CustomerStatus.ACTIVE, by, at, "")
        self.approved_by, self.approved_at = by.user_id, at
        return entries

    def block(self, by: Actor, at: datetime, reason: str) -> list[AuditEntry]:
        if not by.has_any([Role.SALES_HEAD, Role.FINANCE_HEAD]):
            raise RuleViolation("only a sales head or finance head may block a customer")
        return self._move(CustomerStatus.BLOCKED, by, at, _required(reason, "reason"))

    def unblock(self, by: Actor, at: datetime) -> list[AuditEntry]:
        if self.status is not CustomerStatus.BLOCKED:
            raise TransitionRefused(f"customer {self.code}", self.status.value, "active", "only a blocked one unblocks")
        if not by.has_any([Role.SALES_HEAD, Role.FINANCE_HEAD]):
            raise RuleViolation("only a sales head or finance head may unblock a customer")
        return self._move(CustomerStatus.ACTIVE, by, at, "")

    def deactivate(self, by: Actor, at: datetime, reason: str) -> list[AuditEntry]:
        return self._move(CustomerStatus.INACTIVE, by, at, _required(reason, "reason"))

    def reactivate(self, by: Actor, at: datetime) -> list[AuditEntry]:
        """Inactive → pending: a dormant customer is approved again before trading."""
        entries = self._move(CustomerStatus.PENDING, by, at, "")
        self.approved_by = self.approved_at = None
        return entries

    def _move(self, wanted: CustomerStatus, by: Actor, at: datetime, reason: str) -> list[AuditEntry]:
        _aware(at)
        if wanted not in _TRANSITIONS[self.status]:
            raise TransitionRefused(f"customer {self.code}", self.status.value, wanted.value)
        before = self.status
        self.status, self.status_reason = wanted, reason
        after = f"{wanted.value}: {reason}" if reason else wanted.value
        return [self._record(by, at, "status", before.value, after)]

    # --- changes (each returns the audit entries it produced; none when nothing changed) ----------

    def rename(self, legal_name: str, by: Actor, at: datetime) -> list[AuditEntry]:
        return self._set("legal_name", _required(legal_name, "legal_name"), by, at)

    def change_payment_terms(self, days: int, by: Actor, at: datetime) -> list[AuditEntry]:
        return self._set("payment_terms_days", _payment_terms(days), by, at)

    def change_credit_grace_days(self, days: int, by: Actor, at: datetime) -> list[AuditEntry]:
        return self._set("credit_grace_days", _grace_days(days), by, at)

    def change_price_list(self, price_list_code: str, by: Actor, at: datetime) -> list[AuditEntry]:
        return self._set("price_list_code", _required(price_list_code, "price_list_code"), by, at)

    def change_sales_owner(self, sales_owner: str, by: Actor, at: datetime) -> list[AuditEntry]:
        return self._set("sales_owner", _required(sales_owner, "sales_owner"), by, at)

    def serve_by_partners(self, partner_ids: Iterable[str], by: Actor, at: datetime) -> list[AuditEntry]:
        """Set which partners serve this customer (the sales head's decision; audited like other master data)."""
        if not by.has_any([Role.SALES_HEAD]):
            raise RuleViolation("only a sales head decides which partners serve a customer")
        chosen: list[str] = []
        for index, raw in enumerate(partner_ids):
            partner = raw.strip()
            if PARTNER_ID.fullmatch(partner) is None:
                raise InvalidValue(f"partner_ids[{index}]", "a partner id of letters, digits and inner hyphens, "
                                   "at most 64 (it names the partner's order-status topic)")
            if partner not in chosen:
                chosen.append(partner)
        new = tuple(sorted(chosen))
        if new == self.partner_ids:
            return []
        _aware(at)
        before = ", ".join(self.partner_ids) or None
        self.partner_ids = new
        return [self._record(by, at, "partner_ids", before, ", ".join(new) or None)]

    def change_ship_policy(self, policy: ShipPolicy, by: Actor, at: datetime) -> list[AuditEntry]:
        return self._set("ship_policy", policy, by, at)

    def change_shortage_policy(self, policy: ShortagePolicy, by: Actor, at: datetime) -> list[AuditEntry]:
        return self._set("shortage_policy", policy, by, at)

    def change_contacts(self, contacts: Iterable[Contact], by: Actor, at: datetime) -> list[AuditEntry]:
        new = _contacts(contacts)
        if new == self.contacts:
            return []
        _aware(at)
        before = "; ".join(c.summary() for c in self.contacts) or None
        self.contacts = new
        return [self._record(by, at, "contacts", before, "; ".join(c.summary() for c in new) or None)]

    def change_requested_credit_limit(self, amount: Decimal | str | None, by: Actor, at: datetime) -> list[AuditEntry]:
        return self._set("requested_credit_limit", _credit_limit(amount), by, at)

    def change_gst_category(
        self, category: GstCategory, by: Actor, at: datetime, directory: PincodeDirectory = INDIA_POST
    ) -> list[AuditEntry]:
        """A buyer who registers (or gives up registration); every address must fit the new category."""
        if category.is_registered and self.pan is None:
            raise InvalidValue("pan", f"a {category.value} customer needs a PAN")
        for index, address in enumerate(self.addresses):
            check_address(address, category, self.pan, f"addresses[{index}]", directory)
        return self._set("gst_category", category, by, at)

    def add_address(
        self, address: Address, by: Actor, at: datetime, directory: PincodeDirectory = INDIA_POST
    ) -> list[AuditEntry]:
        if any(a.address_id == address.address_id for a in self.addresses):
            raise InvalidValue("address.address_id", f"address {address.address_id!r} already exists")
        check_address(address, self.gst_category, self.pan, "address", directory)
        _aware(at)
        self.addresses = (*self.addresses, address)
        return [self._record(by, at, f"addresses.{address.address_id}", None, address.summary())]

    def replace_address(
        self, address: Address, by: Actor, at: datetime, directory: PincodeDirectory = INDIA_POST
    ) -> list[AuditEntry]:
        before = self.address(address.address_id)
        if before == address:
            return []
        check_address(address, self.gst_category, self.pan, "address", directory)
        book = tuple(address if a.address_id == address.address_id else a for a in self.addresses)
        _check_address_book(book)
        _aware(at)
        self.addresses = book
        return [self._record(by, at, f"addresses.{address.address_id}", before.summary(), address.summary())]

    def remove_address(self, address_id: str, by: Actor, at: datetime) -> list[AuditEntry]:
        before = self.address(address_id)
        book = tuple(a for a in self.addresses if a.address_id != address_id)
        _check_address_book(book)
        _aware(at)
        self.addresses = book
        return [self._record(by, at, f"addresses.{address_id}", before.summary(), None)]

    def _set(self, name: str, value: object, by: Actor, at: datetime) -> list[AuditEntry]:
        _aware(at)  # before changing anything
        before = getattr(self, name)
        if before == value:
            return []
        setattr(self, name, value)
        return [self._record(by, at, name, _text(before), _text(value))]

    def _record(self, by: Actor, at: datetime, name: str, before: str | None, after: str | None) -> AuditEntry:
        entry = AuditEntry(by.user_id, _aware(at), name, before, after)
        self.audit.append(entry)
        self.revision += 1
        return entry


def _contacts(contacts: Iterable[Contact]) -> tuple[Contact, ...]:
    book = tuple(contacts)
    for index, contact in enumerate(book):
        check_contact(contact, f"contacts[{index}]")
    return book


def _required(value: str, name: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidValue(name, "is required")
    return text


def _payment_terms(days: int) -> int:
    if not 0 <= days <= MAX_PAYMENT_TERMS_DAYS:
        raise InvalidValue("payment_terms_days", f"must be between 0 and {MAX_PAYMENT_TERMS_DAYS}", days)
    return days


def _grace_days(days: int) -> int:
    if not 0 <= days <= MAX_PAYMENT_TERMS_DAYS:
        raise InvalidValue("credit_grace_days", f"must be between 0 and {MAX_PAYMENT_TERMS_DAYS}", days)
    return days


def _credit_limit(amount: Decimal | str | None) -> Money | None:
    if amount is None:
        return None
    limit = money(amount, "requested_credit_limit")
    if limit < 0:
        raise InvalidValue("requested_credit_limit", "cannot be negative", amount)
    return limit


def with_gstin(address: Address, gstin: Gstin | None) -> Address:
    """A copy of the address with another GSTIN (convenience for changes through `replace_address`)."""
    return replace(address, gstin=gstin)
