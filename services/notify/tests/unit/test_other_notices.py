from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from o2c.india.calendar import IST
from o2c.notify.domain.formatting import rupees
from o2c.notify.domain.notices import (
    Allocation,
    BackorderedLine,
    BackorderNotice,
    CancellationNotice,
    CreditHoldNotice,
    PaymentReceipt,
    RejectionNotice,
    compose,
)
from o2c.notify.domain.seed_templates import SEED_TEMPLATES
from o2c.notify.domain.templates import (
    MessageKind,
    MessageTemplate,
    TemplateBook,
    TemplateProblem,
    render,
)

BOOK = TemplateBook(SEED_TEMPLATES)


def test_every_message_kind_has_an_english_template() -> None:
    assert all(BOOK.template_for(kind, "en").language == "en" for kind in MessageKind)


def test_a_credit_hold_says_when_a_decision_is_expected() -> None:
    message = compose(
        CreditHoldNotice("Bharat Retail LLP", "SO/26-27/0042", Decimal("250000"), "credit limit exceeded",
                         datetime(2026, 11, 5, 14, 0, tzinfo=IST)),
        BOOK,
    )  # fmt: skip
    assert message.subject == "Order SO/26-27/0042 is awaiting credit approval"
    assert "for ₹2,50,000.00 is awaiting approval" in message.body
    assert "by 5 Nov 2026, 02:00 PM IST" in message.body


def test_a_rejection_names_the_reason_and_whom_to_contact() -> None:
    body = compose(RejectionNotice("Bharat Retail LLP", "SO/1", "overdue invoices", "finance@orbit.example"), BOOK).body
    assert "(overdue invoices)" in body and "finance@orbit.example" in body


def test_a_backorder_lists_each_item_with_its_expected_date() -> None:
    notice = BackorderNotice(
        "Bharat Retail LLP",
        "SO/26-27/0042",
        (
            BackorderedLine("Lead-acid battery 12V", Decimal("3.000"), "NOS", date(2026, 11, 20)),
            BackorderedLine("Inverter 900VA", Decimal("2"), "NOS", None),
        ),
    )
    body = compose(notice, BOOK).body
    assert "  - Lead-acid battery 12V: 3 NOS, expected 20 Nov 2026" in body
    assert "  - Inverter 900VA: 2 NOS, date not yet known" in body


def test_a_cancellation_gives_the_reason_and_time() -> None:
    body = compose(
        CancellationNotice("Bharat Retail LLP", "SO/1", "cancelled at your request",
                           datetime(2026, 11, 5, 4, 30, tzinfo=UTC)),
        BOOK,
    ).body  # fmt: skip
    assert "cancelled on 5 Nov 2026, 10:00 AM IST: cancelled at your request." in body


def test_a_payment_receipt_shows_allocations_tds_and_what_is_held_on_account() -> None:
    receipt = PaymentReceipt(
        "Bharat Retail LLP", "RCPT/26-27/0009", Decimal("100000"), date(2026, 11, 30), "UTR 4521",
        (Allocation("INV/26-27/000101", Decimal("60000")), Allocation("INV/26-27/000123", Decimal("39900"))),
        tds_deducted=Decimal("100"), unapplied=Decimal("100"),
    )  # fmt: skip
    message = compose(receipt, BOOK)
    assert message.subject == "Payment received: ₹1,00,000.00 (receipt RCPT/26-27/0009)"
    assert "  - INV/26-27/000101: ₹60,000.00\n  - INV/26-27/000123: ₹39,900.00" in message.body
    assert "TDS deducted by you: ₹100.00" in message.body
    assert "Held on account (not yet applied): ₹100.00" in message.body


def test_a_payment_without_allocations_is_held_on_account() -> None:
    receipt = PaymentReceipt("Bharat Retail LLP", "RCPT/1", Decimal("5000"), date(2026, 11, 30), "UTR 1")
    assert "held on account until you tell us which invoices" in compose(receipt, BOOK).body


def test_a_template_needing_a_field_the_message_lacks_is_refused() -> None:
    template = MessageTemplate(MessageKind.ORDER_CANCELLED, "en", "Order $order_no", "Refund $refund_amount")
    with pytest.raises(TemplateProblem, match="refund_amount"):
        render(template, {"order_no": "SO/1"})


def test_two_templates_for_one_kind_and_language_are_refused() -> None:
    template = MessageTemplate(MessageKind.ORDER_CANCELLED, "en", "s", "b")
    with pytest.raises(TemplateProblem):
        TemplateBook([template, template])


def test_a_kind_without_any_template_is_refused() -> None:
    with pytest.raises(TemplateProblem, match="no template"):
        TemplateBook([]).template_for(MessageKind.DISPATCHED)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [("0", "₹0.00"), ("999.5", "₹999.50"), ("153100", "₹1,53,100.00"), ("123456789.01", "₹12,34,56,789.01"),
     ("-1500", "-₹1,500.00")],
)  # fmt: skip
def test_rupees_read_in_lakhs_and_crores(amount: str, shown: str) -> None:
    assert rupees(Decimal(amount)) == shown
