"""Credit's use cases: each takes a unit of work (one transaction), locks the customer's account, calls the
domain and publishes what happened. HTTP and message entry points are thin wrappers around these."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from o2c.contracts.v1 import credit as c
from o2c.contracts.v1.invoicing import CreditNoteIssued, InvoiceCancelled, InvoiceIssued
from o2c.contracts.v1.sales import CustomerApproved, CustomerUpdated, OrderCancelled, ReleaseCreditExposure
from o2c.credit.domain import (
    FINANCE,
    ZERO,
    Actor,
    ConflictingState,
    CreditDecision,
    CreditProfile,
    CustomerAccount,
    InvalidValue,
    InvoiceAllocation,
    OpenOrderStatus,
    Payment,
    PaymentOutcome,
    ProfileChange,
    Role,
    SanctionPolicy,
    SanctionRequest,
    business_date,
    overdue_invoices,
    require_role,
)
from o2c.credit.domain.errors import CreditError
from o2c.credit.domain.opening_balances import RowRefusal, opening_receivable_id, parse_opening_balances
from o2c.credit.service_layer.ports import AccountRecord, UnitOfWork
from o2c.india.calendar import FinancialYear

log = logging.getLogger("o2c.credit")

MASTER_DATA = Actor("sales-master-data", Role.SALES_HEAD)
"""Who changes a profile when sales' customer master changes (terms, grace, proposed limit)."""


class NotFoundError(CreditError):
    def __init__(self, what: str, ident: str) -> None:
        super().__init__(f"{what} {ident} does not exist")
        self.what, self.ident = what, ident


# --- customer master replica ---------------------------------------------------------------------


async def apply_customer_master(uow: UnitOfWork, message: CustomerApproved | CustomerUpdated, now: datetime) -> bool:
    """Open or refresh the credit profile from sales' customer record; older revisions are ignored. The limit
    follows sales' proposal until a finance head sets it; after that a proposal is only recorded as proposed."""
    record = await uow.accounts.lock(message.customer_id)
    if message.revision <= record.master_revision:
        return False
    account = record.account
    profile = account.profile
    proposed = message.proposed_credit_limit
    if profile is None:
        profile = CreditProfile(message.customer_id, credit_limit=proposed or ZERO,
                                payment_terms_days=message.payment_terms_days, grace_days=message.credit_grace_days,
                                proposed_limit=proposed)
        profile.changes.append(ProfileChange("opened", "", f"limit {profile.credit_limit}", MASTER_DATA.user_id,
                                             MASTER_DATA.role, now, f"customer master revision {message.revision}"))
        account.profile = profile
    else:
        for what, old, new in (("payment_terms_days", profile.payment_terms_days, message.payment_terms_days),
                               ("grace_days", profile.grace_days, message.credit_grace_days)):
            if old != new:
                profile.changes.append(ProfileChange(what, str(old), str(new), MASTER_DATA.user_id, MASTER_DATA.role,
                                                     now, f"customer master revision {message.revision}"))
        profile.payment_terms_days, profile.grace_days = message.payment_terms_days, message.credit_grace_days
        if proposed is not None and proposed != profile.proposed_limit:
            if record.limit_set_by_finance:
                profile.propose_limit(proposed, MASTER_DATA, now, f"customer master revision {message.revision}")
            elif proposed != profile.credit_limit:
                profile.changes.append(ProfileChange("credit_limit", str(profile.credit_limit), str(proposed),
                                                     MASTER_DATA.user_id, MASTER_DATA.role, now,
                                                     "proposed by sales; no finance limit set yet"))
                profile.credit_limit, profile.proposed_limit = proposed, proposed
    _follow_active_flag(profile, message, now)
    record.customer_name, record.master_revision = message.name, message.revision
    await uow.accounts.save(record)
    return True


INACTIVE_HOLD = "customer deactivated in the sales master"


