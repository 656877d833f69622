from datetime import date
from decimal import Decimal
from types import ModuleType

import pytest
from o2c.invoicing.domain.invoice import InvoiceProblem
from o2c.invoicing.domain.place_of_supply import Address, TaxRegime

D = Decimal


def test_the_invoice_is_for_the_picked_quantity_not_the_ordered_one(given: ModuleType) -> None:
    ready = given.shipment(given.picked(picked_quantity=D("17"), released_quantity=D("20"), unit_price=D("250.00")))
    invoice = given.invoice(ready)
    assert invoice.lines[0].quantity == D("17")
    assert invoice.totals.taxable_value == D("4250.00")


def test_a_slab_discount_keeps_its_quoted_rate_per_unit_when_fewer_are_picked(given: ModuleType) -> None:
    # Quoted: 20 units with a 10 % slab discount = 500.00 off 5,000.00. Picked 17 → 17 × 25.00 off.
    line = given.picked(
        picked_quantity=D("17"), released_quantity=D("20"), unit_price=D("250.00"), discount=D("500.00")
    )
    invoice = given.invoice(given.shipment(line))
    assert invoice.lines[0].discount == D("425.00")
    assert invoice.lines[0].taxable_value == D("3825.00")


def test_discount_is_taken_before_tax(given: ModuleType) -> None:
    line = given.picked(picked_quantity=D("10"), unit_price=D("100.00"), discount=D("100.00"))
    invoice = given.invoice(given.shipment(line))
    assert invoice.lines[0].taxes.cgst == D("81.00")  # 9 % of 900.00, not of 1,000.00


def test_lines_not_picked_at_all_are_left_out_and_renumbered(given: ModuleType) -> None:
    ready = given.shipment(
        given.picked(1, picked_quantity=D("0"), released_quantity=D("5")),
        given.picked(2, picked_quantity=D("3")),
    )
    invoice = given.invoice(ready)
    assert [(line.line_no, line.order_line_no) for line in invoice.lines] == [(1, 2)]


def test_a_shipment_with_nothing_picked_is_not_invoiced(given: ModuleType) -> None:
    with pytest.raises(InvoiceProblem, match="nothing was picked"):
        given.invoice(given.shipment(given.picked(picked_quantity=D("0"), released_quantity=D("5"))))


def test_more_picked_than_released_is_refused(given: ModuleType) -> None:
    with pytest.raises(InvoiceProblem, match="more than released"):
        given.invoice(given.shipment(given.picked(picked_quantity=D("21"), released_quantity=D("20"))))


def test_pune_to_mumbai_at_18_percent_is_9_percent_cgst_and_9_percent_sgst(given: ModuleType) -> None:
    invoice = given.invoice(given.shipment(given.picked(unit_price=D("1000.00"))))
    taxes = invoice.lines[0].taxes
    assert invoice.regime is TaxRegime.CGST_SGST
    assert (taxes.cgst_rate, taxes.sgst_rate, taxes.igst_rate) == (D("9"), D("9"), D("0"))
    assert (taxes.cgst, taxes.sgst, taxes.igst) == (D("90.00"), D("90.00"), D("0.00"))


def test_pune_to_bengaluru_is_igst_at_18_percent(given: ModuleType) -> None:
    ready = given.shipment(given.picked(unit_price=D("1000.00")), bill_to=given.BENGALURU_BUYER,
                           ship_to=given.BENGALURU_BUYER)  # fmt: skip
    invoice = given.invoice(ready)
    assert invoice.place_of_supply == "29"
    assert (invoice.lines[0].taxes.igst_rate, invoice.lines[0].taxes.igst) == (D("18"), D("180.00"))


def test_bill_to_mumbai_ship_to_gujarat_third_party_is_taxed_in_maharashtra(given: ModuleType) -> None:
    invoice = given.invoice(given.shipment(ship_to=given.GUJARAT_SITE))
    assert invoice.place_of_supply == "27"
    assert invoice.regime is TaxRegime.CGST_SGST
    assert invoice.ship_to == given.GUJARAT_SITE


def test_the_rate_is_the_one_in_force_on_the_ist_invoice_date(given: ModuleType) -> None:
    ghee = given.shipment(given.picked(hsn="04059020", unit_price=D("500.00")))
    on_21st = given.invoice(ghee, at=given.ist(2025, 9, 21, 23, 59))
    on_22nd = given.invoice(ghee, at=given.ist(2025, 9, 22, 0, 1))
    assert on_21st.lines[0].taxes.gst_rate == D("12")
    assert on_22nd.lines[0].taxes.gst_rate == D("5")
    assert (on_21st.invoice_date, on_22nd.invoice_date) == (date(2025, 9, 21), date(2025, 9, 22))


