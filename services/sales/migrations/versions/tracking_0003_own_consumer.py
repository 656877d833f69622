"""tracking: the projection's own consumer group — its inbox, dead letters and parked keys

The tracking read model used to run in the saga's transaction (one inbox entry per message for both). It now
consumes as group `<group>.tracking` with its own tables; the messages the shared consumer already handled are
copied into its inbox, so the new group (starting from the earliest offsets) skips them instead of folding them
twice. Open tracking dead letters stay where they were (the saga's), nothing is moved back on downgrade.

Revision ID: tracking_0003
Revises: tracking_0002
"""

from alembic import op
from o2c.kit.messaging.schema import create_consumer_tables

revision = "tracking_0003"
down_revision = "tracking_0002"
branch_labels = None
depends_on = "0001"  # the inbox it copies from is sales' own (main branch)


def upgrade() -> None:
    create_consumer_tables(op, "tracking_")
    op.execute('INSERT INTO tracking_inbox (message_id, topic, partition, "offset", type, processed_at) '
               'SELECT message_id, topic, partition, "offset", type, processed_at FROM inbox '
               "ON CONFLICT (message_id) DO NOTHING")


def downgrade() -> None:
    for table in ("tracking_parked_key", "tracking_dead_letter", "tracking_inbox"):
        op.drop_table(table)