def _follow_active_flag(profile: CreditProfile, message: CustomerApproved | CustomerUpdated, now: datetime) -> None:
    """A customer deactivated by sales is blocked (orders held with customer_blocked); reactivated, that hold —
    and only that one, not a finance hold — is lifted."""
    why = f"customer master revision {message.revision}"
    if not message.active and not profile.on_hold:
        profile.changes.append(ProfileChange("on_hold", "False", "True", MASTER_DATA.user_id, MASTER_DATA.role,
                                             now, why))
        profile.on_hold, profile.hold_reason = True, INACTIVE_HOLD
    elif message.active and profile.on_hold and profile.hold_reason == INACTIVE_HOLD:
        profile.changes.append(ProfileChange("on_hold", "True", "False", MASTER_DATA.user_id, MASTER_DATA.role,
                                             now, why))
        profile.on_hold, profile.hold_reason = False, ""


# --- order decisions -----------------------------------------------------------------------------


def exposure_snapshot(account: CustomerAccount, decision: CreditDecision, today: date) -> c.ExposureSnapshot:
    exposure = decision.exposure
    overdue = overdue_invoices(account.receivables.values(), today)
    ageing = account.ageing(today)
    return c.ExposureSnapshot(
        credit_limit=decision.credit_limit,
        # net of unapplied credit (advances), so that receivables + open orders + this order = total
        receivables=exposure.receivables - exposure.unapplied_credit,
        open_orders=exposure.open_orders,
        this_order=decision.order_amount,
        total=decision.exposure_after,
        overdue_amount=sum((o.outstanding for o in overdue), ZERO),
        max_days_overdue=overdue[0].days_overdue if overdue else 0,
        ageing=c.Ageing(days_0_30=ageing.days_0_30, days_31_60=ageing.days_31_60, days_61_90=ageing.days_61_90,
                        days_over_90=ageing.days_over_90),
    )


@dataclass(frozen=True)
class OrderToDecide:
    order_id: str
    customer_id: str
    revision: int
    amount: Decimal
    request_id: str | None = None


async def decide_order(uow: UnitOfWork, order: OrderToDecide, now: datetime, policy: SanctionPolicy
                       ) -> CreditDecision | None:
    """OrderConfirmed / OrderAmended / RecheckCredit: approve at once or hold with a sanction request. Decisions for
    one customer are serialised by the account lock. A repeated (order, revision) or request changes nothing; a
    revision older than the one known is ignored (its reply would be ignored by the coordinator anyway)."""
    record = await uow.accounts.lock(order.customer_id)
    account = record.account
    today = business_date(now)
    previous = account.open_orders.get(order.order_id)
    may_have_pending = previous is not None and (
        previous.status is OpenOrderStatus.HELD or bool(previous.pending_additions))
    try:
        if order.request_id is not None:
            known = order.request_id in account.rechecks
            decision = account.recheck_order(order.order_id, order.request_id, order.amount, today, order.revision)
        else:
            known = (order.order_id, order.revision) in account.decisions
            decision = account.check_order(order.order_id, order.amount, today, order.revision)
    except ConflictingState as exc:
        log.info("ignoring a stale credit request: %s", exc)
        return None
    if known:
        return decision
    if may_have_pending:  # a new order has no request to supersede: spare the round trip
        for stale in await uow.sanctions.pending_of_order(order.order_id):
            stale.supersede(now)
            await uow.sanctions.save(stale)
    snapshot = exposure_snapshot(account, decision, today)
    common: dict[str, Any] = dict(order_id=order.order_id, customer_id=order.customer_id,
                                  order_revision=order.revision, request_id=order.request_id, decided_at=now)
    if decision.approved:
        uow.publish(c.CreditApproved(**common, amount=decision.order_amount, exposure=snapshot))
    else:
        suffix = f"rq-{order.request_id}" if order.request_id else f"r{order.revision}"
        request = SanctionRequest.raise_for(
            sanction_id=f"san-{order.order_id}-{suffix}", order_id=order.order_id, customer_id=order.customer_id,
            order_revision=order.revision, decision=decision, ageing=account.ageing(today),
            oldest_overdue=account.oldest_overdue(today), payment_history=account.payment_history(),
            requested_at=now, policy=policy,
        )
        request.request_id = order.request_id
        await uow.sanctions.add(request, record.customer_name)
        uow.publish(c.CreditHeld(
            **common, amount=decision.order_amount, reasons=[c.HoldReason(r.value) for r in decision.reasons],
            exposure=snapshot, sanction_due_by=request.escalation_due_at, hold_expires_at=request.expires_at,
        ))
    await uow.accounts.save(record)
    return decision


