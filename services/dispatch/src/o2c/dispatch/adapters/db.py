"""Dispatch's tables, on the service's own registry (seven services share one test process).

A shipment row keeps the domain aggregate (pick list, confirmations, dispatch details, documents) as a
JSON document next to the release facts it came from, plus the columns that are searched or locked:
warehouse, status, work queue, pick-list status. Nothing is deleted: a cancellation is a state."""

from __future__ import annotations

import sqlalchemy as sa
from o2c.kit.idempotency import idempotency_table
from o2c.kit.messaging.schema import messaging_tables
from o2c.kit.scope import customer_scope_table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import SQLModel


class DispatchRecord(SQLModel, registry=registry()):
    pass


metadata = DispatchRecord.metadata
MESSAGING = messaging_tables(metadata)
customer_scope = customer_scope_table(metadata)  # owner and partners per customer (kit scope checks)
idempotent_request = idempotency_table(metadata)

document_seq = sa.Sequence("dispatch_document_seq", metadata=metadata)

shipment = sa.Table(
    "shipment", metadata,
    sa.Column("shipment_id", sa.Text, primary_key=True),
    sa.Column("shipment_no", sa.Text, nullable=False, unique=True),
    sa.Column("pick_list_id", sa.Text, nullable=False, unique=True),
    sa.Column("pick_list_no", sa.Text, nullable=False, unique=True),
    sa.Column("order_id", sa.Text, nullable=False, index=True),
    sa.Column("warehouse_id", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("queue", sa.Text, nullable=False),
    sa.Column("pick_list_status", sa.Text, nullable=False),
    sa.Column("release", JSONB, nullable=False),
    sa.Column("state", JSONB, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("shipment_warehouse_queue", "warehouse_id", "queue"),
    sa.Index("shipment_warehouse_status", "warehouse_id", "status"),
)

cancelled_unreleased = sa.Table(
    "cancelled_unreleased", metadata,
    sa.Column("shipment_id", sa.Text, primary_key=True),
    sa.Column("order_id", sa.Text, nullable=False),
    sa.Column("request_id", sa.Text, nullable=False),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=False),
)

trip = sa.Table(
    "trip", metadata,
    sa.Column("trip_id", sa.Text, primary_key=True),
    sa.Column("trip_no", sa.Text, nullable=False, unique=True),
    sa.Column("warehouse_id", sa.Text, nullable=False),
    sa.Column("details", JSONB, nullable=False),
    sa.Column("shipment_ids", JSONB, nullable=False),
    sa.Column("idempotency_key", sa.Text, unique=True),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
