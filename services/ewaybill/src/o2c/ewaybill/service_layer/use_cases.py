"""E-way bill use cases: decide and generate for an issued invoice, retry a rejection after correction,
and the bill's later life (Part-B update, cancel, extend, expiring list). Each takes the caller's unit of work
first and publishes on it: the outgoing message commits with the transaction's changes."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from o2c.contracts.types import EwayBillNumber
from o2c.contracts.v1.common import TransportDetails
from o2c.contracts.v1.common import TransportMode as ContractMode
from o2c.contracts.v1.dispatch import VehicleChanged
from o2c.contracts.v1.dispatch import VehicleChangeReason as ContractVehicleReason
from o2c.contracts.v1.ewaybill import (
    EwayBillCancellationRefused,
    EwayBillCancelled,
    EwayBillCancelReason,
    EwayBillExtended,
    EwayBillGenerated,
    EwayBillNotRequired,
    EwayBillRejected,
    EwayBillUpdated,
    NotRequiredReason,
)
from o2c.contracts.v1.invoicing import InvoiceIssued
from o2c.contracts.v1.sales import CancelEwayBill
from o2c.ewaybill.domain.errors import DUPLICATE_DOCUMENT, VEHICLE_REQUIRED, portal_error
from o2c.ewaybill.domain.generation import (
    RequestProblem,
    ResponseProblem,
    generation_request,
    parse_generation_response,
)
from o2c.ewaybill.domain.lifecycle import (
    ActionRefused,
    CancelReason,
    EwayBill,
    EwayBillStatus,
    ExtensionReason,
    VehicleChangeReason,
    VehicleMovement,
    cancel,
    expiring_soon,
    extend,
    update_vehicle,
)
from o2c.ewaybill.domain.vehicle import TransportMode, normalised_vehicle_number
from o2c.ewaybill.service_layer.mapping import MODES, dispatch_details, invoice_facts
from o2c.ewaybill.service_layer.ports import EwayBillGateway, EwayBillRecord, PortalReply, UnitOfWork
from o2c.india.calendar import require_aware, to_utc
from o2c.india.ewaybill import VehicleType, ewaybill_requirement
from o2c.india.portal import dumps, portal_date

NOT_REQUIRED, GENERATED, REJECTED, CANCELLED = "not_required", "generated", "rejected", "cancelled"

CANCEL_REASONS = {
    EwayBillCancelReason.DUPLICATE: CancelReason.DUPLICATE,
    EwayBillCancelReason.ORDER_CANCELLED: CancelReason.ORDER_CANCELLED,
    EwayBillCancelReason.DATA_ENTRY_MISTAKE: CancelReason.DATA_ENTRY_MISTAKE,
    EwayBillCancelReason.OTHERS: CancelReason.OTHERS,
}
VEHICLE_REASONS = {
    ContractVehicleReason.BREAKDOWN: VehicleChangeReason.BREAKDOWN,
    ContractVehicleReason.TRANSHIPMENT: VehicleChangeReason.TRANSHIPMENT,
    ContractVehicleReason.OTHERS: VehicleChangeReason.OTHERS,
    ContractVehicleReason.FIRST_TIME: VehicleChangeReason.FIRST_TIME,
}


class UseCaseError(Exception):
    """A request the use case refuses: `status` and `reason` become problem+json at the edge."""

    def __init__(self, status: int, reason: str, code: str | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.code = status, reason, code


@dataclass(frozen=True)
class Corrections:
    """What a dispatch supervisor may correct after a rejection (Part B and the declared distance)."""

    vehicle_no: str | None = None
    distance_km: int | None = None
    vehicle_type: str | None = None
    transporter_id: str | None = None
    transporter_name: str | None = None
    lr_no: str | None = None


def _ebn(record: EwayBillRecord) -> EwayBillNumber:
    assert record.ebn is not None
    return record.ebn


def _facts(record: EwayBillRecord) -> dict[str, Any]:
    return {"order_id": record.order_id, "shipment_id": record.shipment_id, "invoice_id": record.invoice_id,
            "invoice_no": record.invoice_no}


def _movement_json(movement: VehicleMovement) -> dict[str, Any]:
    return {"vehicle_no": movement.vehicle_no, "mode": movement.mode.value, "from_place": movement.from_place,
            "from_state_code": movement.from_state_code, "entered_at": movement.entered_at.isoformat(),
            "reason": movement.reason.value, "remarks": movement.remarks,
            "transport_doc_no": movement.transport_doc_no}


def domain_bill(record: EwayBillRecord) -> EwayBill:
    if record.ebn is None or record.generated_at is None or record.valid_until is None:
        raise UseCaseError(409, f"e-way bill {record.id} has not been generated (status {record.status})")
    movements = tuple(
        VehicleMovement(
            vehicle_no=m["vehicle_no"], mode=TransportMode(m["mode"]), from_place=m["from_place"],
            from_state_code=m["from_state_code"], entered_at=datetime.fromisoformat(m["entered_at"]),
            reason=VehicleChangeReason(m["reason"]), remarks=m.get("remarks", ""),
            transport_doc_no=m.get("transport_doc_no"),
        )
        for m in record.movements
    )
    return EwayBill(
        ebn=record.ebn, generated_at=record.generated_at, valid_until=record.valid_until,
        distance_km=record.distance_km or 0, vehicle_type=VehicleType(record.vehicle_type), movements=movements,
        status=EwayBillStatus.CANCELLED if record.status == CANCELLED else EwayBillStatus.ACTIVE,
        extensions=record.extensions,
    )


async def decide_for_invoice(uow: UnitOfWork, invoice: InvoiceIssued, gateway: EwayBillGateway,
                             now: datetime) -> EwayBillRecord:
    """Once per invoice: below the threshold in force → not required; above → generate at the portal."""
    existing = await uow.bills.by_invoice(invoice.invoice_id)
    if existing is not None:
        return existing
    facts = invoice_facts(invoice)
    requirement = ewaybill_requirement(
        facts.consignment_value, invoice.dispatch_from.state_code, invoice.ship_to.state_code,
        invoice.invoice_date, await uow.thresholds.every(),
    )
    record = EwayBillRecord(
        id=f"ewb-{uuid.uuid4().hex[:16]}", invoice_id=invoice.invoice_id, invoice_no=invoice.invoice_no,
        order_id=invoice.order_id, shipment_id=invoice.shipment_id, customer_id=invoice.customer_id,
        status=NOT_REQUIRED if not requirement.required else REJECTED,
        consignment_value=requirement.consignment_value, threshold=requirement.threshold,
        movement=requirement.movement.value, invoice=invoice.model_dump(mode="json"),
        transport=invoice.transport.model_dump(mode="json"), vehicle_type=invoice.transport.vehicle_type.value,
    )
    if not requirement.required:
        if not await uow.bills.add(record):
            return await _existing(uow, invoice.invoice_id)
        uow.publish(EwayBillNotRequired(
            **_facts(record), reason=NotRequiredReason.BELOW_THRESHOLD,
            consignment_value=requirement.consignment_value, threshold=requirement.threshold, decided_at=now,
        ))
        return record
    # Stored once, with the portal's answer (a crash before commit meets 604 next time and takes the bill back).
    if not await generate(uow, record, gateway, now, new=True):
        return await _existing(uow, invoice.invoice_id)
    return record


async def _existing(uow: UnitOfWork, invoice_id: str) -> EwayBillRecord:
    found = await uow.bills.by_invoice(invoice_id)
    assert found is not None
    return found


async def _store(uow: UnitOfWork, record: EwayBillRecord, new: bool) -> bool:
    if new:
        return await uow.bills.add(record)
    await uow.bills.save(record)
    return True


async def generate(uow: UnitOfWork, record: EwayBillRecord, gateway: EwayBillGateway, now: datetime, *,
                   new: bool = False, replaces: str | None = None) -> bool:
    """Build the NIC request from the invoice and the captured Part B, send it, record and publish the answer.
    False when `new` and another transaction recorded this invoice first (nothing is published then)."""
    invoice = InvoiceIssued.model_validate(record.invoice)
    transport = TransportDetails.model_validate(record.transport)
    record.attempts += 1
    try:
        request = generation_request(invoice_facts(invoice), dispatch_details(transport))
    except RequestProblem as exc:
        missing_vehicle = transport.mode.value == "road" and not transport.vehicle_no
        error = portal_error(VEHICLE_REQUIRED) if missing_vehicle else None
        return await _rejected(uow, record, now, error.code if error else "request",
                               error.message if error else str(exc), {"transport": record.transport}, new)
    reply = await gateway.generate(request)
    if not reply.ok and any(e.code == DUPLICATE_DOCUMENT for e in reply.errors):
        # Our own earlier attempt may have been generated before a crash: take it back, do not generate twice.
        previous = await gateway.generated_for_document("INV", invoice.invoice_no)
        if previous.ok:
            reply = previous
    logged = _loggable(request)
    if not reply.ok:
        return await _rejected(uow, record, now, reply.code, reply.message, logged, new)
    try:
        bill = parse_generation_response(reply.data)
    except ResponseProblem as exc:
        return await _rejected(uow, record, now, "response", str(exc), logged, new)
    record.status = GENERATED
    record.ebn = bill.ebn
    record.generated_at = to_utc(bill.generated_at)
    record.valid_until = to_utc(bill.valid_until)
    record.distance_km = int(request["transDistance"])
    record.rejection_code = record.rejection_message = None
    record.movements = [_movement_json(VehicleMovement(
        vehicle_no=request["vehicleNo"] or None, mode=TransportMode(request["transMode"]),
        from_place=invoice.dispatch_from.place, from_state_code=invoice.dispatch_from.state_code,
        entered_at=record.generated_at, reason=VehicleChangeReason.FIRST_TIME,
        transport_doc_no=request["transDocNo"] or None,
    ))]
    if not await _store(uow, record, new):
        return False
    await uow.attempts.record(record.id, "generate", logged, "generated", None, None)
    uow.publish(EwayBillGenerated(
        **_facts(record), ewaybill_no=bill.ebn, generated_at=record.generated_at, valid_until=record.valid_until,
        distance_km=record.distance_km, vehicle_no=transport.vehicle_no and normalised_vehicle_number(
            transport.vehicle_no), consignment_value=record.consignment_value, replaces_ewaybill_no=replaces,
    ))
    return True


def _loggable(request: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(dumps(request))
    return loaded


async def _rejected(uow: UnitOfWork, record: EwayBillRecord, now: datetime, code: str,
                    message: str, request: dict[str, Any], new: bool) -> bool:
    record.status = REJECTED
    record.rejection_code, record.rejection_message = code, message
    if not await _store(uow, record, new):
        return False
    await uow.attempts.record(record.id, "generate", request, "rejected", code, message)
    uow.publish(EwayBillRejected(**_facts(record), code=code, message=message, retryable=True, rejected_at=now))
    return True


async def retry(uow: UnitOfWork, ewaybill_id: str, corrections: Corrections, gateway: EwayBillGateway,
                now: datetime) -> EwayBillRecord:
    """A rejected e-way bill, generated again after the supervisor corrected Part B or the distance."""
    record = await uow.bills.get(ewaybill_id, for_update=True)
    if record is None:
        raise UseCaseError(404, f"e-way bill {ewaybill_id} does not exist")
    if record.status != REJECTED:
        raise UseCaseError(409, f"e-way bill {ewaybill_id} is {record.status}: only a rejected one can be retried")
    _correct(record, corrections)
    await generate(uow, record, gateway, now)
    return record


async def regenerate(uow: UnitOfWork, ewaybill_id: str, corrections: Corrections, gateway: EwayBillGateway,
                     now: datetime) -> EwayBillRecord:
    """A new bill for the same invoice after its bill was cancelled (a new vehicle or distance): the invoice
    stays, the shipment's gate opens again on the new bill."""
    record = await uow.bills.get(ewaybill_id, for_update=True)
    if record is None:
        raise UseCaseError(404, f"e-way bill {ewaybill_id} does not exist")
    if record.status != CANCELLED:
        raise UseCaseError(409, f"e-way bill {ewaybill_id} is {record.status}: only a cancelled one is generated "
                                "anew (a rejected one is retried)")
    if record.invoice_cancelled:
        raise UseCaseError(409, f"invoice {record.invoice_no} is cancelled: its re-issue gets its own e-way bill")
    previous = record.ebn
    _correct(record, corrections)
    record.replaced = [*record.replaced, {
        "ewaybill_no": previous, "generated_at": record.generated_at.isoformat() if record.generated_at else None,
        "cancelled_at": record.cancelled_at.isoformat() if record.cancelled_at else None,
        "cancel_reason": record.cancel_reason}]
    record.cancelled_at, record.cancel_reason, record.cancel_remarks = None, None, None
    await generate(uow, record, gateway, now, replaces=previous)
    return record


