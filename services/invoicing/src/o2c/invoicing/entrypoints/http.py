"""HTTP API: parse, authorise (role and customer scope), call one use case, answer problem+json on refusal.

Routes live on module-level routers, one per resource (`ROUTERS`), and run on the `invoicing_of` dependency (the
service's `bootstrap.Invoicing`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from o2c.contracts.v1.common import Address
from o2c.contracts.v1.invoicing import InvoiceCancelReason
from o2c.india.gstin import gstin_problem
from o2c.india.portal import dumps
from o2c.invoicing.bootstrap import Invoicing, bootstrap
from o2c.invoicing.domain.money import amount_in_words
from o2c.invoicing.entrypoints.workers import pdf_for
from o2c.invoicing.service_layer import use_cases as uc
from o2c.invoicing.service_layer.ports import CreditNoteRecord, InvoiceRecord, ReturnRecord
from o2c.kit.auth import Principal, Role
from o2c.kit.edge import Limit, Qty, RequestModel
from o2c.kit.policy import allow
from o2c.kit.problems import Conflict, InvalidField, NotFound
from o2c.kit.scope import ensure_customer_visible
from pydantic import Field

GSTIN_SHAPE = r"^[0-9]{2}[0-9A-Z]{13}$"
PERIOD_SHAPE = r"^[0-9]{4}-(0[1-9]|1[0-2])$"

# Each route's action; which roles may do it is the access policy's (o2c.kit.policy).
Reader = Annotated[Principal, Depends(allow("invoicing.invoice.read"))]
Officer = Annotated[Principal, Depends(allow("invoicing.invoice.cancel"))]
Reissuer = Annotated[Principal, Depends(allow("invoicing.invoice.reissue"))]
ReturnsOfficer = Annotated[Principal, Depends(allow("invoicing.gst-return.read"))]


class CancelRequest(RequestModel):
    reason: InvoiceCancelReason
    remarks: str = Field(default="", max_length=100)


class ReissueLine(RequestModel):
    line_no: int = Field(ge=1, description="The order line (an invoice line's order_line_no)")
    quantity: Qty = Field(description="What the invoice carries now: at most what was picked; 0 drops the line")


class ReissueRequest(RequestModel):
    """What the accountant corrects; nothing given: re-issued as it was, at the rate in force today."""

    customer_name: str | None = Field(default=None, min_length=1, max_length=100)
    bill_to: Address | None = None
    quantities: list[ReissueLine] = Field(
        default_factory=list, max_length=500,
        description="Lower quantities per order line; dispatch puts back on the shelf what the invoice no longer "
                    "carries (issue 21)")


def invoice_view(record: InvoiceRecord, notes: list[CreditNoteRecord] | None = None) -> dict[str, Any]:
    issued = record.issued
    body: dict[str, Any] = issued.model_dump(mode="json")
    body |= {
        "status": "cancelled" if record.is_cancelled else "issued",
        "amount_in_words": amount_in_words(issued.totals.grand_total),
        "irn_status": record.irn_status.value,
        "irn": record.irn.model_dump(mode="json") if record.irn else None,
        "irn_error": {"code": record.irn_error_code, "message": record.irn_error_message}
        if record.irn_error_code else None,
        "ewaybill_no": record.ewaybill_no,
        "ewaybill_active": record.ewaybill_active,
        "dispatched_at": record.dispatched_at.isoformat() if record.dispatched_at else None,
        "cancellation": {"reason": record.cancel_reason, "remarks": record.cancel_remarks,
                         "cancelled_at": record.cancelled_at.isoformat(), "irn_cancelled": record.irn_cancelled}
        if record.cancelled_at else None,
        "revision": record.revision,
        "replaces": {"invoice_id": issued.replaces_invoice_id, "invoice_no": issued.replaces_invoice_no}
        if issued.replaces_invoice_id else None,
        "links": {"pdf": f"/invoices/{record.id}/pdf"},
    }
    if notes is not None:
        body["credit_notes"] = [{"id": n.id, "credit_note_no": n.issued.credit_note_no,
                                 "credit_note_date": n.issued.credit_note_date.isoformat(),
                                 "grand_total": f"{n.issued.totals.grand_total:.2f}"} for n in notes]
    return body


def return_view(r: ReturnRecord) -> dict[str, Any]:
    return {"return_id": r.return_id, "return_no": r.return_no, "invoice_id": r.invoice_id,
            "customer_id": r.customer_id, "status": r.status, "credit_note_id": r.credit_note_id, "reason": r.reason}


def _check_gstin(gstin: str) -> None:
    problem = gstin_problem(gstin)
    if problem:
        raise InvalidField("gstin", problem)


@contextmanager
def refusals() -> Iterator[None]:
    """The use cases' refusals as problems: an unknown document 404, a rule that stands in the way 409."""
    try:
        yield
    except uc.NotFound as exc:
        raise NotFound(exc.what, exc.ident) from exc
    except uc.Refused as exc:
        raise Conflict(str(exc)) from exc


