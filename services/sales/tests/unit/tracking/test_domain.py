"""The projection's pure rules: the timeline, open exceptions, backorders and expected dispatch dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from o2c.contracts.envelope import Message
from o2c.contracts.samples import sample
from o2c.contracts.v1 import credit, dispatch, ewaybill, invoicing, sales
from o2c.india.calendar import IST
from o2c.sales.tracking import domain
from o2c.testsupport.sales.tracking_scenario import PROMISED, at, ids, story


def project(messages: list, now=at(3, 6, 30)) -> dict:
    return domain.project(messages[0].order_id, messages, now)


def test_full_story_timeline_exceptions_backorder_and_expected_dates() -> None:
    view = project(story())
    n = ids("ord-trk-1")
    assert view["status"] == "partially_dispatched"
    assert view["quotation"] == {"quotation_id": "quo-ord-trk-1", "quotation_no": "QT/ord-trk-1"}
    assert view["credit"]["status"] == "sanctioned" and view["credit"]["decided_by"] == "fin-head-1"
    assert [s["kind"] for s in view["steps"]][:4] == ["quotation_issued", "order_confirmed", "stock_reserved",
                                                      "credit_held"]
    assert len(view["steps"]) == 17
    blr, pun = view["shipments"]
    assert blr["shipment_id"] == n["blr"] and blr["status"] == "dispatched"
    assert blr["transport"]["vehicle_no"] == "KA01AB1234" and blr["transport"]["lr_no"] == "LR-558812"
    assert blr["ewaybill"]["ewaybill_no"] == "381001234567"
    assert blr["invoice"]["invoice_no"] == "INV/26-27/-trk-1"
    assert [(ln["line_no"], ln["released"], ln["picked"], ln["short"]) for ln in blr["lines"]] == [
        (1, "100", "100", "0"), (2, "480", "400", "80")]
    # Dispatched on 3 May (IST): that is its date, on time against the 6th.
    assert blr["expected_dispatch_date"] == "2026-05-03" and not blr["at_risk"]
    # Pune still picking on 3 May (IST noon): one day to pick → 4 May, before the committed 6 May.
    assert pun["status"] == "picking" and pun["expected_dispatch_date"] == "2026-05-04" and not pun["at_risk"]
    assert pun["pending"] == ["picking: 0 of 1 lines confirmed"]
    # The short pick's remainder waits for stock on 8 May: dispatch 9 May, three days late.
    (bo,) = view["backorders"]
    assert bo["quantity"] == "80" and bo["expected_dispatch_date"] == "2026-05-09" and bo["at_risk"]
    assert "committed 2026-05-06" in bo["risk"]
    # The credit hold was closed by the sanction; the short pick closed when its shipment left.
    assert view["open_exceptions"] == []
    kinds = {e["kind"]: e["open"] for e in view["exceptions"]}
    assert kinds == {"credit_hold": False, "short_pick": False}
    assert view["next_dispatch_date"] == "2026-05-04"
    assert view["receivables"][0]["invoice_no"] == "INV/26-27/-trk-1"


def test_pending_sanction_pushes_planned_shipments_and_says_why() -> None:
    view = project(story(sanction_due_by=at(6, 10), stop_after="CreditHeld"), now=at(2, 7))
    assert view["status"] == "credit_hold"
    assert [e["kind"] for e in view["open_exceptions"]] == ["credit_hold"]
    planned = view["planned_shipments"]
    assert [p["warehouse_id"] for p in planned] == ["WH-BLR-1", "WH-PUN-1"]
    # Sanction due on 6 May (IST), then a day to pick: 7 May, a day after the committed date.
    for p in planned:
        assert p["expected_dispatch_date"] == "2026-05-07"
        assert p["at_risk"] and "awaiting credit sanction" in p["risk"]


def test_within_sanction_target_still_on_time() -> None:
    view = project(story(stop_after="CreditHeld"), now=at(2, 7))
    assert {p["expected_dispatch_date"] for p in view["planned_shipments"]} == {"2026-05-03"}
    assert not any(p["at_risk"] for p in view["planned_shipments"])


def test_rejections_open_exceptions_and_cost_a_day() -> None:
    msgs = story(stop_after="InvoiceIssued")
    n = ids("ord-trk-1")
    rejected = sample(ewaybill.EwayBillRejected).model_copy(update={
        "order_id": "ord-trk-1", "shipment_id": n["blr"], "invoice_id": n["inv"], "rejected_at": at(3, 5, 3)})
    irn = sample(invoicing.IrnRejected).model_copy(update={"order_id": "ord-trk-1", "invoice_id": n["inv"],
                                                           "rejected_at": at(3, 5, 4)})
    view = project([*msgs, rejected, irn], now=at(5, 6))
    blr = view["shipments"][0]
    # 5 May + 1 day per rejection = 7 May, after the committed 6th.
    assert blr["expected_dispatch_date"] == "2026-05-07" and blr["at_risk"]
    assert "e-way bill" in blr["risk"].replace("ewaybill", "e-way bill")
    assert {e["kind"] for e in view["open_exceptions"]} == {"ewaybill_rejected", "irn_rejected", "short_pick"}
    generated = sample(ewaybill.EwayBillGenerated).model_copy(update={
        "order_id": "ord-trk-1", "shipment_id": n["blr"], "invoice_id": n["inv"], "generated_at": at(5, 7)})
    view = project([*msgs, rejected, irn, generated], now=at(5, 8))
    assert {e["kind"] for e in view["open_exceptions"]} == {"irn_rejected", "short_pick"}
    assert view["shipments"][0]["ewaybill_rejections"] == 1


def test_search_terms_cover_every_reference() -> None:
    view = project(story())
    kinds = {k for k, _ in domain.search_terms(view)}
    assert {"order", "quotation", "customer", "gstin", "invoice", "ewaybill", "lr", "vehicle"} <= kinds
    assert domain.normalise_term("ka 01 ab 1234") == "KA01AB1234"


def test_ist_business_date() -> None:
    assert domain.ist_date(at(2, 18, 31)) == date(2026, 5, 3)
    assert domain.ist_date(at(2, 18, 29)) == date(2026, 5, 2)
    assert PROMISED - timedelta(days=4) == date(2026, 5, 2)


def test_failed_compensation_is_an_open_exception_that_outlives_the_cancellation() -> None:
    msgs = story(stop_after="CreditHeld")
    failed = sample(sales.OrderExceptionRaised).model_copy(update={
        "order_id": "ord-trk-1", "key": "ord-trk-1:failed", "raised_at": at(2, 9)})
    problem = sample(sales.OrderExceptionRaised).model_copy(update={
        "order_id": "ord-trk-1", "key": "ord-trk-1:problem-0", "kind": sales.OrderExceptionKind.SAGA_PROBLEM,
        "reason": "cancellation raced the gate-out", "raised_at": at(2, 9, 5)})
    view = project([*msgs, failed, problem], now=at(2, 10))
    assert {e["kind"] for e in view["open_exceptions"]} == {"credit_hold", "failed_compensation", "saga_problem"}
    assert view["steps"][-1]["kind"] == "saga_problem" and view["steps"][-2]["kind"] == "failed_compensation"
    cancelled = sample(sales.OrderCancelled).model_copy(update={
        "order_id": "ord-trk-1", "cancelled_lines": [], "cancelled_at": at(2, 11)})
    view = project([*msgs, failed, problem, cancelled], now=at(2, 12))
    # The order is over, but stock or credit may still be held: the failed compensation stays for a person.
    assert [e["kind"] for e in view["open_exceptions"]] == ["failed_compensation"]


def test_lead_times_per_warehouse_and_the_order_warehouses() -> None:
    msgs = story(stop_after="CreditHeld")
    slow_pune = domain.LeadTimes(pick_days=1, pick_days_by_warehouse={"WH-PUN-1": 3})
    view = domain.new_view("ord-trk-1")
    for m in msgs:
        domain.apply(view, m)
    domain.derive(view, at(2, 7), slow_pune)
    by_wh = {p["warehouse_id"]: p["expected_dispatch_date"] for p in view["planned_shipments"]}
    # Sanction target is within the day; Bengaluru picks in a day (3 May), Pune in three (5 May).
    assert by_wh == {"WH-BLR-1": "2026-05-03", "WH-PUN-1": "2026-05-05"}
    assert domain.order_warehouses(view) == {"WH-BLR-1", "WH-PUN-1"}


def test_a_proprietor_is_found_and_shown_by_the_trade_name() -> None:
    confirmed = next(m for m in story() if m.TYPE == "OrderConfirmed")
    proprietor = confirmed.model_copy(update={
        "customer_name": "Ketan Sunil Chavan",
        "bill_to": confirmed.bill_to.model_copy(update={"name": "Shree Swami Samarth Engineering"})})
    view = project([proprietor])
    assert view["customer"]["name"] == "Ketan Sunil Chavan"
    assert view["customer"]["trade_name"] == "Shree Swami Samarth Engineering"
    names = {v for k, v in domain.search_terms(view) if k == "customer"}
    assert {"Ketan Sunil Chavan", "Shree Swami Samarth Engineering"} <= names
    # A company whose bill-to carries its own name has no separate trade name.
    assert project([confirmed])["customer"]["trade_name"] is None


def test_a_whole_pick_list_folds_as_its_lines_with_one_step() -> None:
    from o2c.contracts.v1 import dispatch

    one_by_one = story()
    picks = [i for i, m in enumerate(one_by_one) if isinstance(m, dispatch.PickConfirmed)]
    lines = [one_by_one[i] for i in picks]
    first = lines[0]
    whole = dispatch.PickListConfirmed(
        order_id=first.order_id, shipment_id=first.shipment_id, pick_list_id=first.pick_list_id,
        lines=[dispatch.ConfirmedPickLine(**{k: getattr(m, k) for k in dispatch.ConfirmedPickLine.model_fields})
               for m in lines], picked_by=first.picked_by, confirmed_at=lines[-1].confirmed_at)
    together = [*one_by_one[:picks[0]], whole, *one_by_one[picks[-1] + 1:]]
    a, b = project(one_by_one), project(together)
    assert a["shipments"] == b["shipments"] and a["exceptions"] == b["exceptions"]
    assert a["backorders"] == b["backorders"] and a["status"] == b["status"]
    assert len(b["steps"]) == len(a["steps"]) - 1
    [step] = [s for s in b["steps"] if s["kind"] == "pick_confirmed"]
    assert step["title"] == "2 lines picked" and step["detail"] == "1 short"


def _undo_story() -> tuple[list[Message], dispatch.PickListCancelled, list[Message]]:
    """An order cancelled after invoicing: the pick list's cancellation opens the undo, the owners answer."""
    base = story(stop_after="CreditHeld")
    where = {"order_id": "ord-trk-1", "shipment_id": "shp-undo-1"}
    opened = sample(dispatch.PickListCancelled).model_copy(update={
        **where, "invoice_id": "inv-undo-1", "invoice_no": "INV/26-27/000777", "ewaybill_no": "381009998887",
        "cancelled_at": at(2, 11)})
    answers: list[Message] = [
        sample(ewaybill.EwayBillCancelled).model_copy(update={
            **where, "invoice_id": "inv-undo-1", "invoice_no": "INV/26-27/000777", "ewaybill_no": "381009998887",
            "request_id": "ord-trk-1:cancel-ewaybill", "cancelled_at": at(2, 11, 1)}),
        sample(invoicing.InvoiceCancelled).model_copy(update={
            **where, "invoice_id": "inv-undo-1", "invoice_no": "INV/26-27/000777",
            "request_id": "ord-trk-1:undo-invoice", "cancelled_at": at(2, 11, 2)}),
    ]
    return base, opened, answers


