"""Message handlers by type: each runs inside the consumer's batch transaction (the kit's inbox makes it run once
per message id), calls one use case on a unit of work in that transaction (`bootstrap.Credit.handling`), whose
messages go to the outbox as caused by the message in hand.

A rule the message can never pass is a PermanentError: dead-lettered with the reason, its key parked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

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
from o2c.credit.bootstrap import Credit
from o2c.credit.domain import CreditError
from o2c.credit.service_layer import use_cases as uc
from o2c.credit.service_layer.ports import UnitOfWork
from o2c.kit.messaging.consumer import Handler, MessageContext
from o2c.kit.messaging.errors import PermanentError

Use = Callable[[Credit, UnitOfWork, Any], Awaitable[object]]


def _guarded(credit: Credit, use: Use) -> Handler:
    """The use case on a unit of work in the batch's transaction; a domain refusal is permanent."""
    async def handle(message: Message, ctx: MessageContext) -> None:
        try:
            async with credit.handling(ctx) as uow:
                await use(credit, uow, message)
        except CreditError as exc:
            raise PermanentError(f"{type(exc).__name__}: {exc}") from exc
    return handle


async def on_customer(credit: Credit, uow: UnitOfWork, m: CustomerApproved | CustomerUpdated) -> bool:
    return await uc.apply_customer_master(uow, m, credit.now())


async def on_order(credit: Credit, uow: UnitOfWork, m: OrderConfirmed | OrderAmended) -> object:
    return await uc.decide_order(uow, uc.OrderToDecide(m.order_id, m.customer_id, m.revision, m.totals.gross_value),
                                 credit.now(), credit.policy)


async def on_recheck(credit: Credit, uow: UnitOfWork, m: RecheckCredit) -> object:
    return await uc.decide_order(uow, uc.OrderToDecide(m.order_id, m.customer_id, m.order_revision, m.amount,
                                                       m.request_id), credit.now(), credit.policy)


async def on_cancelled(credit: Credit, uow: UnitOfWork, m: OrderCancelled) -> int:
    return await uc.withdraw_cancelled_order(uow, m, credit.now())


async def on_release(credit: Credit, uow: UnitOfWork, m: ReleaseCreditExposure) -> object:
    return await uc.release_exposure(uow, m, credit.now())


async def on_invoice(credit: Credit, uow: UnitOfWork, m: InvoiceIssued) -> bool:
    return await uc.post_invoice(uow, m, credit.now())


async def on_invoice_cancelled(credit: Credit, uow: UnitOfWork, m: InvoiceCancelled) -> bool:
    return await uc.cancel_invoice(uow, m)


async def on_credit_note(credit: Credit, uow: UnitOfWork, m: CreditNoteIssued) -> bool:
    return await uc.apply_credit_note(uow, m)


# Message type → use case: the table the consumer dispatches on.
USE_CASES: dict[type[Message], Use] = {
    CustomerApproved: on_customer,
    CustomerUpdated: on_customer,
    OrderConfirmed: on_order,
    OrderAmended: on_order,
    RecheckCredit: on_recheck,
    OrderCancelled: on_cancelled,
    ReleaseCreditExposure: on_release,
    InvoiceIssued: on_invoice,
    InvoiceCancelled: on_invoice_cancelled,
    CreditNoteIssued: on_credit_note,
}


def handlers(credit: Credit) -> dict[str, Handler]:
    return {kind.TYPE: _guarded(credit, use) for kind, use in USE_CASES.items()}
