import json
from datetime import date, timedelta
from decimal import Decimal
from types import ModuleType

import pytest
from o2c.india import portal as portal_json
from o2c.invoicing.domain.credit_note import ReturnedLine, issue_credit_note
from o2c.invoicing.domain.einvoice import (
    DocumentType,
    credit_note_irp_payload,
    irn_cancellation_refusal,
    irn_for,
    irp_payload,
    is_einvoice_required,
    late_reporting_refusal,
    reporting_deadline,
)
from o2c.invoicing.domain.place_of_supply import Address, SupplyType
from o2c.invoicing.domain.seed import SEED_EINVOICE_THRESHOLDS, SEED_REPORTING_TIME_LIMITS

D = Decimal
CRORE = D("10000000")


def test_irn_matches_the_published_example() -> None:
    assert (
        irn_for("29AAFCC9980M1ZR", "2019-20", DocumentType.INVOICE, "2019-20/KA/1")
        == "23f498ee41441ecad30f72ba5b9907506c3df70a17b0e0dff46b76a786400662"
    )


def test_irn_depends_on_the_document_type() -> None:
    assert irn_for("29AAFCC9980M1ZR", "2019-20", "CRN", "2019-20/KA/1") != irn_for(
        "29AAFCC9980M1ZR", "2019-20", "INV", "2019-20/KA/1"
    )


def test_irn_needs_the_financial_year_written_yyyy_yy() -> None:
    with pytest.raises(ValueError, match="2026-27"):
        irn_for("29AAFCC9980M1ZR", "19-20", "INV", "1")


def test_b2c_invoices_never_need_an_irn() -> None:
    assert not is_einvoice_required(SupplyType.B2C, 1000 * CRORE, date(2026, 1, 1), SEED_EINVOICE_THRESHOLDS)


@pytest.mark.parametrize("supply", [SupplyType.B2B, SupplyType.SEZ_WITHOUT_PAYMENT, SupplyType.EXPORT_WITH_PAYMENT])
def test_b2b_sez_and_export_need_an_irn_above_the_threshold_in_force(supply: SupplyType) -> None:
    turnover = 7 * CRORE
    assert not is_einvoice_required(supply, turnover, date(2023, 7, 31), SEED_EINVOICE_THRESHOLDS)  # ₹10 cr then
    assert is_einvoice_required(supply, turnover, date(2023, 8, 1), SEED_EINVOICE_THRESHOLDS)  # ₹5 cr since
    assert not is_einvoice_required(supply, 5 * CRORE, date(2026, 1, 1), SEED_EINVOICE_THRESHOLDS)  # not above


def test_at_10_crore_an_invoice_cannot_be_reported_after_30_days() -> None:
    invoice_date = date(2025, 4, 1)
    assert late_reporting_refusal(invoice_date, 12 * CRORE, date(2025, 5, 1), SEED_REPORTING_TIME_LIMITS) is None
    refusal = late_reporting_refusal(invoice_date, 12 * CRORE, date(2025, 5, 2), SEED_REPORTING_TIME_LIMITS)
    assert refusal is not None and "01/05/2025" in refusal


def test_below_10_crore_or_before_april_2025_there_is_no_limit_at_that_turnover() -> None:
    assert reporting_deadline(date(2025, 4, 1), 9 * CRORE, date(2025, 9, 1), SEED_REPORTING_TIME_LIMITS) is None
    assert reporting_deadline(date(2025, 1, 1), 12 * CRORE, date(2025, 3, 1), SEED_REPORTING_TIME_LIMITS) is None
    assert reporting_deadline(date(2025, 1, 1), 150 * CRORE, date(2025, 3, 1), SEED_REPORTING_TIME_LIMITS) == date(
        2025, 1, 31
    )


def test_an_irn_cancels_within_24_hours_only(given: ModuleType) -> None:
    acknowledged = given.ist(2026, 11, 5, 10, 0)
    assert irn_cancellation_refusal(acknowledged, acknowledged + timedelta(hours=23), has_active_ewaybill=False) is None
    refusal = irn_cancellation_refusal(acknowledged, acknowledged + timedelta(hours=25), has_active_ewaybill=False)
    assert refusal is not None and "24 hours" in refusal


def test_an_irn_with_an_active_eway_bill_cannot_be_cancelled(given: ModuleType) -> None:
    acknowledged = given.ist(2026, 11, 5, 10, 0)
    refusal = irn_cancellation_refusal(acknowledged, acknowledged + timedelta(hours=1), has_active_ewaybill=True)
    assert refusal is not None and "cancel the e-way bill first" in refusal


