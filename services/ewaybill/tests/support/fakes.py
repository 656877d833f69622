"""An in-memory e-way bill service for the use cases' unit tests: the bills, portal attempts and thresholds kept
in memory, the domain's sandbox portal called in-process as the gateway, and a unit of work per transaction
sharing the state (what one commits the next one reads).

The bills are handed out and kept as copies, as a database would: a use case that changes a record and never
saves it changes nothing. `InMemoryEwayBills.uow()` opens a unit of work; `committed` holds every message a unit
of work published, in order (the outbox)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from o2c.contracts import samples
from o2c.contracts.envelope import Message
from o2c.contracts.types import Quantity
from o2c.contracts.v1.common import Address, TransportDetails
from o2c.contracts.v1.invoicing import InvoiceIssued, InvoiceLine, InvoiceTotals
from o2c.ewaybill.adapters.gateway import GatewayUnavailable
from o2c.ewaybill.domain.errors import NOT_ACTIVE, portal_error
from o2c.ewaybill.domain.gstin import gstin_check_character
from o2c.ewaybill.domain.sandbox import EwayBillSandbox
from o2c.ewaybill.domain.seed import SEED_THRESHOLDS
from o2c.ewaybill.service_layer.ports import (
    EwayBillRecord,
    EwayBills,
    PortalAttempts,
    PortalReply,
    ThresholdRecord,
    Thresholds,
    UnitOfWork,
)
from o2c.india.ewaybill import EwayBillThreshold, Movement, valid_until
from o2c.india.portal import portal_datetime
from o2c.kit.auth import Principal
from o2c.kit.scope import CustomerScope, may_see

D = Decimal
NOW = datetime(2026, 11, 5, 6, 0, tzinfo=UTC)
TRANSPORTER = "29AAACV2234K1Z" + gstin_check_character("29AAACV2234K1Z")
_BUYER = "29AABCK4321F1Z"
MYSURU = Address(name="Kaveri Stores", line1="22 Sayyaji Rao Road", place="Mysuru", state_code="29",
                 pincode="570001", gstin=_BUYER + gstin_check_character(_BUYER))


def invoice(invoice_id: str = "inv-1", taxable: str = "45000.00", rate: str = "18", *,
            vehicle_no: str | None = "KA01AB1234", distance_km: int = 150, inter_state: bool = False
            ) -> InvoiceIssued:
    """One line of batteries dated 5 Nov 2026; intra-state Bengaluru → Mysuru (CGST + SGST) or inter-state
    Bengaluru → Chennai (IGST)."""
    value = D(taxable)
    tax = (value * D(rate) / 100).quantize(D("0.01"))
    half = (tax / 2).quantize(D("0.01"))
    buyer = samples.SHIP_TO if inter_state else MYSURU
    rates: dict[str, Any] = ({"igst_rate": D(rate), "igst_amount": tax} if inter_state else
                             {"cgst_rate": D(rate) / 2, "sgst_rate": D(rate) / 2, "cgst_amount": half,
                              "sgst_amount": tax - half})
    line = InvoiceLine(line_no=1, item_code="BAT", item_name="Battery", hsn="85071000",
                       quantity=Quantity(value="30", unit="NOS"), unit_price=D("1500.00"), taxable_value=value,
                       gst_rate=D(rate), line_total=value + tax, **rates)
    totals = InvoiceTotals(taxable_value=value, grand_total=value + tax,
                           **({"igst": tax} if inter_state else {"cgst": half, "sgst": tax - half}))
    return samples.sample(InvoiceIssued).model_copy(update={
        "invoice_id": invoice_id, "invoice_no": "INV/" + invoice_id, "order_id": "ord-" + invoice_id,
        "shipment_id": "shp-" + invoice_id, "invoice_date": date(2026, 11, 5), "bill_to": buyer, "ship_to": buyer,
        "buyer_gstin": buyer.gstin, "lines": [line], "totals": totals,
        "transport": TransportDetails(vehicle_no=vehicle_no, transporter_id=TRANSPORTER, transporter_name="VRL",
                                      lr_no="LR-1", lr_date=date(2026, 11, 5), distance_km=distance_km),
    })


class InMemoryBills(EwayBills):
    def __init__(self, scopes: dict[str, CustomerScope]) -> None:
        self.rows: dict[str, EwayBillRecord] = {}
        self.scopes = scopes

    async def by_invoice(self, invoice_id: str) -> EwayBillRecord | None:
        return next((dataclasses.replace(r) for r in self.rows.values() if r.invoice_id == invoice_id), None)

    async def get(self, ewaybill_id: str, *, for_update: bool = False) -> EwayBillRecord | None:
        found = self.rows.get(ewaybill_id)
        return dataclasses.replace(found) if found else None

    async def active_for_shipment(self, shipment_id: str) -> EwayBillRecord | None:
        return next((dataclasses.replace(r) for r in self.rows.values()
                     if r.shipment_id == shipment_id and r.status == "generated"), None)

    async def add(self, record: EwayBillRecord) -> bool:
        if any(r.invoice_id == record.invoice_id for r in self.rows.values()):
            return False
        self.rows[record.id] = dataclasses.replace(record)
        return True

    async def save(self, record: EwayBillRecord) -> None:
        self.rows[record.id] = dataclasses.replace(record)

    async def find(self, *, status: str | None = None, order_id: str | None = None,
                   shipment_id: str | None = None, limit: int = 200,
                   viewer: Principal | None = None) -> list[EwayBillRecord]:
        return [dataclasses.replace(r) for r in self.rows.values()
                if status in (None, r.status) and order_id in (None, r.order_id)
                and shipment_id in (None, r.shipment_id)
                and (viewer is None or may_see(viewer, r.customer_id, self.scopes.get(r.customer_id)))][:limit]


@dataclasses.dataclass(frozen=True)
class Attempt:
    ewaybill_id: str
    action: str
    request: dict[str, Any]
    outcome: str
    code: str | None
    message: str | None


class InMemoryAttempts(PortalAttempts):
    def __init__(self) -> None:
        self.rows: list[Attempt] = []

    async def record(self, ewaybill_id: str, action: str, request: dict[str, Any], outcome: str,
                     code: str | None, message: str | None) -> None:
        self.rows.append(Attempt(ewaybill_id, action, request, outcome, code, message))

    async def of_bill(self, ewaybill_id: str) -> list[dict[str, Any]]:
        return [dataclasses.asdict(a) for a in self.rows if a.ewaybill_id == ewaybill_id]


class InMemoryThresholds(Thresholds):
    def __init__(self, rows: Sequence[EwayBillThreshold]) -> None:
        self.rows = [ThresholdRecord(id=n, value_above=r.value_above, effective_from=r.effective_from,
                                     effective_to=r.effective_to, state_code=r.state_code,
                                     movement=r.movement.value if r.movement else None)
                     for n, r in enumerate(rows, start=1)]

    async def every(self) -> Sequence[EwayBillThreshold]:
        return [EwayBillThreshold(value_above=r.value_above, effective_from=r.effective_from,
                                  effective_to=r.effective_to, state_code=r.state_code,
                                  movement=Movement(r.movement) if r.movement else None) for r in self.rows]

    async def listed(self) -> list[ThresholdRecord]:
        return sorted(self.rows, key=lambda r: (r.effective_from, r.id))

    async def get_for_update(self, threshold_id: int) -> ThresholdRecord | None:
        return next((r for r in self.rows if r.id == threshold_id), None)

    async def add(self, *, value_above: Decimal, effective_from: date, effective_to: date | None,
                  state_code: str | None, movement: str | None, note: str) -> ThresholdRecord:
        row = ThresholdRecord(id=len(self.rows) + 1, value_above=value_above, effective_from=effective_from,
                              effective_to=effective_to, state_code=state_code, movement=movement, note=note)
        self.rows.append(row)
        return row

    async def end(self, threshold_id: int, *, effective_to: date, ended_by: str, ended_at: datetime,
                  reason: str) -> ThresholdRecord:
        at = next(n for n, r in enumerate(self.rows) if r.id == threshold_id)
        self.rows[at] = dataclasses.replace(self.rows[at], effective_to=effective_to, ended_by=ended_by,
                                            ended_at=ended_at, end_reason=reason)
        return self.rows[at]


class InMemoryEwayBills:
    """The service's state in memory; `uow()` is one transaction's unit of work over it."""

    def __init__(self, thresholds: Sequence[EwayBillThreshold] = SEED_THRESHOLDS) -> None:
        self.scopes: dict[str, CustomerScope] = {}
        self.bills = InMemoryBills(self.scopes)
        self.attempts = InMemoryAttempts()
        self.thresholds = InMemoryThresholds(thresholds)
        self.committed: list[Message] = []

    def uow(self) -> UnitOfWork:
        return UnitOfWork(bills=self.bills, attempts=self.attempts, thresholds=self.thresholds)

    def commit(self, uow: UnitOfWork) -> list[Message]:
        """What the unit of work published, now committed to the outbox (returned too)."""
        self.committed.extend(uow.messages)
        return list(uow.messages)


class SandboxGateway:
    """The domain's sandbox portal called in-process (the HTTP adapter is covered by integration tests); `down`
    makes it time out as the HTTP adapter does."""

    def __init__(self, clock: datetime = NOW) -> None:
        # Bengaluru → Mysuru 153 km, Bengaluru → Chennai 365 km (as the pincode directory estimates them).
        self.portal = EwayBillSandbox(pincode_distance=lambda a, b: 153 if b == "570001" else 365)
        self.clock = clock
        self.calls: list[tuple[str, Mapping[str, Any]]] = []
        self.down = False

    async def generate(self, request: Mapping[str, Any]) -> PortalReply:
        if self.down:
            raise GatewayUnavailable("timeout")
        self.calls.append(("generate", request))
        outcome = self.portal.generate(request, self.clock)
        if outcome.response is None:
            return PortalReply(errors=outcome.errors)
        return PortalReply(data=outcome.response)

    async def generated_for_document(self, doc_type: str, doc_no: str) -> PortalReply:
        self.calls.append(("by_document", {"docNo": doc_no}))
        for (_, kind, number), ebn in self.portal.issued_documents.items():
            if (kind, number) == (doc_type, doc_no.upper()):
                return PortalReply(data={"ewayBillNo": ebn, "ewayBillDate": portal_datetime(self.clock),
                                         "validUpto": portal_datetime(valid_until(self.clock, 150))})
        return PortalReply(errors=(portal_error(NOT_ACTIVE),))

    async def cancel(self, ebn: str, reason_code: str, remarks: str) -> PortalReply:
        self.calls.append(("cancel", {"ebn": ebn}))
        return PortalReply(data={"ewayBillNo": ebn})

    async def update_part_b(self, request: Mapping[str, Any]) -> PortalReply:
        self.calls.append(("part_b", request))
        return PortalReply(data={"vehUpdDate": "x"})

    async def extend(self, request: Mapping[str, Any]) -> PortalReply:
        self.calls.append(("extend", request))
        return PortalReply(data={"validUpto": "x"})
