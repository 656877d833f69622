"""JSON views of the sales aggregates for the API (money and quantities as decimal strings)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from o2c.sales.domain.customer import Address, Customer
from o2c.sales.domain.order import SalesOrder
from o2c.sales.domain.quotation import Quotation, QuotationLine, Totals
from o2c.sales.domain.tax import TaxSplit
from o2c.sales.service_layer import facts
from o2c.sales.service_layer.ports import SagaRecord


def dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def address(a: Address) -> dict[str, Any]:
    return {
        "address_id": a.address_id, "name": a.name, "line1": a.line1, "line2": a.line2, "place": a.place,
        "district": a.district, "state_code": a.state_code.value, "state": a.state_code.name,
        "pincode": a.pincode.value if a.pincode else None, "gstin": a.gstin.value if a.gstin else None,
        "is_billing": a.is_billing, "is_shipping": a.is_shipping, "third_party": a.third_party,
    }


def customer(c: Customer, *, audit: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "customer_id": c.customer_id, "code": c.code, "legal_name": c.legal_name,
        "pan": c.pan.value if c.pan else None, "gst_category": c.gst_category.value, "status": c.status.value,
        "status_reason": c.status_reason, "can_trade": c.can_trade().allowed, "trade_refusal": c.can_trade().reason,
        "addresses": [address(a) for a in c.addresses], "payment_terms_days": c.payment_terms_days,
        "credit_grace_days": c.credit_grace_days, "price_list_code": c.price_list_code,
        "sales_owner": c.sales_owner, "partner_ids": list(c.partner_ids), "ship_policy": c.ship_policy.value,
        "shortage_policy": c.shortage_policy.value, "requested_credit_limit": dec(c.requested_credit_limit),
        "created_by": c.created_by, "created_at": c.created_at.isoformat(), "approved_by": c.approved_by,
        "approved_at": c.approved_at.isoformat() if c.approved_at else None, "revision": c.revision,
        "contacts": [{"name": x.name, "email": x.email, "phone": x.phone, "channels": list(x.channels)}
                     for x in c.contacts],
    }
    if audit:
        out["audit"] = [
            {"who": e.who, "when": e.when.isoformat(), "field": e.field, "before": e.before, "after": e.after}
            for e in c.audit
        ]
    return out


def tax(t: TaxSplit) -> dict[str, str | None]:
    return {"cgst": dec(t.cgst), "sgst": dec(t.sgst), "utgst": dec(t.utgst), "igst": dec(t.igst),
            "cess": dec(t.cess), "total": dec(t.total)}


def totals(t: Totals) -> dict[str, Any]:
    return {"taxable_value": dec(t.taxable_value), "tax": tax(t.tax), "gross_value": dec(t.gross_value)}


def quotation_line(line: QuotationLine) -> dict[str, Any]:
    p = line.priced
    return {
        "line_no": line.line_no, "item_code": p.item.code, "item_name": p.item.name, "hsn": p.item.hsn.value,
        "quantity": dec(p.quantity), "free_quantity": dec(p.free_quantity), "unit": p.item.unit.value,
        "unit_price": dec(p.unit_price), "price_source": p.price_source.value,
        "scheme_code": p.scheme.code if p.scheme else None, "discount": dec(p.discount),
        "taxable_value": dec(p.taxable_value), "gst_rate": dec(p.gst.rate), "tax": tax(line.tax),
        "gross_value": dec(line.gross_value),
        "atp": None if line.atp is None else [
            {"warehouse_id": w.warehouse_id, "available": dec(w.available)} for w in line.atp
        ],
        "promise_date": line.promise.ship_date.isoformat(), "promise_basis": line.promise.basis.value,
    }


def quotation(q: Quotation) -> dict[str, Any]:
    return {
        "quotation_id": q.quotation_id, "number": q.number.text, "customer_id": q.customer_id,
        "customer_code": q.customer_code, "customer_name": q.customer_name, "status": q.status.value,
        "revision": q.revision, "quoted_on": q.quoted_on.isoformat(), "valid_until": q.valid_until.isoformat(),
        "place_of_supply": q.place_of_supply.value, "supplier_state": q.terms.supplier_state.value,
        "bill_to": address(q.terms.bill_to),
        "ship_to": address(q.ship_to), "lines": [quotation_line(line) for line in q.lines],
        "totals": totals(q.totals), "converted_order_id": q.converted_order_id, "created_by": q.created_by,
        "history": [
            {"revision": h.revision, "quoted_on": h.quoted_on.isoformat(), "valid_until": h.valid_until.isoformat(),
             "ship_to": address(h.ship_to), "superseded_by": h.superseded_by,
             "superseded_at": h.superseded_at.isoformat(),
             "lines": [quotation_line(line) for line in h.lines]}
            for h in q.history
        ],
    }


def saga(record: SagaRecord) -> dict[str, Any]:
    s = record.saga
    return {
        "status": s.status.value, "version": s.version, "revision": s.revision,
        "waiting_for": record.waiting_for,
        "next_check_at": record.next_check_at.isoformat() if record.next_check_at else None,
        "rounds": [
            {"number": r.number, "kind": r.kind.value, "revision": r.revision, "credit": r.credit.value,
             "reservation": r.reservation.outcome.value if r.reservation else None,
             "settlement": r.settlement.value if r.settlement else None,
             "lines": [{"line_no": x.line_no, "quantity": dec(x.quantity)} for x in r.lines]}
            for r in s.rounds
        ],
        "shipments": [
            {"shipment_id": x.shipment_id, "round_no": x.round_no, "warehouse_id": x.warehouse_id,
             "state": x.state.value, "notified": x.notified,
             "lines": [{"line_no": y.line_no, "quantity": dec(y.quantity)} for y in x.lines]}
            for x in s.shipments
        ],
        "backorder": [{"line_no": b.line_no, "quantity": dec(b.quantity),
                       "expected_date": b.expected_date.isoformat() if b.expected_date else None}
                      for b in s.backorder],
        "awaiting_replies": sorted(s.awaiting), "compensating": s.is_compensating,
        "failure": s.failure, "parked": s.parked, "exceptions": record.exceptions,
        "invoices": record.invoices,
    }


def order(o: SalesOrder, record: SagaRecord | None) -> dict[str, Any]:
    return {
        "order_id": o.order_id, "number": o.number.text, "status": o.status.value,
        "status_reason": o.status_reason, "revision": o.revision, "customer_id": o.customer_id,
        "customer_code": o.customer_code, "customer_name": o.customer_name, "customer_po_no": o.customer_po_no,
        "quotation_id": o.quotation_id, "order_date": o.order_date.isoformat(),
        "ship_policy": o.ship_policy.value, "shortage_policy": o.shortage_policy.value,
        "payment_terms_days": o.payment_terms_days, "place_of_supply": o.place_of_supply.value,
        "supplier_state": o.terms.supplier_state.value,
        "bill_to": address(o.bill_to), "ship_to": address(o.ship_to),
        "lines": [
            {"line_no": line.line_no, "item_code": line.item.code, "item_name": line.item.name,
             "quantity": dec(line.quantity), "free_quantity": dec(line.priced.free_quantity),
             "ship_quantity": dec(facts.ship_quantity(line.priced)), "unit": line.item.unit.value,
             "unit_price": dec(line.priced.unit_price),
             "scheme_code": line.priced.scheme.code if line.priced.scheme else None,
             "discount": dec(line.priced.discount), "taxable_value": dec(line.taxable_value),
             "tax": tax(line.tax), "gross_value": dec(line.gross_value),
             "dispatch_state": line.dispatch_state.value if line.dispatch_state else None,
             "committed_date": line.committed_date.isoformat()}
            for line in o.lines
        ],
        "totals": totals(o.totals), "created_by": o.created_by, "created_at": o.created_at.isoformat(),
        "amendments": [
            {"revision": a.revision, "reason": a.reason, "by": a.by, "at": a.at.isoformat(),
             "gross_before": dec(a.gross_before), "gross_after": dec(a.gross_after)}
            for a in o.amendments
        ],
        "dispatched_shipments": sorted(o.dispatched_shipments),
        "saga": saga(record) if record else None,
    }

