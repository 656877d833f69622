"""Notify's tables, as SQLModel table models on its own registry: the contact replica, order references, and the
outbox mail — every message sent, one row per event, kind, channel and recipient (delivery_key unique).

The models declare the schema (tests/test_models_match_migrations.py holds them to the migrations); queries use
the module-level tables (`notification = NotificationRow.__table__`) with SQLAlchemy Core."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from o2c.kit.messaging.schema import messaging_tables
from o2c.kit.scope import customer_scope_table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class NotifyRecord(SQLModel, registry=registry()):
    """The base of notify's table models: its own registry and metadata."""

    __table__: ClassVar[sa.Table]  # set on each table model by SQLAlchemy's declarative mapping


metadata = NotifyRecord.metadata
messaging_tables(metadata)
customer_scope = customer_scope_table(metadata)  # owner and partners per customer (kit scope checks)

_TS = sa.DateTime(timezone=True)


class CustomerContactRow(NotifyRecord, table=True):
    __tablename__ = "customer_contact"
    customer_id: str = Field(primary_key=True, sa_type=sa.Text)
    name: str = Field(sa_type=sa.Text)
    revision: int
    contacts: list[dict[str, Any]] = Field(sa_type=JSONB)
    language: str = Field(sa_type=sa.Text, sa_column_kwargs={"server_default": "en"})
    active: bool = Field(sa_column_kwargs={"server_default": sa.true()})
    updated_at: datetime = Field(sa_type=_TS, sa_column_kwargs={"server_default": sa.func.now()})


class OrderRefRow(NotifyRecord, table=True):
    __tablename__ = "order_ref"
    order_id: str = Field(primary_key=True, sa_type=sa.Text)
    order_no: str = Field(sa_type=sa.Text)
    customer_id: str = Field(sa_type=sa.Text)
    customer_name: str = Field(sa_type=sa.Text)
    contact: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    item_names: dict[str, str] = Field(sa_type=JSONB, sa_column_kwargs={"server_default": sa.text("'{}'::jsonb")})


class NotificationRow(NotifyRecord, table=True):
    __tablename__ = "notification"
    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger, sa_column_args=[sa.Identity()])
    notification_id: str = Field(unique=True, sa_type=sa.Text)
    delivery_key: str = Field(unique=True, sa_type=sa.Text)
    event_key: str = Field(index=True, sa_type=sa.Text)
    cause_message_id: str | None = Field(default=None, sa_type=sa.Text)
    kind: str = Field(sa_type=sa.Text)
    channel: str = Field(sa_type=sa.Text)
    recipient: str = Field(sa_type=sa.Text)
    customer_id: str = Field(index=True, sa_type=sa.Text)
    order_id: str | None = Field(default=None, index=True, sa_type=sa.Text)
    shipment_id: str | None = Field(default=None, sa_type=sa.Text)
    language: str = Field(sa_type=sa.Text)
    subject: str = Field(sa_type=sa.Text)
    body: str = Field(sa_type=sa.Text)
    # delivered | failed
    status: str = Field(sa_type=sa.Text)
    adapter: str = Field(sa_type=sa.Text)
    detail: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(sa_type=_TS, sa_column_kwargs={"server_default": sa.func.now()})


class WebhookSubscriptionRow(NotifyRecord, table=True):
    __tablename__ = "webhook_subscription"
    __table_args__ = (
        sa.CheckConstraint("NOT active OR secret_sealed IS NOT NULL", name="ck_webhook_subscription_secret"),
        sa.Index("uq_webhook_subscription_owner_url_customer", "owner", "url", sa.text("coalesce(customer_id, '')"),
                 unique=True, postgresql_where=sa.text("active")),
    )
    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger, sa_column_args=[sa.Identity()])
    subscription_id: str = Field(unique=True, sa_type=sa.Text)
    url: str = Field(sa_type=sa.Text)
    # NULL: every customer's notifications (SRE only)
    customer_id: str | None = Field(default=None, index=True, sa_type=sa.Text)
    # partner:<partner id> or sre: who may list, rotate and remove it
    owner: str = Field(index=True, sa_type=sa.Text)
    partner_id: str | None = Field(default=None, sa_type=sa.Text)
    # the signing secret sealed with O2C_NOTIFY_WEBHOOK_SECRETS_KEY (never returned after creation or rotation);
    # NULL once removed
    secret_sealed: str | None = Field(default=None, sa_type=sa.Text)
    created_by: str = Field(sa_type=sa.Text)
    active: bool = Field(sa_column_kwargs={"server_default": sa.true()})
    created_at: datetime = Field(sa_type=_TS, sa_column_kwargs={"server_default": sa.func.now()})
    secret_rotated_at: datetime | None = Field(default=None, sa_type=_TS)
    # the secret a rotation replaced, sealed likewise: it signs beside the new one until previous_secret_until
    previous_secret_sealed: str | None = Field(default=None, sa_type=sa.Text)
    previous_secret_until: datetime | None = Field(default=None, sa_type=_TS)
    removed_at: datetime | None = Field(default=None, sa_type=_TS)
    removed_by: str | None = Field(default=None, sa_type=sa.Text)


class WebhookDeliveryRow(NotifyRecord, table=True):
    __tablename__ = "webhook_delivery"
    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger, sa_column_args=[sa.Identity()])
    delivery_id: str = Field(unique=True, sa_type=sa.Text)
    # event key + kind + subscription: the same event is posted once to each subscription
    delivery_key: str = Field(unique=True, sa_type=sa.Text)
    event_key: str = Field(index=True, sa_type=sa.Text)
    kind: str = Field(sa_type=sa.Text)
    url: str = Field(sa_type=sa.Text)
    # the subscription whose secret signs it (NULL: queued before per-subscription secrets, never sent)
    subscription_id: str | None = Field(default=None, index=True, sa_type=sa.Text)
    customer_id: str = Field(sa_type=sa.Text)
    order_id: str | None = Field(default=None, sa_type=sa.Text)
    payload: dict[str, Any] = Field(sa_type=JSONB)
    # pending | delivered | dead
    status: str = Field(index=True, sa_type=sa.Text)
    attempt_count: int = Field(sa_column_kwargs={"server_default": "0"})
    attempts: list[dict[str, Any]] = Field(sa_type=JSONB, sa_column_kwargs={"server_default": sa.text("'[]'::jsonb")})
    next_attempt_at: datetime = Field(sa_type=_TS, sa_column_kwargs={"server_default": sa.func.now()})
    delivered_at: datetime | None = Field(default=None, sa_type=_TS)
    created_at: datetime = Field(sa_type=_TS, sa_column_kwargs={"server_default": sa.func.now()})


customer_contact = CustomerContactRow.__table__
order_ref = OrderRefRow.__table__
notification = NotificationRow.__table__
webhook_subscription = WebhookSubscriptionRow.__table__
webhook_delivery = WebhookDeliveryRow.__table__
