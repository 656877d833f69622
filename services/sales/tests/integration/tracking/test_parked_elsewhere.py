"""A key parked only in invoicing shows on sales' order page and in the saga exceptions, and goes away once
invoicing's dead letter is discarded (issue 17: InvoicingKeyParked / InvoicingKeyReleased)."""

from __future__ import annotations

from typing import Any

import pytest
from o2c.contracts.v1 import ewaybill, sales
from o2c.invoicing.app import DEFINITION as INVOICING
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.consumer import combine_handlers
from o2c.kit.service import ServiceDefinition
from o2c.kit.testing import RunningService, ServiceHarness, bearer, wait_for
from o2c.sales import tracking
from o2c.sales.entrypoints import http, parked
from o2c.sales.tracking.handlers import tracking_of
from o2c.testsupport.sales.tracking_support import CHAIN_EVENTS, NOW, SALES_VERSIONS, Publisher, sales_metadata, story

pytestmark = pytest.mark.integration

# Sales' projection, its record of keys parked elsewhere and its HTTP API, without the coordinator (which
# would dead-letter replies for an order it never entered): any parked key then is invoicing's alone.
SALES_WITHOUT_COORDINATOR = ServiceDefinition(
    name="sales", title="sales (tracking and parked keys)", http_port=8101, metadata=sales_metadata,
    versions_dir=SALES_VERSIONS, routers=lambda rt: [*http.ROUTERS, tracking.router],
    handlers=lambda rt: combine_handlers(tracking.handlers(rt), parked.handlers()),
    subscribes_to=CHAIN_EVENTS,
)


async def page(svc: RunningService, order_id: str, who: dict[str, str]) -> dict[str, Any] | None:
    async with svc.client() as c:
        r = await c.get(f"/tracking/orders/{order_id}", headers=who)
    return r.json() if r.status_code == 200 else None


async def test_a_key_parked_in_invoicing_only_is_on_the_order_page_until_discarded(
        harness: ServiceHarness, publisher: Publisher, issuer: LocalIssuer) -> None:
    order_id = "ord-parked-inv"
    svc = await harness.start(SALES_WITHOUT_COORDINATOR)
    svc.runtime.extras["clock"] = lambda: NOW
    invoicing = await harness.start(INVOICING)
    sre, coordinator = bearer(issuer, "sre"), bearer(issuer, "sales_head")
    try:
        confirmed = next(m for m in story(order_id) if isinstance(m, sales.OrderConfirmed))
        await publisher.send(confirmed)
        await wait_for(lambda: page(svc, order_id, coordinator), timeout=30, what="the order page")
        # An e-way bill for an invoice invoicing never issued: invoicing dead-letters it and parks the order.
        bill = next(m for m in story(order_id) if isinstance(m, ewaybill.EwayBillGenerated))
        await publisher.send(bill.model_copy(update={"invoice_id": "inv-never-issued"}))

        async def shown() -> list[dict[str, Any]] | None:
            view = await page(svc, order_id, coordinator)
            found = [e for e in (view or {}).get("open_exceptions", []) if e["kind"] == "parked_elsewhere"]
            return found or None

        [exception] = await wait_for(shown, timeout=30, what="invoicing's parked key on the order page")
        assert "parked in invoicing" in exception["detail"] and "EwayBillGenerated" in exception["detail"]
        async with invoicing.client(**sre) as c:
            [letter] = (await c.get("/admin/dead-letters")).json()
        assert exception["ref"] == f"invoicing/{letter['id']}"
        async with svc.client(**coordinator) as c:
            held = [x for x in (await c.get("/saga-exceptions")).json() if x["order_id"] == order_id]
        assert [(x["status"], x["exceptions"][0]["service"]) for x in held] == [("parked", "invoicing")]
        async with svc.client(**sre) as c:  # sales itself holds nothing of this order
            assert [d for d in (await c.get("/admin/dead-letters")).json() if d["key"] == order_id] == []

        async with invoicing.client(**sre) as c:
            discarded = await c.post(f"/admin/dead-letters/{letter['id']}/discard",
                                     json={"reason": "test: the invoice was never issued"})
        assert discarded.status_code == 200, discarded.text

        async def gone() -> bool:
            view = await page(svc, order_id, coordinator)
            return view is not None and not any(e["kind"] == "parked_elsewhere" for e in view["open_exceptions"])

        await wait_for(gone, timeout=30, what="the released key gone from the order page")
        async with svc.client(**coordinator) as c:
            assert [x for x in (await c.get("/saga-exceptions")).json() if x["order_id"] == order_id] == []
    finally:
        await tracking_of(svc.runtime).cache.close()
