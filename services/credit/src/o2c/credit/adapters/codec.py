"""The account and sanction documents as JSON: exact decimals as strings, dates ISO, enums by value.

Pydantic's TypeAdapter reads and writes the domain's plain dataclasses directly (running their validation in
`__post_init__` on the way back), so the domain stays free of persistence concerns. The account is read from and
written to JSON text in one pass (no intermediate dicts): it is on the hot path of every credit decision."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from o2c.credit.domain import CreditDecision, CustomerAccount, SanctionRequest
from pydantic import TypeAdapter, ValidationError


@dataclass
class _StoredAccount:
    """JSON object keys are strings: (order, revision) decisions are kept beside the account as triples."""

    account: CustomerAccount
    decisions: list[tuple[str, int, CreditDecision]] = field(default_factory=list)


_STORED = TypeAdapter(_StoredAccount)
_SANCTION = TypeAdapter(SanctionRequest)


def _slim(decision: CreditDecision) -> CreditDecision:
    """A decision is kept only to answer a repeat of its request; the overdue invoices it listed are not needed
    for that, and would otherwise grow the document by orders × overdue invoices."""
    return replace(decision, overdue=()) if decision.overdue else decision


@contextlib.contextmanager
def _stored(account: CustomerAccount) -> Iterator[_StoredAccount]:
    decisions, rechecks = account.decisions, account.rechecks
    account.decisions = {}
    account.rechecks = {k: _slim(d) for k, d in rechecks.items()}
    try:
        yield _StoredAccount(account, [(o, r, _slim(d)) for (o, r), d in decisions.items()])
    finally:
        account.decisions, account.rechecks = decisions, rechecks


def _restore(stored: _StoredAccount) -> CustomerAccount:
    stored.account.decisions = {(o, r): d for o, r, d in stored.decisions}
    return stored.account


def dump_account_json(account: CustomerAccount) -> str:
    with _stored(account) as stored:
        return _STORED.dump_json(stored).decode()


def load_account_json(text: str | bytes) -> CustomerAccount:
    try:
        return _restore(_STORED.validate_json(text))
    except ValidationError:
        doc = json.loads(text)
        if not isinstance(doc, dict) or "account" in doc:
            raise
        # The first stored layout: upgraded on read, rewritten on the next change.
        return _restore(_STORED.validate_python(_upgraded(doc)))


def _upgraded(doc: dict[str, Any]) -> dict[str, Any]:
    """Accounts written before the account and its decisions were split kept the account's fields at the top
    level, with the decisions beside them: read them as the current layout."""
    body = {k: v for k, v in doc.items() if k != "decisions"}
    return {"account": {**body, "decisions": {}}, "decisions": doc.get("decisions", [])}


def dump_sanction(request: SanctionRequest) -> dict[str, Any]:
    doc: dict[str, Any] = _SANCTION.dump_python(request, mode="json")
    return doc


def load_sanction(doc: dict[str, Any]) -> SanctionRequest:
    return _SANCTION.validate_python(doc)