def _correct(record: EwayBillRecord, corrections: Corrections) -> None:
    transport = TransportDetails.model_validate(record.transport)
    changes: dict[str, Any] = {}
    if corrections.vehicle_no is not None:
        changes["vehicle_no"] = normalised_vehicle_number(corrections.vehicle_no)
    if corrections.distance_km is not None:
        changes["distance_km"] = corrections.distance_km
    if corrections.vehicle_type is not None:
        changes["vehicle_type"] = corrections.vehicle_type
    for name in ("transporter_id", "transporter_name", "lr_no"):
        if getattr(corrections, name) is not None:
            changes[name] = getattr(corrections, name)
    record.transport = TransportDetails.model_validate({**transport.model_dump(), **changes}).model_dump(mode="json")
    record.vehicle_type = str(record.transport["vehicle_type"])


async def change_vehicle(uow: UnitOfWork, record: EwayBillRecord, transport: TransportDetails,
                         reason: VehicleChangeReason, remarks: str, from_place: str, from_state_code: str,
                         gateway: EwayBillGateway, now: datetime) -> EwayBillRecord:
    """Part-B update during validity (refused with the reason otherwise)."""
    bill = domain_bill(record)
    mode = MODES[transport.mode]
    try:
        updated = update_vehicle(bill, transport.vehicle_no, reason, remarks, from_place, from_state_code, now,
                                 mode=mode, transport_doc_no=transport.lr_no)
    except ActionRefused as exc:
        raise UseCaseError(409, exc.reason, exc.code) from exc
    movement = updated.movements[-1]
    request = {
        "ewbNo": int(bill.ebn), "vehicleNo": movement.vehicle_no or "", "fromPlace": from_place,
        "fromState": int(from_state_code), "reasonCode": reason.value, "reasonRem": remarks or reason.name.title(),
        "transDocNo": transport.lr_no or "", "transDocDate": portal_date(transport.lr_date) if transport.lr_date
        else "", "transMode": mode.value,
    }
    reply = await gateway.update_part_b(request)
    await uow.attempts.record(record.id, "update_part_b", request, "ok" if reply.ok else "refused",
                              reply.code or None, reply.message or None)
    _refused_by_portal(reply)
    record.movements = [*record.movements, _movement_json(movement)]
    record.transport = transport.model_dump(mode="json")
    record.last_refusal = None
    await uow.bills.save(record)
    uow.publish(EwayBillUpdated(
        **_facts(record), ewaybill_no=_ebn(record), transport=transport, reason=reason.name.lower(),
        valid_until=bill.valid_until, updated_at=now,
    ))
    return record


