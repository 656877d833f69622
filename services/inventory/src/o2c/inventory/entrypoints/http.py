"""The inventory HTTP API: parse, authorise (role and warehouse scope), call one use case, answer.

Domain refusals become RFC 9457 problems: `InvalidValue` → 422 naming the field, `ConflictingState` → 409.
Movements take an `Idempotency-Key` header: a repeated request returns the first answer and moves nothing.
Routes live on module-level routers, one per resource (`ROUTERS`), and run on the `inventory_of` dependency (the
service's `bootstrap.Inventory`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from o2c.contracts.v1.inventory import GoodsCondition
from o2c.inventory.adapters.unit_of_work import SqlUnitOfWork
from o2c.inventory.bootstrap import Inventory, bootstrap
from o2c.inventory.domain import BinKind, ConflictingState, InvalidValue, RoutingPolicy, RoutingStrategy
from o2c.inventory.domain.transfers import TransferPrice
from o2c.inventory.service_layer import stock as uc
from o2c.inventory.service_layer import transfers as moves
from o2c.kit.auth import Principal
from o2c.kit.edge import Amount, Code, EffectiveDate, GstStateCode, Qty, RequestModel
from o2c.kit.idempotency import IdempotencyKey, IdempotentRequest, once
from o2c.kit.policy import allow, confinement
from o2c.kit.problems import Conflict, InvalidField, NotFound, Problem
from o2c.kit.scope import visible_customer_ids
from pydantic import Field

# Each route's action; which roles may do it is the access policy's (o2c.kit.policy).
WarehouseRegister = Annotated[Principal, Depends(allow("inventory.warehouse.register"))]
WarehouseRead = Annotated[Principal, Depends(allow("inventory.warehouse.read"))]
StockMove = Annotated[Principal, Depends(allow("inventory.stock.move"))]
StockRead = Annotated[Principal, Depends(allow("inventory.stock.read"))]
AtpRead = Annotated[Principal, Depends(allow("inventory.atp.read"))]
ReservationRead = Annotated[Principal, Depends(allow("inventory.reservation.read"))]
RoutingPolicySet = Annotated[Principal, Depends(allow("inventory.routing-policy.set"))]
RoutingPolicyRead = Annotated[Principal, Depends(allow("inventory.routing-policy.read"))]
TransferDispatch = Annotated[Principal, Depends(allow("inventory.transfer.dispatch"))]
TransferReceive = Annotated[Principal, Depends(allow("inventory.transfer.receive"))]
TransferRead = Annotated[Principal, Depends(allow("inventory.transfer.read"))]
TransferPriceSet = Annotated[Principal, Depends(allow("inventory.transfer-price.set"))]
TransferPriceRead = Annotated[Principal, Depends(allow("inventory.transfer-price.read"))]
PurchaseReceiptRecord = Annotated[Principal, Depends(allow("inventory.purchase-receipt.record"))]
PurchaseReceiptRead = Annotated[Principal, Depends(allow("inventory.purchase-receipt.read"))]

MAX_ATP_ITEMS = 500


@contextlib.contextmanager
def domain_errors() -> Iterator[None]:
    try:
        yield
    except InvalidValue as exc:
        raise InvalidField(exc.field, exc.detail) from exc
    except ConflictingState as exc:
        raise Conflict(str(exc)) from exc
    except uc.NotFoundError as exc:
        raise NotFound(exc.what, exc.ident) from exc


# --- bodies --------------------------------------------------------------------------------------


class BinIn(RequestModel):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._/-]+$")
    kind: BinKind = BinKind.STORAGE


class WarehouseIn(RequestModel):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(default="", max_length=200)
    place: str = Field(default="", max_length=100)
    district: str = Field(default="", max_length=100)
    state_code: GstStateCode
    pincode: str = Field(pattern=r"^[1-9][0-9]{5}$")
    gstin: str = Field(min_length=15, max_length=15, description="The company's GSTIN in the warehouse's state")
    bins: list[BinIn] = Field(default_factory=list, max_length=2000)


class BinCreate(BinIn):
    warehouse_id: Code


class Movement(RequestModel):
    warehouse_id: Code
    item_code: Code
    reference: str = Field(default="", max_length=100)


class ReceiptIn(Movement):
    quantity: Qty = Field(gt=0)
    bin_code: str = Field(description="Receiving bin: the goods are expected there, not yet promised")
    batch_no: str | None = None
    expiry_date: date | None = None
    manufactured_on: date | None = None


class PutawayIn(Movement):
    quantity: Qty = Field(gt=0)
    from_bin: str
    to_bin: str
    batch_no: str | None = None


class TransferIn(PutawayIn):
    pass


class AdjustmentIn(Movement):
    change: Qty = Field(description="Signed: + found, − damaged or lost")
    bin_code: str
    reason: str = Field(min_length=1, max_length=200)
    batch_no: str | None = None
    expiry_date: date | None = None


class CountIn(Movement):
    counted: Qty = Field(ge=0)
    bin_code: str
    batch_no: str | None = None
    expiry_date: date | None = None


class SafetyIn(RequestModel):
    warehouse_id: Code
    item_code: Code
    safety_stock: Qty = Field(ge=0)


class PolicyIn(RequestModel):
    scope: Literal["company", "customer"] = "company"
    customer_id: str | None = Field(default=None, max_length=64)
    strategy: RoutingStrategy
    km_per_day: Qty = Field(default=Decimal(300), gt=0, le=2000)
    handling_days: dict[Code, Annotated[int, Field(ge=0, le=365)]] = Field(default_factory=dict)


class ReturnLineIn(RequestModel):
    invoice_line_no: int = Field(ge=1)
    quantity: Qty = Field(gt=0)
    condition: GoodsCondition = GoodsCondition.SALEABLE
    bin_code: str
    batch_no: str | None = None
    expiry_date: date | None = None


class ReturnReceiptIn(RequestModel):
    lines: list[ReturnLineIn] = Field(min_length=1)


class TransferPriceIn(RequestModel):
    item_code: Code
    unit_price: Amount = Field(gt=0, description="Rupees per unit of the item's own UQC, before tax")
    effective_from: EffectiveDate
    effective_to: date | None = None


class WarehouseTransferLineIn(RequestModel):
    item_code: Code
    quantity: Qty = Field(gt=0)
    bin_code: str | None = Field(default=None, max_length=40, description="Leave from this bin (else FEFO)")
    batch_no: str | None = Field(default=None, max_length=40)


class WarehouseTransferIn(RequestModel):
    from_warehouse_id: Code
    to_warehouse_id: Code
    lines: list[WarehouseTransferLineIn] = Field(min_length=1, max_length=250)
    expected_arrival: date | None = Field(default=None, description="Else from the distance and the company's "
                                          "routing policy (km per day)")


class ArrivalLineIn(RequestModel):
    line_no: int = Field(ge=1)
    received: Qty = Field(ge=0, description="Arrived in good order, put away in bin_code")
    bin_code: str = Field(min_length=1, max_length=40)
    damaged: Qty = Field(default=Decimal(0), ge=0)
    damaged_bin_code: str | None = Field(default=None, max_length=40)


class ArrivalIn(RequestModel):
    lines: list[ArrivalLineIn] = Field(min_length=1, max_length=250)


class PurchaseLineIn(RequestModel):
    po_line_no: int = Field(ge=1)
    item_code: Code
    ordered: Qty = Field(gt=0, description="The purchase-order line's quantity")
    quantity: Qty = Field(gt=0, description="Received now; less than ordered is a short receipt")
    bin_code: str = Field(min_length=1, max_length=40, description="A storage bin puts away at once; a "
                          "receiving bin keeps the goods expected until put away")
    batch_no: str | None = Field(default=None, max_length=40)
    expiry_date: date | None = None
    manufactured_on: date | None = None


class PurchaseReceiptIn(RequestModel):
    warehouse_id: Code
    supplier_gstin: str | None = Field(default=None, min_length=15, max_length=15)
    supplier_name: str = Field(min_length=1, max_length=200)
    po_no: str = Field(min_length=1, max_length=40)
    po_date: EffectiveDate
    lines: list[PurchaseLineIn] = Field(min_length=1, max_length=250)


async def visible_orders(uow: SqlUnitOfWork, who: Principal, order_ids: set[str]) -> set[str]:
    """Of these orders, the ones whose customer the caller may see (an order not allocated yet shows nothing)."""
    if confinement(who).everyone or not order_ids:
        return order_ids
    customers = await uow.allocations.customers_of(order_ids)
    shown = await visible_customer_ids(uow.session, who, set(customers.values()))
    return {order_id for order_id, customer_id in customers.items() if customer_id in shown}


async def inventory_of(request: Request) -> Inventory:
    """What the routes run on: the running service's bootstrap, made on the app's first request from the runtime
    the kit keeps on the app (`app.state.runtime`) and kept there (a test may override this dependency)."""
    state = request.app.state
    found = getattr(state, "o2c_inventory", None)
    if not isinstance(found, Inventory):
        found = state.o2c_inventory = bootstrap(state.runtime)
    return found


InventoryApp = Annotated[Inventory, Depends(inventory_of)]

# One router per resource; each route names its action (who may do it is the access policy's).
warehouses = APIRouter(tags=["inventory"])
bins = APIRouter(tags=["inventory"])
stock = APIRouter(tags=["inventory"])
atp = APIRouter(tags=["inventory"])
reservations = APIRouter(tags=["inventory"])
backorders = APIRouter(tags=["inventory"])
routing_policy = APIRouter(tags=["inventory"])
transfer_prices = APIRouter(tags=["inventory"])
transfers = APIRouter(tags=["inventory"])
purchase_receipts = APIRouter(tags=["inventory"])
returns = APIRouter(tags=["inventory"])
ROUTERS = (warehouses, bins, stock, atp, reservations, backorders, routing_policy, transfer_prices, transfers,
           purchase_receipts, returns)


async def idempotent(inventory: Inventory, asked: IdempotentRequest | None,
                     work: Callable[[SqlUnitOfWork], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    async with inventory.transaction() as uow:
        with domain_errors():
            answer, repeated = await once(uow.session, asked, lambda: work(uow))
        return answer | {"repeated": True} if repeated else answer


# --- warehouses and bins -------------------------------------------------------------------

@warehouses.post("/warehouses", status_code=201, summary="Register a warehouse with its bins")
async def post_warehouse(body: WarehouseIn,
                         who: WarehouseRegister, inventory: InventoryApp) -> dict[str, Any]:
    who.ensure_warehouse(body.code)
    async with inventory.transaction() as uow:
        with domain_errors():
            return await uc.register_warehouse(uow, uc.NewWarehouse(
                body.code, body.name, body.state_code, body.pincode, body.gstin.upper(), body.line1,
                body.place, body.district, tuple((b.code, b.kind) for b in body.bins)))


@warehouses.get("/warehouses", summary="Warehouses with their bins")
async def get_warehouses(_: WarehouseRead, inventory: InventoryApp) -> list[dict[str, Any]]:
    async with inventory.reading() as uow:
        return await uc.warehouse_views(uow)


@warehouses.get("/warehouses/{warehouse_id}")
async def get_warehouse(warehouse_id: str,
                        _: WarehouseRead, inventory: InventoryApp) -> dict[str, Any]:
    async with inventory.reading() as uow:
        with domain_errors():
            return await uc.warehouse_view(uow, warehouse_id)


@bins.post("/bins", status_code=201, summary="Add a bin to a warehouse")
async def post_bin(body: BinCreate, who: WarehouseRegister, inventory: InventoryApp) -> dict[str, Any]:
    who.ensure_warehouse(body.warehouse_id)
    async with inventory.transaction() as uow:
        with domain_errors():
            await uc.add_bin(uow, body.warehouse_id, body.code, body.kind)
            return await uc.warehouse_view(uow, body.warehouse_id)


@bins.get("/bins")
async def get_bins(warehouse_id: str, who: WarehouseRead, inventory: InventoryApp
                   ) -> list[dict[str, Any]]:
    async with inventory.reading() as uow:
        with domain_errors():
            return list((await uc.warehouse_view(uow, warehouse_id))["bins"])


# --- movements -----------------------------------------------------------------------------

def mover(kind: uc.MovementKind, body: Any, who: Principal, **fields: Any
          ) -> Callable[[SqlUnitOfWork], Awaitable[dict[str, Any]]]:
    who.ensure_warehouse(body.warehouse_id)

    async def work(uow: SqlUnitOfWork) -> dict[str, Any]:
        request = uc.MovementRequest(kind=kind, warehouse_id=body.warehouse_id, item_code=body.item_code,
                                     reference=body.reference, **fields)
        return await uc.move_stock(uow, request, who.subject)
    return work


@stock.post("/stock/receipts", status_code=201, summary="Goods arrived: expected in a receiving bin, not promised")
async def post_receipt(body: ReceiptIn, who: StockMove, inventory: InventoryApp,
                       request: Request, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    return await idempotent(inventory, IdempotentRequest.from_http(request, idempotency_key, who.subject, body), mover(
        uc.MovementKind.RECEIPT, body, who, quantity=body.quantity, bin_code=body.bin_code,
        batch_no=body.batch_no, expiry_date=body.expiry_date, manufactured_on=body.manufactured_on))


@stock.post("/stock/putaways", status_code=201, summary="Expected goods put away: confirmed, promisable")
async def post_putaway(body: PutawayIn, who: StockMove, inventory: InventoryApp,
                       request: Request, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    return await idempotent(inventory, IdempotentRequest.from_http(request, idempotency_key, who.subject, body), mover(
        uc.MovementKind.PUTAWAY, body, who, quantity=body.quantity, bin_code=body.from_bin, to_bin=body.to_bin,
        batch_no=body.batch_no))


@stock.post("/stock/transfers", status_code=201, summary="Move unreserved confirmed goods between bins")
async def post_transfer(body: TransferIn, who: StockMove, inventory: InventoryApp,
                        request: Request, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    return await idempotent(inventory, IdempotentRequest.from_http(request, idempotency_key, who.subject, body), mover(
        uc.MovementKind.TRANSFER, body, who, quantity=body.quantity, bin_code=body.from_bin,
        to_bin=body.to_bin, batch_no=body.batch_no))


@stock.post("/stock/adjustments", status_code=201, summary="Correct confirmed stock by a signed quantity")
async def post_adjustment(body: AdjustmentIn, who: StockMove, inventory: InventoryApp,
                          request: Request, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    return await idempotent(inventory, IdempotentRequest.from_http(request, idempotency_key, who.subject, body), mover(
        uc.MovementKind.ADJUSTMENT, body, who, quantity=body.change, bin_code=body.bin_code,
        batch_no=body.batch_no, expiry_date=body.expiry_date, reason=body.reason))


@stock.post("/stock/counts", status_code=201, summary="Cycle count: the count becomes the confirmed quantity")
async def post_count(body: CountIn, who: StockMove, inventory: InventoryApp,
                     request: Request, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    return await idempotent(inventory, IdempotentRequest.from_http(request, idempotency_key, who.subject, body), mover(
        uc.MovementKind.COUNT, body, who, quantity=body.counted, bin_code=body.bin_code,
        batch_no=body.batch_no, expiry_date=body.expiry_date))


@stock.put("/stock/safety", summary="Safety stock of an item at a warehouse (never promised)")
async def put_safety(body: SafetyIn, who: StockMove, inventory: InventoryApp) -> dict[str, Any]:
    who.ensure_warehouse(body.warehouse_id)
    async with inventory.transaction() as uow:
        with domain_errors():
            await uc.set_safety_stock(uow, body.warehouse_id, body.item_code, body.safety_stock)
    return body.model_dump(mode="json")


@stock.get("/stock", summary="Balances per warehouse, item, bin and batch")
async def get_stock(who: StockRead, inventory: InventoryApp, warehouse_id: str | None = None,
                    item_code: str | None = None) -> list[dict[str, Any]]:
    if warehouse_id:
        who.ensure_warehouse(warehouse_id)
    async with inventory.reading() as uow:
        rows = await uc.balances(uow, warehouse_id, item_code)
    return [r for r in rows if who.may_act_at_warehouse(r["warehouse_id"])]


@stock.get("/stock/movements", summary="The ledger of one item at one warehouse")
async def get_movements(warehouse_id: str, item_code: str,
                        who: StockRead, inventory: InventoryApp) -> list[dict[str, Any]]:
    who.ensure_warehouse(warehouse_id)
    async with inventory.reading() as uow:
        return await uc.movements(uow, warehouse_id, item_code)


# --- promise, reservations, backorders -------------------------------------------------------

@atp.get("/atp", response_class=Response, summary="Available to promise for many items in one call, per warehouse")
async def get_atp(_: AtpRead, inventory: InventoryApp,
                  items: Annotated[str, Query(min_length=1, description="Item codes, comma-separated")],
                  warehouse: str | None = None) -> Response:
    started = time.perf_counter()
    codes = [c.strip() for c in items.split(",") if c.strip()]
    if len(codes) > MAX_ATP_ITEMS:
        raise InvalidField("items", f"at most {MAX_ATP_ITEMS} items per call")
    async with inventory.reading() as uow:
        rows = await uc.available_to_promise_json(uow, codes, warehouse)
    # PostgreSQL wrote the JSON: no per-row work in Python, no response-model validation on the hot path.
    elapsed = round((time.perf_counter() - started) * 1000, 2)
    return Response(f'{{"items":{rows},"elapsed_ms":{elapsed}}}', media_type="application/json")


@reservations.get("/reservations", summary="An order's reservations per line and warehouse, with bins and batches")
async def get_reservations(order_id: str, who: ReservationRead, inventory: InventoryApp
                           ) -> list[dict[str, Any]]:
    async with inventory.reading() as uow:
        if order_id not in await visible_orders(uow, who, {order_id}):
            raise Problem(403, "Forbidden", "this order's customer is outside this login's scope")
        return await uc.reservations_of(uow, order_id)


@backorders.get("/backorders", summary="What orders wait for, oldest first")
async def get_backorders(who: ReservationRead, inventory: InventoryApp, status: str | None = "open",
                         item_code: str | None = None, order_id: str | None = None) -> list[dict[str, Any]]:
    async with inventory.reading() as uow:
        rows = await uc.backorders(uow, status or None, item_code, order_id)
        shown = await visible_orders(uow, who, {str(r["order_id"]) for r in rows})
        return [r for r in rows if r["order_id"] in shown]


@routing_policy.put("/routing-policy", summary="Routing strategy for the company, or for one customer")
async def put_policy(body: PolicyIn, who: RoutingPolicySet, inventory: InventoryApp
                     ) -> dict[str, Any]:
    if body.scope == "customer" and not body.customer_id:
        raise InvalidField("customer_id", "required for a customer policy")
    scope = "company" if body.scope == "company" else f"customer:{body.customer_id}"
    with domain_errors():
        policy = RoutingPolicy(body.strategy, body.km_per_day, body.handling_days)
    async with inventory.transaction() as uow:
        await uc.set_routing_policy(uow, scope, policy, who.subject)
    return {"scope": scope, "strategy": policy.strategy.value, "km_per_day": str(policy.km_per_day),
            "handling_days": dict(policy.handling_days)}


@routing_policy.get("/routing-policy")
async def get_policy(who: RoutingPolicyRead, inventory: InventoryApp) -> list[dict[str, Any]]:
    async with inventory.reading() as uow:
        rows = await uc.routing_policies(uow)
        customers = {r["scope"].removeprefix("customer:") for r in rows if r["scope"].startswith("customer:")}
        shown = await visible_customer_ids(uow.session, who, customers)
    return [r for r in rows if not r["scope"].startswith("customer:")
            or r["scope"].removeprefix("customer:") in shown]


# --- the transfer price list, transfers between warehouses, receipts from suppliers ----------------

@transfer_prices.put("/transfer-prices", summary="Set a transfer price (branch transfers are valued from it)")
async def put_transfer_price(body: TransferPriceIn, who: TransferPriceSet, inventory: InventoryApp) -> dict[str, Any]:
    with domain_errors():
        price = TransferPrice(body.item_code, body.unit_price, body.effective_from, body.effective_to)
    async with inventory.transaction() as uow:
        with domain_errors():
            return await moves.set_transfer_price(uow, price, who.subject)


@transfer_prices.get("/transfer-prices", summary="The transfer price list, by item, latest first")
async def get_transfer_prices(_: TransferPriceRead, inventory: InventoryApp,
                              item_code: str | None = None) -> list[dict[str, Any]]:
    async with inventory.reading() as uow:
        return await moves.transfer_prices(uow, item_code)


@transfers.post("/transfers", status_code=201,
                summary="Send stock to another warehouse: a delivery challan within a GSTIN, a branch transfer "
                "between two GSTINs of one PAN; the goods are in transit until received")
async def post_transfer_between_warehouses(body: WarehouseTransferIn, who: TransferDispatch, inventory: InventoryApp,
                                           request: Request, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    who.ensure_warehouse(body.from_warehouse_id)

    async def work(uow: SqlUnitOfWork) -> dict[str, Any]:
        return await moves.dispatch_transfer(uow, moves.TransferRequest(
            body.from_warehouse_id, body.to_warehouse_id,
            [moves.TransferLineRequest(ln.item_code, ln.quantity, ln.bin_code, ln.batch_no) for ln in body.lines],
            body.expected_arrival), who.subject)
    return await idempotent(inventory, IdempotentRequest.from_http(request, idempotency_key, who.subject, body), work)


@transfers.post("/transfers/{transfer_id}/receipt", status_code=201,
                summary="The receiving warehouse confirms a transfer: received, damaged and short per line")
async def post_transfer_receipt(transfer_id: str, body: ArrivalIn, who: TransferReceive, inventory: InventoryApp,
                                request: Request, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    async with inventory.reading() as uow:
        with domain_errors():
            _, to_warehouse = await moves.transfer_warehouses(uow, transfer_id)
    who.ensure_warehouse(to_warehouse)

    async def work(uow: SqlUnitOfWork) -> dict[str, Any]:
        return await moves.receive_transfer(uow, transfer_id, [
            moves.ArrivalLine(ln.line_no, ln.received, ln.bin_code, ln.damaged, ln.damaged_bin_code)
            for ln in body.lines], who.subject)
    return await idempotent(inventory, IdempotentRequest.from_http(request, idempotency_key, who.subject, body), work)


@transfers.get("/transfers/{transfer_id}", summary="A transfer with its challan or its tax facts")
async def get_transfer(transfer_id: str, who: TransferRead, inventory: InventoryApp) -> dict[str, Any]:
    async with inventory.reading() as uow:
        with domain_errors():
            found = await moves.transfer(uow, transfer_id)
    if not (who.may_act_at_warehouse(found["from_warehouse_id"])
            or who.may_act_at_warehouse(found["to_warehouse_id"])):
        raise Problem(403, "Forbidden", "this login has no scope at either warehouse of the transfer")
    return found


@transfers.get("/transfers", summary="Transfers leaving or reaching a warehouse, newest first")
async def get_transfers(who: TransferRead, inventory: InventoryApp, warehouse_id: str | None = None,
                        status: Literal["in_transit", "received"] | None = None) -> list[dict[str, Any]]:
    if warehouse_id:
        who.ensure_warehouse(warehouse_id)
    async with inventory.reading() as uow:
        rows = await moves.transfers(uow, [warehouse_id] if warehouse_id else None, status)
    return [r for r in rows if who.may_act_at_warehouse(r["from_warehouse_id"])
            or who.may_act_at_warehouse(r["to_warehouse_id"])]


@purchase_receipts.post("/purchase-receipts", status_code=201,
                        summary="Goods from a supplier against a purchase order, put away by bin and batch")
async def post_purchase_receipt(body: PurchaseReceiptIn, who: PurchaseReceiptRecord, inventory: InventoryApp,
                                request: Request, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    who.ensure_warehouse(body.warehouse_id)

    async def work(uow: SqlUnitOfWork) -> dict[str, Any]:
        return await moves.receive_purchase(uow, moves.PurchaseReceipt(
            body.warehouse_id, body.supplier_name, body.po_no, body.po_date,
            [moves.PurchaseLine(ln.po_line_no, ln.item_code, ln.ordered, ln.quantity, ln.bin_code, ln.batch_no,
                                ln.expiry_date, ln.manufactured_on) for ln in body.lines],
            body.supplier_gstin.upper() if body.supplier_gstin else None), who.subject)
    return await idempotent(inventory, IdempotentRequest.from_http(request, idempotency_key, who.subject, body), work)


@purchase_receipts.get("/purchase-receipts/{receipt_id}",
                       summary="A receipt against a purchase order, with its shortfalls")
async def get_purchase_receipt(receipt_id: str, who: PurchaseReceiptRead, inventory: InventoryApp) -> dict[str, Any]:
    async with inventory.reading() as uow:
        with domain_errors():
            found = await moves.purchase_receipt(uow, receipt_id)
    who.ensure_warehouse(found["warehouse_id"])
    return found


# --- returns -------------------------------------------------------------------------------

@returns.post("/returns/{return_id}/receipts", status_code=201,
              summary="Receive the goods of an authorised return (GoodsReturned follows)")
async def post_return_receipt(return_id: str, body: ReturnReceiptIn,
                              who: StockMove, inventory: InventoryApp) -> dict[str, Any]:
    async with inventory.transaction() as uow:
        with domain_errors():
            who.ensure_warehouse(await uc.return_warehouse(uow, return_id))
            message = await uc.receive_return(uow, return_id, [
                uc.ReturnReceiptLine(ln.invoice_line_no, ln.quantity, ln.condition, ln.bin_code, ln.batch_no,
                                     ln.expiry_date) for ln in body.lines], who.subject)
    return message.model_dump(mode="json")
