"""JSON views of pick lists and shipments for the warehouse screens (decimals as strings, never floats)."""

from __future__ import annotations

from typing import Any

from o2c.dispatch.domain import DispatchDetails, PickLine
from o2c.dispatch.service_layer.records import ShipmentRecord, waiting_for
from pydantic import TypeAdapter

_DETAILS = TypeAdapter(DispatchDetails)


def _pick_line(line: PickLine) -> dict[str, Any]:
    request, confirmation = line.request, line.confirmation
    return {
        "line_no": line.pick_line_no, "order_line_no": request.order_line_no, "item_code": request.item_code,
        "item_name": request.item_name, "quantity": str(request.quantity), "unit": request.unit,
        "bin_code": request.bin_code, "batch_no": request.batch_no,
        "expiry_date": request.expiry_date.isoformat() if request.expiry_date else None,
        "confirmed": confirmation is not None,
        "picked": str(confirmation.picked) if confirmation else None,
        "short": str(confirmation.short) if confirmation else None,
        "put_back": str(line.put_back) if line.put_back else None,  # back on the shelf (a re-issue for less)
        "short_reason": confirmation.reason.value if confirmation and confirmation.reason else None,
        "note": confirmation.note if confirmation else "",
        "picked_by": confirmation.picked_by if confirmation else None,
        "confirmed_at": confirmation.confirmed_at.isoformat() if confirmation else None,
    }


def pick_list_view(record: ShipmentRecord) -> dict[str, Any]:
    pick_list = record.shipment.pick_list
    return {
        "pick_list_id": record.pick_list_id, "pick_list_no": record.pick_list_no,
        "shipment_id": record.shipment_id, "shipment_no": record.shipment_no, "order_id": record.order_id,
        "order_no": record.release.order_no, "customer_name": record.release.customer_name,
        "warehouse_id": record.warehouse_id, "status": record.pick_list_status.value,
        "issued_at": pick_list.issued_at.isoformat(), "lines": [_pick_line(line) for line in pick_list.lines],
    }


def shipment_view(record: ShipmentRecord) -> dict[str, Any]:
    shipment, release = record.shipment, record.release
    invoice, ewaybill, cancellation = shipment.invoice, shipment.ewaybill, shipment.cancellation
    return {
        "shipment_id": record.shipment_id, "shipment_no": record.shipment_no, "order_id": record.order_id,
        "order_no": release.order_no, "customer_id": release.customer_id, "customer_name": release.customer_name,
        "warehouse_id": record.warehouse_id, "status": shipment.status.value, "queue": record.queue.value,
        "waiting_for": waiting_for(record), "pick_list_id": record.pick_list_id,
        "pick_list_no": record.pick_list_no, "pick_list_status": record.pick_list_status.value,
        "ship_to": {"name": release.ship_to.name, "place": release.ship_to.place,
                    "state_code": release.ship_to.state_code, "pincode": release.ship_to.pincode},
        "lines": [
            {"order_line_no": line.order_line_no, "item_code": line.item_code, "item_name": line.item_name,
             "unit": line.unit, "released": str(line.released), "picked": str(line.picked),
             "backordered": str(line.backordered),
             "batches": [{"bin_code": b.bin_code, "batch_no": b.batch_no, "quantity": str(b.quantity),
                          "expiry_date": b.expiry_date.isoformat() if b.expiry_date else None}
                         for b in line.batches]}
            for line in shipment.picked_lines()
        ],
        "estimated_distance_km": release.estimated_distance_km,
        "dispatch_details": _DETAILS.dump_python(shipment.details, mode="json") if shipment.details else None,
        "invoice": {"invoice_id": invoice.invoice_id, "invoice_no": invoice.invoice_no,
                    "invoice_date": invoice.invoice_date.isoformat(), "value": str(invoice.value),
                    "irn_status": ("registered" if invoice.irn_registered else "rejected" if shipment.irn_rejection
                                   else "pending") if invoice.irn_required else "not_required"}
        if invoice else None,
        "ewaybill": {"ewaybill_no": ewaybill.ewaybill_no, "valid_until": ewaybill.valid_until.isoformat()}
        if ewaybill else None,
        "ewaybill_not_required_reason": shipment.ewaybill_not_required_reason,
        "ewaybill_rejection": shipment.ewaybill_rejection,
        "irn_rejection": shipment.irn_rejection,
        "cancelled_invoices": list(shipment.cancelled_invoices),
        "cancelled_ewaybills": list(shipment.cancelled_ewaybills),
        "on_gate_list": shipment.on_gate_list,
        "dispatched_at": shipment.dispatched_at.isoformat() if shipment.dispatched_at else None,
        "dispatched_by": shipment.dispatched_by,
        "cancelled": {"reason": cancellation.reason, "at": cancellation.at.isoformat()} if cancellation else None,
        "vehicle_changes": [
            {"previous_vehicle_no": c.previous.vehicle_no, "vehicle_no": c.current.vehicle_no,
             "reason": c.reason.value, "from_place": c.from_place, "at": c.at.isoformat()}
            for c in shipment.vehicle_changes
        ],
    }
