"""Finding 8: bad input gets a clear 4xx naming the field, and changes nothing, in every service.

Before: a NUL byte in a path, query or body was a 500 in all seven services; so were a negative or huge `limit`,
"1e30" as a credit amount and 1E+999999 as a quantity; twenty-digit quantities and prices, the state code "00",
thresholds effective in 2000 and a non-ASCII price-list code were stored; a threshold could not be ended.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from o2c.credit.app import DEFINITION as CREDIT
from o2c.dispatch.app import DEFINITION as DISPATCH
from o2c.ewaybill.app import DEFINITION as EWAYBILL
from o2c.inventory.app import DEFINITION as INVENTORY
from o2c.invoicing.app import DEFINITION as INVOICING
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import RunningService, ServiceHarness
from o2c.notify.app import DEFINITION as NOTIFY
from o2c.sales.app import DEFINITION as SALES

pytestmark = pytest.mark.integration

Services = dict[str, RunningService]
# Notify does not start without the key that seals webhook secrets: one made up for this run.
SETTINGS = {"notify": {"notify_webhook_secrets_key": "test-only-" + uuid.uuid4().hex}}

NUL_IN_PATH = {
    "sales": ("/orders/ord%00x", "sales_head"),
    "credit": ("/credit-profiles/C%001", "finance_head"),
    "inventory": ("/warehouses/PN%00Q", "warehouse_coordinator"),
    "dispatch": ("/shipments/shp%00", "dispatch_supervisor"),
    "invoicing": ("/invoices/inv%00", "accountant"),
    "ewaybill": ("/ewaybills/ewb%00", "compliance_officer"),
    "notify": ("/notifications/n%00", "sales_head"),
}

NUL_IN_BODY: dict[str, tuple[str, str, Any, str]] = {
    "sales": ("/customers", "sales_head", {"code": "X", "legal_name": "Ratan\u0000 Traders"}, "legal_name"),
    "credit": ("/payments", "finance_head", {"customer_id": "C\u00001", "amount": "10.00",
                                             "received_on": "2026-06-30", "mode": "neft"}, "customer_id"),
    "inventory": ("/stock/receipts", "warehouse_coordinator",
                  {"warehouse_id": "PNQ", "item_code": "PUMP\u0000", "quantity": "1", "bin_code": "DOCK"},
                  "item_code"),
    "dispatch": ("/trips", "dispatch_supervisor",
                 {"warehouse_id": "PNQ", "shipments": [{"shipment_id": "shp-1\u0000"}]}, "shipments.0.shipment_id"),
    "invoicing": ("/invoices/inv-1/cancel", "accountant", {"reason": "duplicate", "remarks": "\u0000"}, "remarks"),
    "ewaybill": ("/ewaybill-thresholds", "compliance_officer",
                 {"value_above": "50000.00", "effective_from": "2026-01-01", "note": "x\u0000"}, "note"),
    "notify": ("/templates/preview", "sales_head", {"kind": "dispatched", "fields": {"order_no": "\u0000"}},
               "fields.order_no"),
}


@pytest.fixture
async def seven(harness: ServiceHarness) -> AsyncIterator[Services]:
    started = {}
    for definition in (SALES, CREDIT, INVENTORY, DISPATCH, INVOICING, EWAYBILL, NOTIFY):
        started[definition.name] = await harness.start(definition, consumer=False, relay=False,
                                                       **SETTINGS.get(definition.name, {}))
    yield started


def token(issuer: LocalIssuer, role: str, **claims: Any) -> dict[str, str]:
    return {"Authorization": "Bearer " + issuer.token(f"{role}-1", [role], **claims)}


async def row_counts(svc: RunningService) -> dict[str, int]:
    """Every table of the service's database (business tables, outbox, stored answers) and its row count."""
    async with svc.runtime.sessions() as session:
        names = (await session.execute(sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        ))).scalars().all()
        return {n: int((await session.execute(sa.text(f'SELECT count(*) FROM "{n}"'))).scalar_one())
                for n in names}


def refused(response: Any, field: str) -> None:
    assert response.status_code == 422, f"{response.request.method} {response.request.url}: {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = [e["field"] for e in response.json().get("errors", [])]
    assert field in fields, (field, response.text)