async def withdraw_cancelled_order(uow: UnitOfWork, message: OrderCancelled, now: datetime) -> int:
    """The whole order was cancelled: its pending sanction requests leave the finance queue (superseded) and a held
    order can no longer be sanctioned into exposure. Exposure itself is released by ReleaseCreditExposure."""
    if message.cancelled_lines:
        return 0
    record = await uow.accounts.lock(message.customer_id)
    withdrawn = 0
    for request in await uow.sanctions.pending_of_order(message.order_id):
        request.supersede(now)
        request.note = f"order cancelled ({message.reason.value})"
        await uow.sanctions.save(request)
        withdrawn += 1
    held = record.account.open_orders.get(message.order_id)
    if held is not None and held.status is OpenOrderStatus.HELD:
        held.reject()
        await uow.accounts.save(record)
    return withdrawn


# --- sanctions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemporaryIncreaseRequest:
    amount: Decimal
    valid_until: date
    note: str = ""


async def _locked_sanction(uow: UnitOfWork, sanction_id: str) -> tuple[AccountRecord, SanctionRequest]:
    found = await uow.sanctions.get(sanction_id)
    if found is None:
        raise NotFoundError("sanction", sanction_id)
    record = await uow.accounts.lock(found.customer_id)  # lock order everywhere: account, then sanction
    request = await uow.sanctions.lock(sanction_id)
    assert request is not None
    return record, request


async def approve_sanction(uow: UnitOfWork, sanction_id: str, by: Actor, now: datetime, note: str = "",
                           increase: TemporaryIncreaseRequest | None = None) -> SanctionRequest:
    record, request = await _locked_sanction(uow, sanction_id)
    account = record.account
    if increase is not None:
        if account.profile is None:
            account.profile = CreditProfile(account.customer_id)
        request.approve_with_temporary_increase(by, now, account.profile, increase.amount, increase.valid_until,
                                                note or increase.note)
    else:
        request.approve(by, now, note)
    account.sanction_order(request.order_id, request.request_id)
    uow.publish(c.CreditSanctioned(
        order_id=request.order_id, customer_id=request.customer_id, order_revision=request.order_revision,
        request_id=request.request_id, decided_at=now, amount=request.amount, sanctioned_by=by.user_id, note=note,
    ))
    await uow.sanctions.save(request)
    await uow.accounts.save(record)
    return request


async def reject_sanction(uow: UnitOfWork, sanction_id: str, by: Actor, now: datetime, note: str
                          ) -> SanctionRequest:
    record, request = await _locked_sanction(uow, sanction_id)
    request.reject(by, now, note)
    record.account.reject_order(request.order_id, request.request_id)
    uow.publish(c.CreditRejected(
        order_id=request.order_id, customer_id=request.customer_id, order_revision=request.order_revision,
        request_id=request.request_id, decided_at=now, reason=c.RejectionReason.REJECTED_BY_FINANCE,
        rejected_by=by.user_id, note=note,
    ))
    await uow.sanctions.save(request)
    await uow.accounts.save(record)
    return request


