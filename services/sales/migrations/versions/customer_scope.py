"""customer_scope: each customer's sales owner and serving partners, for the kit's data-scope checks
(sales keeps it with the customer master, written in the same transaction as each change)

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
    # Customers registered before this revision: their owner from the master row, no partners yet.
    op.execute("INSERT INTO customer_scope (customer_id, sales_owner, partner_ids, revision) "
               "SELECT customer_id, sales_owner, '{}', revision FROM customer ON CONFLICT DO NOTHING")


def downgrade() -> None:
    drop_customer_scope_table(op)