def test_an_undo_shows_its_outcomes_whichever_topic_is_folded_first() -> None:
    """PickListCancelled (dispatch topic) opens the undo; the bill's and the invoice's answers come on other topics
    and may be folded before it (seen in a loaded demo: the page waited on 'pending' for ever)."""
    base, opened, answers = _undo_story()
    in_order = project([*base, opened, *answers], now=at(2, 12))
    answers_first = project([*base, *answers, opened], now=at(2, 12))
    for view in (in_order, answers_first):
        undo = next(s for s in view["shipments"] if s["shipment_id"] == "shp-undo-1")["undo"]
        assert (undo["ewaybill"], undo["invoice"]) == ("cancelled", "cancelled")
        assert next(s for s in view["shipments"] if s["shipment_id"] == "shp-undo-1")["status"] == "cancelled"


def test_an_order_carrying_its_quotation_has_one_quotation_step_whether_or_not_the_quotation_is_folded() -> None:
    confirmed, issued = story("ord-trk-q", stop_after="QuotationIssued")[:2]
    assert isinstance(confirmed, sales.OrderConfirmed) and isinstance(issued, sales.QuotationIssued)
    carried = confirmed.model_copy(update={"quotation": sales.QuotedFrom(
        quotation_no=issued.quotation_no, issued_at=issued.issued_at, valid_until=issued.valid_until,
        gross_value=issued.totals.gross_value)})
    alone = project([carried])
    assert alone["quotation"] == {"quotation_id": "quo-ord-trk-q", "quotation_no": "QT/ord-trk-q"}
    assert [s["kind"] for s in alone["steps"]] == ["quotation_issued", "order_confirmed"]
    assert alone["steps"][0]["at"] == issued.issued_at.isoformat()
    for folded in ([carried, issued], [issued, carried]):
        assert domain.project("ord-trk-q", folded, at(3, 6, 30))["steps"] == alone["steps"]
    # Without the facts (an order converted before they were carried) the quotation comes from its own message.
    assert project([confirmed, issued])["steps"] == alone["steps"]


