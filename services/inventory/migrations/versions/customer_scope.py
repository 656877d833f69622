"""customer_scope: each customer's sales owner and serving partners, for the kit's data-scope checks
(inventory replicates it from CustomerApproved / CustomerUpdated)

Revision ID: customer_scope
Revises: 0001
"""

from alembic import op
from o2c.kit.scope import create_customer_scope_table, drop_customer_scope_table

revision = "customer_scope"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_customer_scope_table(op)


def downgrade() -> None:
    drop_customer_scope_table(op)
