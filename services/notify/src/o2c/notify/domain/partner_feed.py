"""What a partner system learns of an order event: the partner statuses (o2c.contracts.v1.partner) one internal
event becomes, carrying only what the customer may see. Pure: contracts in, contracts out, no I/O.

A gate-out tells three things at once, in the order they happened: the invoice, the e-way bill (when one was
required) and the dispatch itself; notify learns the invoice and the e-way bill from the dispatch, which carries
both, so partners hear of them when the goods leave.
"""

from __future__ import annotations

from o2c.contracts.envelope import Message
from o2c.contracts.v1.dispatch import ShipmentDispatched
from o2c.contracts.v1.partner import (
    OrderedQuantity,
    PartnerEwayBillGenerated,
    PartnerOrderBackordered,
    PartnerOrderCancelled,
    PartnerOrderClosed,
    PartnerOrderConfirmed,
    PartnerOrderInvoiced,
    PartnerOrderReleased,
    PartnerShipmentDispatched,
    PartnerStatus,
    PromisedLine,
    StatusLine,
    WaitingLine,
)
from o2c.contracts.v1.sales import (
    BackorderedLine,
    OrderBackordered,
    OrderCancelled,
    OrderClosed,
    OrderConfirmed,
    OrderReleased,
)
from o2c.notify.domain.delivery import TransitTable, expected_delivery_date

TOLD_TO_PARTNERS = (OrderConfirmed, OrderReleased, OrderBackordered, ShipmentDispatched, OrderClosed, OrderCancelled)
"""The events the feed is made of."""


def _waiting(lines: list[BackorderedLine]) -> list[WaitingLine]:
    return [WaitingLine(line_no=x.line_no, item_code=x.item_code, quantity=x.quantity, expected_date=x.expected_date)
            for x in lines]


def partner_statuses(event: Message, transit: TransitTable = TransitTable()) -> list[PartnerStatus]:
    """The statuses a partner serving the event's customer receives, in order; none for any other event. A gate-out
    without an expected delivery date gets the one the customer's dispatch notice tells (from `transit`)."""
    ref = {"order_id": getattr(event, "order_id", ""), "order_no": getattr(event, "order_no", ""),
           "customer_id": getattr(event, "customer_id", "")}
    if isinstance(event, OrderConfirmed):
        return [PartnerOrderConfirmed(
            **ref, order_date=event.order_date, customer_po_no=event.customer_po_no,
            lines=[PromisedLine(line_no=x.line_no, item_code=x.item_code, item_name=x.item_name, quantity=x.quantity,
                                unit_price=x.unit_price, promised_date=x.promised_date) for x in event.lines],
            taxable_value=event.totals.taxable_value, tax_amount=event.totals.tax_amount,
            gross_value=event.totals.gross_value, confirmed_at=event.confirmed_at)]
    if isinstance(event, OrderReleased):
        return [PartnerOrderReleased(
            **ref, release_no=event.release_no, shipments=len(event.shipments),
            lines=[StatusLine(line_no=x.line_no, item_code=x.item_code, item_name=x.item_name, quantity=x.quantity)
                   for shipment in event.shipments for x in shipment.lines],
            backordered=_waiting(event.backordered), released_at=event.released_at)]
    if isinstance(event, OrderBackordered):
        return [PartnerOrderBackordered(**ref, lines=_waiting(event.lines), backordered_at=event.backordered_at)]
    if isinstance(event, ShipmentDispatched):
        return _gate_out(event, transit)
    if isinstance(event, OrderClosed):
        return [PartnerOrderClosed(**ref, invoice_nos=event.invoice_nos, closed_at=event.closed_at)]
    if isinstance(event, OrderCancelled):
        return [PartnerOrderCancelled(
            **ref, reason=event.reason, cancelled_at=event.cancelled_at,
            cancelled_lines=[OrderedQuantity(line_no=x.line_no, item_code=x.item_code, quantity=x.quantity)
                             for x in event.cancelled_lines])]
    return []


def _gate_out(event: ShipmentDispatched, transit: TransitTable) -> list[PartnerStatus]:
    ref = {"order_id": event.order_id, "order_no": event.order_no, "customer_id": event.customer_id}
    told: list[PartnerStatus] = [PartnerOrderInvoiced(
        **ref, shipment_no=event.shipment_no, invoice_no=event.invoice_no, invoice_date=event.invoice_date,
        amount=event.invoice_value)]
    if event.ewaybill_no:
        told.append(PartnerEwayBillGenerated(**ref, shipment_no=event.shipment_no, ewaybill_no=event.ewaybill_no,
                                             valid_until=event.ewaybill_valid_until))
    transport = event.transport
    expected = event.expected_delivery_date or expected_delivery_date(
        event.dispatched_at, transport.distance_km, transit.terms_for(transport.transporter_id))
    told.append(PartnerShipmentDispatched(
        **ref, shipment_no=event.shipment_no, invoice_no=event.invoice_no, ewaybill_no=event.ewaybill_no,
        mode=transport.mode, vehicle_no=transport.vehicle_no, transporter_name=transport.transporter_name,
        lr_no=transport.lr_no, expected_delivery_date=expected, dispatched_at=event.dispatched_at,
        lines=[StatusLine(line_no=x.line_no, item_code=x.item_code, quantity=x.quantity) for x in event.lines]))
    return told
