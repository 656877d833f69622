"""The message templates shipped with the service (data: the service stores and may override them)."""

from __future__ import annotations

from o2c.notify.domain.templates import MessageKind, MessageTemplate

SEED_TEMPLATES: tuple[MessageTemplate, ...] = (
    MessageTemplate(
        kind=MessageKind.DISPATCHED,
        language="en",
        subject="Order $order_no dispatched: invoice $invoice_no, expected $expected_delivery",
        body="""
Dear $customer_name,

Your order $order_no (shipment $shipment_no) left our warehouse on $dispatched_at.

Invoice:           $invoice_no dated $invoice_date, $invoice_value
Invoice PDF:       $invoice_pdf_url
E-way bill:        $ewaybill
Vehicle:           $vehicle_no
Transporter:       $transporter_name
LR:                $lr
Expected delivery: $expected_delivery

Please check the goods against the invoice on arrival.
""",
    ),
    MessageTemplate(
        kind=MessageKind.DISPATCHED,
        language="hi",
        subject="ऑर्डर $order_no भेज दिया गया: इनवॉइस $invoice_no, अपेक्षित डिलीवरी $expected_delivery",
        body="""
प्रिय $customer_name,

आपका ऑर्डर $order_no (शिपमेंट $shipment_no) $dispatched_at को हमारे गोदाम से भेज दिया गया है।

इनवॉइस:            $invoice_no, दिनांक $invoice_date, $invoice_value
इनवॉइस PDF:         $invoice_pdf_url
ई-वे बिल:           $ewaybill
वाहन:              $vehicle_no
ट्रांसपोर्टर:          $transporter_name
LR:                $lr
अपेक्षित डिलीवरी:     $expected_delivery
""",
    ),
    MessageTemplate(
        kind=MessageKind.CREDIT_HOLD,
        language="en",
        subject="Order $order_no is awaiting credit approval",
        body="""
Dear $customer_name,

Your order $order_no for $order_value is awaiting approval from our finance team: $reason.
We expect a decision by $decision_expected_by and will write to you as soon as it is made.
""",
    ),
    MessageTemplate(
        kind=MessageKind.ORDER_REJECTED,
        language="en",
        subject="Order $order_no could not be accepted",
        body="""
Dear $customer_name,

We are sorry: your order $order_no could not be accepted ($reason).
Please contact $contact to discuss it.
""",
    ),
    MessageTemplate(
        kind=MessageKind.BACKORDERED,
        language="en",
        subject="Order $order_no: some items will follow later",
        body="""
Dear $customer_name,

Part of your order $order_no is not in stock and will follow in a later shipment:
$lines

We will tell you when each part is dispatched.
""",
    ),
    MessageTemplate(
        kind=MessageKind.ORDER_CANCELLED,
        language="en",
        subject="Order $order_no cancelled",
        body="""
Dear $customer_name,

Your order $order_no was cancelled on $cancelled_at: $reason.
""",
    ),
    MessageTemplate(
        kind=MessageKind.PAYMENT_RECEIVED,
        language="en",
        subject="Payment received: $amount (receipt $receipt_no)",
        body="""
Dear $customer_name,

Thank you: we received $amount on $received_on (reference $reference), receipt $receipt_no.
Applied as follows:
$allocations
""",
    ),
)
