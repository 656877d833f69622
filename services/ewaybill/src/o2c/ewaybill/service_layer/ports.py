"""What the use cases need from the outside: a repository of e-way bill records and a publisher."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from o2c.contracts.envelope import Message
from o2c.ewaybill.domain.errors import PortalError
from o2c.india.ewaybill import EwayBillThreshold


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


class Repository(Protocol):
    async def thresholds(self) -> Sequence[EwayBillThreshold]: ...

    async def by_invoice(self, invoice_id: str) -> EwayBillRecord | None: ...

    async def get(self, ewaybill_id: str, *, for_update: bool = False) -> EwayBillRecord | None: ...

    async def active_for_shipment(self, shipment_id: str) -> EwayBillRecord | None: ...

    async def add(self, record: EwayBillRecord) -> bool:
        """Insert; False when the invoice already has a record (a concurrent duplicate)."""
        ...

    async def save(self, record: EwayBillRecord) -> None: ...

    async def record_attempt(self, ewaybill_id: str, action: str, request: dict[str, Any], outcome: str,
                             code: str | None, message: str | None) -> None: ...

    async def find(self, *, status: str | None = None, order_id: str | None = None,
                   shipment_id: str | None = None, limit: int = 200) -> list[EwayBillRecord]: ...


Publish = Callable[[Message], Awaitable[Any]]


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
