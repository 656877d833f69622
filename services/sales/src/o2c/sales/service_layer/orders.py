"""Quotation and order use cases: price with stock, number from the series, convert, enter, amend, cancel,
and authorise returns. Orders start their saga in the same transaction that publishes OrderConfirmed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from o2c.contracts.types import Quantity
from o2c.contracts.v1 import sales
from o2c.sales.domain import saga as sg
from o2c.sales.domain.actors import Actor
from o2c.sales.domain.catalog import Item, Pricing
from o2c.sales.domain.customer import Customer
from o2c.sales.domain.errors import InvalidValue, RuleViolation
from o2c.sales.domain.geography import StateCode
from o2c.sales.domain.numbering import ORDER_SERIES, QUOTATION_SERIES, FinancialYear, business_date
from o2c.sales.domain.order import AddLine, ChangeQuantity, ChangeShipTo, OrderChange, RemoveLine, SalesOrder
from o2c.sales.domain.quotation import LineRequest, Quotation, StockView, promise_for
from o2c.sales.service_layer import facts
from o2c.sales.service_layer.coordinator import CoordinatorPolicy, act, saga_lines, start_saga
from o2c.sales.service_layer.customers import load_customer
from o2c.sales.service_layer.errors import NotFoundError
from o2c.sales.service_layer.ports import OrderHandle, ReturnRecord, SagaRecord, UnitOfWork

RETURN_SERIES = "RMA"


@dataclass(frozen=True)
class Setup:
    """Service facts the use cases need: the supplier's state (tax estimate) and saga timing."""

    supplier_state: StateCode
    policy: CoordinatorPolicy = field(default_factory=CoordinatorPolicy)
    validity_days: int = 15


async def _pricing(uow: UnitOfWork, customer: Customer, codes: Sequence[str]) -> tuple[dict[str, Item], Pricing]:
    records = await uow.repo.get_items(codes)
    price_list = await uow.repo.price_list(customer.price_list_code, codes)
    if price_list is None:
        raise RuleViolation(f"customer {customer.code}'s price list {customer.price_list_code} does not exist")
    pricing = Pricing(price_list, await uow.repo.schemes(), await uow.repo.gst_rates())
    return {code: r.item for code, r in records.items()}, pricing


async def create_quotation(
    uow: UnitOfWork, *, customer_id: str, ship_to_id: str, lines: Sequence[LineRequest], stock: StockView,
    by: Actor, at: datetime, setup: Setup,
) -> Quotation:
    customer = await load_customer(uow, customer_id)
    customer.ensure_can_trade()  # before anything is numbered
    items, pricing = await _pricing(uow, customer, [r.item_code for r in lines])
    today = business_date(at)
    quotation = Quotation.prepare(
        quotation_id=f"qtn-{uuid.uuid4().hex[:12]}", number=await uow.repo.next_number(
            QUOTATION_SERIES, FinancialYear.of(today)),
        customer=customer, ship_to_id=ship_to_id, requests=lines, items=items, pricing=pricing, stock=stock,
        supplier_state=setup.supplier_state, today=today, by=by, validity_days=setup.validity_days, at=at,
    )
    await uow.repo.add_quotation(quotation, at)
    uow.publish(facts.quotation_issued(quotation, at))
    return quotation


async def load_quotation(uow: UnitOfWork, quotation_id: str, *, lock: bool = False) -> Quotation:
    quotation = await uow.repo.get_quotation(quotation_id, lock=lock)
    if quotation is None:
        raise NotFoundError("quotation", quotation_id)
    return quotation


async def revise_quotation(
    uow: UnitOfWork, quotation_id: str, *, lines: Sequence[LineRequest], ship_to_id: str | None, stock: StockView,
    by: Actor, at: datetime, setup: Setup,
) -> Quotation:
    quotation = await load_quotation(uow, quotation_id, lock=True)
    customer = await load_customer(uow, quotation.customer_id)
    items, pricing = await _pricing(uow, customer, [r.item_code for r in lines])
    quotation.revise(customer=customer, requests=lines, items=items, pricing=pricing, stock=stock,
                     today=business_date(at), by=by, at=at, ship_to_id=ship_to_id,
                     validity_days=setup.validity_days)
    await uow.repo.save_quotation(quotation, at)
    uow.publish(facts.quotation_issued(quotation, at))
    return quotation


async def _confirm(uow: UnitOfWork, order: SalesOrder, customer: Customer, key: str | None, at: datetime,
                   setup: Setup, quotation: Quotation | None = None) -> SalesOrder:
    await uow.repo.add_order(order, key)
    uow.publish(sales.OrderConfirmed(**facts.order_facts(order, customer.gst_category), confirmed_at=at,
                                     quotation=facts.quoted_from(quotation) if quotation is not None else None))
    record = start_saga(order, setup.policy)
    await uow.repo.add_saga(record)
    return order


