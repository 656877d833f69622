"""bench tables and the kit's messaging tables

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from o2c.kit.messaging.schema import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "effect",
        sa.Column("message_id", sa.Text, primary_key=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "handled_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("clock_timestamp()")
        ),
    )


def downgrade() -> None:
    op.drop_table("effect")
