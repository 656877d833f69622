"""Whose customer is it: the partner and sales-owner scope, checked by every service on its own documents.

Which partners serve a customer and which sales owner owns it is customer-master data in sales. It travels
on CustomerApproved / CustomerUpdated, and every service that holds a customer's documents keeps a replica in
its own database (`customer_scope`, the highest revision wins; sales writes its copy with the customer).
A service never asks sales at request time: it checks the caller against its own replica.

- A customer login sees only its own customer (its `customer_id` claim; no replica needed).
- A partner token sees the customers whose `partner_ids` name its `partner_id`; without a partner id, none.
- A sales coordinator with a `sales_owner` claim sees the customers that owner holds.
- Every other internal role is not limited by customer; a token with no known role sees nothing.
A customer unknown to the replica is refused to a confined caller (fail closed while the replica catches up).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from o2c.contracts.envelope import Message
from o2c.contracts.v1.sales import CustomerApproved, CustomerUpdated
from o2c.kit.auth import Principal, Role
from o2c.kit.messaging.consumer import Handler, MessageContext, combine_handlers
from o2c.kit.policy import confinement
from o2c.kit.problems import Problem
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


def customer_scope_table(metadata: sa.MetaData) -> sa.Table:
    """Declare the replica on a service's metadata (as `messaging_tables` does for outbox and inbox)."""
    return sa.Table(
        "customer_scope", metadata,
        sa.Column("customer_id", sa.Text, primary_key=True),
        sa.Column("sales_owner", sa.Text),
        sa.Column("partner_ids", ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'::text[]")),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Index("customer_scope_owner", "sales_owner"),
        sa.Index("customer_scope_partners", "partner_ids", postgresql_using="gin"),
    )


def create_customer_scope_table(op: Any) -> None:
    """For a service's Alembic revision (`op` is alembic.op)."""
    customer_scope_table(sa.MetaData()).create(op.get_bind())


def drop_customer_scope_table(op: Any) -> None:
    op.drop_table("customer_scope")


SCOPE = customer_scope_table(sa.MetaData())
"""The replica as the kit's own code sees it."""


@dataclass(frozen=True, slots=True)
class CustomerScope:
    """Who may see one customer's documents besides internal staff."""

    customer_id: str
    sales_owner: str | None = None
    partner_ids: frozenset[str] = frozenset()


def may_see(p: Principal, customer_id: str, scope: CustomerScope | None) -> bool:
    """May this caller see customer `customer_id`'s documents, given the service's replica row (None: unknown)?"""
    reach = confinement(p)
    if reach.everyone or (reach.customer_id is not None and reach.customer_id == customer_id):
        return True
    if scope is None or scope.customer_id != customer_id:
        return False
    if reach.partner_id is not None and reach.partner_id in scope.partner_ids:
        return True
    return reach.sales_owner is not None and scope.sales_owner == reach.sales_owner


def ensure_may_see(p: Principal, customer_id: str, scope: CustomerScope | None) -> None:
    """`may_see` or a 403 problem saying why."""
    if may_see(p, customer_id, scope):
        return
    reach = confinement(p)
    if Role.PARTNER in p.roles and not reach.partner_id and not reach.customer_id:
        raise Problem(403, "Forbidden", "this partner token names no partner (partner_id claim)")
    if reach.partner_id:
        raise Problem(403, "Forbidden", f"partner {reach.partner_id} does not serve this customer")
    if reach.sales_owner:
        raise Problem(403, "Forbidden", "this customer belongs to another sales owner")
    raise Problem(403, "Forbidden", "this login may not see another customer's records")


Sessions = AsyncSession | async_sessionmaker[AsyncSession]


async def load_customer_scope(sessions: Sessions, customer_id: str) -> CustomerScope | None:
    """The replica's row for one customer."""
    stmt = sa.select(SCOPE.c.sales_owner, SCOPE.c.partner_ids).where(SCOPE.c.customer_id == customer_id)
    if isinstance(sessions, AsyncSession):
        row = (await sessions.execute(stmt)).first()
    else:
        async with sessions() as session:
            row = (await session.execute(stmt)).first()
    if row is None:
        return None
    return CustomerScope(customer_id, row.sales_owner, frozenset(row.partner_ids or ()))


async def ensure_customer_visible(sessions: Sessions, p: Principal, customer_id: str) -> None:
    """403 unless the caller may see this customer's documents; reads the replica only for a confined caller
    (partner, coordinator with a sales owner)."""
    reach = confinement(p)
    scope = await load_customer_scope(sessions, customer_id) if reach.needs_replica else None
    ensure_may_see(p, customer_id, scope)


def visible_customers(p: Principal, customer_id: Any) -> sa.ColumnElement[bool]:
    """A WHERE condition on a customer id column keeping only the rows of customers the caller may see."""
    reach = confinement(p)
    if reach.everyone:
        return sa.true()
    conditions: list[sa.ColumnElement[bool]] = []
    if reach.customer_id is not None:
        conditions.append(customer_id == reach.customer_id)
    if reach.partner_id is not None:
        conditions.append(customer_id.in_(
            sa.select(SCOPE.c.customer_id).where(SCOPE.c.partner_ids.contains([reach.partner_id]))))
    if reach.sales_owner is not None:
        conditions.append(customer_id.in_(
            sa.select(SCOPE.c.customer_id).where(SCOPE.c.sales_owner == reach.sales_owner)))
    return sa.or_(*conditions) if conditions else sa.false()


async def visible_customer_ids(sessions: Sessions, p: Principal, customer_ids: Iterable[str]) -> set[str]:
    """Of these customers, the ones the caller may see (for lists built in memory); one query at most."""
    wanted = set(customer_ids)
    reach = confinement(p)
    if reach.everyone or not wanted:
        return wanted
    stmt = sa.select(SCOPE.c.customer_id, SCOPE.c.sales_owner, SCOPE.c.partner_ids).where(
        SCOPE.c.customer_id.in_(sorted(wanted)))
    if isinstance(sessions, AsyncSession):
        rows = (await sessions.execute(stmt)).all()
    else:
        async with sessions() as session:
            rows = (await session.execute(stmt)).all()
    scopes = {r.customer_id: CustomerScope(r.customer_id, r.sales_owner, frozenset(r.partner_ids or ()))
              for r in rows}
    return {c for c in wanted if may_see(p, c, scopes.get(c))}


async def partner_serves(sessions: Sessions, partner_id: str, customer_id: str) -> bool:
    """Does partner `partner_id` serve customer `customer_id`, by this service's replica?"""
    scope = await load_customer_scope(sessions, customer_id)
    return bool(partner_id) and scope is not None and partner_id in scope.partner_ids


# --- keeping the replica ---------------------------------------------------------------------------


async def record_customer_scope(session: AsyncSession, customer_id: str, sales_owner: str | None,
                                partner_ids: Iterable[str], revision: int) -> None:
    """Upsert one customer's scope; an older revision than the one held changes nothing."""
    values: Mapping[str, Any] = {"customer_id": customer_id, "sales_owner": sales_owner,
                                 "partner_ids": sorted(set(partner_ids)), "revision": revision}
    stmt = pg_insert(SCOPE).values(**values)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[SCOPE.c.customer_id],
        set_={"sales_owner": stmt.excluded.sales_owner, "partner_ids": stmt.excluded.partner_ids,
              "revision": stmt.excluded.revision, "updated_at": sa.func.now()},
        where=SCOPE.c.revision <= stmt.excluded.revision,
    ))


async def _keep_scope(message: Message, ctx: MessageContext) -> None:
    if isinstance(message, CustomerApproved | CustomerUpdated):
        await record_customer_scope(ctx.session, message.customer_id, message.sales_owner, message.partner_ids,
                                    message.revision)


def customer_scope_handlers() -> dict[str, Handler]:
    """Add to a service's handlers with `combine_handlers`; the service must subscribe to sales' events."""
    return {CustomerApproved.TYPE: _keep_scope, CustomerUpdated.TYPE: _keep_scope}


def with_customer_scope(handlers: Mapping[str, Handler]) -> dict[str, Handler]:
    """A service's handlers plus the replica's, run in the same transaction and inbox entry."""
    return combine_handlers(handlers, customer_scope_handlers())
