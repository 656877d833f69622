"""inventory: idempotent_request, the kit's stored answers keyed by caller, endpoint and Idempotency-Key

Revision ID: 0002
Revises: customer_scope
"""

import sqlalchemy as sa
from alembic import op
from o2c.kit.idempotency import TABLE_NAME, create_idempotency_table
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "customer_scope"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_table(op)
    # Keys there belonged to nobody in particular (shared by every caller): not carried over.
    op.drop_table("http_request")


def downgrade() -> None:
    op.drop_table(TABLE_NAME)
    op.create_table(
        "http_request",
        sa.Column("idempotency_key", sa.Text(), primary_key=True),
        sa.Column("route", sa.Text(), nullable=False),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
