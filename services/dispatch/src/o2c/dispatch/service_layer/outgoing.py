"""The messages dispatch publishes, built from a shipment record (contracts: o2c.contracts.v1.dispatch)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from o2c.contracts.types import Quantity, Uqc
from o2c.contracts.v1 import dispatch as v1
from o2c.contracts.v1.common import BatchAllocation, TransportDetails, TransportMode, VehicleType
from o2c.dispatch.domain import Cancellation, DispatchDetails, PickedBatch, PickLine, PutBack, VehicleChange
from o2c.dispatch.service_layer.records import ShipmentRecord


def quantity(value: Decimal, unit: str) -> Quantity:
    return Quantity(value=value, unit=Uqc(unit))


def allocation(batch: PickedBatch, unit: str) -> BatchAllocation:
    return BatchAllocation(quantity=quantity(batch.quantity, unit), batch_no=batch.batch_no,
                           expiry_date=batch.expiry_date, bin_code=batch.bin_code)


def transport(details: DispatchDetails) -> TransportDetails:
    return TransportDetails(
        mode=TransportMode(details.mode.value), vehicle_no=details.vehicle_no,
        vehicle_type=VehicleType(details.vehicle_type.value), driver_name=details.driver_name,
        driver_phone=details.driver_phone, transporter_id=details.transporter_id,
        transporter_name=details.transporter_name, lr_no=details.lr_no, lr_date=details.lr_date,
        distance_km=details.distance_km,
    )


def pick_list_issued(record: ShipmentRecord) -> v1.PickListIssued:
    """`line_no` of each pick line is the order line it picks (a line reserved in two bins appears twice),
    in walking order of the bins."""
    pick_list = record.shipment.pick_list
    return v1.PickListIssued(
        order_id=record.order_id, shipment_id=record.shipment_id, pick_list_id=record.pick_list_id,
        pick_list_no=record.pick_list_no, warehouse_id=record.warehouse_id,
        lines=[
            v1.PickLine(line_no=line.request.order_line_no, item_code=line.request.item_code,
                        item_name=line.request.item_name, quantity=quantity(line.quantity, line.request.unit),
                        bin_code=line.request.bin_code, batch_no=line.request.batch_no,
                        expiry_date=line.request.expiry_date)
            for line in pick_list.lines
        ],
        issued_at=pick_list.issued_at,
    )


def pick_confirmed(record: ShipmentRecord, line: PickLine) -> v1.PickConfirmed:
    confirmation = line.confirmation
    assert confirmation is not None
    request, unit = line.request, line.request.unit
    batches = (
        [BatchAllocation(quantity=quantity(confirmation.picked, unit), batch_no=request.batch_no,
                         expiry_date=request.expiry_date, bin_code=request.bin_code)]
        if confirmation.picked > 0 else []
    )
    return v1.PickConfirmed(
        order_id=record.order_id, shipment_id=record.shipment_id, pick_list_id=record.pick_list_id,
        line_no=request.order_line_no, item_code=request.item_code, requested=quantity(line.quantity, unit),
        picked=quantity(confirmation.picked, unit), short=quantity(confirmation.short, unit),
        short_reason=(confirmation.reason.value + (f": {confirmation.note}" if confirmation.note else ""))
        if confirmation.reason else None,
        short_bins=[request.bin_code] if confirmation.short > 0 and request.bin_code else [],
        batches=batches, picked_by=confirmation.picked_by, confirmed_at=confirmation.confirmed_at,
    )


def pick_list_confirmed(lines: list[v1.PickConfirmed]) -> v1.PickListConfirmed:
    """The lines of one pick list confirmed in one request, as one message."""
    first = lines[0]
    return v1.PickListConfirmed(
        order_id=first.order_id, shipment_id=first.shipment_id, pick_list_id=first.pick_list_id,
        lines=[v1.ConfirmedPickLine(**{name: getattr(line, name) for name in v1.ConfirmedPickLine.model_fields})
               for line in lines],
        picked_by=first.picked_by, confirmed_at=first.confirmed_at,
    )


def shipment_ready(record: ShipmentRecord, at: datetime) -> v1.ShipmentReady:
    """Every fact of the tax invoice and the e-way bill: picked quantities and batches per line, the
    commercial facts of the release, the vehicle and transport document."""
    release, shipment = record.release, record.shipment
    assert shipment.details is not None
    lines = []
    for picked in shipment.picked_lines():
        if picked.picked <= 0:
            continue
        released = release.line(picked.order_line_no)
        unit = released.quantity.unit.value
        lines.append(v1.ReadyLine.model_validate({
            **dict(released), "quantity": quantity(picked.picked, unit),
            "allocations": [allocation(b, unit) for b in picked.batches], "released_quantity": released.quantity,
        }))
    return v1.ShipmentReady(
        order_id=release.order_id, order_no=release.order_no, order_revision=release.order_revision,
        shipment_id=record.shipment_id, shipment_no=record.shipment_no, pick_list_id=record.pick_list_id,
        warehouse_id=record.warehouse_id, warehouse_gstin=release.shipment.warehouse_gstin,
        dispatch_from=release.shipment.dispatch_from, customer_id=release.customer_id,
        customer_name=release.customer_name, customer_po_no=release.customer_po_no, bill_to=release.bill_to,
        ship_to=release.ship_to, place_of_supply=release.place_of_supply, supply_type=release.supply_type,
        payment_terms_days=release.payment_terms_days, lines=lines, transport=transport(shipment.details),
        contact=release.contact, ready_at=at, tax_regime=release.shipment.tax_regime,
    )


def shipment_dispatched(record: ShipmentRecord) -> v1.ShipmentDispatched:
    release, shipment = record.release, record.shipment
    assert shipment.details is not None and shipment.invoice is not None and shipment.dispatched_at is not None
    lines = []
    for picked in shipment.picked_lines():
        if picked.picked <= 0:
            continue
        unit = picked.unit
        lines.append(v1.DispatchedLine(
            line_no=picked.order_line_no, item_code=picked.item_code, quantity=quantity(picked.picked, unit),
            allocations=[allocation(b, unit) for b in picked.batches],
        ))
    ewaybill = shipment.ewaybill
    return v1.ShipmentDispatched(
        order_id=release.order_id, order_no=release.order_no, shipment_id=record.shipment_id,
        shipment_no=record.shipment_no, warehouse_id=record.warehouse_id, customer_id=release.customer_id,
        customer_name=release.customer_name, invoice_id=shipment.invoice.invoice_id,
        invoice_no=shipment.invoice.invoice_no, invoice_date=shipment.invoice.invoice_date,
        invoice_value=shipment.invoice.value, ewaybill_no=ewaybill.ewaybill_no if ewaybill else None,
        ewaybill_valid_until=ewaybill.valid_until if ewaybill else None, transport=transport(shipment.details),
        lines=lines, gate_pass_no=f"GP-{record.shipment_no}", contact=release.contact,
        dispatched_at=shipment.dispatched_at,
    )


def vehicle_changed(record: ShipmentRecord, change: VehicleChange) -> v1.VehicleChanged:
    ewaybill = record.shipment.ewaybill
    return v1.VehicleChanged(
        order_id=record.order_id, shipment_id=record.shipment_id,
        ewaybill_no=ewaybill.ewaybill_no if ewaybill else None, previous_vehicle_no=change.previous.vehicle_no,
        transport=transport(change.current), reason=v1.VehicleChangeReason(change.reason.value),
        remarks=change.remarks, from_place=change.from_place, from_state_code=change.from_state_code,
        changed_at=change.at,
    )


def gate_opened(record: ShipmentRecord, at: datetime) -> v1.ShipmentGateOpened:
    shipment = record.shipment
    assert shipment.invoice is not None
    ewaybill = shipment.ewaybill
    return v1.ShipmentGateOpened(
        order_id=record.order_id, shipment_id=record.shipment_id, shipment_no=record.shipment_no,
        warehouse_id=record.warehouse_id, invoice_id=shipment.invoice.invoice_id,
        invoice_no=shipment.invoice.invoice_no, ewaybill_no=ewaybill.ewaybill_no if ewaybill else None,
        ewaybill_valid_until=ewaybill.valid_until if ewaybill else None, ready_at=at)


def gate_closed(record: ShipmentRecord, waiting_for: list[str], at: datetime) -> v1.ShipmentGateClosed:
    reason, detail = record.shipment.gate_closed_reason(at)
    return v1.ShipmentGateClosed(
        order_id=record.order_id, shipment_id=record.shipment_id, shipment_no=record.shipment_no,
        warehouse_id=record.warehouse_id, reason=v1.GateClosedReason(reason), detail=detail,
        waiting_for=waiting_for, closed_at=at)


def pick_list_cancelled(order_id: str, shipment_id: str, pick_list_id: str, request_id: str | None,
                        cancellation: Cancellation | None, units: dict[int, str], at: datetime,
                        invoice_no: str | None = None) -> v1.PickListCancelled:
    restocked = [
        v1.RestockedLine(line_no=line.order_line_no, item_code=line.item_code,
                         quantity=quantity(line.quantity, units.get(line.order_line_no, "NOS")),
                         bin_code=line.bin_code, batch_no=line.batch_no)
        for line in (cancellation.restock if cancellation else ())
    ]
    return v1.PickListCancelled(order_id=order_id, shipment_id=shipment_id, pick_list_id=pick_list_id,
                                request_id=request_id, restocked=restocked,
                                cancelled_at=cancellation.at if cancellation else at,
                                invoice_id=cancellation.invoice_to_cancel if cancellation else None,
                                invoice_no=invoice_no if cancellation and cancellation.invoice_to_cancel else None,
                                ewaybill_no=cancellation.ewaybill_to_cancel if cancellation else None)


def shipment_reduced(record: ShipmentRecord, invoice_id: str, invoice_no: str, replaces_invoice_no: str | None,
                   put_back: list[PutBack], at: datetime) -> v1.ShipmentReduced:
    """Per order line: what went back to which bins, and what the shipment carries now."""
    carried = {line.order_line_no: line for line in record.shipment.picked_lines()}
    lines = []
    for line_no in sorted({p.order_line_no for p in put_back}):
        parts = [p for p in put_back if p.order_line_no == line_no]
        unit = carried[line_no].unit
        lines.append(v1.PutBackLine(
            line_no=line_no, item_code=parts[0].item_code,
            quantity=quantity(sum((p.quantity for p in parts), Decimal(0)), unit),
            shipping=quantity(carried[line_no].picked, unit),
            allocations=[BatchAllocation(quantity=quantity(p.quantity, unit), batch_no=p.batch_no,
                                         expiry_date=p.expiry_date, bin_code=p.bin_code) for p in parts]))
    return v1.ShipmentReduced(
        order_id=record.order_id, shipment_id=record.shipment_id, shipment_no=record.shipment_no,
        pick_list_id=record.pick_list_id, warehouse_id=record.warehouse_id, invoice_id=invoice_id,
        invoice_no=invoice_no, replaces_invoice_no=replaces_invoice_no, lines=lines, put_back_at=at)
