"""GSTR-1 for one supplier GSTIN and one month, in the portal's JSON shape, from the invoice register.

Sections: b2b (registered buyers, SEZ and deemed exports), b2cl (inter-state to unregistered buyers
above the threshold in force on the invoice date), b2cs (the rest of B2C, by place of supply and
rate, net of their credit notes), exp, cdnr, cdnur, the HSN summary and the documents issued.
Cancelled invoices count only in the documents issued. Amounts stay Decimal (see `portal_json`)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from o2c.india.effective import row_in_force
from o2c.invoicing.domain.credit_note import CreditNote
from o2c.invoicing.domain.invoice import InvoiceLine, TaxInvoice
from o2c.invoicing.domain.money import ZERO
from o2c.invoicing.domain.numbering import split_series
from o2c.invoicing.domain.place_of_supply import SupplyType

_PERIOD = re.compile(r"^(?P<year>[0-9]{4})-(?P<month>0[1-9]|1[0-2])$")

# GSTR-1 Table 12 (HSN summary) is reported in separate B2B and B2C tables from this tax period on
# (GSTN's phase III of Table 12); earlier periods use one `data` list.
HSN_SUMMARY_SPLIT_FROM = date(2025, 1, 1)


class Gstr1Section(StrEnum):
    B2B = "b2b"
    B2CL = "b2cl"
    B2CS = "b2cs"
    EXPORT = "exp"


@dataclass(frozen=True, slots=True)
class B2clThreshold:
    """Inter-state B2C invoices above this value are reported one by one (B2C large)."""

    invoice_value_above: Decimal
    effective_from: date
    effective_to: date | None = None


_INVOICE_TYPE = {
    SupplyType.B2B: "R",
    SupplyType.SEZ_WITH_PAYMENT: "SEWP",
    SupplyType.SEZ_WITHOUT_PAYMENT: "SEWOP",
    SupplyType.DEEMED_EXPORT: "DE",
}


def section_of(invoice: TaxInvoice, thresholds: Iterable[B2clThreshold]) -> Gstr1Section:
    if invoice.supply_type.is_export:
        return Gstr1Section.EXPORT
    if invoice.supply_type is not SupplyType.B2C:
        return Gstr1Section.B2B
    if invoice.is_inter_state:
        threshold = row_in_force(thresholds, invoice.invoice_date)
        if threshold is not None and invoice.totals.grand_total > threshold.invoice_value_above:
            return Gstr1Section.B2CL
    return Gstr1Section.B2CS


def filing_period(period: str) -> tuple[date, date, str]:
    """`2026-11` → first day, last day, and the portal's `fp` (`112026`)."""
    found = _PERIOD.match(period)
    if not found:
        raise ValueError(f"period must be YYYY-MM: {period!r}")
    year, month = int(found.group("year")), int(found.group("month"))
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1), f"{month:02d}{year}"


def _portal_date(on: date) -> str:
    return on.strftime("%d-%m-%Y")


@dataclass
class _Amounts:
    txval: Decimal = ZERO
    iamt: Decimal = ZERO
    camt: Decimal = ZERO
    samt: Decimal = ZERO
    csamt: Decimal = ZERO
    qty: Decimal = Decimal("0")
    val: Decimal = ZERO

    def add(self, line: InvoiceLine, sign: int = 1) -> None:
        self.txval += sign * line.taxable_value
        self.iamt += sign * line.taxes.igst
        self.camt += sign * line.taxes.cgst
        self.samt += sign * (line.taxes.sgst + line.taxes.utgst)
        self.csamt += sign * line.taxes.cess
        self.qty += sign * line.quantity
        self.val += sign * line.line_total


def _by_rate(lines: Iterable[InvoiceLine]) -> dict[Decimal, _Amounts]:
    grouped: dict[Decimal, _Amounts] = defaultdict(_Amounts)
    for line in lines:
        grouped[line.taxes.gst_rate].add(line)
    return dict(sorted(grouped.items()))


def _items(lines: Iterable[InvoiceLine], *, intra: bool, inter: bool) -> list[dict[str, Any]]:
    items = []
    for number, (rate, amounts) in enumerate(_by_rate(lines).items(), start=1):
        detail: dict[str, Any] = {"rt": rate, "txval": amounts.txval}
        if inter:
            detail["iamt"] = amounts.iamt
        if intra:
            detail["camt"] = amounts.camt
            detail["samt"] = amounts.samt
        detail["csamt"] = amounts.csamt
        items.append({"num": number, "itm_det": detail})
    return items


