"""Finding 2: a token whose roles are all unknown to o2c (a misspelt role) was treated as internal: it read the
tracking list, search, order pages and live updates of every customer. Now such a login holds no role and the
policy refuses it everywhere (403 naming the action); a bad token stays 401."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import ServiceHarness, bearer, serve_app, wait_for
from o2c.sales.tracking.handlers import tracking_of
from o2c.testsupport.sales.tracking_support import NOW, TRACKING_ONLY, Publisher, story

pytestmark = pytest.mark.integration

MISSPELT = ("sales_cordinator",)
NO_ROLE: tuple[str, ...] = ()


def refused_by_policy(response: httpx.Response, action: str) -> bool:
    return response.status_code == 403 and response.json().get("action") == action


async def test_unknown_roles_see_no_tracking_list_search_page_or_live_updates(
        harness: ServiceHarness, issuer: LocalIssuer) -> None:
    svc = await harness.start(TRACKING_ONLY)
    svc.runtime.extras["clock"] = lambda: NOW
    publisher = Publisher(harness.bootstrap, harness.prefix)
    await publisher.start()
    server, task, url = await serve_app(svc.app)
    try:
        for message in story("ord-sec-1", customer_id="cus-sec-1", customer_name="Seema Traders"):
            await publisher.send(message)
        head = bearer(issuer, "sales_head")
        async with httpx.AsyncClient(base_url=url, timeout=10.0) as client:
            async def on_the_page() -> bool:
                return (await client.get("/tracking/orders/ord-sec-1", headers=head)).status_code == 200

            await wait_for(on_the_page, timeout=30, what="the order's page")
            listed = (await client.get("/tracking/orders", headers=head)).json()
            assert [o["order_id"] for o in listed] == ["ord-sec-1"]  # the data is there for a known role

            for roles in (MISSPELT, NO_ROLE):
                token = issuer.token("typo", list(roles))
                who = {"Authorization": f"Bearer {token}"}
                assert refused_by_policy(await client.get("/tracking/orders", headers=who), "sales.tracking.read")
                assert refused_by_policy(await client.get("/tracking/search", params={"q": "ord-sec-1"},
                                                          headers=who), "sales.tracking.read")
                assert refused_by_policy(await client.get("/tracking/orders/ord-sec-1", headers=who),
                                         "sales.tracking.read")
                # live updates: neither a stream ticket nor the stream itself (bearer header)
                ticket = await client.post("/tracking/orders/ord-sec-1/stream-tickets", headers=who)
                assert refused_by_policy(ticket, "sales.tracking.read"), ticket.text
                async with client.stream("GET", "/tracking/orders/ord-sec-1/stream", headers=who) as live:
                    assert live.status_code == 403, roles
                    await live.aread()
                    assert refused_by_policy(live, "sales.tracking.read")
            bad = await client.get("/tracking/orders", headers={"Authorization": "Bearer not-a-token"})
            assert bad.status_code == 401
    finally:
        server.should_exit = True
        await task
        await publisher.stop()
        await tracking_of(svc.runtime).cache.close()


# One read route per service, the policy action it declares, and a role the policy grants it.
EVERY_SERVICE: dict[str, tuple[str, dict[str, Any], str, str]] = {
    "sales": ("/saga-exceptions", {}, "sales.saga-exception.read", "sales_head"),
    "credit": ("/sanctions", {}, "credit.sanction.read", "finance_head"),
    "inventory": ("/warehouses", {}, "inventory.warehouse.read", "sales_head"),
    "dispatch": ("/shipments", {}, "dispatch.shipment.read", "sales_coordinator"),
    "invoicing": ("/invoices", {"customer_id": "C1"}, "invoicing.invoice.read", "accountant"),
    "ewaybill": ("/ewaybills", {}, "ewaybill.bill.read", "compliance_officer"),
    "notify": ("/notifications", {"customer_id": "C1"}, "notify.notification.read", "sales_head"),
}


async def test_unknown_roles_are_refused_by_the_policy_in_every_service(
        harness: ServiceHarness, issuer: LocalIssuer) -> None:
    import importlib

    for service, (path, params, action, granted) in EVERY_SERVICE.items():
        definition = importlib.import_module(f"o2c.{service}.app").DEFINITION
        secrets = {name: "test-only-" + uuid.uuid4().hex for name, field in
                   definition.settings_class.model_fields.items() if "SecretStr" in str(field.annotation)}
        svc = await harness.start(definition, consumer=False, relay=False, **secrets)
        async with svc.client() as client:
            known = await client.get(path, params=params, headers=bearer(issuer, granted))
            assert known.status_code == 200, (service, known.text)
            for roles in (MISSPELT, NO_ROLE, ("admin", "root")):
                answer = await client.get(path, params=params, headers=bearer(issuer, *roles))
                assert refused_by_policy(answer, action), (service, roles, answer.text)
                assert answer.json()["detail"] == "this login holds no role o2c knows"
                admin = await client.get("/admin/dead-letters", headers=bearer(issuer, *roles))
                assert refused_by_policy(admin, "admin.dead-letter.read"), (service, roles, admin.text)
            assert (await client.get("/admin/dead-letters", headers=bearer(issuer, "sre"))).status_code == 200
        await harness.running.pop(service).stop()
