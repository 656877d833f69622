"""The order script, played as the people would: quotation → order → credit (the finance head decides the
held ones) → reservation → picking line by line (with the scripted short picks) → dispatch details → invoice
and e-way bill → gate-out → the customer told → payment.

Orders are placed one after another (so their numbers follow the script), then each is followed through the
chain concurrently. Every wait polls a GET API with a deadline and says what it waited for.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from o2c.india.rupees import format_inr

from driver.api import JOURNEY, Refused, Unavailable
from driver.context import Ctx
from driver.report import short

SHORT_REASONS = {"count_mismatch": "bin_short", "not_found_in_bin": "bin_short", "damaged_in_bin": "damaged"}
RELEASED = {"released", "partially_released", "backordered", "cancelled", "closed"}
TIMEOUT = 120.0  # one hop of the chain; generous because a loaded two-core machine takes minutes at worst


def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def rupees(value: Any) -> str:
    """An API's amount (a decimal string) as people read it; anything else as it came."""
    try:
        return format_inr(Decimal(str(value)))
    except ArithmeticError:
        return str(value)


class OrderPlay:
    """One scripted order's way through the chain; `trail` keeps the ids the services gave (state file)."""

    def __init__(self, ctx: Ctx, script: dict[str, Any]) -> None:
        self.ctx, self.script = ctx, script
        self.sid = script["script_id"]
        self.prefix = f"[{self.sid}]"
        self.trail: dict[str, Any] = ctx.state.section("orders").setdefault(self.sid, {})
        # One trace per order, kept across runs of the demo (the state file): `make demo` prints it.
        self.trace_id: str = self.trail.setdefault("trace_id", secrets.token_hex(16))
        self.customer = ctx.customer(script["customer_id"])
        self.coordinator = self.customer["sales_owner"]
        self.reached: list[str] = []
        self.shorted = False
        self.undo = False
        """Cancel after invoicing instead of gating out (the demo's undo story)."""
        self.undo_story: list[str] = []

    # --- helpers ---------------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        self.ctx.report.line(text, self.prefix)

    async def wait(self, what: str, probe: Any, timeout: float = TIMEOUT) -> Any:
        found = await self.ctx.report.wait(what, probe, timeout=timeout, prefix=self.prefix)
        if not found:
            await self.explain()
        return found

    async def explain(self) -> None:
        """After a wait ran out: what did the services dead-letter for this order? (as SRE would look)"""
        if not self.order_id:
            return
        seen = self.trail.setdefault("dead_letters_seen", [])
        for service in self.ctx.api.services:
            try:
                found = (await self.ctx.api.get(service, "/admin/dead-letters", who="sre",
                                                params={"status": "open", "limit": 500})).json()
            except (Unavailable, Refused):
                continue
            for letter in found:
                ident = f"{service}:{letter.get('id')}"
                if letter.get("key") != self.order_id or ident in seen:
                    continue
                seen.append(ident)
                reason = " ".join(str(letter.get("reason", "")).split())
                text = (f"{service} dead-lettered {letter.get('type')} for this order: {short(reason, 150)} "
                        f"(GET :{self.ctx.api.services[service].base_url.rsplit(':', 1)[1]}/admin/dead-letters)")
                self.say(text)
                self.ctx.report.failures.append(f"{self.prefix} {service} dead-lettered {letter.get('type')}: "
                                                f"{short(reason, 110)}")

    @property
    def order_id(self) -> str | None:
        found = self.trail.get("order_id")
        return found if isinstance(found, str) else None

    async def order(self) -> dict[str, Any]:
        response = await self.ctx.api.get("sales", f"/orders/{self.order_id}", who=self.coordinator,
                                          template="/orders/{order_id}")
        body: dict[str, Any] = response.json()
        return body

    # --- 1. quotation and order ------------------------------------------------------------------------

    async def place(self) -> bool:
        ctx, api, s = self.ctx, self.ctx.api, self.script
        customer_id = ctx.customer_id(s["customer_id"])
        if customer_id is None:
            self.say(f"step quotation: no sales id for customer {self.customer['code']} (the customer step did "
                     "not create it) — order skipped")
            return False
        if self.order_id:
            existing = await api.get("sales", f"/orders/{self.order_id}", who=self.coordinator,
                                     template="/orders/{order_id}", accept=(404,))
            if existing.status_code == 200:
                body = existing.json()
                self.say(f"order {body['number']} exists from an earlier run ({body['status']}); following it")
                self.reached.append("order")
                return True
        with ctx.report.step("quotation", self.prefix) as outcome:
            lines = [{"item_code": ln["item_code"], "quantity": ln["quantity"]} for ln in s["lines"]]
            quotation = (await api.call("sales", "POST", "/quotations", who=self.coordinator, json={
                "customer_id": customer_id, "ship_to_id": s["ship_to_address_id"], "lines": lines})).json()
            self.trail["quotation_id"] = quotation["quotation_id"]
            atp_known = sum(1 for ln in quotation["lines"] if ln.get("atp") is not None)
            atp_text = (f"ATP per warehouse on {atp_known}/{len(lines)} lines" if atp_known else
                        "ATP unknown (inventory did not answer sales in time; promise by lead time)")
            schemes = sorted({ln["scheme_code"] for ln in quotation["lines"] if ln.get("scheme_code")})
            self.say(f"quotation {quotation['number']} by {ctx.name(self.coordinator)} for "
                     f"{self.customer['trade_name'] or self.customer['legal_name']} ({self.customer['code']}): "
                     f"{len(lines)} lines, taxable {rupees(quotation['totals']['taxable_value'])}, gross "
                     f"{rupees(quotation['totals']['gross_value'])}, place of supply {quotation['place_of_supply']}"
                     f"{', schemes ' + ', '.join(schemes) if schemes else ''}; {atp_text}; "
                     f"valid until {quotation['valid_until']}")
        if not outcome.ok:
            return False
        self.reached.append("quotation")
        with ctx.report.step("order", self.prefix) as outcome:
            placer = self.coordinator
            if s["channel"] == "partner":
                placer = s["placed_by"]  # the EDI gateway converts with a partner token
            elif s["channel"] == "sales_coordinator":
                placer = s["placed_by"]
            made = await api.call("sales", "POST", f"/quotations/{self.trail['quotation_id']}/orders", who=placer,
                                  template="/quotations/{quotation_id}/orders",
                                  json={"customer_po_no": s["customer_po"]},
                                  headers={"Idempotency-Key": f"demo-{self.sid}"})
            order = made.json()
            self.trail["order_id"] = order["order_id"]
            via = {"customer_portal": " (a customer-portal order: sales takes it from the portal request)",
                   "partner": " (EDI partner)"}.get(s["channel"], "")
            self.say(f"order {order['number']} {'confirmed' if made.status_code == 201 else 'found by its key'} "
                     f"— converted by {ctx.name(placer)}{via}, PO {s['customer_po']}, Idempotency-Key "
                     f"demo-{self.sid}, gross {rupees(order['totals']['gross_value'])}")
        ctx.state.save()
        if outcome.ok:
            self.reached.append("order")
        return outcome.ok

    # --- 2. credit ----------------------------------------------------------------------------------------

    async def credit(self) -> str | None:
        ctx, api, s = self.ctx, self.ctx.api, self.script

        async def decided() -> str | None:
            saga = (await self.order()).get("saga") or {}
            rounds = saga.get("rounds") or []
            outcome = rounds[0]["credit"] if rounds else None
            return outcome if outcome and outcome != "pending" else None

        outcome = None
        with ctx.report.step("credit decision", self.prefix):
            if not ctx.api.services["credit"].ready:
                raise Unavailable("credit", ctx.api.services["credit"].reason)
            outcome = await self.wait("the automatic credit decision (OrderConfirmed → credit)", decided)
            if outcome is None:
                return None
            if outcome in {"sanctioned", "rejected", "expired"}:
                self.say(f"credit: {outcome} (decided on the finance head's sanction request earlier)")
                self.reached.append("credit")
                return str(outcome)
            if outcome != "held":
                self.say(f"credit: {outcome} within the limit" + (" — the script expected a hold"
                                                                  if s["credit"]["expect_hold"] else ""))
                self.reached.append("credit")
                return str(outcome)
            head = ctx.person("finance_head")
            api.need("credit", "GET", "/sanctions")

            async def sanction() -> dict[str, Any] | None:
                queue = (await api.get("credit", "/sanctions", who=head, params={"status": "pending"})).json()
                return next((x for x in queue if x["order"]["order_id"] == self.order_id), None)

            request = await self.wait("the sanction request in the finance head's queue", sanction)
            if request is None:
                return "held"
            reasons = "; ".join(r["explanation"] or r["reason"] for r in request["reasons"])
            self.say(f"credit held: {short(reasons, 140)} — exposure with order "
                     f"{rupees(request['exposure']['with_order'])} vs limit {rupees(request['credit_limit'])}")
            decision = s["credit"]["decision"] or "approve"
            note = s["credit"]["note"] or ("sanctioned by the demo's finance head (a hold the script did not plan)"
                                           if not s["credit"]["expect_hold"] else "sanctioned")
            path = f"/sanctions/{request['sanction_id']}/{decision}"
            await api.call("credit", "POST", path, who=head, json={"note": note},
                           template=f"/sanctions/{{sanction_id}}/{decision}")
            self.say(f"{ctx.name(head)} {'sanctioned' if decision == 'approve' else 'rejected'} it: {short(note, 100)}")
            outcome = await self.wait("the coordinator to see the finance head's decision",
                                      lambda: _not_in(decided, {"held"}))
            self.reached.append("credit")
        return str(outcome) if outcome else None

    # --- 3. release and reservations -------------------------------------------------------------------

    async def released(self) -> dict[str, Any] | None:
        async def status() -> dict[str, Any] | None:
            order = await self.order()
            holding = (order.get("saga") or {}).get("status") == "holding"
            return order if order["status"] in RELEASED or holding else None

        order: dict[str, Any] | None = None
        with self.ctx.report.step("release", self.prefix):
            order = await self.wait("credit and stock to clear and the order to be released", status, timeout=150)
            if order is None:
                return None
            saga = order.get("saga") or {}
            if saga.get("status") == "holding":
                self.say(f"order {order['number']} is held whole for a ship-complete customer: part of it is not "
                         f"reserved yet (the coordinator waits up to its hold period, then backorders); "
                         f"next check {saga.get('next_check_at')}")
                self.reached.append("release (held)")
                return order
            ships = ", ".join(f"{x['warehouse_id']} ({len(x['lines'])} lines)" for x in saga.get("shipments", []))
            back = ", ".join(f"line {b['line_no']} × {b['quantity']}" + (f" by {b['expected_date']}"
                                                                        if b.get("expected_date") else "")
                             for b in saga.get("backorder", []))
            self.say(f"order {order['number']} {order['status']}"
                     + (f" ({order['status_reason']})" if order.get("status_reason") else "")
                     + (f": shipments {ships}" if ships else "") + (f"; backordered {back}" if back else ""))
            self.reached.append("release")
        with self.ctx.report.step("reservations", self.prefix):
            rows = (await self.ctx.api.get("inventory", "/reservations", who=self.coordinator,
                                           params={"order_id": self.order_id})).json()
            per: dict[str, Decimal] = {}
            for r in rows:
                per[r["warehouse_id"]] = per.get(r["warehouse_id"], Decimal(0)) + Decimal(r["reserved"])
            if rows:
                self.say("reserved " + ", ".join(f"{w}: {q.normalize():f} units" for w, q in sorted(per.items()))
                         + f" over {len(rows)} line×warehouse rows")
        return order

    # --- 4. picking, dispatch details, documents, gate ---------------------------------------------------

    async def shipment(self, shipment_id: str, warehouse_id: str) -> dict[str, Any] | None:
        ctx, api = self.ctx, self.ctx.api
        supervisor = ctx.person("dispatch_supervisor", warehouse_id)
        picker = ctx.person("picker", warehouse_id)
        tag = f"shipment {warehouse_id}"

        async def get_shipment() -> dict[str, Any] | None:
            found = await api.get("dispatch", f"/shipments/{shipment_id}", who=supervisor,
                                  template="/shipments/{shipment_id}", accept=(404,))
            return found.json() if found.status_code == 200 else None

        step = ctx.report.step
        shipment: dict[str, Any] | None
        with step("pick list", self.prefix) as ok:
            shipment = await self.ctx.report.wait(
                f"the pick list of the {warehouse_id} shipment (OrderReleased → dispatch)", get_shipment,
                timeout=TIMEOUT, prefix=self.prefix)
        if not ok.ok or shipment is None:
            return None
        with step("picking", self.prefix) as ok:
            await self.pick(shipment, picker)
            shipment = await self.ctx.report.wait(
                f"every pick line of {shipment['pick_list_no']} confirmed", lambda: _ready(get_shipment,
                                                                                          "pick_confirmation"),
                timeout=TIMEOUT, prefix=self.prefix)
        if not ok.ok or shipment is None:
            return None
        self.reached.append("picking")
        for line in shipment.get("lines", []):
            if Decimal(line.get("backordered") or 0) > 0:
                self.say(f"{tag} ships short: line {line['order_line_no']} {line['item_code']} picked "
                         f"{line['picked']}, backordered {line['backordered']}")
        with step("dispatch details", self.prefix) as ok:
            await self.dispatch_details(shipment, supervisor)
        if not ok.ok:
            return None
        self.reached.append("dispatch details")
        with step("invoice", self.prefix) as ok:
            shipment = await self.wait(f"the tax invoice for {tag} (ShipmentReady → invoicing)",
                                       lambda: _ready(get_shipment, "invoice"))
        if not ok.ok or shipment is None or not shipment.get("invoice"):
            return None
        inv = shipment["invoice"]
        self.say(f"invoice {inv['invoice_no']} dated {inv['invoice_date']} for {rupees(inv['value'])}")
        self.reached.append("invoice")
        with step("e-way bill", self.prefix) as ok:
            shipment = await self.wait(f"the e-way bill verdict for {inv['invoice_no']} (InvoiceIssued → ewaybill)",
                                       lambda: _ready(get_shipment, "ewaybill"))
        if not ok.ok or shipment is None:
            return None
        if shipment.get("ewaybill_rejection"):
            self.say(f"e-way bill REJECTED: {shipment['ewaybill_rejection']} — the gate stays closed")
            self.ctx.report.failures.append(f"{self.prefix} e-way bill rejected: {shipment['ewaybill_rejection']}")
            return shipment
        if shipment.get("ewaybill"):
            ewb = shipment["ewaybill"]
            self.say(f"e-way bill {ewb['ewaybill_no']} valid until {ewb['valid_until']}")
        else:
            self.say(f"e-way bill not required: {shipment.get('ewaybill_not_required_reason')}")
        self.reached.append("e-way bill")
        if shipment.get("status") == "dispatched":
            self.say(f"already through the gate at {shipment.get('dispatched_at')}")
            self.reached.append("gate-out")
            return shipment
        if "irn" in shipment.get("waiting_for", []):  # a B2B e-invoice: the gate waits for its IRN
            shipment = await self.wait(f"the IRN of {inv['invoice_no']} (IrnRegistered → dispatch)",
                                       lambda: _ready(get_shipment, "irn"))
            if shipment is None:
                return None
        if self.undo:
            return shipment  # the coordinator cancels the invoiced order instead (follow → undo)
        with step("gate-out", self.prefix) as ok:
            done = await api.call("dispatch", "POST", f"/shipments/{shipment_id}/gate-out", who=supervisor,
                                  template="/shipments/{shipment_id}/gate-out")
            shipment = done.json()
            self.say(f"gate-out by {ctx.name(supervisor)} at {shipment.get('dispatched_at')}: "
                     f"{shipment['status']}")
        if not ok.ok:
            return None
        self.reached.append("gate-out")
        return shipment

    async def pick(self, shipment: dict[str, Any], picker: str) -> None:
        """Confirm every line as scanned. A scripted short pick gives the seed's picked quantity the first time
        that order line is picked (kept in the state file); what the system lists afterwards for that line
        (a re-reservation, even from the same bin, which the ledger still shows stocked) is picked in full."""
        api, ctx = self.ctx.api, self.ctx
        shorts = {ln["line_no"]: ln["short_pick"] for ln in self.script["lines"] if ln.get("short_pick")}
        done_lines: list[int] = self.trail.setdefault("short_lines_done", [])
        budget = {n: Decimal(sp["picked_quantity"]) for n, sp in shorts.items() if n not in done_lines}
        pick_list_id = shipment["pick_list_id"]
        confirmed = short_lines = 0
        seen_lines: set[int] = set()
        for _ in range(6):
            pick_list = (await api.get("dispatch", f"/pick-lists/{pick_list_id}", who=picker,
                                       template="/pick-lists/{pick_list_id}")).json()
            todo = [ln for ln in pick_list["lines"] if not ln["confirmed"]]
            if not todo:
                break
            for line in todo:
                quantity = Decimal(line["quantity"])
                picked, reason, note = quantity, None, ""
                order_line = line.get("order_line_no")
                seen_lines.add(order_line)
                if order_line in budget and not line.get("replaces"):
                    picked = min(quantity, budget[order_line])
                    budget[order_line] -= picked
                    note = shorts[order_line]["reason"] if picked < quantity else ""
                if picked < quantity:
                    reason = SHORT_REASONS.get(shorts[order_line]["reason"], "other")
                body = {"picked": f"{picked.normalize():f}", "bin_code": line["bin_code"],
                        "batch_no": line["batch_no"], "short_reason": reason, "note": note}
                await api.call("dispatch", "POST", f"/pick-lists/{pick_list_id}/lines/{line['line_no']}/confirm",
                               who=picker, json=body, template="/pick-lists/{pick_list_id}/lines/{line_no}/confirm")
                confirmed += 1
                if reason:
                    short_lines += 1
                    self.shorted = True  # this run's picker shorted a line: a re-reservation or backorder follows
                    self.say(f"{pick_list['pick_list_no']} line {line['line_no']} ({line['item_code']} at "
                             f"{line['bin_code']}): {ctx.name(picker)} picked {body['picked']} of "
                             f"{Decimal(line['quantity']).normalize():f} — short, {note}")
            if not short_lines:
                break
            await asyncio.sleep(1.0)  # a short pick may bring a replacement line from another bin
        for order_line in budget:
            if order_line in seen_lines and order_line not in done_lines:
                done_lines.append(order_line)
        self.ctx.state.save()
        self.say(f"{pick_list['pick_list_no']} ({pick_list['warehouse_id']}): {confirmed} lines confirmed by "
                 f"{ctx.name(picker)} ({short_lines} short)")

    async def dispatch_details(self, shipment: dict[str, Any], supervisor: str) -> None:
        ctx, s = self.ctx, self.script
        logistics = ctx.seed["logistics"]
        warehouse_id = shipment["warehouse_id"]
        plan = s["dispatch"]
        vehicle_no, transporter_id, driver_id = plan["vehicle_no"], plan["transporter_id"], plan["driver_id"]
        if plan["warehouse_hint"] != warehouse_id:
            # Inventory routed this shipment elsewhere: that warehouse's own vehicle and transporter carry it.
            vehicle = next(v for v in logistics["vehicles"] if v["home_warehouse"] == warehouse_id)
            vehicle_no, transporter_id, driver_id = vehicle["vehicle_no"], vehicle["transporter_id"], \
                vehicle["driver_id"]
        transporter = next(t for t in logistics["transporters"] if t["transporter_id"] == transporter_id)
        driver = next(d for d in logistics["drivers"] if d["driver_id"] == driver_id)
        shipments = self.trail.setdefault("shipments", {})
        index = list(shipments).index(shipment["shipment_id"]) if shipment["shipment_id"] in shipments else 0
        lr_no = plan["lr_no"] if index == 0 else f"{plan['lr_no']}-{index + 1}"
        distance = road_distance(ctx.warehouse(warehouse_id)["address"]["pincode"], shipment["ship_to"]["pincode"])
        body = {"mode": "road", "vehicle_no": vehicle_no, "vehicle_type": "R", "driver_name": driver["name"],
                "driver_phone": driver["phone"], "transporter_id": transporter_id,
                "transporter_name": transporter["name"], "lr_no": lr_no, "lr_date": date.today().isoformat(),
                "distance_km": distance}
        response = await ctx.api.call("dispatch", "POST", f"/shipments/{shipment['shipment_id']}/dispatch-details",
                                      who=supervisor, json=body, accept=(409,),
                                      template="/shipments/{shipment_id}/dispatch-details")
        if response.status_code == 409:
            self.say(f"dispatch details not taken again (409: {short(response.json().get('detail'), 90)})")
            return
        self.say(f"dispatch details by {ctx.name(supervisor)}: vehicle {vehicle_no}, driver {driver['name']}, "
                 f"{transporter['name']} ({transporter_id}), LR {lr_no}, {distance} km")

    async def after_short_picks(self, handled: set[str]) -> dict[str, Any] | None:
        """After a short pick: a further shipment (re-reserved elsewhere), or the shortfall as a backorder."""
        async def settled() -> dict[str, Any] | None:
            order = await self.order()
            saga = order.get("saga") or {}
            fresh = [x for x in saga.get("shipments", []) if x["shipment_id"] not in handled]
            return order if fresh or saga.get("backorder") or order["status"] in {"closed", "cancelled"} else None

        order: dict[str, Any] | None = await self.wait(
            "the short pick to be re-reserved (a further shipment) or backordered", settled, timeout=90)
        return order

    # --- 5. the customer told, the order closed --------------------------------------------------------

    async def notified(self) -> None:
        api = self.ctx.api

        async def dispatch_notice() -> list[dict[str, Any]] | None:
            found = (await api.get("notify", "/notifications", who=self.coordinator,
                                   params={"order_id": self.order_id})).json()
            sent = [n for n in found if "dispatch" in str(n.get("kind", ""))]
            return sent or None

        undelivered = False
        with self.ctx.report.step("customer notification", self.prefix):
            found = await self.wait("the customer's dispatch notice (ShipmentDispatched → notify)", dispatch_notice)
            for n in found or []:
                if n.get("status") == "delivered":
                    self.say(f"customer told by {n['channel']} to {n['recipient']}: {short(n['subject'], 90)}")
                    self.reached.append("notification")
                else:
                    undelivered = True
                    text = f"dispatch notice NOT delivered ({n.get('status')}): {n.get('detail') or 'no detail'}"
                    if str(n.get("created_at") or "") < self.ctx.report.started_at:
                        self.say(f"{text} — sent by an earlier run, at {n.get('created_at')}")
                        continue
                    self.say(text)
                    self.ctx.report.failures.append(f"{self.prefix} {text}")

        order = await self.order()
        open_rest = (order.get("saga") or {}).get("backorder") or []
        if open_rest:
            rest = ", ".join(f"line {b['line_no']} × {b['quantity']}" for b in open_rest)
            self.say(f"order {order['number']} stays open ({order['status']}): backordered {rest}")
            return

        if undelivered:
            self.say(f"order {order['number']} stays {order['status']}: it closes only once every dispatched "
                     "shipment's customer was told (CustomerNotified)")
            return

        async def closed() -> dict[str, Any] | None:
            order = await self.order()
            return order if order["status"] in {"closed", "cancelled"} else None

        with self.ctx.report.step("order closed", self.prefix):
            order = await self.wait("the coordinator to close the order (everything dispatched and notified)",
                                    closed, timeout=90)
            if order:
                self.say(f"order {order['number']} {order['status']}")
                self.reached.append("closed")

    # --- 6. payment ----------------------------------------------------------------------------------

    async def pay(self) -> None:
        ctx, api, plan = self.ctx, self.ctx.api, self.script["payment"]
        if plan["kind"] == "none":
            return
        customer_id = ctx.customer_id(self.script["customer_id"])
        cashier = ctx.person("finance_executive")

        async def receivables() -> list[dict[str, Any]] | None:
            found = (await api.get("credit", f"/receivables/{customer_id}", who=cashier,
                                   template="/receivables/{customer_id}", params={"include_settled": "true"},
                                   accept=(404,)))
            if found.status_code == 404:
                return None
            mine = [r for r in found.json()["receivables"] if r["order_id"] == self.order_id]
            return mine or None

        with ctx.report.step("payment", self.prefix):
            api.need("credit", "POST", "/payments")
            rows = await self.wait("the receivable (InvoiceIssued → credit)", receivables)
            if not rows:
                return
            total = sum((Decimal(r["amount"]) for r in rows), Decimal(0))
            tds = Decimal(0)
            if plan["kind"] == "tds_194q":
                taxable = Decimal(0)
                for r in rows:
                    invoice = (await api.get("invoicing", f"/invoices/{r['invoice_id']}", who=ctx.person("accountant"),
                                             template="/invoices/{invoice_id}")).json()
                    taxable += Decimal(str(invoice["totals"]["taxable_value"]))
                tds = (taxable * Decimal(plan["tds_percent"]) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
                amount = total - tds
            elif plan["kind"] == "partial":
                amount = (total * Decimal(plan["share_percent"]) / 100).quantize(Decimal("1"), ROUND_HALF_UP)
            else:
                amount = total
            body: dict[str, Any] = {"customer_id": customer_id, "amount": money(amount), "tds_deducted": money(tds),
                    "received_on": date.today().isoformat(), "mode": (plan["mode"] or "neft").lower(),
                    "bank_reference": f"DEMO-{self.sid}", "invoice_ids": [r["invoice_id"] for r in rows]}
            done = await api.call("credit", "POST", "/payments", who=cashier, json=body,
                                  headers={"Idempotency-Key": f"demo-pay-{self.sid}"})
            result = done.json()
            what = {"full": "in full", "partial": f"{plan['share_percent']} %",
                    "tds_194q": f"less TDS {rupees(tds)} (s.194Q, {plan['tds_percent']} % of taxable)"}[plan["kind"]]
            self.say(f"payment {rupees(amount)} by {body['mode'].upper()} {what}, recorded by {ctx.name(cashier)}"
                     f" — {short(_payment_text(result), 100)}")
            self.reached.append("payment")

    # --- the whole way ---------------------------------------------------------------------------------

    async def follow(self) -> None:
        try:
            credit = await self.credit()
            if credit is None:
                self.say("no credit decision to follow: this order stops here")
                return
            if credit in {"rejected", "expired"}:
                order = await self.wait("the order to be cancelled after the rejection",
                                        lambda: _status_in(self.order, {"cancelled"}))
                if order:
                    self.say(f"order {order['number']} cancelled: {order.get('status_reason')}")
                    self.reached.append("cancelled")
                return
            order = await self.released()
            if order is None or order["status"] in {"cancelled", "backordered"} \
                    or (order.get("saga") or {}).get("status") == "holding":
                return
            kept = self.trail.setdefault("shipments", {})
            handled: set[str] = set()
            results: list[dict[str, Any] | None] = []
            for batch in range(4):  # a short pick re-reserved elsewhere is released as a further shipment
                if batch:
                    order = await self.after_short_picks(handled)
                    if order is None:
                        break
                fresh = [x for x in (order.get("saga") or {}).get("shipments", [])
                         if x["shipment_id"] not in handled and x.get("state") != "cancelled"]
                if not fresh:
                    break
                if batch:
                    self.say("further shipment(s) released for the short-picked quantity: "
                             + ", ".join(f"{x['warehouse_id']} ({len(x['lines'])} lines)" for x in fresh))
                for x in fresh:
                    kept.setdefault(x["shipment_id"], x["warehouse_id"])
                    handled.add(x["shipment_id"])
                self.shorted = False
                results += await asyncio.gather(*(self.shipment(x["shipment_id"], x["warehouse_id"])
                                                  for x in fresh))
                if not self.shorted:
                    break
            if self.undo and results and all(r is not None for r in results):
                from driver.undo import cancel_after_invoice

                self.undo_story = await cancel_after_invoice(self)
            elif any(r and r.get("status") == "dispatched" for r in results):
                await self.notified()
                await self.pay()
        except (Unavailable, Refused) as exc:  # a wait's GET failed: said once, the order stops here
            if isinstance(exc, Unavailable):
                self.ctx.report.not_available("follow the order", exc, self.prefix)
            else:
                self.say(f"stopped: {exc}")
                self.ctx.report.failures.append(f"{self.prefix} {exc}")
        except (KeyError, TypeError, ValueError, StopIteration) as exc:  # an answer not shaped as expected
            text = f"stopped: an answer the driver did not expect ({type(exc).__name__}: {exc})"
            self.say(text)
            self.ctx.report.failures.append(f"{self.prefix} {text}")
        finally:
            self.ctx.state.save()


async def _not_in(probe: Any, unwanted: set[str]) -> Any:
    value = await probe()
    return value if value and value not in unwanted else None


async def _status_in(load: Any, wanted: set[str]) -> dict[str, Any] | None:
    order: dict[str, Any] = await load()
    return order if order["status"] in wanted else None


async def _ready(load: Any, missing: str) -> dict[str, Any] | None:
    """The shipment once `missing` is no longer among what it waits for."""
    shipment: dict[str, Any] | None = await load()
    if shipment is None:
        return None
    if missing == "ewaybill" and shipment.get("ewaybill_rejection"):
        return shipment
    return shipment if missing not in shipment.get("waiting_for", []) else None


def _payment_text(result: dict[str, Any]) -> str:
    keys = ("payment_id", "payment_no", "status", "unapplied")
    return ", ".join(f"{k} {result[k]}" for k in keys if result.get(k) not in (None, "", [])) or str(result)


def road_distance(from_pincode: str, to_pincode: str) -> int:
    """The supervisor's declared distance: the portal's own pincode-to-pincode figure (its distance tool)."""
    try:
        from o2c.ewaybill.adapters.pincodes import pincode_distance

        found = pincode_distance(from_pincode, to_pincode)
    except ImportError:
        found = None
    if found is None:
        return 100 if from_pincode != to_pincode else 10
    return max(int(found), 1)


def chosen_orders(seed: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """The first `count` orders of the script, plus the one the finance head rejects (so both credit
    outcomes show) when it is not among them."""
    orders: list[dict[str, Any]] = seed["orders"][:count]
    rejected = [o for o in seed["orders"] if o["credit"]["decision"] == "reject" and o not in orders]
    return orders + rejected[:1]


async def play(ctx: Ctx, scripts: list[dict[str, Any]]) -> list[OrderPlay]:
    report = ctx.report
    report.section(f"orders: {len(scripts)} of the script ({', '.join(s['script_id'] for s in scripts)})")
    plays = [OrderPlay(ctx, s) for s in scripts]
    from driver.undo import undo_candidate

    undo_sid = undo_candidate(scripts) if len(scripts) > 1 else None
    for p in plays:
        p.undo = p.sid == undo_sid
    placed = []
    for p in plays:  # one after another: quotation and order numbers follow the script
        journey = JOURNEY.set(p.trace_id)
        try:
            if await p.place():
                placed.append(p)
        except (Unavailable, Refused, KeyError, TypeError, ValueError) as exc:
            p.say(f"stopped: {type(exc).__name__}: {exc}")
            report.failures.append(f"{p.prefix} placing the order: {exc}")
        finally:
            JOURNEY.reset(journey)
    if not placed:
        return plays
    report.section("following each order through credit, stock, picking, documents, gate, notice, payment")

    async def follow(p: OrderPlay) -> None:
        JOURNEY.set(p.trace_id)  # this task's own context: its calls join its order's trace
        await p.follow()

    await asyncio.gather(*(follow(p) for p in placed))
    return plays