async def expire_or_escalate(uow: UnitOfWork, sanction_id: str, now: datetime) -> str | None:
    """One due sanction request: expired (CreditRejected sanction_expired, the order leaves exposure) or
    escalated (marked, shown first in the queue, logged for the finance head). Returns what happened."""
    record, request = await _locked_sanction(uow, sanction_id)
    if request.expire(now):
        record.account.reject_order(request.order_id, request.request_id)
        uow.publish(c.CreditRejected(
            order_id=request.order_id, customer_id=request.customer_id, order_revision=request.order_revision,
            request_id=request.request_id, decided_at=now, reason=c.RejectionReason.SANCTION_EXPIRED,
            note=f"undecided by {request.expires_at.isoformat()}",
        ))
        await uow.sanctions.save(request)
        await uow.accounts.save(record)
        return "expired"
    if request.escalate(now):
        log.warning("credit sanction %s for order %s escalated: undecided since %s", request.sanction_id,
                    request.order_id, request.requested_at.isoformat())
        await uow.sanctions.save(request)
        return "escalated"
    return None


# --- exposure releases and receivables -----------------------------------------------------------


async def release_exposure(uow: UnitOfWork, command: ReleaseCreditExposure, now: datetime) -> c.CreditExposureReleased:
    """The coordinator's compensation: idempotent per request id, and the reply is repeated with the same figures."""
    record = await uow.accounts.lock(command.customer_id)
    released = record.account.release_exposure(command.order_id, command.request_id, command.amount,
                                               command.order_revision)
    reply = c.CreditExposureReleased(
        order_id=command.order_id, customer_id=command.customer_id, request_id=command.request_id,
        released_amount=released.released_amount, open_order_exposure_after=released.open_order_exposure_after,
        released_at=now,
    )
    uow.publish(reply)
    await uow.accounts.save(record)
    return reply


async def post_invoice(uow: UnitOfWork, invoice: InvoiceIssued, now: datetime) -> bool:
    """InvoiceIssued → ReceivablePosted (once per invoice); an advance waiting as unapplied credit is used on it."""
    record = await uow.accounts.lock(invoice.customer_id)
    account = record.account
    posting = account.post_invoice(
        invoice_id=invoice.invoice_id, invoice_no=invoice.invoice_no, order_id=invoice.order_id,
        invoice_date=invoice.invoice_date, amount=invoice.totals.grand_total,
        taxable_value=min(invoice.totals.taxable_value, invoice.totals.grand_total),
        payment_terms_days=invoice.payment_terms_days, shipment_id=invoice.shipment_id,
    )
    if not posting.is_new:
        return False
    receivable = posting.receivable
    uow.publish(c.ReceivablePosted(
        order_id=invoice.order_id, customer_id=invoice.customer_id, shipment_id=invoice.shipment_id,
        invoice_id=invoice.invoice_id, invoice_no=invoice.invoice_no, invoice_date=invoice.invoice_date,
        amount=receivable.amount, due_date=receivable.due_date, open_order_released=posting.open_order_released,
        posted_at=now,
    ))
    if account.unapplied_credit > 0:
        outcome = account.apply_unapplied_credit(f"advance-to-{invoice.invoice_id}", business_date(now),
                                                 [invoice.invoice_id])
        publish_settlements(uow, account, outcome)
    await uow.accounts.save(record)
    return True


async def cancel_invoice(uow: UnitOfWork, message: InvoiceCancelled) -> bool:
    record = await uow.accounts.lock(message.customer_id)
    reversed_amount = record.account.cancel_invoice(message.invoice_id, business_date(message.cancelled_at))
    if reversed_amount is None:
        return False
    await uow.accounts.save(record)
    return True


async def apply_credit_note(uow: UnitOfWork, note: CreditNoteIssued) -> bool:
    record = await uow.accounts.lock(note.customer_id)
    account = record.account
    if note.credit_note_id in account.credit_notes:
        return False
    was_settled = {r.invoice_id for r in account.receivables.values() if r.is_settled}
    outcome = account.apply_credit_note(note.credit_note_id, note.original_invoice_id, note.totals.grand_total,
                                        note.credit_note_date, note.credit_note_no,
                                        goods_never_left=note.request_id is not None)
    if outcome.settled and outcome.invoice_id not in was_settled:
        _publish_invoice_settled(uow, account, outcome.invoice_id)
        if account.is_order_settled(note.order_id):
            _publish_order_settled(uow, account, note.order_id)
    await uow.accounts.save(record)
    return True