def _refused_by_portal(reply: PortalReply) -> None:
    if not reply.ok:
        raise UseCaseError(422, f"the portal refused: {reply.message}", reply.code)


async def on_vehicle_changed(uow: UnitOfWork, message: VehicleChanged, gateway: EwayBillGateway,
                             now: datetime) -> EwayBillRecord | None:
    """A vehicle change after gate-out: update Part B, or keep the refusal visible on the record. A change
    for a shipment whose e-way bill was rejected is the supervisor's correction: generate again with it."""
    record = await uow.bills.active_for_shipment(message.shipment_id)
    if record is None:
        rejected = await uow.bills.find(shipment_id=message.shipment_id, status=REJECTED, limit=1)
        if rejected:
            t = message.transport
            corrections = Corrections(vehicle_no=t.vehicle_no, distance_km=t.distance_km,
                                      vehicle_type=t.vehicle_type.value, transporter_id=t.transporter_id,
                                      transporter_name=t.transporter_name, lr_no=t.lr_no)
            return await retry(uow, rejected[0].id, corrections, gateway, now)
        return None  # no e-way bill was required for this shipment: nothing to update
    try:
        return await change_vehicle(
            uow, record, message.transport, VEHICLE_REASONS[message.reason], message.remarks, message.from_place,
            message.from_state_code, gateway, require_aware(message.changed_at),
        )
    except UseCaseError as exc:
        record.last_refusal = f"vehicle change to {message.transport.vehicle_no} refused: {exc.reason}"
        await uow.bills.save(record)
        return record


