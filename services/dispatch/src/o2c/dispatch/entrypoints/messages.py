"""Handlers of what dispatch consumes: releases (sales events), CancelPickList (dispatch commands), the
invoice, its IRN outcomes and its cancellation (invoicing events) and the e-way bill verdicts and
cancellations (ewaybill events); each document change keeps the ready-for-gate list in step.

Each runs inside the consumer's batch transaction (the kit's inbox makes it run once per message id) and calls
one use case on a unit of work in that transaction (`bootstrap.Dispatch.handling`), whose messages go to the
outbox as caused by the message in hand. A rule that can never pass (a domain refusal, an unknown shipment)
becomes a PermanentError: dead-lettered with the reason, its order parked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from o2c.contracts.envelope import Message
from o2c.contracts.v1.ewaybill import EwayBillCancelled, EwayBillGenerated, EwayBillNotRequired, EwayBillRejected
from o2c.contracts.v1.invoicing import InvoiceCancelled, InvoiceIssued, IrnRegistered, IrnRejected
from o2c.contracts.v1.sales import CancelPickList, OrderReleased
from o2c.dispatch.bootstrap import Dispatch
from o2c.dispatch.domain import DispatchError
from o2c.dispatch.service_layer import use_cases
from o2c.dispatch.service_layer.errors import UnknownShipment
from o2c.dispatch.service_layer.ports import UnitOfWork
from o2c.kit.messaging.consumer import Handler, MessageContext
from o2c.kit.messaging.errors import PermanentError

Use = Callable[[UnitOfWork, Any, datetime], Awaitable[object]]

# Message type → use case: the table the consumer dispatches on.
USE_CASES: dict[type[Message], Use] = {
    OrderReleased: use_cases.issue_pick_lists,
    CancelPickList: use_cases.cancel_pick_lists,
    InvoiceIssued: use_cases.record_invoice,
    IrnRejected: use_cases.record_irn_rejected,
    IrnRegistered: use_cases.record_irn_registered,
    EwayBillGenerated: use_cases.record_ewaybill,
    EwayBillNotRequired: use_cases.record_ewaybill_not_required,
    EwayBillRejected: use_cases.record_ewaybill_rejected,
    EwayBillCancelled: use_cases.record_ewaybill_cancelled,
    InvoiceCancelled: use_cases.record_invoice_cancelled,
}


def _guarded(dispatch: Dispatch, kind: type[Message], use: Use) -> Handler:
    """The use case on a unit of work in the batch's transaction; a refusal is permanent."""
    async def handle(message: Message, ctx: MessageContext) -> None:
        try:
            async with dispatch.handling(ctx) as uow:
                await use(uow, message, dispatch.now())
        except (DispatchError, UnknownShipment) as exc:
            about = getattr(message, "shipment_id", None) or getattr(message, "order_id", "?")
            raise PermanentError(f"{kind.__name__} for {about}: {exc}") from exc
    return handle


def handlers(dispatch: Dispatch) -> dict[str, Handler]:
    return {kind.TYPE: _guarded(dispatch, kind, use) for kind, use in USE_CASES.items()}
