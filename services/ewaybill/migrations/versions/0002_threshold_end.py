"""ewaybill: a threshold row can be ended (effective_to set through the API), with who, when and why

Revision ID: 0002
Revises: customer_scope
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "customer_scope"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ewb_threshold", sa.Column("ended_by", sa.Text(), nullable=True))
    op.add_column("ewb_threshold", sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("ewb_threshold", sa.Column("end_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    for column in ("end_reason", "ended_at", "ended_by"):
        op.drop_column("ewb_threshold", column)
