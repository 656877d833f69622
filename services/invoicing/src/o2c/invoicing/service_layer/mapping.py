"""Between the contracts (what travels and what is stored) and the domain (what is computed).

An issued invoice is stored as its `InvoiceIssued` payload; the domain `TaxInvoice` is rebuilt from it
exactly (every amount is in the payload; the regime follows from supply type, supplier state and place
of supply). A credit note is stored as its `CreditNoteIssued` payload and rebuilt with its invoice."""

from __future__ import annotations

from decimal import Decimal

from o2c.contracts.types import Quantity, Uqc
from o2c.contracts.v1 import common as c
from o2c.contracts.v1 import invoicing as ci
from o2c.contracts.v1.dispatch import ShipmentReady
from o2c.invoicing.domain.credit_note import CreditNote
from o2c.invoicing.domain.invoice import (
    Batch,
    InvoiceLine,
    InvoiceTotals,
    PickedLine,
    ReadyShipment,
    Taxes,
    TaxInvoice,
    totals_of,
)
from o2c.invoicing.domain.money import amount_in_words
from o2c.invoicing.domain.place_of_supply import Address, SupplyType, TaxRegime, tax_regime

ZERO = Decimal("0")


def address(a: c.Address, *, gstin: str | None = None) -> Address:
    return Address(
        name=a.name, line1=a.line1, line2=a.line2, place=a.place, state_code=a.state_code, pincode=a.pincode,
        gstin=gstin if gstin is not None else a.gstin, country=a.country,
    )


def _batches(allocations: list[c.BatchAllocation]) -> tuple[Batch, ...]:
    return tuple(
        Batch(batch_no=a.batch_no, quantity=a.quantity.value, expiry_date=a.expiry_date)
        for a in allocations if a.batch_no
    )


def ready_shipment(msg: ShipmentReady) -> ReadyShipment:
    """What dispatch reported, in domain terms: `quantity` is the picked quantity of each line."""
    supplier = address(msg.dispatch_from, gstin=msg.warehouse_gstin)
    return ReadyShipment(
        shipment_id=msg.shipment_id, order_id=msg.order_id, order_no=msg.order_no, customer_id=msg.customer_id,
        customer_name=msg.customer_name, supplier_gstin=msg.warehouse_gstin, supplier=supplier,
        dispatch_from=supplier, bill_to=address(msg.bill_to), ship_to=address(msg.ship_to),
        supply_type=SupplyType(msg.supply_type.value),
        lines=tuple(
            PickedLine(
                line_no=line.line_no, item_code=line.item_code, item_name=line.item_name, hsn=line.hsn,
                unit=line.quantity.unit.value, picked_quantity=line.quantity.value,
                released_quantity=line.released_quantity.value, unit_price=line.unit_price, discount=line.discount,
                scheme_code=line.scheme_code, batches=_batches(line.allocations),
            )
            for line in msg.lines
        ),
        payment_terms_days=msg.payment_terms_days, customer_po_no=msg.customer_po_no,
        place_of_supply=msg.place_of_supply, delivered_to_third_party=msg.ship_to.third_party,
        tax_regime=TaxRegime(msg.tax_regime.value) if msg.tax_regime is not None else None,
    )


def contract_line(line: InvoiceLine, batches: list[c.BatchAllocation] | None = None) -> ci.InvoiceLine:
    t = line.taxes
    return ci.InvoiceLine(
        line_no=line.line_no, order_line_no=line.order_line_no, item_code=line.item_code, item_name=line.item_name,
        hsn=line.hsn, quantity=Quantity(value=line.quantity, unit=Uqc(line.unit)), unit_price=line.unit_price,
        discount=line.discount, taxable_value=line.taxable_value, gst_rate=t.gst_rate, cgst_rate=t.cgst_rate,
        sgst_rate=t.sgst_rate, utgst_rate=t.utgst_rate, igst_rate=t.igst_rate, cess_rate=t.cess_rate,
        cgst_amount=t.cgst, sgst_amount=t.sgst, utgst_amount=t.utgst, igst_amount=t.igst, cess_amount=t.cess,
        line_total=line.line_total,
        batches=batches if batches is not None else [
            c.BatchAllocation(quantity=Quantity(value=b.quantity, unit=Uqc(line.unit)), batch_no=b.batch_no,
                              expiry_date=b.expiry_date)
            for b in line.batches
        ],
    )


def contract_totals(t: InvoiceTotals) -> ci.InvoiceTotals:
    return ci.InvoiceTotals(
        taxable_value=t.taxable_value, discount=t.discount, cgst=t.cgst, sgst=t.sgst, utgst=t.utgst, igst=t.igst,
        cess=t.cess, round_off=t.round_off, grand_total=t.grand_total,
    )


