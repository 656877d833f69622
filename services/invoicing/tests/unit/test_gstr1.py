import json
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from o2c.india import portal as portal_json
from o2c.invoicing.domain.credit_note import ReturnedLine, issue_credit_note
from o2c.invoicing.domain.gstr1 import build_gstr1, filing_period, register_totals, reported_totals
from o2c.invoicing.domain.invoice import TaxInvoice
from o2c.invoicing.domain.place_of_supply import SupplyType
from o2c.invoicing.domain.seed import SEED_B2CL_THRESHOLDS

D = Decimal


def b2c(given: ModuleType, ship_to: Any, unit_price: str, at: Any, number: str) -> TaxInvoice:
    walk_in = given.same(ship_to, gstin=None)
    ready = given.shipment(given.picked(unit_price=D(unit_price)), supply_type=SupplyType.B2C, bill_to=walk_in,
                           ship_to=walk_in)  # fmt: skip
    return given.invoice(ready, at=at, number=number)  # type: ignore[no-any-return]


@pytest.fixture
def november(given: ModuleType) -> dict[str, Any]:
    """A month with a B2B invoice, an inter-state B2C of ₹1.5 lakh, an intra-state B2C, a cancelled
    invoice and a credit note."""
    b2b = given.invoice(
        given.shipment(
            given.picked(1, picked_quantity=D("2"), unit_price=D("40000.00")),
            given.picked(2, hsn="19053100", unit="BOX", picked_quantity=D("10"), unit_price=D("45.50")),
            bill_to=given.BENGALURU_BUYER,
            ship_to=given.BENGALURU_BUYER,
        ),
        at=given.ist(2026, 11, 5),
        number="INV/26-27/000001",
    )
    large = b2c(given, given.WALK_IN_GOA, "127500.00", given.ist(2026, 11, 10), "INV/26-27/000002")
    small = b2c(given, given.MUMBAI_BUYER, "1000.00", given.ist(2026, 11, 12), "INV/26-27/000003")
    cancelled = given.invoice(at=given.ist(2026, 11, 13), number="INV/26-27/000004")
    note = issue_credit_note(b2b, [ReturnedLine(1, D("1"))], [], "CRN/26-27/000001", given.ist(2026, 11, 20))
    return {"invoices": [b2b, large, small, cancelled], "notes": [note], "cancelled": {"INV/26-27/000004"}}


def gstr1_for(given: ModuleType, month: dict[str, Any], period: str = "2026-11") -> dict[str, Any]:
    return build_gstr1(
        given.SUPPLIER_MH, period, month["invoices"], month["notes"], month["cancelled"], SEED_B2CL_THRESHOLDS
    )


def test_b2b_invoices_are_reported_per_buyer_with_items_grouped_by_rate(given: ModuleType, november: Any) -> None:
    report = gstr1_for(given, november)
    assert (report["gstin"], report["fp"]) == (given.SUPPLIER_MH, "112026")
    assert report["b2b"] == [
        {
            "ctin": given.BUYER_KA,
            "inv": [
                {
                    "inum": "INV/26-27/000001",
                    "idt": "05-11-2026",
                    "val": D("94878.00"),
                    "pos": "29",
                    "rchrg": "N",
                    "inv_typ": "R",
                    "itms": [
                        {"num": 1, "itm_det": {"rt": D("5"), "txval": D("455.00"), "iamt": D("22.75"),
                                               "camt": D("0"), "samt": D("0"), "csamt": D("0")}},
                        {"num": 2, "itm_det": {"rt": D("18"), "txval": D("80000.00"), "iamt": D("14400.00"),
                                               "camt": D("0"), "samt": D("0"), "csamt": D("0")}},
                    ],
                }
            ],
        }
    ]  # fmt: skip


def test_an_inter_state_b2c_invoice_of_1_5_lakh_in_november_2026_is_b2c_large(given: ModuleType, november: Any) -> None:
    report = gstr1_for(given, november)
    assert report["b2cl"] == [
        {
            "pos": "30",
            "inv": [
                {
                    "inum": "INV/26-27/000002",
                    "idt": "10-11-2026",
                    "val": D("150450.00"),
                    "itms": [{"num": 1, "itm_det": {"rt": D("18"), "txval": D("127500.00"), "iamt": D("22950.00"),
                                                    "csamt": D("0")}}],
                }
            ],
        }
    ]  # fmt: skip