def test_the_timeline_orders_instants_as_instants_and_a_settlement_after_what_it_settles() -> None:
    """Issue 23: a settlement known only by its date showed before the quotation of the same day, and
    timestamps written with different offsets sorted as text."""
    order_id, day = "ord-trk-t", date(2026, 5, 4)
    confirmed = sample(sales.OrderConfirmed).model_copy(update={
        "order_id": order_id, "quotation_id": "quo-t", "confirmed_at": datetime(2026, 5, 4, 9, 30, tzinfo=IST),
        "quotation": sales.QuotedFrom(quotation_no="QT/26-27/000009", issued_at=datetime(2026, 5, 4, 9, tzinfo=IST),
                                      valid_until=date(2026, 5, 19), gross_value=Decimal("1180.00"))})
    # Written in UTC: 06:30 UTC is 12:00 IST, after the 09:30 IST confirmation (as text "06:30" < "09:30").
    posted = sample(credit.ReceivablePosted).model_copy(update={
        "order_id": order_id, "posted_at": datetime(2026, 5, 4, 6, 30, tzinfo=UTC)})
    paid = sample(credit.PaymentReceived).model_copy(update={
        "recorded_at": datetime(2026, 5, 4, 15, tzinfo=IST),
        "allocations": [a.model_copy(update={"order_id": order_id})
                        for a in sample(credit.PaymentReceived).allocations]})
    settled = sample(credit.InvoiceSettled).model_copy(update={"order_id": order_id, "settled_on": day})
    closed = sample(credit.OrderSettled).model_copy(update={"order_id": order_id, "settled_on": day})
    want = ["quotation_issued", "order_confirmed", "receivable_posted", "payment_received", "invoice_settled",
            "order_settled"]
    for folded in ([confirmed, posted, paid, settled, closed], [confirmed, settled, closed, posted, paid]):
        view = domain.project(order_id, folded, at(5, 6))
        assert [s["kind"] for s in view["steps"]] == want, [(s["kind"], s["at"]) for s in view["steps"]]
        settled_step = next(s for s in view["steps"] if s["kind"] == "invoice_settled")
        assert settled_step["at"] == "2026-05-04"  # a date, shown as a date
        assert view["updated_at"] == paid.recorded_at.isoformat()


def test_a_backorder_filled_by_a_transfer_expects_the_transfer_s_arrival_even_after_a_later_release() -> None:
    from o2c.contracts.v1 import inventory

    messages = story()
    view = project(messages)
    (bo,) = view["backorders"]
    moved = sample(inventory.BackorderRescheduled)
    line = moved.lines[0].model_copy(update={"line_no": bo["line_no"], "expected_date": date(2026, 5, 5)})
    moved = moved.model_copy(update={"order_id": messages[0].order_id, "lines": [line]})
    view = project([*messages, moved])
    (bo,) = view["backorders"]
    assert bo["expected_date"] == "2026-05-05" and bo["expected_dispatch_date"] == "2026-05-06"
    assert view["steps"][-1]["kind"] == "backorder_rescheduled"
    again = next(m for m in messages if isinstance(m, sales.OrderBackordered))
    view = project([*messages, moved, again])  # sales' backorder told again after it: the transfer's date holds
    assert view["backorders"][0]["expected_date"] == "2026-05-05"
