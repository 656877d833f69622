"""Message handlers by type: each runs in the consumer's batch transaction (ctx.session), locks the customer's
account through the unit of work and publishes through ctx.publish (same transaction, causation kept)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import TypeVar

from o2c.contracts.envelope import Message
from o2c.contracts.v1.invoicing import CreditNoteIssued, InvoiceCancelled, InvoiceIssued
from o2c.contracts.v1.sales import (
    CustomerApproved,
    CustomerUpdated,
    OrderAmended,
    OrderCancelled,
    OrderConfirmed,
    RecheckCredit,
    ReleaseCreditExposure,
)
from o2c.credit.adapters.repository import SqlUnitOfWork
from o2c.credit.domain import CreditError
from o2c.credit.entrypoints.runtime import clock, policy
from o2c.credit.service_layer import use_cases
from o2c.kit.messaging.consumer import Handler, MessageContext
from o2c.kit.messaging.errors import PermanentError
from o2c.kit.service import Runtime

M = TypeVar("M", bound=Message)


def handlers(rt: Runtime) -> Mapping[str, Handler]:
    def handler(kind: type[M], act: Callable[[SqlUnitOfWork, M], Awaitable[object]]) -> tuple[str, Handler]:
        async def handle(message: Message, ctx: MessageContext) -> None:
            if not isinstance(message, kind):
                raise PermanentError(f"expected {kind.TYPE}, got {type(message).__name__}")
            try:
                await act(SqlUnitOfWork(ctx.session, ctx.publish), message)
            except CreditError as exc:
                # A rule the message can never pass: dead-lettered (and its key parked) for a person.
                raise PermanentError(f"{type(exc).__name__}: {exc}") from exc

        return kind.TYPE, handle

    def now() -> datetime:
        return clock(rt).now()

    async def on_customer(uow: SqlUnitOfWork, m: CustomerApproved | CustomerUpdated) -> object:
        return await use_cases.apply_customer_master(uow, m, now())

    async def on_order(uow: SqlUnitOfWork, m: OrderConfirmed | OrderAmended) -> object:
        return await use_cases.decide_order(uow, use_cases.OrderToDecide(
            m.order_id, m.customer_id, m.revision, m.totals.gross_value), now(), policy(rt))

    async def on_cancelled(uow: SqlUnitOfWork, m: OrderCancelled) -> object:
        return await use_cases.withdraw_cancelled_order(uow, m, now())

    async def on_recheck(uow: SqlUnitOfWork, m: RecheckCredit) -> object:
        return await use_cases.decide_order(uow, use_cases.OrderToDecide(
            m.order_id, m.customer_id, m.order_revision, m.amount, m.request_id), now(), policy(rt))

    async def on_release(uow: SqlUnitOfWork, m: ReleaseCreditExposure) -> object:
        return await use_cases.release_exposure(uow, m, now())

    async def on_invoice(uow: SqlUnitOfWork, m: InvoiceIssued) -> object:
        return await use_cases.post_invoice(uow, m, now())

    async def on_invoice_cancelled(uow: SqlUnitOfWork, m: InvoiceCancelled) -> object:
        return await use_cases.cancel_invoice(uow, m)

    async def on_credit_note(uow: SqlUnitOfWork, m: CreditNoteIssued) -> object:
        return await use_cases.apply_credit_note(uow, m)

    return dict([
        handler(CustomerApproved, on_customer),
        handler(CustomerUpdated, on_customer),
        handler(OrderConfirmed, on_order),
        handler(OrderAmended, on_order),
        handler(OrderCancelled, on_cancelled),
        handler(RecheckCredit, on_recheck),
        handler(ReleaseCreditExposure, on_release),
        handler(InvoiceIssued, on_invoice),
        handler(InvoiceCancelled, on_invoice_cancelled),
        handler(CreditNoteIssued, on_credit_note),
    ])
