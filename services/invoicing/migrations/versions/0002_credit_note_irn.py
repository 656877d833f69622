"""credit notes to registered buyers are e-invoices too (document type CRN): their IRN state

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("credit_note", sa.Column("irn_status", sa.Text, nullable=False, server_default="not_required"))
    op.add_column("credit_note", sa.Column("irn", JSONB))
    op.add_column("credit_note", sa.Column("irn_error_code", sa.Text))
    op.add_column("credit_note", sa.Column("irn_error_message", sa.Text))
    op.add_column("credit_note", sa.Column("irn_claimed_at", sa.DateTime(timezone=True)))
    op.create_index("credit_note_irn_pending", "credit_note", ["id"],
                    postgresql_where=sa.text("irn_status IN ('pending', 'registering')"))


def downgrade() -> None:
    op.drop_index("credit_note_irn_pending", "credit_note")
    for column in ("irn_claimed_at", "irn_error_message", "irn_error_code", "irn", "irn_status"):
        op.drop_column("credit_note", column)