def test_irp_json_has_the_schema_1_1_shape(given: ModuleType) -> None:
    ready = given.shipment(
        given.picked(1, picked_quantity=D("3"), unit_price=D("333.33")),
        given.picked(2, picked_quantity=D("5"), unit_price=D("2.50"), discount=D("0.50")),
        bill_to=given.BENGALURU_BUYER,
        ship_to=given.BENGALURU_BUYER,
    )
    payload = irp_payload(given.invoice(ready))
    assert list(payload) == [
        "Version", "TranDtls", "DocDtls", "SellerDtls", "BuyerDtls", "DispDtls", "ShipDtls", "ItemList", "ValDtls",
    ]  # fmt: skip
    assert payload["Version"] == "1.1"
    assert payload["TranDtls"] == {"TaxSch": "GST", "SupTyp": "B2B", "RegRev": "N", "IgstOnIntra": "N"}
    assert payload["DocDtls"] == {"Typ": "INV", "No": "INV/26-27/000001", "Dt": "05/11/2026"}
    assert payload["SellerDtls"]["Gstin"] == given.SUPPLIER_MH
    assert (payload["BuyerDtls"]["Gstin"], payload["BuyerDtls"]["Pos"], payload["BuyerDtls"]["Pin"]) == (
        given.BUYER_KA,
        "29",
        560001,
    )
    assert payload["DispDtls"]["Nm"] == given.PUNE_WAREHOUSE.name
    second = payload["ItemList"][1]
    assert (second["SlNo"], second["TotAmt"], second["Discount"], second["AssAmt"]) == ("2", D("12.50"), D("0.50"),
                                                                                        D("12.00"))  # fmt: skip
    assert (second["GstRt"], second["IgstAmt"], second["CgstAmt"], second["TotItemVal"]) == (
        D("18"), D("2.16"), D("0.00"), D("14.16"),
    )  # fmt: skip
    values = payload["ValDtls"]
    assert values["AssVal"] == sum(item["AssAmt"] for item in payload["ItemList"])
    assert values["TotInvVal"] == values["AssVal"] + values["IgstVal"] + values["RndOffAmt"]


def test_irp_json_amounts_serialise_as_exact_numbers(given: ModuleType) -> None:
    text = portal_json.dumps(irp_payload(given.invoice(given.shipment(given.picked(unit_price=D("10.40"))))))
    assert '"AssVal":10.40' in text
    assert json.loads(text, parse_float=Decimal)["ValDtls"]["RndOffAmt"] == D("-0.28")


def test_a_sez_buyer_in_the_suppliers_state_is_flagged_igst_on_intra(given: ModuleType) -> None:
    payload = irp_payload(given.invoice(given.shipment(supply_type=SupplyType.SEZ_WITH_PAYMENT)))
    assert payload["TranDtls"]["IgstOnIntra"] == "Y"
    assert payload["TranDtls"]["SupTyp"] == "SEZWP"


def test_an_export_buyer_is_an_unregistered_person_in_other_countries(given: ModuleType) -> None:
    overseas = Address(name="Gulf Traders LLC", line1="Deira", place="Dubai", state_code="96", pincode="999999",
                       country="AE")  # fmt: skip
    ready = given.shipment(supply_type=SupplyType.EXPORT_WITHOUT_PAYMENT, bill_to=overseas, ship_to=overseas)
    payload = irp_payload(given.invoice(ready))
    assert {k: payload["BuyerDtls"][k] for k in ("Gstin", "Pos", "Stcd", "Pin")} == {
        "Gstin": "URP", "Pos": "96", "Stcd": "96", "Pin": 999999,
    }  # fmt: skip
    assert payload["ExpDtls"] == {"CntCode": "AE"}
    assert payload["ItemList"][0]["IgstAmt"] == D("0.00")


def test_b2c_invoices_have_no_irp_json(given: ModuleType) -> None:
    walk_in = given.same(given.MUMBAI_BUYER, gstin=None)
    invoice = given.invoice(given.shipment(supply_type=SupplyType.B2C, bill_to=walk_in, ship_to=walk_in))
    with pytest.raises(ValueError, match="B2C"):
        irp_payload(invoice)


def test_a_credit_note_is_registered_as_crn_referring_to_its_invoice(given: ModuleType) -> None:
    ready = given.shipment(given.picked(picked_quantity=D("17")), bill_to=given.BENGALURU_BUYER,
                           ship_to=given.BENGALURU_BUYER)  # fmt: skip
    invoice = given.invoice(ready)
    note = issue_credit_note(invoice, [ReturnedLine(1, D("5"))], [], "CRN/26-27/000001", given.ist(2026, 11, 20))
    payload = credit_note_irp_payload(note)
    assert payload["DocDtls"] == {"Typ": "CRN", "No": "CRN/26-27/000001", "Dt": "20/11/2026"}
    assert payload["RefDtls"] == {"PrecDocDtls": [{"InvNo": "INV/26-27/000001", "InvDt": "05/11/2026"}]}
    assert payload["ValDtls"]["AssVal"] == D("500.00") and payload["ValDtls"]["IgstVal"] == D("90.00")
    assert payload["BuyerDtls"]["Pos"] == "29"