async def test_nul_in_path_query_or_body_is_a_422_naming_the_field_in_every_service(
        seven: Services, issuer: LocalIssuer) -> None:
    before = {name: await row_counts(svc) for name, svc in seven.items()}
    for name, svc in seven.items():
        async with svc.client() as c:
            path, role = NUL_IN_PATH[name]
            refused(await c.get(path, headers=token(issuer, role)), "path")
            refused(await c.get("/admin/dead-letters?status=open%00", headers=token(issuer, "sre")), "query.status")
            path, role, body, field = NUL_IN_BODY[name]
            refused(await c.post(path, json=body, headers=token(issuer, role)), field)
    assert {name: await row_counts(svc) for name, svc in seven.items()} == before


async def test_limits_are_bounded_in_every_service(seven: Services, issuer: LocalIssuer) -> None:
    for svc in seven.values():
        async with svc.client() as c:
            for limit in ("-1", "0", "501", "1" + "0" * 25):
                refused(await c.get(f"/admin/dead-letters?limit={limit}", headers=token(issuer, "sre")),
                        "query.limit")
    async with seven["ewaybill"].client() as c:
        refused(await c.get("/ewaybills?limit=-5", headers=token(issuer, "compliance_officer")), "query.limit")
    async with seven["notify"].client() as c:
        refused(await c.get("/notifications?order_id=o-1&limit=-1", headers=token(issuer, "sales_head")),
                "query.limit")
    async with seven["sales"].client() as c:
        refused(await c.get("/saga-exceptions?limit=-1", headers=token(issuer, "sales_head")), "query.limit")


async def test_amounts_quantities_codes_and_dates_are_bounded(seven: Services, issuer: LocalIssuer) -> None:
    before = {name: await row_counts(svc) for name, svc in seven.items()}
    finance, head = token(issuer, "finance_head"), token(issuer, "sales_head")
    payment = {"customer_id": "C1", "amount": "1e30", "received_on": "2026-06-30", "mode": "neft"}
    async with seven["credit"].client() as c:
        refused(await c.post("/payments", json=payment, headers=finance), "amount")
        refused(await c.post("/payments", json={**payment, "amount": "1E+999999"}, headers=finance), "amount")
        refused(await c.post("/payments", json={**payment, "amount": "10.00", "surprise": 1}, headers=finance),
                "surprise")
    twenty = "12345678901234567890"
    async with seven["sales"].client() as c:
        order = {"customer_id": "cus-1", "ship_to_id": "main", "lines": [{"item_code": "PUMP-1", "quantity": "2"}]}
        for quantity in ("1E+999999", "1e30", twenty):
            refused(await c.post("/orders", json={**order, "lines": [{"item_code": "PUMP-1", "quantity": quantity}]},
                                 headers=head), "lines.0.quantity")
        price_list = {"code": "STD", "name": "Standard",
                      "entries": [{"item_code": "PUMP-1", "unit_price": "100.00", "valid_from": "2020-04-01"}]}
        refused(await c.post("/price-lists", json={**price_list, "code": "STDÉ"}, headers=head), "code")
        refused(await c.post("/price-lists", json={**price_list, "entries": [
            {"item_code": "PUMP-1", "unit_price": twenty, "valid_from": "2020-04-01"}]}, headers=head),
            "entries.0.unit_price")
        refused(await c.post("/price-lists", json={**price_list, "entries": [
            {"item_code": "PUMP-1", "unit_price": "100.00", "valid_from": "2000-04-01"}]}, headers=head),
            "entries.0.valid_from")
        refused(await c.post("/customers", json={"code": "X", "legal_name": "Bell\x07 Traders"}, headers=head),
                "legal_name")
    async with seven["inventory"].client() as c:
        receipt = {"warehouse_id": "PNQ", "item_code": "PUMP", "bin_code": "DOCK"}
        for quantity in ("1E+999999", twenty):
            refused(await c.post("/stock/receipts", json={**receipt, "quantity": quantity},
                                 headers=token(issuer, "warehouse_coordinator")), "quantity")
        warehouse = {"code": "PNQ", "name": "Pune DC", "state_code": "00", "pincode": "411001",
                     "gstin": "27AABCR1718E1ZP"}
        refused(await c.post("/warehouses", json=warehouse, headers=token(issuer, "warehouse_coordinator")),
                "state_code")
    async with seven["dispatch"].client() as c:
        refused(await c.post("/pick-lists/pl-1/lines/1/confirm", json={"picked": "1E+999999"},
                             headers=token(issuer, "picker", warehouse_ids=["PNQ"])), "picked")
    compliance = token(issuer, "compliance_officer")
    async with seven["ewaybill"].client() as c:
        row = {"value_above": "50000.00", "effective_from": "2026-01-01", "state_code": "27"}
        refused(await c.post("/ewaybill-thresholds", json={**row, "state_code": "00"}, headers=compliance),
                "state_code")
        refused(await c.post("/ewaybill-thresholds", json={**row, "effective_from": "2000-01-01"},
                             headers=compliance), "effective_from")
        refused(await c.post("/ewaybill-thresholds", json={**row, "value_above": twenty}, headers=compliance),
                "value_above")
    assert {name: await row_counts(svc) for name, svc in seven.items()} == before


