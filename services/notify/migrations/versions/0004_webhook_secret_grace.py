"""notify webhooks: a rotated-out signing secret keeps signing (beside the new one) until its grace window ends,
so a partner can rotate without a gap in verified deliveries.

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
    op.add_column("webhook_subscription", sa.Column("previous_secret_sealed", sa.Text))
    op.add_column("webhook_subscription", sa.Column("previous_secret_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("webhook_subscription", "previous_secret_until")
    op.drop_column("webhook_subscription", "previous_secret_sealed")
