"""The quotation: priced lines for a customer's ship-to, with GST estimate, stock and a promise date.

Each line carries the negotiated (or standard) price, the best scheme, the GST estimate for the ship-to,
available-to-promise per warehouse and a promise date. Stock comes from inventory as input data; when
inventory is down the quotation still works, showing availability as unknown. Revisions keep history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from o2c.india.supply import TaxRegime
from o2c.sales.domain.actors import Actor
from o2c.sales.domain.catalog import Item, PricedLine, Pricing
from o2c.sales.domain.customer import Address, Customer, GstCategory
from o2c.sales.domain.errors import InvalidValue, RuleViolation, TransitionRefused
from o2c.sales.domain.geography import StateCode
from o2c.sales.domain.money import ZERO, Money, positive_quantity
from o2c.sales.domain.numbering import DocumentNumber
from o2c.sales.domain.tax import TaxSplit, place_of_supply, regime_of, split_tax

DEFAULT_VALIDITY_DAYS = 15
DEFAULT_HANDLING_DAYS = 1


# --- stock and promises -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WarehouseAtp:
    """Available-to-promise of one item at one warehouse; `available` None means unknown."""

    warehouse_id: str
    available: Decimal | None
    state_code: str | None = None
    """The warehouse's state (its GSTIN is the company's registration there), when inventory says."""


class StockView:
    """What inventory said about availability (a kept view or a call with a timeout). An item missing from
    the view, or the whole view when inventory is down, is unknown, never zero."""

    def __init__(self, by_item: Mapping[str, Sequence[WarehouseAtp]] | None = None) -> None:
        self._by_item = {code: tuple(rows) for code, rows in (by_item or {}).items()}
        self.known = by_item is not None

    @classmethod
    def unknown(cls) -> StockView:
        return cls(None)

    def for_item(self, item_code: str) -> tuple[WarehouseAtp, ...] | None:
        return self._by_item.get(item_code) if self.known else None

    def dispatch_state(self, item_codes: Sequence[str]) -> StateCode | None:
        """The state the goods will leave from, when stock says so already: every warehouse holding any of the
        items available is in one state, so whichever inventory reserves at is there. None when stock is
        unknown, absent, or spread over several states (docs/domain.md, "Place of supply")."""
        states: set[str | None] = set()
        for code in item_codes:
            rows = self.for_item(code)
            if rows is None:
                return None
            states |= {row.state_code for row in rows if row.available is not None and row.available > 0}
        if len(states) != 1 or None in states:
            return None
        return StateCode.parse(states.pop())


def expected_supplier_state(stock: StockView, requests: Sequence[LineRequest], home: StateCode) -> StateCode:
    """The supplier's state a quotation or an order assumes before inventory reserves: the one state stock is
    held in, else the company's home registration."""
    return stock.dispatch_state([r.item_code for r in requests]) or home


class PromiseBasis(StrEnum):
    IN_STOCK = "in_stock"
    LEAD_TIME = "lead_time"
    SHORT = "short"
    STOCK_UNKNOWN = "stock_unknown"


@dataclass(frozen=True, slots=True)
class Promise:
    """When the goods can leave our warehouse, and what that rests on."""

    ship_date: date
    basis: PromiseBasis


def total_available(atp: Sequence[WarehouseAtp] | None) -> Decimal | None:
    """Sum of the known availability; None when nothing is known."""
    if atp is None:
        return None
    known = [row.available for row in atp if row.available is not None]
    return sum(known, Decimal(0)) if known else None


def promise_for(
    item: Item,
    quantity: Decimal,
    atp: Sequence[WarehouseAtp] | None,
    today: date,
    handling_days: int = DEFAULT_HANDLING_DAYS,
) -> Promise:
    """Stocked and available → today + handling days. Not stocked → today + lead time (never sooner than
    handling). Stocked but short → replenishment lead time plus handling. Availability unknown → the same
    cautious date as short, marked unknown so the quotation says so."""
    if not item.stocked:
        return Promise(today + timedelta(days=max(item.lead_time_days, handling_days)), PromiseBasis.LEAD_TIME)
    available = total_available(atp)
    if available is not None and available >= quantity:
        return Promise(today + timedelta(days=handling_days), PromiseBasis.IN_STOCK)
    cautious = today + timedelta(days=item.lead_time_days + handling_days)
    return Promise(cautious, PromiseBasis.STOCK_UNKNOWN if available is None else PromiseBasis.SHORT)