def _b2b_items(invoice_lines: Iterable[InvoiceLine]) -> list[dict[str, Any]]:
    return _items(invoice_lines, intra=True, inter=True)


def _b2b(invoices: Sequence[TaxInvoice]) -> list[dict[str, Any]]:
    by_buyer: dict[str, list[TaxInvoice]] = defaultdict(list)
    for invoice in invoices:
        by_buyer[invoice.buyer_gstin or ""].append(invoice)
    return [
        {
            "ctin": ctin,
            "inv": [
                {
                    "inum": inv.invoice_no,
                    "idt": _portal_date(inv.invoice_date),
                    "val": inv.totals.grand_total,
                    "pos": inv.place_of_supply,
                    "rchrg": "Y" if inv.reverse_charge else "N",
                    "inv_typ": _INVOICE_TYPE[inv.supply_type],
                    "itms": _b2b_items(inv.lines),
                }
                for inv in sorted(group, key=lambda i: i.invoice_no)
            ],
        }
        for ctin, group in sorted(by_buyer.items())
    ]


def _b2cl(invoices: Sequence[TaxInvoice]) -> list[dict[str, Any]]:
    by_pos: dict[str, list[TaxInvoice]] = defaultdict(list)
    for invoice in invoices:
        by_pos[invoice.place_of_supply].append(invoice)
    return [
        {
            "pos": pos,
            "inv": [
                {
                    "inum": inv.invoice_no,
                    "idt": _portal_date(inv.invoice_date),
                    "val": inv.totals.grand_total,
                    "itms": _items(inv.lines, intra=False, inter=True),
                }
                for inv in sorted(group, key=lambda i: i.invoice_no)
            ],
        }
        for pos, group in sorted(by_pos.items())
    ]


def _b2cs(invoices: Sequence[TaxInvoice], notes: Sequence[CreditNote]) -> list[dict[str, Any]]:
    grouped: dict[tuple[str, str, Decimal], _Amounts] = defaultdict(_Amounts)
    for document_lines, invoice, sign in [(inv.lines, inv, 1) for inv in invoices] + [
        (note.lines, note.invoice, -1) for note in notes
    ]:
        supply = "INTER" if invoice.is_inter_state else "INTRA"
        for line in document_lines:
            grouped[(supply, invoice.place_of_supply, line.taxes.gst_rate)].add(line, sign)
    rows = []
    for (supply, pos, rate), amounts in sorted(grouped.items()):
        row: dict[str, Any] = {"sply_ty": supply, "pos": pos, "typ": "OE", "rt": rate, "txval": amounts.txval}
        if supply == "INTER":
            row["iamt"] = amounts.iamt
        else:
            row["camt"] = amounts.camt
            row["samt"] = amounts.samt
        row["csamt"] = amounts.csamt
        rows.append(row)
    return rows


def _exp(invoices: Sequence[TaxInvoice]) -> list[dict[str, Any]]:
    kinds = (("WPAY", SupplyType.EXPORT_WITH_PAYMENT), ("WOPAY", SupplyType.EXPORT_WITHOUT_PAYMENT))
    sections = []
    for export_type, supply_type in kinds:
        group = sorted((i for i in invoices if i.supply_type is supply_type), key=lambda i: i.invoice_no)
        if group:
            sections.append(
                {
                    "exp_typ": export_type,
                    "inv": [
                        {
                            "inum": inv.invoice_no,
                            "idt": _portal_date(inv.invoice_date),
                            "val": inv.totals.grand_total,
                            "itms": [
                                {
                                    "rt": d["itm_det"]["rt"],
                                    "txval": d["itm_det"]["txval"],
                                    "iamt": d["itm_det"]["iamt"],
                                    "csamt": d["itm_det"]["csamt"],
                                }
                                for d in _items(inv.lines, intra=False, inter=True)
                            ],
                        }
                        for inv in group
                    ],
                }
            )
    return sections


def _note(note: CreditNote) -> dict[str, Any]:
    return {
        "ntty": "C",
        "nt_num": note.credit_note_no,
        "nt_dt": _portal_date(note.credit_note_date),
        "val": note.totals.grand_total,
    }


def _cdnr(notes: Sequence[CreditNote]) -> list[dict[str, Any]]:
    by_buyer: dict[str, list[CreditNote]] = defaultdict(list)
    for note in notes:
        by_buyer[note.buyer_gstin or ""].append(note)
    return [
        {
            "ctin": ctin,
            "nt": [
                _note(note)
                | {
                    "pos": note.place_of_supply,
                    "rchrg": "Y" if note.invoice.reverse_charge else "N",
                    "inv_typ": _INVOICE_TYPE[note.invoice.supply_type],
                    "itms": _b2b_items(note.lines),
                }
                for note in sorted(group, key=lambda n: n.credit_note_no)
            ],
        }
        for ctin, group in sorted(by_buyer.items())
    ]


