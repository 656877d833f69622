"""A local IRP sandbox: the NIC e-invoice API's request and response shapes, in memory.

`python -m o2c.invoicing.adapters.irp_sandbox` serves it on 127.0.0.1:8205 + `O2C_PORT_OFFSET`
(`O2C_IRP_SANDBOX_PORT` and `O2C_IRP_SANDBOX_HOST` override; `GET /healthz` for probes).

- `POST /eicore/v1.03/Invoice` (schema 1.1 JSON) → `{Status: 1, Data: {AckNo, AckDt, Irn, SignedInvoice,
  SignedQRCode, Status: "ACT"}}`, or `{Status: 0, ErrorDetails: [{ErrorCode, ErrorMessage}], InfoDtls}`.
- `GET /eicore/v1.03/Invoice/irn/{irn}` → the registration.
- `POST /eicore/v1.03/Invoice/Cancel` `{Irn, CnlRsn, CnlRem}` → `{Irn, CancelDate}` (within 24 hours).
- `POST /sandbox/slow` `{seconds, calls}` (fault tests): the next `calls` registrations are made at once but
  answered `seconds` later, as a slow IRP whose caller may die before the answer arrives; `GET /sandbox/slow`
  says how many are still to come. `GET /sandbox/registrations` lists every IRN registered here.

Error codes: 2150 duplicate IRN (with the existing registration in `InfoDtls` as `DUPIRN`, as NIC does);
3028 invalid GSTIN (shape or check character); 3029 GSTIN not registered at the portal (`unregistered`);
2283 reported more than the allowed days after the invoice date (30 days at ≥ ₹10 crore turnover);
2230 IRN not found; 9999 IRN already cancelled; 2270 cancellation after 24 hours; 2172 totals that do
not add up; 2265 malformed document. Codes other than 2150 follow NIC's list where the sandbox author
knew them; the shapes are what a client relies on."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from o2c.india.calendar import IST, financial_year
from o2c.india.gstin import gstin_problem
from o2c.invoicing.domain.einvoice import late_reporting_refusal
from o2c.invoicing.domain.seed import SEED_REPORTING_TIME_LIMITS
from o2c.kit.settings import SandboxSettings
from pydantic_settings import SettingsConfigDict

API = "/eicore/v1.03/Invoice"
SIGNING_KEY = "o2c-irp-sandbox-signing-key-not-a-real-one"


def _refuse(code: str, message: str, info: list[dict[str, Any]] | None = None) -> JSONResponse:
    return JSONResponse({"Status": 0, "ErrorDetails": [{"ErrorCode": code, "ErrorMessage": message}],
                         "InfoDtls": info, "Data": None})


def _ok(data: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"Status": 1, "Data": data, "ErrorDetails": None, "InfoDtls": None})


@dataclass
class Registration:
    irn: str
    ack_no: int
    ack_date: datetime
    signed_invoice: str
    signed_qr: str
    cancelled_at: datetime | None = None

    def data(self) -> dict[str, Any]:
        return {"AckNo": self.ack_no, "AckDt": self.ack_date.astimezone(IST).strftime("%Y-%m-%d %H:%M:%S"),
                "Irn": self.irn, "SignedInvoice": self.signed_invoice, "SignedQRCode": self.signed_qr,
                "Status": "CNL" if self.cancelled_at else "ACT"}


@dataclass
class SandboxState:
    registrations: dict[str, Registration] = field(default_factory=dict)
    unregistered: set[str] = field(default_factory=set)
    """GSTINs with a valid shape that the portal does not know (→ 3029)."""
    aggregate_turnover: Decimal = Decimal("500000000")
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    next_ack: int = 112610000000001
    calls: list[str] = field(default_factory=list)
    slow_calls: int = 0
    slow_seconds: float = 0.0


def _doc_date(text: str) -> date:
    return datetime.strptime(text, "%d/%m/%Y").date()


def _check_totals(doc: dict[str, Any]) -> str | None:
    items = doc.get("ItemList") or []
    values = doc.get("ValDtls") or {}
    if not items:
        return "ItemList must have at least one item"
    assessable = sum((Decimal(str(i["AssAmt"])) for i in items), Decimal("0"))
    if assessable != Decimal(str(values.get("AssVal", "0"))):
        return f"AssVal {values.get('AssVal')} is not the sum of the items' AssAmt {assessable}"
    for item in items:
        expected = (Decimal(str(item["AssAmt"])) + Decimal(str(item["IgstAmt"])) + Decimal(str(item["CgstAmt"]))
                    + Decimal(str(item["SgstAmt"])) + Decimal(str(item["CesAmt"])))
        if expected != Decimal(str(item["TotItemVal"])):
            return f"item {item.get('SlNo')}: TotItemVal {item['TotItemVal']} is not {expected}"
    return None


def create_app(state: SandboxState | None = None) -> FastAPI:
    st = state or SandboxState()
    app = FastAPI(title="o2c IRP sandbox", description=__doc__)
    app.state.sandbox = st

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        """Liveness for an orchestrator's probe."""
        return {"status": "ok"}

    @app.post(API)
    async def generate(request: Request) -> JSONResponse:
        st.calls.append("generate")
        try:
            doc = await request.json()
            seller = doc["SellerDtls"]["Gstin"]
            buyer = doc["BuyerDtls"]["Gstin"]
            doc_type, doc_no, doc_dt = doc["DocDtls"]["Typ"], doc["DocDtls"]["No"], _doc_date(doc["DocDtls"]["Dt"])
        except (KeyError, TypeError, ValueError) as exc:
            return _refuse("2265", f"malformed e-invoice document: {exc}")
        if doc.get("Version") != "1.1":
            return _refuse("2265", "Version must be 1.1")
        for gstin in (seller, buyer):
            if gstin == "URP" and gstin == buyer:
                continue
            problem = gstin_problem(gstin)
            if problem:
                return _refuse("3028", f"GSTIN - {gstin} is invalid: {problem}")
            if gstin in st.unregistered:
                return _refuse("3029", f"GSTIN - {gstin} is not present in invoice registration portal")
        if (header := request.headers.get("gstin")) and header != seller:
            return _refuse("2265", f"seller GSTIN {seller} is not the requesting GSTIN {header}")
        now = st.clock()
        late = late_reporting_refusal(doc_dt, st.aggregate_turnover, now.astimezone(IST).date(),
                                      SEED_REPORTING_TIME_LIMITS)
        if late:
            return _refuse("2283", late)
        mismatch = _check_totals(doc)
        if mismatch:
            return _refuse("2172", mismatch)
        irn = hashlib.sha256(f"{seller}{financial_year(doc_dt)}{doc_type}{doc_no}".encode()).hexdigest()
        if irn in st.registrations:
            existing = st.registrations[irn]
            return _refuse("2150", "Duplicate IRN", [{"InfCd": "DUPIRN", "Desc": {
                "AckNo": existing.ack_no, "AckDt": existing.data()["AckDt"], "Irn": irn}}])
        ack_no, st.next_ack = st.next_ack, st.next_ack + 1
        items = doc["ItemList"]
        qr = {"SellerGstin": seller, "BuyerGstin": buyer, "DocNo": doc_no, "DocTyp": doc_type,
              "DocDt": doc["DocDtls"]["Dt"], "TotInvVal": str(doc["ValDtls"]["TotInvVal"]), "ItemCnt": len(items),
              "MainHsnCode": items[0]["HsnCd"], "Irn": irn,
              "IrnDt": now.astimezone(IST).strftime("%Y-%m-%d %H:%M:%S")}
        registration = Registration(
            irn=irn, ack_no=ack_no, ack_date=now.replace(microsecond=0),
            signed_invoice=jwt.encode({"data": {"Irn": irn, "DocNo": doc_no}, "iss": "NIC sandbox"}, SIGNING_KEY,
                                      algorithm="HS256"),
            signed_qr=jwt.encode({"data": qr, "iss": "NIC sandbox"}, SIGNING_KEY, algorithm="HS256"),
        )
        st.registrations[irn] = registration
        if st.slow_calls > 0:
            st.slow_calls -= 1
            await asyncio.sleep(st.slow_seconds)
        return _ok(registration.data())

    @app.post("/sandbox/slow", include_in_schema=False)
    async def slow(request: Request) -> dict[str, Any]:
        body = await request.json()
        st.slow_seconds, st.slow_calls = float(body.get("seconds", 30)), int(body.get("calls", 1))
        return {"slow_calls": st.slow_calls, "slow_seconds": st.slow_seconds}

    @app.get("/sandbox/slow", include_in_schema=False)
    async def slow_left() -> dict[str, Any]:
        return {"slow_calls": st.slow_calls, "slow_seconds": st.slow_seconds}

    @app.get("/sandbox/registrations", include_in_schema=False)
    async def registrations() -> dict[str, Any]:
        """Every IRN this sandbox registered (a second copy on the machine must never register here)."""
        return {"irns": sorted(st.registrations)}

    @app.get(API + "/irn/{irn}")
    async def by_irn(irn: str) -> JSONResponse:
        st.calls.append("get_by_irn")
        registration = st.registrations.get(irn)
        if registration is None:
            return _refuse("2230", f"IRN {irn} does not exist")
        return _ok(registration.data())

    @app.post(API + "/Cancel")
    async def cancel(request: Request) -> JSONResponse:
        st.calls.append("cancel")
        body = await request.json()
        registration = st.registrations.get(str(body.get("Irn", "")))
        if registration is None:
            return _refuse("2230", "IRN does not exist")
        if registration.cancelled_at is not None:
            return _refuse("9999", "Invoice is not active")
        if str(body.get("CnlRsn")) not in {"1", "2", "3", "4"}:
            return _refuse("2265", "CnlRsn must be 1, 2, 3 or 4")
        now = st.clock()
        if now - registration.ack_date > timedelta(hours=24):
            return _refuse("2270", "the allowed cancellation time of 24 hours is over")
        registration.cancelled_at = now
        return _ok({"Irn": registration.irn,
                    "CancelDate": now.astimezone(IST).strftime("%Y-%m-%d %H:%M:%S")})

    return app


class IrpSandboxSettings(SandboxSettings):
    """`O2C_IRP_SANDBOX_HOST`, `O2C_IRP_SANDBOX_PORT`, `O2C_IRP_SANDBOX_LOG_LEVEL`."""

    model_config = SettingsConfigDict(extra="ignore", env_prefix="O2C_IRP_SANDBOX_")


def main() -> None:
    import uvicorn
    from o2c.kit.ports import SANDBOX_PORTS

    settings = IrpSandboxSettings()
    uvicorn.run(create_app(), host=settings.host, port=settings.listen_port(SANDBOX_PORTS["irp-sandbox"]),
                log_level=settings.log_level)


if __name__ == "__main__":
    main()