# --- lines ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineRequest:
    """What the customer asks for on one line."""

    item_code: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class SupplyTerms:
    """Where a supply goes and from where: decides the tax split."""

    bill_to: Address
    ship_to: Address
    gst_category: GstCategory
    supplier_state: StateCode

    @property
    def place_of_supply(self) -> StateCode:
        return place_of_supply(self.bill_to, self.ship_to, self.gst_category)

    @property
    def sez_buyer(self) -> bool:
        return self.gst_category is GstCategory.SEZ

    def tax_on(self, priced: PricedLine, dispatch_state: StateCode | None = None) -> TaxSplit:
        """The line's GST, from the state its goods leave from: the dispatching warehouse's once stock is
        reserved, until then `supplier_state` (an estimate, docs/domain.md "Place of supply")."""
        return split_tax(
            priced.taxable_value,
            priced.gst.rate,
            dispatch_state or self.supplier_state,
            self.place_of_supply,
            cess_rate=priced.gst.cess_rate,
            sez_buyer=self.sez_buyer,
        )

    def regime_from(self, dispatch_state: StateCode) -> TaxRegime:
        """The tax split of goods leaving from `dispatch_state` (o2c.india.supply)."""
        return regime_of(dispatch_state, self.place_of_supply, sez_buyer=self.sez_buyer)


@dataclass(frozen=True, slots=True)
class QuotationLine:
    line_no: int
    priced: PricedLine
    tax: TaxSplit
    atp: tuple[WarehouseAtp, ...] | None
    promise: Promise

    @property
    def item_code(self) -> str:
        return self.priced.item.code

    @property
    def quantity(self) -> Decimal:
        return self.priced.quantity

    @property
    def unit_price(self) -> Money:
        return self.priced.unit_price

    @property
    def discount(self) -> Money:
        return self.priced.discount

    @property
    def taxable_value(self) -> Money:
        return self.priced.taxable_value

    @property
    def gross_value(self) -> Money:
        return self.taxable_value + self.tax.total


@dataclass(frozen=True, slots=True)
class Totals:
    taxable_value: Money
    tax: TaxSplit
    gross_value: Money

    @classmethod
    def of(cls, taxable_values: Sequence[Money], taxes: Sequence[TaxSplit]) -> Totals:
        tax = sum(taxes, TaxSplit())
        taxable = sum(taxable_values, ZERO)
        return cls(taxable, tax, taxable + tax.total)


def price_lines(
    requests: Sequence[LineRequest],
    items: Mapping[str, Item],
    pricing: Pricing,
    customer_id: str,
    terms: SupplyTerms,
    stock: StockView,
    today: date,
    handling_days: int = DEFAULT_HANDLING_DAYS,
) -> tuple[QuotationLine, ...]:
    """Price, tax and promise each requested line (numbered from 1); errors name the line."""
    if not requests:
        raise InvalidValue("lines", "at least one line is needed")
    lines = []
    for index, request in enumerate(requests):
        item = items.get(request.item_code)
        if item is None:
            raise InvalidValue(f"lines[{index}].item_code", f"no item {request.item_code!r}", request.item_code)
        quantity = positive_quantity(request.quantity, f"lines[{index}].quantity")
        try:
            priced = pricing.price(item, quantity, customer_id, today)
        except RuleViolation as exc:
            raise RuleViolation(f"line {index + 1}: {exc.reason}") from exc
        atp = stock.for_item(item.code)
        promise = promise_for(item, quantity + priced.free_quantity, atp, today, handling_days)
        lines.append(QuotationLine(index + 1, priced, terms.tax_on(priced), atp, promise))
    return tuple(lines)


# --- the quotation ----------------------------------------------------------------------------------


class QuotationStatus(StrEnum):
    OPEN = "open"
    CONVERTED = "converted"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True, slots=True)
class QuotationRevision:
    """A superseded version of the quotation, kept as it was."""

    revision: int
    lines: tuple[QuotationLine, ...]
    ship_to: Address
    quoted_on: date
    valid_until: date
    superseded_by: str
    superseded_at: datetime


