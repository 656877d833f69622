"""The account and sanction documents as JSON: exact decimals as strings, dates ISO, enums by value.

Pydantic's TypeAdapter reads and writes the domain's plain dataclasses directly (running their validation in
`__post_init__` on the way back), so the domain stays free of persistence concerns."""

from __future__ import annotations

from typing import Any

from o2c.credit.domain import CreditDecision, CustomerAccount, SanctionRequest
from pydantic import TypeAdapter

_ACCOUNT = TypeAdapter(CustomerAccount)
_DECISIONS = TypeAdapter(list[tuple[str, int, CreditDecision]])
_SANCTION = TypeAdapter(SanctionRequest)


def dump_account(account: CustomerAccount) -> dict[str, Any]:
    # JSON object keys are strings: (order, revision) decisions travel as a list of triples.
    decisions = account.decisions
    account.decisions = {}
    try:
        doc: dict[str, Any] = _ACCOUNT.dump_python(account, mode="json")
    finally:
        account.decisions = decisions
    doc["decisions"] = _DECISIONS.dump_python([(o, r, d) for (o, r), d in decisions.items()], mode="json")
    return doc


def load_account(doc: dict[str, Any]) -> CustomerAccount:
    body = dict(doc)
    decisions = _DECISIONS.validate_python(body.pop("decisions", []))
    body["decisions"] = {}
    account = _ACCOUNT.validate_python(body)
    account.decisions = {(o, r): d for o, r, d in decisions}
    return account


def dump_sanction(request: SanctionRequest) -> dict[str, Any]:
    doc: dict[str, Any] = _SANCTION.dump_python(request, mode="json")
    return doc


def load_sanction(doc: dict[str, Any]) -> SanctionRequest:
    return _SANCTION.validate_python(doc)
