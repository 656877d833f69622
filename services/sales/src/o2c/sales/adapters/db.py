"""Sales tables on sales' own registry, with the kit's messaging tables (outbox, inbox, dead letters).

Aggregates are rows: the columns that are searched, locked or unique are real columns; nested structure
(addresses, lines, revisions, saga rounds) is JSONB written by `adapters.codec`.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from o2c.kit.idempotency import idempotency_table
from o2c.kit.messaging.schema import messaging_tables
from o2c.kit.scope import customer_scope_table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry

sales_registry = registry()
metadata = sales_registry.metadata
messaging_tables(metadata)
customer_scope = customer_scope_table(metadata)
"""Owner and partners per customer, written with the customer: the kit's scope checks read it in sales too."""
idempotent_request = idempotency_table(metadata)

_TS = sa.DateTime(timezone=True)

customer = sa.Table(
    "customer", metadata,
    sa.Column("customer_id", sa.Text, primary_key=True),
    sa.Column("code", sa.Text, nullable=False, unique=True),
    sa.Column("legal_name", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("sales_owner", sa.Text, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("doc", JSONB, nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
)

customer_audit = sa.Table(
    "customer_audit", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("customer_id", sa.Text, sa.ForeignKey("customer.customer_id"), nullable=False, index=True),
    sa.Column("who", sa.Text, nullable=False),
    sa.Column("at", _TS, nullable=False),
    sa.Column("field", sa.Text, nullable=False),
    sa.Column("before", sa.Text),
    sa.Column("after", sa.Text),
)

item = sa.Table(
    "item", metadata,
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("hsn", sa.Text, nullable=False),
    sa.Column("unit", sa.Text, nullable=False),
    sa.Column("product_line", sa.Text, nullable=False),
    sa.Column("batch_tracked", sa.Boolean, nullable=False),
    sa.Column("stocked", sa.Boolean, nullable=False),
    sa.Column("lead_time_days", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
)

gst_rate = sa.Table(
    "gst_rate", metadata,
    sa.Column("hsn_prefix", sa.Text, primary_key=True),
    sa.Column("effective_from", sa.Date, primary_key=True),
    sa.Column("rate", sa.Numeric(6, 3), nullable=False),
    sa.Column("cess_rate", sa.Numeric(6, 3), nullable=False, server_default="0"),
    sa.Column("effective_to", sa.Date),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("published_version", sa.Integer, nullable=False, server_default="0"),
)

price_list = sa.Table(
    "price_list", metadata,
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
)

price_entry = sa.Table(
    "price_entry", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("price_list_code", sa.Text, sa.ForeignKey("price_list.code"), nullable=False),
    sa.Column("item_code", sa.Text, nullable=False),
    sa.Column("customer_id", sa.Text),
    sa.Column("unit_price", sa.Numeric(14, 2), nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_to", sa.Date),
    # Set when a price is ended through the API (valid_to moved earlier): who, when and why.
    sa.Column("ended_by", sa.Text),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
    sa.Column("end_reason", sa.Text),
    sa.Index("price_entry_lookup", "price_list_code", "item_code", "customer_id"),
)

scheme = sa.Table(
    "scheme", metadata,
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_to", sa.Date, nullable=False),
    sa.Column("doc", JSONB, nullable=False),
)

SEQUENCED_SERIES = frozenset({"QTN", "SO"})
"""Series numbered from a PostgreSQL sequence per series and financial year: no lock between two placements, and
a number may be skipped (a rolled-back placement). Neither is a GST document (those keep gap-free series in
invoicing); other sales series keep the gap-free `document_series` counter."""


def series_sequence(prefix: str, financial_year: int) -> str:
    """The sequence of one series in one financial year, e.g. `document_no_so_2026`."""
    return f"document_no_{re.sub(r'[^a-z0-9]', '_', prefix.lower())}_{financial_year}"


document_series = sa.Table(
    "document_series", metadata,
    sa.Column("prefix", sa.Text, primary_key=True),
    sa.Column("financial_year", sa.Integer, primary_key=True),
    sa.Column("last_issued", sa.Integer, nullable=False),
)

quotation = sa.Table(
    "quotation", metadata,
    sa.Column("quotation_id", sa.Text, primary_key=True),
    sa.Column("number", sa.Text, nullable=False, unique=True),
    sa.Column("customer_id", sa.Text, sa.ForeignKey("customer.customer_id"), nullable=False, index=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("doc", JSONB, nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
)

sales_order = sa.Table(
    "sales_order", metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("number", sa.Text, nullable=False, unique=True),
    sa.Column("customer_id", sa.Text, sa.ForeignKey("customer.customer_id"), nullable=False, index=True),
    sa.Column("quotation_id", sa.Text, unique=True),
    sa.Column("idempotency_key", sa.Text, unique=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("gross_value", sa.Numeric(16, 2), nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("doc", JSONB, nullable=False),
    sa.Column("created_at", _TS, nullable=False),
    sa.Column("updated_at", _TS, nullable=False),
)

order_line = sa.Table(
    "order_line", metadata,
    sa.Column("order_id", sa.Text, sa.ForeignKey("sales_order.order_id"), primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    sa.Column("item_code", sa.Text, nullable=False),
    sa.Column("quantity", sa.Numeric(16, 3), nullable=False),
    sa.Column("unit", sa.Text, nullable=False),
    sa.Column("taxable_value", sa.Numeric(16, 2), nullable=False),
    sa.Column("gross_value", sa.Numeric(16, 2), nullable=False),
    sa.Column("committed_date", sa.Date, nullable=False),
)

order_saga = sa.Table(
    "order_saga", metadata,
    sa.Column("order_id", sa.Text, sa.ForeignKey("sales_order.order_id"), primary_key=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("state", JSONB, nullable=False),
    # Facts the decisions need beyond the pure saga: inventory's allocations per round, invoice numbers.
    sa.Column("allocations", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("invoice_nos", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("exceptions", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("waiting_for", sa.Text, nullable=False, server_default=""),
    sa.Column("next_check_at", _TS),
    sa.Column("updated_at", _TS, nullable=False),
    sa.Index("order_saga_due", "next_check_at", postgresql_where=sa.text("next_check_at IS NOT NULL")),
)

saga_command = sa.Table(
    "saga_command", metadata,
    sa.Column("request_id", sa.Text, primary_key=True),
    sa.Column("order_id", sa.Text, nullable=False, index=True),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("payload", JSONB, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
    sa.Column("first_sent_at", _TS, nullable=False),
    sa.Column("last_sent_at", _TS, nullable=False),
    sa.Column("replied_at", _TS),
    sa.Index("saga_command_open", "last_sent_at", postgresql_where=sa.text("replied_at IS NULL")),
)

return_authorisation = sa.Table(
    "return_authorisation", metadata,
    sa.Column("return_id", sa.Text, primary_key=True),
    sa.Column("return_no", sa.Text, nullable=False, unique=True),
    sa.Column("order_id", sa.Text, sa.ForeignKey("sales_order.order_id"), nullable=False, index=True),
    sa.Column("customer_id", sa.Text, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("doc", JSONB, nullable=False),
    sa.Column("created_at", _TS, nullable=False),
)

parked_elsewhere = sa.Table(
    # Keys another service's consumer holds behind a dead letter (its KeyParked / KeyReleased notices): the
    # order page and the saga exceptions show them beside sales' own parked keys.
    "parked_elsewhere", metadata,
    sa.Column("service", sa.Text, primary_key=True),
    sa.Column("topic", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("dead_letter_id", sa.BigInteger, nullable=False),
    sa.Column("message_type", sa.Text),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("parked_at", _TS, nullable=False),
    sa.Index("parked_elsewhere_key", "key"),
)
