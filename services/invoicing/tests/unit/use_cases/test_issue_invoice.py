"""Issuing a tax invoice for a ready shipment on an in-memory unit of work: the rate in force, the place of
supply, the gap-free series, refusals kept for a person and retried when the rate arrives."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from o2c.contracts.samples import sample
from o2c.contracts.v1 import invoicing as ci
from o2c.contracts.v1.common import SupplyType
from o2c.contracts.v1.sales import GstRateRecorded
from o2c.india.calendar import IST
from o2c.india.gst_rates import GstRate
from o2c.india.supply import TaxRegime
from o2c.invoicing.service_layer import use_cases as uc
from o2c.invoicing.service_layer.ports import (
    IrnStatus,
)
from o2c.testsupport.invoicing.invoicing_builders import (
    BENGALURU,
    GUJARAT_SITE,
    MUMBAI,
    NOV_5,
    POLICY,
    PUNE,
    SUPPLIER_MH,
    WALK_IN_GOA,
    issue,
    line,
    ready,
)
from o2c.testsupport.invoicing.invoicing_fakes import InMemoryUnitOfWork

D = Decimal


# --- issuing ----------------------------------------------------------------------------------------


async def test_ordered_20_picked_17_is_invoiced_for_17_and_a_repeat_makes_no_second_invoice() -> None:
    uow = InMemoryUnitOfWork()
    first = await issue(uow, ready(line(1, "17", "20", price="250.00")))
    again = await issue(uow, ready(line(1, "17", "20", price="250.00")))
    assert again.id == first.id
    assert len(uow.invoices.rows) == 1 and len(uow.messages) == 1
    issued = first.issued
    assert issued.lines[0].quantity.value == D("17") and issued.totals.taxable_value == D("4250.00")
    assert (issued.totals.cgst, issued.totals.sgst, issued.totals.igst) == (D("382.50"), D("382.50"), D("0"))
    assert issued.invoice_no == "INV/26-27/000001" and issued.financial_year == "2026-27"
    assert issued.irn_required is True and first.irn_status is IrnStatus.PENDING
    assert isinstance(uow.messages[0], ci.InvoiceIssued) and uow.messages[0].invoice_id == first.id


async def test_numbers_run_on_per_gstin_and_financial_year() -> None:
    uow = InMemoryUnitOfWork()
    numbers = [(await issue(uow, ready(shipment_id=f"s{i}"))).issued.invoice_no for i in range(3)]
    april = await issue(uow, ready(shipment_id="next-fy"), at=datetime(2027, 4, 1, 9, tzinfo=IST))
    assert numbers == ["INV/26-27/000001", "INV/26-27/000002", "INV/26-27/000003"]
    assert april.issued.invoice_no == "INV/27-28/000001"


async def test_pune_to_bengaluru_is_igst_and_bill_to_mumbai_ship_to_gujarat_third_party_is_maharashtra() -> None:
    uow = InMemoryUnitOfWork()
    inter = await issue(uow, ready(line(1, "1", price="1000.00"), shipment_id="ka", ship_to=BENGALURU))
    assert inter.issued.place_of_supply == "29"
    assert (inter.issued.lines[0].igst_rate, inter.issued.totals.igst) == (D("18"), D("180.00"))
    third = await issue(uow, ready(line(1, "1", price="1000.00"), shipment_id="gj", bill_to=MUMBAI,
                                   ship_to=GUJARAT_SITE.model_copy(update={"third_party": True})))
    assert third.issued.place_of_supply == "27"
    assert (third.issued.lines[0].cgst_rate, third.issued.lines[0].sgst_rate) == (D("9"), D("9"))


async def test_the_rate_in_force_on_the_invoice_date_wins_over_the_rate_quoted_on_the_order() -> None:
    # Butter (0405): 12 % until 21 September 2025, 5 % from the 22nd; the order quoted 12 %.
    uow = InMemoryUnitOfWork()
    butter = line(1, "10", price="100.00", hsn="04051000", gst="12")
    on_21 = await issue(uow, ready(butter, shipment_id="d21"), at=datetime(2025, 9, 21, 18, tzinfo=IST))
    on_22 = await issue(uow, ready(butter, shipment_id="d22"), at=datetime(2025, 9, 22, 9, tzinfo=IST))
    assert on_21.issued.lines[0].gst_rate == D("12") and on_21.issued.totals.cgst == D("60.00")
    assert on_22.issued.lines[0].gst_rate == D("5") and on_22.issued.totals.cgst == D("25.00")


async def test_an_hsn_without_a_rate_in_force_is_refused_for_a_person_never_taxed_at_the_quoted_rate() -> None:
    uow = InMemoryUnitOfWork()
    refused = await uc.issue_invoice(uow, ready(line(1, "2", price="50.00", hsn="96032100", gst="18")), now=NOV_5,
                                     policy=POLICY)
    assert refused is None and not uow.invoices.rows
    [message] = uow.messages
    assert isinstance(message, ci.InvoiceRefused) and message.refusal is ci.InvoiceRefusal.NO_GST_RATE
    assert "96032100" in message.reason and message.shipment_id == "shp-1"
    # No number was used: the next invoice takes the first number of the series.
    record = await issue(uow, ready(line(1, "2", price="50.00"), shipment_id="shp-2"))
    assert record.issued.invoice_no.endswith("/000001")


async def test_a_shipment_refused_for_want_of_a_rate_is_invoiced_when_sales_records_the_rate() -> None:
    uow = InMemoryUnitOfWork()
    brushes = ready(line(1, "2", price="50.00", hsn="96032100", gst="12"), line(2, "1", price="100.00"))
    assert await uc.issue_invoice(uow, brushes, now=NOV_5, policy=POLICY) is None
    # The same shipment again (a redelivery, a rate for another HSN): still refused, and nothing new to say.
    assert await uc.issue_invoice(uow, brushes, now=NOV_5, policy=POLICY) is None
    unrelated = sample(GstRateRecorded).model_copy(update={"hsn_prefix": "0401", "rate": D("5"),
                                                           "effective_from": date(2017, 7, 1)})
    await uc.record_gst_rate(uow, unrelated, now=NOV_5, policy=POLICY)
    assert [type(m) for m in uow.messages] == [ci.InvoiceRefused] and not uow.invoices.rows
    assert uow.refused.rows["shp-1"].attempts == 2
    # The sales head enters 18 % for brushes from 1 November: the shipment is invoiced at it on the next day,
    # never at the 12 % the order quoted.
    rate = unrelated.model_copy(update={"hsn_prefix": "9603", "rate": D("18"), "effective_from": date(2026, 11, 1)})
    next_day = NOV_5 + timedelta(days=1)
    assert await uc.record_gst_rate(uow, rate, now=next_day, policy=POLICY)
    issued = uow.messages[-1]
    assert isinstance(issued, ci.InvoiceIssued) and issued.shipment_id == "shp-1"
    assert issued.invoice_date == next_day.date() and issued.lines[0].gst_rate == D("18")
    assert issued.invoice_no.endswith("/000001") and not uow.refused.rows
    # A later copy of the rate (a replay) finds nothing left to retry.
    assert not await uc.record_gst_rate(uow, rate, now=next_day, policy=POLICY) and len(uow.invoices.rows) == 1


async def test_a_place_of_supply_that_disagrees_with_the_rule_is_refused_not_recomputed() -> None:
    uow = InMemoryUnitOfWork()
    # Sales says Karnataka, but goods delivered to the Mumbai buyer are supplied in Maharashtra.
    refused = await uc.issue_invoice(uow, ready(line(1, "1", price="1000.00"), place_of_supply="29"), now=NOV_5,
                                     policy=POLICY)
    assert refused is None and not uow.invoices.rows
    [message] = uow.messages
    assert isinstance(message, ci.InvoiceRefused) and message.refusal is ci.InvoiceRefusal.PLACE_OF_SUPPLY
    assert "29" in message.reason and "27" in message.reason


async def test_an_accountant_invoices_a_refused_shipment_once_its_cause_is_put_right() -> None:
    uow = InMemoryUnitOfWork()
    brushes = ready(line(1, "2", price="50.00", hsn="96032100", gst="12"))
    await uc.issue_invoice(uow, brushes, now=NOV_5, policy=POLICY)
    with pytest.raises(uc.Refused, match="96032100"):  # still no rate: the person is told what stands in the way
        await uc.invoice_refused_shipment(uow, "shp-1", now=NOV_5, policy=POLICY)
    with pytest.raises(uc.NotFound):
        await uc.invoice_refused_shipment(uow, "shp-unknown", now=NOV_5, policy=POLICY)
    rate = GstRate("9603", D("18"), date(2017, 7, 1))
    uow.rates.rows[(rate.hsn_prefix, rate.effective_from)] = (rate, 1)
    record = await uc.invoice_refused_shipment(uow, "shp-1", now=NOV_5, policy=POLICY)
    assert record.issued.lines[0].gst_rate == D("18") and not uow.refused.rows
    assert await uc.invoice_refused_shipment(uow, "shp-1", now=NOV_5, policy=POLICY) == record  # asked twice


async def test_the_split_sales_decided_for_the_shipment_is_checked_not_recomputed() -> None:
    uow = InMemoryUnitOfWork()
    # Sales taxed the shipment as leaving from Pune for the Mumbai buyer: CGST + SGST, as the invoice would.
    agreed = await issue(uow, ready(line(1, "1", price="1000.00"), tax_regime=TaxRegime.CGST_SGST))
    assert agreed.issued.totals.cgst == D("90.00")
    # Sales said IGST (it thought the goods left from another state): a person looks, no invoice is made.
    refused = await uc.issue_invoice(uow, ready(line(1, "1", price="1000.00"), shipment_id="shp-2",
                                                tax_regime=TaxRegime.IGST), now=NOV_5, policy=POLICY)
    assert refused is None
    message = uow.messages[-1]
    assert isinstance(message, ci.InvoiceRefused) and message.refusal is ci.InvoiceRefusal.PLACE_OF_SUPPLY
    assert "igst" in message.reason and "cgst_sgst" in message.reason


async def test_a_rate_from_sales_master_is_kept_once_per_version() -> None:
    uow = InMemoryUnitOfWork()
    rate = sample(GstRateRecorded).model_copy(update={"hsn_prefix": "9603", "rate": D("12"),
                                                      "effective_from": date(2017, 7, 1), "rate_id": "9603@2017-07-01"})
    assert await uc.record_gst_rate(uow, rate, now=NOV_5, policy=POLICY)
    assert not await uc.record_gst_rate(uow, rate, now=NOV_5, policy=POLICY)  # a replay changes nothing
    assert await uc.record_gst_rate(uow, rate.model_copy(update={"rate": D("18"), "version": 2}), now=NOV_5,
                                    policy=POLICY)
    assert not await uc.record_gst_rate(uow, rate.model_copy(update={"rate": D("5")}), now=NOV_5,
                                        policy=POLICY)  # an older version
    record = await issue(uow, ready(line(1, "2", price="50.00", hsn="96032100", gst="12")))
    assert record.issued.lines[0].gst_rate == D("18")


async def test_three_lines_with_paise_each_taxed_to_the_paisa_and_rounded_once() -> None:
    uow = InMemoryUnitOfWork()
    record = await issue(uow, ready(
        line(1, "3", price="33.33"), line(2, "7", price="14.29"), line(3, "1", price="0.55"), ship_to=BENGALURU))
    assert [ln.igst_amount for ln in record.issued.lines] == [D("18.00"), D("18.01"), D("0.10")]
    totals = record.issued.totals
    assert (totals.taxable_value, totals.igst) == (D("200.57"), D("36.11"))
    assert (totals.round_off, totals.grand_total) == (D("0.32"), D("237.00"))


async def test_b2c_skips_the_irn_and_a_bad_supplier_registration_is_refused_permanently() -> None:
    uow = InMemoryUnitOfWork()
    b2c = await issue(uow, ready(shipment_id="b2c", ship_to=WALK_IN_GOA, supply_type=SupplyType.B2C))
    assert b2c.irn_status is IrnStatus.NOT_REQUIRED and b2c.issued.irn_required is False
    wrong_state = PUNE.model_copy(update={"state_code": "29", "gstin": None})
    with pytest.raises(uc.InvalidShipment):
        await issue(uow, ready(shipment_id="bad", dispatch_from=wrong_state))
    assert uow.series.rows[(SUPPLIER_MH, "2026-27", "INV")].last_sequence == 1  # no number used by the refusal