# --- payments ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentInput:
    customer_id: str
    amount: Decimal
    received_on: date
    mode: c.PaymentMode
    tds_deducted: Decimal = ZERO
    invoice_ids: tuple[str, ...] = ()
    bank_reference: str | None = None
    write_off_limit: Decimal = ZERO


def _publish_invoice_settled(uow: UnitOfWork, account: CustomerAccount, invoice_id: str) -> None:
    r = account.receivables[invoice_id]
    receipts = list(dict.fromkeys(cr.reference for cr in r.credits if cr.reference.startswith("RCT/")))
    uow.publish(c.InvoiceSettled(
        customer_id=account.customer_id, order_id=r.order_id, invoice_id=r.invoice_id, invoice_no=r.invoice_no,
        invoice_date=r.invoice_date, invoice_amount=r.amount, paid_amount=r.paid, tds_amount=r.tds,
        written_off=r.written_off, receipt_nos=receipts, settled_on=r.settled_on or r.invoice_date,
    ))


def _publish_order_settled(uow: UnitOfWork, account: CustomerAccount, order_id: str) -> None:
    invoices = sorted(account.standing_invoices(order_id), key=lambda r: (r.invoice_date, r.invoice_no))
    uow.publish(c.OrderSettled(
        order_id=order_id, customer_id=account.customer_id, invoice_nos=[r.invoice_no for r in invoices],
        invoiced_amount=sum((r.amount for r in invoices), ZERO),
        settled_on=max(r.settled_on or r.invoice_date for r in invoices),
    ))


def publish_settlements(uow: UnitOfWork, account: CustomerAccount, outcome: PaymentOutcome) -> None:
    for invoice_id in outcome.settled_invoices:
        if account.receivables[invoice_id].is_opening_balance:
            continue  # no order and no o2c invoice: nothing for sales to mark paid
        _publish_invoice_settled(uow, account, invoice_id)
    for order_id in outcome.settled_orders:
        _publish_order_settled(uow, account, order_id)


def _allocations(account: CustomerAccount, allocations: Iterable[InvoiceAllocation],
                 opening: bool) -> list[c.PaymentAllocation]:
    """The allocations to orders' invoices, or (`opening`) to opening balances, which name no order."""
    return [c.PaymentAllocation(invoice_id=a.invoice_id, invoice_no=a.invoice_no, order_id=a.order_id,
                                amount=a.amount, tds_amount=a.tds_amount, write_off=a.write_off)
            for a in allocations if account.receivables[a.invoice_id].is_opening_balance is opening]