async def existing_for_key(uow: UnitOfWork, key: str | None) -> SalesOrder | None:
    if not key:
        return None
    order_id = await uow.repo.order_id_for_key(key)
    return None if order_id is None else await uow.repo.get_order(order_id)


async def convert_quotation(
    uow: UnitOfWork, quotation_id: str, *, idempotency_key: str | None, customer_po_no: str | None, by: Actor,
    at: datetime, setup: Setup,
) -> tuple[SalesOrder, bool]:
    """An order at the quoted prices; the same Idempotency-Key gives the same order (created: False)."""
    existing = await existing_for_key(uow, idempotency_key)
    if existing is not None:
        return existing, False
    quotation = await load_quotation(uow, quotation_id, lock=True)
    existing = await existing_for_key(uow, idempotency_key)  # a retry that waited on the lock behind the first
    if existing is not None:
        return existing, False
    customer = await load_customer(uow, quotation.customer_id)
    today = business_date(at)
    refusal = quotation.conversion_refusal(today)
    if refusal is not None:
        raise RuleViolation(refusal)
    customer.ensure_can_trade()
    order = SalesOrder.from_quotation(
        quotation=quotation, customer=customer, order_id=f"ord-{uuid.uuid4().hex[:12]}",
        number=await uow.repo.next_number(ORDER_SERIES, FinancialYear.of(today)), today=today, by=by, at=at,
        customer_po_no=customer_po_no,
    )
    await uow.repo.save_quotation(quotation, at)
    return await _confirm(uow, order, customer, idempotency_key, at, setup, quotation), True


async def enter_order(
    uow: UnitOfWork, *, customer_id: str, ship_to_id: str, lines: Sequence[LineRequest], stock: StockView,
    idempotency_key: str | None, customer_po_no: str | None, by: Actor, at: datetime, setup: Setup,
) -> tuple[SalesOrder, bool]:
    existing = await existing_for_key(uow, idempotency_key)
    if existing is not None:
        return existing, False
    customer = await load_customer(uow, customer_id)
    customer.ensure_can_trade()
    items, pricing = await _pricing(uow, customer, [r.item_code for r in lines])
    today = business_date(at)
    order = SalesOrder.enter(
        order_id=f"ord-{uuid.uuid4().hex[:12]}",
        number=await uow.repo.next_number(ORDER_SERIES, FinancialYear.of(today)), customer=customer,
        ship_to_id=ship_to_id, requests=lines, items=items, pricing=pricing, stock=stock,
        supplier_state=setup.supplier_state, today=today, by=by, at=at, customer_po_no=customer_po_no,
    )
    return await _confirm(uow, order, customer, idempotency_key, at, setup), True


async def load_order(uow: UnitOfWork, order_id: str, *, lock: bool = False) -> SalesOrder:
    order = await uow.repo.get_order(order_id, lock=lock)
    if order is None:
        raise NotFoundError("order", order_id)
    return order


async def load_saga(uow: UnitOfWork, order_id: str, *, lock: bool = False) -> SagaRecord:
    record = await uow.repo.get_saga(order_id, lock=lock)
    if record is None:
        raise NotFoundError("order saga", order_id)
    return record


@dataclass(frozen=True)
class QuantityChange:
    line_no: int
    quantity: Decimal


@dataclass(frozen=True)
class Amend:
    reason: str
    quantities: tuple[QuantityChange, ...] = ()
    add_lines: tuple[LineRequest, ...] = ()
    remove_lines: tuple[int, ...] = ()
    ship_to_id: str | None = None


