"""The sales order: lines at agreed prices with committed dates, its status, amendments and cancellation.

An order comes from a valid, unexpired quotation (prices and schemes as quoted) or is entered directly by an
authorised role. Each line keeps its committed (promised) ship date for on-time measurement. Before any goods
leave the gate the order can be amended (quantities, lines, ship-to) — each amendment is recorded and sends
the order back through the credit check — or cancelled. The saga (saga.py) decides releases, backorders and
compensation; this aggregate keeps the order's own facts and allowed status moves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from o2c.sales.domain.actors import Actor, Role
from o2c.sales.domain.catalog import Item, PricedLine, Pricing
from o2c.sales.domain.customer import Address, Contact, Customer, ShipPolicy, ShortagePolicy
from o2c.sales.domain.errors import InvalidValue, RuleViolation, TransitionRefused
from o2c.sales.domain.geography import StateCode
from o2c.sales.domain.money import Money
from o2c.sales.domain.numbering import DocumentNumber
from o2c.sales.domain.quotation import (
    DEFAULT_HANDLING_DAYS,
    LineRequest,
    Quotation,
    StockView,
    SupplyTerms,
    Totals,
    expected_supplier_state,
    price_lines,
)
from o2c.sales.domain.tax import TaxSplit

ORDER_ENTRY_ROLES = frozenset({Role.SALES_COORDINATOR, Role.SALES_HEAD, Role.PARTNER})


class OrderStatus(StrEnum):
    CONFIRMED = "confirmed"  # waiting for credit and stock (also after an amendment)
    CREDIT_HELD = "credit_held"  # waiting for a finance head's sanction
    RELEASED = "released"  # everything released to the warehouses
    PARTIALLY_RELEASED = "partially_released"  # part released, the rest backordered
    BACKORDERED = "backordered"  # nothing releasable yet, waiting for stock
    CANCELLED = "cancelled"
    CLOSED = "closed"


_OPEN = frozenset({OrderStatus.CONFIRMED, OrderStatus.CREDIT_HELD, OrderStatus.RELEASED,
                   OrderStatus.PARTIALLY_RELEASED, OrderStatus.BACKORDERED})

# Closed once everything that will ship has left and the customer was told: never from a credit hold, and from
# confirmed only for an amended order settled without a release of its own (its remainder cancelled) whose goods
# of the revision before had left the gate.
_CLOSABLE = _OPEN - {OrderStatus.CREDIT_HELD}

# While an order is open the saga moves it among the open statuses as the chain answers (a short pick not
# re-reserved leaves a released order partly backordered, a filled backorder waits for credit again, a pick
# list closed empty takes a release back), under the guards of the transitions below: a release only once
# credit has cleared the current revision, nothing after a cancellation or a close.
_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    **{status: (_OPEN - {status}) | {OrderStatus.CANCELLED}
       | (frozenset({OrderStatus.CLOSED}) if status in _CLOSABLE else frozenset()) for status in _OPEN},
    OrderStatus.CLOSED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class OrderLine:
    """A line at its agreed price and scheme, GST for the order's place of supply, and the committed date."""

    line_no: int
    priced: PricedLine
    tax: TaxSplit
    committed_date: date
    dispatch_state: StateCode | None = None
    """The state the line's goods leave from, once inventory has reserved them at a warehouse (its registration
    there is the invoice's supplier); None: not yet known, `tax` is estimated from the order's supplier state."""

    @property
    def item(self) -> Item:
        return self.priced.item

    @property
    def quantity(self) -> Decimal:
        return self.priced.quantity

    @property
    def taxable_value(self) -> Money:
        return self.priced.taxable_value

    @property
    def gross_value(self) -> Money:
        return self.taxable_value + self.tax.total


# --- amendments -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChangeQuantity:
    """New quantity at the agreed price; the line's scheme is re-applied to it (a slab may be lost)."""

    line_no: int
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class AddLine:
    """A new line priced by the caller (`Pricing.price` on the amendment date)."""

    priced: PricedLine
    committed_date: date


@dataclass(frozen=True, slots=True)
class RemoveLine:
    line_no: int


