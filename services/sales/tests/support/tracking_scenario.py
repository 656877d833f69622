"""One order told through the chain for the tracking tests: a credit hold sanctioned by a finance head, a
split over two warehouses (Bengaluru, Pune), a short pick on the Bengaluru soap line with the rest
backordered, the Bengaluru shipment invoiced, e-way billed and gated out, the Pune one still picking."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from o2c.contracts.envelope import Message
from o2c.contracts.samples import ALLOCATION, SHIPMENT_LINES, TRANSPORT, sample
from o2c.contracts.types import Quantity, Uqc
from o2c.contracts.v1 import credit, dispatch, ewaybill, inventory, invoicing, notify, sales
from o2c.contracts.v1.common import ReservedLine, WarehouseAllocation

D = Decimal
PROMISED = date(2026, 5, 6)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=UTC)


def pcs(n: int) -> Quantity:
    return Quantity(value=D(n), unit=Uqc.PCS)


def ids(order_id: str) -> dict[str, str]:
    return {"order": order_id, "blr": f"shp-{order_id}-1", "pun": f"shp-{order_id}-2",
            "pl_blr": f"pl-{order_id}-1", "pl_pun": f"pl-{order_id}-2", "inv": f"inv-{order_id}"}


def story(order_id: str = "ord-trk-1", customer_id: str = "cus-1001", customer_name: str = "Arun Retail LLP",
          *, sanction_due_by: datetime | None = None, order_no: str | None = None,
          ewaybill_no: str = "381001234567", vehicle_no: str = "KA01AB1234", stop_after: str | None = None
          ) -> list[Message]:
    """The messages in the order the chain publishes them (stop_after: the type to stop at)."""
    n = ids(order_id)
    order_no = order_no or f"SO/26-27/{order_id[-6:]}"
    confirmed = sample(sales.OrderConfirmed)
    tea, soap = confirmed.lines
    oil = soap.model_copy(update={"line_no": 3, "item_code": "OIL-1L", "item_name": "Groundnut oil 1 l",
                                  "quantity": pcs(60)})
    order_common = {"order_id": order_id, "order_no": order_no, "customer_id": customer_id,
                    "customer_name": customer_name}
    pun_alloc = WarehouseAllocation(
        warehouse_id="WH-PUN-1", warehouse_gstin="27AABCR1718E1ZN",
        dispatch_from=ALLOCATION.dispatch_from.model_copy(update={"state_code": "27", "pincode": "411019",
                                                                   "place": "Pune"}),
        lines=[ReservedLine(line_no=3, item_code="OIL-1L", quantity=pcs(60))])
    blr_lines = SHIPMENT_LINES
    pun_line = SHIPMENT_LINES[1].model_copy(update={"line_no": 3, "item_code": "OIL-1L",
                                                    "item_name": "Groundnut oil 1 l", "quantity": pcs(60),
                                                    "allocations": []})
    due = sanction_due_by or at(2, 10, 31)
    released = sample(sales.OrderReleased)
    rel_shipment = released.shipments[0]
    ready = sample(dispatch.ShipmentReady)
    messages: list[Message] = [
        confirmed.model_copy(update={**order_common, "lines": [tea, soap, oil], "quotation_id": f"quo-{order_id}",
                                     "confirmed_at": at(2, 6, 30)}),
        sample(sales.QuotationIssued).model_copy(update={"quotation_id": f"quo-{order_id}",
                                                         "quotation_no": f"QT/{order_id}",
                                                         "customer_id": customer_id, "issued_at": at(2, 5)}),
        sample(inventory.StockReserved).model_copy(update={"order_id": order_id, "decided_at": at(2, 6, 31),
                                                           "allocations": [ALLOCATION, pun_alloc]}),
        sample(credit.CreditHeld).model_copy(update={"order_id": order_id, "customer_id": customer_id,
                                                     "decided_at": at(2, 6, 31), "sanction_due_by": due,
                                                     "hold_expires_at": due + timedelta(hours=44)}),
        sample(credit.CreditSanctioned).model_copy(update={"order_id": order_id, "customer_id": customer_id,
                                                           "decided_at": at(2, 9), "sanctioned_by": "fin-head-1",
                                                           "note": "long-standing customer"}),
        released.model_copy(update={**order_common, "released_at": at(2, 9, 1), "backordered": [], "shipments": [
            rel_shipment.model_copy(update={"shipment_id": n["blr"], "lines": blr_lines}),
            rel_shipment.model_copy(update={"shipment_id": n["pun"], "warehouse_id": "WH-PUN-1",
                                            "warehouse_gstin": "27AABCR1718E1ZN", "lines": [pun_line]}),
        ]}),
        sample(dispatch.PickListIssued).model_copy(update={"order_id": order_id, "shipment_id": n["blr"],
                                                           "pick_list_id": n["pl_blr"],
                                                           "pick_list_no": f"PL/{order_id}/1",
                                                           "issued_at": at(2, 9, 2)}),
        sample(dispatch.PickListIssued).model_copy(update={
            "order_id": order_id, "shipment_id": n["pun"], "pick_list_id": n["pl_pun"],
            "pick_list_no": f"PL/{order_id}/2", "warehouse_id": "WH-PUN-1", "issued_at": at(2, 9, 2),
            "lines": [dispatch.PickLine(line_no=3, item_code="OIL-1L", item_name="Groundnut oil 1 l",
                                        quantity=pcs(60), bin_code="P-01-1")]}),
        sample(dispatch.PickConfirmed).model_copy(update={
            "order_id": order_id, "shipment_id": n["blr"], "pick_list_id": n["pl_blr"], "line_no": 1,
            "item_code": "TEA-500G", "requested": pcs(100), "picked": pcs(100), "short": pcs(0),
            "short_reason": None, "short_bins": [], "picked_by": "picker-7", "confirmed_at": at(2, 10)}),
        sample(dispatch.PickConfirmed).model_copy(update={
            "order_id": order_id, "shipment_id": n["blr"], "pick_list_id": n["pl_blr"], "line_no": 2,
            "item_code": "SOAP-100G", "requested": pcs(480), "picked": pcs(400), "short": pcs(80),
            "short_reason": "damaged", "short_bins": ["C-11-1"], "picked_by": "picker-7",
            "confirmed_at": at(2, 10, 5)}),
        sample(sales.OrderBackordered).model_copy(update={
            **{k: v for k, v in order_common.items() if k != "customer_name"},
            "lines": [sales.BackorderedLine(line_no=2, item_code="SOAP-100G", quantity=pcs(80),
                                            expected_date=date(2026, 5, 8))],
            "reason": "short pick not re-reservable", "backordered_at": at(2, 10, 6)}),
        ready.model_copy(update={
            "order_id": order_id, "order_no": order_no, "shipment_id": n["blr"], "shipment_no": f"SH/{order_id}/1",
            "pick_list_id": n["pl_blr"], "customer_id": customer_id, "customer_name": customer_name,
            "transport": TRANSPORT.model_copy(update={"vehicle_no": vehicle_no}), "ready_at": at(3, 4),
            "lines": [ready.lines[0], ready.lines[1].model_copy(update={"quantity": pcs(400)})]}),
        sample(invoicing.InvoiceIssued).model_copy(update={
            "order_id": order_id, "order_no": order_no, "shipment_id": n["blr"], "invoice_id": n["inv"],
            "invoice_no": f"INV/26-27/{order_id[-6:]}", "customer_id": customer_id, "customer_name": customer_name,
            "issued_at": at(3, 5)}),
        sample(credit.ReceivablePosted).model_copy(update={
            "order_id": order_id, "customer_id": customer_id, "shipment_id": n["blr"], "invoice_id": n["inv"],
            "invoice_no": f"INV/26-27/{order_id[-6:]}", "posted_at": at(3, 5, 1)}),
        sample(ewaybill.EwayBillGenerated).model_copy(update={
            "order_id": order_id, "shipment_id": n["blr"], "invoice_id": n["inv"],
            "invoice_no": f"INV/26-27/{order_id[-6:]}", "ewaybill_no": ewaybill_no, "generated_at": at(3, 5, 2),
            "valid_until": at(4, 18, 29), "vehicle_no": vehicle_no}),
        sample(dispatch.ShipmentDispatched).model_copy(update={
            "order_id": order_id, "order_no": order_no, "shipment_id": n["blr"], "shipment_no": f"SH/{order_id}/1",
            "customer_id": customer_id, "customer_name": customer_name, "invoice_id": n["inv"],
            "invoice_no": f"INV/26-27/{order_id[-6:]}", "ewaybill_no": ewaybill_no,
            "transport": TRANSPORT.model_copy(update={"vehicle_no": vehicle_no}), "dispatched_at": at(3, 6)}),
        sample(notify.CustomerNotified).model_copy(update={
            "order_id": order_id, "customer_id": customer_id, "shipment_id": n["blr"], "notified_at": at(3, 6, 1)}),
    ]
    if stop_after is None:
        return messages
    out = []
    for m in messages:
        out.append(m)
        if stop_after == m.TYPE:
            break
    return out
