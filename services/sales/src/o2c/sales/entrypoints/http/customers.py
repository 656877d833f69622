"""Customer master over HTTP: register, read, approve, change, partners, block and unblock."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from o2c.kit.auth import Principal
from o2c.kit.edge import Amount, Code, GstStateCode, RequestModel
from o2c.kit.policy import allow
from o2c.kit.problems import Conflict
from o2c.sales.domain.customer import Address, Contact, GstCategory, ShipPolicy, ShortagePolicy
from o2c.sales.domain.geography import Pincode, StateCode
from o2c.sales.domain.gstin import Gstin, Pan
from o2c.sales.domain.money import money
from o2c.sales.entrypoints import views
from o2c.sales.entrypoints.http.api import Api, actor, domain_errors, scoped_customer
from o2c.sales.entrypoints.http.bodies import Reason
from o2c.sales.service_layer import customers
from pydantic import Field
from sqlalchemy.exc import IntegrityError

# Each route's action; which roles may do it is the access policy's (o2c.kit.policy).
CustomerRegister = Annotated[Principal, Depends(allow("sales.customer.register"))]
CustomerRead = Annotated[Principal, Depends(allow("sales.customer.read"))]
CustomerChange = Annotated[Principal, Depends(allow("sales.customer.change"))]
CustomerApprove = Annotated[Principal, Depends(allow("sales.customer.approve"))]
Blockers = Annotated[Principal, Depends(allow("sales.customer.block"))]
PartnerBinding = Annotated[Principal, Depends(allow("sales.customer.partners"))]

router = APIRouter(prefix="/customers", tags=["customers"])


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


@router.post("", status_code=201, summary="Register a customer (pending approval)")
async def post_customer(body: CustomerIn, who: CustomerRegister, api: Api) -> dict[str, Any]:
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
        async with api.unit_of_work() as uow:
            customer = await customers.register_customer(uow, cmd, actor(who), api.now())
    except IntegrityError as exc:
        raise Conflict(f"customer code {body.code} is already taken") from exc
    return views.customer(customer, audit=True)


@router.get("/{customer_id}", summary="A customer with its audit trail")
async def get_customer(customer_id: str, who: CustomerRead, api: Api) -> dict[str, Any]:
    async with api.reading() as uow:
        return views.customer(await scoped_customer(uow, customer_id, who), audit=True)


@router.post("/{customer_id}/approve", summary="Approve (sales head, not creator)")
async def approve(customer_id: str, who: CustomerApprove, api: Api) -> dict[str, Any]:
    async with api.unit_of_work() as uow:
        customer = await customers.approve_customer(uow, customer_id, actor(who), api.now())
    return views.customer(customer)


@router.patch("/{customer_id}", summary="Change master data (audited)")
async def patch_customer(customer_id: str, body: CustomerPatch, who: CustomerChange, api: Api) -> dict[str, Any]:
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
    async with api.unit_of_work() as uow:
        await scoped_customer(uow, customer_id, who)
        customer, _ = await customers.change_customer(uow, customer_id, change, actor(who), api.now())
    return views.customer(customer, audit=True)


@router.put("/{customer_id}/partners",
            summary="Which partner systems serve this customer (sales head; audited, sent on CustomerUpdated)")
async def put_partners(customer_id: str, body: PartnersIn, who: PartnerBinding, api: Api) -> dict[str, Any]:
    async with api.unit_of_work() as uow:
        customer = await customers.serve_by_partners(uow, customer_id, body.partner_ids, actor(who), api.now())
    return views.customer(customer, audit=True)


@router.post("/{customer_id}/block", summary="Block trading, with the reason")
async def block(customer_id: str, body: Reason, who: Blockers, api: Api) -> dict[str, Any]:
    async with api.unit_of_work() as uow:
        customer = await customers.block_customer(uow, customer_id, body.reason, actor(who), api.now())
    return views.customer(customer)


@router.post("/{customer_id}/unblock", summary="Allow trading again")
async def unblock(customer_id: str, who: Blockers, api: Api) -> dict[str, Any]:
    async with api.unit_of_work() as uow:
        customer = await customers.unblock_customer(uow, customer_id, actor(who), api.now())
    return views.customer(customer)
