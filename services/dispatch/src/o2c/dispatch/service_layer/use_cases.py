"""Dispatch's use cases, each on a unit of work in one transaction opened by its caller (an HTTP request or a
message batch, `o2c.dispatch.bootstrap`): load the shipment with a row lock, call the domain, save it when it
changed, publish what the change causes (`uow.publish`: the outbox, same transaction). Repeats change nothing
and publish nothing."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from o2c.contracts.v1.dispatch import PickListCancellationRefused
from o2c.contracts.v1.ewaybill import EwayBillCancelled, EwayBillGenerated, EwayBillNotRequired, EwayBillRejected
from o2c.contracts.v1.invoicing import InvoiceCancelled, InvoiceIssued, IrnRegistered, IrnRejected
from o2c.contracts.v1.sales import CancelPickList, OrderReleased
from o2c.dispatch.domain import (
    ConflictingState,
    DispatchDetails,
    EwayBillReference,
    InvalidValue,
    InvoiceReference,
    Shipment,
    ShipmentStatus,
    ShortReason,
    TransportMode,
    Trip,
    VehicleChangeReason,
    VehicleType,
    business_date,
)
from o2c.dispatch.service_layer import outgoing
from o2c.dispatch.service_layer.errors import UnknownShipment
from o2c.dispatch.service_layer.ports import Authorise, UnitOfWork
from o2c.dispatch.service_layer.records import (
    Queue,
    ReleaseFacts,
    ShipmentRecord,
    TripRecord,
    pick_requests,
    waiting_for,
)

log = logging.getLogger("o2c.dispatch")


def pick_list_id_for(shipment_id: str) -> str:
    """Deterministic, so a release read twice names the same pick list."""
    return f"pl-{shipment_id}"


# --- release → pick lists ----------------------------------------------------------------------


async def issue_pick_lists(uow: UnitOfWork, release: OrderReleased, now: datetime) -> list[ShipmentRecord]:
    """One pick list per warehouse shipment, lines in walking order; idempotent per shipment id. The
    distance to the ship-to is estimated now from the pincodes (the supervisor may override it within the
    portal's 10 % rule)."""
    issued = []
    for released in release.shipments:
        if await uow.shipments.get(released.shipment_id) is not None \
                or await uow.cancellations.includes(released.shipment_id):
            continue
        requests = [request for line in released.lines for request in pick_requests(line)]
        shipment = Shipment.release(released.shipment_id, release.order_id, released.warehouse_id,
                                    pick_list_id_for(released.shipment_id), requests, now)
        number = await uow.numbers.next()
        estimate = uow.distances.estimate(released.dispatch_from.pincode, release.ship_to.pincode)
        facts = ReleaseFacts.of(release, released, estimate)
        record = ShipmentRecord(shipment, facts, shipment_no=f"SHP-{number:06d}", pick_list_no=f"PL-{number:06d}")
        if await uow.shipments.add(record):
            uow.publish(outgoing.pick_list_issued(record))
            issued.append(record)
    return issued


# --- picking -----------------------------------------------------------------------------------


def _ready_if_now_ready(uow: UnitOfWork, record: ShipmentRecord, before: ShipmentStatus, now: datetime) -> None:
    if before is not ShipmentStatus.READY and record.shipment.status is ShipmentStatus.READY \
            and record.shipment.has_goods:
        uow.publish(outgoing.shipment_ready(record, now))


@dataclass(frozen=True)
class PickInput:
    picked: Decimal
    bin_code: str | None = None
    batch_no: str | None = None
    short_reason: ShortReason | None = None
    note: str = ""


async def confirm_pick(uow: UnitOfWork, pick_list_id: str, pick_line_no: int, pick: PickInput, picked_by: str,
                       now: datetime, authorise: Authorise) -> ShipmentRecord:
    """A picker confirms one line (bin and batch scanned). A short pick goes with what was picked: the
    shortfall is handed to the coordinator in PickConfirmed (it re-reserves elsewhere or backorders), and
    the line is closed here so the shipment does not wait."""
    record = await uow.shipments.get_by_pick_list(pick_list_id, for_update=True)
    if record is None:
        raise UnknownShipment("pick list", pick_list_id)
    authorise(record.warehouse_id)
    shipment, before = record.shipment, record.shipment.status
    already = shipment.pick_list.line(pick_line_no).confirmation is not None
    confirmation = shipment.confirm_pick(pick_line_no, pick.picked, picked_by, now, bin_code=pick.bin_code,
                                         batch_no=pick.batch_no, reason=pick.short_reason, note=pick.note)
    if already:
        return record
    if confirmation.short > 0:
        shipment.accept_shortfall(pick_line_no)
    uow.publish(outgoing.pick_confirmed(record, shipment.pick_list.line(pick_line_no)))
    if shipment.pick_list.is_complete and not shipment.has_goods:
        # Every line came back empty: nothing to invoice or move. The shipment closes here, and the
        # coordinator hears it as a cancellation dispatch made on its own (no request id).
        cancellation = shipment.cancel(now, "nothing picked: every line short")
        uow.publish(outgoing.pick_list_cancelled(record.order_id, record.shipment_id, record.pick_list_id, None,
                                                 cancellation, {}, now))
    await uow.shipments.save(record)
    _ready_if_now_ready(uow, record, before, now)
    return record


async def confirm_pick_list(uow: UnitOfWork, pick_list_id: str, picks: dict[int, PickInput], picked_by: str,
                            now: datetime, authorise: Authorise) -> ShipmentRecord:
    """A picker confirms a whole pick list in one request: every line not confirmed yet must be in `picks`
    (lines confirmed before may be repeated, as one by one). One PickListConfirmed tells the lines newly
    confirmed; each short line is handed on as in `confirm_pick`."""
    record = await uow.shipments.get_by_pick_list(pick_list_id, for_update=True)
    if record is None:
        raise UnknownShipment("pick list", pick_list_id)
    authorise(record.warehouse_id)
    shipment, before = record.shipment, record.shipment.status
    for line_no in picks:
        shipment.pick_list.line(line_no)  # an unknown line is refused before anything changes
    missing = [line.pick_line_no for line in shipment.pick_list.lines
               if line.confirmation is None and line.pick_line_no not in picks]
    if missing:
        raise InvalidValue("lines", f"every open line of the pick list is needed; missing line(s) "
                                    f"{', '.join(map(str, missing))}")
    confirmed = []
    for line_no, pick in sorted(picks.items()):
        if shipment.pick_list.line(line_no).confirmation is not None:
            shipment.confirm_pick(line_no, pick.picked, picked_by, now, bin_code=pick.bin_code,
                                  batch_no=pick.batch_no, reason=pick.short_reason, note=pick.note)
            continue  # confirmed before: the same answer again changes nothing (a different one is refused)
        confirmation = shipment.confirm_pick(line_no, pick.picked, picked_by, now, bin_code=pick.bin_code,
                                             batch_no=pick.batch_no, reason=pick.short_reason, note=pick.note)
        if confirmation.short > 0:
            shipment.accept_shortfall(line_no)
        confirmed.append(outgoing.pick_confirmed(record, shipment.pick_list.line(line_no)))
    if not confirmed:
        return record
    uow.publish(outgoing.pick_list_confirmed(confirmed))
    if shipment.pick_list.is_complete and not shipment.has_goods:
        cancellation = shipment.cancel(now, "nothing picked: every line short")
        uow.publish(outgoing.pick_list_cancelled(record.order_id, record.shipment_id, record.pick_list_id, None,
                                                 cancellation, {}, now))
    await uow.shipments.save(record)
    _ready_if_now_ready(uow, record, before, now)
    return record


# --- vehicle -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DetailsInput:
    distance_km: int | None
    """None: the distance estimated from the pincodes."""
    mode: TransportMode = TransportMode.ROAD
    vehicle_no: str | None = None
    vehicle_type: VehicleType = VehicleType.REGULAR
    driver_name: str | None = None
    driver_phone: str | None = None
    transporter_id: str | None = None
    transporter_name: str | None = None
    lr_no: str | None = None
    lr_date: date | None = None

    def capture(self, record: ShipmentRecord, now: datetime) -> DispatchDetails:
        release = record.release
        return DispatchDetails.capture(
            today=business_date(now), distance_km=declared_distance(record, self.distance_km), mode=self.mode,
            vehicle_no=self.vehicle_no,
            vehicle_type=self.vehicle_type, driver_name=self.driver_name, driver_phone=self.driver_phone,
            transporter_id=self.transporter_id, transporter_name=self.transporter_name, lr_no=self.lr_no,
            lr_date=self.lr_date, estimated_distance_km=release.estimated_distance_km,
            same_pincode=release.same_pincode,
        )


def declared_distance(record: ShipmentRecord, distance_km: int | None) -> int:
    if distance_km is not None:
        return distance_km
    if record.release.estimated_distance_km is None:
        raise InvalidValue("distance_km", f"no estimate for {record.release.shipment.dispatch_from.pincode} → "
                                          f"{record.release.ship_to.pincode}: declare the distance")
    return record.release.estimated_distance_km


async def capture_dispatch_details(uow: UnitOfWork, shipment_id: str, details: DetailsInput, now: datetime,
                                   authorise: Authorise) -> ShipmentRecord:
    """Captured once; with every line confirmed the shipment is ready → ShipmentReady. Invalid details
    are refused before anything is written."""
    record = await _locked(uow, shipment_id)
    authorise(record.warehouse_id)
    captured = details.capture(record, now)
    before = record.shipment.status
    if record.shipment.capture_dispatch_details(captured):
        await uow.shipments.save(record)
        _ready_if_now_ready(uow, record, before, now)
    return record


async def load_trip(uow: UnitOfWork, warehouse_id: str, details: DetailsInput, legs: list[tuple[str, int | None]],
                    created_by: str, now: datetime, authorise: Authorise) -> TripRecord:
    """One vehicle takes several shipments of one warehouse: the details are entered once and apply to all,
    each shipment with its own declared distance. All or nothing (a refusal rolls the transaction back); a
    repeated request is answered at the HTTP edge (Idempotency-Key)."""
    authorise(warehouse_id)
    if not legs:
        raise InvalidValue("shipments", "a trip carries at least one shipment")
    if len({shipment_id for shipment_id, _ in legs}) != len(legs):
        raise InvalidValue("shipments", "a shipment is listed twice")
    records = []
    for shipment_id, _ in legs:
        records.append(await _locked(uow, shipment_id))
    number = await uow.numbers.next()
    trip = Trip(f"trip-{number:06d}", warehouse_id, replace(details, distance_km=legs[0][1]).capture(records[0], now))
    for record, (_, distance_km) in zip(records, legs, strict=True):
        before = record.shipment.status
        if trip.load(record.shipment, declared_distance(record, distance_km), record.release.estimated_distance_km,
                     record.release.same_pincode):
            await uow.shipments.save(record)
            _ready_if_now_ready(uow, record, before, now)
    trip_record = TripRecord(trip, f"TRIP-{number:06d}", created_by)
    await uow.trips.add(trip_record)
    return trip_record


# --- the ready-for-gate list ---------------------------------------------------------------------


def gate_changed(uow: UnitOfWork, record: ShipmentRecord, now: datetime) -> bool:
    """Keep the shipment's place on its warehouse's ready-for-gate list in step with its documents: on it
    (ShipmentGateOpened) once it may leave; off it (ShipmentGateClosed, with the reason and what it waits for)
    when a document it left on goes away — IRN pending or rejected, e-way bill cancelled or expired, invoice
    cancelled, shipment cancelled. Leaving through the gate takes it off silently (ShipmentDispatched says it).
    Whether anything changed (the caller saves)."""
    shipment = record.shipment
    if shipment.status is ShipmentStatus.DISPATCHED:
        changed = shipment.on_gate_list
        shipment.on_gate_list = False
        return changed
    may_leave = shipment.may_leave(now)
    if may_leave == shipment.on_gate_list:
        return False
    shipment.on_gate_list = may_leave
    if may_leave:
        uow.publish(outgoing.gate_opened(record, now))
    else:
        missing = waiting_for(record) or (["ewaybill_extension"] if shipment.ewaybill else [])
        uow.publish(outgoing.gate_closed(record, missing, now))
    return True


async def ready_for_gate(uow: UnitOfWork, warehouses: Collection[str] | None, now: datetime, limit: int
                         ) -> list[ShipmentRecord]:
    """A warehouse's ready-for-gate list: shipments whose documents let them leave now (an expired e-way bill
    drops off at once; the sweep publishes its ShipmentGateClosed)."""
    found = await uow.shipments.search(warehouses=warehouses, queues=[Queue.READY_FOR_GATE.value], limit=limit)
    return [r for r in found if r.shipment.may_leave(now)]


async def sweep_gate(uow: UnitOfWork, now: datetime, limit: int = 200) -> int:
    """Take shipments whose e-way bill expired off the ready-for-gate list, with their event."""
    closed = 0
    for record in await uow.shipments.search(queues=[Queue.READY_FOR_GATE.value], limit=limit):
        if record.shipment.on_gate_list and not record.shipment.may_leave(now):
            locked = await uow.shipments.get(record.shipment_id, for_update=True)
            if locked is not None and gate_changed(uow, locked, now):
                await uow.shipments.save(locked)
                closed += 1
    return closed


# --- documents (messages from invoicing and ewaybill) ------------------------------------------


async def _locked(uow: UnitOfWork, shipment_id: str) -> ShipmentRecord:
    record = await uow.shipments.get(shipment_id, for_update=True)
    if record is None:
        raise UnknownShipment("shipment", shipment_id)
    return record


async def _for_documents(uow: UnitOfWork, shipment_id: str, what: str) -> ShipmentRecord | None:
    """A document that arrives for a shipment cancelled meanwhile (the cancel overtook it) changes nothing
    here: the cancellation already told the coordinator, who has the documents cancelled by their owners.
    It is logged, not dead-lettered, so the order's other shipments keep flowing."""
    record = await _locked(uow, shipment_id)
    if record.shipment.status is ShipmentStatus.CANCELLED:
        log.warning("%s for cancelled shipment %s ignored", what, shipment_id)
        return None
    return record


async def record_invoice(uow: UnitOfWork, message: InvoiceIssued, now: datetime) -> ShipmentRecord | None:
    record = await _for_documents(uow, message.shipment_id, f"invoice {message.invoice_no}")
    if record is None:
        return None
    if any(message.invoice_no == no for no in record.shipment.cancelled_invoices):
        log.warning("invoice %s of shipment %s was cancelled; ignored", message.invoice_no, message.shipment_id)
        return record
    quantities: dict[int, Decimal] = {}
    if all(line.order_line_no is not None for line in message.lines):
        for line in message.lines:
            assert line.order_line_no is not None
            quantities[line.order_line_no] = quantities.get(line.order_line_no, Decimal(0)) + line.quantity.value
    invoice = InvoiceReference(message.invoice_id, message.invoice_no, message.invoice_date,
                               message.totals.grand_total, quantities, irn_required=message.irn_required,
                               irn_registered=message.irn is not None,
                               replaces_invoice_no=message.replaces_invoice_no)
    put_back = record.shipment.put_back_to(invoice)
    if record.shipment.record_invoice(invoice):
        gate_changed(uow, record, now)
        await uow.shipments.save(record)
        if put_back:
            uow.publish(outgoing.shipment_reduced(record, message.invoice_id, message.invoice_no,
                                                message.replaces_invoice_no, put_back, now))
    return record


async def record_ewaybill(uow: UnitOfWork, message: EwayBillGenerated, now: datetime) -> ShipmentRecord | None:
    record = await _for_documents(uow, message.shipment_id, f"e-way bill {message.ewaybill_no}")
    if record is None:
        return None
    shipment = record.shipment
    if message.ewaybill_no in shipment.cancelled_ewaybills or message.invoice_no in shipment.cancelled_invoices:
        log.warning("e-way bill %s (invoice %s) no longer applies to shipment %s; ignored", message.ewaybill_no,
                    message.invoice_no, message.shipment_id)
        return record
    if shipment.record_ewaybill(EwayBillReference(message.ewaybill_no, message.valid_until)):
        gate_changed(uow, record, now)
        await uow.shipments.save(record)
    return record


async def record_ewaybill_cancelled(uow: UnitOfWork, message: EwayBillCancelled, now: datetime
                                    ) -> ShipmentRecord | None:
    """The bill was cancelled (a person, or the coordinator undoing an order): the gate closes."""
    record = await _locked(uow, message.shipment_id)
    if record.shipment.record_ewaybill_cancelled(message.ewaybill_no):
        gate_changed(uow, record, now)
        await uow.shipments.save(record)
    return record


async def record_invoice_cancelled(uow: UnitOfWork, message: InvoiceCancelled, now: datetime) -> ShipmentRecord | None:
    """The invoice was cancelled before gate-out: the shipment waits for the re-issued one, gate closed."""
    record = await _locked(uow, message.shipment_id)
    if record.shipment.record_invoice_cancelled(message.invoice_id):
        gate_changed(uow, record, now)
        await uow.shipments.save(record)
    return record


async def record_ewaybill_not_required(uow: UnitOfWork, message: EwayBillNotRequired, now: datetime
                                       ) -> ShipmentRecord | None:
    record = await _for_documents(uow, message.shipment_id, "e-way bill not-required verdict")
    if record is None:
        return None
    shipment = record.shipment
    if message.invoice_no in shipment.cancelled_invoices:
        return record  # the verdict on a cancelled invoice; its re-issue gets its own
    if shipment.record_ewaybill_not_required(message.reason.value):
        gate_changed(uow, record, now)
        await uow.shipments.save(record)
    return record


async def record_ewaybill_rejected(uow: UnitOfWork, message: EwayBillRejected, now: datetime) -> ShipmentRecord | None:
    record = await _for_documents(uow, message.shipment_id, "e-way bill rejection")
    if record is None:
        return None
    if record.shipment.record_ewaybill_rejected(message.code, message.message):
        await uow.shipments.save(record)
    return record


async def _invoiced_by(uow: UnitOfWork, order_id: str, invoice_id: str, what: str) -> ShipmentRecord | None:
    """IRN outcomes name the order and the invoice, not the shipment: the shipment is the one of the order
    whose recorded InvoiceIssued has that invoice id. None (logged) when no such invoice was recorded."""
    for record in await uow.shipments.of_order(order_id, for_update=True):
        invoice = record.shipment.invoice
        if invoice is not None and invoice.invoice_id == invoice_id:
            return record
    log.warning("%s for invoice %s of order %s: no shipment invoiced by it; ignored", what, invoice_id, order_id)
    return None


async def record_irn_rejected(uow: UnitOfWork, message: IrnRejected, now: datetime) -> ShipmentRecord | None:
    record = await _invoiced_by(uow, message.order_id, message.invoice_id, "IRN rejection")
    if record is None:
        return None
    if record.shipment.record_irn_rejected(message.invoice_id, message.code, message.message):
        gate_changed(uow, record, now)
        await uow.shipments.save(record)
    elif record.shipment.status is ShipmentStatus.DISPATCHED:
        # Nothing to hold back here any more; the order's coordinator raises it for a person (order page).
        log.warning("IRN of invoice %s rejected after shipment %s left the gate: %s %s", message.invoice_no,
                    record.shipment_id, message.code, message.message)
    return record


async def record_irn_registered(uow: UnitOfWork, message: IrnRegistered, now: datetime) -> ShipmentRecord | None:
    record = await _invoiced_by(uow, message.order_id, message.invoice_id, "IRN registration")
    if record is None:
        return None
    if record.shipment.record_irn_registered(message.invoice_id):
        gate_changed(uow, record, now)
        await uow.shipments.save(record)
    return record


# --- the gate and after ------------------------------------------------------------------------


async def gate_out(uow: UnitOfWork, shipment_id: str, by: str, now: datetime, authorise: Authorise
                   ) -> ShipmentRecord:
    """Refused (GateClosed, naming what is missing) until the invoice and the e-way bill verdict exist.
    A second gate-out changes nothing and publishes nothing."""
    record = await _locked(uow, shipment_id)
    authorise(record.warehouse_id)
    if record.shipment.gate_out(now, by):
        gate_changed(uow, record, now)
        await uow.shipments.save(record)
        uow.publish(outgoing.shipment_dispatched(record))
    return record


async def change_vehicle(uow: UnitOfWork, shipment_id: str, details: DetailsInput, reason: VehicleChangeReason,
                         from_place: str, from_state_code: str, remarks: str, now: datetime, authorise: Authorise
                         ) -> ShipmentRecord:
    record = await _locked(uow, shipment_id)
    authorise(record.warehouse_id)
    change = record.shipment.change_vehicle(details.capture(record, now), reason, now, from_place=from_place,
                                            from_state_code=from_state_code, remarks=remarks)
    await uow.shipments.save(record)
    uow.publish(outgoing.vehicle_changed(record, change))
    return record


# --- the coordinator's command -----------------------------------------------------------------


async def cancel_pick_lists(uow: UnitOfWork, command: CancelPickList, now: datetime) -> None:
    """Every named shipment (or every shipment of the order) gets a reply: PickListCancelled with the
    goods to put back into their bins, or PickListCancellationRefused when it already left the gate. A
    shipment whose release was not read yet is remembered as cancelled, so the late release issues nothing."""
    known = {r.shipment_id: r for r in await uow.shipments.of_order(command.order_id, for_update=True)}
    targets = list(command.shipment_ids) or sorted(known)
    for shipment_id in targets:
        record = known.get(shipment_id)
        if record is None:
            record = await uow.shipments.get(shipment_id, for_update=True)
            if record is not None and record.order_id != command.order_id:
                continue  # not this order's shipment: nothing to cancel, nothing to say
        if record is None:
            await uow.cancellations.add(shipment_id, command.order_id, command.request_id, now)
            uow.publish(outgoing.pick_list_cancelled(command.order_id, shipment_id, pick_list_id_for(shipment_id),
                                                     command.request_id, None, {}, now))
            continue
        invoice_no = record.shipment.invoice.invoice_no if record.shipment.invoice else None
        try:
            cancellation = record.shipment.cancel(now, command.reason)
        except ConflictingState:
            uow.publish(PickListCancellationRefused(
                order_id=command.order_id, shipment_id=shipment_id, request_id=command.request_id,
                reason="already dispatched", refused_at=now,
            ))
            continue
        gate_changed(uow, record, now)
        await uow.shipments.save(record)
        units = {line.line_no: line.quantity.unit.value for line in record.release.shipment.lines}
        uow.publish(outgoing.pick_list_cancelled(command.order_id, shipment_id, record.pick_list_id,
                                                 command.request_id, cancellation, units, now, invoice_no=invoice_no))


# --- reading -----------------------------------------------------------------------------------


async def read_pick_list(uow: UnitOfWork, pick_list_id: str, authorise: Authorise) -> ShipmentRecord:
    record = await uow.shipments.get_by_pick_list(pick_list_id)
    if record is None:
        raise UnknownShipment("pick list", pick_list_id)
    authorise(record.warehouse_id)
    return record


async def read_shipment(uow: UnitOfWork, shipment_id: str, authorise: Authorise) -> ShipmentRecord:
    record = await uow.shipments.get(shipment_id)
    if record is None:
        raise UnknownShipment("shipment", shipment_id)
    authorise(record.warehouse_id)
    return record


async def read_trip(uow: UnitOfWork, trip_id: str, authorise: Authorise) -> tuple[TripRecord, list[ShipmentRecord]]:
    """The trip and its shipments as they are now (they move on after the trip was made)."""
    record = await uow.trips.get(trip_id)
    if record is None:
        raise UnknownShipment("trip", trip_id)
    authorise(record.trip.warehouse_code)
    shipments = [r for r in [await uow.shipments.get(s) for s in record.trip.shipment_ids] if r is not None]
    return record, shipments
