"""The GST tax invoice, built from what was picked — never from what was ordered.

Each line is priced at the order's unit price less its scheme discount (pro-rated from the released
to the picked quantity, so a slab discount keeps the rate quoted), taxed on the taxable value at the
rate in force on the invoice date, and rounded to the paisa. The invoice totals are the sums of the
lines exactly; the grand total is rounded to the rupee with an explicit round-off."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from o2c.india.calendar import business_date, financial_year, to_utc
from o2c.india.gst_rates import GstRateSchedule
from o2c.india.gstin import state_code_of, validated_gstin
from o2c.india.supply import gst_amounts
from o2c.invoicing.domain.money import ZERO, amount_in_words, to_paisa, to_rupee
from o2c.invoicing.domain.numbering import validated_document_number
from o2c.invoicing.domain.place_of_supply import Address, SupplyType, TaxRegime, place_of_supply, tax_regime

TWO = Decimal("2")


class InvoiceProblem(ValueError):
    """A shipment that cannot be invoiced as given."""


@dataclass(frozen=True, slots=True)
class Batch:
    batch_no: str
    quantity: Decimal
    expiry_date: date | None = None


@dataclass(frozen=True, slots=True)
class PickedLine:
    """A shipment line as pick-confirmed. `discount` is the scheme discount for the *released*
    quantity, as priced on the order."""

    line_no: int
    item_code: str
    item_name: str
    hsn: str
    unit: str
    picked_quantity: Decimal
    released_quantity: Decimal
    unit_price: Decimal
    discount: Decimal = ZERO
    scheme_code: str | None = None
    batches: tuple[Batch, ...] = ()


@dataclass(frozen=True, slots=True)
class ReadyShipment:
    """Everything a tax invoice needs, as dispatch reports a shipment ready."""

    shipment_id: str
    order_id: str
    order_no: str
    customer_id: str
    customer_name: str
    supplier_gstin: str
    """Registration of the dispatching warehouse's state."""
    supplier: Address
    """The supplier's registered address in that state."""
    dispatch_from: Address
    bill_to: Address
    ship_to: Address
    supply_type: SupplyType
    lines: tuple[PickedLine, ...]
    payment_terms_days: int = 0
    customer_po_no: str | None = None
    reverse_charge: bool = False
    place_of_supply: str | None = None
    """As sales decided it for the order (None: decide it here by the same rule)."""
    delivered_to_third_party: bool | None = None
    """Sales' word that the ship-to is a consignee other than the buyer (None: judge it from the addresses)."""
    tax_regime: TaxRegime | None = None
    """The tax split sales decided for the shipment from the warehouse's registration (None: not carried)."""


class PlaceOfSupplyDisagrees(ValueError):
    """The order's place of supply is not the one India's rule gives for its addresses, or the tax split sales
    decided for the shipment is not the one this invoice would have: a person decides, invoicing never taxes it
    differently from the order."""


@dataclass(frozen=True, slots=True)
class Taxes:
    """The taxes of one line at its rates, each rounded to the paisa."""

    gst_rate: Decimal
    cgst_rate: Decimal = ZERO
    sgst_rate: Decimal = ZERO
    utgst_rate: Decimal = ZERO
    igst_rate: Decimal = ZERO
    cess_rate: Decimal = ZERO
    cgst: Decimal = ZERO
    sgst: Decimal = ZERO
    utgst: Decimal = ZERO
    igst: Decimal = ZERO
    cess: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.cgst + self.sgst + self.utgst + self.igst + self.cess


