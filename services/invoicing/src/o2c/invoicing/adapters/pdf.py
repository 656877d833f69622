"""The printed tax invoice (CGST Rule 46 layout) with fpdf2: supplier and buyer with GSTINs, place of
supply, HSN and tax columns per line, totals with round-off and amount in words, IRN/ack and the signed
QR code (image and payload) when registered, the e-way bill number when known. Pure function: record in, bytes out
(the service renders it off the request path and caches it by the invoice's revision)."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from typing import Any

import segno
from fpdf import FPDF
from o2c.contracts.v1 import common as c
from o2c.india.states import STATE_NAMES
from o2c.invoicing.domain.money import amount_in_words, indian_grouping
from o2c.invoicing.service_layer.ports import InvoiceRecord


def _t(text: object) -> str:
    """Core fonts are Latin-1: anything else is replaced, never an error."""
    return str(text).replace("₹", "Rs.").encode("latin-1", "replace").decode("latin-1")


def _money(value: Decimal) -> str:
    return indian_grouping(value)


def _rate(value: Decimal) -> str:
    return f"{value.normalize():f}%"


def _address_lines(a: c.Address) -> list[str]:
    lines = [a.name, a.line1]
    if a.line2:
        lines.append(a.line2)
    lines.append(f"{a.place} {a.pincode}, {STATE_NAMES.get(a.state_code, a.state_code)} ({a.state_code})")
    lines.append(f"GSTIN: {a.gstin}" if a.gstin else "Unregistered")
    return lines


def _width(pdf: FPDF, text: str) -> float:
    """Width of Latin-1 text in the current core font (what get_string_width computes, without its overhead)."""
    widths: Any = pdf.current_font.cw if pdf.current_font is not None else {}
    total = 0.0
    for ch in text:
        total += float(widths.get(ch, widths.get(ord(ch), 500)))
    return total * pdf.font_size / 1000


def _raw_text(pdf: FPDF, x: float, y: float, text: str) -> None:
    """A text object straight into the page's content stream in the current font (set with set_font)."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    pdf._out(f"q 0 g BT {x * pdf.k:.2f} {(pdf.h - y) * pdf.k:.2f} Td ({escaped}) Tj ET Q")


_QR_MM = 32.0
"""Printed size of the e-invoice QR code (the signed QR is long: the code needs room to scan)."""


def _qr_png(payload: str) -> BytesIO:
    """The signed QR payload as a PNG QR code, in memory (segno picks the smallest version that fits)."""
    out = BytesIO()
    segno.make_qr(payload, error="m").save(out, kind="png", scale=4, border=2)
    out.seek(0)
    return out