async def invoicing_of(request: Request) -> Invoicing:
    """What the routes run on: the running service's bootstrap, made on the app's first request from the runtime
    the kit keeps on the app (`app.state.runtime`) and kept there (a test may override this dependency)."""
    state = request.app.state
    found = getattr(state, "o2c_invoicing", None)
    if not isinstance(found, Invoicing):
        found = state.o2c_invoicing = bootstrap(state.runtime)
    return found


InvoicingApp = Annotated[Invoicing, Depends(invoicing_of)]

# One router per resource; each route names its action (who may do it is the access policy's).
invoices = APIRouter(tags=["invoicing"])
refused = APIRouter(tags=["invoicing"])
credit_notes = APIRouter(tags=["invoicing"])
returns = APIRouter(tags=["invoicing"])
gst_returns = APIRouter(tags=["invoicing"])
ROUTERS = (invoices, refused, credit_notes, returns, gst_returns)


async def load(invoicing: Invoicing, invoice_id: str,
               who: Principal) -> tuple[InvoiceRecord, list[CreditNoteRecord]]:
    async with invoicing.reading() as uow:
        record = await uow.invoices.get(invoice_id)
        if record is None:
            raise NotFound("invoice", invoice_id)
        await ensure_customer_visible(uow.session, who, record.issued.customer_id)
        return record, await uow.credit_notes.of_invoice(invoice_id)


@invoices.get("/invoices/{invoice_id}", summary="A tax invoice with its IRN, e-way bill and credit notes")
async def get_invoice(invoice_id: str, who: Reader, invoicing: InvoicingApp) -> dict[str, Any]:
    record, notes = await load(invoicing, invoice_id, who)
    return invoice_view(record, notes)


@invoices.get("/invoices", summary="Invoices of an order or a customer (a customer login sees its own)")
async def list_invoices(
    who: Reader, invoicing: InvoicingApp, order_id: Annotated[str | None, Query(max_length=64)] = None,
    customer_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 100,
) -> list[dict[str, Any]]:
    if Role.CUSTOMER in who.roles and who.roles <= {Role.CUSTOMER}:
        if customer_id is not None:
            who.ensure_customer(customer_id)
        customer_id = who.customer_id or "(none)"
    if not order_id and not customer_id:
        raise InvalidField("query.order_id", "give order_id or customer_id")
    async with invoicing.reading() as uow:
        if customer_id is not None:
            await ensure_customer_visible(uow.session, who, customer_id)
        records = await uow.invoices.search(order_id=order_id, customer_id=customer_id, limit=limit,
                                            visible_to=who)
    return [invoice_view(r) for r in records]


