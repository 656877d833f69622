"""inventory: stock transfers between warehouses (delivery challans, branch transfers), the transfer price list,
receipts against purchase orders, and the gap-free document series they are numbered in

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSONB = postgresql.JSONB(astext_type=sa.Text())

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('document_series',
        sa.Column('gstin', sa.Text(), nullable=False),
        sa.Column('prefix', sa.Text(), nullable=False),
        sa.Column('financial_year', sa.Text(), nullable=False),
        sa.Column('last_no', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('gstin', 'prefix', 'financial_year')
    )
    op.create_table('stock_transfer',
        sa.Column('transfer_id', sa.Text(), nullable=False),
        sa.Column('transfer_no', sa.Text(), nullable=False),
        sa.Column('from_gstin', sa.Text(), nullable=False),
        sa.Column('kind', sa.Text(), nullable=False),
        sa.Column('from_warehouse_id', sa.Text(), nullable=False),
        sa.Column('to_warehouse_id', sa.Text(), nullable=False),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('lines', JSONB, nullable=False),
        sa.Column('facts', JSONB, nullable=False),
        sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('dispatched_by', sa.Text(), server_default='', nullable=False),
        sa.Column('expected_arrival', sa.Date(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('received_by', sa.Text(), server_default='', nullable=False),
        sa.ForeignKeyConstraint(['from_warehouse_id'], ['warehouse.warehouse_id']),
        sa.ForeignKeyConstraint(['to_warehouse_id'], ['warehouse.warehouse_id']),
        sa.PrimaryKeyConstraint('transfer_id'),
        sa.UniqueConstraint('transfer_no', 'from_gstin', name='stock_transfer_no')
    )
    op.create_index('stock_transfer_in_transit', 'stock_transfer', ['to_warehouse_id'], unique=False,
                    postgresql_where=sa.text("status = 'in_transit'"))
    op.create_table('transfer_price',
        sa.Column('item_code', sa.Text(), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('effective_to', sa.Date(), nullable=True),
        sa.Column('unit_price', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('set_by', sa.Text(), server_default='', nullable=False),
        sa.Column('set_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('item_code', 'effective_from')
    )
    op.create_table('purchase_receipt',
        sa.Column('receipt_id', sa.Text(), nullable=False),
        sa.Column('receipt_no', sa.Text(), nullable=False),
        sa.Column('warehouse_id', sa.Text(), nullable=False),
        sa.Column('supplier_gstin', sa.Text(), nullable=True),
        sa.Column('supplier_name', sa.Text(), nullable=False),
        sa.Column('po_no', sa.Text(), nullable=False),
        sa.Column('po_date', sa.Date(), nullable=False),
        sa.Column('lines', JSONB, nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('received_by', sa.Text(), server_default='', nullable=False),
        sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.warehouse_id']),
        sa.PrimaryKeyConstraint('receipt_id')
    )
    op.create_index('purchase_receipt_po', 'purchase_receipt', ['po_no'], unique=False)


def downgrade() -> None:
    op.drop_index('purchase_receipt_po', table_name='purchase_receipt')
    op.drop_table('purchase_receipt')
    op.drop_table('transfer_price')
    op.drop_index('stock_transfer_in_transit', table_name='stock_transfer')
    op.drop_table('stock_transfer')
    op.drop_table('document_series')
