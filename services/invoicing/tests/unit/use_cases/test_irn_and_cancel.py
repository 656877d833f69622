"""The IRN (registered, rejected, retried, adopted on a duplicate) and cancellation before gate-out, on an
in-memory unit of work and IRP."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from o2c.contracts.samples import sample
from o2c.contracts.v1 import invoicing as ci
from o2c.contracts.v1.common import SupplyType
from o2c.contracts.v1.dispatch import ShipmentDispatched
from o2c.contracts.v1.ewaybill import EwayBillCancelled, EwayBillCancelReason, EwayBillGenerated
from o2c.invoicing.service_layer import use_cases as uc
from o2c.invoicing.service_layer.ports import (
    IrnStatus,
    IrpAck,
    IrpRefusal,
)
from o2c.testsupport.invoicing.invoicing_builders import (
    NOV_5,
    SUPPLIER_MH,
    WALK_IN_GOA,
    claimed,
    issue,
    ready,
)
from o2c.testsupport.invoicing.invoicing_fakes import FakeIrp, InMemoryUnitOfWork

D = Decimal


# --- IRN --------------------------------------------------------------------------------------------


async def test_registration_outcomes_publish_registered_or_rejected_and_an_outage_waits() -> None:
    uow, irp = InMemoryUnitOfWork(), FakeIrp()
    record = await issue(uow, ready())
    irp.down = True
    outcome = await uc.register_at_irp(irp, await claimed(uow))
    assert outcome.retry_later
    await uc.record_irn_outcome(uow, record.id, outcome, now=datetime.now(UTC))
    assert uow.invoices.rows[record.id].irn_status is IrnStatus.PENDING

    irp.down = False
    outcome = await uc.register_at_irp(irp, await claimed(uow))
    await uc.record_irn_outcome(uow, record.id, outcome, now=datetime.now(UTC))
    assert uow.invoices.rows[record.id].irn_status is IrnStatus.REGISTERED
    assert isinstance(uow.messages[-1], ci.IrnRegistered)
    assert irp.generated[0]["DocDtls"]["No"] == record.issued.invoice_no

    other = await issue(uow, ready(shipment_id="shp-2"))
    irp.refuse_with = IrpRefusal("3028", "GSTIN - X is invalid")
    outcome = await uc.register_at_irp(irp, await claimed(uow))
    await uc.record_irn_outcome(uow, other.id, outcome, now=datetime.now(UTC))
    stored = uow.invoices.rows[other.id]
    assert (stored.irn_status, stored.irn_error_code) == (IrnStatus.REJECTED, "3028")
    assert isinstance(uow.messages[-1], ci.IrnRejected) and uow.messages[-1].code == "3028"
    await uc.retry_irn(uow, other.id)
    assert uow.invoices.rows[other.id].irn_status is IrnStatus.PENDING
    with pytest.raises(uc.Refused):
        await uc.retry_irn(uow, other.id)


async def test_a_duplicate_irn_fetches_the_existing_registration() -> None:
    uow, irp = InMemoryUnitOfWork(), FakeIrp()
    record = await issue(uow, ready())
    existing = IrpAck(irn="b" * 64, ack_no="77", ack_date=datetime.now(UTC), signed_qr_code="")
    irp.known["b" * 64] = replace(existing, signed_qr_code="the-qr")
    irp.refuse_with = IrpRefusal("2150", "Duplicate IRN", existing)
    outcome = await uc.register_at_irp(irp, await claimed(uow))
    assert outcome.ack is not None and (outcome.ack.ack_no, outcome.ack.signed_qr_code) == ("77", "the-qr")
    await uc.record_irn_outcome(uow, record.id, outcome, now=datetime.now(UTC))
    assert uow.invoices.rows[record.id].irn is not None


# --- cancellation -----------------------------------------------------------------------------------


async def test_cancellation_waits_for_the_ewaybill_and_cancels_the_irn_within_24_hours() -> None:
    uow, irp = InMemoryUnitOfWork(), FakeIrp()
    record = await issue(uow, ready())
    await uc.record_irn_outcome(uow, record.id, await uc.register_at_irp(irp, await claimed(uow)),
                                now=datetime.now(UTC))
    ebn = dict(order_id=record.issued.order_id, shipment_id="shp-1", invoice_id=record.id,
               invoice_no=record.issued.invoice_no, ewaybill_no="381001234567")
    await uc.record_ewaybill(uow, EwayBillGenerated(**ebn, generated_at=datetime.now(UTC),
                                                    valid_until=datetime.now(UTC), distance_km=10,
                                                    consignment_value=D("1")))
    assert uow.invoices.rows[record.id].ewaybill_no == "381001234567"
    reason = ci.InvoiceCancelReason.DATA_ENTRY_MISTAKE
    with pytest.raises(uc.Refused, match="e-way bill"):
        await uc.cancel_invoice(uow, record.id, reason, "", now=datetime.now(UTC), gateway=irp)
    await uc.record_ewaybill_cancelled(uow, EwayBillCancelled(
        **ebn, reason=EwayBillCancelReason.DATA_ENTRY_MISTAKE, cancelled_at=datetime.now(UTC)))
    with pytest.raises(uc.Refused, match="24 hours"):
        await uc.cancel_invoice(uow, record.id, reason, "", now=datetime.now(UTC) + timedelta(hours=25), gateway=irp)
    cancelled = await uc.cancel_invoice(uow, record.id, reason, "wrong rate", now=datetime.now(UTC), gateway=irp)
    assert cancelled.is_cancelled and cancelled.irn_cancelled and irp.cancelled == ["a" * 64]
    event = uow.messages[-1]
    assert isinstance(event, ci.InvoiceCancelled) and event.invoice_no == record.issued.invoice_no
    assert uow.series.rows[(SUPPLIER_MH, "2026-27", "INV")].last_sequence == 1  # the number stays used


async def test_an_invoice_is_not_cancelled_while_its_irn_registration_is_in_flight() -> None:
    uow = InMemoryUnitOfWork()
    record = await issue(uow, ready())
    await claimed(uow)
    with pytest.raises(uc.Refused, match="being registered"):
        await uc.cancel_invoice(uow, record.id, ci.InvoiceCancelReason.ORDER_CANCELLED, "", now=NOV_5, gateway=None)


async def test_after_gate_out_an_invoice_is_not_cancelled() -> None:
    uow = InMemoryUnitOfWork()
    record = await issue(uow, ready(shipment_id="b2c", ship_to=WALK_IN_GOA, supply_type=SupplyType.B2C))
    await uc.record_dispatched(uow, sample(ShipmentDispatched).model_copy(update={"invoice_id": record.id}))
    with pytest.raises(uc.Refused, match="left the gate"):
        await uc.cancel_invoice(uow, record.id, ci.InvoiceCancelReason.ORDER_CANCELLED, "", now=NOV_5, gateway=None)


