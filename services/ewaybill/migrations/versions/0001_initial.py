"""e-way bill tables, thresholds seeded, and the kit's messaging tables

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from o2c.ewaybill.domain.seed import SEED_THRESHOLDS
from o2c.kit.messaging.schema import create_messaging_tables
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op)
    thresholds = op.create_table(
        "ewb_threshold",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("value_above", sa.Numeric(14, 2), nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("effective_to", sa.Date),
        sa.Column("state_code", sa.Text),
        sa.Column("movement", sa.Text),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.bulk_insert(thresholds, [
        {"value_above": row.value_above, "effective_from": row.effective_from, "effective_to": row.effective_to,
         "state_code": row.state_code, "movement": row.movement.value if row.movement else None,
         "note": "CGST Rule 138(1) seed"}
        for row in SEED_THRESHOLDS
    ])
    op.create_table(
        "ewaybill",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("invoice_id", sa.Text, nullable=False, unique=True),
        sa.Column("invoice_no", sa.Text, nullable=False),
        sa.Column("order_id", sa.Text, nullable=False, index=True),
        sa.Column("shipment_id", sa.Text, nullable=False, index=True),
        sa.Column("customer_id", sa.Text, nullable=False),
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
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "ewaybill_attempt",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("ewaybill_id", sa.Text, sa.ForeignKey("ewaybill.id"), nullable=False, index=True),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("request", JSONB, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("code", sa.Text),
        sa.Column("message", sa.Text),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("ewaybill_attempt")
    op.drop_table("ewaybill")
    op.drop_table("ewb_threshold")
