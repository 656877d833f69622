from types import ModuleType
from typing import Any

import pytest
from o2c.ewaybill.domain.generation import generation_request, parse_generation_response
from o2c.ewaybill.domain.sandbox import EwayBillSandbox, ebn_for_serial
from o2c.testsupport.waits import until

PUNE_TO_MUMBAI_KM = 150


def road_distance(from_pincode: str, to_pincode: str) -> int | None:
    return {("410501", "400050"): PUNE_TO_MUMBAI_KM}.get((from_pincode, to_pincode))


def request(given: ModuleType, **dispatch: Any) -> dict[str, Any]:
    return generation_request(given.invoice(), given.dispatch(**dispatch))


def test_a_valid_request_gets_a_12_digit_ebn_and_the_rules_validity(given: ModuleType) -> None:
    outcome = EwayBillSandbox(road_distance).generate(request(given), given.ist(2022, 9, 16, 19, 29))
    assert outcome.accepted
    assert outcome.response is not None
    generated = parse_generation_response(outcome.response)
    assert len(generated.ebn) == 12
    assert outcome.response["ewayBillDate"] == "16/09/2022 07:29:00 PM"
    assert outcome.response["validUpto"] == "17/09/2022 11:59:00 PM"


def test_an_invalid_gstin_is_refused_with_the_portals_code(given: ModuleType) -> None:
    bad = request(given) | {"fromGstin": "27AAACO1234C1Z0"}
    outcome = EwayBillSandbox(road_distance).generate(bad, given.ist(2026, 11, 5))
    assert [e.code for e in outcome.errors] == ["208"]
    bad_buyer = request(given) | {"toGstin": "36AABCT1332L011"}
    assert [e.code for e in EwayBillSandbox(road_distance).generate(bad_buyer, given.ist(2026, 11, 5)).errors] == [
        "212"
    ]


@pytest.mark.parametrize(("vehicle", "code"), [("", "303"), ("MH12", "304")])
def test_vehicle_problems_are_303_and_304(given: ModuleType, vehicle: str, code: str) -> None:
    outcome = EwayBillSandbox(road_distance).generate(request(given) | {"vehicleNo": vehicle}, given.ist(2026, 11, 5))
    assert [e.code for e in outcome.errors] == [code]


def test_a_distance_more_than_10_percent_over_the_pincode_distance_is_refused(given: ModuleType) -> None:
    sandbox = EwayBillSandbox(road_distance)
    assert sandbox.generate(request(given, distance_km=165), given.ist(2026, 11, 5)).accepted
    outcome = EwayBillSandbox(road_distance).generate(request(given, distance_km=166), given.ist(2026, 11, 5))
    assert [e.code for e in outcome.errors] == ["702"]


def test_a_second_eway_bill_for_the_same_document_is_refused_until_the_first_is_cancelled(given: ModuleType) -> None:
    sandbox = EwayBillSandbox(road_distance)
    first = sandbox.generate(request(given), given.ist(2026, 11, 5))
    again = sandbox.generate(request(given), given.ist(2026, 11, 5, 11))
    assert [e.code for e in again.errors] == ["604"]
    assert first.response is not None
    assert sandbox.cancel(str(first.response["ewayBillNo"]))
    assert sandbox.generate(request(given), given.ist(2026, 11, 5, 12)).accepted


def test_every_objection_is_reported_at_once(given: ModuleType) -> None:
    bad = request(given, distance_km=900) | {"fromGstin": "27AAACO1234C1Z0", "vehicleNo": "MH12"}
    codes = [e.code for e in EwayBillSandbox(road_distance).generate(bad, given.ist(2026, 11, 5)).errors]
    assert codes == ["208", "304", "702"]


def test_a_corrected_vehicle_succeeds_after_a_304(given: ModuleType) -> None:
    sandbox = EwayBillSandbox(road_distance)
    assert not sandbox.generate(request(given, vehicle_no="MH12"), given.ist(2026, 11, 5)).accepted
    assert sandbox.generate(request(given, vehicle_no="MH12AB1234"), given.ist(2026, 11, 5)).accepted


def test_a_zero_distance_is_filled_in_from_the_pincodes(given: ModuleType) -> None:
    at = given.ist(2026, 11, 5)
    outcome = EwayBillSandbox(road_distance).generate(request(given) | {"transDistance": "0"}, at)
    assert outcome.response is not None and "150" in outcome.response["alert"]


def test_ebns_are_deterministic_unique_and_12_digits() -> None:
    numbers = [ebn_for_serial(n) for n in range(1, 5001)]
    assert numbers == [ebn_for_serial(n) for n in range(1, 5001)]
    assert len(set(numbers)) == 5000
    assert all(len(n) == 12 and n[0] != "0" for n in numbers)


def test_sandbox_ebns_follow_the_serial(given: ModuleType) -> None:
    sandbox = EwayBillSandbox(road_distance, next_serial=42)
    first = sandbox.generate(request(given), given.ist(2026, 11, 5))
    assert first.response is not None and str(first.response["ewayBillNo"]) == ebn_for_serial(42)
    assert sandbox.next_serial == 43


async def test_the_sandbox_server_generates_at_once_but_answers_late_in_slow_mode(given: ModuleType) -> None:
    """The fault suite's NIC call in flight: the bill exists at the portal before its caller hears of it."""
    import asyncio

    import httpx
    from o2c.ewaybill.adapters.sandbox_server import create_app
    from o2c.india.portal import dumps

    app = create_app(road_distance, clock=lambda: given.ist(2022, 9, 16, 19, 29))
    body = request(given)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://nic") as nic:
        assert (await nic.post("/sandbox/slow", json={"seconds": 30, "calls": 1})).json()["slow_calls"] == 1
        call = asyncio.create_task(nic.post("/ewayapi", params={"action": "GENEWAYBILL"}, content=dumps(body).encode(),
                                            headers={"content-type": "application/json"}))

        async def generated() -> dict[str, Any] | None:
            found = (await nic.get("/ewayapi/GetEwayBillGeneratedByConsigner",
                                   params={"docType": body["docType"], "docNo": body["docNo"]})).json()
            return dict(found["data"]) if found["status"] == "1" else None

        bill = await until(generated, timeout=5, interval=0.01, what="the slow call's bill to be generated")
        assert not call.done() and (await nic.get("/sandbox/slow")).json()["slow_calls"] == 0
        call.cancel()
    assert len(str(bill["ewayBillNo"])) == 12


async def test_the_sandbox_server_answers_every_objection_in_the_portals_error_shape(given: ModuleType) -> None:
    import httpx
    from o2c.ewaybill.adapters.sandbox_server import create_app
    from o2c.india.portal import dumps

    app = create_app(road_distance, clock=lambda: given.ist(2026, 11, 5))
    bad = request(given, distance_km=900) | {"fromGstin": "27AAACO1234C1Z0", "vehicleNo": "MH12"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://nic") as nic:
        answer = (await nic.post("/ewayapi", params={"action": "GENEWAYBILL"}, content=dumps(bad).encode(),
                                 headers={"content-type": "application/json"})).json()
    assert answer["status"] == "0" and answer["error"] == {"errorCodes": "208,304,702"}
    assert [e["code"] for e in answer["errors"]] == ["208", "304", "702"]
