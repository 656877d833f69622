"""dispatch: trips (one vehicle, several shipments of one warehouse, details entered once)

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trip",
        sa.Column("trip_id", sa.Text, primary_key=True),
        sa.Column("trip_no", sa.Text, nullable=False, unique=True),
        sa.Column("warehouse_id", sa.Text, nullable=False),
        sa.Column("details", JSONB, nullable=False),
        sa.Column("shipment_ids", JSONB, nullable=False),
        sa.Column("idempotency_key", sa.Text, unique=True),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("trip")
