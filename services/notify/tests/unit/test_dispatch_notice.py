from datetime import date, datetime
from decimal import Decimal

import pytest
from o2c.india.calendar import IST
from o2c.notify.domain.delivery import TransitTable, TransitTerms, expected_delivery_date
from o2c.notify.domain.notices import DispatchNotice, compose, delivery_key
from o2c.notify.domain.seed_templates import SEED_TEMPLATES
from o2c.notify.domain.templates import MessageKind, TemplateBook

BOOK = TemplateBook(SEED_TEMPLATES)


def notice(**overrides: object) -> DispatchNotice:
    values: dict[str, object] = {
        "customer_name": "Kaveri Stores Pvt Ltd",
        "order_no": "SO/26-27/0042",
        "shipment_no": "SHP/26-27/0077",
        "invoice_no": "INV/26-27/000123",
        "invoice_date": date(2026, 11, 5),
        "invoice_value": Decimal("153100.00"),
        "invoice_pdf_url": "https://o2c.example/invoices/inv-123/pdf",
        "dispatched_at": datetime(2026, 11, 5, 19, 29, tzinfo=IST),
        "expected_delivery": date(2026, 11, 9),
        "vehicle_no": "MH12AB1234",
        "transporter_name": "Sahyadri Roadways",
        "lr_no": "LR-7781",
        "lr_date": date(2026, 11, 5),
        "ewaybill_no": "321001234567",
        "ewaybill_valid_until": datetime(2026, 11, 9, 23, 59, tzinfo=IST),
    }
    values.update(overrides)
    return DispatchNotice(**values)  # type: ignore[arg-type]


def test_the_dispatch_message_carries_invoice_eway_bill_vehicle_transporter_lr_and_delivery_date() -> None:
    message = compose(notice(), BOOK)
    assert message.subject == "Order SO/26-27/0042 dispatched: invoice INV/26-27/000123, expected 9 Nov 2026"
    for expected in (
        "Invoice:           INV/26-27/000123 dated 5 Nov 2026, ₹1,53,100.00",
        "Invoice PDF:       https://o2c.example/invoices/inv-123/pdf",
        "E-way bill:        321001234567, valid until 9 Nov 2026, 11:59 PM IST",
        "Vehicle:           MH12AB1234",
        "Transporter:       Sahyadri Roadways",
        "LR:                LR-7781 dated 5 Nov 2026",
        "Expected delivery: 9 Nov 2026",
        "left our warehouse on 5 Nov 2026, 07:29 PM IST",
    ):
        assert expected in message.body


def test_without_an_eway_bill_the_message_says_none_was_required() -> None:
    body = compose(notice(ewaybill_no=None, ewaybill_valid_until=None), BOOK).body
    assert "E-way bill:        not required for this consignment" in body


def test_utc_instants_are_shown_in_ist() -> None:
    body = compose(notice(dispatched_at=datetime.fromisoformat("2026-11-05T13:59:00+00:00")), BOOK).body
    assert "5 Nov 2026, 07:29 PM IST" in body


def test_a_customer_language_is_used_when_a_template_exists_else_english() -> None:
    assert compose(notice(), BOOK, language="hi").language == "hi"
    assert "भेज दिया गया" in compose(notice(), BOOK, language="hi").subject
    assert compose(notice(), BOOK, language="ta").language == "en"


def test_expected_delivery_follows_distance_and_the_transporters_pace() -> None:
    gate_out = datetime(2026, 11, 5, 19, 29, tzinfo=IST)
    own_pace = {"27AABCS1111G1ZX": TransitTerms(days=1, per_km=500, handling_days=1)}
    table = TransitTable(default=TransitTerms(days=1, per_km=300), by_transporter=own_pace)
    assert expected_delivery_date(gate_out, 840, table.terms_for(None)) == date(2026, 11, 8)  # 3 days
    assert expected_delivery_date(gate_out, 840, table.terms_for("27AABCS1111G1ZX")) == date(2026, 11, 8)  # 2 + 1
    assert expected_delivery_date(gate_out, 10, table.terms_for("unknown")) == date(2026, 11, 6)


def test_expected_delivery_counts_from_the_ist_date_of_gate_out() -> None:
    just_after_midnight_ist = datetime.fromisoformat("2026-11-05T18:40:00+00:00")  # 6 Nov 00:10 IST
    assert expected_delivery_date(just_after_midnight_ist, 100, TransitTerms()) == date(2026, 11, 7)


def test_transit_terms_must_make_sense() -> None:
    with pytest.raises(ValueError):
        TransitTerms(days=0)


def test_the_delivery_key_is_the_same_for_a_redelivered_event_and_differs_per_channel() -> None:
    key = delivery_key("evt-1", MessageKind.DISPATCHED, "email", "Buyer@Kaveri.example ")
    assert key == delivery_key("evt-1", MessageKind.DISPATCHED, "email", "buyer@kaveri.example")
    assert key != delivery_key("evt-1", MessageKind.DISPATCHED, "webhook", "buyer@kaveri.example")
    assert key != delivery_key("evt-2", MessageKind.DISPATCHED, "email", "buyer@kaveri.example")