def taxes_on(taxable_value: Decimal, regime: TaxRegime, gst_rate: Decimal, cess_rate: Decimal) -> Taxes:
    """Tax one taxable value by India's split (o2c.india.supply), with the rates the e-invoice reports per part."""
    amounts = gst_amounts(taxable_value, gst_rate, regime, cess_rate)
    if regime is TaxRegime.ZERO_RATED:
        return Taxes(gst_rate=gst_rate)
    if regime is TaxRegime.IGST:
        return Taxes(gst_rate=gst_rate, igst_rate=gst_rate, cess_rate=cess_rate, igst=amounts.igst,
                     cess=amounts.cess)
    half = gst_rate / TWO
    return Taxes(
        gst_rate=gst_rate, cgst_rate=half, sgst_rate=half if regime is TaxRegime.CGST_SGST else ZERO,
        utgst_rate=half if regime is TaxRegime.CGST_UTGST else ZERO, cess_rate=cess_rate, cgst=amounts.cgst,
        sgst=amounts.sgst, utgst=amounts.utgst, cess=amounts.cess,
    )


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    line_no: int
    order_line_no: int
    item_code: str
    item_name: str
    hsn: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    gross_value: Decimal
    """quantity × unit price, to the paisa."""
    discount: Decimal
    taxable_value: Decimal
    taxes: Taxes
    scheme_code: str | None = None
    batches: tuple[Batch, ...] = ()

    @property
    def line_total(self) -> Decimal:
        return self.taxable_value + self.taxes.total


@dataclass(frozen=True, slots=True)
class InvoiceTotals:
    gross_value: Decimal
    discount: Decimal
    taxable_value: Decimal
    cgst: Decimal
    sgst: Decimal
    utgst: Decimal
    igst: Decimal
    cess: Decimal
    round_off: Decimal
    grand_total: Decimal


def totals_of(lines: Sequence[InvoiceLine]) -> InvoiceTotals:
    """Sum the lines exactly; round the grand total to the rupee and show the difference."""
    taxable = sum((line.taxable_value for line in lines), ZERO)
    cgst = sum((line.taxes.cgst for line in lines), ZERO)
    sgst = sum((line.taxes.sgst for line in lines), ZERO)
    utgst = sum((line.taxes.utgst for line in lines), ZERO)
    igst = sum((line.taxes.igst for line in lines), ZERO)
    cess = sum((line.taxes.cess for line in lines), ZERO)
    exact = taxable + cgst + sgst + utgst + igst + cess
    grand_total = to_rupee(exact)
    return InvoiceTotals(
        gross_value=sum((line.gross_value for line in lines), ZERO),
        discount=sum((line.discount for line in lines), ZERO),
        taxable_value=taxable,
        cgst=cgst,
        sgst=sgst,
        utgst=utgst,
        igst=igst,
        cess=cess,
        round_off=grand_total - exact,
        grand_total=grand_total,
    )


@dataclass(frozen=True, slots=True)
class TaxInvoice:
    invoice_no: str
    invoice_date: date
    financial_year: str
    issued_at: datetime
    """UTC instant of issue; `invoice_date` is its IST date."""
    supplier_gstin: str
    supplier: Address
    dispatch_from: Address
    bill_to: Address
    ship_to: Address
    place_of_supply: str
    supply_type: SupplyType
    regime: TaxRegime
    lines: tuple[InvoiceLine, ...]
    totals: InvoiceTotals
    amount_in_words: str
    shipment_id: str
    order_id: str
    order_no: str
    customer_id: str
    customer_name: str
    due_date: date
    customer_po_no: str | None = None
    reverse_charge: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def supplier_state_code(self) -> str:
        return state_code_of(self.supplier_gstin)

    @property
    def buyer_gstin(self) -> str | None:
        return self.bill_to.gstin

    @property
    def is_inter_state(self) -> bool:
        return self.supplier_state_code != self.place_of_supply


def discount_for_picked(line: PickedLine) -> Decimal:
    """The scheme discount on what was picked: the per-unit discount quoted for the released quantity
    (so a slab discount keeps its rate even if fewer units than the slab are picked), to the paisa."""
    if line.picked_quantity == line.released_quantity:
        return to_paisa(line.discount)
    return to_paisa(line.discount * line.picked_quantity / line.released_quantity)


def _check_line(line: PickedLine) -> None:
    if line.released_quantity <= 0:
        raise InvoiceProblem(f"line {line.line_no}: released quantity must be positive")
    if line.picked_quantity < 0:
        raise InvoiceProblem(f"line {line.line_no}: picked quantity cannot be negative")
    if line.picked_quantity > line.released_quantity:
        raise InvoiceProblem(
            f"line {line.line_no}: picked {line.picked_quantity} is more than released {line.released_quantity}"
        )
    if line.unit_price < 0 or line.discount < 0:
        raise InvoiceProblem(f"line {line.line_no}: price and discount cannot be negative")


