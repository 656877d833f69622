"""dispatch: idempotent_request, the kit's stored answers keyed by caller, endpoint and Idempotency-Key
(trips: `trip.idempotency_key` is no longer written; keys were shared by every supervisor)

Revision ID: 0003
Revises: customer_scope
"""

from alembic import op
from o2c.kit.idempotency import TABLE_NAME, create_idempotency_table

revision = "0003"
down_revision = "customer_scope"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_table(op)


def downgrade() -> None:
    op.drop_table(TABLE_NAME)
