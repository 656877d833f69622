"""An IRN the IRP refuses after the goods left the gate: the coordinator raises an exception for a person
(OrderExceptionRaised) whichever topic is read first; the order page keeps it open past the order's end,
until the IRN is registered."""

from __future__ import annotations

from datetime import timedelta

from o2c.contracts.samples import sample
from o2c.contracts.v1 import dispatch, invoicing, notify, sales
from o2c.sales.tracking import domain
from o2c.testsupport.sales.fakes import InMemoryRepository
from o2c.testsupport.sales.use_case_story import NOW, approved, feed, place, repo, reserved, seeded, types

__all__ = ["repo"]  # the fixture, shared with the coordinator's other tests


async def _order(repo: InMemoryRepository) -> tuple[str, str, invoicing.InvoiceIssued]:
    order_id, _ = await place(repo, await seeded(repo))
    await feed(repo, reserved(order_id))
    await feed(repo, approved(order_id))
    shipment_id = f"{order_id}-1-1"
    issued = sample(invoicing.InvoiceIssued).model_copy(update={
        "order_id": order_id, "shipment_id": shipment_id, "irn": None, "irn_required": True})
    return order_id, shipment_id, issued


def _gone(order_id: str, shipment_id: str, issued: invoicing.InvoiceIssued, minutes: int
          ) -> dispatch.ShipmentDispatched:
    return sample(dispatch.ShipmentDispatched).model_copy(update={
        "order_id": order_id, "shipment_id": shipment_id, "invoice_id": issued.invoice_id,
        "invoice_no": issued.invoice_no, "dispatched_at": NOW + timedelta(minutes=minutes)})


def _refused(order_id: str, issued: invoicing.InvoiceIssued, minutes: int) -> invoicing.IrnRejected:
    return sample(invoicing.IrnRejected).model_copy(update={
        "order_id": order_id, "invoice_id": issued.invoice_id, "invoice_no": issued.invoice_no, "code": "2172",
        "message": "Buyer GSTIN is invalid", "rejected_at": NOW + timedelta(minutes=minutes)})


async def test_irn_rejected_after_gate_out_raises_an_exception_for_a_person_once(repo: InMemoryRepository) -> None:
    order_id, shipment_id, issued = await _order(repo)
    await feed(repo, issued)
    assert types(await feed(repo, _gone(order_id, shipment_id, issued, 5))) == []
    uow = await feed(repo, _refused(order_id, issued, 9))
    (raised,) = [m for m in uow.messages if isinstance(m, sales.OrderExceptionRaised)]
    assert raised.kind is sales.OrderExceptionKind.SAGA_PROBLEM
    assert raised.key == f"{order_id}:irn-rejected-after-dispatch:{issued.invoice_id}"
    assert "after the goods left the gate" in raised.reason and "2172" in raised.reason
    again = await feed(repo, _refused(order_id, issued, 12))  # a retry refused again: already raised
    assert not [m for m in again.messages if isinstance(m, sales.OrderExceptionRaised)]


async def test_the_rejection_read_before_the_gate_out_is_judged_by_when_each_happened(
    repo: InMemoryRepository,
) -> None:
    order_id, shipment_id, issued = await _order(repo)
    assert types(await feed(repo, _refused(order_id, issued, 9))) == []  # the invoicing topic read first
    uow = await feed(repo, _gone(order_id, shipment_id, issued, 5))
    assert [m.TYPE for m in uow.messages] == ["OrderExceptionRaised"]
    await feed(repo, issued)  # the invoice itself, read last, adds its facts and raises nothing more
    record = await repo.get_saga(order_id)
    assert record is not None and [i["shipment_id"] for i in record.invoices] == [shipment_id]


async def test_a_rejection_before_the_gate_out_raises_nothing_whatever_the_reading_order(
    repo: InMemoryRepository,
) -> None:
    order_id, shipment_id, issued = await _order(repo)
    await feed(repo, issued)
    # Refused at 5, registered after a retry, the gate opened at 9: sales reads the gate-out first.
    assert types(await feed(repo, _gone(order_id, shipment_id, issued, 9))) == []
    assert types(await feed(repo, _refused(order_id, issued, 5))) == []
    told = sample(notify.CustomerNotified).model_copy(update={"order_id": order_id, "shipment_id": shipment_id})
    assert types(await feed(repo, told)) == ["OrderClosed"]


def test_the_order_page_keeps_it_open_past_the_order_end_until_the_irn_is_registered() -> None:
    order_id, invoice_id = "ord-trk-1", "inv-trk-1"
    raised = sample(sales.OrderExceptionRaised).model_copy(update={
        "order_id": order_id, "key": f"{order_id}:irn-rejected-after-dispatch:{invoice_id}",
        "kind": sales.OrderExceptionKind.SAGA_PROBLEM, "reason": "IRN rejected after the goods left the gate"})
    closed = sample(sales.OrderClosed).model_copy(update={"order_id": order_id})
    view = domain.project(order_id, [raised, closed], NOW)
    assert [e["detail"] for e in view["open_exceptions"]] == ["IRN rejected after the goods left the gate"]
    registered = sample(invoicing.IrnRegistered).model_copy(update={"order_id": order_id, "invoice_id": invoice_id})
    view = domain.project(order_id, [raised, closed, registered], NOW)
    assert view["open_exceptions"] == []
