"""v1 messages ewaybill publishes: the e-way bill for an invoice (CGST Rule 138) and its later life."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from o2c.contracts.envelope import Message
from o2c.contracts.topics import Service, events_topic
from o2c.contracts.types import DocumentNumber, EwayBillNumber, Money
from o2c.contracts.v1.common import TransportDetails
from o2c.contracts.v1.parking import KeyParked, KeyReleased
from pydantic import AwareDatetime, Field

EVENTS = events_topic(Service.EWAYBILL)


class _EwayBillFacts(Message):
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.DISPATCH, Service.SALES)

    order_id: str
    shipment_id: str
    invoice_id: str
    invoice_no: DocumentNumber


class EwayBillGenerated(_EwayBillFacts):
    """The portal generated the e-way bill for the invoice. Dispatch may now gate the shipment out."""

    TYPE: ClassVar[str] = "EwayBillGenerated"

    ewaybill_no: EwayBillNumber
    generated_at: AwareDatetime
    valid_until: AwareDatetime = Field(description="Midnight (23:59 IST) of the last day of validity")
    distance_km: int = Field(ge=0)
    vehicle_no: str | None = Field(default=None, description="None while Part B is pending")
    consignment_value: Money
    replaces_ewaybill_no: EwayBillNumber | None = Field(
        default=None, description="A new bill for the same invoice after the earlier one was cancelled")


class NotRequiredReason(StrEnum):
    BELOW_THRESHOLD = "below_threshold"
    EXEMPT_GOODS = "exempt_goods"
    NON_MOTORISED = "non_motorised"
    OTHER = "other"


class EwayBillNotRequired(_EwayBillFacts):
    """No e-way bill is needed (consignment value with tax at or below the threshold in force for this
    movement, or exempt). Dispatch may gate the shipment out."""

    TYPE: ClassVar[str] = "EwayBillNotRequired"

    reason: NotRequiredReason
    consignment_value: Money
    threshold: Money | None = Field(default=None, description="Threshold applied, for below_threshold")
    decided_at: AwareDatetime


class EwayBillRejected(_EwayBillFacts):
    """The portal refused the e-way bill (its code and message, e.g. 304 invalid vehicle format). The
    shipment cannot leave: dispatch shows it to the supervisor; sales shows an exception."""

    TYPE: ClassVar[str] = "EwayBillRejected"

    code: str
    message: str
    retryable: bool = False
    rejected_at: AwareDatetime


class EwayBillUpdated(_EwayBillFacts):
    """Part B (vehicle) of the e-way bill was updated during its validity, after a VehicleChanged."""

    TYPE: ClassVar[str] = "EwayBillUpdated"

    ewaybill_no: EwayBillNumber
    transport: TransportDetails
    reason: str
    valid_until: AwareDatetime
    updated_at: AwareDatetime


class EwayBillCancelReason(StrEnum):
    """Portal cancellation reasons (cancelRsnCode 1–4)."""

    DUPLICATE = "duplicate"
    ORDER_CANCELLED = "order_cancelled"
    DATA_ENTRY_MISTAKE = "data_entry_mistake"
    OTHERS = "others"


class EwayBillCancelled(_EwayBillFacts):
    """The e-way bill was cancelled (within 24 hours of generation). Invoicing may then cancel the IRN."""

    TYPE: ClassVar[str] = "EwayBillCancelled"
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.INVOICING, Service.DISPATCH, Service.SALES)

    ewaybill_no: EwayBillNumber
    reason: EwayBillCancelReason
    remarks: str = ""
    cancelled_at: AwareDatetime
    request_id: str | None = Field(default=None, description="The coordinator's CancelEwayBill it answers, if any")


class EwayBillCancellationRefused(_EwayBillFacts):
    """Reply to CancelEwayBill when the bill cannot be cancelled (past the portal's 24 hours, or the portal
    refused): the bill lapses unused and the coordinator undoes the invoice by credit note."""

    TYPE: ClassVar[str] = "EwayBillCancellationRefused"
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)

    ewaybill_no: EwayBillNumber
    request_id: str
    reason: str
    refused_at: AwareDatetime


class EwayBillExtended(_EwayBillFacts):
    """The validity was extended (requested within 8 hours either side of expiry) for the remaining distance."""

    TYPE: ClassVar[str] = "EwayBillExtended"

    ewaybill_no: EwayBillNumber
    previous_valid_until: AwareDatetime
    valid_until: AwareDatetime
    remaining_distance_km: int = Field(ge=0)
    reason: str
    extended_at: AwareDatetime


# --- parked keys (issue 17): the same fields in every service, this service's own types and topic ---------


class EwaybillKeyParked(KeyParked):
    """Ewaybill dead-lettered a message and holds its key's later messages on that topic behind it."""

    TYPE: ClassVar[str] = "EwaybillKeyParked"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)


class EwaybillKeyReleased(KeyReleased):
    """Ewaybill replayed or discarded the dead letter that parked the key: its held messages ran."""

    TYPE: ClassVar[str] = "EwaybillKeyReleased"
    TOPIC: ClassVar[str] = EVENTS
    CONSUMERS: ClassVar[tuple[str, ...]] = (Service.SALES,)
