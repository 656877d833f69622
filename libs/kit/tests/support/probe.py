"""A probe pair for the kit's own tests: a `sales` side that takes HTTP requests and emits through the
outbox, and a `credit` side that consumes and records each effect. Real contracts, real stack.

Run as a process: `python -m o2c.testsupport.kit.probe serve sales|credit` (settings from O2C_* environment).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends
from o2c.contracts.envelope import Message
from o2c.contracts.v1.credit import CreditRejected, RejectionReason
from o2c.contracts.v1.sales import CancellationReason, OrderCancelled
from o2c.kit.auth import Principal, Role, require
from o2c.kit.messaging.consumer import MessageContext
from o2c.kit.messaging.errors import PermanentError
from o2c.kit.messaging.schema import messaging_tables
from o2c.kit.service import Runtime, ServiceDefinition
from pydantic import BaseModel, Field
from sqlalchemy import select

metadata = sa.MetaData()
messaging_tables(metadata)
effect = sa.Table(
    "effect", metadata,
    sa.Column("seq", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("message_id", sa.Text, nullable=False),
    sa.Column("order_id", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
)
order_note = sa.Table(
    "order_note", metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("customer_id", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
)
VERSIONS = Path(__file__).parent / "probe_migrations"

# Tests flip this to "fix the bug" before replaying a dead letter.
POISON_ACTIVE = {"on": True}
# Notes that deadlocked once already ("deadlock-once..." fails the first time it is handled).
DEADLOCKED: set[str] = set()


class CancelRequest(BaseModel):
    order_id: str = Field(min_length=1, max_length=40)
    customer_id: str = Field(min_length=1, max_length=40)
    note: str = Field(default="", max_length=200)


def sales_routers(rt: Runtime) -> list[APIRouter]:
    router = APIRouter()

    @router.post("/probe/cancellations", status_code=201)
    async def cancel(
        body: CancelRequest, who: Annotated[Principal, Depends(require(Role.SALES_COORDINATOR))]
    ) -> dict[str, Any]:
        who.ensure_customer(body.customer_id)
        async with rt.sessions() as session, session.begin():
            await session.execute(order_note.insert().values(**body.model_dump()))
            env = await rt.outbox.add(session, OrderCancelled(
                order_id=body.order_id, order_no=body.order_id, customer_id=body.customer_id,
                reason=CancellationReason.CUSTOMER_REQUEST, note=body.note, cancelled_at=datetime.now(UTC),
            ))
        return {"message_id": str(env.message_id)}

    @router.get("/probe/customers/{customer_id}/notes")
    async def notes(customer_id: str, who: Annotated[Principal, Depends(require(Role.CUSTOMER, Role.SALES_COORDINATOR))]
                    ) -> list[str]:
        who.ensure_customer(customer_id)
        async with rt.sessions() as session:
            rows = await session.execute(select(order_note.c.note).where(order_note.c.customer_id == customer_id))
            return [r[0] for r in rows]

    return [router]


def credit_handlers(rt: Runtime) -> dict[str, Any]:
    async def record_cancellation(message: Message, ctx: MessageContext) -> None:
        assert isinstance(message, OrderCancelled)
        if message.note.startswith(("publish", "deadlock")):
            # A consequence goes to the outbox first: the failure below must roll it back with the rest.
            await ctx.publish(CreditRejected(
                order_id=message.order_id, customer_id=message.customer_id, decided_at=datetime.now(UTC),
                reason=RejectionReason.CUSTOMER_BLOCKED, note=message.note,
            ))
        if message.note.startswith("deadlock-once") and message.note not in DEADLOCKED:
            DEADLOCKED.add(message.note)
            # A real deadlock_detected from PostgreSQL (SQLSTATE 40P01), raised after the outbox write.
            await ctx.session.execute(sa.text(
                "DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END $$"))
        if message.note.startswith(("poison", "publish-poison")) and POISON_ACTIVE["on"]:
            raise PermanentError(f"cannot handle note {message.note!r}")
        await ctx.session.execute(effect.insert().values(
            message_id=str(ctx.envelope.message_id), order_id=message.order_id, note=message.note))

    return {"OrderCancelled": record_cancellation}


def definition(side: str) -> ServiceDefinition:
    from o2c.contracts.topics import events_topic

    if side == "sales":
        return ServiceDefinition(name="sales", title="probe sales", http_port=8191, metadata=metadata,
                                 versions_dir=VERSIONS, routers=sales_routers)
    return ServiceDefinition(name="credit", title="probe credit", http_port=8192, metadata=metadata,
                             versions_dir=VERSIONS, handlers=credit_handlers,
                             subscribes_to=[events_topic("sales")])


if __name__ == "__main__":
    from o2c.kit.service import main

    main(definition(sys.argv[2]), [sys.argv[1]])
