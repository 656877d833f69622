"""The e-way bill service's tables, as SQLModel table models on its own registry, and the kit's messaging tables
beside them.

The models declare the schema (tests/test_models_match_migrations.py holds them to the migrations); queries use
the module-level tables (`ewaybill = EwaybillRow.__table__`) with SQLAlchemy Core."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

import sqlalchemy as sa
from o2c.kit.messaging.schema import messaging_tables
from o2c.kit.scope import customer_scope_table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class EwaybillRecord(SQLModel, registry=registry()):
    """The base of the e-way bill service's table models: its own registry and metadata."""

    __table__: ClassVar[sa.Table]  # set on each table model by SQLAlchemy's declarative mapping


metadata = EwaybillRecord.metadata
messaging_tables(metadata)
customer_scope = customer_scope_table(metadata)  # owner and partners per customer (kit scope checks)

_TS = sa.DateTime(timezone=True)


class ThresholdRow(EwaybillRecord, table=True):
    __tablename__ = "ewb_threshold"
    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger, sa_column_args=[sa.Identity()])
    value_above: Decimal = Field(max_digits=14, decimal_places=2)
    effective_from: date
    effective_to: date | None = None
    state_code: str | None = Field(default=None, sa_type=sa.Text)
    movement: str | None = Field(default=None, sa_type=sa.Text)
    note: str = Field(sa_type=sa.Text, sa_column_kwargs={"server_default": ""})
    # Who ended the row (set effective_to through the API), when and why: the row itself is never edited else.
    ended_by: str | None = Field(default=None, sa_type=sa.Text)
    ended_at: datetime | None = Field(default=None, sa_type=_TS)
    end_reason: str | None = Field(default=None, sa_type=sa.Text)


class EwaybillRow(EwaybillRecord, table=True):
    __tablename__ = "ewaybill"
    id: str = Field(primary_key=True, sa_type=sa.Text)
    # One e-way bill decision per invoice: a redelivered InvoiceIssued finds this row.
    invoice_id: str = Field(unique=True, sa_type=sa.Text)
    invoice_no: str = Field(sa_type=sa.Text)
    order_id: str = Field(index=True, sa_type=sa.Text)
    shipment_id: str = Field(index=True, sa_type=sa.Text)
    customer_id: str = Field(sa_type=sa.Text)
    # not_required | generated | rejected | cancelled
    status: str = Field(index=True, sa_type=sa.Text)
    consignment_value: Decimal = Field(max_digits=14, decimal_places=2)
    threshold: Decimal = Field(max_digits=14, decimal_places=2)
    movement: str = Field(sa_type=sa.Text)
    invoice: dict[str, Any] = Field(sa_type=JSONB)
    transport: dict[str, Any] = Field(sa_type=JSONB)
    ebn: str | None = Field(default=None, unique=True, sa_type=sa.Text)
    generated_at: datetime | None = Field(default=None, sa_type=_TS)
    valid_until: datetime | None = Field(default=None, sa_type=_TS)
    distance_km: int | None = None
    vehicle_type: str = Field(sa_type=sa.Text, sa_column_kwargs={"server_default": "R"})
    movements: list[dict[str, Any]] = Field(sa_type=JSONB, sa_column_kwargs={"server_default": sa.text("'[]'::jsonb")})
    rejection_code: str | None = Field(default=None, sa_type=sa.Text)
    rejection_message: str | None = Field(default=None, sa_type=sa.Text)
    attempts: int = Field(sa_column_kwargs={"server_default": "0"})
    cancelled_at: datetime | None = Field(default=None, sa_type=_TS)
    cancel_reason: str | None = Field(default=None, sa_type=sa.Text)
    cancel_remarks: str | None = Field(default=None, sa_type=sa.Text)
    extensions: int = Field(sa_column_kwargs={"server_default": "0"})
    last_refusal: str | None = Field(default=None, sa_type=sa.Text)
    invoice_cancelled: bool = Field(sa_column_kwargs={"server_default": sa.false()})
    replaced: list[dict[str, Any]] = Field(sa_type=JSONB, sa_column_kwargs={"server_default": sa.text("'[]'::jsonb")})
    created_at: datetime = Field(sa_type=_TS, sa_column_kwargs={"server_default": sa.func.now()})
    updated_at: datetime = Field(sa_type=_TS, sa_column_kwargs={"server_default": sa.func.now()})


class EwaybillAttemptRow(EwaybillRecord, table=True):
    __tablename__ = "ewaybill_attempt"
    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger, sa_column_args=[sa.Identity()])
    ewaybill_id: str = Field(foreign_key="ewaybill.id", index=True, sa_type=sa.Text)
    action: str = Field(sa_type=sa.Text)
    request: dict[str, Any] = Field(sa_type=JSONB)
    outcome: str = Field(sa_type=sa.Text)
    code: str | None = Field(default=None, sa_type=sa.Text)
    message: str | None = Field(default=None, sa_type=sa.Text)
    at: datetime = Field(sa_type=_TS, sa_column_kwargs={"server_default": sa.func.now()})


threshold = ThresholdRow.__table__
ewaybill = EwaybillRow.__table__
attempt = EwaybillAttemptRow.__table__
