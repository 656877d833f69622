"""Sales tables, as SQLModel table models on sales' own registry, with the kit's messaging tables (outbox, inbox,
dead letters).

Aggregates are rows: the columns that are searched, locked or unique are real columns; nested structure
(addresses, lines, revisions, saga rounds) is JSONB written by `adapters.codec`. The models declare the schema
(tests/test_models_match_migrations.py holds them to the migrations); queries, the hot saga and order writes
among them, use the module-level tables (`order_saga = OrderSagaRow.__table__`) with SQLAlchemy Core.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

import sqlalchemy as sa
from o2c.kit.idempotency import idempotency_table
from o2c.kit.messaging.schema import messaging_tables
from o2c.kit.scope import customer_scope_table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class SalesRecord(SQLModel, registry=registry()):
    """The base of sales' table models: its own registry and metadata."""

    __table__: ClassVar[sa.Table]  # set on each table model by SQLAlchemy's declarative mapping


metadata = SalesRecord.metadata
messaging_tables(metadata)
customer_scope = customer_scope_table(metadata)
"""Owner and partners per customer, written with the customer: the kit's scope checks read it in sales too."""
idempotent_request = idempotency_table(metadata)

_TS = sa.DateTime(timezone=True)


class CustomerRow(SalesRecord, table=True):
    __tablename__ = "customer"
    customer_id: str = Field(primary_key=True, sa_type=sa.Text)
    code: str = Field(unique=True, sa_type=sa.Text)
    legal_name: str = Field(sa_type=sa.Text)
    status: str = Field(sa_type=sa.Text)
    sales_owner: str = Field(sa_type=sa.Text)
    created_by: str = Field(sa_type=sa.Text)
    revision: int
    doc: dict[str, Any] = Field(sa_type=JSONB)
    created_at: datetime = Field(sa_type=_TS)
    updated_at: datetime = Field(sa_type=_TS)


class CustomerAuditRow(SalesRecord, table=True):
    __tablename__ = "customer_audit"
    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger, sa_column_args=[sa.Identity()])
    customer_id: str = Field(foreign_key="customer.customer_id", index=True, sa_type=sa.Text)
    who: str = Field(sa_type=sa.Text)
    at: datetime = Field(sa_type=_TS)
    field: str = Field(sa_type=sa.Text)
    before: str | None = Field(default=None, sa_type=sa.Text)
    after: str | None = Field(default=None, sa_type=sa.Text)


class ItemRow(SalesRecord, table=True):
    __tablename__ = "item"
    code: str = Field(primary_key=True, sa_type=sa.Text)
    name: str = Field(sa_type=sa.Text)
    hsn: str = Field(sa_type=sa.Text)
    unit: str = Field(sa_type=sa.Text)
    product_line: str = Field(sa_type=sa.Text)
    batch_tracked: bool
    stocked: bool
    lead_time_days: int
    active: bool
    revision: int
    created_at: datetime = Field(sa_type=_TS)
    updated_at: datetime = Field(sa_type=_TS)


class GstRateRow(SalesRecord, table=True):
    __tablename__ = "gst_rate"
    hsn_prefix: str = Field(primary_key=True, sa_type=sa.Text)
    effective_from: date = Field(primary_key=True)
    rate: Decimal = Field(max_digits=6, decimal_places=3)
    cess_rate: Decimal = Field(max_digits=6, decimal_places=3, sa_column_kwargs={"server_default": "0"})
    effective_to: date | None = None
    description: str = Field(sa_type=sa.Text, sa_column_kwargs={"server_default": ""})
    version: int = Field(sa_column_kwargs={"server_default": "1"})
    published_version: int = Field(sa_column_kwargs={"server_default": "0"})


class PriceListRow(SalesRecord, table=True):
    __tablename__ = "price_list"
    code: str = Field(primary_key=True, sa_type=sa.Text)
    name: str = Field(sa_type=sa.Text)


