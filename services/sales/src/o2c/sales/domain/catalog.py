"""What we sell and at what price: items, price lists with negotiated prices, and schemes.

A customer's negotiated price for an item wins while valid; otherwise the standard price of the list applies.
Schemes (quantity-slab discounts, buy-X-get-Y) have validity dates; the best one for a line is the one worth
most to the customer, computed exactly in Decimal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from o2c.sales.domain.errors import InvalidValue, RuleViolation
from o2c.sales.domain.money import HUNDRED, ZERO, Money, money, parse_decimal, percent_of, positive_quantity, to_paise
from o2c.sales.domain.tax import GstRate, GstRateSchedule, HsnCode, gst_rate_for

_ITEM_CODE = re.compile(r"[A-Z0-9][A-Z0-9._/-]{0,39}")


class Uqc(StrEnum):
    """GST unit quantity codes (GSTR-1 `uqc`, e-way bill `qtyUnit`); the same set as the v1 contracts."""

    NOS = "NOS"
    PCS = "PCS"
    BOX = "BOX"
    KGS = "KGS"
    LTR = "LTR"
    MTR = "MTR"
    SET = "SET"
    PAC = "PAC"
    ROL = "ROL"
    BTL = "BTL"
    CAN = "CAN"
    DOZ = "DOZ"
    GMS = "GMS"
    MLT = "MLT"
    TON = "TON"
    UNT = "UNT"
    OTH = "OTH"


@dataclass(frozen=True, slots=True)
class Item:
    """A sellable item. A non-stocked item is promised by its lead time."""

    code: str
    name: str
    hsn: HsnCode
    unit: Uqc
    product_line: str
    batch_tracked: bool = False
    stocked: bool = True
    lead_time_days: int = 0
    active: bool = True

    def __post_init__(self) -> None:
        if not _ITEM_CODE.fullmatch(self.code):
            raise InvalidValue("code", f"an item code is 1-40 upper-case letters, digits, . _ / -, got {self.code!r}")
        if not self.name.strip():
            raise InvalidValue("name", "is required")
        if not self.product_line.strip():
            raise InvalidValue("product_line", "is required")
        if self.lead_time_days < 0:
            raise InvalidValue("lead_time_days", "cannot be negative", self.lead_time_days)
        if not self.stocked and self.lead_time_days < 1:
            raise InvalidValue("lead_time_days", "a non-stocked item needs a lead time of at least one day")

    @classmethod
    def create(
        cls,
        *,
        code: str,
        name: str,
        hsn: str,
        unit: str,
        product_line: str,
        batch_tracked: bool = False,
        stocked: bool = True,
        lead_time_days: int = 0,
    ) -> Item:
        """An item from raw input, each field validated and named on error."""
        try:
            uqc = Uqc(unit.strip().upper())
        except ValueError as exc:
            raise InvalidValue("unit", f"{unit!r} is not a GST unit quantity code (UQC)", unit) from exc
        return cls(
            code=code.strip().upper(),
            name=name.strip(),
            hsn=HsnCode.parse(hsn),
            unit=uqc,
            product_line=product_line.strip(),
            batch_tracked=batch_tracked,
            stocked=stocked,
            lead_time_days=lead_time_days,
        )


# --- price lists -----------------------------------------------------------------------------------


class PriceSource(StrEnum):
    NEGOTIATED = "negotiated"
    STANDARD = "standard"


@dataclass(frozen=True, slots=True)
class PriceEntry:
    """A unit price (excluding GST) valid from `valid_from` to `valid_to` inclusive (None: open-ended).
    With `customer_id` it is that customer's negotiated price; without, the list's standard price."""

    item_code: str
    unit_price: Money
    valid_from: date
    valid_to: date | None = None
    customer_id: str | None = None

    def __post_init__(self) -> None:
        if money(self.unit_price, "unit_price") < 0:
            raise InvalidValue("unit_price", "cannot be negative", self.unit_price)
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise InvalidValue("valid_to", "ends before the price starts", self.valid_to)

    def covers(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def overlaps(self, other: PriceEntry) -> bool:
        self_end = self.valid_to or date.max
        other_end = other.valid_to or date.max
        return self.valid_from <= other_end and other.valid_from <= self_end


@dataclass(frozen=True, slots=True)
class Price:
    item_code: str
    unit_price: Money
    source: PriceSource
    valid_to: date | None


class PriceList:
    """A named list of standard prices plus customer-specific negotiated prices, all with validity dates."""

    def __init__(self, code: str, name: str, entries: Iterable[PriceEntry] = ()) -> None:
        if not code.strip():
            raise InvalidValue("code", "is required")
        self.code = code
        self.name = name
        self._entries: dict[tuple[str, str | None], list[PriceEntry]] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: PriceEntry) -> None:
        """Add a price; two prices for the same item (and customer) may not be valid on the same day."""
        key = (entry.item_code, entry.customer_id)
        existing = self._entries.setdefault(key, [])
        clash = next((e for e in existing if e.overlaps(entry)), None)
        if clash is not None:
            whose = f"customer {entry.customer_id}" if entry.customer_id else "the standard list"
            raise RuleViolation(
                f"price list {self.code}: {whose} already has a price for {entry.item_code} valid "
                f"{clash.valid_from.isoformat()} to {clash.valid_to.isoformat() if clash.valid_to else 'open'}"
            )
        existing.append(entry)

    @property
    def entries(self) -> list[PriceEntry]:
        return [e for group in self._entries.values() for e in group]

    def price_for(self, item: Item | str, customer_id: str | None, on: date) -> Price:
        """The customer's negotiated price valid on the date, else the standard price valid on the date."""
        code = item.code if isinstance(item, Item) else item
        if customer_id is not None:
            negotiated = self._valid(code, customer_id, on)
            if negotiated is not None:
                return Price(code, negotiated.unit_price, PriceSource.NEGOTIATED, negotiated.valid_to)
        standard = self._valid(code, None, on)
        if standard is None:
            raise RuleViolation(f"price list {self.code} has no price for {code} valid on {on.isoformat()}")
        return Price(code, standard.unit_price, PriceSource.STANDARD, standard.valid_to)

    def _valid(self, code: str, customer_id: str | None, on: date) -> PriceEntry | None:
        return next((e for e in self._entries.get((code, customer_id), []) if e.covers(on)), None)


