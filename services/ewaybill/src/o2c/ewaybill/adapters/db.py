"""The e-way bill service's tables (its own metadata) and the kit's messaging tables beside them."""

from __future__ import annotations

import sqlalchemy as sa
from o2c.kit.messaging.schema import messaging_tables
from o2c.kit.scope import customer_scope_table
from sqlalchemy.dialects.postgresql import JSONB

metadata = sa.MetaData()
messaging_tables(metadata)
customer_scope = customer_scope_table(metadata)  # owner and partners per customer (kit scope checks)

threshold = sa.Table(
    "ewb_threshold", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("value_above", sa.Numeric(14, 2), nullable=False),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("effective_to", sa.Date),
    sa.Column("state_code", sa.Text),
    sa.Column("movement", sa.Text),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    # Who ended the row (set effective_to through the API), when and why: the row itself is never edited else.
    sa.Column("ended_by", sa.Text),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
    sa.Column("end_reason", sa.Text),
)

ewaybill = sa.Table(
    "ewaybill", metadata,
    sa.Column("id", sa.Text, primary_key=True),
    # One e-way bill decision per invoice: a redelivered InvoiceIssued finds this row.
    sa.Column("invoice_id", sa.Text, nullable=False, unique=True),
    sa.Column("invoice_no", sa.Text, nullable=False),
    sa.Column("order_id", sa.Text, nullable=False, index=True),
    sa.Column("shipment_id", sa.Text, nullable=False, index=True),
    sa.Column("customer_id", sa.Text, nullable=False),
    # not_required | generated | rejected | cancelled
    sa.Column("status", sa.Text, nullable=False, index=True),
    sa.Column("consignment_value", sa.Numeric(14, 2), nullable=False),
    sa.Column("threshold", sa.Numeric(14, 2), nullable=False),
    sa.Column("movement", sa.Text, nullable=False),
    sa.Column("invoice", JSONB, nullable=False),
    sa.Column("transport", JSONB, nullable=False),
    sa.Column("ebn", sa.Text, unique=True),
    sa.Column("generated_at", sa.DateTime(timezone=True)),
    sa.Column("valid_until", sa.DateTime(timezone=True)),
    sa.Column("distance_km", sa.Integer),
    sa.Column("vehicle_type", sa.Text, nullable=False, server_default="R"),
    sa.Column("movements", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("rejection_code", sa.Text),
    sa.Column("rejection_message", sa.Text),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cancelled_at", sa.DateTime(timezone=True)),
    sa.Column("cancel_reason", sa.Text),
    sa.Column("cancel_remarks", sa.Text),
    sa.Column("extensions", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_refusal", sa.Text),
    sa.Column("invoice_cancelled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("replaced", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

attempt = sa.Table(
    "ewaybill_attempt", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("ewaybill_id", sa.Text, sa.ForeignKey("ewaybill.id"), nullable=False, index=True),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("request", JSONB, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("code", sa.Text),
    sa.Column("message", sa.Text),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)
