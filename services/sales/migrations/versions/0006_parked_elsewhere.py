"""sales: keys parked in other services (their KeyParked / KeyReleased notices), for the order page and the
saga exceptions

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parked_elsewhere",
        sa.Column("service", sa.Text, primary_key=True),
        sa.Column("topic", sa.Text, primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("dead_letter_id", sa.BigInteger, nullable=False),
        sa.Column("message_type", sa.Text),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("parked_elsewhere_key", "parked_elsewhere", ["key"])


def downgrade() -> None:
    op.drop_table("parked_elsewhere")
