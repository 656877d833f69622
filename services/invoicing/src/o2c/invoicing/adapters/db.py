"""Invoicing's tables, as SQLModel table models on the service's own registry (so seven services share one test
process).

An invoice row keeps the `InvoiceIssued` payload as its document (it carries every fact of the tax
invoice; the domain object is rebuilt from it) next to the columns that are searched, locked or
changed later (IRN, e-way bill, dispatch, cancellation). Nothing is deleted: a cancellation is
columns set on the row, the number stays used.

The models declare the schema (tests/test_models_match_migrations.py holds them to the migrations); queries use
the module-level tables (`invoice = InvoiceRow.__table__`) with SQLAlchemy Core."""

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


class InvoicingRecord(SQLModel, registry=registry()):
    """The base of invoicing's table models: its own registry and metadata."""

    __table__: ClassVar[sa.Table]  # set on each table model by SQLAlchemy's declarative mapping


metadata = InvoicingRecord.metadata
messaging_tables(metadata)
customer_scope = customer_scope_table(metadata)  # owner and partners per customer (kit scope checks)

_TS = sa.DateTime(timezone=True)


class DocumentSeriesRow(InvoicingRecord, table=True):
    __tablename__ = "document_series"
    supplier_gstin: str = Field(primary_key=True, sa_type=sa.Text)
    financial_year: str = Field(primary_key=True, sa_type=sa.Text)
    prefix: str = Field(primary_key=True, sa_type=sa.Text)
    width: int = Field(sa_column_kwargs={"server_default": "6"})
    last_sequence: int = Field(sa_type=sa.BigInteger, sa_column_kwargs={"server_default": "0"})
    updated_at: datetime = Field(sa_type=_TS, sa_column_kwargs={"server_default": sa.func.now()})


class HsnRateRow(InvoicingRecord, table=True):
    __tablename__ = "hsn_rate"
    __table_args__ = (sa.UniqueConstraint("hsn", "effective_from", name="hsn_rate_from"),)
    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger, sa_column_args=[sa.Identity()])
    hsn: str = Field(sa_type=sa.Text)
    description: str = Field(sa_type=sa.Text, sa_column_kwargs={"server_default": ""})
    gst_rate: Decimal = Field(max_digits=6, decimal_places=3)
    cess_rate: Decimal = Field(max_digits=6, decimal_places=3, sa_column_kwargs={"server_default": "0"})
    effective_from: date
    effective_to: date | None = None
    version: int = Field(sa_column_kwargs={"server_default": "0"})


class InvoiceRow(InvoicingRecord, table=True):
    __tablename__ = "invoice"
    __table_args__ = (
        sa.UniqueConstraint("supplier_gstin", "financial_year", "invoice_no", name="invoice_number_once"),
        sa.Index("invoice_live_per_shipment", "shipment_id", unique=True,
                 postgresql_where=sa.text("cancelled_at IS NULL")),
        sa.Index("invoice_by_shipment", "shipment_id"),
        sa.Index("invoice_order", "order_id"),
        sa.Index("invoice_customer", "customer_id"),
        sa.Index("invoice_period", "supplier_gstin", "invoice_date"),
        sa.Index("invoice_irn_pending", "id", postgresql_where=sa.text("irn_status IN ('pending', 'registering')")),
    )
    id: str = Field(primary_key=True, sa_type=sa.Text)
    # One live invoice per shipment (a cancelled one may be re-issued: invoice_live_per_shipment).
    shipment_id: str = Field(sa_type=sa.Text)
    invoice_no: str = Field(sa_type=sa.Text)
    supplier_gstin: str = Field(sa_type=sa.Text)
    financial_year: str = Field(sa_type=sa.Text)
    invoice_date: date
    order_id: str = Field(sa_type=sa.Text)
    customer_id: str = Field(sa_type=sa.Text)
    buyer_gstin: str | None = Field(default=None, sa_type=sa.Text)
    supply_type: str = Field(sa_type=sa.Text)
    grand_total: Decimal = Field(max_digits=16, decimal_places=2)
    document: dict[str, Any] = Field(sa_type=JSONB)
    irn_status: str = Field(sa_type=sa.Text)
    irn: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    irn_error_code: str | None = Field(default=None, sa_type=sa.Text)
    irn_error_message: str | None = Field(default=None, sa_type=sa.Text)
    irn_attempts: int = Field(sa_column_kwargs={"server_default": "0"})
    irn_claimed_at: datetime | None = Field(default=None, sa_type=_TS)
    # The process instance (settings.instance) whose IRP call holds the claim: taken back when it restarts.
    irn_claimed_by: str | None = Field(default=None, sa_type=sa.Text)
    ewaybill_no: str | None = Field(default=None, sa_type=sa.Text)
    ewaybill_active: bool = Field(sa_column_kwargs={"server_default": sa.false()})
    dispatched_at: datetime | None = Field(default=None, sa_type=_TS)
    cancelled_at: datetime | None = Field(default=None, sa_type=_TS)
    cancel_reason: str | None = Field(default=None, sa_type=sa.Text)
    cancel_remarks: str | None = Field(default=None, sa_type=sa.Text)
    irn_cancelled: bool = Field(sa_column_kwargs={"server_default": sa.false()})
    revision: int = Field(sa_column_kwargs={"server_default": "1"})
    ready: dict[str, Any] | None = Field(default=None, sa_type=JSONB)  # the ShipmentReady it was issued from
    shipment_cancelled: bool = Field(sa_column_kwargs={"server_default": sa.false()})
    created_at: datetime = Field(sa_type=_TS, sa_column_kwargs={"server_default": sa.func.now()})