def test_intra_state_b2c_is_summarised_by_place_of_supply_and_rate(given: ModuleType, november: Any) -> None:
    assert gstr1_for(given, november)["b2cs"] == [
        {"sply_ty": "INTRA", "pos": "27", "typ": "OE", "rt": D("18"), "txval": D("1000.00"), "camt": D("90.00"),
         "samt": D("90.00"), "csamt": D("0")}
    ]  # fmt: skip


def test_a_credit_note_to_a_registered_buyer_is_in_cdnr(given: ModuleType, november: Any) -> None:
    assert gstr1_for(given, november)["cdnr"] == [
        {
            "ctin": given.BUYER_KA,
            "nt": [
                {
                    "ntty": "C",
                    "nt_num": "CRN/26-27/000001",
                    "nt_dt": "20-11-2026",
                    "val": D("47200.00"),
                    "pos": "29",
                    "rchrg": "N",
                    "inv_typ": "R",
                    "itms": [{"num": 1, "itm_det": {"rt": D("18"), "txval": D("40000.00"), "iamt": D("7200.00"),
                                                    "camt": D("0"), "samt": D("0"), "csamt": D("0")}}],
                }
            ],
        }
    ]  # fmt: skip


def test_a_cancelled_invoice_counts_only_in_documents_issued(given: ModuleType, november: Any) -> None:
    report = gstr1_for(given, november)
    assert "INV/26-27/000004" not in str(report["b2b"]) + str(report["b2cs"])
    assert report["doc_issue"] == {
        "doc_det": [
            {"doc_num": 1, "doc_typ": "Invoices for outward supply", "docs": [
                {"num": 1, "from": "INV/26-27/000001", "to": "INV/26-27/000004", "totnum": 4, "cancel": 1,
                 "net_issue": 3}]},
            {"doc_num": 5, "doc_typ": "Credit Note", "docs": [
                {"num": 1, "from": "CRN/26-27/000001", "to": "CRN/26-27/000001", "totnum": 1, "cancel": 0,
                 "net_issue": 1}]},
        ]
    }  # fmt: skip


def test_the_hsn_summary_is_split_b2b_and_b2c_with_units_net_of_credit_notes(given: ModuleType, november: Any) -> None:
    hsn = gstr1_for(given, november)["hsn"]
    assert [(r["hsn_sc"], r["uqc"], r["qty"], r["rt"], r["txval"], r["iamt"]) for r in hsn["hsn_b2b"]] == [
        ("19053100", "BOX", D("10"), D("5"), D("455.00"), D("22.75")),
        ("84713010", "NOS", D("1"), D("18"), D("40000.00"), D("7200.00")),
    ]
    assert [(r["qty"], r["txval"], r["iamt"], r["camt"], r["samt"]) for r in hsn["hsn_b2c"]] == [
        (D("2"), D("128500.00"), D("22950.00"), D("90.00"), D("90.00"))
    ]


def test_reported_totals_agree_with_the_invoice_register(given: ModuleType, november: Any) -> None:
    report = gstr1_for(given, november)
    register = register_totals(november["invoices"], november["notes"], november["cancelled"])
    assert reported_totals(report) == register
    assert register.taxable_value == D("168955.00")  # 80,455 + 1,27,500 + 1,000 − 40,000


def test_b2c_of_1_5_lakh_is_small_on_15_july_2024_and_large_on_15_august_2024(given: ModuleType) -> None:
    july = b2c(given, given.WALK_IN_GOA, "127500.00", given.ist(2024, 7, 15), "INV/24-25/000001")
    august = b2c(given, given.WALK_IN_GOA, "127500.00", given.ist(2024, 8, 15), "INV/24-25/000002")
    july_report = build_gstr1(given.SUPPLIER_MH, "2024-07", [july], [], set(), SEED_B2CL_THRESHOLDS)
    august_report = build_gstr1(given.SUPPLIER_MH, "2024-08", [august], [], set(), SEED_B2CL_THRESHOLDS)
    assert "b2cl" not in july_report and july_report["b2cs"][0]["txval"] == D("127500.00")
    assert "b2cs" not in august_report and august_report["b2cl"][0]["inv"][0]["val"] == D("150450.00")


