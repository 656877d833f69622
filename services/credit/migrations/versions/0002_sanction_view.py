"""sanction_request.view: the finance queue's rendered entry, written with the request (the queue page reads it
as JSON text, without decoding 500 documents per page)

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows written before this revision have no view: the queue renders those from `doc` on read.
    op.add_column("sanction_request", sa.Column("view", postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("sanction_request", "view")
