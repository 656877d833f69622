"""sales: a price entry can be ended through the API, with who, when and why

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("price_entry", sa.Column("ended_by", sa.Text(), nullable=True))
    op.add_column("price_entry", sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("price_entry", sa.Column("end_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    for column in ("end_reason", "ended_at", "ended_by"):
        op.drop_column("price_entry", column)
