"""The IRP client against the local sandbox (real HTTP shapes over an in-process transport), and the PDF."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from o2c.contracts.samples import sample
from o2c.contracts.v1.dispatch import ReadyLine, ShipmentReady
from o2c.india.calendar import IST
from o2c.invoicing.adapters.irp import HttpIrpGateway
from o2c.invoicing.adapters.irp_sandbox import SandboxState, create_app
from o2c.invoicing.adapters.pdf import render_invoice_pdf
from o2c.invoicing.domain.einvoice import irp_payload
from o2c.invoicing.domain.invoice import issue_tax_invoice
from o2c.invoicing.service_layer import mapping
from o2c.invoicing.service_layer.ports import InvoiceRecord, IrnStatus, IrpRefusal
from o2c.testsupport.invoicing.invoicing_rate_master import master_with

D = Decimal
ISSUED_AT = datetime(2026, 5, 4, 11, tzinfo=IST)


def _ready(lines: int = 2) -> ShipmentReady:
    base = sample(ShipmentReady)
    if lines == 2:
        return base
    template = base.lines[1]
    return base.model_copy(update={"lines": [
        ReadyLine(**(template.model_dump() | {"line_no": n, "item_code": f"SOAP-{n}",
                                              "item_name": f"Sandal soap 100 g, carton {n}"}))
        for n in range(1, lines + 1)]})


def _payload(msg: ShipmentReady | None = None, number: str = "INV/26-27/000123") -> tuple[dict[str, Any], str]:
    msg = msg or _ready()
    rates = master_with(msg)
    invoice = issue_tax_invoice(mapping.ready_shipment(msg), number, ISSUED_AT, rates)
    return irp_payload(invoice), invoice.supplier_gstin


def _gateway(state: SandboxState) -> HttpIrpGateway:
    return HttpIrpGateway("http://irp", transport=httpx.ASGITransport(app=create_app(state)))


def _state(now: datetime = ISSUED_AT + timedelta(hours=1)) -> SandboxState:
    return SandboxState(clock=lambda: now.astimezone(UTC))


async def test_the_sandbox_registers_then_answers_2150_with_the_existing_irn() -> None:
    state = _state()
    irp = _gateway(state)
    payload, gstin = _payload()
    ack = await irp.generate(payload, gstin)
    assert len(ack.irn) == 64 and ack.ack_no and ack.signed_qr_code
    with pytest.raises(IrpRefusal) as duplicate:
        await irp.generate(payload, gstin)
    assert duplicate.value.code == "2150" and duplicate.value.existing is not None
    assert duplicate.value.existing.irn == ack.irn
    fetched = await irp.get_by_irn(ack.irn, gstin)
    assert (fetched.ack_no, fetched.signed_qr_code) == (ack.ack_no, ack.signed_qr_code)


async def test_the_irn_is_the_sha256_of_gstin_year_type_and_number() -> None:
    irp = _gateway(_state())
    payload, gstin = _payload()
    ack = await irp.generate(payload, gstin)
    from o2c.contracts.samples import IRN

    assert ack.irn == IRN


async def test_invalid_gstin_unregistered_gstin_and_late_reporting_are_refused_with_codes() -> None:
    payload, gstin = _payload()
    bad = payload | {"BuyerDtls": payload["BuyerDtls"] | {"Gstin": "29AAFCA7488L1Z0"}}
    with pytest.raises(IrpRefusal) as invalid:
        await _gateway(_state()).generate(bad, gstin)
    assert invalid.value.code == "3028"

    unknown = _state()
    unknown.unregistered.add(payload["BuyerDtls"]["Gstin"])
    with pytest.raises(IrpRefusal) as unregistered:
        await _gateway(unknown).generate(payload, gstin)
    assert unregistered.value.code == "3029"

    with pytest.raises(IrpRefusal) as late:
        await _gateway(_state(ISSUED_AT + timedelta(days=31))).generate(payload, gstin)
    assert late.value.code == "2283"
    await _gateway(_state(ISSUED_AT + timedelta(days=30))).generate(payload, gstin)  # day 30 is still in time


async def test_an_irn_cancels_within_24_hours_only() -> None:
    state = _state()
    irp = _gateway(state)
    payload, gstin = _payload()
    ack = await irp.generate(payload, gstin)
    state.clock = lambda: ack.ack_date + timedelta(hours=25)
    with pytest.raises(IrpRefusal) as late:
        await irp.cancel(ack.irn, "2", "wrong rate", gstin)
    assert late.value.code == "2270"
    state.clock = lambda: ack.ack_date + timedelta(hours=2)
    await irp.cancel(ack.irn, "2", "wrong rate", gstin)
    with pytest.raises(IrpRefusal):
        await irp.cancel(ack.irn, "2", "again", gstin)


async def test_an_unreachable_irp_is_unavailable_not_a_refusal() -> None:
    from o2c.invoicing.service_layer.ports import IrpUnavailable

    irp = HttpIrpGateway("http://127.0.0.1:9", timeout=0.5)
    payload, gstin = _payload()
    with pytest.raises(IrpUnavailable):
        await irp.generate(payload, gstin)


def test_a_240_line_invoice_pdf_renders_in_under_1_5_seconds() -> None:
    msg = _ready(240)
    rates = master_with(msg)
    invoice = issue_tax_invoice(mapping.ready_shipment(msg), "INV/26-27/000124", ISSUED_AT, rates)
    record = InvoiceRecord(id="inv-1", issued=mapping.invoice_issued(invoice, msg, "inv-1", irn_required=True),
                           irn_status=IrnStatus.PENDING, ewaybill_no="381001234567")
    started = time.perf_counter()
    content = render_invoice_pdf(record)
    elapsed = time.perf_counter() - started
    assert content.startswith(b"%PDF") and len(content) > 10_000
    if os.environ.get("O2C_MEASURE_STRICT") == "1":  # timings never gate CI
        assert elapsed < 1.5, f"{elapsed:.2f}s"


def test_the_stored_document_rebuilds_the_domain_invoice_exactly() -> None:
    msg = _ready()
    rates = master_with(msg)
    invoice = issue_tax_invoice(mapping.ready_shipment(msg), "INV/26-27/000123", ISSUED_AT, rates)
    issued = mapping.invoice_issued(invoice, msg, "inv-1", irn_required=True)
    again = mapping.tax_invoice(type(issued).model_validate(issued.model_dump(mode="json")))
    from dataclasses import replace

    # scheme_code is not part of the contract line; every amount, rate and batch is.
    assert again.lines == tuple(replace(line, scheme_code=None) for line in invoice.lines)
    assert again.totals == invoice.totals and again.regime == invoice.regime
    assert irp_payload(again) == irp_payload(invoice)


def _pdf_text(content: bytes) -> str:
    import re
    import zlib

    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S)
    out = []
    for stream in streams:
        try:
            out.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(out)


def test_the_pdf_shows_both_gstins_place_of_supply_hsn_tax_columns_irn_and_the_ewaybill_number() -> None:
    from o2c.contracts.v1 import invoicing as ci

    msg = _ready()
    rates = master_with(msg)
    invoice = issue_tax_invoice(mapping.ready_shipment(msg), "INV/26-27/000123", ISSUED_AT, rates)
    record = InvoiceRecord(
        id="inv-1", issued=mapping.invoice_issued(invoice, msg, "inv-1", irn_required=True),
        irn_status=IrnStatus.REGISTERED, ewaybill_no="381001234567",
        irn=ci.IrnDetails(irn="f" * 64, ack_no="112610000000001", ack_date=ISSUED_AT, signed_qr_code="eyJhbGc"),
    )
    text = _pdf_text(render_invoice_pdf(record))
    for expected in ("TAX INVOICE", "GSTIN: 29AABCR1718E1ZL", "GSTIN: 33AAAAR6720M1ZG", "Tamil Nadu \\(33\\)",
                     "09024020", "34011190", "IGST %", "381001234567", "f" * 64, "112610000000001",
                     "INV/26-27/000123", "Round off", "Rupees"):
        assert expected in text, expected


def _image_count(content: bytes) -> int:
    import re

    return len(re.findall(rb"/Subtype\s*/Image", content))


def test_a_registered_invoice_prints_the_signed_qr_as_an_image_and_a_b2c_invoice_prints_none() -> None:
    from o2c.contracts.v1 import invoicing as ci

    msg = _ready()
    rates = master_with(msg)
    invoice = issue_tax_invoice(mapping.ready_shipment(msg), "INV/26-27/000123", ISSUED_AT, rates)
    signed_qr = "eyJhbGciOiJSUzI1NiJ9." + "x" * 700 + ".sig"  # an IRP signed QR is a long JWT
    registered = InvoiceRecord(
        id="inv-1", issued=mapping.invoice_issued(invoice, msg, "inv-1", irn_required=True),
        irn_status=IrnStatus.REGISTERED,
        irn=ci.IrnDetails(irn="f" * 64, ack_no="112610000000001", ack_date=ISSUED_AT, signed_qr_code=signed_qr),
    )
    b2c_issued = mapping.invoice_issued(invoice, msg, "inv-2", irn_required=False)
    b2c = InvoiceRecord(id="inv-2", issued=b2c_issued.model_copy(update={"buyer_gstin": None}),
                        irn_status=IrnStatus.NOT_REQUIRED)

    assert _image_count(render_invoice_pdf(registered)) == 1
    assert _image_count(render_invoice_pdf(b2c)) == 0