async def record_payment(uow: UnitOfWork, data: PaymentInput, by: Actor, now: datetime,
                         max_write_off: Decimal = ZERO) -> dict[str, Any]:
    """POST /payments: allocate (oldest first unless invoices are named), keep the rest unapplied, record TDS,
    write off a small residue within the limit; PaymentReceived, then InvoiceSettled / OrderSettled. A request
    repeated with its Idempotency-Key is answered by the HTTP edge (`o2c.kit.idempotency.once`), not here."""
    if data.write_off_limit > max_write_off:
        raise InvalidValue("write_off_limit", f"at most {max_write_off} may be written off on a payment")
    known_customer = await uow.accounts.get(data.customer_id)
    if known_customer is None or (known_customer.account.profile is None and not known_customer.account.receivables):
        raise InvalidValue("customer_id", f"no credit account for customer {data.customer_id}")
    record = await uow.accounts.lock(data.customer_id)
    account = record.account
    unknown = [i for i in data.invoice_ids if i not in account.receivables]
    if unknown:
        raise InvalidValue("invoice_ids", f"no receivable of customer {data.customer_id} for {', '.join(unknown)}")
    fy = FinancialYear.of(data.received_on).short
    receipt_no = f"RCT/{fy}/{await uow.numbers.next(f'RCT/{fy}'):06d}"
    outcome = account.receive_payment(Payment(
        payment_id=receipt_no, receipt_no=receipt_no, customer_id=data.customer_id, received_on=data.received_on,
        amount=data.amount, tds_deducted=data.tds_deducted, invoice_ids=data.invoice_ids, mode=data.mode.value,
        bank_reference=data.bank_reference,
    ), data.write_off_limit)
    message = c.PaymentReceived(
        payment_id=receipt_no, receipt_no=receipt_no, customer_id=data.customer_id, received_on=data.received_on,
        amount=data.amount, mode=data.mode, bank_reference=data.bank_reference,
        allocations=_allocations(account, outcome.allocations, opening=False),
        opening_balance_allocations=_allocations(account, outcome.allocations, opening=True),
        unapplied_amount=outcome.unapplied_amount, recorded_at=now,
    )
    uow.publish(message)
    publish_settlements(uow, account, outcome)
    doc = message.model_dump(mode="json") | {
        "tds_receivable": f"{outcome.tds_receivable:.2f}",
        "settled_invoices": list(outcome.settled_invoices), "settled_orders": list(outcome.settled_orders),
        "recorded_by": by.user_id,
    }
    await uow.payments.add(payment_id=receipt_no, customer_id=data.customer_id, recorded_by=by.user_id,
                           recorded_at=now, doc=doc)
    await uow.accounts.save(record)
    return doc


async def write_off_residue(uow: UnitOfWork, customer_id: str, invoice_id: str, amount: Decimal, by: Actor,
                            now: datetime, limit: Decimal) -> dict[str, Any]:
    """Finance writes off a small residue of one invoice within the limit, so it does not age into a hold; each
    write-off is numbered (WO/<year>/<n>) and settling the invoice publishes the settlement events. A request
    repeated with its Idempotency-Key is answered by the HTTP edge (`o2c.kit.idempotency.once`), not here."""
    if amount > limit:
        raise InvalidValue("amount", f"a write-off may be at most {limit}")
    record = await uow.accounts.lock(customer_id)
    account = record.account
    if invoice_id not in account.receivables:
        raise NotFoundError("receivable", invoice_id)
    receivable = account.receivables[invoice_id]
    was_settled = receivable.is_settled
    reference = f"WO/{FinancialYear.of(business_date(now)).short}/{await uow.numbers.next('WO'):06d}"
    done = account.write_off(reference, invoice_id, amount, limit, business_date(now), by)
    if done and receivable.is_settled and not was_settled and not receivable.is_opening_balance:
        _publish_invoice_settled(uow, account, invoice_id)
        if account.is_order_settled(receivable.order_id):
            _publish_order_settled(uow, account, receivable.order_id)
    await uow.accounts.save(record)
    return {"write_off_id": reference, "invoice_id": invoice_id, "applied": done,
            "written_off": f"{receivable.written_off:.2f}", "outstanding": f"{max(receivable.outstanding, ZERO):.2f}",
            "settled": receivable.is_settled}


# --- credit profile ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileUpdate:
    credit_limit: Decimal | None = None
    payment_terms_days: int | None = None
    grace_days: int | None = None
    on_hold: bool | None = None
    hold_reason: str = ""
    temporary_increase: TemporaryIncreaseRequest | None = None
    reason: str = ""


