"""notify webhooks: subscriptions owned by a partner (or SRE), each with its own sealed secret, removable;
deliveries name their subscription. Subscriptions made before this had no secret of their own: they are
deactivated (their owners subscribe again and receive a secret), and their pending deliveries end dead.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("webhook_subscription", sa.Column("owner", sa.Text))
    op.add_column("webhook_subscription", sa.Column("partner_id", sa.Text))
    op.add_column("webhook_subscription", sa.Column("secret_sealed", sa.Text))
    op.add_column("webhook_subscription", sa.Column("secret_rotated_at", sa.DateTime(timezone=True)))
    op.add_column("webhook_subscription", sa.Column("removed_at", sa.DateTime(timezone=True)))
    op.add_column("webhook_subscription", sa.Column("removed_by", sa.Text))
    op.execute("UPDATE webhook_subscription SET owner = 'legacy:' || created_by, active = false, "
               "removed_at = now(), removed_by = 'migration 0003'")
    op.alter_column("webhook_subscription", "owner", nullable=False)
    op.create_index("ix_webhook_subscription_owner", "webhook_subscription", ["owner"])
    op.drop_constraint("uq_webhook_subscription_url_customer", "webhook_subscription", type_="unique")
    op.create_index("uq_webhook_subscription_owner_url_customer", "webhook_subscription",
                    ["owner", "url", sa.text("coalesce(customer_id, '')")], unique=True,
                    postgresql_where=sa.text("active"))
    op.create_check_constraint("ck_webhook_subscription_secret", "webhook_subscription",
                               "NOT active OR secret_sealed IS NOT NULL")
    op.add_column("webhook_delivery", sa.Column("subscription_id", sa.Text))
    op.create_index("ix_webhook_delivery_subscription_id", "webhook_delivery", ["subscription_id"])
    op.execute("UPDATE webhook_delivery SET status = 'dead' WHERE status = 'pending'")


def downgrade() -> None:
    op.drop_index("ix_webhook_delivery_subscription_id", "webhook_delivery")
    op.drop_column("webhook_delivery", "subscription_id")
    op.drop_constraint("ck_webhook_subscription_secret", "webhook_subscription", type_="check")
    op.drop_index("uq_webhook_subscription_owner_url_customer", "webhook_subscription")
    op.execute("DELETE FROM webhook_subscription WHERE NOT active")
    op.create_unique_constraint("uq_webhook_subscription_url_customer", "webhook_subscription",
                                ["url", "customer_id"])
    op.drop_index("ix_webhook_subscription_owner", "webhook_subscription")
    for column in ("removed_by", "removed_at", "secret_rotated_at", "secret_sealed", "partner_id", "owner"):
        op.drop_column("webhook_subscription", column)
