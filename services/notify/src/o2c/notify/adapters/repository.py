"""Notify's replicas and the mail sent, in PostgreSQL on the caller's session (SQLAlchemy Core on the table
models' tables): the `Customers`, `Orders` and `Notifications` ports."""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from o2c.kit.auth import Principal
from o2c.kit.scope import visible_customers
from o2c.notify.adapters.db import customer_contact, notification, order_ref
from o2c.notify.service_layer.ports import ContactPoint, CustomerContacts, OrderRef, OutgoingMail
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

_MAIL_FIELDS = [f.name for f in dataclasses.fields(OutgoingMail)]


def _point(data: dict[str, Any]) -> ContactPoint:
    return ContactPoint(name=data.get("name", ""), email=data.get("email"), phone=data.get("phone"),
                        channels=tuple(data.get("channels", ())))


def _json(point: ContactPoint) -> dict[str, Any]:
    return {"name": point.name, "email": point.email, "phone": point.phone, "channels": list(point.channels)}


def _mail(row: Any) -> OutgoingMail:
    return OutgoingMail(**{name: row._mapping[name] for name in _MAIL_FIELDS})


class SqlCustomers:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, customer_id: str) -> CustomerContacts | None:
        row = (await self.session.execute(
            sa.select(customer_contact).where(customer_contact.c.customer_id == customer_id))).first()
        if row is None:
            return None
        return CustomerContacts(customer_id=row.customer_id, name=row.name,
                                contacts=tuple(_point(c) for c in row.contacts), language=row.language,
                                revision=row.revision, active=row.active)

    async def keep(self, customer: CustomerContacts) -> None:
        values = {"customer_id": customer.customer_id, "name": customer.name, "revision": customer.revision,
                  "contacts": [_json(c) for c in customer.contacts], "language": customer.language,
                  "active": customer.active}
        insert = pg_insert(customer_contact).values(**values)
        await self.session.execute(insert.on_conflict_do_update(
            index_elements=["customer_id"],
            set_={**{k: insert.excluded[k] for k in values if k != "customer_id"}, "updated_at": sa.func.now()},
            where=customer_contact.c.revision <= insert.excluded.revision,
        ))


class SqlOrders:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, order_id: str) -> OrderRef | None:
        row = (await self.session.execute(sa.select(order_ref).where(order_ref.c.order_id == order_id))).first()
        if row is None:
            return None
        return OrderRef(order_id=row.order_id, order_no=row.order_no, customer_id=row.customer_id,
                        customer_name=row.customer_name, contact=_point(row.contact) if row.contact else None,
                        item_names=dict(row.item_names or {}))

    async def keep(self, order: OrderRef) -> None:
        values = {"order_id": order.order_id, "order_no": order.order_no, "customer_id": order.customer_id,
                  "customer_name": order.customer_name, "contact": _json(order.contact) if order.contact else None,
                  "item_names": order.item_names}
        insert = pg_insert(order_ref).values(**values)
        await self.session.execute(insert.on_conflict_do_update(
            index_elements=["order_id"], set_={k: insert.excluded[k] for k in values if k != "order_id"}))


class SqlNotifications:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, mail: OutgoingMail) -> bool:
        values = dataclasses.asdict(mail)
        values.pop("created_at")
        inserted = await self.session.execute(
            pg_insert(notification).values(**values).on_conflict_do_nothing(index_elements=["delivery_key"])
            .returning(notification.c.id))
        return inserted.first() is not None

    async def mark(self, mail: OutgoingMail) -> None:
        await self.session.execute(sa.update(notification).where(
            notification.c.notification_id == mail.notification_id).values(
            status=mail.status, adapter=mail.adapter, detail=mail.detail))

    async def get(self, notification_id: str) -> OutgoingMail | None:
        row = (await self.session.execute(notification.select().where(
            notification.c.notification_id == notification_id))).first()
        return _mail(row) if row is not None else None

    async def find(self, *, order_id: str | None = None, customer_id: str | None = None, limit: int = 200,
                   viewer: Principal | None = None) -> list[OutgoingMail]:
        query = sa.select(notification).order_by(notification.c.id).limit(limit)
        if viewer is not None:
            query = query.where(visible_customers(viewer, notification.c.customer_id))
        if order_id:
            query = query.where(notification.c.order_id == order_id)
        if customer_id:
            query = query.where(notification.c.customer_id == customer_id)
        return [_mail(row) for row in await self.session.execute(query)]

    async def customers_of_order(self, order_id: str) -> set[str]:
        rows = await self.session.execute(
            sa.select(notification.c.customer_id).where(notification.c.order_id == order_id).distinct())
        found = {r[0] for r in rows}
        order = await SqlOrders(self.session).get(order_id)
        return found | ({order.customer_id} if order else set())
