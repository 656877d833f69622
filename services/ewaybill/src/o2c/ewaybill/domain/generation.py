"""The NIC e-way bill generation request, built once from the tax invoice (Part A) and the dispatch
details the supervisor captured (Part B) — nothing is typed twice — and the portal's response."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from o2c.ewaybill.domain.gstin import UNREGISTERED_PERSON
from o2c.ewaybill.domain.vehicle import TransportMode, normalised_vehicle_number
from o2c.india.ewaybill import VehicleType
from o2c.india.portal import parse_portal_datetime, portal_date

MAX_ITEMS = 250
OTHER_COUNTRY_STATE = 99
EXPORT_PINCODE = 999999
_EBN = re.compile(r"^[0-9]{12}$")
_EXPORTS = ("EXPWP", "EXPWOP")


class RequestProblem(ValueError):
    """The invoice and dispatch details cannot make a valid request."""


@dataclass(frozen=True, slots=True)
class Place:
    """A party's address as the e-way bill needs it."""

    name: str
    line1: str
    place: str
    state_code: str
    pincode: str
    line2: str = ""
    gstin: str | None = None


@dataclass(frozen=True, slots=True)
class InvoiceItem:
    name: str
    hsn: str
    quantity: Decimal
    unit: str
    taxable_value: Decimal
    cgst_rate: Decimal = Decimal("0")
    sgst_rate: Decimal = Decimal("0")
    """SGST or UTGST: the portal has one field for the state half."""
    igst_rate: Decimal = Decimal("0")
    cess_rate: Decimal = Decimal("0")


@dataclass(frozen=True, slots=True)
class InvoiceForEwayBill:
    """Part A: what the issued tax invoice says."""

    invoice_no: str
    invoice_date: date
    supplier_gstin: str
    supplier: Place
    dispatch_from: Place
    bill_to: Place
    ship_to: Place
    supply_type: str
    """The e-invoice supply type: B2B, B2C, SEZWP, SEZWOP, EXPWP, EXPWOP, DEXP."""
    items: tuple[InvoiceItem, ...]
    taxable_value: Decimal
    cgst: Decimal
    sgst: Decimal
    igst: Decimal
    cess: Decimal
    round_off: Decimal
    grand_total: Decimal

    @property
    def consignment_value(self) -> Decimal:
        """Taxable value plus taxes (Rule 138): the figure the threshold is compared with."""
        return self.taxable_value + self.cgst + self.sgst + self.igst + self.cess

    @property
    def buyer_gstin(self) -> str | None:
        return self.bill_to.gstin


@dataclass(frozen=True, slots=True)
class DispatchDetails:
    """Part B as captured once by the dispatch supervisor."""

    distance_km: int
    mode: TransportMode = TransportMode.ROAD
    vehicle_no: str | None = None
    vehicle_type: VehicleType = VehicleType.REGULAR
    transporter_id: str | None = None
    transporter_name: str | None = None
    transport_doc_no: str | None = None
    """Lorry receipt (LR), railway receipt, airway bill or bill of lading number."""
    transport_doc_date: date | None = None


def transaction_type(invoice: InvoiceForEwayBill) -> int:
    """1 regular; 2 bill-to/ship-to; 3 bill-from/dispatch-from; 4 both."""
    ship_elsewhere = invoice.ship_to != invoice.bill_to
    dispatch_elsewhere = invoice.dispatch_from != invoice.supplier
    return {(False, False): 1, (True, False): 2, (False, True): 3, (True, True): 4}[
        (ship_elsewhere, dispatch_elsewhere)
    ]


def _item(item: InvoiceItem) -> dict[str, Any]:
    return {
        "productName": item.name,
        "hsnCode": int(item.hsn),
        "quantity": item.quantity,
        "qtyUnit": item.unit,
        "taxableAmount": item.taxable_value,
        "cgstRate": item.cgst_rate,
        "sgstRate": item.sgst_rate,
        "igstRate": item.igst_rate,
        "cessRate": item.cess_rate,
    }


def consolidated_items(items: tuple[InvoiceItem, ...]) -> tuple[InvoiceItem, ...]:
    """More than 250 lines go as one line per HSN, unit and rates (the portal's limit); fewer as they are."""
    if len(items) <= MAX_ITEMS:
        return items
    grouped: dict[tuple[str, str, Decimal, Decimal, Decimal, Decimal], InvoiceItem] = {}
    for item in items:
        key = (item.hsn, item.unit, item.cgst_rate, item.sgst_rate, item.igst_rate, item.cess_rate)
        seen = grouped.get(key)
        grouped[key] = (
            item
            if seen is None
            else InvoiceItem(
                name=seen.name,
                hsn=item.hsn,
                quantity=seen.quantity + item.quantity,
                unit=item.unit,
                taxable_value=seen.taxable_value + item.taxable_value,
                cgst_rate=item.cgst_rate,
                sgst_rate=item.sgst_rate,
                igst_rate=item.igst_rate,
                cess_rate=item.cess_rate,
            )
        )
    if len(grouped) > MAX_ITEMS:
        raise RequestProblem(f"{len(grouped)} distinct HSN lines: an e-way bill takes at most {MAX_ITEMS}")
    return tuple(grouped.values())