def _cdnur(notes: Sequence[CreditNote], sections: dict[str, Gstr1Section]) -> list[dict[str, Any]]:
    rows = []
    for note in sorted(notes, key=lambda n: n.credit_note_no):
        if sections[note.credit_note_no] is Gstr1Section.B2CL:
            row = {"typ": "B2CL"} | _note(note) | {"pos": note.place_of_supply}
        else:
            row = {"typ": note.invoice.supply_type.value} | _note(note)
        row["itms"] = _items(note.lines, intra=False, inter=True)
        rows.append(row)
    return rows


def _hsn_rows(documents: Iterable[tuple[Sequence[InvoiceLine], int]], *, with_value: bool) -> list[dict[str, Any]]:
    grouped: dict[tuple[str, str, Decimal], _Amounts] = defaultdict(_Amounts)
    descriptions: dict[tuple[str, str, Decimal], str] = {}
    for lines, sign in documents:
        for line in lines:
            key = (line.hsn, line.unit, line.taxes.gst_rate)
            grouped[key].add(line, sign)
            descriptions.setdefault(key, line.item_name)
    rows = []
    for number, (key, amounts) in enumerate(sorted(grouped.items()), start=1):
        hsn, unit, rate = key
        row: dict[str, Any] = {
            "num": number,
            "hsn_sc": hsn,
            "desc": descriptions[key],
            "uqc": unit,
            "qty": amounts.qty,
        }
        if with_value:
            row["val"] = amounts.val
        row |= {
            "rt": rate,
            "txval": amounts.txval,
            "iamt": amounts.iamt,
            "camt": amounts.camt,
            "samt": amounts.samt,
            "csamt": amounts.csamt,
        }
        rows.append(row)
    return rows


def _hsn(
    invoices: Sequence[TaxInvoice], notes: Sequence[CreditNote], period_start: date
) -> dict[str, list[dict[str, Any]]]:
    documents = [(inv.lines, 1, inv.buyer_gstin is not None) for inv in invoices] + [
        (note.lines, -1, note.buyer_gstin is not None) for note in notes
    ]
    if period_start < HSN_SUMMARY_SPLIT_FROM:
        return {"data": _hsn_rows(((lines, sign) for lines, sign, _ in documents), with_value=True)}
    return {
        "hsn_b2b": _hsn_rows(((lines, sign) for lines, sign, b2b in documents if b2b), with_value=False),
        "hsn_b2c": _hsn_rows(((lines, sign) for lines, sign, b2b in documents if not b2b), with_value=False),
    }


def _document_ranges(numbers: Sequence[str], cancelled: Collection[str]) -> list[dict[str, Any]]:
    by_series: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for number in numbers:
        series, sequence = split_series(number)
        by_series[series].append((sequence, number))
    docs = []
    for index, (_, issued) in enumerate(sorted(by_series.items()), start=1):
        issued.sort()
        total = len(issued)
        cancelled_count = sum(1 for _, number in issued if number in cancelled)
        docs.append(
            {
                "num": index,
                "from": issued[0][1],
                "to": issued[-1][1],
                "totnum": total,
                "cancel": cancelled_count,
                "net_issue": total - cancelled_count,
            }
        )
    return docs


def _doc_issue(
    invoice_numbers: Sequence[str], note_numbers: Sequence[str], cancelled: Collection[str]
) -> dict[str, Any]:
    details = []
    if invoice_numbers:
        details.append(
            {
                "doc_num": 1,
                "doc_typ": "Invoices for outward supply",
                "docs": _document_ranges(invoice_numbers, cancelled),
            }
        )
    if note_numbers:
        details.append({"doc_num": 5, "doc_typ": "Credit Note", "docs": _document_ranges(note_numbers, cancelled)})
    return {"doc_det": details}


