"""sales: customers with audit, catalog (items, GST rates, price lists, schemes), document series,
quotations, orders with lines, the order saga and its commands, returns; and the kit's messaging tables

Revision ID: 0001
Revises:
"""

from datetime import date

import sqlalchemy as sa
from alembic import op
from o2c.kit.messaging.schema import create_messaging_tables
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# GST rates are data with an effective date (docs/domain.md, "GST rates"): a general 18 % per HSN chapter since
# GST began, and the 5 % chapters that matter to a distributor's catalogue; a sales head adds more over the API.
_GENERAL = "18"
_FIVE_PERCENT = ("0401", "0402", "0405", "0406", "0901", "0902", "1006", "1101", "1701", "1904", "2106", "3401")


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "customer",
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("legal_name", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("sales_owner", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("doc", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "document_series",
        sa.Column("prefix", sa.Text(), nullable=False),
        sa.Column("financial_year", sa.Integer(), nullable=False),
        sa.Column("last_issued", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", "financial_year"),
    )
    op.create_table(
        "gst_rate",
        sa.Column("hsn_prefix", sa.Text(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=6, scale=3), nullable=False),
        sa.Column("cess_rate", sa.Numeric(precision=6, scale=3), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("hsn_prefix", "effective_from"),
    )
    op.create_table(
        "item",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("hsn", sa.Text(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("product_line", sa.Text(), nullable=False),
        sa.Column("batch_tracked", sa.Boolean(), nullable=False),
        sa.Column("stocked", sa.Boolean(), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "price_list",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "saga_command",
        sa.Column("request_id", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="1", nullable=False),
        sa.Column("first_sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("request_id"),
    )
    op.create_index(op.f("ix_saga_command_order_id"), "saga_command", ["order_id"], unique=False)
    op.create_index(
        "saga_command_open",
        "saga_command",
        ["last_sent_at"],
        unique=False,
        postgresql_where=sa.text("replied_at IS NULL"),
    )
    op.create_table(
        "scheme",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("doc", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "customer_audit",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("who", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.customer_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_customer_audit_customer_id"), "customer_audit", ["customer_id"], unique=False)
    op.create_table(
        "price_entry",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("price_list_code", sa.Text(), nullable=False),
        sa.Column("item_code", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=True),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["price_list_code"],
            ["price_list.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("price_entry_lookup", "price_entry", ["price_list_code", "item_code", "customer_id"], unique=False)
    op.create_table(
        "quotation",
        sa.Column("quotation_id", sa.Text(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("doc", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.customer_id"],
        ),
        sa.PrimaryKeyConstraint("quotation_id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index(op.f("ix_quotation_customer_id"), "quotation", ["customer_id"], unique=False)
    op.create_table(
        "sales_order",
        sa.Column("order_id", sa.Text(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("quotation_id", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("gross_value", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("doc", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.customer_id"],
        ),
        sa.PrimaryKeyConstraint("order_id"),
        sa.UniqueConstraint("idempotency_key"),
        sa.UniqueConstraint("number"),
        sa.UniqueConstraint("quotation_id"),
    )
    op.create_index(op.f("ix_sales_order_customer_id"), "sales_order", ["customer_id"], unique=False)
    op.create_table(
        "order_line",
        sa.Column("order_id", sa.Text(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=16, scale=3), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("taxable_value", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("gross_value", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("committed_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_order.order_id"],
        ),
        sa.PrimaryKeyConstraint("order_id", "line_no"),
    )
    op.create_table(
        "order_saga",
        sa.Column("order_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "allocations",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "invoice_nos",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "exceptions", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False
        ),
        sa.Column("waiting_for", sa.Text(), server_default="", nullable=False),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_order.order_id"],
        ),
        sa.PrimaryKeyConstraint("order_id"),
    )
    op.create_index(
        "order_saga_due",
        "order_saga",
        ["next_check_at"],
        unique=False,
        postgresql_where=sa.text("next_check_at IS NOT NULL"),
    )
    op.create_table(
        "return_authorisation",
        sa.Column("return_id", sa.Text(), nullable=False),
        sa.Column("return_no", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("doc", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_order.order_id"],
        ),
        sa.PrimaryKeyConstraint("return_id"),
        sa.UniqueConstraint("return_no"),
    )
    op.create_index(op.f("ix_return_authorisation_order_id"), "return_authorisation", ["order_id"], unique=False)

    rates = sa.table(
        "gst_rate",
        sa.column("hsn_prefix", sa.Text),
        sa.column("effective_from", sa.Date),
        sa.column("rate", sa.Numeric),
        sa.column("cess_rate", sa.Numeric),
    )
    gst_start, reform = date(2017, 7, 1), date(2025, 9, 22)
    rows = [
        {"hsn_prefix": f"{ch:02d}", "effective_from": gst_start, "rate": _GENERAL, "cess_rate": "0"}
        for ch in range(1, 100)
    ]
    rows += [{"hsn_prefix": p, "effective_from": reform, "rate": "5", "cess_rate": "0"} for p in _FIVE_PERCENT]
    op.bulk_insert(rates, rows)


def downgrade() -> None:
    for name in (
        "return_authorisation",
        "order_saga",
        "order_line",
        "sales_order",
        "quotation",
        "price_entry",
        "customer_audit",
        "scheme",
        "saga_command",
        "price_list",
        "item",
        "gst_rate",
        "document_series",
        "customer",
    ):
        op.drop_table(name)