async def update_profile(uow: UnitOfWork, customer_id: str, update: ProfileUpdate, by: Actor, now: datetime
                         ) -> AccountRecord:
    record = await uow.accounts.lock(customer_id)
    profile = record.account.profile or CreditProfile(customer_id)
    if update.credit_limit is not None:
        profile.set_limit(update.credit_limit, by, now, update.reason)
        record.limit_set_by_finance = True
    if update.payment_terms_days is not None or update.grace_days is not None:
        profile.set_terms(
            profile.payment_terms_days if update.payment_terms_days is None else update.payment_terms_days,
            profile.grace_days if update.grace_days is None else update.grace_days, by, now, update.reason,
        )
    if update.on_hold is True:
        profile.place_on_hold(by, now, update.hold_reason or update.reason)
    elif update.on_hold is False:
        profile.release_hold(by, now, update.reason)
    if update.temporary_increase is not None:
        t = update.temporary_increase
        profile.grant_temporary_increase(t.amount, t.valid_until, by, now, t.note or update.reason)
    record.account.profile = profile
    await uow.accounts.save(record)
    return record


# --- opening balances, payment reversal, refunds (issue 24) ------------------------------------------------


class OpeningBalancesRefused(CreditError):
    """A commit of a file with refused rows: nothing was imported; every refusal is named."""

    def __init__(self, refusals: list[RowRefusal]) -> None:
        super().__init__(f"{len(refusals)} row(s) refused; nothing imported")
        self.refusals = refusals


def _refusal_view(r: RowRefusal) -> dict[str, Any]:
    return {"row": r.row, "column": r.column, "reason": r.reason}


async def import_opening_balances(uow: UnitOfWork, csv_text: str, *, commit: bool, by: Actor,
                                  now: datetime) -> dict[str, Any]:
    """Legacy outstanding invoices (CSV) become receivables: a dry run (`commit=False`) lists every refused row
    and what would be imported; a commit imports all rows or, if any row is refused, none
    (OpeningBalancesRefused). Refused: a malformed cell, a duplicate within the file, an unknown customer (no
    credit account from sales' master), a legacy number already imported for that customer."""
    require_role(by, FINANCE, "import opening balances")
    rows, refusals = parse_opening_balances(csv_text, business_date(now))
    records: dict[str, AccountRecord | None] = {}
    for row in rows:
        if row.customer_id not in records:
            records[row.customer_id] = await uow.accounts.get(row.customer_id)
        record = records[row.customer_id]
        if record is None or record.account.profile is None:
            refusals.append(RowRefusal(row.row, "customer_id", f"unknown customer {row.customer_id}"))
        elif opening_receivable_id(row.legacy_no) in record.account.receivables:
            refusals.append(RowRefusal(row.row, "legacy_invoice_no",
                                       f"already imported for customer {row.customer_id}"))
    refusals.sort(key=lambda r: (r.row, r.column))
    refused_rows = {r.row for r in refusals}
    accepted = [row for row in rows if row.row not in refused_rows]
    report: dict[str, Any] = {
        "dry_run": not commit, "imported": False, "rows_accepted": len(accepted),
        "rows_refused": len(refused_rows), "refused": [_refusal_view(r) for r in refusals],
        "total_amount": f"{sum((row.amount for row in accepted), ZERO):.2f}",
        "rows": [{"row": row.row, "customer_id": row.customer_id, "legacy_invoice_no": row.legacy_no,
                  "receivable_id": opening_receivable_id(row.legacy_no), "invoice_date": row.invoice_date.isoformat(),
                  "due_date": row.due_date.isoformat() if row.due_date else None, "amount": f"{row.amount:.2f}"}
                 for row in accepted],
    }
    if not commit:
        return report
    if refusals:
        raise OpeningBalancesRefused(refusals)
    if not accepted:
        raise InvalidValue("file", "no rows to import")
    # Accounts are locked in customer order, as everywhere two accounts could meet.
    for customer_id in sorted({row.customer_id for row in accepted}):
        record = await uow.accounts.lock(customer_id)
        for row in accepted:
            if row.customer_id == customer_id:
                record.account.post_opening_balance(opening_receivable_id(row.legacy_no), row.legacy_no,
                                                    row.invoice_date, row.due_date, row.amount)
        await uow.accounts.save(record)
    return report | {"imported": True, "imported_by": by.user_id}


