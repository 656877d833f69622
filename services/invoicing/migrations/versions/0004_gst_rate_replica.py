"""the HSN rate table becomes a replica of sales' GST rate master (issue 16): each row keeps the version sales
published, and the rows this service seeded itself go (sales' master now holds that history and publishes it; the
replica is rebuilt by replaying the compacted rate topic)

Revision ID: 0004
Revises: customer_scope
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "customer_scope"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("hsn_rate", sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    op.execute("DELETE FROM hsn_rate")


def downgrade() -> None:
    op.drop_column("hsn_rate", "version")
