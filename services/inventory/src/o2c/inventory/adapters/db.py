"""Inventory's tables, on its own registry (so seven services can share one test process).

- `item_stock` is the lock row of one item at one warehouse: every change to that item's stock or
  reservations there locks it FOR UPDATE first, always in (warehouse, item) order, so two orders can
  never be promised the same units and two transactions never deadlock on each other.
- `stock_balance` holds confirmed and expected quantities per warehouse × item × bin × batch;
  `stock_movement` is the ledger: every movement with its exact deltas per location.
- `reservation` is unique per (order, line, warehouse); its `reservation_allocation` rows say which bin
  and batch hold the units (unique per batch and bin as well), so repeating a reservation changes nothing.

Each table is an SQLModel class; the repositories issue Core statements against `Class.__table__` (named by the
module-level aliases below), never ORM units of work: the hot paths stay set-based.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from o2c.kit.idempotency import idempotency_table
from o2c.kit.messaging.schema import messaging_tables
from o2c.kit.scope import customer_scope_table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

QTY = sa.Numeric(18, 3)
NO_BATCH = ""  # batch key of untracked items (a primary key column cannot be NULL)


class InventoryRecord(SQLModel, registry=registry()):
    pass


metadata = InventoryRecord.metadata
messaging_tables(metadata)
customer_scope = customer_scope_table(metadata)  # owner and partners per customer (kit scope checks)
idempotent_request = idempotency_table(metadata)


def _text(*, primary_key: bool = False, default: str | None = None, foreign_key: str | None = None) -> Any:
    """A text column (TEXT, not SQLModel's VARCHAR), NOT NULL unless its field is Optional."""
    kwargs: dict[str, Any] = {"server_default": default} if default is not None else {}
    if foreign_key:
        return Field(primary_key=primary_key, sa_type=sa.Text, foreign_key=foreign_key, sa_column_kwargs=kwargs)
    return Field(primary_key=primary_key, sa_type=sa.Text, sa_column_kwargs=kwargs)


def _of(type_: Any, *, primary_key: bool = False, default: Any = None) -> Any:
    kwargs: dict[str, Any] = {"server_default": default} if default is not None else {}
    return Field(primary_key=primary_key, sa_type=type_, sa_column_kwargs=kwargs)


NOW = sa.func.now()
EMPTY_JSON = sa.text("'{}'::jsonb")
TIMESTAMP = sa.DateTime(timezone=True)


class WarehouseRow(InventoryRecord, table=True):
    __tablename__ = "warehouse"

    warehouse_id: str = _text(primary_key=True)
    name: str = _text()
    line1: str = _text(default="")
    place: str = _text(default="")
    district: str = _text(default="")
    state_code: str = _text()
    pincode: str = _text()
    gstin: str = _text()
    latitude: Decimal | None = _of(sa.Numeric(9, 5))
    longitude: Decimal | None = _of(sa.Numeric(9, 5))
    coordinates_source: str = _text(default="none")
    active: bool = _of(sa.Boolean, default=sa.true())
    created_at: datetime = _of(TIMESTAMP, default=NOW)


class BinRow(InventoryRecord, table=True):
    __tablename__ = "bin"

    warehouse_id: str = _text(primary_key=True, foreign_key="warehouse.warehouse_id")
    bin_code: str = _text(primary_key=True)
    kind: str = _text()
    walk_seq: int = _of(sa.Integer, default="0")


class ItemRow(InventoryRecord, table=True):
    """Sales' item master as inventory keeps it (the highest revision seen)."""

    __tablename__ = "item"

    item_code: str = _text(primary_key=True)
    name: str = _text()
    hsn: str = _text()
    unit: str = _text()
    product_line: str = _text(default="")
    batch_tracked: bool = _of(sa.Boolean, default=sa.false())
    shelf_life_days: int | None = _of(sa.Integer)
    stocked: bool = _of(sa.Boolean, default=sa.true())
    lead_time_days: int = _of(sa.Integer, default="0")
    active: bool = _of(sa.Boolean, default=sa.true())
    revision: int = _of(sa.Integer)


class ItemStockRow(InventoryRecord, table=True):
    """The lock row of one item at one warehouse (see the module's docstring)."""

    __tablename__ = "item_stock"
    __table_args__ = (sa.Index("item_stock_item", "item_code"),)

    warehouse_id: str = _text(primary_key=True, foreign_key="warehouse.warehouse_id")
    item_code: str = _text(primary_key=True)
    safety_stock: Decimal = _of(QTY, default="0")
    ledger_seq: int = _of(sa.Integer, default="0")


class StockBalanceRow(InventoryRecord, table=True):
    __tablename__ = "stock_balance"
    __table_args__ = (
        sa.ForeignKeyConstraint(["warehouse_id", "item_code"], ["item_stock.warehouse_id", "item_stock.item_code"]),
        sa.Index("stock_balance_item", "item_code", "warehouse_id"),
    )

    warehouse_id: str = _text(primary_key=True)
    item_code: str = _text(primary_key=True)
    bin_code: str = _text(primary_key=True)
    batch_key: str = _text(primary_key=True)
    bin_kind: str = _text()
    batch_no: str | None = _text()
    expiry_date: date | None = _of(sa.Date)
    manufactured_on: date | None = _of(sa.Date)
    confirmed: Decimal = _of(QTY, default="0")
    expected: Decimal = _of(QTY, default="0")


class StockMovementRow(InventoryRecord, table=True):
    """The ledger: one movement with its exact deltas per location, numbered per warehouse and item."""

    __tablename__ = "stock_movement"
    __table_args__ = (sa.UniqueConstraint("warehouse_id", "item_code", "seq", name="stock_movement_seq"),)

    movement_id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, sa.Identity(),
                                                                      primary_key=True))
    warehouse_id: str = _text()
    item_code: str = _text()
    seq: int = _of(sa.Integer)
    movement_type: str = _text()
    quantity: Decimal = _of(QTY)
    deltas: list[dict[str, Any]] = _of(JSONB)
    at: datetime = _of(TIMESTAMP)
    reference: str = _text(default="")
    reason: str = _text(default="")
    actor: str = _text(default="")


