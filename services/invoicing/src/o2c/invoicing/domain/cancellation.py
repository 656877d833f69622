"""Cancelling a tax invoice: allowed only before the goods leave, after its e-way bill is cancelled,
and (for a registered e-invoice) within 24 hours of the IRN. The number stays used: a cancellation
is a new record beside the invoice, never a deletion (records are kept 72 months, s.36)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from o2c.india.calendar import to_utc
from o2c.invoicing.domain.einvoice import irn_cancellation_refusal


class InvoiceCancelReason(StrEnum):
    """The IRP's cancellation reasons (CnlRsn 1–4)."""

    DUPLICATE = "duplicate"
    DATA_ENTRY_MISTAKE = "data_entry_mistake"
    ORDER_CANCELLED = "order_cancelled"
    OTHER = "other"

    @property
    def irp_code(self) -> str:
        return {"duplicate": "1", "data_entry_mistake": "2", "order_cancelled": "3", "other": "4"}[self.value]


class CancellationRefused(ValueError):
    """The invoice cannot be cancelled now; `reason` says why and what to do instead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class InvoiceStanding:
    """What is known about an invoice when someone asks to cancel it."""

    invoice_no: str
    is_cancelled: bool = False
    goods_dispatched: bool = False
    has_active_ewaybill: bool = False
    irn_acknowledged_at: datetime | None = None
    """When the IRP registered the invoice; None when it has no IRN."""


@dataclass(frozen=True, slots=True)
class InvoiceCancellation:
    invoice_no: str
    reason: InvoiceCancelReason
    remarks: str
    cancelled_at: datetime
    cancel_irn: bool
    """True when the IRN must be cancelled at the IRP too."""


def cancellation_refusal(
    standing: InvoiceStanding, reason: InvoiceCancelReason, remarks: str, at: datetime
) -> str | None:
    """Why the invoice cannot be cancelled at `at`, or None when it can."""
    if standing.is_cancelled:
        return f"invoice {standing.invoice_no} is already cancelled"
    if standing.goods_dispatched:
        return (
            f"the goods of invoice {standing.invoice_no} have left the gate: issue a credit note for a return instead"
        )
    if reason is InvoiceCancelReason.OTHER and not remarks.strip():
        return "a cancellation for another reason needs remarks"
    if standing.irn_acknowledged_at is not None:
        return irn_cancellation_refusal(standing.irn_acknowledged_at, at, standing.has_active_ewaybill)
    if standing.has_active_ewaybill:
        return "an active e-way bill refers to this invoice: cancel the e-way bill first"
    return None


def cancel_invoice(
    standing: InvoiceStanding, reason: InvoiceCancelReason, remarks: str, at: datetime
) -> InvoiceCancellation:
    refusal = cancellation_refusal(standing, reason, remarks, at)
    if refusal:
        raise CancellationRefused(refusal)
    return InvoiceCancellation(
        invoice_no=standing.invoice_no,
        reason=reason,
        remarks=remarks.strip(),
        cancelled_at=to_utc(at),
        cancel_irn=standing.irn_acknowledged_at is not None,
    )
