"""The kit's rules for input at the HTTP edge and for Idempotency-Key fingerprints (no stack needed)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from o2c.kit.edge import (
    Amount,
    Code,
    EffectiveDate,
    GstStateCode,
    InputGuard,
    Qty,
    RequestModel,
)
from o2c.kit.idempotency import IdempotentRequest
from pydantic import Field, ValidationError


class Body(RequestModel):
    amount: Amount | None = None
    quantity: Qty | None = None
    state_code: GstStateCode | None = None
    code: Code | None = None
    effective_from: EffectiveDate | None = None
    note: str = ""
    tags: list[str] = Field(default_factory=list)


def field_of(**values: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        Body(**values)
    return ".".join(str(p) for p in caught.value.errors()[0]["loc"])


@pytest.mark.parametrize("value", ["1e30", "1E+999999", "12345678901234567890", "1.001", 1.5, "NaN", "Infinity",
                                   "1E-999999", "x" * 65])
def test_amounts_beyond_their_digits_places_or_kind_are_refused(value: object) -> None:
    assert field_of(amount=value) == "amount"


@pytest.mark.parametrize("value", ["1E+999999", "1e30", "12345678901234567890", "0.0001", "Infinity"])
def test_quantities_beyond_their_digits_or_places_are_refused(value: object) -> None:
    assert field_of(quantity=value) == "quantity"


def test_bounded_numbers_keep_what_was_written_and_fix_odd_exponents() -> None:
    assert Body(amount="35400.00").amount == Decimal("35400.00")
    assert Body(amount="999999999999.99").amount == Decimal("999999999999.99")  # Numeric(14, 2) holds it
    assert field_of(amount="1000000000000") == "amount"
    assert str(Body(quantity="1.5").quantity) == "1.5"
    assert Body(quantity="1E+3").quantity == Decimal("1000.000")
    assert Body(quantity="0E-99999").quantity == Decimal("0.000")
    assert Body(quantity=2.5).quantity == Decimal("2.5")
    assert Body(amount="-12.50").model_dump(mode="json")["amount"] == "-12.50"


def test_codes_states_and_dates() -> None:
    assert field_of(state_code="00") == "state_code"
    assert field_of(state_code="25") == "state_code"  # merged into 26 in 2020
    assert Body(state_code="7").state_code == "07" and Body(state_code="97").state_code == "97"
    assert field_of(code="STDÉ") == "code" and field_of(code="-STD") == "code" and field_of(code="") == "code"
    assert Body(code="NEG-C001/26.A_1").code == "NEG-C001/26.A_1"
    assert field_of(effective_from=date(2017, 6, 30)) == "effective_from"
    assert Body(effective_from=date(2017, 7, 1)).effective_from == date(2017, 7, 1)


def test_unknown_fields_and_control_characters_are_refused_tab_and_newline_kept() -> None:
    assert field_of(surprise=1) == "surprise"
    assert field_of(note="a\x00b") == "note" and field_of(note="bell\x07") == "note" and field_of(note="\r") == "note"
    assert field_of(tags=["ok", "del\x7f"]) == "tags"
    assert Body(note="line one\n\tline two").note == "line one\n\tline two"


def guarded_app() -> FastAPI:
    app = FastAPI()

    @app.get("/things/{thing}")
    async def thing(thing: str, q: str = "") -> dict[str, str]:
        return {"thing": thing, "q": q}

    @app.post("/things")
    async def post(body: dict[str, Any]) -> dict[str, Any]:
        return body

    app.add_middleware(InputGuard)
    return app


async def call(method: str, url: str, **kw: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=guarded_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, url, **kw)


@pytest.mark.parametrize(("method", "url", "kw", "field"), [
    ("GET", "/things/a%00b", {}, "path"),
    ("GET", "/things/a%07b", {}, "path"),
    ("GET", "/things/a?q=x%00", {}, "query.q"),
    ("GET", "/things/a?q=bell%07", {}, "query.q"),
    ("POST", "/things", {"json": {"lines": [{"item": "a\x00"}]}}, "lines.0.item"),
    ("POST", "/things", {"json": {"k\x00": 1}}, "k\x00"),
    ("POST", "/things", {"content": b'{"a": "\x00"', "headers": {"content-type": "application/json"}}, "body"),
])
async def test_the_guard_refuses_nul_and_control_characters_naming_the_field(
        method: str, url: str, kw: dict[str, Any], field: str) -> None:
    response = await call(method, url, **kw)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field


async def test_the_guard_lets_ordinary_text_through() -> None:
    assert (await call("GET", "/things/a%20b?q=tab%09and%0Anewline")).json() == {
        "thing": "a b", "q": "tab\tand\nnewline"}
    assert (await call("POST", "/things", json={"note": "₹ 35,400\n"})).json() == {"note": "₹ 35,400\n"}


def test_an_idempotent_request_is_the_callers_and_fingerprints_path_and_body() -> None:
    def of(caller: str = "anita", path: str = "/payments", body: Any = None) -> IdempotentRequest:
        made = IdempotentRequest.of("k-1", caller=caller, endpoint="POST /payments", path=path,
                                    body=body if body is not None else {"amount": "10.00", "customer_id": "C1"})
        assert made is not None
        return made

    assert IdempotentRequest.of(None, caller="a", endpoint="e", path="/p", body=None) is None
    assert of().fingerprint == of(body={"customer_id": "C1", "amount": "10.00"}).fingerprint  # key order
    assert of().fingerprint != of(body={"amount": "10.01", "customer_id": "C1"}).fingerprint
    assert of().fingerprint != of(path="/payments/x").fingerprint
    assert of(caller="ravi").caller == "ravi" and of(body=Body(amount="1.00")).fingerprint != of().fingerprint
