import json
from datetime import date
from decimal import Decimal
from types import ModuleType

import pytest
from o2c.ewaybill.domain.generation import (
    InvoiceItem,
    Place,
    RequestProblem,
    ResponseProblem,
    generation_request,
    parse_generation_response,
)
from o2c.ewaybill.domain.vehicle import TransportMode
from o2c.india import portal as portal_json
from o2c.india.ewaybill import VehicleType

D = Decimal


def test_the_request_carries_part_a_from_the_invoice_and_part_b_as_typed_at_dispatch(given: ModuleType) -> None:
    request = generation_request(given.invoice("45000.00"), given.dispatch(vehicle_no="mh 12 ab 1234"))
    assert request == {
        "supplyType": "O", "subSupplyType": "1", "docType": "INV", "docNo": "INV/26-27/000123",
        "docDate": "05/11/2026",
        "fromGstin": given.SUPPLIER_MH, "fromTrdName": "Orbit Distributors Pvt Ltd",
        "fromAddr1": "Plot 12, MIDC Chakan", "fromAddr2": "", "fromPlace": "Pune", "fromPincode": 410501,
        "fromStateCode": 27, "actFromStateCode": 27,
        "toGstin": given.BUYER_MH, "toTrdName": "Bharat Retail LLP", "toAddr1": "14 Linking Road", "toAddr2": "",
        "toPlace": "Mumbai", "toPincode": 400050, "toStateCode": 27, "actToStateCode": 27,
        "transactionType": 1,
        "totalValue": D("45000.00"), "cgstValue": D("4050.00"), "sgstValue": D("4050.00"), "igstValue": D("0"),
        "cessValue": D("0"), "cessNonAdvolValue": D("0"), "otherValue": D("0.00"), "totInvValue": D("53100.00"),
        "transMode": "1", "transDistance": "160",
        "transporterId": given.TRANSPORTER, "transporterName": "Sahyadri Roadways",
        "transDocNo": "LR-7781", "transDocDate": "05/11/2026",
        "vehicleNo": "MH12AB1234", "vehicleType": "R",
        "itemList": [{"productName": "Lead-acid battery 12V", "hsnCode": 85071000, "quantity": D("30"),
                      "qtyUnit": "NOS", "taxableAmount": D("45000.00"), "cgstRate": D("9"), "sgstRate": D("9"),
                      "igstRate": D("0"), "cessRate": D("0")}],
    }  # fmt: skip


def test_the_request_serialises_amounts_exactly(given: ModuleType) -> None:
    text = portal_json.dumps(generation_request(given.invoice("45000.00"), given.dispatch()))
    assert '"totInvValue":53100.00' in text
    assert json.loads(text, parse_float=Decimal)["cgstValue"] == D("4050.00")


def test_bill_to_ship_to_sends_the_delivery_address_and_both_states(given: ModuleType) -> None:
    site = Place(name="Tapi Projects Ltd", line1="Site 4, GIDC", place="Surat", state_code="24", pincode="394221")
    request = generation_request(given.invoice(ship_to=site), given.dispatch(distance_km=400))
    assert request["transactionType"] == 2
    assert (request["toGstin"], request["toTrdName"], request["toPlace"]) == (given.BUYER_MH, "Bharat Retail LLP",
                                                                              "Surat")  # fmt: skip
    assert (request["toStateCode"], request["actToStateCode"], request["toPincode"]) == (27, 24, 394221)


def test_dispatch_from_another_address_is_bill_from_dispatch_from(given: ModuleType) -> None:
    depot = given.same(given.PUNE, line1="Gat 45, Talegaon", pincode="410507")
    assert generation_request(given.invoice(dispatch_from=depot), given.dispatch())["transactionType"] == 3


def test_an_unregistered_buyer_is_urp(given: ModuleType) -> None:
    walk_in = given.same(given.MUMBAI, gstin=None)
    request = generation_request(given.invoice(bill_to=walk_in, ship_to=walk_in, supply_type="B2C"), given.dispatch())
    assert request["toGstin"] == "URP"


