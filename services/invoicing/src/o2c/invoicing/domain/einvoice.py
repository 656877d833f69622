"""The e-invoice: whether an invoice must be registered at the IRP, its IRN, the IRP JSON (schema
1.1), the 30-day reporting limit and when an IRN may still be cancelled."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from o2c.india.calendar import FinancialYear, require_aware
from o2c.india.effective import row_in_force
from o2c.india.states import OTHER_COUNTRIES
from o2c.invoicing.domain.credit_note import CreditNote
from o2c.invoicing.domain.invoice import InvoiceLine, InvoiceTotals, TaxInvoice
from o2c.invoicing.domain.place_of_supply import Address, SupplyType, TaxRegime

SCHEMA_VERSION = "1.1"
IRN_CANCELLATION_WINDOW = timedelta(hours=24)


class DocumentType(StrEnum):
    """IRP document types: tax invoice, credit note, debit note."""

    INVOICE = "INV"
    CREDIT_NOTE = "CRN"


def irn_for(supplier_gstin: str, financial_year: str, document_type: DocumentType | str, document_no: str) -> str:
    """IRN = lowercase hex SHA-256 of supplier GSTIN + financial year (YYYY-YY) + document type + number."""
    FinancialYear.parse(financial_year)  # raises for anything not written YYYY-YY
    kind = DocumentType(document_type).value
    return hashlib.sha256(f"{supplier_gstin}{financial_year}{kind}{document_no}".encode()).hexdigest()


# --- applicability ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EInvoiceThreshold:
    """E-invoicing applies when aggregate turnover in any year since 2017-18 exceeded this."""

    turnover_above: Decimal
    effective_from: date
    effective_to: date | None = None


@dataclass(frozen=True, slots=True)
class ReportingTimeLimit:
    """Taxpayers at or above the turnover cannot report an invoice more than `days` after its date."""

    turnover_at_least: Decimal
    days: int
    effective_from: date
    effective_to: date | None = None


def is_einvoice_required(
    supply_type: SupplyType,
    aggregate_turnover: Decimal,
    invoice_date: date,
    thresholds: Iterable[EInvoiceThreshold],
) -> bool:
    """B2B, SEZ, export and deemed-export invoices of a supplier above the threshold in force on the
    invoice date; never B2C."""
    if supply_type is SupplyType.B2C:
        return False
    threshold = row_in_force(thresholds, invoice_date)
    return threshold is not None and aggregate_turnover > threshold.turnover_above


def reporting_deadline(
    invoice_date: date, aggregate_turnover: Decimal, on: date, limits: Iterable[ReportingTimeLimit]
) -> date | None:
    """The last day the invoice may be reported to the IRP, judged on date `on`; None when no limit applies."""
    limit = row_in_force(limits, on)
    if limit is None or aggregate_turnover < limit.turnover_at_least:
        return None
    return invoice_date + timedelta(days=limit.days)


def late_reporting_refusal(
    invoice_date: date, aggregate_turnover: Decimal, report_date: date, limits: Iterable[ReportingTimeLimit]
) -> str | None:
    """Why the IRP would refuse to register the invoice on `report_date` as late, or None."""
    deadline = reporting_deadline(invoice_date, aggregate_turnover, report_date, limits)
    if deadline is not None and report_date > deadline:
        return (
            f"invoice dated {invoice_date:%d/%m/%Y} can no longer be reported to the IRP: "
            f"the limit of {(deadline - invoice_date).days} days ended on {deadline:%d/%m/%Y}"
        )
    return None


def irn_cancellation_refusal(acknowledged_at: datetime, at: datetime, has_active_ewaybill: bool) -> str | None:
    """Why an IRN cannot be cancelled at `at`, or None: only within 24 hours of its acknowledgement,
    and never while an active e-way bill refers to it (cancel the e-way bill first)."""
    if has_active_ewaybill:
        return "an active e-way bill refers to this IRN: cancel the e-way bill first"
    if require_aware(at) - require_aware(acknowledged_at) > IRN_CANCELLATION_WINDOW:
        return "an IRN can be cancelled only within 24 hours of its registration: issue a credit note instead"
    return None


# --- IRP JSON, schema 1.1 --------------------------------------------------------------------------

UNREGISTERED_PERSON = "URP"
EXPORT_PINCODE = 999999


def _ist_date(on: date) -> str:
    return on.strftime("%d/%m/%Y")


def _without_empty(fields: dict[str, Any]) -> dict[str, Any]:
    # The IRP rejects optional strings shorter than their minimum length; leaving them out is valid.
    return {key: value for key, value in fields.items() if value not in (None, "")}


def _party(address: Address, *, export: bool) -> dict[str, Any]:
    return _without_empty(
        {
            "Gstin": address.gstin or UNREGISTERED_PERSON,
            "LglNm": address.name,
            "Addr1": address.line1,
            "Addr2": address.line2,
            "Loc": address.place,
            "Pin": EXPORT_PINCODE if export else int(address.pincode),
            "Stcd": OTHER_COUNTRIES if export else address.state_code,
        }
    )


def _dispatch_from(address: Address) -> dict[str, Any]:
    return _without_empty(
        {
            "Nm": address.name,
            "Addr1": address.line1,
            "Addr2": address.line2,
            "Loc": address.place,
            "Pin": int(address.pincode),
            "Stcd": address.state_code,
        }
    )


def _item(line: InvoiceLine) -> dict[str, Any]:
    taxes = line.taxes
    item: dict[str, Any] = {
        "SlNo": str(line.line_no),
        "PrdDesc": line.item_name,
        "IsServc": "N",
        "HsnCd": line.hsn,
        "Qty": line.quantity,
        "Unit": line.unit,
        "UnitPrice": line.unit_price,
        "TotAmt": line.gross_value,
        "Discount": line.discount,
        "AssAmt": line.taxable_value,
        "GstRt": taxes.gst_rate,
        "IgstAmt": taxes.igst,
        "CgstAmt": taxes.cgst,
        "SgstAmt": taxes.sgst + taxes.utgst,
        "CesRt": taxes.cess_rate,
        "CesAmt": taxes.cess,
        "CesNonAdvlAmt": Decimal("0"),
        "StateCesRt": Decimal("0"),
        "StateCesAmt": Decimal("0"),
        "StateCesNonAdvlAmt": Decimal("0"),
        "OthChrg": Decimal("0"),
        "TotItemVal": line.line_total,
    }
    if len(line.batches) == 1:
        batch = line.batches[0]
        item["BchDtls"] = _without_empty(
            {"Nm": batch.batch_no, "ExpDt": _ist_date(batch.expiry_date) if batch.expiry_date else None}
        )
    return item


def _values(totals: InvoiceTotals) -> dict[str, Any]:
    return {
        "AssVal": totals.taxable_value,
        "CgstVal": totals.cgst,
        "SgstVal": totals.sgst + totals.utgst,
        "IgstVal": totals.igst,
        "CesVal": totals.cess,
        "StCesVal": Decimal("0"),
        "Discount": Decimal("0"),
        "OthChrg": Decimal("0"),
        "RndOffAmt": totals.round_off,
        "TotInvVal": totals.grand_total,
    }


def _payload(
    invoice: TaxInvoice,
    document_type: DocumentType,
    document_no: str,
    document_date: date,
    lines: tuple[InvoiceLine, ...],
    totals: InvoiceTotals,
) -> dict[str, Any]:
    if invoice.supply_type is SupplyType.B2C:
        raise ValueError("B2C invoices and their credit notes are not registered at the IRP")
    export = invoice.supply_type.is_export
    igst_on_intra = invoice.regime is TaxRegime.IGST and invoice.supplier_state_code == invoice.place_of_supply
    buyer = _party(invoice.bill_to, export=export)
    buyer["Pos"] = invoice.place_of_supply
    payload: dict[str, Any] = {
        "Version": SCHEMA_VERSION,
        "TranDtls": {
            "TaxSch": "GST",
            "SupTyp": invoice.supply_type.value,
            "RegRev": "Y" if invoice.reverse_charge else "N",
            "IgstOnIntra": "Y" if igst_on_intra else "N",
        },
        "DocDtls": {"Typ": document_type.value, "No": document_no, "Dt": _ist_date(document_date)},
        "SellerDtls": _party(invoice.supplier, export=False) | {"Gstin": invoice.supplier_gstin},
        "BuyerDtls": buyer,
        "DispDtls": _dispatch_from(invoice.dispatch_from),
        "ShipDtls": _party(invoice.ship_to, export=invoice.ship_to.state_code == OTHER_COUNTRIES),
        "ItemList": [_item(line) for line in lines],
        "ValDtls": _values(totals),
    }
    if invoice.ship_to.gstin is None:
        payload["ShipDtls"].pop("Gstin")
    if export:
        payload["ExpDtls"] = {"CntCode": invoice.bill_to.country}
    return payload


def irp_payload(invoice: TaxInvoice) -> dict[str, Any]:
    """The e-invoice JSON (schema 1.1) for a tax invoice. Amounts stay Decimal: serialise them as JSON
    numbers without passing through float (see `portal_json.dumps`). UTGST travels in the SGST fields."""
    return _payload(
        invoice, DocumentType.INVOICE, invoice.invoice_no, invoice.invoice_date, invoice.lines, invoice.totals
    )


def credit_note_irp_payload(note: CreditNote) -> dict[str, Any]:
    """The e-invoice JSON for a credit note: the original invoice's parties and tax split, the note's
    lines, and a reference to the original invoice (RefDtls.PrecDocDtls)."""
    payload = _payload(
        note.invoice, DocumentType.CREDIT_NOTE, note.credit_note_no, note.credit_note_date, note.lines, note.totals
    )
    payload["RefDtls"] = {
        "PrecDocDtls": [{"InvNo": note.original_invoice_no, "InvDt": _ist_date(note.original_invoice_date)}]
    }
    return payload