# --- schemes ---------------------------------------------------------------------------------------


class SchemeKind(StrEnum):
    QUANTITY_SLAB = "quantity_slab"
    BUY_X_GET_Y = "buy_x_get_y"


@dataclass(frozen=True, slots=True)
class SchemeScope:
    """Which items a scheme covers: listed item codes and/or whole product lines."""

    item_codes: frozenset[str] = frozenset()
    product_lines: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.item_codes and not self.product_lines:
            raise InvalidValue("scope", "a scheme covers at least one item or product line")

    def covers(self, item: Item) -> bool:
        return item.code in self.item_codes or item.product_line in self.product_lines


@dataclass(frozen=True, slots=True)
class SchemeBenefit:
    """What a scheme gives on one line: a discount on the line value, or free units on top."""

    scheme_code: str
    kind: SchemeKind
    discount_percent: Decimal
    discount: Money
    free_quantity: Decimal
    value: Money
    """Worth to the customer in rupees (discount, or free units at the unit price): compares schemes."""


@dataclass(frozen=True, slots=True)
class Slab:
    min_quantity: Decimal
    discount_percent: Decimal

    def __post_init__(self) -> None:
        positive_quantity(self.min_quantity, "min_quantity")
        if not Decimal(0) < parse_decimal(self.discount_percent, "discount_percent") < HUNDRED:
            raise InvalidValue("discount_percent", "must be above 0 and below 100", self.discount_percent)


def line_value(quantity: Decimal, unit_price: Money) -> Money:
    """Quantity × unit price, to the paisa."""
    return to_paise(quantity * unit_price)


@dataclass(frozen=True, slots=True)
class _SchemeTerms:
    code: str
    name: str
    scope: SchemeScope
    valid_from: date
    valid_to: date

    def _check_dates(self) -> None:
        if not self.code.strip():
            raise InvalidValue("code", "is required")
        if self.valid_to < self.valid_from:
            raise InvalidValue("valid_to", "ends before the scheme starts", self.valid_to)

    def is_valid_on(self, on: date) -> bool:
        return self.valid_from <= on <= self.valid_to

    def applies_to(self, item: Item, on: date) -> bool:
        return self.is_valid_on(on) and self.scope.covers(item)


@dataclass(frozen=True, slots=True)
class QuantitySlabScheme(_SchemeTerms):
    """A % discount on the whole line once its quantity reaches a slab; the highest slab reached applies."""

    slabs: tuple[Slab, ...] = field(default=())

    def __post_init__(self) -> None:
        self._check_dates()
        if not self.slabs:
            raise InvalidValue("slabs", "a slab scheme needs at least one slab")
        quantities = [s.min_quantity for s in self.slabs]
        if len(set(quantities)) != len(quantities):
            raise InvalidValue("slabs", "two slabs start at the same quantity")

    @property
    def kind(self) -> SchemeKind:
        return SchemeKind.QUANTITY_SLAB

    def benefit(self, quantity: Decimal, unit_price: Money) -> SchemeBenefit | None:
        reached = [s for s in self.slabs if quantity >= s.min_quantity]
        if not reached:
            return None
        slab = max(reached, key=lambda s: s.min_quantity)
        discount = percent_of(line_value(quantity, unit_price), slab.discount_percent)
        return SchemeBenefit(self.code, self.kind, slab.discount_percent, discount, Decimal(0), discount)


