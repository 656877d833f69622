"""The facts of each customer message, turned into the text fields its template uses."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Protocol

from o2c.notify.domain.formatting import day, moment, rupees
from o2c.notify.domain.templates import DEFAULT_LANGUAGE, MessageKind, RenderedMessage, TemplateBook, render


class Notice(Protocol):
    kind: ClassVar[MessageKind]

    def fields(self) -> dict[str, str]: ...


def _or(value: str | None, missing: str = "—") -> str:
    return value if value else missing


@dataclass(frozen=True, slots=True)
class DispatchNotice:
    """Gate-out: everything the customer needs to receive the goods and check the papers."""

    kind: ClassVar[MessageKind] = MessageKind.DISPATCHED

    customer_name: str
    order_no: str
    shipment_no: str
    invoice_no: str
    invoice_date: date
    invoice_value: Decimal
    invoice_pdf_url: str
    dispatched_at: datetime
    expected_delivery: date
    vehicle_no: str | None
    transporter_name: str | None
    lr_no: str | None
    lr_date: date | None = None
    ewaybill_no: str | None = None
    ewaybill_valid_until: datetime | None = None

    def fields(self) -> dict[str, str]:
        if self.ewaybill_no:
            valid = f", valid until {moment(self.ewaybill_valid_until)}" if self.ewaybill_valid_until else ""
            ewaybill = f"{self.ewaybill_no}{valid}"
        else:
            ewaybill = "not required for this consignment"
        lr = _or(self.lr_no)
        if self.lr_no and self.lr_date:
            lr = f"{self.lr_no} dated {day(self.lr_date)}"
        return {
            "customer_name": self.customer_name,
            "order_no": self.order_no,
            "shipment_no": self.shipment_no,
            "invoice_no": self.invoice_no,
            "invoice_date": day(self.invoice_date),
            "invoice_value": rupees(self.invoice_value),
            "invoice_pdf_url": self.invoice_pdf_url,
            "dispatched_at": moment(self.dispatched_at),
            "expected_delivery": day(self.expected_delivery),
            "vehicle_no": _or(self.vehicle_no),
            "transporter_name": _or(self.transporter_name),
            "lr": lr,
            "ewaybill": ewaybill,
        }


@dataclass(frozen=True, slots=True)
class CreditHoldNotice:
    """The order waits for a credit decision."""

    kind: ClassVar[MessageKind] = MessageKind.CREDIT_HOLD

    customer_name: str
    order_no: str
    order_value: Decimal
    reason: str
    decision_expected_by: datetime

    def fields(self) -> dict[str, str]:
        return {
            "customer_name": self.customer_name,
            "order_no": self.order_no,
            "order_value": rupees(self.order_value),
            "reason": self.reason,
            "decision_expected_by": moment(self.decision_expected_by),
        }


@dataclass(frozen=True, slots=True)
class RejectionNotice:
    kind: ClassVar[MessageKind] = MessageKind.ORDER_REJECTED

    customer_name: str
    order_no: str
    reason: str
    contact: str

    def fields(self) -> dict[str, str]:
        return {
            "customer_name": self.customer_name,
            "order_no": self.order_no,
            "reason": self.reason,
            "contact": self.contact,
        }


@dataclass(frozen=True, slots=True)
class BackorderedLine:
    item_name: str
    quantity: Decimal
    unit: str
    expected_date: date | None


@dataclass(frozen=True, slots=True)
class BackorderNotice:
    kind: ClassVar[MessageKind] = MessageKind.BACKORDERED

    customer_name: str
    order_no: str
    lines: tuple[BackorderedLine, ...]

    def fields(self) -> dict[str, str]:
        listed = "\n".join(
            f"  - {line.item_name}: {line.quantity.normalize():f} {line.unit}, "
            + (f"expected {day(line.expected_date)}" if line.expected_date else "date not yet known")
            for line in self.lines
        )
        return {"customer_name": self.customer_name, "order_no": self.order_no, "lines": listed}


@dataclass(frozen=True, slots=True)
class CancellationNotice:
    kind: ClassVar[MessageKind] = MessageKind.ORDER_CANCELLED

    customer_name: str
    order_no: str
    reason: str
    cancelled_at: datetime

    def fields(self) -> dict[str, str]:
        return {
            "customer_name": self.customer_name,
            "order_no": self.order_no,
            "reason": self.reason,
            "cancelled_at": moment(self.cancelled_at),
        }


@dataclass(frozen=True, slots=True)
class Allocation:
    invoice_no: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PaymentReceipt:
    kind: ClassVar[MessageKind] = MessageKind.PAYMENT_RECEIVED

    customer_name: str
    receipt_no: str
    amount: Decimal
    received_on: date
    reference: str
    allocations: tuple[Allocation, ...] = ()
    tds_deducted: Decimal = Decimal("0")
    unapplied: Decimal = Decimal("0")

    def fields(self) -> dict[str, str]:
        lines = [f"  - {a.invoice_no}: {rupees(a.amount)}" for a in self.allocations]
        if self.tds_deducted:
            lines.append(f"  - TDS deducted by you: {rupees(self.tds_deducted)}")
        if self.unapplied:
            lines.append(f"  - Held on account (not yet applied): {rupees(self.unapplied)}")
        return {
            "customer_name": self.customer_name,
            "receipt_no": self.receipt_no,
            "amount": rupees(self.amount),
            "received_on": day(self.received_on),
            "reference": self.reference,
            "allocations": "\n".join(lines) if lines else "  - held on account until you tell us which invoices",
        }


def compose(notice: Notice, book: TemplateBook, language: str = DEFAULT_LANGUAGE) -> RenderedMessage:
    """Subject and body of a notice in the customer's language (English when none is kept)."""
    return render(book.template_for(notice.kind, language), notice.fields())


def delivery_key(event_id: str, kind: MessageKind, channel: str, recipient: str) -> str:
    """One key per event, message kind, channel and recipient: a redelivered event finds it already sent."""
    return hashlib.sha256(f"{event_id}|{kind.value}|{channel}|{recipient.strip().lower()}".encode()).hexdigest()
