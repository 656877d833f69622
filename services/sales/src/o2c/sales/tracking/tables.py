"""Tracking tables: the durable copy of the order timeline, on their own MetaData (and Alembic branch
`tracking`), so the read model stays apart from the sales aggregates in the same database."""

from __future__ import annotations

import sqlalchemy as sa
from o2c.kit.messaging.schema import consumer_tables
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()

# The projection's own consumer group keeps its own inbox, dead letters and parked keys (kit ReadModel).
consumer_tables(metadata, "tracking_")

_TS = sa.DateTime(timezone=True)

tracking_order = sa.Table(
    "tracking_order", metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("order_no", sa.Text),
    sa.Column("customer_id", sa.Text),
    sa.Column("customer_name", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("doc", JSONB, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("confirmed_at", _TS),
    sa.Column("credit_held_at", _TS),
    sa.Column("credit_decided_at", _TS),
    sa.Column("settled_on", sa.Date),
    sa.Column("updated_at", _TS, nullable=False),
    sa.Index("ix_tracking_order_customer", "customer_id"),
    sa.Index("ix_tracking_order_confirmed", "confirmed_at"),
    # The orders of a quotation (a QuotationIssued arriving after its order): store.QUOTATION_OF_ORDER.
    sa.Index("ix_tracking_order_quotation", sa.text("(doc -> 'quotation' ->> 'quotation_id')")),
)

tracking_shipment = sa.Table(
    "tracking_shipment", metadata,
    sa.Column("shipment_id", sa.Text, primary_key=True),
    sa.Column("order_id", sa.Text, nullable=False, index=True),
    sa.Column("warehouse_id", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("released_at", _TS),
    sa.Column("committed_date", sa.Date),
    sa.Column("dispatched_at", _TS),
    sa.Column("ewaybill_rejections", sa.Integer, nullable=False, server_default="0"),
    sa.Index("ix_tracking_shipment_released", "released_at"),
)

tracking_term = sa.Table(
    "tracking_term", metadata,
    sa.Column("term", sa.Text, primary_key=True),
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Index("ix_tracking_term_prefix", "term", postgresql_ops={"term": "text_pattern_ops"}),
    sa.Index("ix_tracking_term_order", "order_id"),
)

tracking_quotation = sa.Table(
    "tracking_quotation", metadata,
    sa.Column("quotation_id", sa.Text, primary_key=True),
    sa.Column("quotation_no", sa.Text, nullable=False),
    sa.Column("customer_id", sa.Text, nullable=False),
    sa.Column("message", JSONB, nullable=False),
)