@dataclass(frozen=True, slots=True)
class BuyGetScheme(_SchemeTerms):
    """Buy `buy_quantity`, get `free_quantity` of the same item free, for every full `buy_quantity` bought.

    The free units ship on top of the ordered quantity; the line's taxable value stays the price of the
    bought units (the free units are not a separate supply, CBIC circular 92/11/2019)."""

    buy_quantity: Decimal = Decimal(0)
    free_quantity: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        self._check_dates()
        positive_quantity(self.buy_quantity, "buy_quantity")
        positive_quantity(self.free_quantity, "free_quantity")

    @property
    def kind(self) -> SchemeKind:
        return SchemeKind.BUY_X_GET_Y

    def benefit(self, quantity: Decimal, unit_price: Money) -> SchemeBenefit | None:
        times = quantity // self.buy_quantity
        if times < 1:
            return None
        free = times * self.free_quantity
        return SchemeBenefit(self.code, self.kind, Decimal(0), ZERO, free, line_value(free, unit_price))


Scheme = QuantitySlabScheme | BuyGetScheme


@dataclass(frozen=True, slots=True)
class SchemeLine:
    """A line as schemes see it."""

    item: Item
    quantity: Decimal
    unit_price: Money


@dataclass(frozen=True, slots=True)
class SchemeChoice:
    scheme: Scheme
    benefit: SchemeBenefit


def best_scheme_for(line: SchemeLine, schemes: Iterable[Scheme], on: date) -> SchemeChoice | None:
    """The valid scheme worth most to the customer on this line. On equal worth a discount beats free goods
    (nothing extra to pick and ship), then the lower scheme code wins, so the choice is stable."""
    choices = []
    for scheme in schemes:
        if not scheme.applies_to(line.item, on):
            continue
        benefit = scheme.benefit(line.quantity, line.unit_price)
        if benefit is not None and benefit.value > 0:
            choices.append(SchemeChoice(scheme, benefit))
    if not choices:
        return None
    return min(
        choices,
        key=lambda c: (-c.benefit.value, c.benefit.kind is not SchemeKind.QUANTITY_SLAB, c.scheme.code),
    )


class SchemeBook:
    """Every scheme on offer; codes are unique."""

    def __init__(self, schemes: Iterable[Scheme] = ()) -> None:
        self._schemes: dict[str, Scheme] = {}
        for scheme in schemes:
            self.add(scheme)

    def add(self, scheme: Scheme) -> None:
        if scheme.code in self._schemes:
            raise RuleViolation(f"scheme {scheme.code} already exists")
        self._schemes[scheme.code] = scheme

    def __iter__(self) -> Iterator[Scheme]:
        return iter(self._schemes.values())

    def best_scheme_for(self, line: SchemeLine, on: date) -> SchemeChoice | None:
        return best_scheme_for(line, self._schemes.values(), on)


# --- pricing a line ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PricedLine:
    """An item priced for a customer on a date: unit price, scheme, GST rate, taxable value."""

    item: Item
    quantity: Decimal
    unit_price: Money
    price_source: PriceSource
    scheme: Scheme | None
    gst: GstRate

    @property
    def benefit(self) -> SchemeBenefit | None:
        return self.scheme.benefit(self.quantity, self.unit_price) if self.scheme else None

    @property
    def gross_amount(self) -> Money:
        return line_value(self.quantity, self.unit_price)

    @property
    def discount(self) -> Money:
        benefit = self.benefit
        return benefit.discount if benefit else ZERO

    @property
    def free_quantity(self) -> Decimal:
        benefit = self.benefit
        return benefit.free_quantity if benefit else Decimal(0)

    @property
    def taxable_value(self) -> Money:
        return self.gross_amount - self.discount

    def with_quantity(self, quantity: Decimal) -> PricedLine:
        """The same price and scheme terms for another quantity (the scheme's benefit is recomputed: a slab
        no longer reached gives no discount)."""
        return PricedLine(
            self.item, positive_quantity(quantity), self.unit_price, self.price_source, self.scheme, self.gst
        )


class Pricing:
    """Prices lines from a price list, the scheme book and the GST rate schedule."""

    def __init__(self, price_list: PriceList, schemes: SchemeBook, rates: GstRateSchedule) -> None:
        self.price_list = price_list
        self.schemes = schemes
        self.rates = rates

    def price(self, item: Item, quantity: Decimal, customer_id: str | None, on: date) -> PricedLine:
        if not item.active:
            raise RuleViolation(f"item {item.code} is no longer sold")
        qty = positive_quantity(quantity)
        price = self.price_list.price_for(item, customer_id, on)
        choice = self.schemes.best_scheme_for(SchemeLine(item, qty, price.unit_price), on)
        return PricedLine(
            item=item,
            quantity=qty,
            unit_price=price.unit_price,
            price_source=price.source,
            scheme=choice.scheme if choice else None,
            gst=gst_rate_for(self.rates, item.hsn, on),
        )