def test_an_export_goes_to_other_country_via_the_port(given: ModuleType) -> None:
    port = Place(name="JNPT CFS", line1="Nhava Sheva", place="Uran", state_code="27", pincode="400707")
    buyer = Place(name="Gulf Traders LLC", line1="Deira", place="Dubai", state_code="96", pincode="999999")
    request = generation_request(given.invoice(bill_to=buyer, ship_to=port, supply_type="EXPWOP"), given.dispatch())
    assert (request["subSupplyType"], request["toGstin"], request["toStateCode"], request["actToStateCode"]) == (
        "3", "URP", 99, 27,
    )  # fmt: skip


def test_over_dimensional_cargo_and_rail_are_coded_for_nic(given: ModuleType) -> None:
    odc = generation_request(given.invoice(), given.dispatch(vehicle_type=VehicleType.OVER_DIMENSIONAL))
    assert odc["vehicleType"] == "O"
    rail = generation_request(
        given.invoice(), given.dispatch(mode=TransportMode.RAIL, vehicle_no=None, transport_doc_no="RR-55")
    )
    assert (rail["transMode"], rail["vehicleNo"], rail["transDocNo"]) == ("2", "", "RR-55")


def test_missing_part_b_is_refused_before_calling_the_portal(given: ModuleType) -> None:
    with pytest.raises(RequestProblem, match="vehicle number"):
        generation_request(given.invoice(), given.dispatch(vehicle_no=None))
    with pytest.raises(RequestProblem, match="transport document"):
        generation_request(given.invoice(), given.dispatch(mode=TransportMode.AIR, transport_doc_no=None))


def test_more_than_250_lines_are_sent_one_per_hsn_and_rate(given: ModuleType) -> None:
    items = tuple(
        InvoiceItem(name=f"Battery {n}", hsn="85071000" if n % 2 else "85072000", quantity=D("1"), unit="NOS",
                    taxable_value=D("100.00"), cgst_rate=D("9"), sgst_rate=D("9"))
        for n in range(300)
    )  # fmt: skip
    request = generation_request(given.invoice(items=items), given.dispatch())
    assert [(i["hsnCode"], i["quantity"], i["taxableAmount"]) for i in request["itemList"]] == [
        (85072000, D("150"), D("15000.00")),
        (85071000, D("150"), D("15000.00")),
    ]


def test_up_to_250_lines_go_as_they_are(given: ModuleType) -> None:
    item = given.invoice().items[0]
    request = generation_request(given.invoice(items=(item,) * 250), given.dispatch())
    assert len(request["itemList"]) == 250


def test_the_response_gives_a_12_digit_ebn_and_its_validity_in_ist() -> None:
    generated = parse_generation_response(
        {"ewayBillNo": 321001234567, "ewayBillDate": "16/09/2022 07:29:00 PM", "validUpto": "29/09/2022 11:59:00 PM"}
    )
    assert generated.ebn == "321001234567"
    assert generated.generated_at.isoformat() == "2022-09-16T19:29:00+05:30"
    assert generated.valid_until.isoformat() == "2022-09-29T23:59:00+05:30"


@pytest.mark.parametrize(
    "response",
    [
        {"ewayBillNo": 12345, "ewayBillDate": "16/09/2022 07:29:00 PM", "validUpto": "29/09/2022 11:59:00 PM"},
        {"ewayBillNo": 321001234567, "ewayBillDate": "2022-09-16", "validUpto": "29/09/2022 11:59:00 PM"},
        {"ewayBillNo": 321001234567, "ewayBillDate": "16/09/2022 07:29:00 PM", "validUpto": ""},
        {"ewayBillDate": "16/09/2022 07:29:00 PM"},
    ],
)
def test_an_unusable_response_is_refused(response: dict[str, object]) -> None:
    with pytest.raises(ResponseProblem):
        parse_generation_response(response)


def test_invoice_date_is_written_dd_mm_yyyy(given: ModuleType) -> None:
    request = generation_request(given.invoice(invoice_date=date(2027, 1, 2)), given.dispatch())
    assert request["docDate"] == "02/01/2027"
