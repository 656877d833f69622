"""invoicing: a cancelled invoice's shipment can be invoiced again (one live invoice per shipment, not one
ever); an invoice knows its shipment was cancelled (never re-issued then) and keeps the ShipmentReady it was
issued from, so the accountant's re-issue starts from it

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("invoice_shipment_id_key", "invoice", type_="unique")
    op.create_index("invoice_live_per_shipment", "invoice", ["shipment_id"], unique=True,
                    postgresql_where=sa.text("cancelled_at IS NULL"))
    op.create_index("invoice_by_shipment", "invoice", ["shipment_id"])
    op.add_column("invoice", sa.Column("ready", JSONB(), nullable=True))
    op.add_column("invoice", sa.Column("shipment_cancelled", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("invoice", "shipment_cancelled")
    op.drop_column("invoice", "ready")
    op.drop_index("invoice_by_shipment", "invoice")
    op.drop_index("invoice_live_per_shipment", "invoice")
    op.create_unique_constraint("invoice_shipment_id_key", "invoice", ["shipment_id"])
