"""credit: accounts (one locked row per customer), sanction requests, payments, receipt series; and the kit's
messaging tables

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from o2c.kit.messaging.schema import create_messaging_tables
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "credit_account",
        sa.Column("customer_id", sa.Text(), primary_key=True),
        sa.Column("customer_name", sa.Text(), nullable=False, server_default=""),
        sa.Column("master_revision", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("limit_set_by_finance", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("doc", postgresql.JSONB(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("updated_at", _TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "sanction_request",
        sa.Column("sanction_id", sa.Text(), primary_key=True),
        sa.Column("order_id", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("customer_name", sa.Text(), nullable=False, server_default=""),
        sa.Column("order_revision", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(16, 2), nullable=False),
        sa.Column("requested_at", _TS, nullable=False),
        sa.Column("escalation_due_at", _TS, nullable=False),
        sa.Column("escalated_at", _TS),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("decided_at", _TS),
        sa.Column("doc", postgresql.JSONB(), nullable=False),
    )
    op.create_index("ix_sanction_request_order_id", "sanction_request", ["order_id"])
    op.create_index("ix_sanction_request_customer_id", "sanction_request", ["customer_id"])
    op.create_index("sanction_queue", "sanction_request", ["status", "requested_at"])
    op.create_index("sanction_pending_deadlines", "sanction_request", ["expires_at", "escalation_due_at"],
                    postgresql_where=sa.text("status = 'pending'"))
    op.create_table(
        "payment",
        sa.Column("payment_id", sa.Text(), primary_key=True),
        sa.Column("receipt_no", sa.Text(), nullable=False, unique=True),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.Text(), unique=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", _TS, nullable=False),
        sa.Column("doc", postgresql.JSONB(), nullable=False),
    )
    op.create_index("ix_payment_customer_id", "payment", ["customer_id"])
    op.create_table(
        "document_series",
        sa.Column("series", sa.Text(), primary_key=True),
        sa.Column("last_number", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("document_series")
    op.drop_table("payment")
    op.drop_table("sanction_request")
    op.drop_table("credit_account")