def generation_request(invoice: InvoiceForEwayBill, dispatch: DispatchDetails) -> dict[str, Any]:
    """The NIC `GENEWAYBILL` request. Amounts stay Decimal (serialise as exact JSON numbers)."""
    if not invoice.items:
        raise RequestProblem("an e-way bill needs at least one item")
    if dispatch.mode is TransportMode.ROAD and not dispatch.vehicle_no:
        raise RequestProblem("a road movement needs the vehicle number captured at dispatch")
    if dispatch.mode is not TransportMode.ROAD and not dispatch.transport_doc_no:
        raise RequestProblem("rail, air and ship movements need the transport document number")
    export = invoice.supply_type in _EXPORTS
    ship_abroad = export and invoice.ship_to.state_code in ("96", str(OTHER_COUNTRY_STATE))
    request: dict[str, Any] = {
        "supplyType": "O",
        "subSupplyType": "3" if export else "1",
        "docType": "INV",
        "docNo": invoice.invoice_no,
        "docDate": portal_date(invoice.invoice_date),
        "fromGstin": invoice.supplier_gstin,
        "fromTrdName": invoice.supplier.name,
        "fromAddr1": invoice.dispatch_from.line1,
        "fromAddr2": invoice.dispatch_from.line2,
        "fromPlace": invoice.dispatch_from.place,
        "fromPincode": int(invoice.dispatch_from.pincode),
        "fromStateCode": int(invoice.supplier.state_code),
        "actFromStateCode": int(invoice.dispatch_from.state_code),
        "toGstin": invoice.buyer_gstin or UNREGISTERED_PERSON,
        "toTrdName": invoice.bill_to.name,
        "toAddr1": invoice.ship_to.line1,
        "toAddr2": invoice.ship_to.line2,
        "toPlace": invoice.ship_to.place,
        "toPincode": EXPORT_PINCODE if ship_abroad else int(invoice.ship_to.pincode),
        "toStateCode": OTHER_COUNTRY_STATE if export else int(invoice.bill_to.state_code),
        "actToStateCode": OTHER_COUNTRY_STATE if ship_abroad else int(invoice.ship_to.state_code),
        "transactionType": transaction_type(invoice),
        "totalValue": invoice.taxable_value,
        "cgstValue": invoice.cgst,
        "sgstValue": invoice.sgst,
        "igstValue": invoice.igst,
        "cessValue": invoice.cess,
        "cessNonAdvolValue": Decimal("0"),
        "otherValue": invoice.round_off,
        "totInvValue": invoice.grand_total,
        "transMode": dispatch.mode.value,
        "transDistance": str(dispatch.distance_km),
        "transporterId": dispatch.transporter_id or "",
        "transporterName": dispatch.transporter_name or "",
        "transDocNo": dispatch.transport_doc_no or "",
        "transDocDate": portal_date(dispatch.transport_doc_date) if dispatch.transport_doc_date else "",
        "vehicleNo": normalised_vehicle_number(dispatch.vehicle_no) if dispatch.vehicle_no else "",
        "vehicleType": dispatch.vehicle_type.value,
        "itemList": [_item(item) for item in consolidated_items(invoice.items)],
    }
    return request


@dataclass(frozen=True, slots=True)
class GeneratedEwayBill:
    ebn: str
    generated_at: datetime
    valid_until: datetime
    alert: str = ""


class ResponseProblem(ValueError):
    """A portal response that does not carry a usable e-way bill."""


def parse_generation_response(response: Mapping[str, Any]) -> GeneratedEwayBill:
    """Read the portal's answer, e.g. `{"ewayBillNo": 321001234567, "ewayBillDate": "16/09/2022 07:29:00 PM",
    "validUpto": "29/09/2022 11:59:00 PM"}` (IST)."""
    try:
        ebn = str(response["ewayBillNo"]).strip()
        generated_at = parse_portal_datetime(str(response["ewayBillDate"]))
        valid_text = response.get("validUpto")
    except (KeyError, ValueError) as exc:
        raise ResponseProblem(f"unreadable e-way bill response: {exc}") from exc
    if not _EBN.match(ebn):
        raise ResponseProblem(f"e-way bill number must have 12 digits: {ebn!r}")
    if not valid_text:
        raise ResponseProblem("the response has no validity (Part B missing?)")
    try:
        valid = parse_portal_datetime(str(valid_text))
    except ValueError as exc:
        raise ResponseProblem(f"unreadable validity {valid_text!r}") from exc
    return GeneratedEwayBill(
        ebn=ebn, generated_at=generated_at, valid_until=valid, alert=str(response.get("alert") or "")
    )
