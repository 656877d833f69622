"""inventory: an index for an order's stock issues (loaded with its reservations on every pick and gate-out)

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("stock_issue_order", "stock_issue", ["order_id"])


def downgrade() -> None:
    op.drop_index("stock_issue_order", table_name="stock_issue")
