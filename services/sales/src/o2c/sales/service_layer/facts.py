"""Domain aggregates as the v1 contracts carry them: customer and item facts, order facts, lines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from o2c.contracts.types import Quantity
from o2c.contracts.v1 import common, sales
from o2c.sales.domain.catalog import Item, PricedLine, SchemeKind
from o2c.sales.domain.customer import Address, Contact, Customer, CustomerStatus, GstCategory
from o2c.sales.domain.order import OrderLine, SalesOrder
from o2c.sales.domain.quotation import Quotation, QuotationLine, Totals
from o2c.sales.domain.tax import GstRateSchedule, gst_rate_for

ABROAD_PINCODE = "999999"  # the e-invoice schema's pincode for an address outside India

_SUPPLY_TYPES = {
    GstCategory.REGISTERED: common.SupplyType.B2B,
    GstCategory.COMPOSITION: common.SupplyType.B2B,
    GstCategory.UNREGISTERED: common.SupplyType.B2C,
    GstCategory.SEZ: common.SupplyType.SEZ_WITH_PAYMENT,
    GstCategory.OVERSEAS: common.SupplyType.EXPORT_WITH_PAYMENT,
}


def supply_type(category: GstCategory) -> common.SupplyType:
    return _SUPPLY_TYPES[category]


def address(a: Address) -> common.Address:
    return common.Address(
        name=a.name, line1=a.line1, line2=a.line2, place=a.place, district=a.district,
        state_code=a.state_code.value, pincode=a.pincode.value if a.pincode else ABROAD_PINCODE,
        gstin=a.gstin.value if a.gstin else None, country="IN" if not a.is_abroad else "ZZ",
        third_party=a.third_party,
    )


def contact(c: Contact | None) -> common.Contact | None:
    if c is None:
        return None
    return common.Contact(name=c.name, email=c.email, phone=c.phone,
                          channels=[common.NotificationChannel(x) for x in c.channels])


def customer_facts(c: Customer) -> dict[str, Any]:
    billing = c.billing_address
    shipping = next((a for a in c.addresses if a.is_shipping), billing)
    return {
        "customer_id": c.customer_id, "customer_code": c.code, "name": c.legal_name,
        "pan": c.pan.value if c.pan else None,
        "addresses": [
            sales.CustomerAddress(address_id=a.address_id, address=address(a), is_billing=a.is_billing,
                                  is_shipping=a.is_shipping)
            for a in c.addresses
        ],
        "default_bill_to": billing.address_id, "default_ship_to": shipping.address_id,
        "payment_terms_days": c.payment_terms_days, "credit_grace_days": c.credit_grace_days,
        "proposed_credit_limit": c.requested_credit_limit,
        "ship_policy": common.ShipPolicy(c.ship_policy.value),
        "shortage_policy": common.ShortagePolicy(c.shortage_policy.value),
        "contacts": [x for x in (contact(y) for y in c.contacts) if x is not None],
        "active": c.status is CustomerStatus.ACTIVE, "revision": c.revision,
        "sales_owner": c.sales_owner, "partner_ids": list(c.partner_ids),
    }


def item_facts(item: Item, revision: int, rates: GstRateSchedule, at: datetime) -> dict[str, Any]:
    from o2c.sales.domain.numbering import business_date

    rate = gst_rate_for(rates, item.hsn, business_date(at))
    return {
        "item_code": item.code, "name": item.name, "hsn": item.hsn.value, "unit": item.unit.value,
        "product_line": item.product_line, "batch_tracked": item.batch_tracked, "stocked": item.stocked,
        "lead_time_days": item.lead_time_days, "gst_rate": rate.rate, "cess_rate": rate.cess_rate,
        "active": item.active, "revision": revision,
    }


def ship_quantity(priced: PricedLine) -> Decimal:
    """Units to ship: ordered plus the scheme's free units."""
    return priced.quantity + priced.free_quantity


def line_discount(priced: PricedLine) -> Decimal:
    """Free units travel as extra quantity with a discount of their value, so that
    taxable value = quantity × unit price − discount holds on every line."""
    benefit = priced.benefit
    if benefit is None:
        return Decimal("0.00")
    if benefit.kind is SchemeKind.BUY_X_GET_Y:
        return benefit.value
    return benefit.discount


def contract_line(line_no: int, priced: PricedLine, promised: Any) -> common.OrderLine:
    return common.OrderLine(
        line_no=line_no, item_code=priced.item.code, item_name=priced.item.name, hsn=priced.item.hsn.value,
        quantity=Quantity(value=ship_quantity(priced), unit=priced.item.unit.value),
        unit_price=priced.unit_price, discount=line_discount(priced),
        scheme_code=priced.scheme.code if priced.scheme else None, taxable_value=priced.taxable_value,
        gst_rate=priced.gst.rate, cess_rate=priced.gst.cess_rate, promised_date=promised,
        batch_tracked=priced.item.batch_tracked,
    )


def order_line(line: OrderLine) -> common.OrderLine:
    return contract_line(line.line_no, line.priced, line.committed_date)


def quotation_line(line: QuotationLine) -> common.OrderLine:
    return contract_line(line.line_no, line.priced, line.promise.ship_date)


def totals(t: Totals) -> common.OrderTotals:
    return common.OrderTotals(taxable_value=t.taxable_value, tax_amount=t.tax.total, gross_value=t.gross_value)


def order_facts(order: SalesOrder, category: GstCategory) -> dict[str, Any]:
    return {
        "order_id": order.order_id, "order_no": order.number.text, "order_date": order.order_date,
        "revision": order.revision, "customer_id": order.customer_id, "customer_name": order.customer_name,
        "customer_po_no": order.customer_po_no, "quotation_id": order.quotation_id,
        "bill_to": address(order.bill_to), "ship_to": address(order.ship_to),
        "place_of_supply": order.place_of_supply.value, "supply_type": supply_type(category),
        "lines": [order_line(line) for line in order.lines], "totals": totals(order.totals),
        "ship_policy": common.ShipPolicy(order.ship_policy.value),
        "payment_terms_days": order.payment_terms_days, "contact": contact(order.contact),
    }


def quoted_from(q: Quotation) -> sales.QuotedFrom | None:
    """What an order converted from `q` says of it; None for a quotation stored before its issue time was kept
    (readers then join with its QuotationIssued, as before)."""
    if q.issued_at is None:
        return None
    return sales.QuotedFrom(quotation_no=q.number.text, issued_at=q.issued_at, valid_until=q.valid_until,
                            gross_value=q.totals.gross_value)


def quotation_issued(q: Quotation, at: datetime) -> sales.QuotationIssued:
    return sales.QuotationIssued(
        quotation_id=q.quotation_id, quotation_no=q.number.text, customer_id=q.customer_id,
        customer_name=q.customer_name, issued_at=at, valid_until=q.valid_until,
        lines=[quotation_line(line) for line in q.lines], totals=totals(q.totals),
    )