def test_the_report_serialises_with_exact_amounts(given: ModuleType, november: Any) -> None:
    text = portal_json.dumps(gstr1_for(given, november))
    assert '"val":94878.00' in text
    assert json.loads(text, parse_float=Decimal)["b2b"][0]["inv"][0]["itms"][0]["itm_det"]["iamt"] == D("22.75")


def test_before_2025_the_hsn_summary_is_one_list_with_values(given: ModuleType) -> None:
    invoice = given.invoice(at=given.ist(2024, 8, 1), number="INV/24-25/000001")
    report = build_gstr1(given.SUPPLIER_MH, "2024-08", [invoice], [], set(), SEED_B2CL_THRESHOLDS)
    assert list(report["hsn"]) == ["data"]
    assert report["hsn"]["data"][0]["val"] == D("118.00")


def test_sez_invoices_are_b2b_with_their_invoice_type(given: ModuleType) -> None:
    with_payment = given.invoice(given.shipment(supply_type=SupplyType.SEZ_WITH_PAYMENT), number="INV/26-27/000001")
    without = given.invoice(given.shipment(supply_type=SupplyType.SEZ_WITHOUT_PAYMENT), number="INV/26-27/000002")
    report = build_gstr1(given.SUPPLIER_MH, "2026-11", [with_payment, without], [], set(), SEED_B2CL_THRESHOLDS)
    invoices = report["b2b"][0]["inv"]
    assert [(i["inv_typ"], i["itms"][0]["itm_det"]["iamt"]) for i in invoices] == [("SEWP", D("18.00")),
                                                                                  ("SEWOP", D("0"))]  # fmt: skip


def test_a_credit_note_on_a_b2c_small_invoice_reduces_b2cs(given: ModuleType) -> None:
    small = b2c(given, given.MUMBAI_BUYER, "1000.00", given.ist(2026, 11, 2), "INV/26-27/000001")
    note = issue_credit_note(small, [ReturnedLine(1, D("1"))], [], "CRN/26-27/000001", given.ist(2026, 11, 3))
    report = build_gstr1(given.SUPPLIER_MH, "2026-11", [small], [note], set(), SEED_B2CL_THRESHOLDS)
    assert report["b2cs"][0]["txval"] == D("0.00")
    assert "cdnr" not in report and "cdnur" not in report


def test_a_credit_note_on_a_b2c_large_invoice_is_in_cdnur(given: ModuleType) -> None:
    large = b2c(given, given.WALK_IN_GOA, "127500.00", given.ist(2026, 11, 2), "INV/26-27/000001")
    note = issue_credit_note(large, [ReturnedLine(1, D("1"))], [], "CRN/26-27/000001", given.ist(2026, 12, 3))
    report = build_gstr1(given.SUPPLIER_MH, "2026-12", [large], [note], set(), SEED_B2CL_THRESHOLDS)
    assert report["cdnur"][0]["typ"] == "B2CL"
    assert (report["cdnur"][0]["pos"], report["cdnur"][0]["val"]) == ("30", D("150450.00"))
    assert reported_totals(report).taxable_value == D("-127500.00")


def test_documents_of_other_months_and_gstins_are_left_out(given: ModuleType, november: Any) -> None:
    report = build_gstr1(given.SUPPLIER_KA, "2026-11", november["invoices"], november["notes"], set(),
                         SEED_B2CL_THRESHOLDS)  # fmt: skip
    assert report == {"gstin": given.SUPPLIER_KA, "fp": "112026", "hsn": {"hsn_b2b": [], "hsn_b2c": []},
                      "doc_issue": {"doc_det": []}}  # fmt: skip
    assert "b2b" not in gstr1_for(given, november, period="2026-10")


def test_filing_period_is_the_calendar_month() -> None:
    first, last, fp = filing_period("2024-02")
    assert (first.isoformat(), last.isoformat(), fp) == ("2024-02-01", "2024-02-29", "022024")
    with pytest.raises(ValueError):
        filing_period("2024-13")
