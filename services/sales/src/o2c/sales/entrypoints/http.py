"""The sales HTTP API: parse, authorise (role and data scope), call one use case, answer.

Domain refusals become RFC 9457 problems: `InvalidValue` → 422 naming the field, `RuleViolation` → 409 with
the reason, nothing written.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from o2c.contracts.v1.sales import ReturnReason
from o2c.kit.auth import Principal
from o2c.kit.edge import Amount, Code, EffectiveDate, GstStateCode, Limit, Qty, Rate, RequestModel
from o2c.kit.idempotency import IdempotencyKey, IdempotentRequest, once
from o2c.kit.policy import allow
from o2c.kit.problems import Conflict, InvalidField, NotFound, Problem
from o2c.kit.scope import CustomerScope, ensure_may_see
from o2c.kit.service import Runtime
from o2c.sales.adapters import db
from o2c.sales.adapters.inventory_atp import HttpStockSource
from o2c.sales.adapters.quotation_pdf import render_quotation_pdf
from o2c.sales.adapters.repository import SqlRepository
from o2c.sales.domain.actors import Actor
from o2c.sales.domain.catalog import (
    BuyGetScheme,
    Item,
    PriceEntry,
    QuantitySlabScheme,
    Scheme,
    SchemeScope,
    Slab,
)
from o2c.sales.domain.customer import Address, Contact, Customer, GstCategory, ShipPolicy, ShortagePolicy
from o2c.sales.domain.errors import InvalidValue, RuleViolation
from o2c.sales.domain.geography import Pincode, StateCode
from o2c.sales.domain.gstin import Gstin, Pan
from o2c.sales.domain.money import money, parse_decimal, positive_quantity
from o2c.sales.domain.quotation import LineRequest, StockView
from o2c.sales.domain.tax import gst_rate
from o2c.sales.entrypoints import views
from o2c.sales.entrypoints.document import quotation_html
from o2c.sales.entrypoints.parked import parked_keys
from o2c.sales.service_layer import catalog, customers, orders
from o2c.sales.service_layer.coordinator import CoordinatorPolicy
from o2c.sales.service_layer.errors import ForbiddenError, NotFoundError
from o2c.sales.service_layer.ports import StockSource, UnitOfWork
from o2c.sales.settings import SalesSettings
from pydantic import Field
from sqlalchemy.exc import IntegrityError

# Each route's action; which roles may do it is the access policy's (o2c.kit.policy).
CustomerRegister = Annotated[Principal, Depends(allow("sales.customer.register"))]
CustomerRead = Annotated[Principal, Depends(allow("sales.customer.read"))]
CustomerChange = Annotated[Principal, Depends(allow("sales.customer.change"))]
CustomerApprove = Annotated[Principal, Depends(allow("sales.customer.approve"))]
Blockers = Annotated[Principal, Depends(allow("sales.customer.block"))]
PartnerBinding = Annotated[Principal, Depends(allow("sales.customer.partners"))]
ItemRead = Annotated[Principal, Depends(allow("sales.item.read"))]
ItemWrite = Annotated[Principal, Depends(allow("sales.item.write"))]
GstRateWrite = Annotated[Principal, Depends(allow("sales.gst-rate.write"))]
PriceListRead = Annotated[Principal, Depends(allow("sales.price-list.read"))]
PriceListWrite = Annotated[Principal, Depends(allow("sales.price-list.write"))]
SchemeRead = Annotated[Principal, Depends(allow("sales.scheme.read"))]
SchemeWrite = Annotated[Principal, Depends(allow("sales.scheme.write"))]
QuotationRead = Annotated[Principal, Depends(allow("sales.quotation.read"))]
QuotationWrite = Annotated[Principal, Depends(allow("sales.quotation.write"))]
OrderEntry = Annotated[Principal, Depends(allow("sales.order.enter"))]
OrderRead = Annotated[Principal, Depends(allow("sales.order.read"))]
OrderAmend = Annotated[Principal, Depends(allow("sales.order.amend"))]
Cancellers = Annotated[Principal, Depends(allow("sales.order.cancel"))]
Watchers = Annotated[Principal, Depends(allow("sales.saga-exception.read"))]
ReturnAuthorise = Annotated[Principal, Depends(allow("sales.return.authorise"))]


def actor(p: Principal) -> Actor:
    return Actor(p.subject, frozenset(r.value for r in p.roles))


def ensure_scope(p: Principal, customer: Customer) -> None:
    """The kit's one scope rule on the master record itself: a customer login its own records, a coordinator
    with a `sales_owner` their customers, a partner the customers it serves."""
    ensure_may_see(p, customer.customer_id,
                   CustomerScope(customer.customer_id, customer.sales_owner, frozenset(customer.partner_ids)))


@contextlib.contextmanager
def domain_errors() -> Iterator[None]:
    try:
        yield
    except InvalidValue as exc:
        raise InvalidField(exc.field, exc.detail) from exc
    except NotFoundError as exc:
        raise NotFound(exc.what, exc.ident) from exc
    except ForbiddenError as exc:
        raise Problem(403, "Forbidden", exc.reason) from exc
    except RuleViolation as exc:
        raise Conflict(exc.reason) from exc


# --- request bodies --------------------------------------------------------------------------------


class AddressIn(RequestModel):
    address_id: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: str = Field(default="", max_length=200)
    place: str = Field(min_length=1, max_length=100)
    district: str = Field(default="", max_length=100)
    state_code: GstStateCode
    pincode: str | None = None
    gstin: str | None = None
    is_billing: bool = True
    is_shipping: bool = True
    third_party: bool = False

    def domain(self, field: str) -> Address:
        return Address(
            address_id=self.address_id, name=self.name, line1=self.line1, line2=self.line2, place=self.place,
            district=self.district, state_code=StateCode.parse(self.state_code, f"{field}.state_code"),
            pincode=Pincode.parse(self.pincode, f"{field}.pincode") if self.pincode else None,
            gstin=Gstin.parse(self.gstin, f"{field}.gstin") if self.gstin else None,
            is_billing=self.is_billing, is_shipping=self.is_shipping, third_party=self.third_party,
        )


class ContactIn(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    channels: list[str] = Field(default_factory=list)

    def domain(self) -> Contact:
        return Contact(self.name, self.email, self.phone, tuple(self.channels))


class CustomerIn(RequestModel):
    code: Code
    legal_name: str = Field(min_length=1, max_length=200)
    pan: str | None = None
    gst_category: GstCategory
    addresses: list[AddressIn] = Field(min_length=1, max_length=200)
    payment_terms_days: int = Field(default=30, ge=0, le=365)
    price_list_code: Code
    sales_owner: str | None = None
    ship_policy: ShipPolicy = ShipPolicy.SHIP_PARTIAL
    shortage_policy: ShortagePolicy = ShortagePolicy.BACKORDER
    requested_credit_limit: Amount | None = None
    credit_grace_days: int = Field(default=0, ge=0, le=365)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=20)


class CustomerPatch(RequestModel):
    legal_name: str | None = None
    payment_terms_days: int | None = Field(default=None, ge=0, le=365)
    credit_grace_days: int | None = Field(default=None, ge=0, le=365)
    price_list_code: Code | None = None
    sales_owner: str | None = None
    ship_policy: ShipPolicy | None = None
    shortage_policy: ShortagePolicy | None = None
    requested_credit_limit: Amount | None = None
    gst_category: GstCategory | None = None
    addresses: list[AddressIn] = Field(default_factory=list)
    remove_addresses: list[str] = Field(default_factory=list)
    contacts: list[ContactIn] | None = None


class PartnersIn(RequestModel):
    partner_ids: list[str] = Field(max_length=50, description="The whole list; an empty list: no partner")


class Reason(RequestModel):
    reason: str = Field(min_length=1, max_length=500)


class ItemIn(RequestModel):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    hsn: str = Field(max_length=8)
    unit: str = Field(max_length=8)
    product_line: str = Field(max_length=100)
    batch_tracked: bool = False
    stocked: bool = True
    lead_time_days: int = Field(default=0, ge=0, le=365)


class ItemPatch(RequestModel):
    name: str | None = None
    product_line: str | None = None
    batch_tracked: bool | None = None
    stocked: bool | None = None
    lead_time_days: int | None = Field(default=None, ge=0, le=365)
    active: bool | None = None


class GstRateIn(RequestModel):
    hsn_prefix: str = Field(min_length=2, max_length=8, pattern=r"^[0-9]+$")
    rate: Rate
    effective_from: EffectiveDate
    cess_rate: Rate = Decimal(0)


class PriceIn(RequestModel):
    item_code: Code
    unit_price: Amount
    valid_from: EffectiveDate
    valid_to: EffectiveDate | None = None
    customer_id: str | None = Field(default=None, description="Set: this customer's negotiated price")


class PriceListIn(RequestModel):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    entries: list[PriceIn] = Field(default_factory=list, max_length=20000)


class PriceEndIn(RequestModel):
    item_code: Code
    customer_id: str | None = Field(default=None, max_length=64, description="Set: that customer's price")
    valid_from: EffectiveDate = Field(description="The price's first day (which price is ended)")
    valid_to: EffectiveDate = Field(description="Its last day")
    reason: str = Field(min_length=1, max_length=200)


class PricesIn(RequestModel):
    entries: list[PriceIn] = Field(min_length=1, max_length=20000)


class SlabIn(RequestModel):
    min_quantity: Qty
    discount_percent: Rate


class SchemeIn(RequestModel):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["quantity_slab", "buy_x_get_y"]
    valid_from: EffectiveDate
    valid_to: EffectiveDate
    item_codes: list[str] = Field(default_factory=list)
    product_lines: list[str] = Field(default_factory=list)
    slabs: list[SlabIn] = Field(default_factory=list)
    buy_quantity: Qty | None = None
    free_quantity: Qty | None = None


class LineIn(RequestModel):
    item_code: str = Field(min_length=1, max_length=40)
    quantity: Qty


class QuotationIn(RequestModel):
    customer_id: str
    ship_to_id: str
    lines: list[LineIn] = Field(min_length=1, max_length=1000)


class RevisionIn(RequestModel):
    lines: list[LineIn] = Field(min_length=1, max_length=1000)
    ship_to_id: str | None = None


class ConvertIn(RequestModel):
    customer_po_no: str | None = None


class OrderIn(QuotationIn):
    customer_po_no: str | None = None


class QuantityIn(RequestModel):
    line_no: int = Field(ge=1, le=100_000)
    quantity: Qty


class AmendIn(RequestModel):
    reason: str = Field(min_length=1, max_length=500)
    quantities: list[QuantityIn] = Field(default_factory=list)
    add_lines: list[LineIn] = Field(default_factory=list)
    remove_lines: list[int] = Field(default_factory=list)
    ship_to_id: str | None = None


class ReturnLineIn(RequestModel):
    invoice_line_no: int = Field(ge=1)
    line_no: int = Field(ge=1)
    quantity: Qty
    reason: ReturnReason
    batch_no: str | None = None


class ReturnIn(RequestModel):
    order_id: str
    invoice_id: str
    warehouse_id: str | None = None
    lines: list[ReturnLineIn] = Field(min_length=1)


def _requests(lines: Sequence[LineIn], field: str = "lines") -> list[LineRequest]:
    return [
        LineRequest(line.item_code.strip().upper(), positive_quantity(line.quantity, f"{field}[{i}].quantity"))
        for i, line in enumerate(lines)
    ]


def _price_entries(entries: Sequence[PriceIn]) -> list[PriceEntry]:
    return [
        PriceEntry(e.item_code.strip().upper(), money(e.unit_price, f"entries[{i}].unit_price"), e.valid_from,
                   e.valid_to, e.customer_id)
        for i, e in enumerate(entries)
    ]


def _scheme(body: SchemeIn) -> Scheme:
    scope = SchemeScope(frozenset(c.upper() for c in body.item_codes), frozenset(body.product_lines))
    if body.kind == "quantity_slab":
        slabs = tuple(Slab(parse_decimal(s.min_quantity, f"slabs[{i}].min_quantity"),
                           parse_decimal(s.discount_percent, f"slabs[{i}].discount_percent"))
                      for i, s in enumerate(body.slabs))
        return QuantitySlabScheme(body.code, body.name, scope, body.valid_from, body.valid_to, slabs)
    return BuyGetScheme(body.code, body.name, scope, body.valid_from, body.valid_to,
                        parse_decimal(body.buy_quantity or "0", "buy_quantity"),
                        parse_decimal(body.free_quantity or "0", "free_quantity"))


# --- the router --------------------------------------------------------------------------------------


def router(rt: Runtime, stock: StockSource | None = None, clock: Any = None) -> APIRouter:
    settings = rt.settings if isinstance(rt.settings, SalesSettings) else SalesSettings(**rt.settings.model_dump())
    stock_source: StockSource = stock or HttpStockSource(settings.inventory_url, settings.atp_timeout_seconds)
    setup = orders.Setup(
        supplier_state=StateCode.parse(settings.supplier_state_code, "supplier_state_code"),
        policy=CoordinatorPolicy(hold_period=timedelta(hours=settings.hold_period_hours)),
        validity_days=settings.quotation_validity_days,
    )

    def now() -> datetime:
        return clock() if clock else datetime.now(UTC)

    @contextlib.asynccontextmanager
    async def unit_of_work() -> AsyncIterator[UnitOfWork]:
        async with rt.sessions() as session, session.begin():
            uow = UnitOfWork(SqlRepository(session))
            with domain_errors():
                yield uow
            if uow.messages:
                await rt.outbox.add_many(session, uow.messages)

    @contextlib.asynccontextmanager
    async def reading() -> AsyncIterator[UnitOfWork]:
        async with rt.sessions() as session:
            with domain_errors():
                yield UnitOfWork(SqlRepository(session))

    async def stock_for(request: Request, codes: Sequence[str]) -> StockView:
        return await stock_source.stock_view(codes, request.headers.get("authorization"))

    api = APIRouter()

    # --- customers ---

    @api.post("/customers", status_code=201, tags=["customers"], summary="Register a customer (pending approval)")
    async def post_customer(body: CustomerIn, who: CustomerRegister) -> dict[str, Any]:
        with domain_errors():
            cmd = customers.RegisterCustomer(
                code=body.code, legal_name=body.legal_name, pan=Pan.parse(body.pan) if body.pan else None,
                gst_category=body.gst_category,
                addresses=tuple(a.domain(f"addresses[{i}]") for i, a in enumerate(body.addresses)),
                payment_terms_days=body.payment_terms_days, price_list_code=body.price_list_code,
                sales_owner=body.sales_owner or who.sales_owner or who.subject, ship_policy=body.ship_policy,
                shortage_policy=body.shortage_policy,
                requested_credit_limit=(money(body.requested_credit_limit, "requested_credit_limit")
                                        if body.requested_credit_limit is not None else None),
                credit_grace_days=body.credit_grace_days, contacts=tuple(c.domain() for c in body.contacts),
            )
        try:
            async with unit_of_work() as uow:
                customer = await customers.register_customer(uow, cmd, actor(who), now())
        except IntegrityError as exc:
            raise Conflict(f"customer code {body.code} is already taken") from exc
        return views.customer(customer, audit=True)

    async def scoped_customer(uow: UnitOfWork, customer_id: str, who: Principal, *, lock: bool = False
                              ) -> Customer:
        customer = await customers.load_customer(uow, customer_id, lock=lock)
        ensure_scope(who, customer)
        return customer

    @api.get("/customers/{customer_id}", tags=["customers"], summary="A customer with its audit trail")
    async def get_customer(customer_id: str, who: CustomerRead) -> dict[str, Any]:
        async with reading() as uow:
            return views.customer(await scoped_customer(uow, customer_id, who), audit=True)

    @api.post("/customers/{customer_id}/approve", tags=["customers"], summary="Approve (sales head, not creator)")
    async def approve(customer_id: str, who: CustomerApprove) -> dict[str, Any]:
        async with unit_of_work() as uow:
            customer = await customers.approve_customer(uow, customer_id, actor(who), now())
        return views.customer(customer)

    @api.patch("/customers/{customer_id}", tags=["customers"], summary="Change master data (audited)")
    async def patch_customer(customer_id: str, body: CustomerPatch, who: CustomerChange) -> dict[str, Any]:
        with domain_errors():
            change = customers.ChangeCustomer(
                legal_name=body.legal_name, payment_terms_days=body.payment_terms_days,
                credit_grace_days=body.credit_grace_days, price_list_code=body.price_list_code,
                sales_owner=body.sales_owner, ship_policy=body.ship_policy, shortage_policy=body.shortage_policy,
                requested_credit_limit=(money(body.requested_credit_limit, "requested_credit_limit")
                                        if body.requested_credit_limit is not None else None),
                gst_category=body.gst_category,
                addresses=tuple(a.domain(f"addresses[{i}]") for i, a in enumerate(body.addresses)),
                remove_addresses=tuple(body.remove_addresses),
                contacts=None if body.contacts is None else tuple(c.domain() for c in body.contacts),
            )
        async with unit_of_work() as uow:
            await scoped_customer(uow, customer_id, who)
            customer, _ = await customers.change_customer(uow, customer_id, change, actor(who), now())
        return views.customer(customer, audit=True)

    @api.put("/customers/{customer_id}/partners", tags=["customers"],
             summary="Which partner systems serve this customer (sales head; audited, sent on CustomerUpdated)")
    async def put_partners(customer_id: str, body: PartnersIn, who: PartnerBinding) -> dict[str, Any]:
        async with unit_of_work() as uow:
            customer = await customers.serve_by_partners(uow, customer_id, body.partner_ids, actor(who), now())
        return views.customer(customer, audit=True)

    @api.post("/customers/{customer_id}/block", tags=["customers"], summary="Block trading, with the reason")
    async def block(customer_id: str, body: Reason,
                    who: Blockers
                    ) -> dict[str, Any]:
        async with unit_of_work() as uow:
            customer = await customers.block_customer(uow, customer_id, body.reason, actor(who), now())
        return views.customer(customer)

    @api.post("/customers/{customer_id}/unblock", tags=["customers"], summary="Allow trading again")
    async def unblock(customer_id: str,
                      who: Blockers
                      ) -> dict[str, Any]:
        async with unit_of_work() as uow:
            customer = await customers.unblock_customer(uow, customer_id, actor(who), now())
        return views.customer(customer)

    # --- catalog ---

    @api.post("/items", status_code=201, tags=["catalog"], summary="Create one item or many (a catalogue)")
    async def post_items(body: ItemIn | list[ItemIn], who: ItemWrite) -> dict[str, Any]:
        rows = body if isinstance(body, list) else [body]
        if not rows or len(rows) > 5000:
            raise InvalidField("items", "send between 1 and 5000 items")
        parsed: list[Item] = []
        for i, row in enumerate(rows):
            try:
                parsed.append(Item.create(**row.model_dump()))
            except InvalidValue as exc:
                field = f"[{i}].{exc.field}" if isinstance(body, list) else exc.field
                raise InvalidField(field, exc.detail) from exc
        try:
            async with unit_of_work() as uow:
                await catalog.create_items(uow, parsed, now())
        except IntegrityError as exc:
            raise Conflict("an item code already exists") from exc
        return {"created": len(parsed), "item_codes": [i.code for i in parsed]}

    def item_view(item: Item, revision: int) -> dict[str, Any]:
        return {"code": item.code, "name": item.name, "hsn": item.hsn.value, "unit": item.unit.value,
                "product_line": item.product_line, "batch_tracked": item.batch_tracked, "stocked": item.stocked,
                "lead_time_days": item.lead_time_days, "active": item.active, "revision": revision}

    @api.get("/items/{code}", tags=["catalog"])
    async def get_item(code: str, _: ItemRead) -> dict[str, Any]:
        async with reading() as uow:
            record = (await uow.repo.get_items([code.upper()])).get(code.upper())
        if record is None:
            raise NotFound("item", code)
        return item_view(record.item, record.revision)

    @api.patch("/items/{code}", tags=["catalog"], summary="Change an item (ItemUpdated)")
    async def patch_item(code: str, body: ItemPatch, _: ItemWrite) -> dict[str, Any]:
        async with unit_of_work() as uow:
            record = await catalog.update_item(uow, code.upper(), body.model_dump(exclude_none=True), now())
        return item_view(record.item, record.revision)

    @api.post("/gst-rates", status_code=201, tags=["catalog"], summary="A GST rate from a date (data, not code)")
    async def post_rate(body: GstRateIn, _: GstRateWrite) -> dict[str, Any]:
        with domain_errors():
            rate = gst_rate(body.hsn_prefix, body.rate, body.effective_from, body.cess_rate)
        async with unit_of_work() as uow:
            version = await catalog.add_gst_rate(uow, rate, now())
        return body.model_dump(mode="json") | {"version": version}

    @api.post("/price-lists", status_code=201, tags=["catalog"], summary="A price list with its prices")
    async def post_price_list(body: PriceListIn, _: PriceListWrite) -> dict[str, Any]:
        with domain_errors():
            entries = _price_entries(body.entries)
        async with unit_of_work() as uow:
            await catalog.create_price_list(uow, body.code, body.name, entries)
        return {"code": body.code, "name": body.name, "entries": len(entries)}

    @api.post("/price-lists/{code}/prices", status_code=201, tags=["catalog"],
              summary="Standard or customer-negotiated prices with validity")
    async def post_prices(code: str, body: PricesIn, _: PriceListWrite) -> dict[str, Any]:
        with domain_errors():
            entries = _price_entries(body.entries)
        async with unit_of_work() as uow:
            added = await catalog.add_prices(uow, code, entries)
        return {"code": code, "added": added}

    @api.post("/price-lists/{code}/prices/end", tags=["catalog"],
              summary="End a price on a date (so another can follow it); who, when and why are kept")
    async def end_price(code: str, body: PriceEndIn, who: PriceListWrite) -> dict[str, Any]:
        async with unit_of_work() as uow:
            ended = await catalog.end_price(uow, code, body.item_code.upper(), body.customer_id, body.valid_from,
                                            body.valid_to, who.subject, now(), body.reason)
        return {"code": code, "item_code": ended.item_code, "customer_id": ended.customer_id,
                "unit_price": f"{ended.unit_price:.2f}", "valid_from": ended.valid_from.isoformat(),
                "valid_to": body.valid_to.isoformat(), "ended_by": who.subject, "end_reason": body.reason}

    @api.get("/price-lists/{code}", tags=["catalog"])
    async def get_price_list(code: str, _: PriceListRead, item: str | None = None) -> dict[str, Any]:
        async with reading() as uow:
            price_list = await uow.repo.price_list(code, [item.upper()] if item else None)
        if price_list is None:
            raise NotFound("price list", code)
        return {"code": price_list.code, "name": price_list.name, "entries": [
            {"item_code": e.item_code, "unit_price": views.dec(e.unit_price), "valid_from": e.valid_from.isoformat(),
             "valid_to": e.valid_to.isoformat() if e.valid_to else None, "customer_id": e.customer_id}
            for e in price_list.entries
        ]}

    @api.post("/schemes", status_code=201, tags=["catalog"], summary="A quantity-slab or buy-X-get-Y scheme")
    async def post_scheme(body: SchemeIn, _: SchemeWrite) -> dict[str, Any]:
        with domain_errors():
            scheme = _scheme(body)
        try:
            async with unit_of_work() as uow:
                await catalog.create_scheme(uow, scheme)
        except IntegrityError as exc:
            raise Conflict(f"scheme {body.code} already exists") from exc
        return body.model_dump(mode="json")

    @api.get("/schemes", tags=["catalog"])
    async def get_schemes(_: SchemeRead, on: date | None = None) -> list[dict[str, Any]]:
        async with reading() as uow:
            book = await uow.repo.schemes(on)
        return [{"code": s.code, "name": s.name, "kind": s.kind.value, "valid_from": s.valid_from.isoformat(),
                 "valid_to": s.valid_to.isoformat()} for s in book]

    # --- quotations ---

    @api.post("/quotations", status_code=201, tags=["quotations"],
              summary="Price, tax and promise the lines; number from the series")
    async def post_quotation(body: QuotationIn, request: Request, who: QuotationWrite) -> dict[str, Any]:
        with domain_errors():
            requests = _requests(body.lines)
        async with reading() as uow:
            await scoped_customer(uow, body.customer_id, who)
        stock = await stock_for(request, [r.item_code for r in requests])
        async with unit_of_work() as uow:
            quotation = await orders.create_quotation(
                uow, customer_id=body.customer_id, ship_to_id=body.ship_to_id, lines=requests, stock=stock,
                by=actor(who), at=now(), setup=setup)
        return views.quotation(quotation)

    @api.get("/quotations/{quotation_id}", tags=["quotations"])
    async def get_quotation(quotation_id: str, who: QuotationRead) -> dict[str, Any]:
        async with reading() as uow:
            quotation = await orders.load_quotation(uow, quotation_id)
            await scoped_customer(uow, quotation.customer_id, who)
        return views.quotation(quotation)

    @api.get("/quotations/{quotation_id}/document", tags=["quotations"], response_class=HTMLResponse,
             summary="The quotation as a printable document for the customer")
    async def quotation_document(quotation_id: str, who: QuotationRead) -> HTMLResponse:
        async with reading() as uow:
            quotation = await orders.load_quotation(uow, quotation_id)
            await scoped_customer(uow, quotation.customer_id, who)
        return HTMLResponse(quotation_html(quotation, settings.company_name))

    @api.get("/quotations/{quotation_id}/pdf", tags=["quotations"], response_class=Response,
             responses={200: {"content": {"application/pdf": {}}}},
             summary="The quotation as a PDF for the customer")
    async def quotation_pdf(quotation_id: str, who: QuotationRead) -> Response:
        async with reading() as uow:
            quotation = await orders.load_quotation(uow, quotation_id)
            await scoped_customer(uow, quotation.customer_id, who)
        content = await run_in_threadpool(render_quotation_pdf, quotation, settings.company_name,
                                          settings.company_gstin)
        filename = quotation.number.text.replace("/", "-")
        return Response(content, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{filename}.pdf"'})

    @api.post("/quotations/{quotation_id}/revisions", tags=["quotations"], summary="A new revision; history kept")
    async def post_revision(quotation_id: str, body: RevisionIn, request: Request, who: QuotationWrite
                            ) -> dict[str, Any]:
        with domain_errors():
            requests = _requests(body.lines)
        stock = await stock_for(request, [r.item_code for r in requests])
        async with unit_of_work() as uow:
            quotation = await orders.load_quotation(uow, quotation_id)
            await scoped_customer(uow, quotation.customer_id, who)
            quotation = await orders.revise_quotation(uow, quotation_id, lines=requests, ship_to_id=body.ship_to_id,
                                                      stock=stock, by=actor(who), at=now(), setup=setup)
        return views.quotation(quotation)

    async def parked(session: Any, order_ids: Sequence[str] | None) -> list[dict[str, Any]]:
        """Orders whose message was dead-lettered here or in any other service (their KeyParked notices): the
        kit parks the key so later messages wait behind it."""
        return await parked_keys(session, order_ids)

    async def order_answer(order_id: str) -> dict[str, Any]:
        async with rt.sessions() as session:
            with domain_errors():
                uow = UnitOfWork(SqlRepository(session))
                order = await orders.load_order(uow, order_id)
                view = views.order(order, await uow.repo.get_saga(order_id))
            if view["saga"] is not None:
                view["saga"]["parked_messages"] = await parked(session, [order_id])
            return view

    async def idempotent(asked: IdempotentRequest | None, create: Any, response: Response) -> dict[str, Any]:
        written: dict[str, Any] | None = None
        async with unit_of_work() as uow:
            async def work() -> dict[str, Any]:
                nonlocal written
                order, _ = await create(uow, None)
                if isinstance(uow.repo, SqlRepository) and order.order_id in uow.repo.sagas_added:
                    # Answered from what was written: no second session, no re-read of order and saga.
                    written = views.order(order, uow.repo.sagas_added[order.order_id])
                return {"order_id": order.order_id}

            assert isinstance(uow.repo, SqlRepository)  # the answer is stored in the order's transaction
            answer, repeated = await once(uow.repo.session, asked, work)
        if repeated:
            response.status_code = 200
        if repeated or written is None:
            return await order_answer(str(answer["order_id"]))
        if written["saga"] is not None:
            written["saga"]["parked_messages"] = []  # an order made just now has none parked
        return written

    @api.post("/quotations/{quotation_id}/orders", status_code=201, tags=["orders"],
              summary="Convert a valid quotation into an order (idempotent by Idempotency-Key)")
    async def convert(quotation_id: str, response: Response, who: OrderEntry, request: Request,
                      body: ConvertIn | None = None, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
        async with reading() as uow:
            quotation = await orders.load_quotation(uow, quotation_id)
            await scoped_customer(uow, quotation.customer_id, who)

        async def create(uow: UnitOfWork, key: str | None) -> Any:
            return await orders.convert_quotation(
                uow, quotation_id, idempotency_key=key, customer_po_no=body.customer_po_no if body else None,
                by=actor(who), at=now(), setup=setup)

        return await idempotent(IdempotentRequest.from_http(request, idempotency_key, who.subject, body), create,
                                response)

    api.add_api_route("/quotations/{quotation_id}/convert", convert, methods=["POST"], status_code=201,
                      tags=["orders"], summary="Same as POST /quotations/{id}/orders")

    # --- orders ---

    @api.post("/orders", status_code=201, tags=["orders"], summary="Enter an order (idempotent by Idempotency-Key)")
    async def post_order(body: OrderIn, request: Request, response: Response,
                         who: OrderEntry,
                         idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
        with domain_errors():
            requests = _requests(body.lines)
        async with reading() as uow:
            await scoped_customer(uow, body.customer_id, who)
        stock = await stock_for(request, [r.item_code for r in requests])

        async def create(uow: UnitOfWork, key: str | None) -> Any:
            return await orders.enter_order(
                uow, customer_id=body.customer_id, ship_to_id=body.ship_to_id, lines=requests, stock=stock,
                idempotency_key=key, customer_po_no=body.customer_po_no, by=actor(who), at=now(), setup=setup)

        return await idempotent(IdempotentRequest.from_http(request, idempotency_key, who.subject, body), create,
                                response)

    async def scoped_order(order_id: str, who: Principal) -> None:
        async with reading() as uow:
            order = await orders.load_order(uow, order_id)
            await scoped_customer(uow, order.customer_id, who)

    @api.get("/orders/{order_id}", tags=["orders"], summary="The order: lines, committed dates, saga status")
    async def get_order(order_id: str, who: OrderRead) -> dict[str, Any]:
        await scoped_order(order_id, who)
        return await order_answer(order_id)

    @api.get("/orders/{order_id}/saga", tags=["orders"], summary="The coordinator's view of the order")
    async def get_saga(order_id: str, who: OrderRead) -> dict[str, Any]:
        await scoped_order(order_id, who)
        async with reading() as uow:
            return views.saga(await orders.load_saga(uow, order_id))

    @api.post("/orders/{order_id}/amend", tags=["orders"], summary="Amend before dispatch (credit re-checked)")
    async def amend(order_id: str, body: AmendIn, request: Request, who: OrderAmend) -> dict[str, Any]:
        await scoped_order(order_id, who)
        with domain_errors():
            change = orders.Amend(
                reason=body.reason,
                quantities=tuple(orders.QuantityChange(q.line_no, positive_quantity(
                    q.quantity, f"quantities[{i}].quantity")) for i, q in enumerate(body.quantities)),
                add_lines=tuple(_requests(body.add_lines, "add_lines")), remove_lines=tuple(body.remove_lines),
                ship_to_id=body.ship_to_id,
            )
        stock = await stock_for(request, [r.item_code for r in change.add_lines]) if change.add_lines \
            else StockView.unknown()
        async with unit_of_work() as uow:
            await orders.amend_order(uow, order_id, change, stock, actor(who), now(), setup)
        return await order_answer(order_id)

    @api.post("/orders/{order_id}/cancel", tags=["orders"], summary="Cancel before gate-out")
    async def cancel(order_id: str, body: Reason,
                     who: Cancellers) -> dict[str, Any]:
        await scoped_order(order_id, who)
        async with unit_of_work() as uow:
            await orders.cancel_order(uow, order_id, body.reason, actor(who), now())
        return await order_answer(order_id)

    @api.get("/saga-exceptions", tags=["orders"], summary="Orders a person must look at (failed, parked, raised)")
    async def exceptions(_: Watchers, limit: Limit = 100, ended: bool = False) -> list[dict[str, Any]]:
        """A failed saga stays until someone acts; the exceptions of a closed or cancelled order only with
        `ended=true` (history, not a queue)."""
        t = db.order_saga
        raised = sa.func.jsonb_array_length(t.c.exceptions) > 0
        if not ended:
            raised = sa.and_(raised, t.c.status.not_in(("closed", "cancelled")))
        async with rt.sessions() as session:
            rows = (await session.execute(
                sa.select(t.c.order_id, t.c.status, t.c.exceptions, t.c.waiting_for, t.c.updated_at)
                .where(sa.or_(t.c.status == "failed", raised))
                .order_by(t.c.updated_at.desc()).limit(min(limit, 500)))).all()
            held = await parked(session, None)
        return [{"order_id": r.order_id, "status": r.status, "exceptions": r.exceptions,
                 "waiting_for": r.waiting_for, "updated_at": r.updated_at.isoformat()} for r in rows] + [
            {"order_id": p["order_id"], "status": "parked", "exceptions": [p], "waiting_for": "a person to replay or "
             f"discard dead letter {p['dead_letter_id']} in {p['service']}", "updated_at": p["parked_at"]}
            for p in held]

    # --- returns ---

    @api.post("/returns", status_code=201, tags=["returns"], summary="Authorise a return against an invoice")
    async def post_return(body: ReturnIn, who: ReturnAuthorise) -> dict[str, Any]:
        await scoped_order(body.order_id, who)
        with domain_errors():
            lines = [orders.ReturnLineRequest(x.invoice_line_no, x.line_no,
                                              positive_quantity(x.quantity, f"lines[{i}].quantity"), x.reason,
                                              x.batch_no) for i, x in enumerate(body.lines)]
        async with unit_of_work() as uow:
            record = await orders.authorise_return(uow, order_id=body.order_id, invoice_id=body.invoice_id,
                                                   lines=lines, warehouse_id=body.warehouse_id, by=actor(who),
                                                   at=now())
        return record.doc

    return api