class ReservationRow(InventoryRecord, table=True):
    __tablename__ = "reservation"
    __table_args__ = (
        sa.Index("reservation_open", "warehouse_id", "item_code", postgresql_where=sa.text("status = 'open'")),
    )

    order_id: str = _text(primary_key=True)
    line_no: int = _of(sa.Integer, primary_key=True)
    warehouse_id: str = _text(primary_key=True)
    item_code: str = _text()
    requested: Decimal = _of(QTY)
    reserved: Decimal = _of(QTY)
    released: Decimal = _of(QTY, default="0")
    issued: Decimal = _of(QTY, default="0")
    status: str = _text()
    handled: dict[str, Any] = _of(JSONB, default=EMPTY_JSON)
    short_picks: dict[str, Any] = _of(JSONB, default=EMPTY_JSON)
    created_at: datetime = _of(TIMESTAMP, default=NOW)
    updated_at: datetime = _of(TIMESTAMP, default=NOW)


class ReservationAllocationRow(InventoryRecord, table=True):
    """Which bin and batch hold a reservation's units."""

    __tablename__ = "reservation_allocation"
    __table_args__ = (
        sa.ForeignKeyConstraint(["order_id", "line_no", "warehouse_id"],
                                ["reservation.order_id", "reservation.line_no", "reservation.warehouse_id"]),
        sa.Index("reservation_allocation_item", "item_code", "warehouse_id"),
    )

    order_id: str = _text(primary_key=True)
    line_no: int = _of(sa.Integer, primary_key=True)
    warehouse_id: str = _text(primary_key=True)
    bin_code: str = _text(primary_key=True)
    batch_key: str = _text(primary_key=True)
    item_code: str = _text()
    batch_no: str | None = _text()
    expiry_date: date | None = _of(sa.Date)
    quantity: Decimal = _of(QTY)


class StockIssueRow(InventoryRecord, table=True):
    __tablename__ = "stock_issue"
    __table_args__ = (sa.Index("stock_issue_order", "order_id"),)  # loaded with the order's reservations

    shipment_id: str = _text(primary_key=True)
    order_id: str = _text(primary_key=True)
    line_no: int = _of(sa.Integer, primary_key=True)
    warehouse_id: str = _text()
    item_code: str = _text()
    allocations: list[dict[str, Any]] = _of(JSONB)
    at: datetime = _of(TIMESTAMP)


class OrderAllocationRow(InventoryRecord, table=True):
    __tablename__ = "order_allocation"

    order_id: str = _text(primary_key=True)
    revision: int = _of(sa.Integer)
    customer_id: str = _text()
    ship_to_pincode: str = _text()
    ship_to_state: str = _text()
    strategy: str = _text()
    outcome: str = _text()
    lines: list[dict[str, Any]] = _of(JSONB)
    confirmed_at: datetime = _of(TIMESTAMP)
    decided_at: datetime = _of(TIMESTAMP)


class BackorderRow(InventoryRecord, table=True):
    __tablename__ = "backorder"
    __table_args__ = (
        sa.Index("backorder_open", "item_code", "confirmed_at", postgresql_where=sa.text("status = 'open'")),
    )

    order_id: str = _text(primary_key=True)
    line_no: int = _of(sa.Integer, primary_key=True)
    item_code: str = _text()
    quantity: Decimal = _of(QTY)
    filled: dict[str, Any] = _of(JSONB, default=EMPTY_JSON)
    remaining: Decimal = _of(QTY)
    status: str = _text()  # open, filled, cancelled
    confirmed_at: datetime = _of(TIMESTAMP)
    expected_date: date | None = _of(sa.Date)


class RoutingPolicyRow(InventoryRecord, table=True):
    __tablename__ = "routing_policy"

    scope: str = _text(primary_key=True)  # "company" or "customer:<id>"
    strategy: str = _text()
    km_per_day: Decimal = _of(sa.Numeric(9, 2))
    handling_days: dict[str, Any] = _of(JSONB, default=EMPTY_JSON)
    updated_by: str = _text(default="")
    updated_at: datetime = _of(TIMESTAMP, default=NOW)