class PriceEntryRow(SalesRecord, table=True):
    __tablename__ = "price_entry"
    __table_args__ = (sa.Index("price_entry_lookup", "price_list_code", "item_code", "customer_id"),)
    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger, sa_column_args=[sa.Identity()])
    price_list_code: str = Field(foreign_key="price_list.code", sa_type=sa.Text)
    item_code: str = Field(sa_type=sa.Text)
    customer_id: str | None = Field(default=None, sa_type=sa.Text)
    unit_price: Decimal = Field(max_digits=14, decimal_places=2)
    valid_from: date
    valid_to: date | None = None
    # Set when a price is ended through the API (valid_to moved earlier): who, when and why.
    ended_by: str | None = Field(default=None, sa_type=sa.Text)
    ended_at: datetime | None = Field(default=None, sa_type=_TS)
    end_reason: str | None = Field(default=None, sa_type=sa.Text)


class SchemeRow(SalesRecord, table=True):
    __tablename__ = "scheme"
    code: str = Field(primary_key=True, sa_type=sa.Text)
    kind: str = Field(sa_type=sa.Text)
    valid_from: date
    valid_to: date
    doc: dict[str, Any] = Field(sa_type=JSONB)


SEQUENCED_SERIES = frozenset({"QTN", "SO"})
"""Series numbered from a PostgreSQL sequence per series and financial year: no lock between two placements, and
a number may be skipped (a rolled-back placement). Neither is a GST document (those keep gap-free series in
invoicing); other sales series keep the gap-free `document_series` counter."""


def series_sequence(prefix: str, financial_year: int) -> str:
    """The sequence of one series in one financial year, e.g. `document_no_so_2026`."""
    return f"document_no_{re.sub(r'[^a-z0-9]', '_', prefix.lower())}_{financial_year}"


class DocumentSeriesRow(SalesRecord, table=True):
    __tablename__ = "document_series"
    prefix: str = Field(primary_key=True, sa_type=sa.Text)
    financial_year: int = Field(primary_key=True)
    last_issued: int


class QuotationRow(SalesRecord, table=True):
    __tablename__ = "quotation"
    quotation_id: str = Field(primary_key=True, sa_type=sa.Text)
    number: str = Field(unique=True, sa_type=sa.Text)
    customer_id: str = Field(foreign_key="customer.customer_id", index=True, sa_type=sa.Text)
    status: str = Field(sa_type=sa.Text)
    revision: int
    valid_until: date
    created_by: str = Field(sa_type=sa.Text)
    doc: dict[str, Any] = Field(sa_type=JSONB)
    created_at: datetime = Field(sa_type=_TS)
    updated_at: datetime = Field(sa_type=_TS)


class SalesOrderRow(SalesRecord, table=True):
    __tablename__ = "sales_order"
    order_id: str = Field(primary_key=True, sa_type=sa.Text)
    number: str = Field(unique=True, sa_type=sa.Text)
    customer_id: str = Field(foreign_key="customer.customer_id", index=True, sa_type=sa.Text)
    quotation_id: str | None = Field(default=None, unique=True, sa_type=sa.Text)
    idempotency_key: str | None = Field(default=None, unique=True, sa_type=sa.Text)
    status: str = Field(sa_type=sa.Text)
    revision: int
    gross_value: Decimal = Field(max_digits=16, decimal_places=2)
    created_by: str = Field(sa_type=sa.Text)
    doc: dict[str, Any] = Field(sa_type=JSONB)
    created_at: datetime = Field(sa_type=_TS)
    updated_at: datetime = Field(sa_type=_TS)


class OrderLineRow(SalesRecord, table=True):
    __tablename__ = "order_line"
    order_id: str = Field(primary_key=True, foreign_key="sales_order.order_id", sa_type=sa.Text)
    line_no: int = Field(primary_key=True)
    item_code: str = Field(sa_type=sa.Text)
    quantity: Decimal = Field(max_digits=16, decimal_places=3)
    unit: str = Field(sa_type=sa.Text)
    taxable_value: Decimal = Field(max_digits=16, decimal_places=2)
    gross_value: Decimal = Field(max_digits=16, decimal_places=2)
    committed_date: date


