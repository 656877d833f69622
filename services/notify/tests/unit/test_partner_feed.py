"""The partner feed on fakes: which statuses an order event becomes, what they carry and leave out, and that only
the onboarded partners serving the event's customer are told."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from o2c.contracts import samples
from o2c.contracts.envelope import Envelope
from o2c.contracts.v1.credit import CreditHeld
from o2c.contracts.v1.dispatch import ShipmentDispatched
from o2c.contracts.v1.partner import (
    PartnerEwayBillGenerated,
    PartnerOrderBackordered,
    PartnerOrderCancelled,
    PartnerOrderClosed,
    PartnerOrderConfirmed,
    PartnerOrderInvoiced,
    PartnerOrderReleased,
    PartnerShipmentDispatched,
    PartnerStatus,
)
from o2c.contracts.v1.sales import (
    CustomerApproved,
    OrderBackordered,
    OrderCancelled,
    OrderClosed,
    OrderConfirmed,
    OrderReleased,
)
from o2c.notify.domain.delivery import TransitTable, TransitTerms
from o2c.notify.domain.partner_feed import partner_statuses
from o2c.notify.service_layer import use_cases
from o2c.notify.service_layer.partner_feed import tell_partners


class Bindings:
    def __init__(self, partners: dict[str, set[str]]) -> None:
        self.partners = partners

    async def partners_of(self, customer_id: str) -> Collection[str]:
        return self.partners.get(customer_id, set())


class Topics:
    def __init__(self, onboarded: set[str]) -> None:
        self.onboarded_partners = onboarded
        self.asked: list[str] = []

    async def onboarded(self, partner: str) -> bool:
        self.asked.append(partner)
        return partner in self.onboarded_partners


class Feed:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list[PartnerStatus]]] = []

    async def publish(self, partner: str, statuses: Sequence[PartnerStatus]) -> None:
        self.sent.append((partner, list(statuses)))


def test_each_order_event_becomes_its_partner_status_with_the_order_and_customer_references() -> None:
    expected = {OrderConfirmed: [PartnerOrderConfirmed], OrderReleased: [PartnerOrderReleased],
                OrderBackordered: [PartnerOrderBackordered], OrderClosed: [PartnerOrderClosed],
                OrderCancelled: [PartnerOrderCancelled],
                ShipmentDispatched: [PartnerOrderInvoiced, PartnerEwayBillGenerated, PartnerShipmentDispatched]}
    for event_cls, status_classes in expected.items():
        event = samples.sample(event_cls)
        statuses = partner_statuses(event)
        assert [type(s) for s in statuses] == status_classes, event_cls.TYPE
        for status in statuses:
            assert (status.order_id, status.customer_id) == (samples.ORDER_ID, samples.CUSTOMER_ID)
            assert status.order_no == samples.ORDER_NO
            assert status.message_key() == samples.ORDER_ID  # one order's statuses stay in order


def test_events_partners_are_not_told_of_become_nothing() -> None:
    for other in (samples.sample(CreditHeld), samples.sample(CustomerApproved)):
        assert partner_statuses(other) == []


def test_a_gate_out_tells_the_invoice_amount_the_e_way_bill_validity_then_the_vehicle_and_expected_date() -> None:
    dispatched = samples.sample(ShipmentDispatched)
    invoiced, ewaybill, gone = partner_statuses(dispatched)
    assert isinstance(invoiced, PartnerOrderInvoiced) and isinstance(ewaybill, PartnerEwayBillGenerated)
    assert isinstance(gone, PartnerShipmentDispatched)
    assert (invoiced.invoice_no, invoiced.amount) == (dispatched.invoice_no, dispatched.invoice_value)
    assert (ewaybill.ewaybill_no, ewaybill.valid_until) == (dispatched.ewaybill_no, dispatched.ewaybill_valid_until)
    assert (gone.vehicle_no, gone.expected_delivery_date) == (dispatched.transport.vehicle_no,
                                                              dispatched.expected_delivery_date)


def test_a_gate_out_without_an_expected_date_tells_the_one_the_customers_notice_tells() -> None:
    dispatched = samples.sample(ShipmentDispatched).model_copy(update={"expected_delivery_date": None})
    transit = TransitTable(default=TransitTerms(days=1, per_km=300))
    *_, gone = partner_statuses(dispatched, transit)
    assert isinstance(gone, PartnerShipmentDispatched)
    assert gone.expected_delivery_date == use_cases.dispatch_notice(
        dispatched, use_cases.Settings(transit=transit)).expected_delivery


def test_no_e_way_bill_status_when_none_was_required() -> None:
    dispatched = samples.sample(ShipmentDispatched).model_copy(update={"ewaybill_no": None,
                                                                       "ewaybill_valid_until": None})
    assert [type(s) for s in partner_statuses(dispatched)] == [PartnerOrderInvoiced, PartnerShipmentDispatched]


def test_the_statuses_leave_out_what_the_customer_may_not_see() -> None:
    confirmed = samples.sample(OrderConfirmed)
    for event in (confirmed, samples.sample(OrderReleased), samples.sample(ShipmentDispatched)):
        for status in partner_statuses(event):
            wire = Envelope.wrap(status, producer="notify").to_bytes().decode()
            for internal in ("allocations", "warehouse", "bin_code", "batch_no", "gstin", "driver_phone",
                             "orders@arunretail.example", "shp-7f3c2a-1", "inv-000123", "discount"):
                assert internal not in wire, (type(status).__name__, internal)
    status = partner_statuses(confirmed)[0]
    assert isinstance(status, PartnerOrderConfirmed)
    assert status.gross_value == confirmed.totals.gross_value  # the customer's own order value is told


async def test_only_the_onboarded_partners_serving_the_customer_are_told() -> None:
    bindings = Bindings({samples.CUSTOMER_ID: {"edi-gateway", "globex", "Bad Name"}, "cus-other": {"acme"}})
    topics, feed = Topics({"edi-gateway", "acme"}), Feed()
    told = await tell_partners(samples.sample(ShipmentDispatched), bindings=bindings, topics=topics, feed=feed)
    assert [partner for partner, _ in feed.sent] == ["edi-gateway"]
    assert [type(s) for s in feed.sent[0][1]] == [PartnerOrderInvoiced, PartnerEwayBillGenerated,
                                                   PartnerShipmentDispatched]
    assert (told.told, told.not_onboarded) == (("edi-gateway",), ("globex",))
    assert "Bad Name" not in topics.asked  # a name that cannot name a topic is never looked up


async def test_a_customer_no_partner_serves_sends_nothing_and_asks_the_broker_nothing() -> None:
    topics, feed = Topics({"acme"}), Feed()
    told = await tell_partners(samples.sample(OrderConfirmed), bindings=Bindings({}), topics=topics, feed=feed)
    assert feed.sent == [] and topics.asked == [] and told.told == ()


async def test_an_event_partners_are_not_told_of_looks_nothing_up() -> None:
    topics, feed = Topics({"acme"}), Feed()
    bindings = Bindings({samples.CUSTOMER_ID: {"acme"}})
    await tell_partners(samples.sample(CreditHeld), bindings=bindings, topics=topics, feed=feed)
    assert feed.sent == [] and topics.asked == []