@dataclass(frozen=True, slots=True)
class ChangeShipTo:
    """Deliver elsewhere; may change the place of supply and so the tax split of every line."""

    ship_to: Address
    bill_to: Address | None = None


OrderChange = ChangeQuantity | AddLine | RemoveLine | ChangeShipTo


@dataclass(frozen=True, slots=True)
class Amendment:
    """The record of one amendment: what the order was and became. Always needs a credit re-check."""

    revision: int
    reason: str
    by: str
    at: datetime
    changes: tuple[OrderChange, ...]
    lines_before: tuple[OrderLine, ...]
    lines_after: tuple[OrderLine, ...]
    ship_to_before: Address
    ship_to_after: Address
    gross_before: Money
    gross_after: Money


# --- the order --------------------------------------------------------------------------------------


@dataclass
class SalesOrder:
    order_id: str
    number: DocumentNumber
    customer_id: str
    customer_code: str
    customer_name: str
    terms: SupplyTerms
    order_date: date
    lines: tuple[OrderLine, ...]
    ship_policy: ShipPolicy
    shortage_policy: ShortagePolicy
    payment_terms_days: int
    created_by: str
    created_at: datetime
    quotation_id: str | None = None
    customer_po_no: str | None = None
    status: OrderStatus = OrderStatus.CONFIRMED
    revision: int = 1
    credit_cleared_revision: int | None = None
    amendments: list[Amendment] = field(default_factory=list)
    dispatched_shipments: frozenset[str] = frozenset()
    status_reason: str = ""
    cancelled_by: str | None = None
    cancelled_at: datetime | None = None
    contact: Contact | None = None
    """Who the customer wants told about this order (its first contact when the order was taken)."""

    # --- creation ---------------------------------------------------------------------------------

    @classmethod
    def from_quotation(
        cls,
        *,
        quotation: Quotation,
        customer: Customer,
        order_id: str,
        number: DocumentNumber,
        today: date,
        by: Actor,
        at: datetime,
        customer_po_no: str | None = None,
    ) -> SalesOrder:
        """Convert a quotation: prices, schemes and taxes exactly as quoted. Refused when the quotation is
        expired, withdrawn or converted, or when the customer cannot trade. Committed dates keep the quoted
        lead: a line promised 3 days after the quotation is committed 3 days after the order."""
        refusal = quotation.conversion_refusal(today)
        if refusal is not None:
            raise RuleViolation(refusal)
        customer.ensure_can_trade()
        if customer.customer_id != quotation.customer_id:
            raise RuleViolation(f"quotation {quotation.number} is for another customer")
        lines = tuple(
            OrderLine(
                line.line_no,
                line.priced,
                line.tax,
                today + (line.promise.ship_date - quotation.quoted_on),
            )
            for line in quotation.lines
        )
        order = cls._new(order_id, number, customer, quotation.terms, lines, today, by, at, customer_po_no)
        order.quotation_id = quotation.quotation_id
        quotation.mark_converted(order_id, today)
        return order

    @classmethod
    def enter(
        cls,
        *,
        order_id: str,
        number: DocumentNumber,
        customer: Customer,
        ship_to_id: str,
        requests: Sequence[LineRequest],
        items: Mapping[str, Item],
        pricing: Pricing,
        stock: StockView,
        supplier_state: StateCode,
        today: date,
        by: Actor,
        at: datetime,
        customer_po_no: str | None = None,
        handling_days: int = DEFAULT_HANDLING_DAYS,
    ) -> SalesOrder:
        """An order entered directly by a sales coordinator, sales head or partner system."""
        if not by.has_any(ORDER_ENTRY_ROLES):
            raise RuleViolation("orders are entered by a sales coordinator, sales head or partner system")
        customer.ensure_can_trade()
        ship_to = customer.ship_to(ship_to_id)
        terms = SupplyTerms(customer.billing_address_for(ship_to), ship_to, customer.gst_category,
                            expected_supplier_state(stock, requests, supplier_state))
        quoted = price_lines(requests, items, pricing, customer.customer_id, terms, stock, today, handling_days)
        lines = tuple(OrderLine(q.line_no, q.priced, q.tax, q.promise.ship_date) for q in quoted)
        return cls._new(order_id, number, customer, terms, lines, today, by, at, customer_po_no)

    @classmethod
    def _new(
        cls,
        order_id: str,
        number: DocumentNumber,
        customer: Customer,
        terms: SupplyTerms,
        lines: tuple[OrderLine, ...],
        today: date,
        by: Actor,
        at: datetime,
        customer_po_no: str | None,
    ) -> SalesOrder:
        return cls(
            order_id=order_id,
            number=number,
            customer_id=customer.customer_id,
            customer_code=customer.code,
            customer_name=customer.legal_name,
            terms=terms,
            order_date=today,
            lines=lines,
            ship_policy=customer.ship_policy,
            shortage_policy=customer.shortage_policy,
            payment_terms_days=customer.payment_terms_days,
            created_by=by.user_id,
            created_at=at,
            customer_po_no=customer_po_no,
            contact=customer.contacts[0] if customer.contacts else None,
        )

    # --- values -----------------------------------------------------------------------------------

    @property
    def ship_to(self) -> Address:
        return self.terms.ship_to

    @property
    def bill_to(self) -> Address:
        return self.terms.bill_to

    @property
    def place_of_supply(self) -> StateCode:
        return self.terms.place_of_supply

    @property
    def totals(self) -> Totals:
        return Totals.of([line.taxable_value for line in self.lines], [line.tax for line in self.lines])

    @property
    def gross_value(self) -> Money:
        """Taxable value plus GST: what credit counts as exposure."""
        return self.totals.gross_value

    def line(self, line_no: int) -> OrderLine:
        for line in self.lines:
            if line.line_no == line_no:
                return line
        raise RuleViolation(f"order {self.number} has no line {line_no}")

    @property
    def needs_credit_check(self) -> bool:
        """True until credit has cleared the current revision (after an amendment, too)."""
        return self.credit_cleared_revision != self.revision

    @property
    def any_dispatched(self) -> bool:
        return bool(self.dispatched_shipments)

    # --- status -----------------------------------------------------------------------------------

    def _move(self, wanted: OrderStatus, reason: str = "") -> None:
        if self.status is wanted:
            return  # repeating a decision changes nothing
        if wanted not in _TRANSITIONS[self.status]:
            raise TransitionRefused(f"order {self.number}", self.status.value, wanted.value, reason)
        self.status, self.status_reason = wanted, reason

    def credit_cleared(self, revision: int) -> None:
        """Credit approved or sanctioned `revision`; a decision for an older revision is ignored."""
        if revision == self.revision:
            self.credit_cleared_revision = revision

    def wait_for_release(self, reason: str = "waiting for credit and stock") -> None:
        """Waiting again for credit and stock: a sanction given, a backorder filled, a release taken back."""
        self._move(OrderStatus.CONFIRMED, reason)

    def hold_for_credit(self, reason: str = "waiting for a finance head's sanction") -> None:
        self._move(OrderStatus.CREDIT_HELD, reason)

    def release(self, *, partially: bool, reason: str = "") -> None:
        """Released to the warehouses (everything, or part with the rest backordered). Only once credit has
        cleared the current revision: no order slips past the check."""
        if self.needs_credit_check:
            raise RuleViolation(f"order {self.number} revision {self.revision} has not cleared credit")
        self._move(OrderStatus.PARTIALLY_RELEASED if partially else OrderStatus.RELEASED, reason)

    def backorder(self, reason: str = "waiting for stock") -> None:
        self._move(OrderStatus.BACKORDERED, reason)

    def record_dispatch(self, shipment_id: str) -> None:
        """A shipment of the order left the gate: from now on the order can no longer be cancelled or amended."""
        self.dispatched_shipments = self.dispatched_shipments | {shipment_id}

    def close(self, reason: str = "") -> None:
        self._move(OrderStatus.CLOSED, reason)

    def withdraw(self, reason: str) -> None:
        """Cancelled by the chain, not by a person: credit refused the order, a sanction was not given in time,
        or no stock came for a customer who takes no backorders."""
        self._move(OrderStatus.CANCELLED, reason)

    def cancel(self, by: Actor, at: datetime, reason: str) -> None:
        """Cancel before gate-out only; after goods left, the customer returns them instead."""
        if not reason.strip():
            raise InvalidValue("reason", "a cancellation keeps its reason")
        if self.any_dispatched:
            raise RuleViolation(
                f"order {self.number} has goods through the gate-out ({', '.join(sorted(self.dispatched_shipments))}); "
                "goods that left cannot be undone by cancelling: raise a return instead (POST /returns)"
            )
        self._move(OrderStatus.CANCELLED, reason)
        self.cancelled_by, self.cancelled_at = by.user_id, at

    def taxed_from(self, dispatch_states: Mapping[int, StateCode]) -> bool:
        """The warehouses are decided: each given line is taxed from the state its goods leave from, so the order
        shows the split its invoices will have (the total moves by a paisa at most: one rounding of IGST against
        two halves). Whether anything changed."""
        lines = tuple(
            replace(line, dispatch_state=state, tax=self.terms.tax_on(line.priced, state))
            if (state := dispatch_states.get(line.line_no)) is not None else line
            for line in self.lines
        )
        changed = lines != self.lines
        self.lines = lines
        return changed

    # --- amendments -------------------------------------------------------------------------------

    def amend(self, changes: Sequence[OrderChange], by: Actor, at: datetime, reason: str) -> Amendment:
        """Apply quantity, line and ship-to changes before dispatch. The order gets a new revision, goes back
        to confirmed and must clear credit again; the returned amendment records before and after."""
        if not changes:
            raise InvalidValue("changes", "an amendment changes something")
        if not reason.strip():
            raise InvalidValue("reason", "an amendment keeps its reason")
        if self.status in (OrderStatus.CANCELLED, OrderStatus.CLOSED):
            raise TransitionRefused(f"order {self.number}", self.status.value, "amended")
        if self.any_dispatched:
            raise RuleViolation(f"order {self.number} has goods through the gate-out; it can no longer be amended")
        terms, lines = self.terms, list(self.lines)
        for index, change in enumerate(changes):
            field_name = f"changes[{index}]"
            if isinstance(change, ChangeQuantity):
                position = _position(lines, change.line_no, field_name)
                line = lines[position]
                lines[position] = replace(line, priced=line.priced.with_quantity(change.quantity))
            elif isinstance(change, AddLine):
                next_no = max((line.line_no for line in lines), default=0) + 1
                lines.append(OrderLine(next_no, change.priced, TaxSplit(), change.committed_date))
            elif isinstance(change, RemoveLine):
                del lines[_position(lines, change.line_no, field_name)]
            else:
                if not change.ship_to.is_shipping:
                    raise InvalidValue(f"{field_name}.ship_to", "is not a ship-to address")
                terms = replace(terms, ship_to=change.ship_to, bill_to=change.bill_to or terms.bill_to)
        if not lines:
            raise RuleViolation("an amendment cannot remove every line; cancel the order instead")
        retaxed = tuple(replace(line, tax=terms.tax_on(line.priced, line.dispatch_state)) for line in lines)
        before_lines, before_terms, before_gross = self.lines, self.terms, self.gross_value
        self.terms, self.lines = terms, retaxed
        self.revision += 1
        self.status, self.status_reason = OrderStatus.CONFIRMED, f"amended: {reason}"
        amendment = Amendment(
            revision=self.revision,
            reason=reason,
            by=by.user_id,
            at=at,
            changes=tuple(changes),
            lines_before=before_lines,
            lines_after=retaxed,
            ship_to_before=before_terms.ship_to,
            ship_to_after=terms.ship_to,
            gross_before=before_gross,
            gross_after=self.gross_value,
        )
        self.amendments.append(amendment)
        return amendment


def _position(lines: Sequence[OrderLine], line_no: int, field_name: str) -> int:
    for position, line in enumerate(lines):
        if line.line_no == line_no:
            return position
    raise InvalidValue(f"{field_name}.line_no", f"the order has no line {line_no}", line_no)
