"""notify tables: contact replica, order references, outbox mail; the kit's messaging tables

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
    op.create_table(
        "customer_contact",
        sa.Column("customer_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("contacts", JSONB, nullable=False),
        sa.Column("language", sa.Text, nullable=False, server_default="en"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "order_ref",
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("order_no", sa.Text, nullable=False),
        sa.Column("customer_id", sa.Text, nullable=False),
        sa.Column("customer_name", sa.Text, nullable=False),
        sa.Column("contact", JSONB),
        sa.Column("item_names", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("notification_id", sa.Text, nullable=False, unique=True),
        sa.Column("delivery_key", sa.Text, nullable=False, unique=True),
        sa.Column("event_key", sa.Text, nullable=False, index=True),
        sa.Column("cause_message_id", sa.Text),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("customer_id", sa.Text, nullable=False, index=True),
        sa.Column("order_id", sa.Text, index=True),
        sa.Column("shipment_id", sa.Text),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("adapter", sa.Text, nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("notification")
    op.drop_table("order_ref")
    op.drop_table("customer_contact")