class CommandReplyRow(InventoryRecord, table=True):
    __tablename__ = "command_reply"

    request_id: str = _text(primary_key=True)
    command: str = _text()
    order_id: str = _text()
    reply_type: str = _text()
    reply: dict[str, Any] = _of(JSONB)
    at: datetime = _of(TIMESTAMP, default=NOW)


class ReturnAuthorisationRow(InventoryRecord, table=True):
    __tablename__ = "return_authorisation"

    return_id: str = _text(primary_key=True)
    order_id: str = _text()
    warehouse_id: str = _text()
    payload: dict[str, Any] = _of(JSONB)
    status: str = _text()  # authorised, received
    received_at: datetime | None = _of(TIMESTAMP)


class DocumentSeriesRow(InventoryRecord, table=True):
    """The last number issued per series (GSTIN, prefix, financial year): locked while a number is taken, so
    numbers are gap-free (a rolled-back transaction gives its number back)."""

    __tablename__ = "document_series"

    gstin: str = _text(primary_key=True)
    prefix: str = _text(primary_key=True)
    financial_year: str = _text(primary_key=True)
    last_no: int = _of(sa.Integer)


class TransferRow(InventoryRecord, table=True):
    """A stock transfer between warehouses: lines with what left (bins, batches) and what arrived; `facts` is
    the StockTransferDispatched it caused (the challan's and the branch-transfer invoice's data)."""

    __tablename__ = "stock_transfer"
    __table_args__ = (
        sa.UniqueConstraint("transfer_no", "from_gstin", name="stock_transfer_no"),
        sa.Index("stock_transfer_in_transit", "to_warehouse_id", postgresql_where=sa.text("status = 'in_transit'")),
    )

    transfer_id: str = _text(primary_key=True)
    transfer_no: str = _text()
    from_gstin: str = _text()
    kind: str = _text()
    from_warehouse_id: str = _text(foreign_key="warehouse.warehouse_id")
    to_warehouse_id: str = _text(foreign_key="warehouse.warehouse_id")
    status: str = _text()  # in_transit, received
    lines: list[dict[str, Any]] = _of(JSONB)
    facts: dict[str, Any] = _of(JSONB)
    dispatched_at: datetime = _of(TIMESTAMP)
    dispatched_by: str = _text(default="")
    expected_arrival: date = _of(sa.Date)
    received_at: datetime | None = _of(TIMESTAMP)
    received_by: str = _text(default="")


class TransferPriceRow(InventoryRecord, table=True):
    """The finance head's transfer price list: value per unit of an item moved between two GSTINs."""

    __tablename__ = "transfer_price"

    item_code: str = _text(primary_key=True)
    effective_from: date = _of(sa.Date, primary_key=True)
    effective_to: date | None = _of(sa.Date)
    unit_price: Decimal = _of(sa.Numeric(14, 2))
    set_by: str = _text(default="")
    set_at: datetime = _of(TIMESTAMP, default=NOW)


class PurchaseReceiptRow(InventoryRecord, table=True):
    """Goods received from a supplier against a purchase order (a goods received note)."""

    __tablename__ = "purchase_receipt"
    __table_args__ = (sa.Index("purchase_receipt_po", "po_no"),)

    receipt_id: str = _text(primary_key=True)
    receipt_no: str = _text()
    warehouse_id: str = _text(foreign_key="warehouse.warehouse_id")
    supplier_gstin: str | None = _text()
    supplier_name: str = _text()
    po_no: str = _text()
    po_date: date = _of(sa.Date)
    lines: list[dict[str, Any]] = _of(JSONB)
    received_at: datetime = _of(TIMESTAMP)
    received_by: str = _text(default="")


def table_of(model: type[SQLModel]) -> sa.Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, sa.Table)
    return table


# The tables by name, for the Core statements of the repositories.
warehouse = table_of(WarehouseRow)
bin_table = table_of(BinRow)
item = table_of(ItemRow)
item_stock = table_of(ItemStockRow)
stock_balance = table_of(StockBalanceRow)
stock_movement = table_of(StockMovementRow)
reservation = table_of(ReservationRow)
reservation_allocation = table_of(ReservationAllocationRow)
stock_issue = table_of(StockIssueRow)
order_allocation = table_of(OrderAllocationRow)
backorder = table_of(BackorderRow)
routing_policy = table_of(RoutingPolicyRow)
command_reply = table_of(CommandReplyRow)
return_authorisation = table_of(ReturnAuthorisationRow)
document_series = table_of(DocumentSeriesRow)
stock_transfer = table_of(TransferRow)
transfer_price = table_of(TransferPriceRow)
purchase_receipt = table_of(PurchaseReceiptRow)

SERVICE_TABLES = [
    warehouse, bin_table, item, item_stock, stock_balance, stock_movement, reservation, reservation_allocation,
    stock_issue, order_allocation, backorder, routing_policy, command_reply, return_authorisation,
    idempotent_request, document_series, stock_transfer, transfer_price, purchase_receipt,
]
