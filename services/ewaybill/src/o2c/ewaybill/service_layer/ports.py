"""What the e-way bill use cases need from the outside: one unit of work holding the repositories of one
transaction (the bills, the portal attempts, the thresholds) and the messages the work causes (written to the
outbox with the transaction's changes); beside it the portal (`EwayBillGateway`).

The SQL implementation is `o2c.ewaybill.adapters.unit_of_work.SqlUnitOfWork` (wired in `o2c.ewaybill.bootstrap`);
the use cases' unit tests run on an in-memory one (`o2c.testsupport.ewaybill.fakes`, tests/unit/use_cases)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from o2c.contracts.envelope import Message
from o2c.ewaybill.domain.errors import PortalError
from o2c.india.ewaybill import EwayBillThreshold
from o2c.kit.auth import Principal


@dataclass
class EwayBillRecord:
    """The service's record of one invoice's e-way bill decision and the bill's life."""

    id: str
    invoice_id: str
    invoice_no: str
    order_id: str
    shipment_id: str
    customer_id: str
    status: str
    consignment_value: Decimal
    threshold: Decimal
    movement: str
    invoice: dict[str, Any]
    transport: dict[str, Any]
    ebn: str | None = None
    generated_at: datetime | None = None
    valid_until: datetime | None = None
    distance_km: int | None = None
    vehicle_type: str = "R"
    movements: list[dict[str, Any]] = field(default_factory=list)
    rejection_code: str | None = None
    rejection_message: str | None = None
    attempts: int = 0
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    cancel_remarks: str | None = None
    extensions: int = 0
    last_refusal: str | None = None
    invoice_cancelled: bool = False
    replaced: list[dict[str, Any]] = field(default_factory=list)
    """Earlier bills of this invoice, cancelled and replaced by a new one: number, generated and cancelled at."""


@dataclass(frozen=True)
class ThresholdRecord:
    """One effective-dated threshold row (national or a state's, per movement), as notified; ended, never edited."""

    id: int
    value_above: Decimal
    effective_from: date
    effective_to: date | None = None
    state_code: str | None = None
    movement: str | None = None
    note: str = ""
    ended_by: str | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None


class EwayBills(Protocol):
    """The e-way bill records, one per invoice."""

    async def by_invoice(self, invoice_id: str) -> EwayBillRecord | None: ...

    async def get(self, ewaybill_id: str, *, for_update: bool = False) -> EwayBillRecord | None: ...

    async def active_for_shipment(self, shipment_id: str) -> EwayBillRecord | None:
        """The shipment's latest generated bill, locked."""
        ...

    async def add(self, record: EwayBillRecord) -> bool:
        """Insert; False when the invoice already has a record (a concurrent duplicate)."""
        ...

    async def save(self, record: EwayBillRecord) -> None: ...

    async def find(self, *, status: str | None = None, order_id: str | None = None,
                   shipment_id: str | None = None, limit: int = 200,
                   viewer: Principal | None = None) -> list[EwayBillRecord]:
        """Oldest first; `viewer`: only the customers that caller may see (None: every customer)."""
        ...


class PortalAttempts(Protocol):
    """Every request made to the portal for a bill, with its outcome."""

    async def record(self, ewaybill_id: str, action: str, request: dict[str, Any], outcome: str,
                     code: str | None, message: str | None) -> None: ...

    async def of_bill(self, ewaybill_id: str) -> list[dict[str, Any]]:
        """Oldest first, as people read them."""
        ...


class Thresholds(Protocol):
    async def every(self) -> Sequence[EwayBillThreshold]:
        """Every row, as the requirement rule reads them (it picks the one in force)."""
        ...

    async def listed(self) -> list[ThresholdRecord]:
        """By effective date."""
        ...

    async def get_for_update(self, threshold_id: int) -> ThresholdRecord | None: ...

    async def add(self, *, value_above: Decimal, effective_from: date, effective_to: date | None,
                  state_code: str | None, movement: str | None, note: str) -> ThresholdRecord: ...

    async def end(self, threshold_id: int, *, effective_to: date, ended_by: str, ended_at: datetime,
                  reason: str) -> ThresholdRecord: ...


@dataclass(frozen=True, slots=True)
class PortalReply:
    """What the portal answered: `data` on success, its error codes otherwise."""

    data: Mapping[str, Any] = field(default_factory=dict)
    errors: tuple[PortalError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def code(self) -> str:
        return ",".join(error.code for error in self.errors)

    @property
    def message(self) -> str:
        return "; ".join(error.message for error in self.errors)


class EwayBillGateway(Protocol):
    async def generate(self, request: Mapping[str, Any]) -> PortalReply: ...

    async def generated_for_document(self, doc_type: str, doc_no: str) -> PortalReply: ...

    async def cancel(self, ebn: str, reason_code: str, remarks: str) -> PortalReply: ...

    async def update_part_b(self, request: Mapping[str, Any]) -> PortalReply: ...

    async def extend(self, request: Mapping[str, Any]) -> PortalReply: ...


class UnitOfWork:
    """One transaction's repositories and the messages it causes. The caller owns the transaction: it commits
    the changes together with `messages` (the outbox) or rolls both back."""

    def __init__(self, *, bills: EwayBills, attempts: PortalAttempts, thresholds: Thresholds) -> None:
        self.bills = bills
        self.attempts = attempts
        self.thresholds = thresholds
        self.messages: list[Message] = []

    def publish(self, message: Message) -> None:
        """Send `message` when (and only if) the transaction commits, after those published before it."""
        self.messages.append(message)