class CreditNoteRow(InvoicingRecord, table=True):
    __tablename__ = "credit_note"
    __table_args__ = (
        sa.UniqueConstraint("supplier_gstin", "financial_year", "credit_note_no", name="credit_note_number_once"),
        sa.Index("credit_note_invoice", "invoice_id"),
        sa.Index("credit_note_period", "supplier_gstin", "credit_note_date"),
        sa.Index("credit_note_irn_pending", "id", postgresql_where=sa.text("irn_status IN ('pending', 'registering')")),
    )
    id: str = Field(primary_key=True, sa_type=sa.Text)
    credit_note_no: str = Field(sa_type=sa.Text)
    invoice_id: str = Field(foreign_key="invoice.id", sa_type=sa.Text)
    return_id: str | None = Field(default=None, unique=True, sa_type=sa.Text)
    supplier_gstin: str = Field(sa_type=sa.Text)
    financial_year: str = Field(sa_type=sa.Text)
    credit_note_date: date
    customer_id: str = Field(sa_type=sa.Text)
    grand_total: Decimal = Field(max_digits=16, decimal_places=2)
    document: dict[str, Any] = Field(sa_type=JSONB)
    created_at: datetime = Field(sa_type=_TS, sa_column_kwargs={"server_default": sa.func.now()})
    irn_status: str = Field(sa_type=sa.Text, sa_column_kwargs={"server_default": "not_required"})
    irn: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    irn_error_code: str | None = Field(default=None, sa_type=sa.Text)
    irn_error_message: str | None = Field(default=None, sa_type=sa.Text)
    irn_claimed_at: datetime | None = Field(default=None, sa_type=_TS)
    irn_claimed_by: str | None = Field(default=None, sa_type=sa.Text)


class ReturnRequestRow(InvoicingRecord, table=True):
    __tablename__ = "return_request"
    return_id: str = Field(primary_key=True, sa_type=sa.Text)
    return_no: str = Field(sa_type=sa.Text)
    invoice_id: str = Field(sa_type=sa.Text)
    customer_id: str = Field(sa_type=sa.Text)
    # authorised (ReturnAuthorised seen) | credited | refused
    status: str = Field(sa_type=sa.Text)
    credit_note_id: str | None = Field(default=None, sa_type=sa.Text)
    reason: str = Field(sa_type=sa.Text, sa_column_kwargs={"server_default": ""})
    updated_at: datetime = Field(sa_type=_TS, sa_column_kwargs={"server_default": sa.func.now()})


class RefusedShipmentRow(InvoicingRecord, table=True):
    """A ready shipment invoicing would not invoice (InvoiceRefused), kept so it is invoiced once the cause is put
    right: a rate for its HSN entered in sales' master retries it (docs/domain.md, "GST rates")."""

    __tablename__ = "refused_shipment"
    shipment_id: str = Field(primary_key=True, sa_type=sa.Text)
    order_id: str = Field(sa_type=sa.Text)
    refusal: str = Field(sa_type=sa.Text)
    reason: str = Field(sa_type=sa.Text)
    message: dict[str, Any] = Field(sa_type=JSONB)  # the ShipmentReady as dispatch sent it
    refused_at: datetime = Field(sa_type=_TS)
    attempts: int = Field(sa_column_kwargs={"server_default": "1"})


class InvoicePdfRow(InvoicingRecord, table=True):
    __tablename__ = "invoice_pdf"
    invoice_id: str = Field(primary_key=True, foreign_key="invoice.id", sa_type=sa.Text)
    revision: int
    content: bytes
    rendered_at: datetime = Field(sa_type=_TS, sa_column_kwargs={"server_default": sa.func.now()})


document_series = DocumentSeriesRow.__table__
hsn_rate = HsnRateRow.__table__
invoice = InvoiceRow.__table__
credit_note = CreditNoteRow.__table__
return_request = ReturnRequestRow.__table__
refused_shipment = RefusedShipmentRow.__table__
invoice_pdf = InvoicePdfRow.__table__
