"""Dispatch's tables, as SQLModel table models on the service's own registry (seven services share one test
process).

A shipment row keeps the domain aggregate (pick list, confirmations, dispatch details, documents) as a
JSON document next to the release facts it came from, plus the columns that are searched or locked:
warehouse, status, work queue, pick-list status. Nothing is deleted: a cancellation is a state.

The models declare the schema (tests/test_models_match_migrations.py holds them to the migrations); queries use
the module-level tables (`shipment = ShipmentRow.__table__`) with SQLAlchemy Core, no ORM unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from o2c.kit.idempotency import idempotency_table
from o2c.kit.messaging.schema import messaging_tables
from o2c.kit.scope import customer_scope_table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class DispatchRecord(SQLModel, registry=registry()):
    """The base of dispatch's table models: its own registry and metadata."""

    __table__: ClassVar[sa.Table]  # set on each table model by SQLAlchemy's declarative mapping


metadata = DispatchRecord.metadata
MESSAGING = messaging_tables(metadata)
customer_scope = customer_scope_table(metadata)  # owner and partners per customer (kit scope checks)
idempotent_request = idempotency_table(metadata)

document_seq = sa.Sequence("dispatch_document_seq", metadata=metadata)

_TS = sa.DateTime(timezone=True)


class ShipmentRow(DispatchRecord, table=True):
    __tablename__ = "shipment"
    __table_args__ = (
        sa.Index("shipment_warehouse_queue", "warehouse_id", "queue"),
        sa.Index("shipment_warehouse_status", "warehouse_id", "status"),
    )
    shipment_id: str = Field(primary_key=True, sa_type=sa.Text)
    shipment_no: str = Field(unique=True, sa_type=sa.Text)
    pick_list_id: str = Field(unique=True, sa_type=sa.Text)
    pick_list_no: str = Field(unique=True, sa_type=sa.Text)
    order_id: str = Field(index=True, sa_type=sa.Text)
    warehouse_id: str = Field(sa_type=sa.Text)
    status: str = Field(sa_type=sa.Text)
    queue: str = Field(sa_type=sa.Text)
    pick_list_status: str = Field(sa_type=sa.Text)
    release: dict[str, Any] = Field(sa_type=JSONB)
    state: dict[str, Any] = Field(sa_type=JSONB)
    version: int = Field(sa_column_kwargs={"server_default": "1"})
    created_at: datetime = Field(sa_type=_TS, sa_column_kwargs={"server_default": sa.func.now()})
    updated_at: datetime = Field(sa_type=_TS, sa_column_kwargs={"server_default": sa.func.now()})


class CancelledUnreleasedRow(DispatchRecord, table=True):
    __tablename__ = "cancelled_unreleased"
    shipment_id: str = Field(primary_key=True, sa_type=sa.Text)
    order_id: str = Field(sa_type=sa.Text)
    request_id: str = Field(sa_type=sa.Text)
    cancelled_at: datetime = Field(sa_type=_TS)


class TripRow(DispatchRecord, table=True):
    __tablename__ = "trip"
    trip_id: str = Field(primary_key=True, sa_type=sa.Text)
    trip_no: str = Field(unique=True, sa_type=sa.Text)
    warehouse_id: str = Field(sa_type=sa.Text)
    details: dict[str, Any] = Field(sa_type=JSONB)
    shipment_ids: list[str] = Field(sa_type=JSONB)
    idempotency_key: str | None = Field(default=None, unique=True, sa_type=sa.Text)
    created_by: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(sa_type=_TS, sa_column_kwargs={"server_default": sa.func.now()})


shipment = ShipmentRow.__table__
cancelled_unreleased = CancelledUnreleasedRow.__table__
trip = TripRow.__table__
