"""Read models for the HTTP API, as JSON-ready dicts (money as decimal strings, dates ISO); the repository stores
the sanction view with its row so a queue page is served without decoding each request."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from o2c.credit.domain import ZERO, SanctionRequest, business_date
from o2c.credit.service_layer.ports import AccountRecord
from pydantic import TypeAdapter

_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def _adapter(kind: type) -> TypeAdapter[Any]:
    found = _ADAPTERS.get(kind)
    if found is None:
        found = _ADAPTERS[kind] = TypeAdapter(kind)
    return found


def jsonable(value: Any) -> Any:
    if value is None:
        return None
    return _adapter(type(value)).dump_python(value, mode="json")


def _m(amount: Any) -> str:
    return f"{amount:.2f}"


def sanction_view(request: SanctionRequest, customer_name: str = "") -> dict[str, Any]:
    exposure = request.exposure
    return {
        "sanction_id": request.sanction_id,
        "status": request.status.value,
        "order": {"order_id": request.order_id, "order_revision": request.order_revision,
                  "amount": _m(request.amount), "request_id": request.request_id},
        "customer": {"customer_id": request.customer_id, "name": customer_name},
        "reasons": [{"reason": h.reason.value, "explanation": h.explanation} for h in request.holds],
        "exposure": {
            "receivables": _m(exposure.receivables), "open_orders": _m(exposure.open_orders),
            "unapplied_credit": _m(exposure.unapplied_credit), "before_order": _m(exposure.total),
            "with_order": _m(request.exposure_with_order),
        },
        "credit_limit": _m(request.credit_limit),
        "headroom": _m(request.headroom),
        "ageing": jsonable(request.ageing),
        "oldest_overdue_invoice": jsonable(request.oldest_overdue),
        "payment_history": jsonable(request.payment_history),
        "facts_as_of": request.requested_at.isoformat(),
        "requested_at": request.requested_at.isoformat(),
        "escalation_due_at": request.escalation_due_at.isoformat(),
        "escalated": request.escalated_at is not None,
        "escalated_at": request.escalated_at.isoformat() if request.escalated_at else None,
        "expires_at": request.expires_at.isoformat(),
        "decided_by": request.decided_by,
        "decided_at": request.decided_at.isoformat() if request.decided_at else None,
        "note": request.note,
        "temporary_increase": jsonable(request.temporary_increase),
    }


def current_facts(record: AccountRecord, request: SanctionRequest, now: datetime) -> dict[str, Any]:
    """The same facts as of now (payments or invoices may have moved since the request was raised)."""
    account = record.account
    today = business_date(now)
    exposure = account.exposure(excluding_order=request.order_id)
    limit = account.profile.effective_limit(today) if account.profile else ZERO
    return {
        "as_of": now.isoformat(),
        "exposure": {"receivables": _m(exposure.receivables), "open_orders": _m(exposure.open_orders),
                     "unapplied_credit": _m(exposure.unapplied_credit), "before_order": _m(exposure.total),
                     "with_order": _m(exposure.with_order(request.amount))},
        "credit_limit": _m(limit), "headroom": _m(limit - exposure.total),
        "ageing": jsonable(account.ageing(today)), "oldest_overdue_invoice": jsonable(account.oldest_overdue(today)),
        "payment_history": jsonable(account.payment_history()),
    }


def _exposure(record: AccountRecord) -> dict[str, Any]:
    exposure = record.account.exposure()
    return {"receivables": _m(exposure.receivables), "open_orders": _m(exposure.open_orders),
            "unapplied_credit": _m(exposure.unapplied_credit), "total": _m(exposure.total)}


def profile_view(record: AccountRecord, now: datetime) -> dict[str, Any]:
    profile = record.account.profile
    today = business_date(now)
    body: dict[str, Any] = {
        "customer_id": record.account.customer_id, "customer_name": record.customer_name,
        "master_revision": record.master_revision, "limit_set_by_finance": record.limit_set_by_finance,
        "exposure": _exposure(record),
    }
    if profile is None:
        return body | {"credit_profile": None}
    effective = profile.effective_limit(today)
    return body | {
        "credit_profile": {
            "credit_limit": _m(profile.credit_limit), "effective_limit": _m(effective),
            "headroom": _m(effective - record.account.exposure().total),
            "proposed_limit": None if profile.proposed_limit is None else _m(profile.proposed_limit),
            "payment_terms_days": profile.payment_terms_days, "grace_days": profile.grace_days,
            "on_hold": profile.on_hold, "hold_reason": profile.hold_reason,
            "temporary_increases": [jsonable(t) for t in profile.temporary_increases],
            "changes": [jsonable(ch) for ch in profile.changes],
        },
    }


def receivables_view(record: AccountRecord, now: datetime, include_settled: bool = False) -> dict[str, Any]:
    account = record.account
    today = business_date(now)
    rows = sorted(account.receivables.values(), key=lambda r: (r.invoice_date, r.invoice_no))
    return {
        "customer_id": account.customer_id, "as_of": today.isoformat(),
        "receivables": [
            {"invoice_id": r.invoice_id, "invoice_no": r.invoice_no, "order_id": r.order_id,
             "invoice_date": r.invoice_date.isoformat(), "due_date": r.due_date.isoformat(),
             "amount": _m(r.amount), "paid": _m(r.paid), "tds": _m(r.tds), "credited": _m(r.credited),
             "written_off": _m(r.written_off), "outstanding": _m(max(r.outstanding, ZERO)),
             "days_past_invoice": r.days_past_invoice(today), "days_overdue": r.days_overdue(today),
             "status": "cancelled" if r.is_cancelled else "settled" if r.is_settled else "open",
             "opening_balance": r.is_opening_balance}
            for r in rows if include_settled or (r.outstanding > 0 and not r.is_cancelled)
        ],
        "ageing": jsonable(account.ageing(today)) | {"total": _m(account.ageing(today).total)},
        "oldest_overdue_invoice": jsonable(account.oldest_overdue(today)),
        "unapplied_credit": _m(account.unapplied_credit),
        "tds_receivable": _m(account.tds_receivable),
        "exposure": _exposure(record),
    }


def statement_view(record: AccountRecord, period_start: date, period_end: date) -> dict[str, Any]:
    statement = record.account.statement(period_start, period_end)
    return {
        "customer_id": statement.customer_id, "customer_name": record.customer_name,
        "from": period_start.isoformat(), "to": period_end.isoformat(),
        "opening_balance": _m(statement.opening_balance),
        "lines": [{"date": line.entry.on.isoformat(), "kind": line.entry.kind.value,
                   "reference": line.entry.reference, "description": line.entry.description,
                   "debit": _m(line.entry.debit), "credit": _m(line.entry.credit), "balance": _m(line.balance)}
                  for line in statement.lines],
        "total_debits": _m(statement.total_debits), "total_credits": _m(statement.total_credits),
        "closing_balance": _m(statement.closing_balance),
    }