@invoices.get("/invoices/{invoice_id}/pdf", summary="The printed tax invoice (cached per revision)",
              response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
async def get_pdf(invoice_id: str, who: Reader, invoicing: InvoicingApp) -> Response:
    record, _ = await load(invoicing, invoice_id, who)
    content = await pdf_for(invoicing, invoice_id)
    if content is None:
        raise NotFound("invoice", invoice_id)
    filename = record.issued.invoice_no.replace("/", "-") + ".pdf"
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


@invoices.post("/invoices/{invoice_id}/cancel", summary="Cancel before gate-out (the number stays used)")
async def cancel(invoice_id: str, body: CancelRequest, who: Officer, invoicing: InvoicingApp) -> dict[str, Any]:
    with refusals():
        async with invoicing.transaction() as uow:
            record = await uc.cancel_invoice(uow, invoice_id, body.reason, body.remarks,
                                             now=invoicing.now(), gateway=invoicing.gateway)
    return invoice_view(record)


@invoices.post("/invoices/{invoice_id}/reissue", status_code=201,
               summary="Invoice a cancelled invoice's shipment again (next number, corrected buyer, today's rate)")
async def reissue(invoice_id: str, body: ReissueRequest, who: Reissuer, invoicing: InvoicingApp) -> dict[str, Any]:
    await load(invoicing, invoice_id, who)
    with refusals():
        async with invoicing.transaction() as uow:
            record = await uc.reissue_invoice(
                uow, invoice_id, uc.BuyerCorrection(
                    customer_name=body.customer_name, bill_to=body.bill_to,
                    quantities={q.line_no: q.quantity for q in body.quantities}),
                now=invoicing.now(), policy=invoicing.policy)
    return invoice_view(record)


@invoices.post("/invoices/{invoice_id}/irn/retry", status_code=202,
               summary="Queue a rejected invoice for IRN registration again, after correcting the cause")
async def retry(invoice_id: str, who: Officer, invoicing: InvoicingApp) -> dict[str, Any]:
    with refusals():
        async with invoicing.transaction() as uow:
            record = await uc.retry_irn(uow, invoice_id)
    return invoice_view(record)


@refused.get("/refused-shipments",
             summary="Ready shipments not invoiced (no GST rate, a disputed place of supply)")
async def refused_shipments(who: Officer, invoicing: InvoicingApp, limit: Limit = 100) -> list[dict[str, Any]]:
    async with invoicing.reading() as uow:
        kept = await uow.refused.every()
    return [{"shipment_id": k.shipment_id, "order_id": k.order_id, "order_no": k.message.get("order_no"),
             "customer_id": k.message.get("customer_id"), "refusal": k.refusal, "reason": k.reason,
             "refused_at": k.refused_at.isoformat(), "attempts": k.attempts} for k in kept[:limit]]


@refused.post("/refused-shipments/{shipment_id}/invoice", status_code=201,
              summary="Invoice a refused shipment now, after putting the cause right (409 says what still stands)")
async def invoice_refused(shipment_id: Annotated[str, Path(max_length=64)], who: Officer,
                          invoicing: InvoicingApp) -> dict[str, Any]:
    with refusals():
        async with invoicing.transaction() as uow:
            record = await uc.invoice_refused_shipment(uow, shipment_id, now=invoicing.now(),
                                                       policy=invoicing.policy)
    return invoice_view(record)


@credit_notes.get("/credit-notes/{credit_note_id}", summary="A credit note with its original invoice reference")
async def get_credit_note(credit_note_id: str, who: Reader, invoicing: InvoicingApp) -> dict[str, Any]:
    async with invoicing.reading() as uow:
        note = await uow.credit_notes.get(credit_note_id)
        if note is None:
            raise NotFound("credit note", credit_note_id)
        await ensure_customer_visible(uow.session, who, note.issued.customer_id)
    return note.issued.model_dump(mode="json") | {
        "amount_in_words": amount_in_words(note.issued.totals.grand_total), "irn_status": note.irn_status.value,
        "irn": note.irn.model_dump(mode="json") if note.irn else None,
        "irn_error": {"code": note.irn_error_code, "message": note.irn_error_message}
        if note.irn_error_code else None,
    }


@credit_notes.get("/credit-notes", summary="Credit notes of an invoice")
async def list_credit_notes(invoice_id: Annotated[str, Query(max_length=64)], who: Reader,
                            invoicing: InvoicingApp) -> list[dict[str, Any]]:
    _, notes = await load(invoicing, invoice_id, who)
    return [n.issued.model_dump(mode="json") for n in notes]


@returns.get("/returns", summary="Returns against an invoice: credited, or refused with the reason")
async def list_returns(invoice_id: Annotated[str, Query(max_length=64)], who: Reader,
                       invoicing: InvoicingApp) -> list[dict[str, Any]]:
    await load(invoicing, invoice_id, who)
    async with invoicing.reading() as uow:
        return [return_view(r) for r in await uow.returns.of_invoice(invoice_id)]


@gst_returns.get("/gstr1", summary="GSTR-1 JSON (portal shape, exact amounts) for a GSTIN and month",
                 response_class=Response, responses={200: {"content": {"application/json": {}}}})
async def get_gstr1(
    who: ReturnsOfficer, invoicing: InvoicingApp, gstin: Annotated[str, Query(pattern=GSTIN_SHAPE)],
    period: Annotated[str, Query(pattern=PERIOD_SHAPE, description="YYYY-MM")],
) -> Response:
    _check_gstin(gstin)
    async with invoicing.reading() as uow:
        report = await uc.gstr1(uow, gstin, period, policy=invoicing.policy)
    return Response(dumps(report), media_type="application/json")


@gst_returns.get("/invoice-register", summary="The month's documents and their reconciliation with GSTR-1")
async def get_register(
    who: ReturnsOfficer, invoicing: InvoicingApp, gstin: Annotated[str, Query(pattern=GSTIN_SHAPE)],
    period: Annotated[str, Query(pattern=PERIOD_SHAPE, description="YYYY-MM")],
) -> dict[str, Any]:
    _check_gstin(gstin)
    async with invoicing.reading() as uow:
        return await uc.invoice_register(uow, gstin, period, policy=invoicing.policy)
