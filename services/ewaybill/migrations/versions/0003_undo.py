"""ewaybill: a bill remembers that its invoice was cancelled (never generated anew for it) and the bills it
replaced for the same invoice (cancelled, then generated anew)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ewaybill", sa.Column("invoice_cancelled", sa.Boolean(), nullable=False,
                                        server_default=sa.false()))
    op.add_column("ewaybill", sa.Column("replaced", JSONB(), nullable=False, server_default=sa.text("'[]'::jsonb")))


def downgrade() -> None:
    op.drop_column("ewaybill", "replaced")
    op.drop_column("ewaybill", "invoice_cancelled")