async def amend_order(uow: UnitOfWork, order_id: str, amend: Amend, stock: StockView, by: Actor,
                      at: datetime, setup: Setup) -> SalesOrder:
    """Quantities, lines or ship-to before dispatch: a new revision that credit and inventory answer again."""
    record = await load_saga(uow, order_id, lock=True)
    order = await load_order(uow, order_id, lock=True)
    customer = await load_customer(uow, order.customer_id)
    customer.ensure_can_trade()
    today = business_date(at)
    changes: list[OrderChange] = [ChangeQuantity(q.line_no, q.quantity) for q in amend.quantities]
    if amend.add_lines:
        items, pricing = await _pricing(uow, customer, [r.item_code for r in amend.add_lines])
        for index, request in enumerate(amend.add_lines):
            item = items.get(request.item_code)
            if item is None:
                raise InvalidValue(f"add_lines[{index}].item_code", f"no item {request.item_code!r}")
            priced = pricing.price(item, request.quantity, customer.customer_id, today)
            promise = promise_for(item, request.quantity + priced.free_quantity,
                                  stock.for_item(item.code), today)
            changes.append(AddLine(priced, promise.ship_date))
    changes += [RemoveLine(no) for no in amend.remove_lines]
    if amend.ship_to_id is not None:
        ship_to = customer.ship_to(amend.ship_to_id)
        changes.append(ChangeShipTo(ship_to, customer.billing_address_for(ship_to)))
    previous = order.gross_value
    order.amend(changes, by, at, amend.reason)
    saga = sg.order_amended(record.saga, revision=order.revision, lines=saga_lines(order))
    await uow.repo.save_order(order, lines=True)
    uow.publish(sales.OrderAmended(**facts.order_facts(order, customer.gst_category), amended_at=at,
                                   previous_gross_value=previous, reason=amend.reason))
    await act(uow, SagaRecord(saga, record.allocations, record.invoices, record.exceptions),
              OrderHandle.of(order, customer.gst_category), at)
    return order


async def cancel_order(uow: UnitOfWork, order_id: str, reason: str, by: Actor, at: datetime) -> SalesOrder:
    """The customer cancels before gate-out: the saga sends CancelPickList, ReleaseReservation and
    ReleaseCreditExposure as each applies, and OrderCancelled."""
    record = await load_saga(uow, order_id, lock=True)
    order = await load_order(uow, order_id, lock=True)
    customer = await load_customer(uow, order.customer_id)
    order.cancel(by, at, reason)
    saga = sg.cancellation_requested(record.saga, sg.CancellationReason.CUSTOMER_REQUEST, reason)
    await uow.repo.save_order(order)
    await act(uow, SagaRecord(saga, record.allocations, record.invoices, record.exceptions),
              OrderHandle.of(order, customer.gst_category), at)
    return order


@dataclass(frozen=True)
class ReturnLineRequest:
    invoice_line_no: int
    line_no: int
    quantity: Decimal
    reason: sales.ReturnReason
    batch_no: str | None = None


async def authorise_return(
    uow: UnitOfWork, *, order_id: str, invoice_id: str, lines: Sequence[ReturnLineRequest],
    warehouse_id: str | None, by: Actor, at: datetime,
) -> ReturnRecord:
    """An RMA against an invoice of the order; quantities are limited to what the order shipped."""
    order = await load_order(uow, order_id)
    record = await load_saga(uow, order_id)
    invoice = next((i for i in record.invoices if i["invoice_id"] == invoice_id), None)
    if invoice is None or "invoice_date" not in invoice:  # only its IRN verdict has been read so far
        raise InvalidValue("invoice_id", f"order {order.number} has no invoice {invoice_id!r}", invoice_id)
    if not lines:
        raise InvalidValue("lines", "a return names at least one line")
    by_no = {line.line_no: line for line in order.lines}
    out = []
    for index, request in enumerate(lines):
        line = by_no.get(request.line_no)
        if line is None:
            raise InvalidValue(f"lines[{index}].line_no", f"order {order.number} has no line {request.line_no}")
        if request.quantity <= 0 or request.quantity > facts.ship_quantity(line.priced):
            raise InvalidValue(f"lines[{index}].quantity", "must be above zero and at most the line's quantity")
        out.append(sales.ReturnLine(
            invoice_line_no=request.invoice_line_no, item_code=line.item.code, hsn=line.item.hsn.value,
            quantity=Quantity(value=request.quantity, unit=line.item.unit.value), batch_no=request.batch_no,
            reason=request.reason,
        ))
    today = business_date(at)
    number = await uow.repo.next_number(RETURN_SERIES, FinancialYear.of(today))
    message = sales.ReturnAuthorised(
        return_id=f"rma-{uuid.uuid4().hex[:12]}", return_no=number.text, order_id=order.order_id,
        customer_id=order.customer_id, invoice_id=invoice_id, invoice_no=invoice["invoice_no"],
        invoice_date=date.fromisoformat(invoice["invoice_date"]),
        warehouse_id=warehouse_id or invoice["warehouse_id"],
        pickup_pincode=order.ship_to.pincode.value if order.ship_to.pincode else None, lines=out, authorised_at=at,
    )
    ret = ReturnRecord(message.return_id, message.return_no, order.order_id, order.customer_id, by.user_id,
                       message.model_dump(mode="json"), at)
    await uow.repo.add_return(ret)
    uow.publish(message)
    return ret
