"""Builders of the messages dispatch consumes (from the contract samples), shared by unit and integration
tests (`from o2c.testsupport.dispatch import dispatch_builders`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from o2c.contracts.samples import sample
from o2c.contracts.types import Quantity, Uqc
from o2c.contracts.v1.common import BatchAllocation
from o2c.contracts.v1.ewaybill import EwayBillGenerated, EwayBillNotRequired, EwayBillRejected
from o2c.contracts.v1.invoicing import InvoiceIssued, IrnRegistered, IrnRejected
from o2c.contracts.v1.sales import CancelPickList, OrderReleased
from o2c.dispatch.domain import IST

WAREHOUSE = "WH-BLR-1"


def pcs(n: int | str) -> Quantity:
    return Quantity(value=Decimal(n), unit=Uqc.PCS)


def alloc(n: int, bin_code: str, batch_no: str | None = None, expiry: date | None = None) -> BatchAllocation:
    return BatchAllocation(quantity=pcs(n), bin_code=bin_code, batch_no=batch_no, expiry_date=expiry)


def release(order_id: str = "ord-1", shipment_id: str = "shp-1", warehouse_id: str = WAREHOUSE) -> OrderReleased:
    """Tea (line 1, 100 PCS) reserved in two bins far apart; soap (line 2, 480 PCS) in one bin between them.
    Walking order: A-2-3 (tea 40), A-10-1 (soap 480), B-10-1 (tea 60)."""
    base = sample(OrderReleased)
    shipment = base.shipments[0]
    tea, soap = shipment.lines
    tea = tea.model_copy(update={"allocations": [
        alloc(60, "B-10-1", "TEA-2604-B7", date(2027, 4, 30)), alloc(40, "A-2-3", "TEA-2603-B6", date(2027, 3, 31)),
    ]})
    soap = soap.model_copy(update={"allocations": [alloc(480, "A-10-1")]})
    shipment = shipment.model_copy(update={"shipment_id": shipment_id, "warehouse_id": warehouse_id,
                                           "lines": [tea, soap]})
    return base.model_copy(update={"order_id": order_id, "shipments": [shipment],
                                   "released_at": datetime.now(UTC)})


def invoice(order_id: str, shipment_id: str, quantities: dict[int, int], invoice_id: str = "inv-1"
            ) -> InvoiceIssued:
    base = sample(InvoiceIssued)
    lines = [line.model_copy(update={"quantity": pcs(quantities[line.order_line_no or 0])})
             for line in base.lines if (line.order_line_no or 0) in quantities]
    return base.model_copy(update={"order_id": order_id, "shipment_id": shipment_id, "invoice_id": invoice_id,
                                   "lines": lines, "warehouse_id": WAREHOUSE})


def irn_pending(issued: InvoiceIssued) -> InvoiceIssued:
    """A B2B e-invoice issued before the IRP registered it (the usual order: IRN outcome follows)."""
    return issued.model_copy(update={"irn_required": True, "irn": None})


def b2c(issued: InvoiceIssued) -> InvoiceIssued:
    """An invoice to an unregistered buyer: no IRN needed."""
    return issued.model_copy(update={"irn_required": False, "irn": None, "buyer_gstin": None})


def irn_rejected(order_id: str, invoice_id: str = "inv-1", code: str = "2172",
                 message: str = "Buyer GSTIN is invalid") -> IrnRejected:
    return sample(IrnRejected).model_copy(update={"order_id": order_id, "invoice_id": invoice_id, "code": code,
                                                  "message": message, "rejected_at": datetime.now(UTC)})


def irn_registered(order_id: str, invoice_id: str = "inv-1") -> IrnRegistered:
    return sample(IrnRegistered).model_copy(update={"order_id": order_id, "invoice_id": invoice_id,
                                                    "registered_at": datetime.now(UTC)})


def _ewb(cls: type[Any], order_id: str, shipment_id: str, **fields: Any) -> Any:
    base = sample(cls)
    return base.model_copy(update={"order_id": order_id, "shipment_id": shipment_id, "invoice_id": "inv-1", **fields})


def ewaybill(order_id: str, shipment_id: str) -> EwayBillGenerated:
    now = datetime.now(UTC)
    return _ewb(EwayBillGenerated, order_id, shipment_id, generated_at=now,  # type: ignore[no-any-return]
                valid_until=now + timedelta(days=2))


def ewaybill_not_required(order_id: str, shipment_id: str) -> EwayBillNotRequired:
    return _ewb(EwayBillNotRequired, order_id, shipment_id)  # type: ignore[no-any-return]


def ewaybill_rejected(order_id: str, shipment_id: str) -> EwayBillRejected:
    return _ewb(EwayBillRejected, order_id, shipment_id, code="238",  # type: ignore[no-any-return]
                message="Invalid vehicle number")


def cancel(order_id: str, *shipment_ids: str, request_id: str = "req-1") -> CancelPickList:
    base = sample(CancelPickList)
    return base.model_copy(update={"order_id": order_id, "shipment_ids": list(shipment_ids),
                                   "request_id": request_id, "requested_at": datetime.now(UTC)})


DETAILS: dict[str, Any] = {
    "vehicle_no": "mh 12 ab 1234", "driver_name": "Ramesh Patil", "driver_phone": "+91 98450 12345",
    "transporter_id": "29AABCR1718E1ZL", "transporter_name": "Reliable Roadways", "lr_no": "LR/2026/0042",
    "lr_date": datetime.now(IST).date().isoformat(), "distance_km": 350, "vehicle_type": "R", "mode": "road",
}
