"""A local NIC e-way bill portal for tests and the demo: `python -m o2c.ewaybill.adapters.sandbox_server`.

Same request and response shapes as the NIC API (`POST /ewayapi?action=GENEWAYBILL|CANEWB|VEHEWB|
EXTENDVALIDITY`, `GET /ewayapi/GetEwayBillGeneratedByConsigner`), the same error codes (invalid GSTIN,
303/304 vehicle, 702 distance beyond +10 % of the pincode distance, 604 duplicate document), decided by
the domain's `EwayBillSandbox`. Pincode distances come from the India Post directory's coordinates.
State is in memory: a restarted sandbox starts a new portal.

`POST /sandbox/slow` `{seconds, calls}` (fault tests, as the IRP sandbox's): the next `calls` generations are
made at once but answered `seconds` later, as a slow portal whose caller may die before the answer arrives;
`GET /sandbox/slow` says how many are still to come. `GET /sandbox/bills` lists every bill issued here."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from o2c.ewaybill.adapters.pincodes import pincode_distance
from o2c.ewaybill.domain.errors import (
    EXTENSION_WINDOW,
    NOT_ACTIVE,
    PLACE_FROM_REQUIRED,
    REMAINING_DISTANCE_REQUIRED,
    PortalError,
    portal_error,
)
from o2c.ewaybill.domain.sandbox import EwayBillSandbox, PincodeDistance
from o2c.ewaybill.domain.vehicle import TransportMode, vehicle_number_error
from o2c.india.ewaybill import VehicleType, valid_until
from o2c.india.portal import parse_portal_datetime, portal_datetime
from o2c.kit.ports import SANDBOX_PORTS
from o2c.kit.settings import SandboxSettings
from pydantic_settings import SettingsConfigDict

SANDBOX_PORT = SANDBOX_PORTS["nic-sandbox"]


@dataclass
class IssuedBill:
    ebn: str
    doc_key: tuple[str, str, str]
    generated_at: str
    valid_upto: str
    vehicle_type: str
    active: bool = True


@dataclass
class SandboxPortal:
    portal: EwayBillSandbox
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    bills: dict[str, IssuedBill] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    scripted_refusals: dict[str, list[PortalError]] = field(default_factory=dict)
    """Action → errors answered to its next requests, one each: a test scripts a refusal the service cannot
    foresee (the real portal sometimes refuses what passed every documented rule)."""
    slow_calls: int = 0
    slow_seconds: float = 0.0


def _ok(data: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"status": "1", "data": data})


def _refused(*errors: PortalError) -> JSONResponse:
    return JSONResponse({
        "status": "0",
        "error": {"errorCodes": ",".join(e.code for e in errors)},
        "errors": [{"code": e.code, "message": e.message} for e in errors],
    })


def create_app(distance: PincodeDistance = pincode_distance, clock: Callable[[], datetime] | None = None,
               first_serial: int = 1) -> FastAPI:
    state = SandboxPortal(portal=EwayBillSandbox(pincode_distance=distance, next_serial=first_serial))
    if clock is not None:
        state.clock = clock
    app = FastAPI(title="NIC e-way bill sandbox", description=__doc__)
    app.state.sandbox = state

    def active_bill(number: Any) -> IssuedBill | None:
        bill = state.bills.get(str(number))
        return bill if bill and bill.active else None

    @app.post("/ewayapi")
    async def ewayapi(request: Request, action: str = Query()) -> JSONResponse:
        try:
            body: dict[str, Any] = await request.json()
            state.requests.append({"action": action, "body": body})
            answer = act(action, body, state.clock())
        except (ValueError, TypeError, KeyError) as exc:
            # A request the portal cannot read: its answer names the field, it never crashes.
            return JSONResponse({"status": "0", "error": {"errorCodes": "request"},
                                 "errors": [{"code": "request", "message": f"unreadable request: {exc}"}]},
                                status_code=400)
        if action == "GENEWAYBILL" and state.slow_calls > 0:
            state.slow_calls -= 1  # generated at the portal already; the answer comes late
            await asyncio.sleep(state.slow_seconds)
        return answer

    @app.post("/sandbox/slow", include_in_schema=False)
    async def slow(request: Request) -> dict[str, Any]:
        body = await request.json()
        state.slow_seconds, state.slow_calls = float(body.get("seconds", 30)), int(body.get("calls", 1))
        return {"slow_calls": state.slow_calls, "slow_seconds": state.slow_seconds}

    @app.get("/sandbox/slow", include_in_schema=False)
    async def slow_left() -> dict[str, Any]:
        return {"slow_calls": state.slow_calls, "slow_seconds": state.slow_seconds}

    @app.get("/sandbox/bills", include_in_schema=False)
    async def bills() -> dict[str, Any]:
        """Every e-way bill number this sandbox issued (a second copy on the machine must never generate here)."""
        return {"ewaybill_nos": sorted(state.bills)}

    def act(action: str, body: dict[str, Any], now: datetime) -> JSONResponse:
        scripted = state.scripted_refusals.get(action)
        if scripted:
            return _refused(scripted.pop(0))
        if action == "GENEWAYBILL":
            outcome = state.portal.generate(body, now)
            if not outcome.accepted or outcome.response is None:
                return _refused(*outcome.errors)
            response = dict(outcome.response)
            ebn = str(response["ewayBillNo"])
            doc_key = (str(body.get("fromGstin", "")), str(body.get("docType", "")), str(body.get("docNo", "")).upper())
            state.bills[ebn] = IssuedBill(ebn, doc_key, response["ewayBillDate"], response["validUpto"],
                                          str(body.get("vehicleType") or "R"))
            return _ok(response)
        bill = active_bill(body.get("ewbNo"))
        if bill is None:
            return _refused(portal_error(NOT_ACTIVE, str(body.get("ewbNo"))))
        if action == "CANEWB":
            bill.active = False
            state.portal.cancel(bill.ebn)
            return _ok({"ewayBillNo": bill.ebn, "cancelDate": portal_datetime(now)})
        if action == "VEHEWB":
            mode = TransportMode(str(body.get("transMode") or "1"))
            problem = vehicle_number_error(str(body.get("vehicleNo") or "") or None, mode)
            if problem:
                return _refused(problem)
            if not str(body.get("fromPlace") or "").strip():
                return _refused(portal_error(PLACE_FROM_REQUIRED))
            return _ok({"vehUpdDate": portal_datetime(now), "validUpto": bill.valid_upto})
        if action == "EXTENDVALIDITY":
            expiry = parse_portal_datetime(bill.valid_upto)
            if not expiry - timedelta(hours=8) <= now <= expiry + timedelta(hours=8):
                return _refused(portal_error(EXTENSION_WINDOW))
            remaining = int(str(body.get("remainingDistance") or "0"))
            if remaining <= 0:
                return _refused(portal_error(REMAINING_DISTANCE_REQUIRED))
            new = max(valid_until(now, remaining, VehicleType(bill.vehicle_type)), expiry)
            bill.valid_upto = portal_datetime(new)
            return _ok({"ewayBillNo": bill.ebn, "updatedDate": portal_datetime(now), "validUpto": bill.valid_upto})
        return JSONResponse({"status": "0", "error": {"errorCodes": "unknown-action"}}, status_code=400)

    @app.get("/ewayapi/GetEwayBillGeneratedByConsigner")
    async def by_document(docType: str, docNo: str) -> JSONResponse:  # noqa: N803 - NIC parameter names
        for bill in state.bills.values():
            if bill.active and bill.doc_key[1:] == (docType, docNo.upper()):
                return _ok({"ewayBillNo": int(bill.ebn), "ewayBillDate": bill.generated_at,
                            "validUpto": bill.valid_upto})
        return _refused(portal_error(NOT_ACTIVE, docNo))

    @app.get("/health")
    @app.get("/healthz")  # an orchestrator's liveness probe
    async def health() -> dict[str, Any]:
        return {"status": "ok", "issued": len(state.bills)}

    return app


class NicSandboxSettings(SandboxSettings):
    """`O2C_EWB_SANDBOX_HOST`, `O2C_EWB_SANDBOX_PORT`, `O2C_EWB_SANDBOX_LOG_LEVEL`."""

    model_config = SettingsConfigDict(extra="ignore", env_prefix="O2C_EWB_SANDBOX_")


def main() -> None:
    import uvicorn

    settings = NicSandboxSettings()
    pincode_distance("560001", "600001")  # open the pincode directory before the first request
    # A restarted sandbox must not hand out the numbers of the bills its previous process issued (the e-way bill
    # service keeps them, unique): its serials start from the clock, in hundredths of a second.
    first_serial = int(time.time() * 100) % (9 * 10**11)
    uvicorn.run(create_app(first_serial=first_serial), host=settings.host, port=settings.listen_port(SANDBOX_PORT),
                log_level=settings.log_level)


if __name__ == "__main__":
    main()
