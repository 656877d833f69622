"""The quotation as a printable document for the customer (HTML; print to PDF from any browser)."""

from __future__ import annotations

from html import escape

from o2c.sales.domain.customer import Address
from o2c.sales.domain.quotation import Quotation


def _address(a: Address) -> str:
    parts = [a.name, a.line1, a.line2, a.place, f"{a.state_code.name} {a.pincode or ''}".strip()]
    text = "<br>".join(escape(p) for p in parts if p)
    return text + (f"<br>GSTIN {escape(a.gstin.value)}" if a.gstin else "")


def quotation_html(q: Quotation, company: str = "o2c") -> str:
    t = q.totals
    rows = "".join(
        f"<tr><td>{line.line_no}</td><td>{escape(line.priced.item.code)}<br><small>{escape(line.priced.item.name)}"
        f"</small></td><td>{escape(line.priced.item.hsn.value)}</td>"
        f"<td class=n>{line.quantity:f} {line.priced.item.unit.value}"
        + (f" + {line.priced.free_quantity:f} free" if line.priced.free_quantity else "")
        + f"</td><td class=n>{line.unit_price:.2f}</td><td class=n>{line.discount:.2f}"
        + (f"<br><small>{escape(line.priced.scheme.code)}</small>" if line.priced.scheme else "")
        + f"</td><td class=n>{line.taxable_value:.2f}</td><td class=n>{line.priced.gst.rate:f} %</td>"
        f"<td class=n>{line.tax.total:.2f}</td><td class=n>{line.gross_value:.2f}</td>"
        f"<td>{line.promise.ship_date.strftime('%d/%m/%Y')}"
        + (" (stock not confirmed)" if line.promise.basis.value in ("stock_unknown", "short") else "")
        + "</td></tr>"
        for line in q.lines
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Quotation {escape(q.number.text)}</title>
<style>body{{font-family:sans-serif;font-size:12px;margin:2em}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #999;padding:4px;vertical-align:top}}.n{{text-align:right}}h1{{font-size:18px}}</style>
</head><body>
<h1>{escape(company)} — Quotation {escape(q.number.text)} (revision {q.revision})</h1>
<p>Date {q.quoted_on.strftime('%d/%m/%Y')}, valid until {q.valid_until.strftime('%d/%m/%Y')} (IST).
Place of supply: {escape(q.place_of_supply.name)} ({q.place_of_supply.value}).</p>
<table><tr><th>Bill to</th><th>Ship to</th></tr>
<tr><td>{_address(q.terms.bill_to)}</td><td>{_address(q.ship_to)}</td></tr></table><br>
<table><tr><th>#</th><th>Item</th><th>HSN</th><th>Quantity</th><th>Unit price ₹</th><th>Discount ₹</th>
<th>Taxable ₹</th><th>GST</th><th>GST ₹</th><th>Total ₹</th><th>Ships by</th></tr>{rows}
<tr><th colspan=6 class=n>Total</th><th class=n>{t.taxable_value:.2f}</th><th></th><th class=n>{t.tax.total:.2f}</th>
<th class=n>{t.gross_value:.2f}</th><th></th></tr></table>
<p>GST is an estimate at the rates in force today; the tax invoice states the tax of the supply.</p>
</body></html>"""