async def cancel_bill(uow: UnitOfWork, ewaybill_id: str, reason: EwayBillCancelReason, remarks: str,
                      gateway: EwayBillGateway, now: datetime,
                      request_id: str | None = None) -> EwayBillRecord:
    record = await _generated(uow, ewaybill_id)
    try:
        cancelled = cancel(domain_bill(record), CANCEL_REASONS[reason], remarks, now)
    except ActionRefused as exc:
        raise UseCaseError(409, exc.reason, exc.code) from exc
    reply = await gateway.cancel(cancelled.ebn, CANCEL_REASONS[reason].value, remarks or reason.value)
    await uow.attempts.record(record.id, "cancel", {"ewbNo": cancelled.ebn, "cancelRsnCode": CANCEL_REASONS[
        reason].value}, "ok" if reply.ok else "refused", reply.code or None, reply.message or None)
    _refused_by_portal(reply)
    record.status = CANCELLED
    record.cancelled_at, record.cancel_reason, record.cancel_remarks = cancelled.cancelled_at, reason.value, remarks
    await uow.bills.save(record)
    uow.publish(EwayBillCancelled(**_facts(record), ewaybill_no=cancelled.ebn, reason=reason, remarks=remarks,
                                    cancelled_at=now, request_id=request_id))
    return record