def test_three_lines_with_paise_are_taxed_per_line_and_rounded_off_to_the_rupee(given: ModuleType) -> None:
    ready = given.shipment(
        given.picked(1, picked_quantity=D("3"), unit_price=D("333.33")),  # 999.99 → 9 % = 89.9991
        given.picked(2, picked_quantity=D("5"), unit_price=D("2.50")),  # 12.50 → 9 % = 1.125
        given.picked(3, unit_price=D("1234.56"), discount=D("34.56")),  # 1,200.00 → 9 % = 108.00
    )
    invoice = given.invoice(ready)
    assert [line.taxes.cgst for line in invoice.lines] == [D("90.00"), D("1.13"), D("108.00")]
    assert [line.taxes.sgst for line in invoice.lines] == [D("90.00"), D("1.13"), D("108.00")]
    assert [line.line_total for line in invoice.lines] == [D("1179.99"), D("14.76"), D("1416.00")]
    totals = invoice.totals
    assert (totals.taxable_value, totals.cgst, totals.sgst) == (D("2212.49"), D("199.13"), D("199.13"))
    assert totals.round_off == D("0.25")
    assert totals.grand_total == D("2611.00")
    assert invoice.amount_in_words == "Rupees Two Thousand Six Hundred Eleven Only"


def test_round_off_can_be_negative(given: ModuleType) -> None:
    # Each half is rounded on its own: 9 % of 10.40 = 0.936 → 0.94 CGST + 0.94 SGST; 12.28 → 12.00.
    invoice = given.invoice(given.shipment(given.picked(unit_price=D("10.40"))))
    assert (invoice.totals.round_off, invoice.totals.grand_total) == (D("-0.28"), D("12.00"))


def test_invoice_totals_are_the_exact_sum_of_its_lines(given: ModuleType) -> None:
    ready = given.shipment(*(given.picked(n, picked_quantity=D(n), unit_price=D("19.99") * n) for n in range(1, 8)))
    invoice = given.invoice(ready)
    totals = invoice.totals
    assert totals.taxable_value == sum(line.taxable_value for line in invoice.lines)
    assert totals.cgst + totals.sgst + totals.utgst + totals.igst + totals.cess == sum(
        line.taxes.total for line in invoice.lines)
    assert totals.grand_total == sum(line.line_total for line in invoice.lines) + totals.round_off
    assert totals.grand_total == totals.grand_total.to_integral_value()


def test_fractional_quantities_are_valued_to_the_paisa(given: ModuleType) -> None:
    invoice = given.invoice(given.shipment(given.picked(unit="KGS", picked_quantity=D("2.345"), unit_price=D("33.33"))))
    assert invoice.lines[0].gross_value == D("78.16")  # 78.15885


def test_cess_is_charged_on_the_taxable_value_per_line(given: ModuleType) -> None:
    cola = given.picked(hsn="22021010", picked_quantity=D("24"), unit_price=D("35.00"))
    invoice = given.invoice(given.shipment(cola), at=given.ist(2025, 6, 2))
    taxes = invoice.lines[0].taxes
    assert (taxes.gst_rate, taxes.cgst, taxes.sgst, taxes.cess) == (D("28"), D("117.60"), D("117.60"), D("100.80"))


def test_within_chandigarh_the_invoice_carries_cgst_and_utgst(given: ModuleType) -> None:
    warehouse = Address(name="Orbit Distributors", line1="Industrial Area Ph 1", place="Chandigarh", state_code="04",
                        pincode="160002", gstin=given.SUPPLIER_CH)  # fmt: skip
    buyer = Address(name="Sector 17 Mart", line1="SCO 44", place="Chandigarh", state_code="04", pincode="160017",
                    gstin=given.BUYER_CH)  # fmt: skip
    ready = given.shipment(given.picked(unit_price=D("1000.00")), supplier_gstin=given.SUPPLIER_CH,
                           supplier=warehouse, dispatch_from=warehouse, bill_to=buyer, ship_to=buyer)  # fmt: skip
    taxes = given.invoice(ready).lines[0].taxes
    assert (taxes.cgst, taxes.utgst, taxes.sgst) == (D("90.00"), D("90.00"), D("0.00"))


def test_the_supplier_gstin_must_be_the_dispatching_states_registration(given: ModuleType) -> None:
    with pytest.raises(InvoiceProblem, match="dispatching state"):
        given.invoice(given.shipment(supplier_gstin=given.SUPPLIER_KA))


def test_invoice_carries_its_ist_date_financial_year_due_date_and_utc_instant(given: ModuleType) -> None:
    invoice = given.invoice(at=given.ist(2027, 3, 31, 23, 30))
    assert invoice.invoice_date == date(2027, 3, 31)
    assert invoice.financial_year == "2026-27"
    assert invoice.due_date == date(2027, 4, 30)
    assert invoice.issued_at.utcoffset().total_seconds() == 0


def test_an_invalid_invoice_number_is_refused(given: ModuleType) -> None:
    with pytest.raises(ValueError, match="not start with '0'"):
        given.invoice(number="0INV/1")