def build_gstr1(
    gstin: str,
    period: str,
    invoices: Sequence[TaxInvoice],
    credit_notes: Sequence[CreditNote],
    cancelled_document_nos: Collection[str],
    b2cl_thresholds: Iterable[B2clThreshold],
) -> dict[str, Any]:
    """GSTR-1 JSON for `gstin` and `period` (`YYYY-MM`). Documents of other GSTINs or months are ignored."""
    thresholds = tuple(b2cl_thresholds)
    first, last, fp = filing_period(period)
    issued = [i for i in invoices if i.supplier_gstin == gstin and first <= i.invoice_date <= last]
    notes_issued = [n for n in credit_notes if n.supplier_gstin == gstin and first <= n.credit_note_date <= last]
    live = [i for i in issued if i.invoice_no not in cancelled_document_nos]
    notes = [n for n in notes_issued if n.credit_note_no not in cancelled_document_nos]

    by_section: dict[Gstr1Section, list[TaxInvoice]] = defaultdict(list)
    for invoice in live:
        by_section[section_of(invoice, thresholds)].append(invoice)
    note_sections = {n.credit_note_no: section_of(n.invoice, thresholds) for n in notes}
    registered_notes = [n for n in notes if note_sections[n.credit_note_no] is Gstr1Section.B2B]
    b2cs_notes = [n for n in notes if note_sections[n.credit_note_no] is Gstr1Section.B2CS]
    unregistered_notes = [
        n for n in notes if note_sections[n.credit_note_no] in (Gstr1Section.B2CL, Gstr1Section.EXPORT)
    ]

    report: dict[str, Any] = {"gstin": gstin, "fp": fp}
    sections: dict[str, Any] = {
        "b2b": _b2b(by_section[Gstr1Section.B2B]),
        "b2cl": _b2cl(by_section[Gstr1Section.B2CL]),
        "b2cs": _b2cs(by_section[Gstr1Section.B2CS], b2cs_notes),
        "exp": _exp(by_section[Gstr1Section.EXPORT]),
        "cdnr": _cdnr(registered_notes),
        "cdnur": _cdnur(unregistered_notes, note_sections),
    }
    report |= {name: rows for name, rows in sections.items() if rows}
    report["hsn"] = _hsn(live, notes, first)
    report["doc_issue"] = _doc_issue(
        [i.invoice_no for i in issued], [n.credit_note_no for n in notes_issued], cancelled_document_nos
    )
    return report


# --- reconciliation with the invoice register ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaxTotals:
    taxable_value: Decimal
    igst: Decimal
    cgst: Decimal
    sgst: Decimal
    cess: Decimal


def _sum_details(details: Iterable[dict[str, Any]], sign: int) -> TaxTotals:
    rows = list(details)

    def total(key: str) -> Decimal:
        return sign * sum((Decimal(row.get(key, ZERO)) for row in rows), ZERO)

    return TaxTotals(total("txval"), total("iamt"), total("camt"), total("samt"), total("csamt"))


def _plus(a: TaxTotals, b: TaxTotals) -> TaxTotals:
    return TaxTotals(
        a.taxable_value + b.taxable_value, a.igst + b.igst, a.cgst + b.cgst, a.sgst + b.sgst, a.cess + b.cess
    )


def reported_totals(report: dict[str, Any]) -> TaxTotals:
    """Net outward supply reported in a GSTR-1 document: invoices less credit notes, all sections."""
    details: list[tuple[Iterable[dict[str, Any]], int]] = [
        ((item["itm_det"] for party in report.get("b2b", []) for inv in party["inv"] for item in inv["itms"]), 1),
        ((item["itm_det"] for pos in report.get("b2cl", []) for inv in pos["inv"] for item in inv["itms"]), 1),
        ((row for row in report.get("b2cs", [])), 1),
        ((item for kind in report.get("exp", []) for inv in kind["inv"] for item in inv["itms"]), 1),
        ((item["itm_det"] for party in report.get("cdnr", []) for note in party["nt"] for item in note["itms"]), -1),
        ((item["itm_det"] for note in report.get("cdnur", []) for item in note["itms"]), -1),
    ]
    result = TaxTotals(ZERO, ZERO, ZERO, ZERO, ZERO)
    for rows, sign in details:
        result = _plus(result, _sum_details(rows, sign))
    return result


def register_totals(
    invoices: Sequence[TaxInvoice], credit_notes: Sequence[CreditNote], cancelled_document_nos: Collection[str]
) -> TaxTotals:
    """The same figures straight from the invoice register (live invoices less live credit notes)."""
    result = TaxTotals(ZERO, ZERO, ZERO, ZERO, ZERO)
    for lines, sign in [(inv.lines, 1) for inv in invoices if inv.invoice_no not in cancelled_document_nos] + [
        (note.lines, -1) for note in credit_notes if note.credit_note_no not in cancelled_document_nos
    ]:
        for line in lines:
            t = line.taxes
            result = _plus(
                result,
                TaxTotals(
                    sign * line.taxable_value, sign * t.igst, sign * t.cgst, sign * (t.sgst + t.utgst), sign * t.cess
                ),
            )
    return result