async def on_cancel_command(uow: UnitOfWork, command: CancelEwayBill, gateway: EwayBillGateway,
                            now: datetime) -> None:
    """The coordinator undoes a cancelled shipment's documents: cancel its bill within the portal's 24 hours,
    or say why not (the bill then lapses unused). A bill already cancelled (by a person, or this command's
    earlier delivery) is answered as cancelled again, so a re-sent command always gets its reply."""
    record = await uow.bills.by_invoice(command.invoice_id)
    if record is None or record.ebn != command.ewaybill_no:
        uow.publish(EwayBillCancellationRefused(
            order_id=command.order_id, shipment_id=command.shipment_id, invoice_id=command.invoice_id,
            invoice_no=record.invoice_no if record else "UNKNOWN", ewaybill_no=command.ewaybill_no,
            request_id=command.request_id, reason="no such e-way bill for this invoice", refused_at=now))
        return
    if record.status == CANCELLED:
        uow.publish(EwayBillCancelled(
            **_facts(record), ewaybill_no=_ebn(record), reason=EwayBillCancelReason(record.cancel_reason or "others"),
            remarks=record.cancel_remarks or "", cancelled_at=record.cancelled_at or now,
            request_id=command.request_id))
        return
    try:
        await cancel_bill(uow, record.id, EwayBillCancelReason.ORDER_CANCELLED, command.reason[:100], gateway, now,
                          request_id=command.request_id)
    except UseCaseError as exc:
        record.last_refusal = f"cancellation refused: {exc.reason}"
        await uow.bills.save(record)
        uow.publish(EwayBillCancellationRefused(
            **_facts(record), ewaybill_no=_ebn(record), request_id=command.request_id,
            reason=f"{exc.reason}; the bill lapses unused", refused_at=now))


async def on_invoice_cancelled(uow: UnitOfWork, invoice_id: str, gateway: EwayBillGateway,
                               now: datetime) -> None:
    """The invoice of a bill was cancelled: its bill is never generated anew (a re-issue gets its own), and a
    bill still active (generated while the cancellation raced it) is cancelled within its window — it refers to
    an invoice that no longer stands."""
    record = await uow.bills.by_invoice(invoice_id)
    if record is None or record.invoice_cancelled:
        return
    record.invoice_cancelled = True
    await uow.bills.save(record)
    if record.status == GENERATED:
        try:
            await cancel_bill(uow, record.id, EwayBillCancelReason.OTHERS, "its invoice was cancelled", gateway, now)
        except UseCaseError as exc:
            record.invoice_cancelled, record.last_refusal = True, f"cancellation refused: {exc.reason}"
            await uow.bills.save(record)


