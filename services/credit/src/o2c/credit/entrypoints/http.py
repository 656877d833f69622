"""Credit's HTTP API: parse, authorise (role and customer scope), call one use case on a unit of work of the
bootstrap; domain refusals become RFC 9457 problems (InvalidValue → 422 naming the field, NotAuthorised → 403,
ConflictingState → 409). Routes live on module-level routers, one per resource (`ROUTERS`), and run on the
`credit_of` dependency (the service's `bootstrap.Credit`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from o2c.contracts.v1.credit import PaymentMode, PaymentReversalReason
from o2c.credit.adapters import views
from o2c.credit.bootstrap import Credit, bootstrap
from o2c.credit.domain import (
    ZERO,
    Actor,
    ConflictingState,
    CreditError,
    InvalidValue,
    NotAuthorised,
    SanctionStatus,
    UnknownInvoice,
)
from o2c.credit.domain import Role as CreditRole
from o2c.credit.service_layer import use_cases
from o2c.kit.auth import Principal, Role
from o2c.kit.edge import Amount, Limit, Offset, RequestModel
from o2c.kit.idempotency import IdempotencyKey, IdempotentRequest, once
from o2c.kit.policy import allow
from o2c.kit.problems import PROBLEM_BASE, Conflict, InvalidField, NotFound, Problem, field_error
from o2c.kit.scope import ensure_customer_visible
from pydantic import Field


def actor_of(principal: Principal) -> Actor:
    """The domain's view of the caller: the strongest credit role held, with the token's approval limit."""
    for role, as_credit in ((Role.FINANCE_HEAD, CreditRole.FINANCE_HEAD),
                            (Role.FINANCE_EXECUTIVE, CreditRole.FINANCE_EXECUTIVE),
                            (Role.SALES_HEAD, CreditRole.SALES_HEAD),
                            (Role.SALES_COORDINATOR, CreditRole.SALES_COORDINATOR)):
        if role in principal.roles:
            return Actor(principal.subject, as_credit, principal.approval_limit)
    raise Problem(403, "Forbidden", "this needs a finance or sales role")


@contextlib.contextmanager
def domain_problems() -> Iterator[None]:
    try:
        yield
    except InvalidValue as exc:
        raise InvalidField(exc.field, exc.detail) from exc
    except UnknownInvoice as exc:
        raise InvalidField("invoice_ids", str(exc)) from exc
    except NotAuthorised as exc:
        raise Problem(403, "Forbidden", str(exc)) from exc
    except ConflictingState as exc:
        raise Conflict(str(exc)) from exc
    except use_cases.OpeningBalancesRefused as exc:
        raise Problem(422, "Invalid field", str(exc), type_=PROBLEM_BASE + "validation",
                      errors=[field_error(r.field, r.reason) | {"row": r.row, "column": r.column}
                              for r in exc.refusals]) from exc
    except use_cases.NotFoundError as exc:
        raise NotFound(exc.what, exc.ident) from exc
    except CreditError as exc:
        raise Problem(422, "Unprocessable", str(exc)) from exc


class TemporaryIncreaseBody(RequestModel):
    amount: Amount = Field(gt=0)
    valid_until: date
    note: str = Field(default="", max_length=500)

    def as_request(self) -> use_cases.TemporaryIncreaseRequest:
        return use_cases.TemporaryIncreaseRequest(self.amount, self.valid_until, self.note)


class ApproveBody(RequestModel):
    note: str = Field(default="", max_length=1000)
    temporary_increase: TemporaryIncreaseBody | None = None


class RejectBody(RequestModel):
    note: str = Field(min_length=1, max_length=1000, pattern=r"\S")


class PaymentBody(RequestModel):
    customer_id: str = Field(min_length=1, max_length=64)
    amount: Amount = Field(ge=0, description="Cash received (decimal string)")
    tds_deducted: Amount = Field(default=ZERO, ge=0, description="TDS the buyer withheld (s.194Q)")
    received_on: date
    mode: PaymentMode
    bank_reference: str | None = Field(default=None, max_length=64)
    invoice_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(default_factory=list, max_length=500,
                                   description="Invoices the buyer named; empty: oldest first")
    write_off_limit: Amount = Field(default=ZERO, ge=0, description="Residue per invoice that may be written off")


class WriteOffBody(RequestModel):
    amount: Amount = Field(gt=0)
    reason: str = Field(min_length=1, max_length=500)


class ReversalBody(RequestModel):
    customer_id: str = Field(min_length=1, max_length=64)
    payment_id: str = Field(min_length=1, max_length=64, description="The receipt number (RCT/…)")
    reason: PaymentReversalReason
    note: str = Field(default="", max_length=500)


class RefundBody(RequestModel):
    customer_id: str = Field(min_length=1, max_length=64)
    amount: Amount = Field(gt=0)
    refunded_on: date
    mode: PaymentMode
    reference: str = Field(min_length=1, max_length=64, description="Bank UTR or cheque number of the refund")
    note: str = Field(default="", max_length=500)


class ProfileBody(RequestModel):
    credit_limit: Amount | None = Field(default=None, ge=0)
    payment_terms_days: int | None = Field(default=None, ge=0, le=365)
    grace_days: int | None = Field(default=None, ge=0, le=365)
    on_hold: bool | None = None
    hold_reason: str = Field(default="", max_length=500)
    temporary_increase: TemporaryIncreaseBody | None = None
    reason: str = Field(default="", max_length=500)


# Module level: FastAPI resolves these (string) annotations in the module's namespace.
sanction_reader = Annotated[Principal, Depends(allow("credit.sanction.read"))]
sanctioner = Annotated[Principal, Depends(allow("credit.sanction.decide"))]
cashier = Annotated[Principal, Depends(allow("credit.payment.record"))]
writer_off = Annotated[Principal, Depends(allow("credit.receivable.write-off"))]
reader = Annotated[Principal, Depends(allow("credit.profile.read"))]
profile_setter = Annotated[Principal, Depends(allow("credit.profile.set"))]
receivable_reader = Annotated[Principal, Depends(allow("credit.receivable.read"))]
importer = Annotated[Principal, Depends(allow("credit.opening-balance.import"))]
reverser = Annotated[Principal, Depends(allow("credit.payment.reverse"))]
refunder = Annotated[Principal, Depends(allow("credit.refund.record"))]


async def credit_of(request: Request) -> Credit:
    """What the routes run on: the running service's bootstrap, made on the app's first request from the runtime
    the kit keeps on the app (`app.state.runtime`) and kept there (a test may override this dependency)."""
    state = request.app.state
    found = getattr(state, "o2c_credit", None)
    if not isinstance(found, Credit):
        found = state.o2c_credit = bootstrap(state.runtime)
    return found


CreditApp = Annotated[Credit, Depends(credit_of)]

# One router per resource; each route names its action (who may do it is the access policy's, o2c.kit.policy).
sanctions = APIRouter(tags=["credit"])
payments = APIRouter(tags=["credit"])
receivables = APIRouter(tags=["credit"])
profiles = APIRouter(tags=["credit"])
statements = APIRouter(tags=["credit"])
opening_balances = APIRouter(tags=["credit"])
refunds = APIRouter(tags=["credit"])
ROUTERS = (sanctions, payments, receivables, profiles, statements, opening_balances, refunds)

MAX_CSV_BYTES = 2 * 1024 * 1024


@sanctions.get("/sanctions", summary="The sanction queue (oldest first) with the facts for each decision",
               response_class=Response, responses={200: {"content": {"application/json": {}}}})
async def list_sanctions(_: sanction_reader, credit: CreditApp,
                         status: Annotated[SanctionStatus | None, Query()] = SanctionStatus.PENDING,
                         limit: Limit = 500, offset: Offset = 0) -> Response:
    # Each entry is stored rendered with its request: the page is one query and no per-row decoding.
    async with credit.reading() as uow:
        page = await uow.sanctions.queue_json(status.value if status else None, limit, offset)
    return Response(page, media_type="application/json")


@sanctions.get("/sanctions/{sanction_id}", summary="One sanction request, with the facts as of now when pending")
async def get_sanction(sanction_id: str, _: sanction_reader, credit: CreditApp) -> dict[str, Any]:
    async with credit.reading() as uow:
        found = await uow.sanctions.get(sanction_id)
        if found is None:
            raise NotFound("sanction", sanction_id)
        record = await uow.accounts.get(found.customer_id)
    view = views.sanction_view(found, record.customer_name if record else "")
    if record is not None and found.is_pending:
        view["current"] = views.current_facts(record, found, credit.now())
    return view


@sanctions.post("/sanctions/{sanction_id}/approve", summary="Sanction the held order (optionally raising the limit)")
async def approve(sanction_id: str, body: ApproveBody, who: sanctioner, credit: CreditApp) -> dict[str, Any]:
    with domain_problems():
        async with credit.transaction() as uow:
            done = await use_cases.approve_sanction(
                uow, sanction_id, actor_of(who), credit.now(), body.note,
                body.temporary_increase.as_request() if body.temporary_increase else None)
    return views.sanction_view(done)


@sanctions.post("/sanctions/{sanction_id}/reject", summary="Reject the held order, with a note")
async def reject(sanction_id: str, body: RejectBody, who: sanctioner, credit: CreditApp) -> dict[str, Any]:
    with domain_problems():
        async with credit.transaction() as uow:
            done = await use_cases.reject_sanction(uow, sanction_id, actor_of(who), credit.now(), body.note)
    return views.sanction_view(done)


@payments.post("/payments", status_code=201, summary="Record a customer payment and allocate it")
async def post_payment(body: PaymentBody, who: cashier, credit: CreditApp,
                       request: Request, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    if body.amount + body.tds_deducted <= 0:
        raise InvalidField("amount", "a payment must bring cash or TDS")
    by = Actor(who.subject, CreditRole.FINANCE_HEAD if Role.FINANCE_HEAD in who.roles
               else CreditRole.FINANCE_EXECUTIVE, who.approval_limit)
    data = use_cases.PaymentInput(
        customer_id=body.customer_id, amount=body.amount, received_on=body.received_on, mode=body.mode,
        tds_deducted=body.tds_deducted, invoice_ids=tuple(body.invoice_ids), bank_reference=body.bank_reference,
        write_off_limit=body.write_off_limit,
    )
    asked = IdempotentRequest.from_http(request, idempotency_key, who.subject, body)
    with domain_problems():
        async with credit.transaction() as uow:
            answer, _ = await once(uow.session, asked, lambda: use_cases.record_payment(
                uow, data, by, credit.now(), credit.write_off_ceiling))
            return answer


@receivables.post("/receivables/{customer_id}/{invoice_id}/write-off", status_code=201,
                  summary="Write off a small residue of an invoice (within the configured limit)")
async def post_write_off(customer_id: str, invoice_id: str, body: WriteOffBody, who: writer_off, credit: CreditApp,
                         request: Request, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    asked = IdempotentRequest.from_http(request, idempotency_key, who.subject, body)
    with domain_problems():
        async with credit.transaction() as uow:
            answer, _ = await once(uow.session, asked, lambda: use_cases.write_off_residue(
                uow, customer_id, invoice_id, body.amount, actor_of(who), credit.now(), credit.write_off_ceiling))
            return answer


@profiles.get("/credit-profiles/{customer_id}", summary="Credit profile, exposure and the audit of changes")
async def get_profile(customer_id: str, who: reader, credit: CreditApp) -> dict[str, Any]:
    await ensure_customer_visible(credit.sessions, who, customer_id)
    async with credit.reading() as uow:
        record = await uow.accounts.get(customer_id)
    if record is None:
        raise NotFound("credit profile", customer_id)
    return views.profile_view(record, credit.now())


@profiles.put("/credit-profiles/{customer_id}", summary="Finance sets the limit, terms, hold, temporary increases")
async def put_profile(customer_id: str, body: ProfileBody, who: profile_setter, credit: CreditApp) -> dict[str, Any]:
    if body.credit_limit is not None and Role.FINANCE_HEAD not in who.roles:
        raise Problem(403, "Forbidden", "only a finance head sets a credit limit")
    update = use_cases.ProfileUpdate(
        credit_limit=body.credit_limit, payment_terms_days=body.payment_terms_days, grace_days=body.grace_days,
        on_hold=body.on_hold, hold_reason=body.hold_reason, reason=body.reason,
        temporary_increase=body.temporary_increase.as_request() if body.temporary_increase else None,
    )
    now = credit.now()
    with domain_problems():
        async with credit.transaction() as uow:
            record = await use_cases.update_profile(uow, customer_id, update, actor_of(who), now)
    return views.profile_view(record, now)


@receivables.get("/receivables/{customer_id}", summary="Open receivables with ageing (0–30, 31–60, 61–90, 90+)")
async def get_receivables(customer_id: str, who: receivable_reader, credit: CreditApp,
                          include_settled: Annotated[bool, Query()] = False) -> dict[str, Any]:
    await ensure_customer_visible(credit.sessions, who, customer_id)
    async with credit.reading() as uow:
        record = await uow.accounts.get(customer_id)
    if record is None:
        raise NotFound("customer account", customer_id)
    return views.receivables_view(record, credit.now(), include_settled)


@statements.get("/statements/{customer_id}", summary="Customer statement with running balance for a period")
async def get_statement(customer_id: str, who: receivable_reader, credit: CreditApp,
                        from_: Annotated[date, Query(alias="from")], to: Annotated[date, Query()]
                        ) -> dict[str, Any]:
    await ensure_customer_visible(credit.sessions, who, customer_id)
    if to < from_:
        raise InvalidField("query.to", "must not be before from")
    async with credit.reading() as uow:
        record = await uow.accounts.get(customer_id)
    if record is None:
        raise NotFound("customer account", customer_id)
    return views.statement_view(record, from_, to)


@opening_balances.post(
    "/opening-balances", summary="Import legacy outstanding invoices (CSV): a dry run lists every refused row",
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}})
async def post_opening_balances(request: Request, who: importer, credit: CreditApp,
                                dry_run: Annotated[bool, Query()] = True,
                                idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    """`dry_run=true` (the default) changes nothing; `dry_run=false` imports all rows or none (422 naming each
    refused row and column)."""
    raw = await request.body()
    if len(raw) > MAX_CSV_BYTES:
        raise Problem(413, "Content too large", f"at most {MAX_CSV_BYTES} bytes of CSV")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidField("body", "the CSV must be UTF-8") from exc
    if "\x00" in text:
        raise InvalidField("body", "NUL in the CSV")
    asked = IdempotentRequest.from_http(request, idempotency_key, who.subject, {"dry_run": dry_run, "csv": text})
    with domain_problems():
        async with credit.transaction() as uow:
            if dry_run:
                return await use_cases.import_opening_balances(uow, text, commit=False, by=actor_of(who),
                                                               now=credit.now())
            answer, _ = await once(uow.session, asked, lambda: use_cases.import_opening_balances(
                uow, text, commit=True, by=actor_of(who), now=credit.now()))
            return answer


@payments.post("/payment-reversals", status_code=201,
               summary="Reverse a recorded payment (a bounced cheque): receivables and exposure restored")
async def post_payment_reversal(body: ReversalBody, who: reverser, credit: CreditApp, request: Request,
                                idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    asked = IdempotentRequest.from_http(request, idempotency_key, who.subject, body)
    with domain_problems():
        async with credit.transaction() as uow:
            answer, _ = await once(uow.session, asked, lambda: use_cases.reverse_payment(
                uow, body.customer_id, body.payment_id, body.reason, body.note, actor_of(who), credit.now(),
                credit.cheque_bounce_charge))
            return answer


@refunds.post("/refunds", status_code=201, summary="Refund a customer's unapplied credit")
async def post_refund(body: RefundBody, who: refunder, credit: CreditApp, request: Request,
                      idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    asked = IdempotentRequest.from_http(request, idempotency_key, who.subject, body)
    with domain_problems():
        async with credit.transaction() as uow:
            answer, _ = await once(uow.session, asked, lambda: use_cases.refund_unapplied_credit(
                uow, body.customer_id, body.amount, body.refunded_on, body.mode, body.reference, body.note,
                actor_of(who), credit.now()))
            return answer
