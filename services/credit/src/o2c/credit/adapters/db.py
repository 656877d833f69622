"""Credit's tables, as SQLModel table models on credit's own registry, with the kit's messaging tables (outbox,
inbox, dead letters).

One row per customer (`credit_account`) holds the whole CustomerAccount as JSONB: it is the unit the service
layer locks (`SELECT … FOR UPDATE`) inside the batch or request transaction, so one customer's decisions are
serialised even when that customer's orders sit on different partitions. Sanction requests are rows of their
own (the finance queue is searched by status and deadline); a repeated payment request is answered from the kit's
`idempotent_request`; receipt numbers come from a gapless series per financial year.

The models declare the schema (tests/test_models_match_migrations.py holds them to the migrations); queries use
the module-level tables (`credit_account = CreditAccountRow.__table__`) with SQLAlchemy Core.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

import sqlalchemy as sa
from o2c.kit.idempotency import idempotency_table
from o2c.kit.messaging.schema import messaging_tables
from o2c.kit.scope import customer_scope_table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class CreditRecord(SQLModel, registry=registry()):
    """The base of credit's table models: its own registry and metadata."""

    __table__: ClassVar[sa.Table]  # set on each table model by SQLAlchemy's declarative mapping


metadata = CreditRecord.metadata
messaging_tables(metadata)
customer_scope = customer_scope_table(metadata)  # owner and partners per customer (kit scope checks)
idempotent_request = idempotency_table(metadata)

_TS = sa.DateTime(timezone=True)


class CreditAccountRow(CreditRecord, table=True):
    __tablename__ = "credit_account"
    customer_id: str = Field(primary_key=True, sa_type=sa.Text)
    customer_name: str = Field(sa_type=sa.Text, sa_column_kwargs={"server_default": ""})
    master_revision: int = Field(sa_column_kwargs={"server_default": "0"})
    limit_set_by_finance: bool = Field(sa_column_kwargs={"server_default": sa.false()})
    doc: dict[str, Any] = Field(sa_type=JSONB)
    version: int = Field(sa_type=sa.BigInteger, sa_column_kwargs={"server_default": "0"})
    updated_at: datetime = Field(sa_type=_TS, sa_column_kwargs={"server_default": sa.func.now()})


class SanctionRequestRow(CreditRecord, table=True):
    __tablename__ = "sanction_request"
    __table_args__ = (
        sa.Index("sanction_queue", "status", "requested_at"),
        sa.Index("sanction_pending_deadlines", "expires_at", "escalation_due_at",
                 postgresql_where=sa.text("status = 'pending'")),
    )
    sanction_id: str = Field(primary_key=True, sa_type=sa.Text)
    order_id: str = Field(index=True, sa_type=sa.Text)
    customer_id: str = Field(index=True, sa_type=sa.Text)
    customer_name: str = Field(sa_type=sa.Text, sa_column_kwargs={"server_default": ""})
    order_revision: int
    status: str = Field(sa_type=sa.Text)
    amount: Decimal = Field(max_digits=16, decimal_places=2)
    requested_at: datetime = Field(sa_type=_TS)
    escalation_due_at: datetime = Field(sa_type=_TS)
    escalated_at: datetime | None = Field(default=None, sa_type=_TS)
    expires_at: datetime = Field(sa_type=_TS)
    decided_at: datetime | None = Field(default=None, sa_type=_TS)
    doc: dict[str, Any] = Field(sa_type=JSONB)
    view: dict[str, Any] | None = Field(default=None, sa_type=JSONB)


class PaymentRow(CreditRecord, table=True):
    __tablename__ = "payment"
    payment_id: str = Field(primary_key=True, sa_type=sa.Text)
    receipt_no: str = Field(unique=True, sa_type=sa.Text)
    customer_id: str = Field(index=True, sa_type=sa.Text)
    recorded_by: str = Field(sa_type=sa.Text)
    recorded_at: datetime = Field(sa_type=_TS)
    doc: dict[str, Any] = Field(sa_type=JSONB)


class DocumentSeriesRow(CreditRecord, table=True):
    __tablename__ = "document_series"
    series: str = Field(primary_key=True, sa_type=sa.Text)
    last_number: int = Field(sa_type=sa.BigInteger)


credit_account = CreditAccountRow.__table__
sanction_request = SanctionRequestRow.__table__
payment = PaymentRow.__table__
document_series = DocumentSeriesRow.__table__