def invoice_issued(
    invoice: TaxInvoice, msg: ShipmentReady, invoice_id: str, *, irn_required: bool
) -> ci.InvoiceIssued:
    """The event (and the stored document) of an invoice issued for a ready shipment."""
    allocations = {line.line_no: list(line.allocations) for line in msg.lines}
    supplier = msg.dispatch_from.model_copy(update={"gstin": msg.warehouse_gstin})
    return ci.InvoiceIssued(
        invoice_id=invoice_id, invoice_no=invoice.invoice_no, invoice_date=invoice.invoice_date,
        financial_year=invoice.financial_year, supplier_gstin=invoice.supplier_gstin,
        supplier_state_code=invoice.supplier_state_code, supplier=supplier, dispatch_from=supplier,
        customer_id=msg.customer_id, customer_name=msg.customer_name, buyer_gstin=invoice.buyer_gstin,
        bill_to=msg.bill_to, ship_to=msg.ship_to, place_of_supply=invoice.place_of_supply,
        supply_type=msg.supply_type, reverse_charge=invoice.reverse_charge,
        lines=[contract_line(line, allocations.get(line.order_line_no, [])) for line in invoice.lines],
        totals=contract_totals(invoice.totals), order_id=msg.order_id, order_no=msg.order_no,
        customer_po_no=msg.customer_po_no, shipment_id=msg.shipment_id, warehouse_id=msg.warehouse_id,
        payment_terms_days=msg.payment_terms_days, due_date=invoice.due_date, transport=msg.transport,
        irn_required=irn_required, irn=None, contact=msg.contact, issued_at=invoice.issued_at,
    )


def domain_line(line: ci.InvoiceLine) -> InvoiceLine:
    return InvoiceLine(
        line_no=line.line_no, order_line_no=line.order_line_no or line.line_no, item_code=line.item_code,
        item_name=line.item_name, hsn=line.hsn, unit=line.quantity.unit.value, quantity=line.quantity.value,
        unit_price=line.unit_price, gross_value=line.taxable_value + line.discount, discount=line.discount,
        taxable_value=line.taxable_value,
        taxes=Taxes(
            gst_rate=line.gst_rate, cgst_rate=line.cgst_rate, sgst_rate=line.sgst_rate, utgst_rate=line.utgst_rate,
            igst_rate=line.igst_rate, cess_rate=line.cess_rate, cgst=line.cgst_amount, sgst=line.sgst_amount,
            utgst=line.utgst_amount, igst=line.igst_amount, cess=line.cess_amount,
        ),
        batches=_batches(line.batches),
    )


def tax_invoice(issued: ci.InvoiceIssued) -> TaxInvoice:
    """The domain invoice, rebuilt exactly from its stored payload."""
    lines = tuple(domain_line(line) for line in issued.lines)
    supply_type = SupplyType(issued.supply_type.value)
    totals = totals_of(lines)
    return TaxInvoice(
        invoice_no=issued.invoice_no, invoice_date=issued.invoice_date, financial_year=issued.financial_year,
        issued_at=issued.issued_at, supplier_gstin=issued.supplier_gstin, supplier=address(issued.supplier),
        dispatch_from=address(issued.dispatch_from), bill_to=address(issued.bill_to),
        ship_to=address(issued.ship_to), place_of_supply=issued.place_of_supply, supply_type=supply_type,
        regime=tax_regime(supply_type, issued.supplier_state_code, issued.place_of_supply), lines=lines,
        totals=totals, amount_in_words=amount_in_words(totals.grand_total), shipment_id=issued.shipment_id,
        order_id=issued.order_id, order_no=issued.order_no, customer_id=issued.customer_id,
        customer_name=issued.customer_name, due_date=issued.due_date, customer_po_no=issued.customer_po_no,
        reverse_charge=issued.reverse_charge,
    )


def credit_note_issued(
    note: CreditNote, *, credit_note_id: str, invoice: ci.InvoiceIssued, return_id: str | None,
) -> ci.CreditNoteIssued:
    return ci.CreditNoteIssued(
        credit_note_id=credit_note_id, credit_note_no=note.credit_note_no, credit_note_date=note.credit_note_date,
        financial_year=note.financial_year, order_id=invoice.order_id, customer_id=invoice.customer_id,
        return_id=return_id, original_invoice_id=invoice.invoice_id, original_invoice_no=note.original_invoice_no,
        original_invoice_date=note.original_invoice_date, reason=note.reason, supplier_gstin=note.supplier_gstin,
        supplier_state_code=invoice.supplier_state_code, buyer_gstin=note.buyer_gstin,
        place_of_supply=note.place_of_supply, supply_type=invoice.supply_type,
        lines=[contract_line(line) for line in note.lines], totals=contract_totals(note.totals),
        issued_at=note.issued_at,
    )


def credit_note(issued: ci.CreditNoteIssued, invoice: TaxInvoice) -> CreditNote:
    lines = tuple(domain_line(line) for line in issued.lines)
    totals = totals_of(lines)
    return CreditNote(
        credit_note_no=issued.credit_note_no, credit_note_date=issued.credit_note_date,
        financial_year=issued.financial_year, issued_at=issued.issued_at,
        original_invoice_no=issued.original_invoice_no, original_invoice_date=issued.original_invoice_date,
        reason=issued.reason, lines=lines, totals=totals,
        amount_in_words=amount_in_words(totals.grand_total), invoice=invoice, return_id=issued.return_id,
    )
