"""A shipment from one warehouse, from pick list to gate-out:

    picking → picked → ready (vehicle captured) → invoiced → ewaybill_generated | ewaybill_not_required
            → dispatched (gate-out)

The law (CGST s.31, Rule 138): goods leave the gate only after the tax invoice and the e-way bill (or the
verdict that none is required) exist; an e-invoice (B2B) is not a valid invoice until the IRP registers its
IRN, so the gate also waits for the registration (pending or rejected alike). Whether an IRN is required is
invoicing's verdict, carried on InvoiceIssued (`irn_required`), never recomputed here. Cancelling before
gate-out returns staged goods to their bins; after gate-out it is a return, not a cancellation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from o2c.dispatch.domain.business_time import require_aware
from o2c.dispatch.domain.errors import ConflictingState, GateClosed, InvalidValue
from o2c.dispatch.domain.picking import PickConfirmation, PickedLine, PickList, PickRequest, ShortReason
from o2c.dispatch.domain.transport import DispatchDetails


class ShipmentStatus(StrEnum):
    PICKING = "picking"
    PICKED = "picked"
    READY = "ready"
    INVOICED = "invoiced"
    EWAYBILL_GENERATED = "ewaybill_generated"
    EWAYBILL_NOT_REQUIRED = "ewaybill_not_required"
    DISPATCHED = "dispatched"
    CANCELLED = "cancelled"


GATE_OPEN = frozenset({ShipmentStatus.EWAYBILL_GENERATED, ShipmentStatus.EWAYBILL_NOT_REQUIRED})


@dataclass(frozen=True)
class InvoiceReference:
    invoice_id: str
    invoice_no: str
    invoice_date: date
    value: Decimal
    quantities: Mapping[int, Decimal] = field(default_factory=dict)
    """Invoiced quantity per order line; when given it must equal the picked quantity."""
    irn_required: bool = False
    """A B2B (or SEZ/export) e-invoice: not a valid invoice until the IRP registers it."""
    irn_registered: bool = False
    replaces_invoice_no: str | None = None
    """A re-issue of this cancelled invoice (issue 21): it may carry less than was picked."""


@dataclass(frozen=True)
class EwayBillReference:
    ewaybill_no: str
    valid_until: datetime


@dataclass(frozen=True)
class RestockLine:
    """Staged goods going back to the bin they were picked from."""

    order_line_no: int
    item_code: str
    quantity: Decimal
    bin_code: str | None
    batch_no: str | None


@dataclass(frozen=True)
class PutBack:
    """Goods of an order line put back on the shelf before gate-out, from one pick line's bin (and batch)."""

    order_line_no: int
    item_code: str
    quantity: Decimal
    bin_code: str | None
    batch_no: str | None
    expiry_date: date | None


@dataclass(frozen=True)
class Cancellation:
    """What cancelling before gate-out undoes: goods back to bins; an invoice and an e-way bill, if already
    issued, must be cancelled by their owners (e-way bill first, then the IRN/invoice)."""

    restock: tuple[RestockLine, ...]
    invoice_to_cancel: str | None
    ewaybill_to_cancel: str | None
    reason: str
    at: datetime


class VehicleChangeReason(StrEnum):
    BREAKDOWN = "breakdown"
    TRANSHIPMENT = "transhipment"
    OTHERS = "others"
    FIRST_TIME = "first_time"


@dataclass(frozen=True)
class VehicleChange:
    previous: DispatchDetails
    current: DispatchDetails
    reason: VehicleChangeReason
    remarks: str
    from_place: str
    from_state_code: str
    at: datetime


