"""The quotation PDF: a 240-line quotation renders quickly into a valid, multi-page PDF with the figures."""

from __future__ import annotations

import os
import re
import time
import zlib
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from o2c.india.rupees import indian_grouping as _money
from o2c.sales.adapters.quotation_pdf import render_quotation_pdf
from o2c.sales.domain.actors import Actor, Role
from o2c.sales.domain.catalog import Item, PriceEntry, PriceList, Pricing, SchemeBook, Uqc
from o2c.sales.domain.customer import Customer
from o2c.sales.domain.geography import StateCode
from o2c.sales.domain.numbering import DocumentNumber, FinancialYear
from o2c.sales.domain.quotation import LineRequest, Quotation, StockView
from o2c.sales.domain.tax import GstRate, GstRateSchedule, HsnCode

TODAY = date(2026, 5, 4)


def _pdf_text(content: bytes) -> str:
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            out.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(out)


def _quotation(make_customer: Callable[..., Customer], schemes: SchemeBook, count: int = 240) -> Quotation:
    codes = [f"ITEM-{n:03d}" for n in range(count)]
    catalog = {c: Item(c, f"Spare part {c}", HsnCode("8413"), Uqc.NOS, "spares") for c in codes}
    catalog["ITEM-000"] = Item("ITEM-000", "Pump", HsnCode("8413"), Uqc.NOS, "pumps")
    catalog["ITEM-001"] = Item("ITEM-001", "Motor (made to order)", HsnCode("8501"), Uqc.PCS, "motors",
                               stocked=False, lead_time_days=21)
    prices = PriceList("STD", "Standard", [PriceEntry(c, Decimal("100.00"), date(2026, 1, 1)) for c in codes])
    pricing = Pricing(prices, schemes, GstRateSchedule([GstRate("84", Decimal(18), date(2017, 7, 1)),
                                                        GstRate("85", Decimal(18), date(2017, 7, 1))]))
    return Quotation.prepare(
        quotation_id="Q1", number=DocumentNumber.build("QTN", FinancialYear(2026), 42), customer=make_customer(),
        ship_to_id="mumbai", requests=[LineRequest(c, Decimal(20)) for c in codes], items=catalog,
        pricing=pricing, stock=StockView.unknown(), supplier_state=StateCode("27"), today=TODAY,
        by=Actor.of("asha", Role.SALES_COORDINATOR))


def test_a_240_line_quotation_renders_a_valid_multi_page_pdf_quickly(
    make_customer: Callable[..., Customer], schemes: SchemeBook
) -> None:
    quotation = _quotation(make_customer, schemes)
    started = time.perf_counter()
    content = render_quotation_pdf(quotation, company_name="Ratan Pumps Pvt Ltd", company_gstin="27AAACR5055K1Z7")
    elapsed = time.perf_counter() - started
    print(f"240-line quotation PDF: {elapsed * 1000:.0f} ms, {len(content)} bytes")
    assert content.startswith(b"%PDF") and content.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b", content)) > 1
    text = _pdf_text(content)
    assert "QTN/26-27/000042" in text
    for expected in ("Ratan Pumps Pvt Ltd", "27AAACR5055K1Z7", "Ratan Traders Pvt Ltd", "ITEM-239", "8413",
                     "PUMPSLAB", "21 d lead", "unconfirmed", _money(quotation.totals.gross_value),
                     (TODAY + timedelta(days=15)).strftime("%d/%m/%Y")):
        assert expected in text, expected
    if os.environ.get("O2C_MEASURE_STRICT") == "1":  # timings never gate CI
        assert elapsed < 2.0, f"{elapsed:.2f}s"


def test_indian_grouping_of_amounts() -> None:
    assert _money(Decimal("479750")) == "4,79,750.00"
    assert _money(Decimal("12345678.9")) == "1,23,45,678.90"
    assert _money(Decimal("999.5")) == "999.50"
    assert _money(Decimal("-1000")) == "-1,000.00"