async def test_a_threshold_can_be_ended_by_compliance_with_who_and_why(harness: ServiceHarness,
                                                                       issuer: LocalIssuer) -> None:
    svc = await harness.start(EWAYBILL, consumer=False, relay=False)
    compliance = token(issuer, "compliance_officer")
    async with svc.client() as c:
        r = await c.post("/ewaybill-thresholds", json={"value_above": "100000.00", "effective_from": "2026-04-01",
                                                       "state_code": "27", "note": "notification 12/2026"},
                         headers=compliance)
        assert r.status_code == 201, r.text
        row_id = r.json()["id"]
        refused(await c.post(f"/ewaybill-thresholds/{row_id}/end",
                             json={"effective_to": "2026-03-31", "reason": "withdrawn"}, headers=compliance),
                "effective_to")
        r = await c.post(f"/ewaybill-thresholds/{row_id}/end",
                         json={"effective_to": "2026-09-30", "reason": "withdrawn"},
                         headers=token(issuer, "dispatch_supervisor"))
        assert r.status_code == 403
        r = await c.post(f"/ewaybill-thresholds/{row_id}/end",
                         json={"effective_to": "2026-09-30", "reason": "notification 19/2026 withdrew it"},
                         headers=compliance)
        assert r.status_code == 200, r.text
        ended = r.json()
        assert ended["effective_to"] == "2026-09-30" and ended["ended_by"] == "compliance_officer-1"
        assert ended["end_reason"] == "notification 19/2026 withdrew it" and ended["ended_at"]
        listed = (await c.get("/ewaybill-thresholds", headers=compliance)).json()
        assert [t["effective_to"] for t in listed if t["id"] == row_id] == ["2026-09-30"]
        # Ended rows only end earlier; an unknown row is a 404.
        refused(await c.post(f"/ewaybill-thresholds/{row_id}/end",
                             json={"effective_to": "2026-12-31", "reason": "again"}, headers=compliance),
                "effective_to")
        r = await c.post("/ewaybill-thresholds/999999/end", json={"effective_to": "2026-12-31", "reason": "x"},
                         headers=compliance)
        assert r.status_code == 404


async def test_an_open_ended_price_can_be_ended_so_a_new_price_can_follow(harness: ServiceHarness,
                                                                          issuer: LocalIssuer) -> None:
    svc = await harness.start(SALES, consumer=False, relay=False)
    head = token(issuer, "sales_head")
    items = [{"code": "PUMP-1", "name": "Pump", "hsn": "84137010", "unit": "NOS", "product_line": "pumps"}]
    async with svc.client() as c:
        assert (await c.post("/items", json=items, headers=head)).status_code == 201
        r = await c.post("/price-lists", json={"code": "STD", "name": "Standard", "entries": [
            {"item_code": "PUMP-1", "unit_price": "100.00", "valid_from": "2020-04-01"}]}, headers=head)
        assert r.status_code == 201, r.text
        newer = {"entries": [{"item_code": "PUMP-1", "unit_price": "110.00", "valid_from": "2026-04-01"}]}
        assert (await c.post("/price-lists/STD/prices", json=newer, headers=head)).status_code == 409
        end = {"item_code": "PUMP-1", "valid_from": "2020-04-01", "valid_to": "2026-03-31",
               "reason": "price revision 2026"}
        r = await c.post("/price-lists/STD/prices/end", json=end, headers=head)
        assert r.status_code == 200, r.text
        assert r.json()["valid_to"] == "2026-03-31" and r.json()["ended_by"] == "sales_head-1"
        refused(await c.post("/price-lists/STD/prices/end", json={**end, "valid_to": "2026-12-31"}, headers=head),
                "valid_to")
        assert (await c.post("/price-lists/STD/prices", json=newer, headers=head)).status_code == 201
        async with svc.runtime.sessions() as session:
            row = (await session.execute(sa.text(
                "SELECT ended_by, end_reason FROM price_entry WHERE valid_to = '2026-03-31'"))).one()
        assert tuple(row) == ("sales_head-1", "price revision 2026")
