"""Notify's tables (its own metadata): the contact replica, order references, and the outbox mail —
every message sent, one row per event, kind, channel and recipient (delivery_key unique)."""

from __future__ import annotations

import sqlalchemy as sa
from o2c.kit.messaging.schema import messaging_tables
from o2c.kit.scope import customer_scope_table
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()
messaging_tables(metadata)
customer_scope = customer_scope_table(metadata)  # owner and partners per customer (kit scope checks)

customer_contact = sa.Table(
    "customer_contact", metadata,
    sa.Column("customer_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("contacts", JSONB, nullable=False),
    sa.Column("language", sa.Text, nullable=False, server_default="en"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

order_ref = sa.Table(
    "order_ref", metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("order_no", sa.Text, nullable=False),
    sa.Column("customer_id", sa.Text, nullable=False),
    sa.Column("customer_name", sa.Text, nullable=False),
    sa.Column("contact", JSONB),
    sa.Column("item_names", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
)

notification = sa.Table(
    "notification", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("notification_id", sa.Text, nullable=False, unique=True),
    sa.Column("delivery_key", sa.Text, nullable=False, unique=True),
    sa.Column("event_key", sa.Text, nullable=False, index=True),
    sa.Column("cause_message_id", sa.Text),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("channel", sa.Text, nullable=False),
    sa.Column("recipient", sa.Text, nullable=False),
    sa.Column("customer_id", sa.Text, nullable=False, index=True),
    sa.Column("order_id", sa.Text, index=True),
    sa.Column("shipment_id", sa.Text),
    sa.Column("language", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    # delivered | failed
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("adapter", sa.Text, nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

webhook_subscription = sa.Table(
    "webhook_subscription", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("subscription_id", sa.Text, nullable=False, unique=True),
    sa.Column("url", sa.Text, nullable=False),
    # NULL: every customer's notifications (SRE only)
    sa.Column("customer_id", sa.Text, index=True),
    # partner:<partner id> or sre: who may list, rotate and remove it
    sa.Column("owner", sa.Text, nullable=False, index=True),
    sa.Column("partner_id", sa.Text),
    # the signing secret sealed with O2C_NOTIFY_WEBHOOK_SECRETS_KEY (never returned after creation or rotation);
    # NULL once removed
    sa.Column("secret_sealed", sa.Text),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("secret_rotated_at", sa.DateTime(timezone=True)),
    # the secret a rotation replaced, sealed likewise: it signs beside the new one until previous_secret_until
    sa.Column("previous_secret_sealed", sa.Text),
    sa.Column("previous_secret_until", sa.DateTime(timezone=True)),
    sa.Column("removed_at", sa.DateTime(timezone=True)),
    sa.Column("removed_by", sa.Text),
    sa.CheckConstraint("NOT active OR secret_sealed IS NOT NULL", name="ck_webhook_subscription_secret"),
    sa.Index("uq_webhook_subscription_owner_url_customer", "owner", "url", sa.text("coalesce(customer_id, '')"),
             unique=True, postgresql_where=sa.text("active")),
)

webhook_delivery = sa.Table(
    "webhook_delivery", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("delivery_id", sa.Text, nullable=False, unique=True),
    # event key + kind + subscription: the same event is posted once to each subscription
    sa.Column("delivery_key", sa.Text, nullable=False, unique=True),
    sa.Column("event_key", sa.Text, nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    # the subscription whose secret signs it (NULL: queued before per-subscription secrets, never sent)
    sa.Column("subscription_id", sa.Text, index=True),
    sa.Column("customer_id", sa.Text, nullable=False),
    sa.Column("order_id", sa.Text),
    sa.Column("payload", JSONB, nullable=False),
    # pending | delivered | dead
    sa.Column("status", sa.Text, nullable=False, index=True),
    sa.Column("attempt_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("attempts", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("delivered_at", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