class OrderSagaRow(SalesRecord, table=True):
    __tablename__ = "order_saga"
    __table_args__ = (
        sa.Index("order_saga_due", "next_check_at", postgresql_where=sa.text("next_check_at IS NOT NULL")),
    )
    order_id: str = Field(primary_key=True, foreign_key="sales_order.order_id", sa_type=sa.Text)
    status: str = Field(sa_type=sa.Text)
    version: int
    state: dict[str, Any] = Field(sa_type=JSONB)
    # Facts the decisions need beyond the pure saga: inventory's allocations per round, invoice numbers.
    allocations: dict[str, Any] = Field(sa_type=JSONB, sa_column_kwargs={"server_default": sa.text("'{}'::jsonb")})
    invoice_nos: list[str] = Field(sa_type=JSONB, sa_column_kwargs={"server_default": sa.text("'[]'::jsonb")})
    exceptions: list[dict[str, Any]] = Field(sa_type=JSONB,
                                             sa_column_kwargs={"server_default": sa.text("'[]'::jsonb")})
    waiting_for: str = Field(sa_type=sa.Text, sa_column_kwargs={"server_default": ""})
    next_check_at: datetime | None = Field(default=None, sa_type=_TS)
    updated_at: datetime = Field(sa_type=_TS)


class SagaCommandRow(SalesRecord, table=True):
    __tablename__ = "saga_command"
    __table_args__ = (
        sa.Index("saga_command_open", "last_sent_at", postgresql_where=sa.text("replied_at IS NULL")),
    )
    request_id: str = Field(primary_key=True, sa_type=sa.Text)
    order_id: str = Field(index=True, sa_type=sa.Text)
    type: str = Field(sa_type=sa.Text)
    payload: dict[str, Any] = Field(sa_type=JSONB)
    attempts: int = Field(sa_column_kwargs={"server_default": "1"})
    first_sent_at: datetime = Field(sa_type=_TS)
    last_sent_at: datetime = Field(sa_type=_TS)
    replied_at: datetime | None = Field(default=None, sa_type=_TS)


class ReturnAuthorisationRow(SalesRecord, table=True):
    __tablename__ = "return_authorisation"
    return_id: str = Field(primary_key=True, sa_type=sa.Text)
    return_no: str = Field(unique=True, sa_type=sa.Text)
    order_id: str = Field(foreign_key="sales_order.order_id", index=True, sa_type=sa.Text)
    customer_id: str = Field(sa_type=sa.Text)
    created_by: str = Field(sa_type=sa.Text)
    doc: dict[str, Any] = Field(sa_type=JSONB)
    created_at: datetime = Field(sa_type=_TS)


class ParkedElsewhereRow(SalesRecord, table=True):
    """Keys another service's consumer holds behind a dead letter (its KeyParked / KeyReleased notices): the
    order page and the saga exceptions show them beside sales' own parked keys."""

    __tablename__ = "parked_elsewhere"
    __table_args__ = (sa.Index("parked_elsewhere_key", "key"),)
    service: str = Field(primary_key=True, sa_type=sa.Text)
    topic: str = Field(primary_key=True, sa_type=sa.Text)
    key: str = Field(primary_key=True, sa_type=sa.Text)
    dead_letter_id: int = Field(sa_type=sa.BigInteger)
    message_type: str | None = Field(default=None, sa_type=sa.Text)
    reason: str = Field(sa_type=sa.Text)
    parked_at: datetime = Field(sa_type=_TS)


customer = CustomerRow.__table__
customer_audit = CustomerAuditRow.__table__
item = ItemRow.__table__
gst_rate = GstRateRow.__table__
price_list = PriceListRow.__table__
price_entry = PriceEntryRow.__table__
scheme = SchemeRow.__table__
document_series = DocumentSeriesRow.__table__
quotation = QuotationRow.__table__
sales_order = SalesOrderRow.__table__
order_line = OrderLineRow.__table__
order_saga = OrderSagaRow.__table__
saga_command = SagaCommandRow.__table__
return_authorisation = ReturnAuthorisationRow.__table__
parked_elsewhere = ParkedElsewhereRow.__table__
