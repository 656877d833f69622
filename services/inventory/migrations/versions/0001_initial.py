"""inventory: warehouses, bins, item replica, stock per warehouse x bin x batch, the movement ledger,
reservations and their allocations, issues, backorders, routing policies, command replies, returns;
and the kit's messaging tables

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from o2c.kit.messaging.schema import create_messaging_tables
from sqlalchemy.dialects import postgresql

JSONB = postgresql.JSONB(astext_type=sa.Text())
EMPTY = sa.text("'{}'::jsonb")
OPEN = sa.text("status = 'open'")

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table('backorder',
        sa.Column('order_id', sa.Text(), nullable=False),
        sa.Column('line_no', sa.Integer(), nullable=False),
        sa.Column('item_code', sa.Text(), nullable=False),
        sa.Column('quantity', sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column('filled', JSONB, server_default=EMPTY, nullable=False),
        sa.Column('remaining', sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expected_date', sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint('order_id', 'line_no')
    )
    op.create_index('backorder_open', 'backorder', ['item_code', 'confirmed_at'], unique=False, postgresql_where=OPEN)
    op.create_table('command_reply',
        sa.Column('request_id', sa.Text(), nullable=False),
        sa.Column('command', sa.Text(), nullable=False),
        sa.Column('order_id', sa.Text(), nullable=False),
        sa.Column('reply_type', sa.Text(), nullable=False),
        sa.Column('reply', JSONB, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('request_id')
    )
    op.create_table('http_request',
        sa.Column('idempotency_key', sa.Text(), nullable=False),
        sa.Column('route', sa.Text(), nullable=False),
        sa.Column('response', JSONB, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('idempotency_key')
    )
    op.create_table('item',
        sa.Column('item_code', sa.Text(), nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('hsn', sa.Text(), nullable=False),
        sa.Column('unit', sa.Text(), nullable=False),
        sa.Column('product_line', sa.Text(), server_default='', nullable=False),
        sa.Column('batch_tracked', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('shelf_life_days', sa.Integer(), nullable=True),
        sa.Column('stocked', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('lead_time_days', sa.Integer(), server_default='0', nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('item_code')
    )
    op.create_table('order_allocation',
        sa.Column('order_id', sa.Text(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Text(), nullable=False),
        sa.Column('ship_to_pincode', sa.Text(), nullable=False),
        sa.Column('ship_to_state', sa.Text(), nullable=False),
        sa.Column('strategy', sa.Text(), nullable=False),
        sa.Column('outcome', sa.Text(), nullable=False),
        sa.Column('lines', JSONB, nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('order_id')
    )
    op.create_table('reservation',
        sa.Column('order_id', sa.Text(), nullable=False),
        sa.Column('line_no', sa.Integer(), nullable=False),
        sa.Column('warehouse_id', sa.Text(), nullable=False),
        sa.Column('item_code', sa.Text(), nullable=False),
        sa.Column('requested', sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column('reserved', sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column('released', sa.Numeric(precision=18, scale=3), server_default='0', nullable=False),
        sa.Column('issued', sa.Numeric(precision=18, scale=3), server_default='0', nullable=False),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('handled', JSONB, server_default=EMPTY, nullable=False),
        sa.Column('short_picks', JSONB, server_default=EMPTY, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('order_id', 'line_no', 'warehouse_id')
    )
    op.create_index('reservation_open', 'reservation', ['warehouse_id', 'item_code'], unique=False,
                    postgresql_where=OPEN)
    op.create_table('return_authorisation',
        sa.Column('return_id', sa.Text(), nullable=False),
        sa.Column('order_id', sa.Text(), nullable=False),
        sa.Column('warehouse_id', sa.Text(), nullable=False),
        sa.Column('payload', JSONB, nullable=False),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('return_id')
    )
    op.create_table('routing_policy',
        sa.Column('scope', sa.Text(), nullable=False),
        sa.Column('strategy', sa.Text(), nullable=False),
        sa.Column('km_per_day', sa.Numeric(precision=9, scale=2), nullable=False),
        sa.Column('handling_days', JSONB, server_default=EMPTY, nullable=False),
        sa.Column('updated_by', sa.Text(), server_default='', nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('scope')
    )
    op.create_table('stock_issue',
        sa.Column('shipment_id', sa.Text(), nullable=False),
        sa.Column('order_id', sa.Text(), nullable=False),
        sa.Column('line_no', sa.Integer(), nullable=False),
        sa.Column('warehouse_id', sa.Text(), nullable=False),
        sa.Column('item_code', sa.Text(), nullable=False),
        sa.Column('allocations', JSONB, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('shipment_id', 'order_id', 'line_no')
    )
    op.create_table('stock_movement',
        sa.Column('movement_id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('warehouse_id', sa.Text(), nullable=False),
        sa.Column('item_code', sa.Text(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('movement_type', sa.Text(), nullable=False),
        sa.Column('quantity', sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column('deltas', JSONB, nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reference', sa.Text(), server_default='', nullable=False),
        sa.Column('reason', sa.Text(), server_default='', nullable=False),
        sa.Column('actor', sa.Text(), server_default='', nullable=False),
        sa.PrimaryKeyConstraint('movement_id'),
        sa.UniqueConstraint('warehouse_id', 'item_code', 'seq', name='stock_movement_seq')
    )
    op.create_table('warehouse',
        sa.Column('warehouse_id', sa.Text(), nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('line1', sa.Text(), server_default='', nullable=False),
        sa.Column('place', sa.Text(), server_default='', nullable=False),
        sa.Column('district', sa.Text(), server_default='', nullable=False),
        sa.Column('state_code', sa.Text(), nullable=False),
        sa.Column('pincode', sa.Text(), nullable=False),
        sa.Column('gstin', sa.Text(), nullable=False),
        sa.Column('latitude', sa.Numeric(precision=9, scale=5), nullable=True),
        sa.Column('longitude', sa.Numeric(precision=9, scale=5), nullable=True),
        sa.Column('coordinates_source', sa.Text(), server_default='none', nullable=False),
        sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('warehouse_id')
    )
    op.create_table('bin',
        sa.Column('warehouse_id', sa.Text(), nullable=False),
        sa.Column('bin_code', sa.Text(), nullable=False),
        sa.Column('kind', sa.Text(), nullable=False),
        sa.Column('walk_seq', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.warehouse_id'], ),
        sa.PrimaryKeyConstraint('warehouse_id', 'bin_code')
    )
    op.create_table('item_stock',
        sa.Column('warehouse_id', sa.Text(), nullable=False),
        sa.Column('item_code', sa.Text(), nullable=False),
        sa.Column('safety_stock', sa.Numeric(precision=18, scale=3), server_default='0', nullable=False),
        sa.Column('ledger_seq', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['warehouse_id'], ['warehouse.warehouse_id'], ),
        sa.PrimaryKeyConstraint('warehouse_id', 'item_code')
    )
    op.create_index('item_stock_item', 'item_stock', ['item_code'], unique=False)
    op.create_table('reservation_allocation',
        sa.Column('order_id', sa.Text(), nullable=False),
        sa.Column('line_no', sa.Integer(), nullable=False),
        sa.Column('warehouse_id', sa.Text(), nullable=False),
        sa.Column('bin_code', sa.Text(), nullable=False),
        sa.Column('batch_key', sa.Text(), nullable=False),
        sa.Column('item_code', sa.Text(), nullable=False),
        sa.Column('batch_no', sa.Text(), nullable=True),
        sa.Column('expiry_date', sa.Date(), nullable=True),
        sa.Column('quantity', sa.Numeric(precision=18, scale=3), nullable=False),
        sa.ForeignKeyConstraint(['order_id', 'line_no', 'warehouse_id'],
                                ['reservation.order_id', 'reservation.line_no', 'reservation.warehouse_id'], ),
        sa.PrimaryKeyConstraint('order_id', 'line_no', 'warehouse_id', 'bin_code', 'batch_key')
    )
    op.create_index('reservation_allocation_item', 'reservation_allocation', ['item_code', 'warehouse_id'],
                    unique=False)
    op.create_table('stock_balance',
        sa.Column('warehouse_id', sa.Text(), nullable=False),
        sa.Column('item_code', sa.Text(), nullable=False),
        sa.Column('bin_code', sa.Text(), nullable=False),
        sa.Column('batch_key', sa.Text(), nullable=False),
        sa.Column('bin_kind', sa.Text(), nullable=False),
        sa.Column('batch_no', sa.Text(), nullable=True),
        sa.Column('expiry_date', sa.Date(), nullable=True),
        sa.Column('manufactured_on', sa.Date(), nullable=True),
        sa.Column('confirmed', sa.Numeric(precision=18, scale=3), server_default='0', nullable=False),
        sa.Column('expected', sa.Numeric(precision=18, scale=3), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['warehouse_id', 'item_code'], ['item_stock.warehouse_id', 'item_stock.item_code'], ),
        sa.PrimaryKeyConstraint('warehouse_id', 'item_code', 'bin_code', 'batch_key')
    )
    op.create_index('stock_balance_item', 'stock_balance', ['item_code', 'warehouse_id'], unique=False)


def downgrade() -> None:
    op.drop_table('stock_balance')
    op.drop_table('reservation_allocation')
    op.drop_table('item_stock')
    op.drop_table('bin')
    op.drop_table('warehouse')
    op.drop_table('stock_movement')
    op.drop_table('stock_issue')
    op.drop_table('routing_policy')
    op.drop_table('return_authorisation')
    op.drop_table('reservation')
    op.drop_table('order_allocation')
    op.drop_table('item')
    op.drop_table('http_request')
    op.drop_table('command_reply')
    op.drop_table('backorder')
