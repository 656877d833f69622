"""Invoicing refuses a shipment it cannot tax (no GST rate in force, or a place of supply the rule does not give):
the coordinator raises it on the order for a person (OrderExceptionRaised), once (docs/domain.md)."""

from __future__ import annotations

from o2c.contracts.samples import sample
from o2c.contracts.v1 import invoicing, sales
from o2c.sales.tracking import domain
from o2c.testsupport.sales.fakes import InMemoryRepository
from o2c.testsupport.sales.use_case_story import NOW, approved, feed, place, repo, reserved, seeded

__all__ = ["repo"]  # the fixture, shared with the coordinator's other tests


async def test_an_invoice_refused_for_want_of_a_rate_is_raised_for_a_person_once(repo: InMemoryRepository) -> None:
    order_id, _ = await place(repo, await seeded(repo))
    await feed(repo, reserved(order_id))
    await feed(repo, approved(order_id))
    refused = sample(invoicing.InvoiceRefused).model_copy(update={
        "order_id": order_id, "shipment_id": f"{order_id}-1-1", "refusal": invoicing.InvoiceRefusal.NO_GST_RATE,
        "reason": "no GST rate is in force for HSN 96032100 on 2026-11-05"})
    uow = await feed(repo, refused)
    (raised,) = [m for m in uow.messages if isinstance(m, sales.OrderExceptionRaised)]
    assert raised.key == f"{order_id}:invoice-refused:{order_id}-1-1"
    assert "no_gst_rate" in raised.reason and "96032100" in raised.reason
    again = await feed(repo, refused)
    assert not [m for m in again.messages if isinstance(m, sales.OrderExceptionRaised)]


def test_the_order_page_shows_it_open_until_the_shipment_is_invoiced() -> None:
    order_id, shipment_id = "ord-trk-2", "shp-trk-2"
    raised = sample(sales.OrderExceptionRaised).model_copy(update={
        "order_id": order_id, "key": f"{order_id}:invoice-refused:{shipment_id}",
        "kind": sales.OrderExceptionKind.SAGA_PROBLEM, "reason": "shipment not invoiced (no_gst_rate)"})
    view = domain.project(order_id, [raised], NOW)
    assert [e["detail"] for e in view["open_exceptions"]] == ["shipment not invoiced (no_gst_rate)"]
    issued = sample(invoicing.InvoiceIssued).model_copy(update={"order_id": order_id, "shipment_id": shipment_id})
    assert domain.project(order_id, [raised, issued], NOW)["open_exceptions"] == []
