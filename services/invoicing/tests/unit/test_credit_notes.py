from datetime import date
from decimal import Decimal
from types import ModuleType

import pytest
from o2c.invoicing.domain.credit_note import (
    CreditNote,
    ReturnedLine,
    ReturnRefused,
    credit_note_deadline,
    issue_credit_note,
    returnable_quantities,
)
from o2c.invoicing.domain.place_of_supply import TaxRegime

D = Decimal


def test_a_return_of_5_of_17_credits_5_and_references_the_invoice(given: ModuleType) -> None:
    invoice = given.invoice(given.shipment(given.picked(picked_quantity=D("17"), released_quantity=D("20"))))
    note = issue_credit_note(invoice, [ReturnedLine(1, D("5"))], [], "CRN/26-27/000001", given.ist(2026, 11, 20))
    assert note.lines[0].quantity == D("5")
    assert (note.original_invoice_no, note.original_invoice_date) == ("INV/26-27/000001", date(2026, 11, 5))
    assert note.totals.taxable_value == D("500.00")
    assert note.totals.cgst == note.totals.sgst == D("45.00")


def test_a_second_return_beyond_what_remains_is_refused(given: ModuleType) -> None:
    invoice = given.invoice(given.shipment(given.picked(picked_quantity=D("17"))))
    first = issue_credit_note(invoice, [ReturnedLine(1, D("5"))], [], "CRN/26-27/000001", given.ist(2026, 11, 20))
    assert returnable_quantities(invoice, [first]) == {1: D("12")}
    with pytest.raises(ReturnRefused, match="13 returned but only 12 of 17"):
        issue_credit_note(invoice, [ReturnedLine(1, D("13"))], [first], "CRN/26-27/000002", given.ist(2026, 11, 21))


def test_a_credit_note_keeps_the_invoice_tax_split_and_rate(given: ModuleType) -> None:
    ghee = given.picked(hsn="04059020", picked_quantity=D("10"), unit_price=D("500.00"))
    ready = given.shipment(ghee, bill_to=given.BENGALURU_BUYER, ship_to=given.BENGALURU_BUYER)
    invoice = given.invoice(ready, at=given.ist(2025, 9, 21))  # 12 % then, 5 % from the next day
    note = issue_credit_note(invoice, [ReturnedLine(1, D("2"))], [], "CRN/25-26/000001", given.ist(2025, 10, 1))
    assert note.invoice.regime is TaxRegime.IGST
    assert (note.lines[0].taxes.igst_rate, note.lines[0].taxes.igst) == (D("12"), D("120.00"))
    assert note.place_of_supply == "29"


def test_returns_of_the_whole_quantity_in_parts_add_up_to_the_invoice_exactly(given: ModuleType) -> None:
    line = given.picked(picked_quantity=D("3"), unit_price=D("33.35"), discount=D("1.00"))
    invoice = given.invoice(given.shipment(line))
    notes: list[CreditNote] = []
    for n in range(3):
        notes.append(
            issue_credit_note(
                invoice, [ReturnedLine(1, D("1"))], notes, f"CRN/26-27/00000{n + 1}", given.ist(2026, 11, 20 + n)
            )
        )
    credited = [note.lines[0] for note in notes]
    original = invoice.lines[0]
    assert sum(c.taxable_value for c in credited) == original.taxable_value
    assert sum(c.discount for c in credited) == original.discount
    assert sum(c.taxes.cgst for c in credited) == original.taxes.cgst
    assert sum(c.taxes.sgst for c in credited) == original.taxes.sgst
    assert returnable_quantities(invoice, notes) == {1: D("0")}


def test_credit_notes_are_allowed_until_30_november_after_the_invoices_financial_year() -> None:
    assert credit_note_deadline(date(2024, 6, 10)) == date(2025, 11, 30)
    assert credit_note_deadline(date(2025, 3, 31)) == date(2025, 11, 30)
    assert credit_note_deadline(date(2025, 4, 1)) == date(2026, 11, 30)


def test_a_credit_note_after_the_time_limit_is_refused(given: ModuleType) -> None:
    invoice = given.invoice(at=given.ist(2024, 6, 10))
    on_time = issue_credit_note(invoice, [ReturnedLine(1, D("1"))], [], "CRN/25-26/000001", given.ist(2025, 11, 30, 23))
    assert on_time.financial_year == "2025-26"
    with pytest.raises(ReturnRefused, match="30/11/2025"):
        issue_credit_note(invoice, [ReturnedLine(1, D("1"))], [], "CRN/25-26/000002", given.ist(2025, 12, 1))


def test_returns_of_unknown_lines_or_nothing_are_refused(given: ModuleType) -> None:
    invoice = given.invoice()
    at = given.ist(2026, 11, 20)
    with pytest.raises(ReturnRefused, match="no line 9"):
        issue_credit_note(invoice, [ReturnedLine(9, D("1"))], [], "CRN/26-27/000001", at)
    with pytest.raises(ReturnRefused, match="positive"):
        issue_credit_note(invoice, [ReturnedLine(1, D("0"))], [], "CRN/26-27/000001", at)
    with pytest.raises(ReturnRefused, match="nothing returned"):
        issue_credit_note(invoice, [], [], "CRN/26-27/000001", at)
