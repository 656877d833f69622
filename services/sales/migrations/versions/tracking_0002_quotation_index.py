"""tracking: the orders of a quotation found by index, not by reading every tracked order's document

Revision ID: tracking_0002
Revises: tracking_0001
"""

from alembic import op

revision = "tracking_0002"
down_revision = "tracking_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_tracking_order_quotation ON tracking_order "
               "((doc -> 'quotation' ->> 'quotation_id'))")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_tracking_order_quotation")
