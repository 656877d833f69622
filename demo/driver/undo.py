"""One undo story for the demo (issue 21): an order cancelled by its coordinator after it was invoiced and its
e-way bill generated, before gate-out. The saga undoes what exists — e-way bill cancelled, invoice cancelled
with its IRN (a credit note past 24 hours), receivable reversed, exposure released, stock back on the shelf —
and the story is read back from the services' GET APIs, as the order page and each owner show it."""

from __future__ import annotations

from typing import Any

from driver.context import Ctx
from driver.orders import OrderPlay, rupees


def undo_candidate(scripts: list[dict[str, Any]]) -> str | None:
    """The order the demo cancels after invoicing: the last auto-approved one without a scripted short pick."""
    for s in reversed(scripts):
        if s["credit"]["decision"] is None and not any(ln.get("short_pick") for ln in s["lines"]):
            return str(s["script_id"])
    return None


async def cancel_after_invoice(play: OrderPlay) -> list[str]:
    """Cancel the invoiced order and wait for the saga to undo its documents; the story's lines."""
    ctx, api = play.ctx, play.ctx.api
    order_id = play.order_id
    assert order_id is not None
    await api.call("sales", "POST", f"/orders/{order_id}/cancel", who=play.coordinator,
                   template="/orders/{order_id}/cancel",
                   json={"reason": "buyer's project postponed (cancelled after invoicing, before gate-out)"})
    play.say("cancelled by the coordinator after invoicing: the saga undoes the documents")

    async def undone() -> dict[str, Any] | None:
        page: dict[str, Any] = (await api.get("sales", f"/tracking/orders/{order_id}", who=play.coordinator,
                                              template="/tracking/orders/{order_id}")).json()
        shipments = [s for s in page.get("shipments", []) if s.get("undo")]
        # The exposure figure below is true only once credit has released the order's exposure too.
        released = any(step.get("kind") == "exposure_released" for step in page.get("steps", []))
        if released and shipments and all(s["undo"]["invoice"] != "pending" and s["undo"]["ewaybill"] != "pending"
                                          for s in shipments):
            return page
        return None

    page = await play.wait("the saga to undo the e-way bill and the invoice", undone)
    if page is None:
        return ["the undo did not finish in time (see the problems below)"]
    lines = [f"order {page.get('order_no')} cancelled after invoicing; order page status: {page.get('status')}"]
    for shp in page["shipments"]:
        undo = shp.get("undo")
        if not undo:
            continue
        lines.append(f"shipment {shp.get('shipment_no') or shp['shipment_id']}: e-way bill "
                     f"{undo.get('ewaybill_no') or '—'} {undo['ewaybill']}, invoice {undo['invoice_no']} "
                     f"{undo['invoice']}")
    for step in page.get("steps", []):
        if step["kind"] in ("pick_list_cancelled", "ewaybill_cancelled", "ewaybill_cancellation_refused",
                            "invoice_cancelled", "credit_note_issued", "reservation_released",
                            "exposure_released"):
            lines.append(f"  {step['at'][11:19]} {step['title']}: {step['detail']}")
    customer_id = ctx.customer_id(play.script["customer_id"])
    if customer_id:
        accountant = ctx.person("accountant")
        rows = (await api.get("credit", f"/receivables/{customer_id}", who=accountant,
                              template="/receivables/{customer_id}", params={"include_settled": "true"})).json()
        for r in rows.get("receivables", []):
            if r.get("order_id") == order_id:
                lines.append(f"receivable {r['invoice_no']} {rupees(r['amount'])}: {r['status']}, "
                             f"outstanding {rupees(r['outstanding'])}")
        lines.append(f"customer's exposure now {rupees(rows.get('exposure', {}).get('total', '0'))}")
    play.reached.append("undone after invoice")
    for line in lines:
        play.say(line)
    return lines


def print_story(ctx: Ctx, lines: list[str]) -> None:
    ctx.report.section("undo: an order cancelled after invoicing")
    for line in lines:
        print(f"  {line}")