@dataclass
class Shipment:
    shipment_id: str
    order_id: str
    warehouse_code: str
    pick_list: PickList
    status: ShipmentStatus = ShipmentStatus.PICKING
    details: DispatchDetails | None = None
    invoice: InvoiceReference | None = None
    ewaybill: EwayBillReference | None = None
    ewaybill_not_required_reason: str | None = None
    ewaybill_rejection: str | None = None
    irn_rejection: str | None = None
    """Why the IRP refused the invoice's IRN; the gate stays closed until a retry registers it."""
    dispatched_at: datetime | None = None
    dispatched_by: str | None = None
    cancellation: Cancellation | None = None
    vehicle_changes: list[VehicleChange] = field(default_factory=list)
    cancelled_invoices: list[str] = field(default_factory=list)
    """Numbers of this shipment's invoices cancelled before gate-out: it waits for a re-issued one."""
    cancelled_ewaybills: list[str] = field(default_factory=list)
    """E-way bills of this shipment cancelled before gate-out: it waits for a new one."""
    on_gate_list: bool = False
    """On its warehouse's ready-for-gate list (ShipmentGateOpened said so; ShipmentGateClosed takes it off)."""

    @classmethod
    def release(cls, shipment_id: str, order_id: str, warehouse_code: str, pick_list_id: str,
                requests: Sequence[PickRequest], at: datetime) -> Shipment:
        """OrderReleased → a shipment with its pick list issued."""
        pick_list = PickList.issue(pick_list_id, shipment_id, warehouse_code, requests, at)
        return cls(shipment_id, order_id, warehouse_code, pick_list)

    # --- picking -------------------------------------------------------------------------------

    def _require(self, allowed: Iterable[ShipmentStatus], action: str) -> None:
        if self.status not in allowed:
            raise ConflictingState(f"shipment {self.shipment_id} is {self.status.value}; cannot {action}")

    def _advance(self) -> None:
        if self.status is ShipmentStatus.PICKING and self.pick_list.is_complete:
            self.status = ShipmentStatus.PICKED
        if self.status is ShipmentStatus.PICKED and self.details is not None:
            self.status = ShipmentStatus.READY

    def confirm_pick(self, pick_line_no: int, picked: Decimal | int | str, picked_by: str, at: datetime, *,
                     bin_code: str | None = None, batch_no: str | None = None, reason: ShortReason | None = None,
                     note: str = "") -> PickConfirmation:
        already_confirmed = self.pick_list.line(pick_line_no).confirmation is not None
        if not already_confirmed:  # a repeated confirmation is answered by the pick list whatever the state
            self._require({ShipmentStatus.PICKING}, "confirm picks")
        confirmation = self.pick_list.confirm(pick_line_no, picked, picked_by, at, bin_code=bin_code,
                                              batch_no=batch_no, reason=reason, note=note)
        self._advance()
        return confirmation

    def accept_shortfall(self, pick_line_no: int) -> Decimal:
        """The shortfall becomes a backorder; a repeat (nothing open any more) returns 0 in any state."""
        if self.pick_list.line(pick_line_no).open_shortfall <= 0:
            return Decimal(0)
        self._require({ShipmentStatus.PICKING}, "accept a shortfall")
        accepted = self.pick_list.accept_shortfall(pick_line_no)
        self._advance()
        return accepted

    def picked_lines(self) -> list[PickedLine]:
        return self.pick_list.picked_lines()

    @property
    def has_goods(self) -> bool:
        return any(line.picked > 0 for line in self.picked_lines())

    # --- vehicle -------------------------------------------------------------------------------

    def capture_dispatch_details(self, details: DispatchDetails) -> bool:
        """Captured once (while picking or once picked). The same details again change nothing; different
        details are refused (after gate-out, use change_vehicle)."""
        if self.details is not None:
            if self.details == details:
                return False
            raise ConflictingState(f"dispatch details of shipment {self.shipment_id} are already captured")
        self._require({ShipmentStatus.PICKING, ShipmentStatus.PICKED}, "capture dispatch details")
        self.details = details
        self._advance()
        return True

    # --- documents -----------------------------------------------------------------------------

    def record_invoice(self, invoice: InvoiceReference) -> bool:
        """The tax invoice exists. Invoice quantity must equal picked quantity, line by line. An e-way bill
        verdict that arrived first (its topic may be read ahead of the invoicing topic) takes effect now.

        One exception (issue 21): the re-issue of this shipment's cancelled invoice may carry less of a line
        than was picked (the accountant corrected the quantity). The goods then follow the document: call
        `put_back_to` first, which takes the difference off the shipment."""
        if self.invoice is not None:
            if self.invoice.invoice_id == invoice.invoice_id:
                return False
            raise ConflictingState(f"shipment {self.shipment_id} is already invoiced by {self.invoice.invoice_no}")
        self._require({ShipmentStatus.READY}, "be invoiced")
        if invoice.quantities:
            picked = {line.order_line_no: line.picked for line in self.picked_lines() if line.picked > 0}
            invoiced = {n: q for n, q in invoice.quantities.items() if q > 0}
            if invoiced != picked:
                raise InvalidValue("quantities", f"invoice quantities {invoiced} differ from picked {picked}")
        self.invoice = invoice
        self.status = ShipmentStatus.INVOICED
        self._advance_documents()
        return True

    def put_back_to(self, invoice: InvoiceReference) -> list[PutBack]:
        """A re-issued invoice for less than was picked: what it does not carry goes back to the bins it was
        picked from, before gate-out, so goods and documents agree (nothing for any other invoice, or one
        that carries what was picked). More than was picked, or none of it, is refused: that needs a pick."""
        if (self.invoice is not None or not invoice.quantities or invoice.replaces_invoice_no is None
                or invoice.replaces_invoice_no not in self.cancelled_invoices):
            return []
        self._require({ShipmentStatus.READY}, "be invoiced")
        picked = {line.order_line_no: line.picked for line in self.picked_lines() if line.picked > 0}
        invoiced = {n: q for n, q in invoice.quantities.items() if q > 0}
        if set(invoiced) - set(picked) or any(q > picked[n] for n, q in invoiced.items()) or not invoiced:
            raise InvalidValue("quantities", f"re-issued invoice quantities {invoiced} are not within the picked "
                                             f"{picked}: more goods need a pick list")
        out = []
        for order_line_no, carried in sorted(picked.items()):
            surplus = carried - invoiced.get(order_line_no, Decimal(0))
            if surplus <= 0:
                continue
            for line, taken in self.pick_list.put_back(order_line_no, surplus):
                out.append(PutBack(order_line_no, line.request.item_code, taken, line.request.bin_code,
                                   line.request.batch_no, line.request.expiry_date))
        return out

    def _advance_documents(self) -> None:
        if self.status is not ShipmentStatus.INVOICED:
            return
        if self.ewaybill is not None:
            self.status = ShipmentStatus.EWAYBILL_GENERATED
        elif self.ewaybill_not_required_reason is not None:
            self.status = ShipmentStatus.EWAYBILL_NOT_REQUIRED

    def record_ewaybill(self, ewaybill: EwayBillReference) -> bool:
        """The e-way bill exists. Accepted once the shipment is ready (the invoice may not have been read
        yet: e-way bill events travel on another topic); the gate still waits for the invoice."""
        if self.ewaybill is not None and self.ewaybill.ewaybill_no == ewaybill.ewaybill_no:
            return False
        self._require({ShipmentStatus.READY, ShipmentStatus.INVOICED}, "take an e-way bill")
        require_aware(ewaybill.valid_until, "valid_until")
        self.ewaybill = ewaybill
        self.ewaybill_not_required_reason = None
        self.ewaybill_rejection = None
        self._advance_documents()
        return True

    def record_ewaybill_not_required(self, reason: str) -> bool:
        if self.ewaybill_not_required_reason is not None:
            return False
        self._require({ShipmentStatus.READY, ShipmentStatus.INVOICED}, "be cleared without an e-way bill")
        if self.ewaybill is not None:
            raise ConflictingState(f"shipment {self.shipment_id} already has e-way bill {self.ewaybill.ewaybill_no}")
        self.ewaybill_not_required_reason = reason or "consignment value within the threshold"
        self.ewaybill_rejection = None
        self._advance_documents()
        return True

    def record_ewaybill_rejected(self, code: str, message: str) -> bool:
        """The portal refused the e-way bill: the gate stays closed and the reason is shown. A later
        generation (after the data is fixed) opens it."""
        if self.ewaybill is not None or self.ewaybill_not_required_reason is not None:
            return False  # a verdict already exists; a late rejection of an earlier attempt changes nothing
        self._require({ShipmentStatus.READY, ShipmentStatus.INVOICED}, "take an e-way bill rejection")
        rejection = f"{code}: {message}"
        if self.ewaybill_rejection == rejection:
            return False
        self.ewaybill_rejection = rejection
        return True

    def _own_irn(self, invoice_id: str) -> InvoiceReference | None:
        """This shipment's e-invoice, when it needs an IRN and the shipment has not left or been cancelled."""
        invoice = self.invoice
        if invoice is None or invoice.invoice_id != invoice_id or not invoice.irn_required:
            return None
        if self.status in (ShipmentStatus.DISPATCHED, ShipmentStatus.CANCELLED):
            return None
        return invoice

    def record_irn_rejected(self, invoice_id: str, code: str, message: str) -> bool:
        """The IRP refused the e-invoice: without an IRN the invoice is not valid, so the gate stays closed
        and the reason is shown. An invoice that needs no IRN (B2C), or whose IRN is already registered
        (a stale rejection), is not affected."""
        invoice = self._own_irn(invoice_id)
        if invoice is None or invoice.irn_registered:
            return False
        rejection = f"IRN rejected: {code} {message}".strip()
        if self.irn_rejection == rejection:
            return False
        self.irn_rejection = rejection
        return True

    def record_irn_registered(self, invoice_id: str) -> bool:
        """The IRN is registered (first time or after a corrected retry): a rejection no longer blocks."""
        invoice = self._own_irn(invoice_id)
        if invoice is None or (invoice.irn_registered and self.irn_rejection is None):
            return False
        self.invoice = replace(invoice, irn_registered=True)
        self.irn_rejection = None
        return True

    @property
    def irn_pending(self) -> bool:
        """An e-invoice whose IRN is not registered (yet, or after a rejection): not a valid invoice."""
        return self.invoice is not None and self.invoice.irn_required and not self.invoice.irn_registered

    def record_ewaybill_cancelled(self, ewaybill_no: str) -> bool:
        """Its e-way bill was cancelled before gate-out: the gate closes until a new bill is generated for the
        same invoice (or the invoice itself is cancelled and re-issued)."""
        if self.ewaybill is None or self.ewaybill.ewaybill_no != ewaybill_no:
            return False
        if self.status in (ShipmentStatus.DISPATCHED, ShipmentStatus.CANCELLED):
            return False
        self.cancelled_ewaybills.append(ewaybill_no)
        self.ewaybill = None
        if self.status is ShipmentStatus.EWAYBILL_GENERATED:
            self.status = ShipmentStatus.INVOICED
        return True

    def record_invoice_cancelled(self, invoice_id: str) -> bool:
        """Its invoice was cancelled before gate-out (a correction): the shipment waits, gate closed, for the
        accountant's re-issue, which gets its own IRN and e-way bill verdict."""
        invoice = self.invoice
        if invoice is None or invoice.invoice_id != invoice_id:
            return False
        if self.status in (ShipmentStatus.DISPATCHED, ShipmentStatus.CANCELLED):
            return False
        self.cancelled_invoices.append(invoice.invoice_no)
        if self.ewaybill is not None:
            self.cancelled_ewaybills.append(self.ewaybill.ewaybill_no)
        self.invoice, self.ewaybill = None, None
        self.ewaybill_not_required_reason = self.ewaybill_rejection = self.irn_rejection = None
        self.status = ShipmentStatus.READY
        return True

    def may_leave(self, at: datetime) -> bool:
        """Every document the gate asks for is in place at `at` (the ready-for-gate list)."""
        if self.status not in GATE_OPEN or self.invoice is None or self.irn_pending or self.irn_rejection:
            return False
        return self.ewaybill is None or at <= self.ewaybill.valid_until

    def gate_closed_reason(self, at: datetime) -> tuple[str, str]:
        """Why the shipment may not leave now: (reason code of ShipmentGateClosed, words)."""
        if self.status is ShipmentStatus.CANCELLED:
            return "shipment_cancelled", "the shipment was cancelled"
        if self.invoice is None:
            if self.cancelled_invoices:
                return "invoice_cancelled", f"invoice {self.cancelled_invoices[-1]} cancelled: waiting for a new one"
            return "invoice_cancelled", "no tax invoice"
        if self.irn_rejection:
            return "irn_rejected", self.irn_rejection
        if self.irn_pending:
            return "irn_pending", f"IRN of e-invoice {self.invoice.invoice_no} not registered"
        if self.ewaybill is not None and at > self.ewaybill.valid_until:
            return "ewaybill_expired", f"e-way bill {self.ewaybill.ewaybill_no} expired"
        if self.cancelled_ewaybills:
            return "ewaybill_cancelled", f"e-way bill {self.cancelled_ewaybills[-1]} cancelled: waiting for a new one"
        return "ewaybill_cancelled", "no e-way bill"

    # --- the gate ------------------------------------------------------------------------------

    def gate_out(self, at: datetime, by: str) -> bool:
        """The goods leave. Only after invoice (with its IRN registered where one is required) and e-way bill
        (or not-required), and within the e-way bill's validity. Returns False on a repeat, which changes
        nothing (one stock movement, one message)."""
        at = require_aware(at, "at")
        if self.status is ShipmentStatus.DISPATCHED:
            return False
        if self.status is ShipmentStatus.CANCELLED:
            raise GateClosed(self.shipment_id, "the shipment was cancelled")
        if self.invoice is None:
            if self.cancelled_invoices:
                raise GateClosed(self.shipment_id, f"invoice {self.cancelled_invoices[-1]} was cancelled: waiting "
                                                   "for the accountant to re-issue it")
            raise GateClosed(self.shipment_id, "no tax invoice yet")
        if self.irn_rejection is not None:
            raise GateClosed(self.shipment_id, self.irn_rejection)
        if self.irn_pending:
            raise GateClosed(self.shipment_id, f"IRN of e-invoice {self.invoice.invoice_no} not registered yet "
                                               "(the IRP has not answered)")
        if self.status not in GATE_OPEN:
            rejected = f" (the portal rejected it: {self.ewaybill_rejection})" if self.ewaybill_rejection else ""
            raise GateClosed(self.shipment_id, f"no e-way bill (or not-required verdict) yet{rejected}")
        if self.ewaybill is not None and at > self.ewaybill.valid_until:
            raise GateClosed(self.shipment_id, f"e-way bill {self.ewaybill.ewaybill_no} expired; extend it first")
        self.status, self.dispatched_at, self.dispatched_by = ShipmentStatus.DISPATCHED, at, by
        return True

    def change_vehicle(self, details: DispatchDetails, reason: VehicleChangeReason, at: datetime, *,
                       from_place: str, from_state_code: str, remarks: str = "") -> VehicleChange:
        """After gate-out the goods move to another vehicle (breakdown, transhipment): Part B is updated."""
        self._require({ShipmentStatus.DISPATCHED}, "change vehicle (before gate-out the details are as captured)")
        assert self.details is not None  # dispatched implies captured
        if details == self.details:
            raise InvalidValue("vehicle_no", "the new details are the same as the current ones")
        if not from_place.strip():
            raise InvalidValue("from_place", "where are the goods now?")
        if reason is VehicleChangeReason.OTHERS and not remarks.strip():
            # The e-way bill's Part-B update needs them: say so here, where the supervisor types the change.
            raise InvalidValue("remarks", "a vehicle change for other reasons needs remarks")
        change = VehicleChange(self.details, details, reason, remarks, from_place, from_state_code,
                               require_aware(at, "at"))
        self.details = details
        self.vehicle_changes.append(change)
        return change

    # --- cancelling ----------------------------------------------------------------------------

    def cancel(self, at: datetime, reason: str) -> Cancellation:
        """Before gate-out: staged goods go back to the bins they came from. Repeating returns the same
        cancellation. After gate-out: refused (the goods are gone; that is a return)."""
        if self.cancellation is not None:
            return self.cancellation
        if self.status is ShipmentStatus.DISPATCHED:
            raise ConflictingState(f"shipment {self.shipment_id} already left the gate; raise a return instead")
        restock = tuple(
            RestockLine(line.request.order_line_no, line.request.item_code, line.picked, line.request.bin_code,
                        line.request.batch_no)
            for line in self.pick_list.lines if line.picked > 0
        )
        self.cancellation = Cancellation(
            restock,
            self.invoice.invoice_id if self.invoice else None,
            self.ewaybill.ewaybill_no if self.ewaybill else None,
            reason,
            require_aware(at, "at"),
        )
        self.status = ShipmentStatus.CANCELLED
        return self.cancellation


@dataclass
class Trip:
    """One vehicle carrying several shipments from one warehouse: details entered once apply to all, each
    with its own declared distance."""

    trip_id: str
    warehouse_code: str
    details: DispatchDetails
    shipment_ids: list[str] = field(default_factory=list)

    def load(self, shipment: Shipment, distance_km: int, estimated_km: int | None = None,
             same_pincode: bool = False) -> bool:
        if shipment.warehouse_code != self.warehouse_code:
            raise InvalidValue("shipment_id", f"{shipment.shipment_id} ships from {shipment.warehouse_code}, "
                                              f"the trip from {self.warehouse_code}")
        changed = shipment.capture_dispatch_details(self.details.for_distance(distance_km, estimated_km,
                                                                              same_pincode))
        if shipment.shipment_id not in self.shipment_ids:
            self.shipment_ids.append(shipment.shipment_id)
        return changed
