"""HTTP: read e-way bills (by order, status, expiring), retry a rejection, and the bill's actions
(cancel within 24 h, extend within ±8 h of expiry, Part-B vehicle update). Refusals are problem+json
naming the reason. Routes live on module-level routers, one per resource (`ROUTERS`), and run on the `ewaybill_of`
dependency (the service's `bootstrap.EwayBillService`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from o2c.contracts.v1.common import TransportMode, VehicleType
from o2c.contracts.v1.ewaybill import EwayBillCancelReason
from o2c.ewaybill.bootstrap import EwayBillService, bootstrap
from o2c.ewaybill.domain.lifecycle import ExtensionReason, VehicleChangeReason
from o2c.ewaybill.service_layer import use_cases
from o2c.ewaybill.service_layer.ports import EwayBillRecord, ThresholdRecord, UnitOfWork
from o2c.ewaybill.service_layer.thresholds import ThresholdRefused, add_threshold, end_threshold
from o2c.india.calendar import IST
from o2c.india.ewaybill import Movement
from o2c.kit.auth import Principal
from o2c.kit.edge import Amount, EffectiveDate, GstStateCode, Limit, RequestModel, RowId
from o2c.kit.policy import allow
from o2c.kit.problems import InvalidField, NotFound, Problem
from o2c.kit.scope import ensure_customer_visible, visible_customer_ids
from pydantic import Field

# Module level: with postponed annotations FastAPI resolves these names in the module's globals.
# Each route's action; which roles may do it is the access policy's (o2c.kit.policy).
reader = Annotated[Principal, Depends(allow("ewaybill.bill.read"))]
actor = Annotated[Principal, Depends(allow("ewaybill.bill.act"))]
regenerator = Annotated[Principal, Depends(allow("ewaybill.bill.regenerate"))]
threshold_adder = Annotated[Principal, Depends(allow("ewaybill.threshold.add"))]


class ThresholdRequest(RequestModel):
    value_above: Amount = Field(gt=0)
    effective_from: EffectiveDate
    effective_to: EffectiveDate | None = None
    state_code: GstStateCode | None = None
    movement: Movement | None = None
    note: str = Field(default="", max_length=200, description="e.g. the state's notification number")


class ThresholdEnd(RequestModel):
    effective_to: EffectiveDate = Field(description="Last day the row applies")
    reason: str = Field(min_length=1, max_length=200, description="e.g. the notification that withdrew it")


class RetryRequest(RequestModel):
    vehicle_no: str | None = Field(default=None, max_length=15)
    distance_km: int | None = Field(default=None, ge=0, le=4000)
    vehicle_type: VehicleType | None = None
    transporter_id: str | None = Field(default=None, max_length=15)
    transporter_name: str | None = Field(default=None, max_length=100)
    lr_no: str | None = Field(default=None, max_length=15)


class CancelRequest(RequestModel):
    reason: EwayBillCancelReason
    remarks: str = Field(default="", max_length=100)


EXTENSION_REASONS = {"natural_calamity": ExtensionReason.NATURAL_CALAMITY,
                     "law_and_order": ExtensionReason.LAW_AND_ORDER, "transhipment": ExtensionReason.TRANSHIPMENT,
                     "accident": ExtensionReason.ACCIDENT, "others": ExtensionReason.OTHERS}
VEHICLE_REASONS = {"breakdown": VehicleChangeReason.BREAKDOWN, "transhipment": VehicleChangeReason.TRANSHIPMENT,
                   "others": VehicleChangeReason.OTHERS, "first_time": VehicleChangeReason.FIRST_TIME}


class ExtendRequest(RequestModel):
    remaining_distance_km: int = Field(ge=0, le=4000)
    current_place: str = Field(max_length=50)
    current_pincode: str = Field(pattern=r"^[1-9][0-9]{5}$")
    current_state_code: GstStateCode
    reason: str = Field(pattern="^(natural_calamity|law_and_order|transhipment|accident|others)$")
    remarks: str = Field(default="", max_length=50)


class VehicleRequest(RequestModel):
    vehicle_no: str | None = Field(default=None, max_length=15)
    mode: TransportMode = TransportMode.ROAD
    reason: str = Field(pattern="^(breakdown|transhipment|others|first_time)$")
    remarks: str = Field(default="", max_length=50)
    from_place: str = Field(max_length=50)
    from_state_code: GstStateCode
    transporter_id: str | None = Field(default=None, max_length=15)
    transporter_name: str | None = Field(default=None, max_length=100)
    lr_no: str | None = Field(default=None, max_length=15)
    lr_date: date | None = None


def view(record: EwayBillRecord) -> dict[str, Any]:
    def ist(at: datetime | None) -> str | None:
        return at.astimezone(IST).isoformat() if at else None

    return {
        "id": record.id, "status": record.status, "invoice_id": record.invoice_id, "invoice_no": record.invoice_no,
        "order_id": record.order_id, "shipment_id": record.shipment_id, "customer_id": record.customer_id,
        "consignment_value": f"{record.consignment_value:.2f}", "threshold": f"{record.threshold:.2f}",
        "movement": record.movement, "ewaybill_no": record.ebn, "generated_at": ist(record.generated_at),
        "valid_until": ist(record.valid_until), "distance_km": record.distance_km,
        "vehicle_type": record.vehicle_type, "transport": record.transport, "vehicle_movements": record.movements,
        "rejection": ({"code": record.rejection_code, "message": record.rejection_message}
                      if record.rejection_code else None),
        "attempts": record.attempts, "extensions": record.extensions,
        "cancelled_at": ist(record.cancelled_at), "cancel_reason": record.cancel_reason,
        "last_refusal": record.last_refusal, "invoice_cancelled": record.invoice_cancelled,
        "replaced": record.replaced,
    }


def threshold_view(row: ThresholdRecord) -> dict[str, Any]:
    return {"id": row.id, "value_above": f"{row.value_above:.2f}", "effective_from": row.effective_from,
            "effective_to": row.effective_to, "state_code": row.state_code, "movement": row.movement,
            "note": row.note, "ended_by": row.ended_by,
            "ended_at": row.ended_at.isoformat() if row.ended_at else None, "end_reason": row.end_reason}


def corrections(body: RetryRequest) -> use_cases.Corrections:
    return use_cases.Corrections(
        vehicle_no=body.vehicle_no, distance_km=body.distance_km,
        vehicle_type=body.vehicle_type.value if body.vehicle_type else None,
        transporter_id=body.transporter_id, transporter_name=body.transporter_name, lr_no=body.lr_no,
    )


def refused(exc: ThresholdRefused) -> Problem:
    return NotFound("threshold", exc.detail) if exc.missing else InvalidField(exc.field, exc.detail)


async def ewaybill_of(request: Request) -> EwayBillService:
    """What the routes run on: the running service's bootstrap, made on the app's first request from the runtime
    the kit keeps on the app (`app.state.runtime`) and kept there (a test may override this dependency)."""
    state = request.app.state
    found = getattr(state, "o2c_ewaybill", None)
    if not isinstance(found, EwayBillService):
        found = state.o2c_ewaybill = bootstrap(state.runtime)
    return found


EwayBillApp = Annotated[EwayBillService, Depends(ewaybill_of)]

# One router per resource; each route names its action (who may do it is the access policy's).
bills = APIRouter(prefix="/ewaybills", tags=["e-way bills"])
thresholds = APIRouter(prefix="/ewaybill-thresholds", tags=["e-way bill thresholds"])
ROUTERS = (bills, thresholds)


async def run(service: EwayBillService, action: Callable[[UnitOfWork], Awaitable[EwayBillRecord]], who: Principal,
              ewaybill_id: str) -> dict[str, Any]:
    async with service.transaction() as uow:
        bill = await uow.bills.get(ewaybill_id)
        if bill is not None:
            # The bill's dispatch-from warehouse, held to the caller's warehouses as dispatch holds them.
            who.ensure_warehouse(str(bill.invoice.get("warehouse_id", "")))
        try:
            record = await action(uow)
        except use_cases.UseCaseError as exc:
            titles = {404: "Not found", 409: "Refused", 422: "Refused by the portal"}
            problem = Problem(exc.status, titles.get(exc.status, "Refused"), exc.reason)
            if exc.code:
                problem.extensions["portal_code"] = exc.code
            raise problem from exc
        return view(record)


@bills.get("", summary="E-way bills by status, order or shipment")
async def list_bills(who: reader, service: EwayBillApp, status: str | None = None, order_id: str | None = None,
                     shipment_id: str | None = None, limit: Limit = 200
                     ) -> list[dict[str, Any]]:
    async with service.reading() as uow:
        found = await uow.bills.find(status=status, order_id=order_id, shipment_id=shipment_id, limit=limit,
                                     viewer=who)
        return [view(r) for r in found]


@bills.get("/expiring", summary="Active e-way bills expiring soon (or expired within 8 h: still extendable)")
async def list_expiring(who: reader, service: EwayBillApp, within_hours: float = Query(default=8, gt=0, le=240)
                        ) -> list[dict[str, Any]]:
    async with service.reading() as uow:
        due = await use_cases.expiring(uow, service.now(), timedelta(hours=within_hours))
        shown = await visible_customer_ids(uow.session, who, {r.customer_id for r in due})
        return [view(r) for r in due if r.customer_id in shown]


@bills.get("/{ewaybill_id}", summary="One e-way bill with its portal attempts")
async def get_bill(ewaybill_id: str, who: reader, service: EwayBillApp) -> dict[str, Any]:
    async with service.reading() as uow:
        record = await uow.bills.get(ewaybill_id)
        if record is None:
            raise NotFound("e-way bill", ewaybill_id)
        await ensure_customer_visible(uow.session, who, record.customer_id)
        return {**view(record), "portal_attempts": await uow.attempts.of_bill(ewaybill_id)}


@bills.post("/{ewaybill_id}/retry", summary="Generate a rejected e-way bill again after correcting Part B")
async def post_retry(ewaybill_id: str, body: RetryRequest, who: actor, service: EwayBillApp) -> dict[str, Any]:
    return await run(service, lambda uow: use_cases.retry(
        uow, ewaybill_id, corrections(body), service.gateway, service.now()), who, ewaybill_id)


@bills.post("/{ewaybill_id}/regenerate",
            summary="Generate a new bill for the same invoice after its bill was cancelled (new vehicle or distance)")
async def post_regenerate(ewaybill_id: str, body: RetryRequest, who: regenerator,
                          service: EwayBillApp) -> dict[str, Any]:
    return await run(service, lambda uow: use_cases.regenerate(
        uow, ewaybill_id, corrections(body), service.gateway, service.now()), who, ewaybill_id)


@bills.post("/{ewaybill_id}/cancel", summary="Cancel within 24 hours of generation")
async def post_cancel(ewaybill_id: str, body: CancelRequest, who: actor, service: EwayBillApp) -> dict[str, Any]:
    return await run(service, lambda uow: use_cases.cancel_bill(
        uow, ewaybill_id, body.reason, body.remarks, service.gateway, service.now()), who, ewaybill_id)


@bills.post("/{ewaybill_id}/extend", summary="Extend between 8 hours before and 8 hours after expiry")
async def post_extend(ewaybill_id: str, body: ExtendRequest, who: actor, service: EwayBillApp) -> dict[str, Any]:
    return await run(service, lambda uow: use_cases.extend_bill(
        uow, ewaybill_id, body.remaining_distance_km, body.current_place, body.current_pincode,
        body.current_state_code, EXTENSION_REASONS[body.reason], body.remarks, service.gateway,
        service.now()), who, ewaybill_id)


@bills.post("/{ewaybill_id}/vehicle", summary="Part-B update (vehicle change) during validity")
async def post_vehicle(ewaybill_id: str, body: VehicleRequest, who: actor, service: EwayBillApp) -> dict[str, Any]:
    vehicle = use_cases.NewVehicle(
        vehicle_no=body.vehicle_no, mode=body.mode, transporter_id=body.transporter_id,
        transporter_name=body.transporter_name, lr_no=body.lr_no, lr_date=body.lr_date)
    return await run(service, lambda uow: use_cases.update_vehicle_by_hand(
        uow, ewaybill_id, vehicle, VEHICLE_REASONS[body.reason], body.remarks, body.from_place,
        body.from_state_code, service.gateway, service.now()), who, ewaybill_id)


@thresholds.get("", summary="Thresholds (national and per state, per movement), effective-dated")
async def list_thresholds(_: reader, service: EwayBillApp) -> list[dict[str, Any]]:
    async with service.reading() as uow:
        return [threshold_view(r) for r in await uow.thresholds.listed()]


@thresholds.post("", status_code=201, summary="Add a threshold row from a notification (never edited)")
async def post_threshold(body: ThresholdRequest, _: threshold_adder, service: EwayBillApp) -> dict[str, Any]:
    try:
        async with service.transaction() as uow:
            row = await add_threshold(uow, value_above=body.value_above, effective_from=body.effective_from,
                                      effective_to=body.effective_to, state_code=body.state_code,
                                      movement=body.movement.value if body.movement else None, note=body.note)
    except ThresholdRefused as exc:
        raise refused(exc) from exc
    service.thresholds_changed()
    return threshold_view(row)


@thresholds.post("/{threshold_id}/end", summary="End a threshold row on a date (a notification withdrew it)")
async def post_threshold_end(threshold_id: RowId, body: ThresholdEnd, who: threshold_adder,
                             service: EwayBillApp) -> dict[str, Any]:
    try:
        async with service.transaction() as uow:
            row = await end_threshold(uow, threshold_id, effective_to=body.effective_to, reason=body.reason,
                                      ended_by=who.subject, now=service.now())
    except ThresholdRefused as exc:
        raise refused(exc) from exc
    service.thresholds_changed()
    return threshold_view(row)

