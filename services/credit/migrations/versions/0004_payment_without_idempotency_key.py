"""credit: payment loses idempotency_key, never written (a repeated POST /payments is answered from the kit's
idempotent_request, keyed by caller, endpoint and Idempotency-Key, since revision 0003)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("payment", "idempotency_key")  # its unique constraint goes with it


def downgrade() -> None:
    op.add_column("payment", sa.Column("idempotency_key", sa.Text(), unique=True))