def render_invoice_pdf(record: InvoiceRecord) -> bytes:
    inv = record.issued
    intra = any(line.cgst_amount or line.sgst_amount or line.utgst_amount for line in inv.lines)
    ut = any(line.utgst_amount for line in inv.lines)
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.set_title(f"Tax invoice {inv.invoice_no}")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    pdf.set_font("Helvetica", "B", 14)
    title = "TAX INVOICE" + ("  (CANCELLED)" if record.is_cancelled else "")
    pdf.cell(width, 8, _t(title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(width, 4, "Original for recipient" + ("  -  Reverse charge: Yes" if inv.reverse_charge else ""),
             align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    top = pdf.get_y()
    col = width / 3
    blocks = [
        ("Supplier", _address_lines(inv.supplier)),
        ("Bill to (recipient)", _address_lines(inv.bill_to)),
        ("Ship to", _address_lines(inv.ship_to)),
    ]
    heights = []
    for index, (heading, texts) in enumerate(blocks):
        pdf.set_xy(pdf.l_margin + index * col, top)
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(col, 5, heading, new_x="LEFT", new_y="NEXT")
        pdf.set_font("Helvetica", "", 8)
        for text in texts:
            pdf.set_x(pdf.l_margin + index * col)
            pdf.cell(col, 4, _t(text)[:70], new_x="LEFT", new_y="NEXT")
        heights.append(pdf.get_y())
    pdf.set_y(max(heights) + 2)

    pos = f"{STATE_NAMES.get(inv.place_of_supply, inv.place_of_supply)} ({inv.place_of_supply})"
    facts = [
        ("Invoice no", inv.invoice_no), ("Invoice date", inv.invoice_date.strftime("%d/%m/%Y")),
        ("Place of supply", pos), ("Order", inv.order_no),
        ("Customer PO", inv.customer_po_no or "-"), ("Due date", inv.due_date.strftime("%d/%m/%Y")),
        ("Vehicle", inv.transport.vehicle_no or "-"), ("E-way bill no", record.ewaybill_no or "-"),
    ]
    pdf.set_font("Helvetica", "", 8)
    for index, (label, value) in enumerate(facts):
        pdf.set_font("Helvetica", "B", 8)
        pdf.cell(24, 5, label + ":")
        pdf.set_font("Helvetica", "", 8)
        pdf.cell(width / 4 - 24, 5, _t(value))
        if index % 4 == 3:
            pdf.ln(5)
    if record.irn is not None:
        pdf.set_font("Helvetica", "", 7)
        pdf.cell(width, 4, _t(f"IRN: {record.irn.irn}   Ack no: {record.irn.ack_no}   "
                              f"Ack date: {record.irn.ack_date:%d/%m/%Y %H:%M} UTC"),
                 new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    tax_heads = (["CGST %", "CGST", "UTGST %" if ut else "SGST %", "UTGST" if ut else "SGST"] if intra
                 else ["IGST %", "IGST"])
    heads = ["#", "Description", "HSN", "Qty", "UQC", "Rate", "Discount", "Taxable", *tax_heads, "Cess", "Total"]
    fixed = {"#": 8, "HSN": 18, "Qty": 16, "UQC": 12, "Rate": 20, "Discount": 20, "Taxable": 24, "Cess": 16,
             "Total": 26, "CGST %": 14, "CGST": 20, "SGST %": 14, "SGST": 20, "UTGST %": 14, "UTGST": 20,
             "IGST %": 14, "IGST": 22}
    widths: list[float] = [float(fixed.get(h, 0)) for h in heads]
    widths[1] = width - sum(widths)

    def header() -> None:
        pdf.set_font("Helvetica", "B", 7)
        pdf.set_fill_color(230, 230, 230)
        for h, w in zip(heads, widths, strict=True):
            pdf.cell(w, 6, h, border=1, align="C", fill=True)
        pdf.ln(6)

    header()
    pdf.set_font("Helvetica", "", 7)
    # The line table is drawn with text() and one rule per row: cell() per value costs ~0.5 ms each, and a
    # 240-line invoice has over 3,000 values.
    row_height = 5.0
    edges = [pdf.l_margin]
    for w in widths:
        edges.append(edges[-1] + w)
    page_top = pdf.get_y()

    def close_table(bottom: float) -> None:
        for x in edges:
            pdf.line(x, page_top, x, bottom)

    for line in inv.lines:
        if pdf.get_y() > pdf.h - 24:
            close_table(pdf.get_y())
            pdf.add_page()
            header()
            pdf.set_font("Helvetica", "", 7)
            page_top = pdf.get_y()
        if intra:
            second_rate = line.utgst_rate if ut else line.sgst_rate
            second_amount = line.utgst_amount if ut else line.sgst_amount
            taxes = [_rate(line.cgst_rate), _money(line.cgst_amount), _rate(second_rate), _money(second_amount)]
        else:
            taxes = [_rate(line.igst_rate), _money(line.igst_amount)]
        cells = [str(line.line_no), line.item_name, line.hsn, f"{line.quantity.value.normalize():f}",
                 line.quantity.unit.value, _money(line.unit_price), _money(line.discount), _money(line.taxable_value),
                 *taxes, _money(line.cess_amount), _money(line.line_total)]
        y = pdf.get_y()
        baseline = y + row_height - 1.4
        for index, (text, w) in enumerate(zip(cells, widths, strict=True)):
            value = _t(text)[: int(w / 1.4)]
            x = edges[index] + 1 if index == 1 else edges[index] + w - 1 - _width(pdf, value)
            _raw_text(pdf, x, baseline, value)
        pdf.line(edges[0], y + row_height, edges[-1], y + row_height)
        pdf.set_y(y + row_height)
    close_table(pdf.get_y())

    totals = inv.totals
    rows: list[tuple[str, Decimal]] = [("Taxable value", totals.taxable_value)]
    if intra:
        rows += [("CGST", totals.cgst), ("UTGST" if ut else "SGST", totals.utgst if ut else totals.sgst)]
    else:
        rows.append(("IGST", totals.igst))
    if totals.cess:
        rows.append(("Cess", totals.cess))
    rows += [("Round off", totals.round_off), ("Grand total (Rs.)", totals.grand_total)]
    pdf.ln(2)
    for label, amount in rows:
        if pdf.get_y() > pdf.h - 20:
            pdf.add_page()
        pdf.set_font("Helvetica", "B" if label.startswith("Grand") else "", 8)
        pdf.cell(width - 40, 5, label, align="R")
        pdf.cell(40, 5, _money(amount), border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(width, 5, _t(amount_in_words(totals.grand_total)), new_x="LMARGIN", new_y="NEXT")
    if record.irn is not None:
        if pdf.get_y() + _QR_MM + 4 > pdf.h - 14:
            pdf.add_page()
        pdf.ln(1)
        top = pdf.get_y()
        pdf.image(_qr_png(record.irn.signed_qr_code), x=pdf.l_margin, y=top, w=_QR_MM, h=_QR_MM)
        pdf.set_y(top + _QR_MM + 1)
        pdf.set_font("Helvetica", "", 6)
        pdf.multi_cell(width, 3, _t("Signed QR code payload: " + record.irn.signed_qr_code[:600]),
                       new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    pdf.ln(3)
    pdf.cell(width, 5, _t(f"For {inv.supplier.name}  -  Authorised signatory"), align="R")
    return bytes(pdf.output())
