"""Inventory's tables, on its own registry (so seven services can share one test process).

- `item_stock` is the lock row of one item at one warehouse: every change to that item's stock or
  reservations there locks it FOR UPDATE first, always in (warehouse, item) order, so two orders can
  never be promised the same units and two transactions never deadlock on each other.
- `stock_balance` holds confirmed and expected quantities per warehouse × item × bin × batch;
  `stock_movement` is the ledger: every movement with its exact deltas per location.
- `reservation` is unique per (order, line, warehouse); its `reservation_allocation` rows say which bin
  and batch hold the units (unique per batch and bin as well), so repeating a reservation changes nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from o2c.kit.idempotency import idempotency_table
from o2c.kit.messaging.schema import messaging_tables
from o2c.kit.scope import customer_scope_table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import SQLModel

QTY = sa.Numeric(18, 3)
NO_BATCH = ""  # batch key of untracked items (a primary key column cannot be NULL)


class InventoryRecord(SQLModel, registry=registry()):
    pass


metadata = InventoryRecord.metadata
messaging_tables(metadata)
customer_scope = customer_scope_table(metadata)  # owner and partners per customer (kit scope checks)
idempotent_request = idempotency_table(metadata)

warehouse = sa.Table(
    "warehouse", metadata,
    sa.Column("warehouse_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("line1", sa.Text, nullable=False, server_default=""),
    sa.Column("place", sa.Text, nullable=False, server_default=""),
    sa.Column("district", sa.Text, nullable=False, server_default=""),
    sa.Column("state_code", sa.Text, nullable=False),
    sa.Column("pincode", sa.Text, nullable=False),
    sa.Column("gstin", sa.Text, nullable=False),
    sa.Column("latitude", sa.Numeric(9, 5)),
    sa.Column("longitude", sa.Numeric(9, 5)),
    sa.Column("coordinates_source", sa.Text, nullable=False, server_default="none"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

bin_table = sa.Table(
    "bin", metadata,
    sa.Column("warehouse_id", sa.Text, sa.ForeignKey("warehouse.warehouse_id"), primary_key=True),
    sa.Column("bin_code", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("walk_seq", sa.Integer, nullable=False, server_default="0"),
)

item = sa.Table(
    "item", metadata,
    sa.Column("item_code", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("hsn", sa.Text, nullable=False),
    sa.Column("unit", sa.Text, nullable=False),
    sa.Column("product_line", sa.Text, nullable=False, server_default=""),
    sa.Column("batch_tracked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("shelf_life_days", sa.Integer),
    sa.Column("stocked", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("lead_time_days", sa.Integer, nullable=False, server_default="0"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("revision", sa.Integer, nullable=False),
)

item_stock = sa.Table(
    "item_stock", metadata,
    sa.Column("warehouse_id", sa.Text, sa.ForeignKey("warehouse.warehouse_id"), primary_key=True),
    sa.Column("item_code", sa.Text, primary_key=True),
    sa.Column("safety_stock", QTY, nullable=False, server_default="0"),
    sa.Column("ledger_seq", sa.Integer, nullable=False, server_default="0"),
    sa.Index("item_stock_item", "item_code"),
)

stock_balance = sa.Table(
    "stock_balance", metadata,
    sa.Column("warehouse_id", sa.Text, primary_key=True),
    sa.Column("item_code", sa.Text, primary_key=True),
    sa.Column("bin_code", sa.Text, primary_key=True),
    sa.Column("batch_key", sa.Text, primary_key=True),
    sa.Column("bin_kind", sa.Text, nullable=False),
    sa.Column("batch_no", sa.Text),
    sa.Column("expiry_date", sa.Date),
    sa.Column("manufactured_on", sa.Date),
    sa.Column("confirmed", QTY, nullable=False, server_default="0"),
    sa.Column("expected", QTY, nullable=False, server_default="0"),
    sa.ForeignKeyConstraint(["warehouse_id", "item_code"], ["item_stock.warehouse_id", "item_stock.item_code"]),
    sa.Index("stock_balance_item", "item_code", "warehouse_id"),
)

stock_movement = sa.Table(
    "stock_movement", metadata,
    sa.Column("movement_id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("warehouse_id", sa.Text, nullable=False),
    sa.Column("item_code", sa.Text, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("movement_type", sa.Text, nullable=False),
    sa.Column("quantity", QTY, nullable=False),
    sa.Column("deltas", JSONB, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reference", sa.Text, nullable=False, server_default=""),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("actor", sa.Text, nullable=False, server_default=""),
    sa.UniqueConstraint("warehouse_id", "item_code", "seq", name="stock_movement_seq"),
)

reservation = sa.Table(
    "reservation", metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    sa.Column("warehouse_id", sa.Text, primary_key=True),
    sa.Column("item_code", sa.Text, nullable=False),
    sa.Column("requested", QTY, nullable=False),
    sa.Column("reserved", QTY, nullable=False),
    sa.Column("released", QTY, nullable=False, server_default="0"),
    sa.Column("issued", QTY, nullable=False, server_default="0"),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("handled", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("short_picks", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("reservation_open", "warehouse_id", "item_code", postgresql_where=sa.text("status = 'open'")),
)

reservation_allocation = sa.Table(
    "reservation_allocation", metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    sa.Column("warehouse_id", sa.Text, primary_key=True),
    sa.Column("bin_code", sa.Text, primary_key=True),
    sa.Column("batch_key", sa.Text, primary_key=True),
    sa.Column("item_code", sa.Text, nullable=False),
    sa.Column("batch_no", sa.Text),
    sa.Column("expiry_date", sa.Date),
    sa.Column("quantity", QTY, nullable=False),
    sa.ForeignKeyConstraint(["order_id", "line_no", "warehouse_id"],
                            ["reservation.order_id", "reservation.line_no", "reservation.warehouse_id"]),
    sa.Index("reservation_allocation_item", "item_code", "warehouse_id"),
)

stock_issue = sa.Table(
    "stock_issue", metadata,
    sa.Column("shipment_id", sa.Text, primary_key=True),
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    sa.Column("warehouse_id", sa.Text, nullable=False),
    sa.Column("item_code", sa.Text, nullable=False),
    sa.Column("allocations", JSONB, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("stock_issue_order", "order_id"),  # an order's issues are loaded with its reservations
)

order_allocation = sa.Table(
    "order_allocation", metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("customer_id", sa.Text, nullable=False),
    sa.Column("ship_to_pincode", sa.Text, nullable=False),
    sa.Column("ship_to_state", sa.Text, nullable=False),
    sa.Column("strategy", sa.Text, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("lines", JSONB, nullable=False),
    sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
)

backorder = sa.Table(
    "backorder", metadata,
    sa.Column("order_id", sa.Text, primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    sa.Column("item_code", sa.Text, nullable=False),
    sa.Column("quantity", QTY, nullable=False),
    sa.Column("filled", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("remaining", QTY, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # open, filled, cancelled
    sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expected_date", sa.Date),
    sa.Index("backorder_open", "item_code", "confirmed_at", postgresql_where=sa.text("status = 'open'")),
)

routing_policy = sa.Table(
    "routing_policy", metadata,
    sa.Column("scope", sa.Text, primary_key=True),  # "company" or "customer:<id>"
    sa.Column("strategy", sa.Text, nullable=False),
    sa.Column("km_per_day", sa.Numeric(9, 2), nullable=False),
    sa.Column("handling_days", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("updated_by", sa.Text, nullable=False, server_default=""),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

command_reply = sa.Table(
    "command_reply", metadata,
    sa.Column("request_id", sa.Text, primary_key=True),
    sa.Column("command", sa.Text, nullable=False),
    sa.Column("order_id", sa.Text, nullable=False),
    sa.Column("reply_type", sa.Text, nullable=False),
    sa.Column("reply", JSONB, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
)

return_authorisation = sa.Table(
    "return_authorisation", metadata,
    sa.Column("return_id", sa.Text, primary_key=True),
    sa.Column("order_id", sa.Text, nullable=False),
    sa.Column("warehouse_id", sa.Text, nullable=False),
    sa.Column("payload", JSONB, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # authorised, received
    sa.Column("received_at", sa.DateTime(timezone=True)),
)

SERVICE_TABLES = [
    warehouse, bin_table, item, item_stock, stock_balance, stock_movement, reservation, reservation_allocation,
    stock_issue, order_allocation, backorder, routing_policy, command_reply, return_authorisation,
    idempotent_request,
]
