from datetime import timedelta
from types import ModuleType

import pytest
from o2c.invoicing.domain.cancellation import (
    CancellationRefused,
    InvoiceCancelReason,
    InvoiceStanding,
    cancel_invoice,
)


def test_an_invoice_cancels_before_gate_out_and_its_number_stays_used(given: ModuleType) -> None:
    at = given.ist(2026, 11, 5, 12, 0)
    cancellation = cancel_invoice(InvoiceStanding("INV/26-27/000007"), InvoiceCancelReason.ORDER_CANCELLED, "", at)
    assert cancellation.invoice_no == "INV/26-27/000007"
    assert cancellation.reason.irp_code == "3"
    assert not cancellation.cancel_irn
    assert cancellation.cancelled_at.utcoffset() == timedelta(0)


def test_an_e_invoice_cancels_with_its_irn_within_24_hours(given: ModuleType) -> None:
    acknowledged = given.ist(2026, 11, 5, 10, 0)
    standing = InvoiceStanding("INV/26-27/000007", irn_acknowledged_at=acknowledged)
    cancellation = cancel_invoice(
        standing, InvoiceCancelReason.DATA_ENTRY_MISTAKE, "wrong rate", acknowledged + timedelta(hours=23)
    )
    assert cancellation.cancel_irn


@pytest.mark.parametrize(
    ("standing", "reason_text"),
    [
        (InvoiceStanding("INV/1", is_cancelled=True), "already cancelled"),
        (InvoiceStanding("INV/1", goods_dispatched=True), "issue a credit note"),
        (InvoiceStanding("INV/1", has_active_ewaybill=True), "cancel the e-way bill first"),
    ],
)
def test_cancellation_is_refused_with_a_reason(given: ModuleType, standing: InvoiceStanding, reason_text: str) -> None:
    with pytest.raises(CancellationRefused, match=reason_text):
        cancel_invoice(standing, InvoiceCancelReason.DUPLICATE, "", given.ist(2026, 11, 5))


def test_an_e_invoice_older_than_24_hours_cannot_be_cancelled(given: ModuleType) -> None:
    acknowledged = given.ist(2026, 11, 5, 10, 0)
    standing = InvoiceStanding("INV/1", irn_acknowledged_at=acknowledged)
    with pytest.raises(CancellationRefused, match="24 hours"):
        cancel_invoice(standing, InvoiceCancelReason.DUPLICATE, "", acknowledged + timedelta(hours=25))


def test_an_e_invoice_with_an_active_eway_bill_waits_for_the_eway_bill_cancellation(given: ModuleType) -> None:
    acknowledged = given.ist(2026, 11, 5, 10, 0)
    standing = InvoiceStanding("INV/1", irn_acknowledged_at=acknowledged, has_active_ewaybill=True)
    with pytest.raises(CancellationRefused, match="e-way bill first"):
        cancel_invoice(standing, InvoiceCancelReason.DUPLICATE, "", acknowledged + timedelta(hours=1))


def test_cancelling_for_another_reason_needs_remarks(given: ModuleType) -> None:
    with pytest.raises(CancellationRefused, match="remarks"):
        cancel_invoice(InvoiceStanding("INV/1"), InvoiceCancelReason.OTHER, "  ", given.ist(2026, 11, 5))
