"""sales: idempotent_request, the kit's stored answers keyed by caller, endpoint and Idempotency-Key

Revision ID: 0002
Revises: customer_scope
"""

from alembic import op
from o2c.kit.idempotency import TABLE_NAME, create_idempotency_table

revision = "0002"
down_revision = "customer_scope"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_table(op)


def downgrade() -> None:
    op.drop_table(TABLE_NAME)