def issue_tax_invoice(
    shipment: ReadyShipment, invoice_no: str, issued_at: datetime, rates: GstRateSchedule
) -> TaxInvoice:
    """Build the tax invoice for a ready shipment from its pick-confirmed quantities.

    Lines picked at zero are left out; a shipment with nothing picked has nothing to invoice."""
    validated_gstin(shipment.supplier_gstin)
    validated_document_number(invoice_no)
    supplier_state = state_code_of(shipment.supplier_gstin)
    if shipment.supplier.state_code != supplier_state or shipment.dispatch_from.state_code != supplier_state:
        raise InvoiceProblem(
            f"supplier GSTIN {shipment.supplier_gstin} is not the registration of the dispatching state "
            f"{shipment.dispatch_from.state_code}"
        )
    invoice_date = business_date(issued_at)
    pos = place_of_supply(shipment.supply_type, shipment.bill_to, shipment.ship_to,
                          third_party=shipment.delivered_to_third_party)
    if shipment.place_of_supply is not None and shipment.place_of_supply != pos:
        raise PlaceOfSupplyDisagrees(
            f"the order's place of supply is {shipment.place_of_supply}, but India's rule gives {pos} for "
            f"bill-to state {shipment.bill_to.state_code} and ship-to state {shipment.ship_to.state_code}"
        )
    regime = tax_regime(shipment.supply_type, supplier_state, pos)
    if shipment.tax_regime is not None and shipment.tax_regime is not regime:
        raise PlaceOfSupplyDisagrees(
            f"sales decided {shipment.tax_regime.value} for this shipment, but from the dispatching registration "
            f"{shipment.supplier_gstin} (state {supplier_state}) to place of supply {pos} the split is "
            f"{regime.value}"
        )

    lines: list[InvoiceLine] = []
    for picked in sorted(shipment.lines, key=lambda line: line.line_no):
        _check_line(picked)
        if picked.picked_quantity == 0:
            continue
        rate = rates.rate_on(picked.hsn, invoice_date)
        gross = to_paisa(picked.picked_quantity * picked.unit_price)
        discount = discount_for_picked(picked)
        if discount > gross:
            raise InvoiceProblem(f"line {picked.line_no}: discount {discount} exceeds the value {gross}")
        taxable = gross - discount
        lines.append(
            InvoiceLine(
                line_no=len(lines) + 1,
                order_line_no=picked.line_no,
                item_code=picked.item_code,
                item_name=picked.item_name,
                hsn=picked.hsn,
                unit=picked.unit,
                quantity=picked.picked_quantity,
                unit_price=picked.unit_price,
                gross_value=gross,
                discount=discount,
                taxable_value=taxable,
                taxes=taxes_on(taxable, regime, rate.rate, rate.cess_rate),
                scheme_code=picked.scheme_code,
                batches=picked.batches,
            )
        )
    if not lines:
        raise InvoiceProblem(f"shipment {shipment.shipment_id}: nothing was picked, nothing to invoice")

    totals = totals_of(lines)
    return TaxInvoice(
        invoice_no=invoice_no,
        invoice_date=invoice_date,
        financial_year=financial_year(invoice_date),
        issued_at=to_utc(issued_at),
        supplier_gstin=shipment.supplier_gstin,
        supplier=shipment.supplier,
        dispatch_from=shipment.dispatch_from,
        bill_to=shipment.bill_to,
        ship_to=shipment.ship_to,
        place_of_supply=pos,
        supply_type=shipment.supply_type,
        regime=regime,
        lines=tuple(lines),
        totals=totals,
        amount_in_words=amount_in_words(totals.grand_total),
        shipment_id=shipment.shipment_id,
        order_id=shipment.order_id,
        order_no=shipment.order_no,
        customer_id=shipment.customer_id,
        customer_name=shipment.customer_name,
        customer_po_no=shipment.customer_po_no,
        due_date=invoice_date + timedelta(days=shipment.payment_terms_days),
        reverse_charge=shipment.reverse_charge,
    )
