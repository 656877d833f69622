"""One order's story, read back from the services' GET APIs (never from what the driver remembers doing):
each step with its time, actor and document reference; a service that cannot tell says so."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from driver.api import Refused, Unavailable
from driver.context import Ctx
from driver.orders import OrderPlay, rupees

STEPS_WANTED = ["quotation", "order", "credit", "release", "picking", "dispatch details", "invoice", "e-way bill",
                "gate-out", "notification", "closed", "payment"]


def pick_story(plays: list[OrderPlay]) -> OrderPlay | None:
    """The order that went furthest; among equals, one with a sanctioned hold, a short pick or TDS."""
    def score(p: OrderPlay) -> tuple[int, int]:
        s = p.script
        flavour = (2 if s["credit"]["decision"] == "approve" else 0) \
            + (1 if any(ln.get("short_pick") for ln in s["lines"]) else 0) \
            + (1 if s["payment"]["kind"] == "tds_194q" else 0)
        return len(set(p.reached)), flavour

    candidates = [p for p in plays if p.order_id]
    return max(candidates, key=score) if candidates else None


def when(value: Any) -> str:
    if not value:
        return "—"
    if len(str(value)) == 10:  # a date
        return datetime.fromisoformat(str(value)).strftime("%d %b")
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if at.tzinfo is None:
        return at.strftime("%d %b %H:%M:%S")
    return at.astimezone().strftime("%d %b %H:%M:%S %Z")


class Story:
    def __init__(self, ctx: Ctx, play: OrderPlay) -> None:
        self.ctx, self.play = ctx, play
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, step: str, at: Any, actor: str, reference: str) -> None:
        self.rows.append((step, when(at), actor or "—", reference))

    async def read(self, step: str, service: str, path: str, who: str, *, template: str | None = None,
                   params: dict[str, Any] | None = None) -> Any:
        try:
            response = await self.ctx.api.get(service, path, who=who, template=template, params=params,
                                              accept=(404,))
        except Unavailable as exc:
            self.add(step, None, "—", f"{service} not available ({exc.reason})")
            return None
        except Refused as exc:
            self.add(step, None, "—", f"{service} refused: {exc}")
            return None
        if response.status_code == 404:
            self.add(step, None, "—", f"{service}: nothing yet ({path})")
            return None
        return response.json()

    async def gather(self) -> None:
        ctx, play = self.ctx, self.play
        coordinator = play.coordinator
        order = await self.read("order", "sales", f"/orders/{play.order_id}", coordinator,
                                template="/orders/{order_id}")
        if order is None:
            return
        if order.get("quotation_id"):
            q = await self.read("quotation", "sales", f"/quotations/{order['quotation_id']}", coordinator,
                                template="/quotations/{quotation_id}")
            if q:
                self.add("quotation", q.get("quoted_on"), ctx.name(q.get("created_by") or ""),
                         f"{q['number']} rev {q['revision']}, {len(q['lines'])} lines, gross "
                         f"{rupees(q['totals']['gross_value'])}, valid until {q['valid_until']}")
        self.add("order", order.get("created_at"), ctx.name(order.get("created_by") or ""),
                 f"{order['number']} (PO {order.get('customer_po_no')}), place of supply {order['place_of_supply']}, "
                 f"gross {rupees(order['totals']['gross_value'])} — now {order['status']}")
        await self.credit(order)
        saga = order.get("saga") or {}
        reservations = await self.read("reservations", "inventory", "/reservations", coordinator,
                                       params={"order_id": play.order_id})
        if reservations is not None:
            per: dict[str, list[str]] = {}
            for r in reservations:
                issued = Decimal(r.get("issued") or 0)
                held = f"{issued.normalize():f} issued" if issued else f"{Decimal(r['reserved']).normalize():f}"
                per.setdefault(r["warehouse_id"], []).append(f"L{r['line_no']} {held}")
            self.add("reservations", None, "inventory (routing)",
                     "; ".join(f"{w}: {', '.join(v[:6])}{'…' if len(v) > 6 else ''}" for w, v in sorted(per.items()))
                     or "none")
        for b in saga.get("backorder", []):
            self.add("backorder", None, "sales coordinator (saga)",
                     f"line {b['line_no']} × {b['quantity']} expected {b.get('expected_date') or '—'}")
        for x in saga.get("shipments", []):
            await self.shipment(x["shipment_id"], x["warehouse_id"])
        await self.documents()
        await self.notices()
        await self.payments(order)

    async def credit(self, order: dict[str, Any]) -> None:
        ctx, play = self.ctx, self.play
        rounds = (order.get("saga") or {}).get("rounds") or []
        outcome = rounds[0]["credit"] if rounds else "—"
        head = ctx.person("finance_head")
        found = None
        for status in ("approved", "rejected", "pending"):
            queue = await self.read("credit", "credit", "/sanctions", head, params={"status": status})
            if queue is None:
                break
            found = next((s for s in queue if s["order"]["order_id"] == play.order_id), None)
            if found:
                break
        if found:
            self.add("credit held", found.get("requested_at"), "credit (automatic check)",
                     f"exposure {rupees(found['exposure']['with_order'])} > limit {rupees(found['credit_limit'])}")
            self.add(f"credit {found['status']}", found.get("decided_at"), ctx.name(found.get("decided_by") or ""),
                     f"sanction {found['sanction_id']}: {found.get('note') or ''}")
        elif outcome in {"pending", "—"}:
            self.add("credit", None, "credit (automatic check)", "no decision yet (see the dead letters above)")
        else:
            self.add("credit", None, "credit (automatic check)", f"{outcome} (within limit: no sanction request)")

    async def shipment(self, shipment_id: str, warehouse_id: str) -> None:
        ctx = self.ctx
        supervisor = ctx.person("dispatch_supervisor", warehouse_id)
        s = await self.read("shipment", "dispatch", f"/shipments/{shipment_id}", supervisor,
                            template="/shipments/{shipment_id}")
        if s is None:
            return
        pick = await self.read("pick list", "dispatch", f"/pick-lists/{s['pick_list_id']}", supervisor,
                               template="/pick-lists/{pick_list_id}")
        if pick:
            lines = pick["lines"]
            pickers = sorted({ln["picked_by"] for ln in lines if ln.get("picked_by")})
            last = max((ln["confirmed_at"] for ln in lines if ln.get("confirmed_at")), default=None)
            shorts = [f"L{ln['line_no']} {ln['picked']}/{ln['quantity']} {ln['short_reason']}" for ln in lines
                      if ln.get("short_reason")]
            picked = sum(float(ln["picked"] or 0) for ln in lines)
            self.add("pick list", pick.get("issued_at"), f"dispatch → {warehouse_id}",
                     f"{pick['pick_list_no']}: {len(lines)} lines in walking order")
            self.add("picked", last, ", ".join(ctx.name(p) for p in pickers),
                     f"{pick['pick_list_no']}: {picked:g} units confirmed"
                     + (f"; short {', '.join(shorts)}" if shorts else ""))
        details = s.get("dispatch_details") or {}
        if details:
            self.add("dispatch details", None, ctx.name(supervisor),
                     f"vehicle {details.get('vehicle_no')}, LR {details.get('lr_no')} ({details.get('lr_date')}), "
                     f"{details.get('transporter_name')}, {details.get('distance_km')} km")
        backordered = [f"L{ln['order_line_no']} {ln['backordered']}" for ln in s.get("lines", [])
                       if ln.get("backordered") not in (None, "0")]
        if backordered:
            self.add("shipped short", None, "dispatch", "backordered " + ", ".join(backordered))
        if s.get("dispatched_at"):
            self.add("gate-out", s["dispatched_at"], ctx.name(s.get("dispatched_by") or ""),
                     f"{s['shipment_no']} from {warehouse_id}: {s['status']}")
        elif s.get("waiting_for"):
            self.add("gate", None, "—", f"{s['shipment_no']} waits for {', '.join(s['waiting_for'])}")

    async def documents(self) -> None:
        ctx, play = self.ctx, self.play
        invoices = await self.read("invoice", "invoicing", "/invoices", ctx.person("accountant"),
                                   params={"order_id": play.order_id})
        for inv in invoices or []:
            totals = inv.get("totals", {})
            taxes = ", ".join(f"{k.upper()} {rupees(totals[k])}" for k in ("cgst", "sgst", "utgst", "igst")
                              if totals.get(k) not in (None, "0", "0.00"))
            irn = (inv.get("irn") or {}).get("irn") or f"IRN {inv.get('irn_status')}"
            self.add("invoice", inv.get("issued_at") or inv.get("invoice_date"), "invoicing (from picked qty)",
                     f"{inv['invoice_no']} {rupees(totals.get('grand_total'))} ({taxes}); IRN {str(irn)[:24]}…")
        bills = await self.read("e-way bill", "ewaybill", "/ewaybills", ctx.person("compliance_officer"),
                                params={"order_id": play.order_id})
        for b in bills or []:
            if b.get("ewaybill_no"):
                self.add("e-way bill", b.get("generated_at"), "ewaybill (NIC sandbox)",
                         f"EBN {b['ewaybill_no']} valid until {when(b.get('valid_until'))}, {b.get('distance_km')} km")
            else:
                self.add("e-way bill", None, "ewaybill", f"{b['status']}"
                         + (f": {b['rejection']}" if b.get("rejection") else ""))

    async def notices(self) -> None:
        play = self.play
        found = await self.read("notification", "notify", "/notifications", play.coordinator,
                                params={"order_id": play.order_id})
        for n in found or []:
            self.add(f"told ({n.get('kind')})", n.get("created_at"), "notify",
                     f"{n.get('channel')} to {n.get('recipient')} [{n.get('status')}]: {n.get('subject')}")

    async def payments(self, order: dict[str, Any]) -> None:
        ctx = self.ctx
        found = await self.read("payment", "credit", f"/receivables/{order['customer_id']}",
                                ctx.person("finance_executive"), template="/receivables/{customer_id}",
                                params={"include_settled": "true"})
        if found is None:
            return
        for r in found.get("receivables", []):
            if r.get("order_id") != self.play.order_id:
                continue
            self.add("receivable", r.get("invoice_date"), "credit",
                     f"{r['invoice_no']} {rupees(r['amount'])} due {r['due_date']}: paid {rupees(r['paid'])}, "
                     f"TDS {rupees(r['tds'])}, outstanding {rupees(r['outstanding'])} ({r['status']})")

    def print(self) -> None:
        s = self.play.script
        print(f"\nThe story of {s['script_id']}: {self.play.customer['trade_name'] or self.play.customer['legal_name']}"
              f" ({self.play.customer['code']}), ship-to {s['ship_to_address_id']} — read back from the services")
        width = max((len(r[0]) for r in self.rows), default=10)
        for step, at, actor, reference in self.rows:
            print(f"  {step:<{width}}  {at:<22} {actor[:34]:<34} {reference}")
