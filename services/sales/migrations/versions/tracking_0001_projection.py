"""tracking: the order timeline projection (its own branch: a read model beside sales' tables)

Revision ID: tracking_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "tracking_0001"
down_revision = None
branch_labels = ("tracking",)
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tracking_order",
        sa.Column("order_id", sa.Text(), nullable=False),
        sa.Column("order_no", sa.Text()),
        sa.Column("customer_id", sa.Text()),
        sa.Column("customer_name", sa.Text()),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("doc", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("confirmed_at", _TS),
        sa.Column("credit_held_at", _TS),
        sa.Column("credit_decided_at", _TS),
        sa.Column("settled_on", sa.Date()),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("order_id"),
    )
    op.create_index("ix_tracking_order_customer", "tracking_order", ["customer_id"])
    op.create_index("ix_tracking_order_confirmed", "tracking_order", ["confirmed_at"])
    op.create_table(
        "tracking_shipment",
        sa.Column("shipment_id", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Text(), nullable=False),
        sa.Column("warehouse_id", sa.Text()),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("released_at", _TS),
        sa.Column("committed_date", sa.Date()),
        sa.Column("dispatched_at", _TS),
        sa.Column("ewaybill_rejections", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("shipment_id"),
    )
    op.create_index("ix_tracking_shipment_order_id", "tracking_shipment", ["order_id"])
    op.create_index("ix_tracking_shipment_released", "tracking_shipment", ["released_at"])
    op.create_table(
        "tracking_term",
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("order_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("term", "order_id", "kind"),
    )
    op.create_index("ix_tracking_term_prefix", "tracking_term", ["term"], postgresql_ops={"term": "text_pattern_ops"})
    op.create_index("ix_tracking_term_order", "tracking_term", ["order_id"])
    op.create_table(
        "tracking_quotation",
        sa.Column("quotation_id", sa.Text(), nullable=False),
        sa.Column("quotation_no", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.Column("message", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("quotation_id"),
    )


def downgrade() -> None:
    op.drop_table("tracking_quotation")
    op.drop_table("tracking_term")
    op.drop_table("tracking_shipment")
    op.drop_table("tracking_order")
