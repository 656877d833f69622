"""Every registered message travels through the envelope and back unchanged; bad input is refused
with a reason a consumer can dead-letter with; old readers accept newer messages."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date
from decimal import Decimal
from typing import ClassVar

import pytest
from o2c.contracts.catalog import MESSAGES, decode, decode_bytes, message_class, producer_of
from o2c.contracts.envelope import HEADER_MESSAGE_ID, HEADER_TYPE, HEADER_VERSION, Envelope, Message
from o2c.contracts.errors import ContractError, InvalidEnvelope, InvalidPayload, UnknownMessage
from o2c.contracts.samples import SAMPLES, sample
from o2c.contracts.schemas import breaking_changes
from o2c.contracts.types import Quantity, Uqc
from o2c.contracts.v1 import credit, sales
from o2c.contracts.v1.common import OrderTotals
from pydantic import AwareDatetime, ValidationError

KEYS = sorted(MESSAGES)


def test_there_is_one_sample_per_registered_message() -> None:
    assert set(SAMPLES) == set(MESSAGES)
    assert len(MESSAGES) >= 53


@pytest.mark.parametrize("key", KEYS, ids=[k[0] for k in KEYS])
def test_every_message_round_trips_through_envelope_bytes(key: tuple[str, int]) -> None:
    cls = MESSAGES[key]
    message = SAMPLES[key]
    cause = uuid.uuid4()
    envelope = Envelope.wrap(message, producer=producer_of(cls).value, causation_id=cause)
    raw = envelope.to_bytes()

    received, decoded = decode_bytes(raw)

    assert type(decoded) is cls
    assert decoded == message
    assert received == envelope
    assert received.key == message.message_key() == getattr(message, cls.KEY_FIELD)
    assert received.correlation_id == received.key and received.causation_id == cause
    assert (received.type, received.version, received.kind) == (cls.TYPE, cls.VERSION, cls.KIND)
    headers = dict(envelope.headers({"traceparent": "00-" + "a" * 32 + "-" + "b" * 16 + "-01"}))
    assert headers[HEADER_TYPE] == cls.TYPE.encode()
    assert headers[HEADER_VERSION] == str(cls.VERSION).encode()
    assert headers[HEADER_MESSAGE_ID] == str(envelope.message_id).encode()
    assert b"traceparent" not in headers and "traceparent" in headers


@pytest.mark.parametrize("key", KEYS, ids=[k[0] for k in KEYS])
def test_no_float_reaches_the_wire(key: tuple[str, int]) -> None:
    def walk(node: object) -> None:
        assert not isinstance(node, float), f"{key}: float on the wire"
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(Envelope.wrap(SAMPLES[key], producer="x").to_bytes()))


def test_money_travels_as_a_two_place_decimal_string() -> None:
    totals = OrderTotals(taxable_value=Decimal("52200"), tax_amount="7914.5", gross_value=60114)  # type: ignore[arg-type]
    assert totals.model_dump(mode="json") == {
        "taxable_value": "52200.00",
        "tax_amount": "7914.50",
        "gross_value": "60114.00",
    }
    assert OrderTotals.model_validate_json(totals.model_dump_json()) == totals


def test_floats_are_refused_for_money_and_quantities() -> None:
    with pytest.raises(ValidationError, match="not floats"):
        OrderTotals(taxable_value=0.1, tax_amount=Decimal("0"), gross_value=Decimal("0"))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="not floats"):
        Quantity(value=1.5, unit=Uqc.KGS)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Quantity(value=Decimal("1"), unit="KILO")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-inf", "1.005", "12,00", True])
def test_money_refuses_non_numbers_infinities_and_sub_paisa_amounts(bad: object) -> None:
    with pytest.raises(ValidationError):
        OrderTotals(taxable_value=bad, tax_amount=Decimal("0"), gross_value=Decimal("0"))  # type: ignore[arg-type]


def test_exact_decimals_keep_their_places() -> None:
    assert Quantity(value=Decimal("12.500"), unit=Uqc.KGS).model_dump(mode="json") == {"value": "12.500", "unit": "KGS"}


def test_a_float_in_a_payload_is_an_invalid_payload_that_names_the_field() -> None:
    envelope = Envelope.wrap(sample(credit.OrderSettled), producer="credit")
    payload = {**envelope.payload, "invoiced_amount": 60114.0}
    with pytest.raises(InvalidPayload, match="invoiced_amount") as caught:
        decode(envelope.model_copy(update={"payload": payload}))
    assert isinstance(caught.value, ContractError)
    assert caught.value.reason == "invalid-payload"


def test_a_missing_required_field_is_an_invalid_payload() -> None:
    envelope = Envelope.wrap(sample(sales.OrderClosed), producer="sales")
    payload = {k: v for k, v in envelope.payload.items() if k != "closed_at"}
    with pytest.raises(InvalidPayload, match="closed_at"):
        decode(envelope.model_copy(update={"payload": payload}))


def test_unknown_type_or_version_is_an_unknown_message() -> None:
    envelope = Envelope.wrap(sample(sales.OrderClosed), producer="sales")
    with pytest.raises(UnknownMessage, match="OrderClosed v2") as caught:
        decode(envelope.model_copy(update={"version": 2}))
    assert (caught.value.type, caught.value.version) == ("OrderClosed", 2)
    with pytest.raises(UnknownMessage):
        message_class("OrderTeleported", 1)
    assert message_class("OrderClosed", 1) is sales.OrderClosed


def test_a_command_claimed_as_an_event_is_refused() -> None:
    envelope = Envelope.wrap(sample(sales.ReleaseReservation), producer="sales")
    assert envelope.kind == "command"
    with pytest.raises(InvalidPayload, match="is a command"):
        decode(envelope.model_copy(update={"kind": "event"}))


@pytest.mark.parametrize("raw", [b"", b"not json", b"[]", b'{"type": "OrderClosed"}'])
def test_bytes_that_are_not_an_envelope_are_an_invalid_envelope(raw: bytes) -> None:
    with pytest.raises(InvalidEnvelope):
        decode_bytes(raw)


# --- evolution within v1, proven with real classes -----------------------------------------------


class OrderClosedNext(sales.OrderClosed):
    """OrderClosed as a later producer writes it: one optional field more."""

    delivered_on: date | None = None


class OrderClosedBefore(Message):
    """OrderClosed as an early reader knew it: without `invoice_nos` and `customer_id`."""

    TYPE: ClassVar[str] = "OrderClosed"
    TOPIC: ClassVar[str] = sales.OrderClosed.TOPIC

    order_id: str
    order_no: str
    shipment_ids: list[str]
    closed_at: AwareDatetime


def test_an_old_reader_accepts_a_newer_message_with_an_added_field() -> None:
    newer = OrderClosedNext(**sample(sales.OrderClosed).model_dump(), delivered_on=date(2026, 5, 6))
    raw = Envelope.wrap(newer, producer="sales").to_bytes()
    assert json.loads(raw)["payload"]["delivered_on"] == "2026-05-06"

    _, current_reader = decode_bytes(raw)  # the registered v1 class: does not know delivered_on
    assert type(current_reader) is sales.OrderClosed
    assert current_reader == sample(sales.OrderClosed)

    older_reader = OrderClosedBefore.model_validate(Envelope.from_bytes(raw).payload)
    assert older_reader.shipment_ids == sample(sales.OrderClosed).shipment_ids


def test_a_newer_reader_accepts_an_older_message_without_the_added_field() -> None:
    raw = Envelope.wrap(sample(sales.OrderClosed), producer="sales").to_bytes()
    newer = OrderClosedNext.model_validate(Envelope.from_bytes(raw).payload)
    assert newer.delivered_on is None


def test_the_compatibility_check_agrees_that_adding_the_optional_field_is_compatible() -> None:
    assert breaking_changes(sales.OrderClosed.model_json_schema(), OrderClosedNext.model_json_schema()) == []
    removed = breaking_changes(sales.OrderClosed.model_json_schema(), OrderClosedBefore.model_json_schema())
    assert {v.path for v in removed} == {"customer_id", "invoice_nos"}


# --- what every contract class must say -----------------------------------------------------------


@pytest.mark.parametrize("key", KEYS, ids=[k[0] for k in KEYS])
def test_every_message_names_itself_and_says_what_happened_and_who_reacts(key: tuple[str, int]) -> None:
    cls = MESSAGES[key]
    assert cls.__name__ == cls.TYPE
    assert cls.VERSION == 1
    assert "__doc__" in cls.__dict__ and cls.__doc__ and len(cls.__doc__.split()) >= 8, cls.TYPE
    assert cls.model_config.get("extra") == "ignore" and cls.model_config.get("frozen") is True


def _words(name: str) -> list[str]:
    return re.findall(r"[A-Z][a-z]*", name)


def test_commands_are_imperative_and_events_past_tense() -> None:
    for cls in MESSAGES.values():
        words = _words(cls.TYPE)
        if cls.KIND == "command":
            assert words[0] in {"Release", "Reserve", "Recheck", "Cancel", "Undo"}, cls.TYPE
            assert "request_id" in cls.model_fields
        else:
            assert words[-1].endswith("ed") or words[-1] in {"Held", "Ready"}, cls.TYPE


def test_money_fields_travel_as_strings_in_the_schema() -> None:
    schema = credit.ReceivablePosted.model_json_schema()
    assert schema["properties"]["amount"]["type"] == "string"