async def extend_bill(uow: UnitOfWork, ewaybill_id: str, remaining_km: int, current_place: str, current_pincode: str,
                      current_state_code: str, reason: ExtensionReason, remarks: str,
                      gateway: EwayBillGateway, now: datetime) -> EwayBillRecord:
    record = await _generated(uow, ewaybill_id)
    bill = domain_bill(record)
    try:
        extended = extend(bill, remaining_km, current_place, current_pincode, reason, remarks, now)
    except ActionRefused as exc:
        raise UseCaseError(409, exc.reason, exc.code) from exc
    transport = TransportDetails.model_validate(record.transport)
    request = {
        "ewbNo": int(bill.ebn), "vehicleNo": bill.vehicle_no or "", "fromPlace": current_place,
        "fromState": int(current_state_code), "fromPincode": int(current_pincode),
        "remainingDistance": remaining_km, "extnRsnCode": int(reason.value), "extnRemarks": remarks or reason.name,
        "transMode": MODES[transport.mode].value, "consignmentStatus": "M",
    }
    reply = await gateway.extend(request)
    await uow.attempts.record(record.id, "extend", request, "ok" if reply.ok else "refused", reply.code or None,
                              reply.message or None)
    _refused_by_portal(reply)
    previous = bill.valid_until
    record.valid_until = to_utc(extended.valid_until)
    record.extensions = extended.extensions
    await uow.bills.save(record)
    uow.publish(EwayBillExtended(
        **_facts(record), ewaybill_no=bill.ebn, previous_valid_until=previous, valid_until=record.valid_until,
        remaining_distance_km=remaining_km, reason=reason.name.lower(), extended_at=now,
    ))
    return record


async def _generated(uow: UnitOfWork, ewaybill_id: str) -> EwayBillRecord:
    record = await uow.bills.get(ewaybill_id, for_update=True)
    if record is None:
        raise UseCaseError(404, f"e-way bill {ewaybill_id} does not exist")
    if record.status == CANCELLED:
        raise UseCaseError(409, f"e-way bill {record.ebn} is already cancelled")
    if record.status != GENERATED:
        raise UseCaseError(409, f"e-way bill {ewaybill_id} is {record.status}: there is no generated bill to act on")
    return record


async def expiring(uow: UnitOfWork, now: datetime, within: timedelta) -> list[EwayBillRecord]:
    """Active bills expiring within `within` (or expired less than 8 hours ago), soonest first."""
    records = {r.ebn: r for r in await uow.bills.find(status=GENERATED, limit=10_000) if r.ebn}
    due = expiring_soon([domain_bill(r) for r in records.values()], now, within)
    return [replace(records[b.ebn]) for b in due]


@dataclass(frozen=True)
class NewVehicle:
    """A Part-B update as a dispatch supervisor types it: what is not given stays as the bill has it (the vehicle
    number excepted: None is no vehicle)."""

    vehicle_no: str | None
    mode: ContractMode
    transporter_id: str | None = None
    transporter_name: str | None = None
    lr_no: str | None = None
    lr_date: date | None = None


async def update_vehicle_by_hand(uow: UnitOfWork, ewaybill_id: str, vehicle: NewVehicle,
                                 reason: VehicleChangeReason, remarks: str, from_place: str, from_state_code: str,
                                 gateway: EwayBillGateway, now: datetime) -> EwayBillRecord:
    """Part-B update of a generated bill, asked for over HTTP (during validity; refused with the reason
    otherwise)."""
    record = await uow.bills.get(ewaybill_id, for_update=True)
    if record is None:
        raise UseCaseError(404, f"e-way bill {ewaybill_id} does not exist")
    if record.status != GENERATED:
        raise UseCaseError(409, f"e-way bill {ewaybill_id} is {record.status}")
    current = TransportDetails.model_validate(record.transport)
    transport = current.model_copy(update={
        "vehicle_no": vehicle.vehicle_no, "mode": vehicle.mode,
        "transporter_id": vehicle.transporter_id or current.transporter_id,
        "transporter_name": vehicle.transporter_name or current.transporter_name,
        "lr_no": vehicle.lr_no or current.lr_no, "lr_date": vehicle.lr_date or current.lr_date,
    })
    return await change_vehicle(uow, record, transport, reason, remarks, from_place, from_state_code, gateway, now)
