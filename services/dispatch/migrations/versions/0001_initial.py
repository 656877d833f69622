"""dispatch: shipments with their pick lists, cancelled-before-release markers, document numbers, and the
kit's messaging tables

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from o2c.kit.messaging.schema import create_messaging_tables
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op)
    op.execute("CREATE SEQUENCE dispatch_document_seq")
    op.create_table(
        "shipment",
        sa.Column("shipment_id", sa.Text, primary_key=True),
        sa.Column("shipment_no", sa.Text, nullable=False, unique=True),
        sa.Column("pick_list_id", sa.Text, nullable=False, unique=True),
        sa.Column("pick_list_no", sa.Text, nullable=False, unique=True),
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("warehouse_id", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("queue", sa.Text, nullable=False),
        sa.Column("pick_list_status", sa.Text, nullable=False),
        sa.Column("release", JSONB, nullable=False),
        sa.Column("state", JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_shipment_order_id", "shipment", ["order_id"])
    op.create_index("shipment_warehouse_queue", "shipment", ["warehouse_id", "queue"])
    op.create_index("shipment_warehouse_status", "shipment", ["warehouse_id", "status"])
    op.create_table(
        "cancelled_unreleased",
        sa.Column("shipment_id", sa.Text, primary_key=True),
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("request_id", sa.Text, nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("cancelled_unreleased")
    op.drop_table("shipment")
    op.execute("DROP SEQUENCE dispatch_document_seq")
