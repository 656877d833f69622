"""HTTP for the warehouse: pick lists for pickers and warehouse coordinators (scoped by the token's
warehouses), dispatch details, queues, gate-out and vehicle changes for the dispatch supervisor.

Each route parses, authorises and calls one use case on a unit of work of the bootstrap (`Dispatch.transaction`
for a change: committed with its messages; `Dispatch.reading` for a read); domain refusals become problem+json
(`InvalidValue` → 422 naming the field, `ConflictingState` → 409, `GateClosed` → 409 naming what is missing).
Routes live on module-level routers, one per resource (`ROUTERS`), and run on the `dispatch_of` dependency (the
service's `bootstrap.Dispatch`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from o2c.dispatch.adapters.unit_of_work import SqlUnitOfWork
from o2c.dispatch.bootstrap import Dispatch, bootstrap
from o2c.dispatch.domain import (
    ConflictingState,
    GateClosed,
    InvalidValue,
    ShipmentStatus,
    ShortReason,
    TransportMode,
    VehicleChangeReason,
    VehicleType,
)
from o2c.dispatch.entrypoints.views import pick_list_view, shipment_view
from o2c.dispatch.service_layer import use_cases
from o2c.dispatch.service_layer.errors import UnknownShipment
from o2c.dispatch.service_layer.records import PickListStatus, Queue, ShipmentRecord, TripRecord, waiting_for
from o2c.kit.auth import Principal
from o2c.kit.edge import GstStateCode, Limit, Qty, RequestModel
from o2c.kit.idempotency import IdempotencyKey, IdempotentRequest, once
from o2c.kit.policy import allow, warehouse_scope
from o2c.kit.problems import PROBLEM_BASE, Conflict, NotFound, Problem, field_error
from o2c.kit.scope import ensure_customer_visible, visible_customer_ids, visible_customers
from pydantic import Field, field_validator

# Each route's action; which roles may do it is the access policy's (o2c.kit.policy).
Picker = Annotated[Principal, Depends(allow("dispatch.pick.confirm"))]
PickListReader = Annotated[Principal, Depends(allow("dispatch.pick-list.read"))]
ShipmentReader = Annotated[Principal, Depends(allow("dispatch.shipment.read"))]
Supervisor = Annotated[Principal, Depends(allow("dispatch.shipment.dispatch"))]
GateReader = Annotated[Principal, Depends(allow("dispatch.gate.read"))]


class PickConfirmation(RequestModel):
    picked: Qty = Field(ge=0, description="Quantity picked (scanned)")
    bin_code: str | None = Field(default=None, max_length=40, description="Bin scanned; must be the listed one")
    batch_no: str | None = Field(default=None, max_length=40, description="Batch scanned; must be the listed one")
    short_reason: ShortReason | None = Field(default=None, description="Required when picked < listed")
    note: str = Field(default="", max_length=200)


class PickListLineConfirmation(PickConfirmation):
    line_no: int = Field(ge=1, le=10_000, description="Pick list line (as listed)")


class PickListConfirmation(RequestModel):
    lines: list[PickListLineConfirmation] = Field(
        min_length=1, max_length=1000,
        description="Every line not confirmed yet (lines confirmed before may be repeated), each once")

    @field_validator("lines")
    @classmethod
    def each_line_once(cls, lines: list[PickListLineConfirmation]) -> list[PickListLineConfirmation]:
        if len({line.line_no for line in lines}) != len(lines):
            raise ValueError("a line is confirmed twice")
        return lines


class TransportBody(RequestModel):
    mode: TransportMode = TransportMode.ROAD
    vehicle_no: str | None = Field(default=None, max_length=20)
    vehicle_type: VehicleType = VehicleType.REGULAR
    driver_name: str | None = Field(default=None, max_length=100)
    driver_phone: str | None = Field(default=None, max_length=20)
    transporter_id: str | None = Field(default=None, max_length=20, description="GSTIN or TRANSIN")
    transporter_name: str | None = Field(default=None, max_length=100)
    lr_no: str | None = Field(default=None, max_length=20)
    lr_date: date | None = None

    def input(self, distance_km: int | None = None) -> use_cases.DetailsInput:
        return use_cases.DetailsInput(distance_km=distance_km,
                                      **self.model_dump(include=set(TransportBody.model_fields)))


class DispatchDetailsBody(TransportBody):
    distance_km: int | None = Field(default=None, ge=0, le=4000,
                                    description="Declared distance dispatch-from → ship-to; omitted: the "
                                                "estimate from the pincodes (at most 10 % above it)")

    def details(self) -> use_cases.DetailsInput:
        return self.input(self.distance_km)


class TripLeg(RequestModel):
    shipment_id: str = Field(min_length=1, max_length=80)
    distance_km: int | None = Field(default=None, ge=0, le=4000)


class TripBody(TransportBody):
    warehouse_id: str = Field(min_length=1, max_length=40)
    shipments: list[TripLeg] = Field(min_length=1, max_length=100)


class VehicleChangeBody(DispatchDetailsBody):
    reason: VehicleChangeReason
    remarks: str = Field(default="", max_length=200)
    from_place: str = Field(min_length=1, max_length=100, description="Where the goods are now")
    from_state_code: GstStateCode


def _invalid(exc: InvalidValue) -> Problem:
    error: dict[str, Any] = field_error(exc.field, exc.detail)
    extensions: dict[str, Any] = {}
    if exc.code:
        error["code"] = exc.code
        extensions["code"] = exc.code
    return Problem(422, "Invalid field", f"{exc.field}: {exc.detail}", type_=PROBLEM_BASE + "validation",
                   errors=[error], **extensions)


def _scope(who: Principal) -> Callable[[str], None]:
    """Warehouse staff act only at their warehouses; any token that names warehouses is held to them."""

    def check(warehouse_id: str) -> None:
        who.ensure_warehouse(warehouse_id)
        if who.warehouse_ids and warehouse_id not in who.warehouse_ids:
            raise Problem(403, "Forbidden", f"this login has no scope at warehouse {warehouse_id}")

    return check


def _visible(who: Principal, warehouse: str | None) -> set[str] | None:
    if warehouse is not None:
        _scope(who)(warehouse)
        return {warehouse}
    held = warehouse_scope(who)  # warehouse staff without a warehouse claim see none
    if held is not None:
        return set(held)
    return set(who.warehouse_ids) if who.warehouse_ids else None


@contextlib.contextmanager
def domain_errors() -> Iterator[None]:
    """Domain refusals as problem+json; raised outside the unit of work, so nothing of it was committed."""
    try:
        yield
    except GateClosed as exc:
        raise Conflict(str(exc), missing=exc.missing) from exc
    except InvalidValue as exc:
        raise _invalid(exc) from exc
    except ConflictingState as exc:
        raise Conflict(str(exc)) from exc
    except UnknownShipment as exc:
        raise NotFound(exc.what, exc.ident) from exc


def trip_view(record: TripRecord, shipments: list[ShipmentRecord]) -> dict[str, Any]:
    trip = record.trip
    return {"trip_id": trip.trip_id, "trip_no": record.trip_no, "warehouse_id": trip.warehouse_code,
            "vehicle_no": trip.details.vehicle_no, "transporter_name": trip.details.transporter_name,
            "lr_no": trip.details.lr_no, "created_by": record.created_by,
            "shipments": [shipment_view(s) for s in shipments]}


async def dispatch_of(request: Request) -> Dispatch:
    """What the routes run on: the running service's bootstrap, made on the app's first request from the runtime
    the kit keeps on the app (`app.state.runtime`) and kept there (a test may override this dependency)."""
    state = request.app.state
    found = getattr(state, "o2c_dispatch", None)
    if not isinstance(found, Dispatch):
        found = state.o2c_dispatch = bootstrap(state.runtime)
    return found


DispatchApp = Annotated[Dispatch, Depends(dispatch_of)]


@contextlib.asynccontextmanager
async def transaction(dispatch: Dispatch) -> AsyncIterator[SqlUnitOfWork]:
    with domain_errors():
        async with dispatch.transaction() as uow:
            yield uow


@contextlib.asynccontextmanager
async def reading(dispatch: Dispatch) -> AsyncIterator[SqlUnitOfWork]:
    with domain_errors():
        async with dispatch.reading() as uow:
            yield uow


# One router per resource; each route names its action (who may do it is the access policy's).
pick_lists = APIRouter(tags=["dispatch"])
shipments = APIRouter(tags=["dispatch"])
gate = APIRouter(tags=["dispatch"])
trips = APIRouter(tags=["dispatch"])
ROUTERS = (pick_lists, shipments, gate, trips)

# --- pick lists --------------------------------------------------------------------------

@pick_lists.get("/pick-lists", summary="Pick lists of the caller's warehouses (status: open, picked, cancelled)")
async def list_pick_lists(who: PickListReader, dispatch: DispatchApp, warehouse: str | None = None,
                          status: Annotated[PickListStatus | None, Query()] = None) -> list[dict[str, Any]]:
    async with reading(dispatch) as uow:
        records = await uow.shipments.search(warehouses=_visible(who, warehouse),
                                             pick_statuses=[status.value] if status else ())
    return [pick_list_view(r) for r in records]


@pick_lists.get("/pick-lists/{pick_list_id}", summary="One pick list, lines in walking order")
async def get_pick_list(pick_list_id: str, who: PickListReader, dispatch: DispatchApp) -> dict[str, Any]:
    async with reading(dispatch) as uow:
        record = await use_cases.read_pick_list(uow, pick_list_id, _scope(who))
    return pick_list_view(record)


@pick_lists.post("/pick-lists/{pick_list_id}/lines/{line_no}/confirm",
                 summary="Confirm one pick line (bin and batch scanned); a short pick needs a reason")
async def confirm_line(pick_list_id: str, line_no: int, body: PickConfirmation, who: Picker,
                       dispatch: DispatchApp) -> dict[str, Any]:
    pick = use_cases.PickInput(body.picked, body.bin_code, body.batch_no, body.short_reason, body.note)
    async with transaction(dispatch) as uow:
        record = await use_cases.confirm_pick(uow, pick_list_id, line_no, pick, who.subject, dispatch.now(),
                                              _scope(who))
    return pick_list_view(record)


@pick_lists.post("/pick-lists/{pick_list_id}/confirm",
                 summary="Confirm a whole pick list in one request (every open line; short lines need a reason)")
async def confirm_pick_list(pick_list_id: str, body: PickListConfirmation, who: Picker,
                            dispatch: DispatchApp) -> dict[str, Any]:
    picks = {line.line_no: use_cases.PickInput(line.picked, line.bin_code, line.batch_no, line.short_reason,
                                               line.note) for line in body.lines}
    async with transaction(dispatch) as uow:
        record = await use_cases.confirm_pick_list(uow, pick_list_id, picks, who.subject, dispatch.now(),
                                                   _scope(who))
    return pick_list_view(record)


# --- shipments ---------------------------------------------------------------------------

@shipments.get("/shipments", summary="Shipments by state or work queue (waiting_for_vehicle, "
               "waiting_for_documents, ready_for_gate, …)")
async def list_shipments(who: ShipmentReader, dispatch: DispatchApp, warehouse: str | None = None,
                         status: str | None = None, limit: Limit = 200) -> list[dict[str, Any]]:
    statuses, queues = [], []
    if status is not None:
        if status in {s.value for s in ShipmentStatus}:
            statuses.append(status)
        elif status in {q.value for q in Queue}:
            queues.append(status)
        else:
            raise _invalid(InvalidValue("status", "a shipment status ("
                                        + ", ".join(s.value for s in ShipmentStatus) + ") or queue ("
                                        + ", ".join(q.value for q in Queue) + ")"))
    async with reading(dispatch) as uow:
        records = await uow.shipments.search(warehouses=_visible(who, warehouse), statuses=statuses,
                                             queues=queues, limit=limit,
                                             visible=lambda column: visible_customers(who, column))
    return [shipment_view(r) for r in records]


@gate.get("/ready-for-gate", summary="A warehouse's ready-for-gate list: shipments whose invoice (IRN "
          "registered where required) and e-way bill let them leave now")
async def list_ready_for_gate(who: GateReader, dispatch: DispatchApp, warehouse: str | None = None,
                              limit: Limit = 200) -> list[dict[str, Any]]:
    async with reading(dispatch) as uow:
        records = await use_cases.ready_for_gate(uow, _visible(who, warehouse), dispatch.now(), limit)
    return [shipment_view(r) for r in records]


@shipments.get("/shipments/{shipment_id}", summary="One shipment: state, what it waits for, documents")
async def get_shipment(shipment_id: str, who: ShipmentReader, dispatch: DispatchApp) -> dict[str, Any]:
    async with reading(dispatch) as uow:
        record = await use_cases.read_shipment(uow, shipment_id, _scope(who))
        await ensure_customer_visible(uow.session, who, record.release.customer_id)
    return shipment_view(record)


@shipments.post("/shipments/{shipment_id}/dispatch-details",
                summary="Vehicle, driver, transporter, LR, distance, mode — captured once")
async def post_details(shipment_id: str, body: DispatchDetailsBody, who: Supervisor,
                       dispatch: DispatchApp) -> dict[str, Any]:
    async with transaction(dispatch) as uow:
        record = await use_cases.capture_dispatch_details(uow, shipment_id, body.details(), dispatch.now(),
                                                          _scope(who))
    return shipment_view(record)


@shipments.post("/shipments/{shipment_id}/gate-out",
                summary="The goods leave: refused (409, naming what is missing) before invoice and e-way bill")
async def post_gate_out(shipment_id: str, who: Supervisor, dispatch: DispatchApp) -> dict[str, Any]:
    try:
        async with transaction(dispatch) as uow:
            record = await use_cases.gate_out(uow, shipment_id, who.subject, dispatch.now(), _scope(who))
    except Conflict as exc:
        async with reading(dispatch) as uow:
            current = await uow.shipments.get(shipment_id)
        if current is not None and "missing" in exc.extensions:
            exc.extensions["waiting_for"] = waiting_for(current)
        raise
    return shipment_view(record)


async def _change_vehicle(shipment_id: str, body: VehicleChangeBody, who: Principal,
                          dispatch: Dispatch) -> dict[str, Any]:
    async with transaction(dispatch) as uow:
        record = await use_cases.change_vehicle(uow, shipment_id, body.details(), body.reason, body.from_place,
                                                body.from_state_code, body.remarks, dispatch.now(), _scope(who))
    return shipment_view(record)


@shipments.post("/shipments/{shipment_id}/vehicle", summary="After gate-out: the goods moved to another vehicle")
async def post_vehicle(shipment_id: str, body: VehicleChangeBody, who: Supervisor,
                       dispatch: DispatchApp) -> dict[str, Any]:
    return await _change_vehicle(shipment_id, body, who, dispatch)


@shipments.post("/shipments/{shipment_id}/vehicle-change", summary="Same as /vehicle (name used in the issue)")
async def post_vehicle_change(shipment_id: str, body: VehicleChangeBody, who: Supervisor,
                              dispatch: DispatchApp) -> dict[str, Any]:
    return await _change_vehicle(shipment_id, body, who, dispatch)


# --- trips -------------------------------------------------------------------------------

@trips.post("/trips", status_code=201,
            summary="One vehicle for several shipments of a warehouse: details entered once apply to all")
async def post_trip(body: TripBody, who: Supervisor, dispatch: DispatchApp,
                    request: Request, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    asked = IdempotentRequest.from_http(request, idempotency_key, who.subject, body)
    legs = [(leg.shipment_id, leg.distance_km) for leg in body.shipments]
    async with transaction(dispatch) as uow:
        async def work() -> dict[str, Any]:
            made = await use_cases.load_trip(uow, body.warehouse_id, body.input(), legs, who.subject,
                                             dispatch.now(), _scope(who))
            return {"trip_id": made.trip.trip_id}

        answer, _ = await once(uow.session, asked, work)
        # A repeat answers the trip as it is now (its shipments move on after it was made).
        record, legs_of = await use_cases.read_trip(uow, str(answer["trip_id"]), _scope(who))
    return trip_view(record, legs_of)


@trips.get("/trips/{trip_id}", summary="A trip and its shipments")
async def get_trip(trip_id: str, who: ShipmentReader, dispatch: DispatchApp) -> dict[str, Any]:
    async with reading(dispatch) as uow:
        record, legs_of = await use_cases.read_trip(uow, trip_id, _scope(who))
        shown = await visible_customer_ids(uow.session, who, {s.release.customer_id for s in legs_of})
    return trip_view(record, [s for s in legs_of if s.release.customer_id in shown])

