"""inventory: warehouses, bins, item replica, stock per warehouse x bin x batch, the movement ledger,
reservations and their allocations, issues, backorders, routing policies, command replies, returns;
and the kit's messaging tables

Revision ID: 0001
Revises:
"""

from alembic import op
from o2c.kit.messaging.schema import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The first revision creates the tables exactly as adapters/db.py declares them today (indexes and
    # constraints included); every later change to them is a new revision with explicit operations.
    from o2c.inventory.adapters.db import SERVICE_TABLES

    create_messaging_tables(op)
    bind = op.get_bind()
    for table in SERVICE_TABLES:
        table.create(bind)


def downgrade() -> None:
    from o2c.inventory.adapters.db import SERVICE_TABLES

    bind = op.get_bind()
    for table in reversed(SERVICE_TABLES):
        table.drop(bind)
