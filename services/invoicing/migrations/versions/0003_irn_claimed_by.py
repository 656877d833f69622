"""an IRP claim names the process instance that holds it, so that instance takes it back when it restarts

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
    op.add_column("invoice", sa.Column("irn_claimed_by", sa.Text))
    op.add_column("credit_note", sa.Column("irn_claimed_by", sa.Text))


def downgrade() -> None:
    op.drop_column("credit_note", "irn_claimed_by")
    op.drop_column("invoice", "irn_claimed_by")
