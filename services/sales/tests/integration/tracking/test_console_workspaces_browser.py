"""The role workspaces the finance and warehouse story does not reach, in a real browser (Debian's headless
Chromium driven by Playwright) against the seven services on real ports (real Kafka, PostgreSQL, Redis).

The story: a Pune buyer's order ships from Chakan (10 MCBs) and Bhiwandi (20 distribution boards); finance
sanctions it and the pickers confirm every line (both through the APIs; their screens have their own test).
The dispatch supervisor enters vehicle, driver, transporter and LR for both shipments in the console. The
portal's pincode directory puts Bhiwandi nearer to the buyer than ours does, so the Bhiwandi e-way bill is
rejected (702); the Chakan one is generated and the supervisor gates Chakan out from the console. A vehicle
change after gate-out "for other reasons" needs remarks (dispatch says so, naming the field); with them it
goes through, but the portal refuses the Part-B update (scripted in the sandbox), so the bill waits for a
Part-B update. The compliance officer sees the rejected bill, the one awaiting Part B and the valid ones;
she retries the rejection with the portal's distance and enters the Part-B update; the supervisor then gates
Bhiwandi out. The accountant sees both invoices with the IRN status invoicing holds, and a return credited
by a credit note. The SRE sees a malformed message dead-lettered by sales with the order it parks, replays
it (it fails again, and the console says so) and discards it. The dashboards chart the day's cycle time,
on-time rate and e-way bill rejections per warehouse.

Every value asserted on a screen is compared with what the owning service's API returns. Screenshots go to
docs/screenshots/ (workspace-dispatch, workspace-compliance, workspace-accountant, workspace-sre,
dashboards).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from o2c.contracts.envelope import Envelope
from o2c.contracts.topics import events_topic
from o2c.ewaybill.adapters.pincodes import pincode_distance
from o2c.ewaybill.domain.errors import PortalError
from o2c.kit.local_issuer import LocalIssuer
from o2c.kit.messaging.kafka_security import kafka_client_options
from o2c.kit.testing import ServiceHarness
from o2c.testsupport.sales.browser_support import (
    CHAIN,
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    WAREHOUSES,
    CspWatch,
    Stack,
    given_warehouses_items_and_a_customer,
    ist_today,
    login,
    running_stack,
)

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(900)]

BHIWANDI, BUYER = "421302", "411026"
PORTAL_KM = 100  # the portal's pincode distance Bhiwandi → the buyer (ours estimates about 141 km)


def portal_distance(from_pincode: str, to_pincode: str) -> int | None:
    if {from_pincode, to_pincode} == {BHIWANDI, BUYER}:
        return PORTAL_KM
    return pincode_distance(from_pincode, to_pincode)


@pytest.fixture(name="stack")
async def workspace_stack(harness: ServiceHarness, issuer: LocalIssuer, monkeypatch: pytest.MonkeyPatch
                          ) -> AsyncIterator[Stack]:
    async with running_stack(harness, issuer, monkeypatch, portal_distance=portal_distance) as s:
        yield s


def inr(value: Any) -> str:
    """₹ with Indian digit grouping and two decimals, as the console prints it (en-IN)."""
    whole, frac = f"{Decimal(value):.2f}".split(".")
    head, tail = whole[:-3], whole[-3:]
    groups = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    return "₹" + ",".join([*groups, tail]) + "." + frac


async def test_role_workspaces_in_a_browser(stack: Stack, harness: ServiceHarness) -> None:
    from playwright.async_api import async_playwright, expect

    s = stack
    customer_id, _ = await given_warehouses_items_and_a_customer(s)
    head = s.who("SH01", "sales_head")
    coordinator = s.who("SC01", "sales_coordinator", sales_owner="SC01")
    everyone = s.who("ALL", "sales_head", "finance_head", "dispatch_supervisor", "accountant", "compliance_officer",
                     "warehouse_coordinator", "sre", approval_limit="10000000", warehouse_ids=sorted(WAREHOUSES))
    supervisor_token = s.raw("DS01", "dispatch_supervisor", warehouse_ids=["PNQ", "BOM"])
    supervisor = {"Authorization": "Bearer " + supervisor_token}

    # Bhiwandi needs more boards than the shared stock (a bill above the e-way bill threshold from each).
    bom = s.who("WC-BOM", "warehouse_coordinator", warehouse_ids=["BOM"])
    key = uuid.uuid4().hex
    for suffix, path, body in (("r", "/stock/receipts", {"bin_code": "RCV-01"}),
                               ("p", "/stock/putaways", {"from_bin": "RCV-01", "to_bin": "B-01-01"})):
        await s.call("inventory", "POST", path, bom, expect=201, headers={"Idempotency-Key": f"{key}-{suffix}"},
                     json={"warehouse_id": "BOM", "item_code": "ELE-DB-8W-TPN", "quantity": "15",
                           "reference": "GRN-2", **body})

    # 10 MCB at Chakan (₹70,800 with GST) and 20 boards at Bhiwandi (₹70,800): over the ₹1,00,000 limit.
    quotation = await s.call("sales", "POST", "/quotations", coordinator, expect=201, json={
        "customer_id": customer_id, "ship_to_id": "BILL",
        "lines": [{"item_code": "ELE-MCB-4P-63A-C", "quantity": "10"}, {"item_code": "ELE-DB-8W-TPN",
                                                                       "quantity": "20"}]})
    order = await s.call("sales", "POST", f"/quotations/{quotation['quotation_id']}/orders", coordinator,
                         json={"customer_po_no": "PO/26-27/0102"}, headers={"Idempotency-Key": uuid.uuid4().hex},
                         expect=201)
    order_id = order["order_id"]

    async def sanction() -> dict[str, Any] | None:
        queue = await s.call("credit", "GET", "/sanctions", everyone)
        return next((x for x in queue if x["order"]["order_id"] == order_id), None)

    held = await s.until("the sanction request", sanction)
    await s.call("credit", "POST", f"/sanctions/{held['sanction_id']}/approve", everyone,
                 json={"note": "Sanctioned: advance received"})

    async def pick_list(warehouse: str) -> dict[str, Any] | None:
        who = s.who(f"PK-{warehouse}", "picker", warehouse_ids=[warehouse])
        lists = await s.call("dispatch", "GET", "/pick-lists", who, params={"status": "open"})
        return next((p for p in lists if p["order_id"] == order_id), None)

    shipments: dict[str, str] = {}
    for warehouse in ("PNQ", "BOM"):
        found = await s.until(f"the {warehouse} pick list", lambda w=warehouse: pick_list(w))
        shipments[warehouse] = found["shipment_id"]
        picker = s.who(f"PK-{warehouse}", "picker", warehouse_ids=[warehouse])
        for line in found["lines"]:
            await s.call("dispatch", "POST", f"/pick-lists/{found['pick_list_id']}/lines/{line['line_no']}/confirm",
                         picker, json={"picked": line["quantity"], "bin_code": line["bin_code"],
                                       "batch_no": line["batch_no"]})

    async def shipment(warehouse: str, pred: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        found: dict[str, Any] = await s.call("dispatch", "GET", f"/shipments/{shipments[warehouse]}", supervisor)
        return found if pred(found) else None

    for warehouse in ("PNQ", "BOM"):
        await s.until(f"the {warehouse} picks confirmed", lambda w=warehouse: shipment(
            w, lambda x: x["waiting_for"] == ["dispatch_details", "invoice", "ewaybill"]))

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = s.urls["sales"] + "/console/"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            csp = CspWatch()  # the console's CSP is on: any violation (inline script or style) fails the story
            ctx = await csp.watch(await browser.new_context(viewport={"width": 1280, "height": 900}))

            async def until_shown(page: Any, locator: Any, what: str) -> None:
                """Reload the workspace until `locator` shows (the workspaces are lists, not live pages)."""

                async def shown() -> bool:
                    if await locator.count():
                        return True
                    await page.reload()
                    await page.wait_for_selector("[data-testid^=workspace-]")
                    return bool(await locator.count())

                await s.until(what, shown)

            # --- dispatch supervisor: Part B for both shipments, in the console -------------------------
            desk = await login(ctx, base, supervisor_token, "#/work/dispatch")
            forms = desk.locator("[data-testid=vehicle-form]")
            pnq_form = forms.and_(desk.locator(f"[data-shipment='{shipments['PNQ']}']"))
            await expect(pnq_form).to_be_visible(timeout=CHAIN * 1000)
            await expect(pnq_form).to_contain_text(order["number"])
            await pnq_form.locator("[name=vehicle_no]").fill("mh 12 ab-4321")
            await pnq_form.locator("[name=driver_name]").fill("Balasaheb Shinde")
            await pnq_form.locator("[name=driver_phone]").fill("+91 90977 60055")
            await pnq_form.locator("[name=transporter_id]").fill("88AAFCD4512K1ZX")
            await pnq_form.locator("[name=transporter_name]").fill("Deccan Roadways Private Limited")
            await pnq_form.locator("[name=lr_no]").fill("DRW/245077")
            await pnq_form.locator("button[type=submit]").click()
            await expect(desk.locator("#toast")).to_contain_text("Dispatch details saved")
            await expect(pnq_form).to_have_count(0)
            details = (await s.call("dispatch", "GET", f"/shipments/{shipments['PNQ']}", supervisor))[
                "dispatch_details"]
            assert details == {
                "mode": "road", "vehicle_no": "MH12AB4321", "vehicle_type": "R", "driver_name": "Balasaheb Shinde",
                "driver_phone": "9097760055", "transporter_id": "88AAFCD4512K1ZX",
                "transporter_name": "Deccan Roadways Private Limited", "lr_no": "DRW/245077",
                "lr_date": ist_today().isoformat(), "distance_km": pincode_distance("410501", BUYER)}, details

            # An invalid mobile number is refused with dispatch's own reason, and nothing is saved.
            bom_form = desk.locator("[data-testid=vehicle-form]").and_(
                desk.locator(f"[data-shipment='{shipments['BOM']}']"))
            await bom_form.locator("[name=vehicle_no]").fill("MH04KL7788")
            await bom_form.locator("[name=driver_name]").fill("Ramesh Patil")
            await bom_form.locator("[name=driver_phone]").fill("12345")
            await bom_form.locator("button[type=submit]").click()
            await expect(desk.locator("#toast")).to_contain_text("driver_phone")
            assert (await s.call("dispatch", "GET", f"/shipments/{shipments['BOM']}", supervisor))[
                "dispatch_details"] is None
            await bom_form.locator("[name=driver_phone]").fill("9822012345")
            await bom_form.locator("button[type=submit]").click()
            await expect(desk.locator("#toast")).to_contain_text("Dispatch details saved")

            # Chakan: invoiced and e-way bill generated → ready for gate-out. Bhiwandi: the portal rejects.
            gate_row = desk.locator("[data-testid=queue-gate] [data-testid=shipment-row]").and_(
                desk.locator(f"[data-shipment='{shipments['PNQ']}']"))
            await until_shown(desk, gate_row, "Chakan ready for gate-out in the console")
            pnq = await shipment("PNQ", lambda x: True)
            assert pnq is not None
            await expect(gate_row.locator("[data-field=vehicle]")).to_have_text("MH12AB4321")
            await expect(gate_row.locator("[data-field=invoice]")).to_have_text(pnq["invoice"]["invoice_no"])
            await expect(gate_row.locator("[data-field=ewaybill]")).to_contain_text(pnq["ewaybill"]["ewaybill_no"])
            bom_row = desk.locator("[data-testid=queue-documents] [data-testid=shipment-row]").and_(
                desk.locator(f"[data-shipment='{shipments['BOM']}']"))
            await s.until("the Bhiwandi e-way bill rejected", lambda: shipment(
                "BOM", lambda x: bool(x["ewaybill_rejection"])))
            await until_shown(desk, bom_row.filter(has_text="702"), "the rejection in the documents queue")
            await expect(bom_row).to_contain_text("ewaybill")
            await desk.screenshot(path=str(SCREENSHOTS / "workspace-dispatch.png"), full_page=True)
            await gate_row.locator("button[data-gate]").click()
            await expect(desk.locator("#toast")).to_contain_text("Gated out")
            await expect(gate_row).to_have_count(0)
            gone = await s.call("dispatch", "GET", f"/shipments/{shipments['PNQ']}", supervisor)
            assert (gone["status"], gone["dispatched_by"]) == ("dispatched", "DS01")

            # After gate-out the goods change vehicle "for other reasons": without remarks dispatch refuses, naming
            # the field; with them the change stands, and the portal refuses the Part-B update (scripted).
            change = {"vehicle_no": "MH14XY2468", "driver_name": "Sunil Jadhav", "driver_phone": "9890012345",
                      "reason": "others", "from_place": "Khed Shivapur", "from_state_code": "27"}
            problem = await s.call("dispatch", "POST", f"/shipments/{shipments['PNQ']}/vehicle", supervisor,
                                   json=change, expect=422)
            assert "remarks" in json.dumps(problem), problem
            s.portal.scripted_refusals["VEHEWB"] = [PortalError(
                "sandbox", "Part-B update refused by the sandbox on the test's request (a scripted portal refusal)")]
            await s.call("dispatch", "POST", f"/shipments/{shipments['PNQ']}/vehicle", supervisor, json={
                **change, "remarks": "load shifted to a second truck at the toll plaza"})

            async def bill(warehouse: str, pred: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
                found = await s.call("ewaybill", "GET", "/ewaybills", everyone,
                                     params={"shipment_id": shipments[warehouse]})
                return found[0] if found and pred(found[0]) else None

            refused = await s.until("the refused Part-B update", lambda: bill("PNQ", lambda b: bool(
                b["last_refusal"])))
            rejected = await s.until("the rejected bill", lambda: bill("BOM", lambda b: b["status"] == "rejected"))
            assert rejected["rejection"]["code"] == "702", rejected

            # --- compliance officer ---------------------------------------------------------------
            compliance = await login(ctx, base, s.raw("CO01", "compliance_officer"), "#/work/compliance")

            def ewb(page: Any, kind: str, ident: str) -> Any:
                return page.locator(f"[data-testid=ewb][data-list={kind}][data-ewaybill='{ident}']")

            rejected_row = ewb(compliance, "rejected", rejected["id"])
            await expect(rejected_row).to_be_visible(timeout=30000)
            await expect(rejected_row.locator("[data-field=rejection]")).to_contain_text(
                f"702: {rejected['rejection']['message']}")
            await expect(rejected_row.locator("[data-field=invoice-no]")).to_have_text(rejected["invoice_no"])
            await expect(rejected_row.locator("[data-field=order]")).to_have_text(order["number"])
            partb_row = ewb(compliance, "partb", refused["id"])
            await expect(partb_row.locator("[data-field=refusal]")).to_have_text(refused["last_refusal"])
            valid_row = ewb(compliance, "valid", refused["id"])
            await expect(valid_row.locator("[data-field=ebn]")).to_have_text(refused["ewaybill_no"])
            assert datetime.fromisoformat(await valid_row.get_attribute("data-valid-until")) == datetime.fromisoformat(
                refused["valid_until"])
            expiring = await s.call("ewaybill", "GET", "/ewaybills/expiring", everyone, params={"within_hours": 24})
            shown = await compliance.locator("[data-testid=ewb][data-list=expiring]").evaluate_all(
                "rows => rows.map(r => r.dataset.ewaybill)")
            assert sorted(shown) == sorted(b["id"] for b in expiring)
            await compliance.screenshot(path=str(SCREENSHOTS / "workspace-compliance.png"), full_page=True)

            await rejected_row.locator("[name=distance_km]").fill(str(PORTAL_KM))
            await rejected_row.locator("button[type=submit]").click()
            await expect(compliance.locator("#toast")).to_contain_text("generated")
            regenerated = await bill("BOM", lambda b: b["status"] == "generated")
            assert regenerated is not None and regenerated["distance_km"] == PORTAL_KM
            await expect(ewb(compliance, "valid", rejected["id"]).locator("[data-field=ebn]")).to_have_text(
                regenerated["ewaybill_no"])
            await expect(ewb(compliance, "rejected", rejected["id"])).to_have_count(0)

            partb_row = ewb(compliance, "partb", refused["id"])
            await partb_row.locator("[name=vehicle_no]").fill("MH14XY2468")
            await partb_row.locator("[name=from_place]").fill("Khed Shivapur")
            await partb_row.locator("[name=from_state_code]").fill("27")
            await partb_row.locator("[name=reason]").select_option("breakdown")
            await partb_row.locator("[name=remarks]").fill("Transferred after a breakdown")
            await partb_row.locator("button[type=submit]").click()
            await expect(compliance.locator("#toast")).to_contain_text("Part B updated")
            await expect(ewb(compliance, "partb", refused["id"])).to_have_count(0)
            updated = await bill("PNQ", lambda b: True)
            assert updated is not None and updated["last_refusal"] is None
            assert updated["transport"]["vehicle_no"] == "MH14XY2468"
            assert [m["vehicle_no"] for m in updated["vehicle_movements"]] == ["MH12AB4321", "MH14XY2468"]
            await expect(ewb(compliance, "valid", refused["id"]).locator("[data-field=vehicle]")).to_have_text(
                "MH14XY2468")

            # --- the supervisor gates Bhiwandi out once its bill exists ----------------------------
            await desk.reload()
            bom_gate = desk.locator("[data-testid=queue-gate] [data-testid=shipment-row]").and_(
                desk.locator(f"[data-shipment='{shipments['BOM']}']"))
            await until_shown(desk, bom_gate, "Bhiwandi ready for gate-out")
            await expect(bom_gate.locator("[data-field=ewaybill]")).to_contain_text(regenerated["ewaybill_no"])
            await bom_gate.locator("button[data-gate]").click()
            await expect(desk.locator("#toast")).to_contain_text("Gated out")
            assert (await s.call("dispatch", "GET", f"/shipments/{shipments['BOM']}", supervisor))[
                "status"] == "dispatched"

            # --- accountant: invoices with the IRN status invoicing holds; a return and its credit note ---
            invoices = await s.until("both invoices with a settled IRN status", lambda: _invoices(s, everyone,
                                                                                                  order_id))
            pnq_invoice = next(i for i in invoices if i["shipment_id"] == shipments["PNQ"])
            line = pnq_invoice["lines"][0]
            authorised = await s.call("sales", "POST", "/returns", coordinator, expect=201, json={
                "order_id": order_id, "invoice_id": pnq_invoice["invoice_id"], "warehouse_id": "PNQ",
                "lines": [{"invoice_line_no": line["line_no"], "line_no": line["order_line_no"] or 1,
                           "quantity": "1", "reason": "excess_supply"}]})
            wc_pnq = s.who("WC-PNQ", "warehouse_coordinator", warehouse_ids=["PNQ"])

            async def received() -> bool:
                async with s.services["inventory"].client(**wc_pnq) as c:
                    r = await c.post(f"/returns/{authorised['return_id']}/receipts", json={"lines": [
                        {"invoice_line_no": line["line_no"], "quantity": "1", "condition": "saleable",
                         "bin_code": "A-01-01"}]})
                assert r.status_code in (201, 404), r.text
                return r.status_code == 201

            await s.until("inventory to receive the return", received)

            async def credited() -> list[dict[str, Any]] | None:
                found: list[dict[str, Any]] = await s.call("invoicing", "GET", "/returns", everyone,
                                                           params={"invoice_id": pnq_invoice["invoice_id"]})
                return found if found and all(r["credit_note_id"] for r in found) else None

            (credited_return,) = await s.until("the credit note", credited)
            note = await s.call("invoicing", "GET", f"/credit-notes/{credited_return['credit_note_id']}", everyone)
            await s.until("the dispatches on the tracking page", lambda: _tracked_invoices(s, head, order_id, 2))

            accountant = await login(ctx, base, s.raw("AC01", "accountant"), "#/work/accountant")
            for invoice in invoices:
                row = accountant.locator(f"[data-testid=invoice][data-invoice='{invoice['invoice_id']}']")
                await expect(row.locator("[data-field=invoice-no]")).to_have_text(invoice["invoice_no"],
                                                                                  timeout=30000)
                await expect(row.locator("[data-field=total]")).to_have_text(inr(invoice["totals"]["grand_total"]))
                await expect(row.locator("[data-field=irn-status]")).to_have_text(
                    invoice["irn_status"].replace("_", " "))
                await expect(row.locator("[data-field=ack-no]")).to_have_text(
                    invoice["irn"]["ack_no"] if invoice["irn"] else "—")
            returned = accountant.locator(f"[data-testid=return][data-return='{credited_return['return_id']}']")
            await expect(returned.locator("[data-field=credit-note]")).to_have_text(note["credit_note_no"])
            await expect(returned.locator("[data-field=amount]")).to_have_text(inr(note["totals"]["grand_total"]))
            await expect(returned.locator("[data-field=status]")).to_have_text(
                credited_return["status"].replace("_", " "))
            rejections = [i for i in invoices if i["irn_status"] == "rejected"]
            await expect(accountant.locator("[data-testid=irn-rejection]")).to_have_count(len(rejections))
            await accountant.screenshot(path=str(SCREENSHOTS / "workspace-accountant.png"), full_page=True)

            # --- SRE: a malformed message dead-lettered by sales, replayed (fails again), discarded -----
            drill = f"ord-sre-{uuid.uuid4().hex[:8]}"
            bad = Envelope(type="CustomerNotified", version=1, producer="notify", key=drill, correlation_id=drill,
                           payload={"order_id": drill, "channel": 42})
            producer = AIOKafkaProducer(bootstrap_servers=harness.bootstrap, **kafka_client_options())
            await producer.start()
            try:
                await producer.send_and_wait(harness.prefix + events_topic("notify"), bad.to_bytes(),
                                             key=drill.encode(), headers=[("o2c-type", b"CustomerNotified")])
            finally:
                await producer.stop()
            sre_token = s.raw("SRE01", "sre")
            sre = {"Authorization": "Bearer " + sre_token}

            async def dead_letter() -> dict[str, Any] | None:
                found = await s.call("sales", "GET", "/admin/dead-letters", sre, params={"status": "open"})
                return next((d for d in found if d["key"] == drill), None)

            letter = await s.until("the dead letter in sales", dead_letter)
            ops = await login(ctx, base, sre_token, "#/work/sre")
            row = ops.locator(f"[data-testid=dead-letter][data-service=sales][data-id='{letter['id']}']")
            await expect(row).to_be_visible(timeout=30000)
            await expect(row.locator("[data-field=key]")).to_have_text(drill)
            await expect(row.locator("[data-field=reason]")).to_have_text(letter["reason"])
            saga = ops.locator(f"[data-testid=saga][data-order='{drill}']")
            await expect(saga.locator("[data-field=status]")).to_have_text("parked")
            for service in ("sales", "credit", "inventory", "dispatch", "invoicing", "ewaybill", "notify"):
                state = await s.call(service, "GET", "/admin/messaging", sre)
                cells = ops.locator(f"[data-testid=service-state][data-service={service}]")
                await expect(cells.locator("[data-field=running]")).to_have_text(
                    "yes" if state["consumer"]["running"] else "no")
                await expect(cells.locator("[data-field=relay-leader]")).to_have_text(
                    "yes" if state["relay_leader"] else "no")
                # Lag is a live figure: the page shows the consumer's total, a whole number of records.
                assert isinstance(state["consumer"]["lag_total"], int)
                await expect(cells.locator("[data-field=lag]")).to_have_text(re.compile(r"^\d+$"))
                if service == "sales":
                    assert state["consumer"]["dead_lettered"] >= 1
                    await expect(cells.locator("[data-field=dead-lettered]")).to_have_text(
                        str(state["consumer"]["dead_lettered"]))
                    await expect(cells.locator("[data-field=open]")).to_have_text("1")
            await ops.screenshot(path=str(SCREENSHOTS / "workspace-sre.png"), full_page=True)

            await row.locator("button[data-replay]").click()
            await expect(ops.locator("#toast")).to_contain_text("Replay failed")
            await expect(row).to_be_visible()
            assert (await dead_letter()) is not None  # still open: the message cannot be read
            await row.locator("[data-discard-reason]").fill("malformed test message from the SRE drill")
            await row.locator("button[data-discard]").click()
            await expect(ops.locator("#toast")).to_contain_text("Discard")
            await expect(row).to_have_count(0)
            await expect(saga).to_have_count(0)
            assert await dead_letter() is None
            resolved = await s.call("sales", "GET", "/admin/dead-letters", sre, params={"status": ""})
            mine = next(d for d in resolved if d["id"] == letter["id"])
            assert (mine["status"], mine["resolved_by"]) == ("discarded", "SRE01"), mine

            # --- dashboards: the day's figures per warehouse -----------------------------------------
            figures = await s.until("both dispatches on the dashboards", lambda: _figures(s, head))
            boss = await login(ctx, base, s.raw("SH01", "sales_head"), "#/work/dashboards")
            today = ist_today().isoformat()
            cycle = boss.locator("[data-testid=chart][data-chart=cycle]")
            await expect(cycle.locator(f"[data-testid=bar][data-key='{today}']")).to_have_count(1, timeout=30000)
            for r in figures["order_to_dispatch_hours"]:
                wh = cycle.locator(f"[data-testid=per-warehouse] tr[data-warehouse={r['warehouse_id']}]")
                await expect(wh.locator("[data-field=weight]")).to_have_text(str(r["shipments"]))
                assert abs(float(await wh.get_attribute("data-value")) - r["avg"]) < 0.01
            on_time = boss.locator("[data-testid=chart][data-chart=on-time]")
            for r in figures["on_time_dispatch"]:
                wh = on_time.locator(f"[data-testid=per-warehouse] tr[data-warehouse={r['warehouse_id']}]")
                await expect(wh.locator("[data-field=value]")).to_have_text(f"{round(r['rate'] * 100)}%")
            rejections_chart = boss.locator("[data-testid=chart][data-chart=ewb-rejections]")
            (bom_rejections,) = [r for r in figures["ewaybill_rejections"] if r["warehouse_id"] == "BOM"]
            await expect(rejections_chart.locator("[data-testid=per-warehouse] tr[data-warehouse=BOM] "
                                                  "[data-field=value]")).to_have_text(
                str(bom_rejections["rejections"]))
            credit_chart = boss.locator("[data-testid=chart][data-chart=credit]")
            await expect(credit_chart.locator("[data-testid=bar]")).to_have_count(
                len(figures["credit_decision_hours"]))
            await boss.screenshot(path=str(SCREENSHOTS / "dashboards.png"), full_page=True)
            # One warehouse at a time: the Bhiwandi view shows only Bhiwandi.
            await boss.fill("input[name=warehouse]", "BOM")
            await boss.click("#dash button")
            await expect(cycle.locator("[data-testid=per-warehouse] tr[data-warehouse]")).to_have_count(1)
            await expect(cycle.locator("[data-testid=per-warehouse] tr[data-warehouse=BOM]")).to_have_count(1)
            # Bars get their height through the DOM (the CSP refuses inline style attributes).
            assert await cycle.locator("[data-testid=bar]").first.evaluate("b => b.style.height") != ""
            csp.assert_clean()
        finally:
            await browser.close()
    print(f"\nworkspaces browser story: order {order['number']}, shipments {shipments}; screenshots in {SCREENSHOTS}")


async def _invoices(s: Stack, who: dict[str, str], order_id: str) -> list[dict[str, Any]] | None:
    found: list[dict[str, Any]] = await s.call("invoicing", "GET", "/invoices", who, params={"order_id": order_id})
    settled = len(found) == 2 and all(i["irn_status"] not in ("pending", "registering") for i in found)
    return found if settled else None


async def _tracked_invoices(s: Stack, who: dict[str, str], order_id: str, n: int) -> bool:
    view = await s.call("sales", "GET", f"/tracking/orders/{order_id}", who)
    return sum(1 for x in view["shipments"] if x["invoice"] and x["status"] == "dispatched") == n


async def _figures(s: Stack, who: dict[str, str]) -> dict[str, Any] | None:
    figures: dict[str, Any] = await s.call("sales", "GET", "/tracking/dashboards", who)
    warehouses = {r["warehouse_id"] for r in figures["order_to_dispatch_hours"]}
    return figures if warehouses == {"PNQ", "BOM"} and figures["ewaybill_rejections"] else None

