"""Credit notes for returned goods: against one original invoice, for no more than was invoiced less
what was already returned, at the original invoice's prices, rates and tax split, and only until
30 November after the end of the invoice's financial year (CGST Act s.34(2))."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from o2c.india.calendar import business_date, financial_year, financial_year_end, to_utc
from o2c.invoicing.domain.invoice import InvoiceLine, InvoiceTotals, Taxes, TaxInvoice, taxes_on, totals_of
from o2c.invoicing.domain.money import ZERO, amount_in_words, to_paisa
from o2c.invoicing.domain.numbering import validated_document_number


class ReturnRefused(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ReturnedLine:
    """A quantity returned against one line of the original invoice."""

    invoice_line_no: int
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class CreditNote:
    credit_note_no: str
    credit_note_date: date
    financial_year: str
    issued_at: datetime
    original_invoice_no: str
    original_invoice_date: date
    reason: str
    lines: tuple[InvoiceLine, ...]
    """`order_line_no` of each line holds the original invoice's line number."""
    totals: InvoiceTotals
    amount_in_words: str
    invoice: TaxInvoice
    return_id: str | None = None

    @property
    def supplier_gstin(self) -> str:
        return self.invoice.supplier_gstin

    @property
    def buyer_gstin(self) -> str | None:
        return self.invoice.buyer_gstin

    @property
    def place_of_supply(self) -> str:
        return self.invoice.place_of_supply


def credit_note_deadline(invoice_date: date) -> date:
    """Last day a credit note may be issued for an invoice: 30 November after its financial year ends."""
    return date(financial_year_end(financial_year(invoice_date)).year, 11, 30)


def returned_so_far(invoice: TaxInvoice, earlier: Sequence[CreditNote]) -> dict[int, Decimal]:
    """Quantity already credited per invoice line."""
    returned: dict[int, Decimal] = {line.line_no: Decimal("0") for line in invoice.lines}
    for note in earlier:
        if note.original_invoice_no != invoice.invoice_no:
            continue
        for line in note.lines:
            returned[line.order_line_no] += line.quantity
    return returned


def returnable_quantities(invoice: TaxInvoice, earlier: Sequence[CreditNote]) -> dict[int, Decimal]:
    """Per invoice line: invoiced − already returned."""
    returned = returned_so_far(invoice, earlier)
    return {line.line_no: line.quantity - returned[line.line_no] for line in invoice.lines}


def _credited_amounts(line_no: int, invoice_no: str, earlier: Sequence[CreditNote]) -> list[InvoiceLine]:
    return [
        line
        for note in earlier
        if note.original_invoice_no == invoice_no
        for line in note.lines
        if line.order_line_no == line_no
    ]


def _remainder(original: InvoiceLine, credited: Sequence[InvoiceLine]) -> tuple[Decimal, Decimal, Decimal, Taxes]:
    """What is left of an invoice line after earlier credit notes, component by component, so that
    credit notes for the whole quantity add up to the invoice line exactly."""
    t = original.taxes
    taxes = replace(
        t,
        cgst=t.cgst - sum((c.taxes.cgst for c in credited), ZERO),
        sgst=t.sgst - sum((c.taxes.sgst for c in credited), ZERO),
        utgst=t.utgst - sum((c.taxes.utgst for c in credited), ZERO),
        igst=t.igst - sum((c.taxes.igst for c in credited), ZERO),
        cess=t.cess - sum((c.taxes.cess for c in credited), ZERO),
    )
    return (
        original.gross_value - sum((c.gross_value for c in credited), ZERO),
        original.discount - sum((c.discount for c in credited), ZERO),
        original.taxable_value - sum((c.taxable_value for c in credited), ZERO),
        taxes,
    )


def issue_credit_note(
    invoice: TaxInvoice,
    returned: Sequence[ReturnedLine],
    earlier: Sequence[CreditNote],
    credit_note_no: str,
    issued_at: datetime,
    reason: str = "Goods returned",
    return_id: str | None = None,
) -> CreditNote:
    """A credit note for returned quantities of one invoice, refused beyond what is returnable or
    after the s.34(2) time limit."""
    validated_document_number(credit_note_no)
    note_date = business_date(issued_at)
    if note_date < invoice.invoice_date:
        raise ReturnRefused("a credit note cannot be dated before its invoice")
    deadline = credit_note_deadline(invoice.invoice_date)
    if note_date > deadline:
        raise ReturnRefused(
            f"a GST credit note for invoice {invoice.invoice_no} of FY {invoice.financial_year} "
            f"could be issued only until {deadline:%d/%m/%Y} (CGST Act s.34(2))"
        )
    if not returned:
        raise ReturnRefused("nothing returned")
    by_line = {line.line_no: line for line in invoice.lines}
    returnable = returnable_quantities(invoice, earlier)
    asked: dict[int, Decimal] = {}
    for item in returned:
        if item.invoice_line_no not in by_line:
            raise ReturnRefused(f"invoice {invoice.invoice_no} has no line {item.invoice_line_no}")
        if item.quantity <= 0:
            raise ReturnRefused(f"line {item.invoice_line_no}: returned quantity must be positive")
        asked[item.invoice_line_no] = asked.get(item.invoice_line_no, Decimal("0")) + item.quantity
    for line_no, quantity in asked.items():
        if quantity > returnable[line_no]:
            raise ReturnRefused(
                f"line {line_no} ({by_line[line_no].item_name}): {quantity} returned but only "
                f"{returnable[line_no]} of {by_line[line_no].quantity} invoiced remain returnable"
            )

    lines: list[InvoiceLine] = []
    for line_no, quantity in sorted(asked.items()):
        original = by_line[line_no]
        if quantity == returnable[line_no]:
            gross, discount, taxable, taxes = _remainder(
                original, _credited_amounts(line_no, invoice.invoice_no, earlier)
            )
        else:
            gross = to_paisa(quantity * original.unit_price)
            discount = to_paisa(original.discount * quantity / original.quantity)
            taxable = gross - discount
            taxes = taxes_on(taxable, invoice.regime, original.taxes.gst_rate, original.taxes.cess_rate)
        lines.append(
            InvoiceLine(
                line_no=len(lines) + 1,
                order_line_no=line_no,
                item_code=original.item_code,
                item_name=original.item_name,
                hsn=original.hsn,
                unit=original.unit,
                quantity=quantity,
                unit_price=original.unit_price,
                gross_value=gross,
                discount=discount,
                taxable_value=taxable,
                taxes=taxes,
                scheme_code=original.scheme_code,
            )
        )
    totals = totals_of(lines)
    return CreditNote(
        credit_note_no=credit_note_no,
        credit_note_date=note_date,
        financial_year=financial_year(note_date),
        issued_at=to_utc(issued_at),
        original_invoice_no=invoice.invoice_no,
        original_invoice_date=invoice.invoice_date,
        reason=reason,
        lines=tuple(lines),
        totals=totals,
        amount_in_words=amount_in_words(totals.grand_total),
        invoice=invoice,
        return_id=return_id,
    )