async def _account_of(uow: UnitOfWork, customer_id: str) -> AccountRecord:
    known = await uow.accounts.get(customer_id)
    if known is None:
        raise NotFoundError("customer account", customer_id)
    return await uow.accounts.lock(customer_id)


async def reverse_payment(uow: UnitOfWork, customer_id: str, payment_id: str, reason: c.PaymentReversalReason,
                          note: str, by: Actor, now: datetime, bounce_charge: Decimal = ZERO) -> dict[str, Any]:
    """A recorded payment came back: its receivables owe the cash again, its unapplied part leaves unapplied
    credit, exposure is restored; PaymentReversed carries the configured bounce charge (a bounced cheque only)
    for invoicing to raise as a GST debit note. The same payment again answers the first reversal, publishing
    nothing new."""
    record = await _account_of(uow, customer_id)
    account = record.account
    known = account.reversals.get(payment_id)
    if known is None:
        if payment_id not in account.payments:
            raise NotFoundError("payment", payment_id)
        fy = FinancialYear.of(business_date(now)).short
        reversal_id = f"REV/{fy}/{await uow.numbers.next(f'REV/{fy}'):06d}"
    else:
        reversal_id = known.reversal_id
    reversal, new = account.reverse_payment(payment_id, reversal_id, reason.value, note, business_date(now), by)
    charge = bounce_charge if reversal.reason == c.PaymentReversalReason.CHEQUE_BOUNCED.value else ZERO
    restored = list(reversal.restored)
    message = c.PaymentReversed(
        reversal_id=reversal.reversal_id, payment_id=payment_id, receipt_no=payment_id, customer_id=customer_id,
        reason=c.PaymentReversalReason(reversal.reason), note=reversal.note, reversed_on=reversal.on,
        amount=sum((a.amount for a in restored), ZERO) + reversal.unapplied_reversed,
        allocations=_allocations(account, restored, opening=False),
        opening_balance_allocations=_allocations(account, restored, opening=True),
        unapplied_reversed=reversal.unapplied_reversed, reopened_invoice_ids=list(reversal.reopened_invoices),
        bounce_charge=charge, reversed_by=reversal.by, reversed_at=now,
    )
    if new:
        uow.publish(message)
        await uow.accounts.save(record)
    exposure = account.exposure()
    return message.model_dump(mode="json") | {
        "unapplied_credit": f"{account.unapplied_credit:.2f}", "receivables_outstanding": f"{exposure.receivables:.2f}",
        "exposure": f"{exposure.total:.2f}",
    }


async def refund_unapplied_credit(uow: UnitOfWork, customer_id: str, amount: Decimal, refunded_on: date,
                                  mode: c.PaymentMode, reference: str, note: str, by: Actor,
                                  now: datetime) -> dict[str, Any]:
    """Pay back unapplied credit (never more than is unapplied), numbered RFD/<year>/<n>; UnappliedCreditRefunded.
    A request repeated with its Idempotency-Key is answered by the HTTP edge."""
    if refunded_on > business_date(now):
        raise InvalidValue("refunded_on", "must not be after today (IST)")
    record = await _account_of(uow, customer_id)
    if amount > record.account.unapplied_credit:  # refused before a number of the gapless series is taken
        raise InvalidValue("amount", f"{amount} is more than the {record.account.unapplied_credit} unapplied credit")
    fy = FinancialYear.of(refunded_on).short
    refund_id = f"RFD/{fy}/{await uow.numbers.next(f'RFD/{fy}'):06d}"
    refund = record.account.refund_unapplied(refund_id, amount, refunded_on, mode.value, reference, by)
    message = c.UnappliedCreditRefunded(
        refund_id=refund_id, customer_id=customer_id, amount=refund.amount, refunded_on=refunded_on, mode=mode,
        reference=reference, note=note, unapplied_after=refund.unapplied_after, refunded_by=by.user_id,
        refunded_at=now,
    )
    uow.publish(message)
    await uow.accounts.save(record)
    return message.model_dump(mode="json")
