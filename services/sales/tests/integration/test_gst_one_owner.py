"""GST rates have one owner and the place of supply is decided once (issue 16, docs/domain.md), through the APIs
on the real broker and databases: sales and invoicing run; dispatch's ShipmentReady is sent as dispatch would
send it, carrying the order's facts as sales published them.

- A rate entered through POST /gst-rates reaches invoicing and applies to invoices dated on or after its
  effective date, not before; a fresh invoicing database rebuilds its copy of the rates by replay.
- A shipment refused for want of a rate is invoiced once the sales head enters the rate, and the order page shows
  the exception closed.
- Quotation, order and invoice show the same tax split: intra-state, inter-state, bill-to/ship-to, SEZ and a
  Union Territory (CGST + UTGST); goods leaving from a warehouse in the buyer's state, not the head office's, are
  taxed on the released order as on the invoice (the quotation's estimate says which state it assumed).

Invoicing's clock is moved through `rt.extras["clock"]` to date an invoice another day (no sleeping, no row
editing)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from o2c.contracts.topics import GST_RATES_TOPIC, events_topic
from o2c.contracts.types import Quantity
from o2c.contracts.v1 import inventory, invoicing, sales
from o2c.contracts.v1.common import Address, ReservedLine, WarehouseAllocation
from o2c.contracts.v1.dispatch import ReadyLine, ShipmentReady, TransportDetails
from o2c.india.calendar import business_date
from o2c.india.gstin import gstin_check_character
from o2c.india.supply import TaxRegime
from o2c.invoicing.app import DEFINITION as INVOICING
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.testing import RunningService, ServiceHarness, bearer, wait_for
from o2c.sales.app import DEFINITION as SALES
from o2c.testsupport.sales.sales_support import approved, publish, read_topic, seed_catalog, tokens

pytestmark = pytest.mark.integration

D = Decimal
COMPANY_PAN = "AAACR5055K"


def gstin(state: str, pan: str) -> str:
    head = f"{state}{pan}1Z"
    return head + gstin_check_character(head)


def warehouse(state: str, pincode: str) -> Address:
    return Address(name=f"Ratan Pumps DC {state}", line1="Gala 4", place="DC", state_code=state, pincode=pincode,
                   gstin=gstin(state, COMPANY_PAN))


def address(address_id: str, state: str, pincode: str, gstin_: str | None, **extra: Any) -> dict[str, Any]:
    return {"address_id": address_id, "name": f"Buyer {address_id}", "line1": "1 Market Road", "place": "Town",
            "state_code": state, "pincode": pincode, "gstin": gstin_, **extra}


async def start(harness: ServiceHarness, issuer: LocalIssuer, supplier_state: str = "27"
                ) -> tuple[RunningService, RunningService, dict[str, dict[str, str]]]:
    svc = await harness.start(SALES, inventory_url="http://127.0.0.1:9", atp_timeout_seconds=0.2,
                              supplier_state_code=supplier_state)
    inv = await harness.start(INVOICING, irp_mode="off")
    tok = tokens(issuer)
    async with svc.client() as c:
        await seed_catalog(c, tok["head"])
    return svc, inv, tok


async def customer(svc: RunningService, tok: dict[str, dict[str, str]], category: str, pan: str,
                   addresses: list[dict[str, Any]]) -> str:
    async with svc.client() as c:
        r = await c.post("/customers", headers=tok["coord"], json={
            "code": f"C{uuid.uuid4().hex[:6].upper()}", "legal_name": f"Buyer {pan}", "pan": pan,
            "gst_category": category, "addresses": addresses, "payment_terms_days": 30, "price_list_code": "STD",
            "sales_owner": "asha", "requested_credit_limit": "500000.00"})
        assert r.status_code == 201, r.text
        customer_id = str(r.json()["customer_id"])
        r = await c.post(f"/customers/{customer_id}/approve", headers=tok["head"])
        assert r.status_code == 200, r.text
    return customer_id


async def quote_and_order(svc: RunningService, tok: dict[str, dict[str, str]], customer_id: str, ship_to: str
                          ) -> tuple[dict[str, Any], dict[str, Any]]:
    body = {"customer_id": customer_id, "ship_to_id": ship_to, "lines": [{"item_code": "PUMP-1", "quantity": "3"}]}
    async with svc.client() as c:
        q = await c.post("/quotations", headers=tok["coord"], json=body)
        assert q.status_code == 201, q.text
        o = await c.post("/orders", headers=tok["coord"], json=body)
        assert o.status_code == 201, o.text
    return q.json(), o.json()


async def confirmed(harness: ServiceHarness, order_id: str) -> sales.OrderConfirmed:
    async def found() -> sales.OrderConfirmed | None:
        return next((m for m in await read_topic(harness, events_topic("sales"), 400)
                     if isinstance(m, sales.OrderConfirmed) and m.order_id == order_id), None)

    return await wait_for(found, what=f"OrderConfirmed of {order_id}")


async def invoice(harness: ServiceHarness, order: sales.OrderConfirmed | sales.OrderReleased,
                  dispatch_from: Address | None = None) -> invoicing.InvoiceIssued | invoicing.InvoiceRefused:
    """Dispatch reports the whole order (or a release's first shipment, with the split sales decided for it)
    picked from `dispatch_from`; what invoicing makes of it."""
    shipment_id = f"shp-{uuid.uuid4().hex[:8]}"
    regime = None
    if isinstance(order, sales.OrderReleased):
        released = order.shipments[0]
        shipment_id, regime, dispatch_from = released.shipment_id, released.tax_regime, released.dispatch_from
        order_lines: list[Any] = list(released.lines)
    else:
        order_lines = list(order.lines)
    assert dispatch_from is not None
    lines = [ReadyLine(line_no=x.line_no, item_code=x.item_code, item_name=x.item_name, hsn=x.hsn,
                       quantity=x.quantity, released_quantity=Quantity(value=x.quantity.value, unit=x.quantity.unit),
                       unit_price=x.unit_price, discount=x.discount, gst_rate=x.gst_rate, cess_rate=x.cess_rate,
                       promised_date=x.promised_date) for x in order_lines]
    ready = ShipmentReady(
        order_id=order.order_id, order_no=order.order_no, shipment_id=shipment_id, shipment_no=shipment_id.upper(),
        pick_list_id=f"pl-{shipment_id}", warehouse_id=f"WH-{dispatch_from.state_code}",
        warehouse_gstin=dispatch_from.gstin or "", dispatch_from=dispatch_from, customer_id=order.customer_id,
        customer_name=order.customer_name, bill_to=order.bill_to, ship_to=order.ship_to,
        place_of_supply=order.place_of_supply, supply_type=order.supply_type,
        payment_terms_days=order.payment_terms_days, lines=lines,
        transport=TransportDetails(vehicle_no="MH12AB1234", distance_km=150), ready_at=datetime.now(UTC),
        tax_regime=regime)
    await publish(harness, ready, "dispatch")

    async def outcome() -> invoicing.InvoiceIssued | invoicing.InvoiceRefused | None:
        return next((m for m in await read_topic(harness, events_topic("invoicing"), 400)
                     if isinstance(m, invoicing.InvoiceIssued | invoicing.InvoiceRefused)
                     and m.shipment_id == shipment_id), None)

    return await wait_for(outcome, timeout=60, what=f"invoicing's answer to {shipment_id}")


def split(tax: dict[str, Any]) -> dict[str, Decimal]:
    return {k: D(tax[k]) for k in ("cgst", "sgst", "utgst", "igst")}


def invoice_split(issued: invoicing.InvoiceIssued) -> dict[str, Decimal]:
    t = issued.totals
    return {"cgst": t.cgst, "sgst": t.sgst, "utgst": t.utgst, "igst": t.igst}


async def replica(inv: RunningService, hsn_prefix: str) -> dict[date, Decimal]:
    async with inv.runtime.sessions() as session:
        rows = (await session.execute(sa.text("SELECT effective_from, gst_rate FROM hsn_rate WHERE hsn = :h"),
                                      {"h": hsn_prefix})).all()
    return {r.effective_from: D(r.gst_rate).normalize() for r in rows}


async def test_a_rate_entered_in_sales_applies_to_invoices_from_its_effective_date_and_a_fresh_replica_replays(
    harness: ServiceHarness, issuer: LocalIssuer,
) -> None:
    svc, inv, tok = await start(harness, issuer)
    today = business_date(datetime.now(UTC))
    tomorrow = today + timedelta(days=1)
    async with svc.client() as c:
        for rate, start_on in (("12", today), ("28", tomorrow)):  # pumps: 12 % from today, 28 % from tomorrow
            r = await c.post("/gst-rates", headers=tok["head"], json={
                "hsn_prefix": "841370", "rate": rate, "effective_from": start_on.isoformat()})
            assert r.status_code == 201, r.text
    expected = {today: D("12"), tomorrow: D("28")}
    await wait_for(lambda: _equal(replica(inv, "841370"), expected), what="the new rates in invoicing's replica")

    buyer = await customer(svc, tok, "registered", "AABCB5678D",
                           [address("main", "27", "400001", gstin("27", "AABCB5678D"))])
    quotation, order = await quote_and_order(svc, tok, buyer, "main")
    facts = await confirmed(harness, order["order_id"])
    assert quotation["lines"][0]["gst_rate"] == "12" and facts.lines[0].gst_rate == D("12")
    issued = await invoice(harness, facts, warehouse("27", "421302"))
    assert isinstance(issued, invoicing.InvoiceIssued), issued
    # Dated today: the rate in force from today applies, the one from tomorrow does not (yet).
    assert issued.invoice_date == today and issued.lines[0].gst_rate == D("12")
    assert invoice_split(issued) == split(order["totals"]["tax"]) == split(quotation["totals"]["tax"])
    # Invoiced tomorrow (invoicing's clock a day on): the rate in force from tomorrow applies.
    inv.runtime.extras["clock"] = lambda: datetime.now(UTC) + timedelta(days=1)
    later = await invoice(harness, facts, warehouse("27", "421302"))
    assert isinstance(later, invoicing.InvoiceIssued), later
    assert later.invoice_date == tomorrow and later.lines[0].gst_rate == D("28")
    assert later.totals.cgst == later.totals.sgst == (later.totals.taxable_value * D("0.14")).quantize(D("0.01"))

    # A fresh invoicing database (and consumer group) rebuilds the whole replica from the compacted topic: the
    # history sales' migration moved into its master, and the rates entered since.
    await inv.stop()
    harness.urls.pop(INVOICING.name)
    fresh = await harness.start(INVOICING, irp_mode="off", consumer_group=f"{harness.prefix}invoicing-fresh")
    await wait_for(lambda: _equal(replica(fresh, "841370"), expected), what="the rates replayed into a fresh replica")
    butter = {date(2017, 7, 1): D("12"), date(2025, 9, 22): D("5")}  # invoicing's old seed, now sales' history
    await wait_for(lambda: _equal(replica(fresh, "0405"), butter), what="the moved history replayed")


async def _equal(got: Any, expected: dict[date, Decimal]) -> bool:
    return bool(await got == expected)


CASES = [
    # (case, category, addresses, ship_to id, warehouse state/pincode, expected components)
    ("intra-state", "registered", [address("main", "27", "400001", gstin("27", "AABCI1111A"))], "main",
     ("27", "421302"), {"cgst", "sgst"}),
    ("inter-state", "registered", [address("main", "29", "560001", gstin("29", "AABCI2222B"))], "main",
     ("27", "421302"), {"igst"}),
    ("bill-to/ship-to", "registered",
     [address("main", "27", "400001", gstin("27", "AABCI3333C"), is_shipping=False),
      address("site", "24", "380001", None, is_billing=False, third_party=True)],
     "site", ("27", "421302"), {"cgst", "sgst"}),
    ("SEZ", "sez", [address("main", "27", "400001", gstin("27", "AABCS5555E"))], "main", ("27", "421302"),
     {"igst"}),
]


async def test_quotation_order_and_invoice_agree_on_the_tax_split(harness: ServiceHarness, issuer: LocalIssuer
                                                                   ) -> None:
    svc, _, tok = await start(harness, issuer)
    for case, category, addresses, ship_to, (state, pincode), components in CASES:
        buyer = await customer(svc, tok, category, addresses[0]["gstin"][2:12], addresses)
        quotation, order = await quote_and_order(svc, tok, buyer, ship_to)
        issued = await invoice(harness, await confirmed(harness, order["order_id"]), warehouse(state, pincode))
        assert isinstance(issued, invoicing.InvoiceIssued), (case, issued)
        shown = split(quotation["totals"]["tax"])
        assert shown == split(order["totals"]["tax"]) == invoice_split(issued), case
        assert {k for k, v in shown.items() if v} == components, case
        assert quotation["place_of_supply"] == order["place_of_supply"] == issued.place_of_supply, case


async def test_a_union_territory_supply_is_cgst_and_utgst_on_quotation_order_and_invoice(
    harness: ServiceHarness, issuer: LocalIssuer,
) -> None:
    svc, _, tok = await start(harness, issuer, supplier_state="04")  # a Chandigarh registration
    buyer = await customer(svc, tok, "registered", "AABCU6666F",
                           [address("main", "04", "160017", gstin("04", "AABCU6666F"))])
    quotation, order = await quote_and_order(svc, tok, buyer, "main")
    issued = await invoice(harness, await confirmed(harness, order["order_id"]), warehouse("04", "160017"))
    assert isinstance(issued, invoicing.InvoiceIssued), issued
    shown = split(quotation["totals"]["tax"])
    assert shown == split(order["totals"]["tax"]) == invoice_split(issued)
    assert {k for k, v in shown.items() if v} == {"cgst", "utgst"}


async def test_a_shipment_refused_for_want_of_a_rate_is_invoiced_once_the_rate_reaches_invoicing(
    harness: ServiceHarness, issuer: LocalIssuer,
) -> None:
    """Sales' master covers every chapter from 1 July 2017, so a line finds no rate only while invoicing's copy
    lacks it (a fresh database still replaying, a lagging rate consumer). Here invoicing first runs without its
    rate consumer: the shipment is refused, never taxed at the order's rate, and the order page shows why; when
    the rates reach invoicing the kept shipment is invoiced by itself and the page's exception closes."""
    svc = await harness.start(SALES, inventory_url="http://127.0.0.1:9", atp_timeout_seconds=0.2)
    tok = tokens(issuer)
    async with svc.client() as c:
        await seed_catalog(c, tok["head"])
    lagging = replace(INVOICING, subscribes_to=[t for t in INVOICING.subscribes_to if t != GST_RATES_TOPIC])
    inv = await harness.start(lagging, irp_mode="off")
    buyer = await customer(svc, tok, "registered", "AABCM7777G",
                           [address("main", "27", "400001", gstin("27", "AABCM7777G"))])
    body = {"customer_id": buyer, "ship_to_id": "main", "lines": [{"item_code": "MOTOR-9", "quantity": "2"}]}
    async with svc.client() as c:
        o = await c.post("/orders", headers=tok["coord"], json=body)
        assert o.status_code == 201, o.text
    order = o.json()
    refused = await invoice(harness, await confirmed(harness, order["order_id"]), warehouse("27", "421302"))
    assert isinstance(refused, invoicing.InvoiceRefused), refused
    assert refused.refusal is invoicing.InvoiceRefusal.NO_GST_RATE and "85015210" in refused.reason

    async def page_exception(open_: bool) -> dict[str, Any] | None:
        async with svc.client() as c:
            r = await c.get(f"/tracking/orders/{order['order_id']}", headers=tok["head"])
        found = [e for e in r.json()["exceptions"] if refused.shipment_id in e["key"]] if r.status_code == 200 else []
        return found[0] if found and found[0]["open"] is open_ else None

    shown = await wait_for(lambda: page_exception(True), what="the refusal on the order page")
    assert "POST /gst-rates" in shown["detail"]
    accountant = bearer(issuer, "accountant")
    async with inv.client() as c:  # the accountant sees it in invoicing, and asking now changes nothing yet
        listed = (await c.get("/refused-shipments", headers=accountant)).json()
        assert [(x["shipment_id"], x["refusal"]) for x in listed] == [(refused.shipment_id, "no_gst_rate")]
        r = await c.post(f"/refused-shipments/{refused.shipment_id}/invoice", headers=accountant)
        assert r.status_code == 409 and "85015210" in r.text, r.text

    # The same database, now with its rate consumer (a new group: a static member that rejoins keeps its old
    # assignment): the rates arrive, the message inbox keeps the shipment from being read as new.
    await inv.stop()
    await harness.start(INVOICING, irp_mode="off", consumer_group=f"{harness.prefix}invoicing-caught-up")

    async def issued() -> invoicing.InvoiceIssued | None:
        return next((m for m in await read_topic(harness, events_topic("invoicing"), 400)
                     if isinstance(m, invoicing.InvoiceIssued) and m.shipment_id == refused.shipment_id), None)

    done = await wait_for(issued, timeout=60, what="the refused shipment invoiced")
    assert done.lines[0].gst_rate == D("18") and invoice_split(done) == split(order["totals"]["tax"])
    await wait_for(lambda: page_exception(False), what="the order page's exception closed by the invoice")


async def test_goods_leaving_from_a_warehouse_in_the_buyers_state_are_taxed_so_on_order_and_invoice(
    harness: ServiceHarness, issuer: LocalIssuer,
) -> None:
    """A Maharashtra company's Ahmedabad warehouse serves a Gujarat buyer: the quotation, before any warehouse
    is chosen, estimates IGST from the head office's state (and says so); once inventory reserves the goods in
    Ahmedabad the released order and its invoice are CGST + SGST."""
    svc, _, tok = await start(harness, issuer)
    buyer = await customer(svc, tok, "registered", "AABCG8888H",
                           [address("main", "24", "380009", gstin("24", "AABCG8888H"))])
    quotation, order = await quote_and_order(svc, tok, buyer, "main")
    assert quotation["supplier_state"] == order["supplier_state"] == "27"
    assert {k for k, v in split(quotation["totals"]["tax"]).items() if v} == {"igst"}

    ahmedabad = warehouse("24", "382405")
    lines = [ReservedLine(line_no=x["line_no"], item_code=x["item_code"],
                          quantity=Quantity(value=D(x["ship_quantity"]), unit=x["unit"])) for x in order["lines"]]
    await publish(harness, inventory.StockReserved(order_id=order["order_id"], decided_at=datetime.now(UTC),
                                                   allocations=[WarehouseAllocation(
                                                       warehouse_id="WH-AMD", warehouse_gstin=ahmedabad.gstin or "",
                                                       dispatch_from=ahmedabad, lines=lines)]), "inventory")
    await publish(harness, approved(order), "credit")

    async def released() -> sales.OrderReleased | None:
        return next((m for m in await read_topic(harness, events_topic("sales"), 400)
                     if isinstance(m, sales.OrderReleased) and m.order_id == order["order_id"]), None)

    release = await wait_for(released, timeout=60, what="the order released from Ahmedabad")
    assert release.shipments[0].tax_regime is TaxRegime.CGST_SGST
    async with svc.client() as c:
        r = await c.get(f"/orders/{order['order_id']}", headers=tok["coord"])
    now_shown = r.json()
    assert [x["dispatch_state"] for x in now_shown["lines"]] == ["24"]
    issued = await invoice(harness, release)
    assert isinstance(issued, invoicing.InvoiceIssued), issued
    assert split(now_shown["totals"]["tax"]) == invoice_split(issued)
    assert {k for k, v in invoice_split(issued).items() if v} == {"cgst", "sgst"}
    assert D(now_shown["totals"]["gross_value"]) == D(quotation["totals"]["gross_value"])