@dataclass
class Quotation:
    quotation_id: str
    number: DocumentNumber
    customer_id: str
    customer_code: str
    customer_name: str
    terms: SupplyTerms
    quoted_on: date
    valid_until: date
    lines: tuple[QuotationLine, ...]
    created_by: str
    revision: int = 1
    history: list[QuotationRevision] = field(default_factory=list)
    status: QuotationStatus = QuotationStatus.OPEN
    converted_order_id: str | None = None
    issued_at: datetime | None = None
    """When the current revision was issued (None on quotations stored before it was kept)."""

    @classmethod
    def prepare(
        cls,
        *,
        quotation_id: str,
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
        validity_days: int = DEFAULT_VALIDITY_DAYS,
        handling_days: int = DEFAULT_HANDLING_DAYS,
        at: datetime | None = None,
    ) -> Quotation:
        """A quotation for an active customer; refused with the reason when the customer cannot trade."""
        customer.ensure_can_trade()
        ship_to = customer.ship_to(ship_to_id)
        terms = SupplyTerms(customer.billing_address_for(ship_to), ship_to, customer.gst_category,
                            expected_supplier_state(stock, requests, supplier_state))
        lines = price_lines(requests, items, pricing, customer.customer_id, terms, stock, today, handling_days)
        return cls(
            quotation_id=quotation_id,
            number=number,
            customer_id=customer.customer_id,
            customer_code=customer.code,
            customer_name=customer.legal_name,
            terms=terms,
            quoted_on=today,
            valid_until=_valid_until(today, validity_days),
            lines=lines,
            created_by=by.user_id,
            issued_at=at,
        )

    @property
    def ship_to(self) -> Address:
        return self.terms.ship_to

    @property
    def place_of_supply(self) -> StateCode:
        return self.terms.place_of_supply

    @property
    def totals(self) -> Totals:
        return Totals.of([line.taxable_value for line in self.lines], [line.tax for line in self.lines])

    def is_expired(self, today: date) -> bool:
        """Valid through `valid_until` (an IST date: it lapses at midnight IST)."""
        return today > self.valid_until

    def conversion_refusal(self, today: date) -> str | None:
        """Why the quotation cannot become an order today, or None."""
        if self.status is QuotationStatus.CONVERTED:
            return f"quotation {self.number} is already converted to order {self.converted_order_id}"
        if self.status is QuotationStatus.WITHDRAWN:
            return f"quotation {self.number} was withdrawn"
        if self.is_expired(today):
            return f"quotation {self.number} expired on {self.valid_until.isoformat()}"
        return None

    def revise(
        self,
        *,
        customer: Customer,
        requests: Sequence[LineRequest],
        items: Mapping[str, Item],
        pricing: Pricing,
        stock: StockView,
        today: date,
        by: Actor,
        at: datetime,
        ship_to_id: str | None = None,
        validity_days: int = DEFAULT_VALIDITY_DAYS,
        handling_days: int = DEFAULT_HANDLING_DAYS,
    ) -> QuotationRevision:
        """A new revision priced today (validity restarts); the superseded one is kept in `history`."""
        if self.status is not QuotationStatus.OPEN:
            raise TransitionRefused(f"quotation {self.number}", self.status.value, "revised")
        customer.ensure_can_trade()
        ship_to = customer.ship_to(ship_to_id) if ship_to_id else self.terms.ship_to
        terms = SupplyTerms(
            customer.billing_address_for(ship_to), ship_to, customer.gst_category, self.terms.supplier_state
        )
        lines = price_lines(requests, items, pricing, self.customer_id, terms, stock, today, handling_days)
        previous = QuotationRevision(
            self.revision, self.lines, self.terms.ship_to, self.quoted_on, self.valid_until, by.user_id, at
        )
        self.history.append(previous)
        self.revision += 1
        self.terms, self.lines, self.quoted_on = terms, lines, today
        self.valid_until = _valid_until(today, validity_days)
        self.issued_at = at
        return previous

    def mark_converted(self, order_id: str, today: date) -> None:
        refusal = self.conversion_refusal(today)
        if refusal is not None:
            raise RuleViolation(refusal)
        self.status, self.converted_order_id = QuotationStatus.CONVERTED, order_id

    def withdraw(self) -> None:
        if self.status is not QuotationStatus.OPEN:
            raise TransitionRefused(f"quotation {self.number}", self.status.value, "withdrawn")
        self.status = QuotationStatus.WITHDRAWN


def _valid_until(today: date, validity_days: int) -> date:
    if validity_days < 0:
        raise InvalidValue("validity_days", "cannot be negative", validity_days)
    return today + timedelta(days=validity_days)
