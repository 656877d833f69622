"""From the contracts to the domain: Part A from the invoice, Part B from the dispatch details as typed."""

from __future__ import annotations

from o2c.contracts.v1.common import Address, TransportDetails
from o2c.contracts.v1.common import TransportMode as ContractMode
from o2c.contracts.v1.invoicing import InvoiceIssued
from o2c.ewaybill.domain.generation import DispatchDetails, InvoiceForEwayBill, InvoiceItem, Place
from o2c.ewaybill.domain.vehicle import TransportMode
from o2c.india.ewaybill import VehicleType

MODES = {ContractMode.ROAD: TransportMode.ROAD, ContractMode.RAIL: TransportMode.RAIL,
         ContractMode.AIR: TransportMode.AIR, ContractMode.SHIP: TransportMode.SHIP}


def place(address: Address) -> Place:
    return Place(name=address.name, line1=address.line1, line2=address.line2, place=address.place,
                 state_code=address.state_code, pincode=address.pincode, gstin=address.gstin)


def invoice_facts(invoice: InvoiceIssued) -> InvoiceForEwayBill:
    items = tuple(
        InvoiceItem(
            name=line.item_name, hsn=line.hsn, quantity=line.quantity.value, unit=str(line.quantity.unit),
            taxable_value=line.taxable_value, cgst_rate=line.cgst_rate,
            sgst_rate=line.sgst_rate or line.utgst_rate, igst_rate=line.igst_rate, cess_rate=line.cess_rate,
        )
        for line in invoice.lines
    )
    totals = invoice.totals
    bill_to = place(invoice.bill_to)
    if invoice.buyer_gstin and bill_to.gstin != invoice.buyer_gstin:
        bill_to = Place(name=bill_to.name, line1=bill_to.line1, line2=bill_to.line2, place=bill_to.place,
                        state_code=bill_to.state_code, pincode=bill_to.pincode, gstin=invoice.buyer_gstin)
    return InvoiceForEwayBill(
        invoice_no=invoice.invoice_no, invoice_date=invoice.invoice_date, supplier_gstin=invoice.supplier_gstin,
        supplier=place(invoice.supplier), dispatch_from=place(invoice.dispatch_from), bill_to=bill_to,
        ship_to=place(invoice.ship_to), supply_type=invoice.supply_type.value, items=items,
        taxable_value=totals.taxable_value, cgst=totals.cgst, sgst=totals.sgst + totals.utgst, igst=totals.igst,
        cess=totals.cess, round_off=totals.round_off, grand_total=totals.grand_total,
    )


def dispatch_details(transport: TransportDetails) -> DispatchDetails:
    return DispatchDetails(
        distance_km=transport.distance_km, mode=MODES[transport.mode], vehicle_no=transport.vehicle_no,
        vehicle_type=VehicleType(transport.vehicle_type.value), transporter_id=transport.transporter_id,
        transporter_name=transport.transporter_name, transport_doc_no=transport.lr_no,
        transport_doc_date=transport.lr_date,
    )
